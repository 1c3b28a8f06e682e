//! Assignment requests, their stage approvers and decisions.

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::{Result, StoreError};
use super::page::PageAt;
use super::sql::{Conn, Rows, Statement};
use super::states::ACTIVE;
use crate::domain::connected_org::ConnectedOrgState;
use crate::domain::ids::{
    AccessPackageId, AssignmentId, ConnectedOrgId, PolicyId, RequestId, UserId,
};
use crate::domain::policy::Policy;
use crate::domain::request::{
    Contact, Decider, Request, RequestFilter, RequestState, RequestType, Target as RequestTarget,
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    #[sqlx(try_from = "String")]
    pub id: RequestId,
    #[sqlx(try_from = "String")]
    pub request_type: RequestType,
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    #[sqlx(try_from = "String")]
    pub access_package_id: AccessPackageId,
    #[sqlx(try_from = "String")]
    pub policy_id: PolicyId,
    pub requestor_id: Option<String>,
    pub target_id: Option<String>,
    pub target_email: String,
    pub target_display_name: String,
    pub connected_organization_id: Option<String>,
    pub justification: Option<String>,
    pub answers: String,
    pub attributes: String,
    pub current_stage: i64,
    pub created_at: String,
    pub target_issuer: Option<String>,
    pub target_subject: Option<String>,
    pub schedule_start: Option<String>,
    pub schedule_end: Option<String>,
    pub assignment_id: Option<String>,
    #[sqlx(try_from = "super::columns::Flag")]
    pub approval_bypassed: bool,
    pub escalated_stage: i64,
    pub completed_at: Option<String>,
    pub deny_at: Option<String>,
    pub outcome_reason: Option<String>,
    /// The settings document of the policy the request was made under.
    pub policy_settings: Option<String>,
}

impl RequestRow {
    /// `policy` as the request is held to it: its approval and how long
    /// access lasts as they were when the request was made (requests made
    /// before those were kept follow the policy as it is).
    pub fn held_to(&self, policy: Policy) -> Result<Policy> {
        held_to(self.id.as_str(), self.policy_settings.as_deref(), policy)
    }
}

fn held_to(id: &str, settings: Option<&str>, mut policy: Policy) -> Result<Policy> {
    if let Some(doc) = settings {
        let corrupt =
            |e: String| StoreError::Corrupt(format!("request {id}: its policy settings: {e}"));
        let doc = serde_json::from_str(doc).map_err(|e| corrupt(e.to_string()))?;
        let (_, approval, _, expiration) =
            super::policies::settings_from(&doc).map_err(|e| corrupt(e.to_string()))?;
        policy.approval = approval;
        policy.expiration = expiration;
    }
    Ok(policy)
}

impl Loaded {
    /// `RequestRow::held_to`.
    pub fn held_to(&self, policy: Policy) -> Result<Policy> {
        held_to(
            self.request.id.as_str(),
            self.policy_settings.as_deref(),
            policy,
        )
    }
}

/// Whose requests: a directory user's, or those of someone not yet in it.
pub enum Target<'a> {
    User(&'a UserId),
    External { issuer: &'a str, subject: &'a str },
}

impl Target<'_> {
    /// The condition on `assignment_requests` (aliased `r`) and its two binds.
    fn clause(&self) -> (&'static str, String, String) {
        match self {
            Target::User(u) => (
                "r.target_id = $1 AND $2 = ''",
                u.as_str().to_string(),
                String::new(),
            ),
            Target::External { issuer, subject } => (
                "r.target_id IS NULL AND r.target_issuer = $1 AND r.target_subject = $2",
                issuer.to_string(),
                subject.to_string(),
            ),
        }
    }
}

pub async fn get(conn: &mut Conn, id: &RequestId) -> Result<Option<RequestRow>> {
    sqlx::query_as::<_, RequestRow>(
        "SELECT id, request_type, state, access_package_id, policy_id, requestor_id, target_id, target_email, \
         target_display_name, connected_organization_id, justification, answers, attributes, current_stage, created_at, \
         target_issuer, target_subject, schedule_start, schedule_end, assignment_id, approval_bypassed, \
         escalated_stage, completed_at, outcome_reason, policy_settings, \
         (SELECT t.deny_at FROM request_timers t WHERE t.request_id = r.id) AS deny_at FROM assignment_requests r \
         WHERE id = $1",
    )
    .bind(id.as_str())
    .optional(conn)
    .await
}

/// The ids of the requests for the user, or made by them for someone else
/// other than as their manager, that are still open (waiting for approval,
/// or scheduled): what a manager asked for a report stays the report's.
pub async fn open_of_user(conn: &mut Conn, user: &UserId) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM assignment_requests \
         WHERE (target_id = $1 OR (requestor_id = $1 AND request_type <> 'userAdd')) \
         AND state IN ('submitted', 'pendingApproval', 'scheduled') ORDER BY created_at",
    )
    .bind(user.as_str())
    .all(conn)
    .await
}

/// Whether the person already has an open request for the package.
pub async fn open_request_exists(
    conn: &mut Conn,
    target: &Target<'_>,
    package: &AccessPackageId,
) -> Result<bool> {
    let (clause, a, b) = target.clause();
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM assignment_requests r WHERE {clause} AND r.access_package_id = $3 \
         AND r.phase = 'open'"
    ))
    .bind(a)
    .bind(b)
    .bind(package.as_str())
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// The requests waiting for a decision of the user at their current stage.
pub async fn awaiting_decision_of(conn: &mut Conn, user: &UserId) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT r.id FROM assignment_requests r JOIN request_stage_approvers a \
         ON a.request_id = r.id AND a.stage = r.current_stage \
         WHERE a.user_id = $1 AND r.state = 'pendingApproval' ORDER BY r.created_at",
    )
    .bind(user.as_str())
    .all(conn)
    .await
}

/// Takes the user off the approvers of a request's stage.
pub async fn remove_stage_approver(
    conn: &mut Conn,
    id: &RequestId,
    stage: i64,
    user: &UserId,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM request_stage_approvers WHERE request_id = $1 AND stage = $2 AND user_id = $3",
    )
    .bind(id.as_str())
    .bind(stage)
    .bind(user.as_str())
    .exec(conn)
    .await
}

pub async fn stage_approvers(conn: &mut Conn, id: &RequestId, stage: i64) -> Result<Vec<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT user_id FROM request_stage_approvers WHERE request_id = $1 AND stage = $2 ORDER BY user_id",
    )
    .bind(id.as_str())
    .bind(stage)
    .all(conn)
    .await
}

/// Records a decision; `Ok(false)` when the stage was already decided.
pub async fn record_decision(
    conn: &mut Conn,
    id: &RequestId,
    stage: i64,
    approved: bool,
    by: &Decider,
    justification: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (person, extension) = match by {
        Decider::Person(u) => (Some(u.to_string()), None),
        Decider::Extension(e) => (None, Some(e.clone())),
    };
    sqlx::query(
        "INSERT INTO request_decisions (request_id, stage, review_result, reviewed_by, justification, reviewed_at, \
         reviewed_by_extension) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id, stage) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(stage)
    .bind(if approved { "Approved" } else { "Denied" })
    .bind(person)
    .bind(justification.map(str::to_string))
    .bind(ts(now))
    .bind(extension)
    .changed_one(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DecisionRow {
    pub stage: i64,
    pub review_result: String,
    /// The approver who decided (empty when an extension did).
    pub reviewed_by: String,
    /// The custom extension that decided, by name.
    pub extension_name: Option<String>,
    pub justification: Option<String>,
    pub reviewed_at: String,
}

impl DecisionRow {
    /// Who approved the stage, when a person approved it (not an extension,
    /// not a denial).
    pub fn approver(&self) -> Option<UserId> {
        (self.review_result == "Approved" && !self.reviewed_by.is_empty())
            .then(|| UserId::from_stored(self.reviewed_by.clone()))
    }

    /// Who decided, for pages: the extension's name, or the person's in `names`.
    pub fn decider(&self, names: &std::collections::HashMap<UserId, String>) -> String {
        match &self.extension_name {
            Some(e) => e.clone(),
            None => names
                .get(&UserId::from_stored(self.reviewed_by.clone()))
                .cloned()
                .unwrap_or_default(),
        }
    }
}

pub async fn decisions(conn: &mut Conn, id: &RequestId) -> Result<Vec<DecisionRow>> {
    sqlx::query_as::<_, DecisionRow>(
        "SELECT d.stage, d.review_result, COALESCE(d.reviewed_by, '') AS reviewed_by, \
         e.display_name AS extension_name, d.justification, d.reviewed_at FROM request_decisions d \
         LEFT JOIN custom_extensions e ON e.id = d.reviewed_by_extension \
         WHERE d.request_id = $1 ORDER BY d.stage",
    )
    .bind(id.as_str())
    .all(conn)
    .await
}

/// Group ids the user is a member of.
pub async fn group_ids_of(conn: &mut Conn, user: &UserId) -> Result<Vec<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT group_id FROM group_members WHERE user_id = $1 AND role = 'member'",
    )
    .bind(user.as_str())
    .all(conn)
    .await
}

/// Active members of a group (approvers "members of a group").
pub async fn active_group_members(conn: &mut Conn, group: &str) -> Result<Vec<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT u.id FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = $1 AND m.role = 'member' AND u.state = 'active' ORDER BY u.id",
    )
    .bind(group)
    .all(conn)
    .await
}

/// Active sponsors of a connected organization of one kind (`internal` | `external`).
pub async fn active_sponsors(
    conn: &mut Conn,
    organization: &str,
    kind: &str,
) -> Result<Vec<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT u.id FROM connected_organization_sponsors s JOIN users u ON u.id = s.user_id \
         WHERE s.connected_organization_id = $1 AND s.sponsor_type = $2 AND u.state = 'active' ORDER BY u.id",
    )
    .bind(organization)
    .bind(kind)
    .all(conn)
    .await
}

/// The connected organization whose domain matches the email, if any: (id, configured).
pub async fn organization_for_email(
    conn: &mut Conn,
    email: &str,
) -> Result<Option<(String, bool)>> {
    let domain = email
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default();
    let row = sqlx::query_as::<_, (String, String)>(
        "SELECT o.id, o.state FROM connected_organization_domains d JOIN connected_organizations o \
         ON o.id = d.connected_organization_id WHERE d.domain_name = $1",
    )
    .bind(domain)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, state)| (id, is_configured(&state))))
}

/// Says why a request ended as it did, where no approver's reason says it.
pub async fn set_outcome_reason(conn: &mut Conn, id: &RequestId, reason: &str) -> Result<()> {
    sqlx::query("UPDATE assignment_requests SET outcome_reason = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(reason)
        .exec(conn)
        .await
}

/// Requests whose current stage's approvers are due a reminder.
pub async fn due_approval_reminders(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<RequestId>> {
    let waiting = "r.state = 'pendingApproval'";
    due(conn, waiting, "t.remind_at", now, limit).await
}

/// Requests (`r`) in `condition` whose time in `column` has come, oldest
/// first: a job's next batch, rows another instance holds skipped. A column
/// of `t` is a timer, which only requests waiting for approval have. Only
/// the request is locked: deciding one locks it, then removes its timers.
async fn due(
    conn: &mut Conn,
    condition: &str,
    column: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<RequestId>> {
    let lock = super::sql::dialect(conn).skip_locked_of("r");
    let from = match column.starts_with("t.") {
        true => "request_timers t JOIN assignment_requests r ON r.id = t.request_id",
        false => "assignment_requests r",
    };
    let ids = sqlx::query_scalar::<_, String>(&format!(
        "SELECT r.id FROM {from} WHERE {condition} AND {column} <= $1 \
         ORDER BY {column}, r.id LIMIT $2{lock}"
    ))
    .bind(ts(now))
    .bind(limit)
    .all(conn)
    .await?;
    Ok(ids.into_iter().map(RequestId::from).collect())
}

/// Requests waiting for a decision past their stage's limit (`lock`: `Store::skip_locked`).
pub async fn due_denials(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<RequestId>> {
    let waiting = "r.state = 'pendingApproval'";
    due(conn, waiting, "t.deny_at", now, limit).await
}

/// Requests whose current stage is due to escalate and has not yet.
pub async fn due_escalations(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<RequestId>> {
    let unescalated = "r.state = 'pendingApproval' AND r.escalated_stage < r.current_stage";
    due(conn, unescalated, "t.escalate_at", now, limit).await
}

pub async fn mark_escalated(conn: &mut Conn, id: &RequestId, stage: i64) -> Result<()> {
    sqlx::query("UPDATE assignment_requests SET escalated_stage = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(stage)
        .exec(conn)
        .await
}

/// A request as the package's Requests tab lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminRequestRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub request_type: RequestType,
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    pub policy_name: String,
    pub target_display_name: String,
    pub target_email: String,
    pub requestor_name: Option<String>,
    pub created_at: String,
    pub completed_at: Option<String>,
    #[sqlx(try_from = "super::columns::Flag")]
    pub approval_bypassed: bool,
}

impl AdminRequestRow {
    /// The request type as people read it.
    pub fn type_text(&self) -> &'static str {
        self.request_type.label()
    }

    pub fn state_text(&self) -> &'static str {
        self.state.phrase()
    }
}

/// The filter by state the Requests tab offers.
fn request_state_clause(state: Option<RequestFilter>) -> &'static str {
    match state {
        Some(RequestFilter::Open) => " AND r.phase = 'open'",
        Some(RequestFilter::Delivered) => " AND r.state IN ('delivered', 'partiallyDelivered')",
        Some(RequestFilter::Failed) => " AND r.phase = 'failed'",
        Some(RequestFilter::Denied) => " AND r.state = 'denied'",
        Some(RequestFilter::Canceled) => " AND r.state = 'canceled'",
        Some(RequestFilter::Expired) => " AND r.state = 'expired'",
        None => "",
    }
}

pub async fn for_package(
    conn: &mut Conn,
    package: &AccessPackageId,
    state: Option<RequestFilter>,
    at: PageAt,
) -> Result<super::page::Page<AdminRequestRow>> {
    let filter = request_state_clause(state);
    let count = format!(
        "SELECT COUNT(*) FROM assignment_requests r WHERE r.access_package_id = $1{filter}"
    );
    let list = format!(
        "SELECT r.id, r.request_type, r.state, ap.display_name AS policy_name, r.target_display_name, r.target_email, \
         u.display_name AS requestor_name, r.created_at, r.completed_at, r.approval_bypassed \
         FROM assignment_requests r JOIN assignment_policies ap ON ap.id = r.policy_id \
         LEFT JOIN users u ON u.id = r.requestor_id WHERE r.access_package_id = $1{filter} \
         ORDER BY r.created_at DESC, r.id LIMIT $2 OFFSET $3"
    );
    super::page::page_of(conn, &count, &list, package.as_str(), at).await
}

/// Each stage's approvers of a request: (stage, name, email, escalation).
pub async fn approvers_of(
    conn: &mut Conn,
    id: &RequestId,
) -> Result<Vec<(i64, String, String, bool)>> {
    let rows = sqlx::query_as::<_, (i64, String, String, super::columns::Flag)>(
        "SELECT a.stage, u.display_name, u.email, a.is_escalation FROM request_stage_approvers a \
         JOIN users u ON u.id = a.user_id WHERE a.request_id = $1 ORDER BY a.stage, a.is_escalation, u.name_lower",
    )
    .bind(id.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(s, n, e, f)| (s, n, e, f.0))
        .collect())
}

/// The newest request that delivered an assignment (its answers prefill an extension).
pub async fn delivering_request(
    conn: &mut Conn,
    assignment: &AssignmentId,
) -> Result<Option<RequestId>> {
    let id = sqlx::query_scalar::<_, String>(
        "SELECT id FROM assignment_requests WHERE assignment_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(assignment.as_str())
    .optional(conn)
    .await?;
    Ok(id.map(RequestId::from))
}

/// A scheduled request the service cannot read (a damaged row): marked
/// undelivered by its state alone, guarded by it, so that an administrator
/// sees it among the failed ones instead of its start being tried forever.
pub async fn fail_unreadable(conn: &mut Conn, id: &RequestId) -> Result<bool> {
    sqlx::query(
        "UPDATE assignment_requests SET state = 'deliveryFailed' \
         WHERE id = $1 AND state = 'scheduled'",
    )
    .bind(id.as_str())
    .changed_one(conn)
    .await
}

/// The name of the package a request is for ("" once it is gone).
pub async fn package_name_of(conn: &mut Conn, id: &RequestId) -> Result<String> {
    sqlx::query_scalar::<_, String>(
        "SELECT p.display_name FROM assignment_requests r \
         JOIN access_packages p ON p.id = r.access_package_id WHERE r.id = $1",
    )
    .bind(id.as_str())
    .optional(conn)
    .await
    .map(Option::unwrap_or_default)
}

/// Links the requests made under a sign-in identity to the account it became.
pub async fn set_target_for_identity(
    conn: &mut Conn,
    issuer: &str,
    subject: &str,
    user: &UserId,
) -> Result<()> {
    sqlx::query(
        "UPDATE assignment_requests SET target_id = $3, requestor_id = COALESCE(requestor_id, $3) \
         WHERE target_id IS NULL AND target_issuer = $1 AND target_subject = $2",
    )
    .bind(issuer)
    .bind(subject)
    .bind(user.as_str())
    .exec(conn)
    .await
}

/// Scheduled requests whose start has come, oldest first.
pub async fn due_scheduled(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<RequestId>> {
    let scheduled = "r.phase = 'open' AND r.state = 'scheduled'";
    due(conn, scheduled, "r.schedule_start", now, limit).await
}

pub async fn insert_assignment(
    conn: &mut Conn,
    id: &AssignmentId,
    package: &AccessPackageId,
    policy: &PolicyId,
    target: &UserId,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    // On PostgreSQL the package's row is shared while the assignment is
    // made: a change to the package's roles (`packages::lock`) then comes
    // wholly before or after this delivery.
    let source = match super::sql::dialect(conn) {
        super::sql::Dialect::Sqlite => "VALUES ($1, $2, $3, $4, 'delivered', $5, $6, $5)",
        super::sql::Dialect::Postgres => {
            "SELECT $1, p.id, $3, $4, 'delivered', $5, $6, $5 FROM access_packages p \
             WHERE p.id = $2 FOR SHARE OF p"
        }
    };
    sqlx::query(&format!(
        "INSERT INTO access_package_assignments (id, access_package_id, policy_id, target_id, state, start_at, end_at, \
         created_at) {source}"
    ))
    .bind(id.as_str())
    .bind(package.as_str())
    .bind(policy.as_str())
    .bind(target.as_str())
    .bind(ts(now))
    .bind(end.map(ts))
    .changed_one(conn)
    .await?
    // Only PostgreSQL's form can insert nothing, when the package is gone.
    .then_some(())
    .ok_or(super::error::StoreError::NotFound)
}

/// A package My Access may offer: not hidden, in an enabled catalog.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CandidateRow {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    #[sqlx(try_from = "super::columns::Flag")]
    pub catalog_external: bool,
    #[sqlx(skip)]
    pub resources: Vec<String>,
}

/// Every package My Access may list: not hidden, in an enabled catalog, by name.
pub async fn visible_packages(conn: &mut Conn) -> Result<Vec<CandidateRow>> {
    let mut rows = sqlx::query_as::<_, CandidateRow>(
        "SELECT p.id, p.display_name, p.description, c.is_externally_visible AS catalog_external \
         FROM access_packages p JOIN catalogs c ON c.id = p.catalog_id \
         WHERE c.state = 'published' AND p.is_hidden = $1 ORDER BY p.name_lower, p.id",
    )
    .bind(false)
    .fetch_all(&mut *conn)
    .await?;
    let names = sqlx::query_as::<_, (String, String)>(&format!("{RESOURCE_NAMES} ORDER BY 1, 2"))
        .fetch_all(conn)
        .await?;
    attach_resources(&mut rows, names);
    Ok(rows)
}

/// (package id, resource name) for each resource role of a package.
const RESOURCE_NAMES: &str = "SELECT DISTINCT s.access_package_id, COALESCE(g.display_name, a.display_name, si.display_name, '') \
     FROM access_package_resource_role_scopes s JOIN catalog_resources r ON r.id = s.catalog_resource_id \
     LEFT JOIN groups g ON r.origin_system = 'AadGroup' AND g.id = r.origin_id \
     LEFT JOIN applications a ON r.origin_system = 'AadApplication' AND a.id = r.origin_id \
     LEFT JOIN sites si ON r.origin_system = 'SharePointOnline' AND si.id = r.origin_id";

fn attach_resources(rows: &mut [CandidateRow], names: Vec<(String, String)>) {
    let mut by_package: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for (p, n) in names {
        by_package.entry(p).or_default().push(n);
    }
    for r in rows.iter_mut() {
        r.resources = by_package.remove(&r.id).unwrap_or_default();
    }
}

/// Packages the user holds now.
pub async fn held_packages(conn: &mut Conn, user: &UserId) -> Result<Vec<String>> {
    sqlx::query_scalar::<_, String>(&format!(
        "SELECT DISTINCT access_package_id FROM access_package_assignments WHERE target_id = $1 \
         AND state IN {ACTIVE}"
    ))
    .bind(user.as_str())
    .all(conn)
    .await
}

/// A request as listed for its requestor or an approver.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestListRow {
    #[sqlx(try_from = "String")]
    pub id: RequestId,
    pub package_name: String,
    // Where it stands: its state, the approval stage it waits at, and why
    // it ended where it did.
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    pub current_stage: i64,
    pub outcome_reason: Option<String>,
    // Whom it is for, and what they asked.
    pub target_id: Option<String>,
    pub target_display_name: String,
    pub target_email: String,
    pub justification: Option<String>,
    pub created_at: String,
    pub schedule_start: Option<String>,
    pub schedule_end: Option<String>,
}

impl RequestListRow {
    pub fn state_text(&self) -> &'static str {
        self.state.phrase()
    }
    pub fn can_cancel(&self) -> bool {
        self.state.is_waiting()
    }
}

const LIST_SELECT: &str = "SELECT r.id, p.display_name AS package_name, r.state, r.target_id, r.target_display_name, r.target_email, \
     r.justification, r.current_stage, r.created_at, r.schedule_start, r.schedule_end, r.outcome_reason \
     FROM assignment_requests r JOIN access_packages p ON p.id = r.access_package_id";

pub async fn for_target(conn: &mut Conn, target: &Target<'_>) -> Result<Vec<RequestListRow>> {
    let (clause, a, b) = target.clause();
    sqlx::query_as::<_, RequestListRow>(&format!(
        "{LIST_SELECT} WHERE {clause} ORDER BY r.created_at DESC, r.id LIMIT 200"
    ))
    .bind(a)
    .bind(b)
    .all(conn)
    .await
}

/// The user's requests and those they made for their direct reports,
/// newest first.
pub async fn of_user(conn: &mut Conn, user: &UserId) -> Result<Vec<RequestListRow>> {
    sqlx::query_as::<_, RequestListRow>(&format!(
        "{LIST_SELECT} WHERE r.target_id = $1 \
         OR (r.requestor_id = $1 AND r.request_type = 'userAdd' AND r.target_id IS NOT NULL) \
         ORDER BY r.created_at DESC, r.id LIMIT 200"
    ))
    .bind(user.as_str())
    .all(conn)
    .await
}

/// Requests waiting for this approver's decision in their current stage.
pub async fn pending_for(conn: &mut Conn, approver: &UserId) -> Result<Vec<RequestListRow>> {
    sqlx::query_as::<_, RequestListRow>(&format!(
        "{LIST_SELECT} JOIN request_stage_approvers a ON a.request_id = r.id AND a.stage = r.current_stage \
         WHERE a.user_id = $1 AND r.state = 'pendingApproval' ORDER BY r.created_at, r.id"
    ))
    .bind(approver.as_str())
    .all(conn)
    .await
}

/// Requests this approver decided, newest first.
pub async fn decided_by(conn: &mut Conn, approver: &UserId) -> Result<Vec<DecidedRow>> {
    sqlx::query_as::<_, DecidedRow>(&format!(
        "SELECT x.*, d.review_result, d.reviewed_at, d.justification AS reason FROM ({LIST_SELECT}) x \
         JOIN request_decisions d ON d.request_id = x.id WHERE d.reviewed_by = $1 \
         ORDER BY d.reviewed_at DESC LIMIT 200"
    ))
    .bind(approver.as_str())
    .all(conn)
    .await
}

/// A request someone decided, with their decision, when and why.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DecidedRow {
    #[sqlx(flatten)]
    pub request: RequestListRow,
    /// `Approve` or `Deny`.
    pub review_result: String,
    pub reviewed_at: String,
    pub reason: Option<String>,
}

/// Whether the user was made an approver of any stage of the request.
pub async fn is_any_stage_approver(conn: &mut Conn, id: &RequestId, user: &UserId) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM request_stage_approvers WHERE request_id = $1 AND user_id = $2",
    )
    .bind(id.as_str())
    .bind(user.as_str())
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Everything My Access's home page needs about one person, and the catalog
/// generation, read in one round trip: on SQLite each query is a hop to the
/// Everything policy choice and My Access need about one person, and the
/// catalog generation, read in one round trip: on SQLite each query is a
/// hop to the connection's thread and back, and these were six of them.
#[derive(Debug, Default)]
pub struct PersonFacts {
    pub generation: String,
    pub group_ids: Vec<String>,
    pub held_packages: Vec<String>,
    /// (id, configured) of the person's connected organization.
    pub organization: Option<(String, bool)>,
    pub organization_name: String,
    /// The packages they have an open request for.
    pub open_requests: Vec<String>,
    /// (id, name) of the people who report to them and are not blocked,
    /// by name: whom they may ask for (when asked for).
    pub reports: Vec<(String, String)>,
    /// How many active assignments they have (one per package but for a
    /// moment of change).
    pub active_assignments: usize,
    /// The packages of their expired assignments, each once (when asked
    /// for, as `reports`).
    pub expired_packages: Vec<String>,
}

/// Whether a connected organization's stored state is *configured* (its
/// people may ask for what policies for configured organizations offer).
fn is_configured(state: &str) -> bool {
    state == ConnectedOrgState::Configured.as_str()
}

/// Direct reports as a manager picks among them: by name, then id.
pub fn sort_reports(reports: &mut [(String, String)]) {
    reports.sort_by_key(|(id, name)| (name.to_lowercase(), id.clone()));
}

/// Whose facts: a directory user, or someone not yet in it (by sign-in
/// identity). `organization`: their organization's id where known, else
/// (for guests) the one their address's `domain` belongs to.
pub struct PersonKey<'a> {
    pub user: Option<&'a UserId>,
    pub identity: Option<(&'a str, &'a str)>,
    pub organization: Option<&'a str>,
    pub domain: &'a str,
}

impl<'a> PersonKey<'a> {
    /// A directory user known by id alone (no organization).
    pub fn of_user(id: &'a UserId) -> Self {
        PersonKey {
            user: Some(id),
            identity: None,
            organization: None,
            domain: "",
        }
    }
}

pub async fn person_facts(conn: &mut Conn, who: &PersonKey<'_>, home: bool) -> Result<PersonFacts> {
    // My Access's home: whom they may ask for, and what they held (for the
    // Expired tab's count).
    let reports = if home {
        " UNION ALL SELECT 'm', id, display_name, '' FROM users \
          WHERE manager_id = $1 AND state <> 'blocked' \
          UNION ALL SELECT DISTINCT 'x', access_package_id, '', '' FROM access_package_assignments \
          WHERE target_id = $1 AND state = 'expired'"
    } else {
        ""
    };
    let rows = sqlx::query_as::<_, (String, String, String, String)>(&format!(
        "SELECT 'v', value, '', '' FROM settings WHERE key = 'catalog_generation' \
         UNION ALL SELECT 'g', group_id, '', '' FROM group_members WHERE user_id = $1 AND role = 'member' \
         UNION ALL SELECT 'p', access_package_id, '', '' FROM access_package_assignments \
           WHERE target_id = $1 AND state IN {ACTIVE} \
         UNION ALL SELECT 'o', id, state, display_name FROM connected_organizations WHERE id = $2 \
         UNION ALL SELECT 'o', o.id, o.state, o.display_name FROM connected_organization_domains d \
           JOIN connected_organizations o ON o.id = d.connected_organization_id \
           WHERE $2 = '' AND d.domain_name = $3 \
         UNION ALL SELECT 'q', access_package_id, '', '' FROM assignment_requests \
           WHERE target_id = $1 AND phase = 'open' \
         UNION ALL SELECT 'q', access_package_id, '', '' FROM assignment_requests \
           WHERE $1 = '' AND target_id IS NULL AND target_issuer = $4 AND target_subject = $5 \
           AND phase = 'open'{reports}"
    ))
    .bind(who.user.map_or("", |u| u.as_str()))
    .bind(who.organization.unwrap_or(""))
    .bind(who.domain.to_lowercase())
    .bind(who.identity.map_or("", |(i, _)| i))
    .bind(who.identity.map_or("", |(_, s)| s))
    .fetch_all(conn)
    .await?;
    let mut facts = PersonFacts::default();
    for (kind, a, b, c) in rows {
        match kind.as_str() {
            "v" => facts.generation = a,
            "g" => facts.group_ids.push(a),
            "p" => facts.held_packages.push(a),
            "o" => {
                facts.organization = Some((a, is_configured(&b)));
                facts.organization_name = c;
            }
            "q" => facts.open_requests.push(a),
            "m" => facts.reports.push((a, b)),
            "x" => facts.expired_packages.push(a),
            _ => {}
        }
    }
    facts.active_assignments = facts.held_packages.len();
    facts.held_packages.sort();
    facts.held_packages.dedup();
    sort_reports(&mut facts.reports);
    Ok(facts)
}

// ---- the request as the domain knows it ----

/// A request read back for one of its operations, with what they need.
pub struct Loaded {
    pub request: Request,
    /// Who may decide its current stage (active people only).
    pub approvers: Vec<Contact>,
    pub escalated_stage: u32,
    /// When its current stage expires undecided.
    pub deny_at: Option<DateTime<Utc>>,
    /// The catalog generation now (see `store::snapshot`).
    pub generation: String,
    /// The name of the request's connected organization, if any.
    pub organization_name: String,
    /// The manager who asked for the person, by name, where one did.
    pub asked_by_name: String,
    policy_settings: Option<String>,
}

const REQUEST_COLUMNS: &str = "r.id, r.request_type, r.state, r.access_package_id, r.policy_id, r.requestor_id, \
     r.target_id, r.target_email, r.target_display_name, r.connected_organization_id, r.justification, r.answers, \
     r.attributes, r.current_stage, r.created_at, r.target_issuer, r.target_subject, r.schedule_start, \
     r.schedule_end, r.assignment_id, r.approval_bypassed, r.escalated_stage, r.completed_at, \
     r.outcome_reason, r.policy_settings, \
     (SELECT t.deny_at FROM request_timers t WHERE t.request_id = r.id) AS deny_at";

#[derive(sqlx::FromRow)]
struct LoadedRow {
    #[sqlx(flatten)]
    row: RequestRow,
    approver: Option<String>,
    approver_email: Option<String>,
    approver_name: Option<String>,
    generation: Option<String>,
    organization_name: Option<String>,
    asked_by_name: Option<String>,
    calls_waiting: i64,
}

fn parse_time(s: &Option<String>) -> Result<Option<DateTime<Utc>>> {
    s.as_deref().map(super::columns::parse_ts).transpose()
}

impl RequestRow {
    /// The request as the domain knows it; a row that does not decode is an
    /// error, never a default.
    pub fn decode(&self) -> Result<Request> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("request {}: {what}", self.id));
        let target = match (&self.target_id, &self.target_issuer, &self.target_subject) {
            (Some(u), _, _) => RequestTarget::User(UserId::from_stored(u.clone())),
            (None, Some(i), Some(s)) => RequestTarget::External {
                issuer: i.clone(),
                subject: s.clone(),
            },
            _ => return Err(corrupt("no target")),
        };
        let schedule = match (
            parse_time(&self.schedule_start)?,
            parse_time(&self.schedule_end)?,
        ) {
            (Some(s), Some(e)) => Some((s, e)),
            _ => None,
        };
        Ok(Request {
            id: self.id.clone(),
            kind: self.request_type,
            state: self.state,
            stage: u32::try_from(self.current_stage).map_err(|_| corrupt("stage"))?,
            package: self.access_package_id.clone(),
            policy: self.policy_id.clone(),
            requestor: self.requestor_id.clone().map(UserId::from_stored),
            target,
            email: self.target_email.clone(),
            name: self.target_display_name.clone(),
            organization: self
                .connected_organization_id
                .clone()
                .map(ConnectedOrgId::from_stored),
            justification: self.justification.clone(),
            answers: serde_json::from_str(&self.answers).map_err(|_| corrupt("answers"))?,
            attributes: serde_json::from_str(&self.attributes)
                .map_err(|_| corrupt("attributes"))?,
            schedule,
            assignment: self.assignment_id.clone().map(AssignmentId::from_stored),
            approval_bypassed: self.approval_bypassed,
            identity: self.target_issuer.clone().zip(self.target_subject.clone()),
            // Not known from the row alone (`load` tells).
            calls_waiting: true,
        })
    }
}

/// A request with its current stage's approvers, the catalog generation
/// and whether a call of it waits for an answer, in one round trip.
pub async fn load(conn: &mut Conn, id: &RequestId) -> Result<Option<Loaded>> {
    let rows = sqlx::query_as::<_, LoadedRow>(&format!(
        "SELECT {REQUEST_COLUMNS}, a.user_id AS approver, u.email AS approver_email, \
         u.display_name AS approver_name, \
         (SELECT value FROM settings WHERE key = 'catalog_generation') AS generation, \
         o.display_name AS organization_name, m.display_name AS asked_by_name, \
         (SELECT COUNT(*) FROM custom_extension_callouts c \
          WHERE c.request_id = r.id AND c.callback_token IS NOT NULL) AS calls_waiting \
         FROM assignment_requests r LEFT JOIN request_stage_approvers a \
         ON a.request_id = r.id AND a.stage = r.current_stage \
         LEFT JOIN users u ON u.id = a.user_id AND u.state = 'active' \
         LEFT JOIN connected_organizations o ON o.id = r.connected_organization_id \
         LEFT JOIN users m ON m.id = r.requestor_id AND r.request_type = 'userAdd' \
         AND r.requestor_id <> COALESCE(r.target_id, '') WHERE r.id = $1"
    ))
    .bind(id.as_str())
    .fetch_all(conn)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut request = first.row.decode()?;
    request.calls_waiting = first.calls_waiting > 0;
    Ok(Some(Loaded {
        request,
        escalated_stage: u32::try_from(first.row.escalated_stage).unwrap_or(0),
        deny_at: parse_time(&first.row.deny_at)?,
        generation: first.generation.clone().unwrap_or_default(),
        organization_name: first.organization_name.clone().unwrap_or_default(),
        asked_by_name: first.asked_by_name.clone().unwrap_or_default(),
        policy_settings: first.row.policy_settings.clone(),
        approvers: rows
            .iter()
            // A blocked approver (the guest lifecycle blocks sponsors too)
            // neither decides nor is mailed.
            .filter_map(|r| {
                Some(Contact {
                    id: UserId::from_stored(r.approver.clone()?),
                    email: r.approver_email.clone()?,
                    name: r.approver_name.clone().unwrap_or_default(),
                })
            })
            .collect(),
    }))
}

/// Where a new request starts: its stage's deadlines, and why it ended as it
/// did if it ended at once.
#[derive(Default)]
pub struct Start<'a> {
    pub escalate_at: Option<DateTime<Utc>>,
    pub deny_at: Option<DateTime<Utc>>,
    pub remind_at: Option<DateTime<Utc>>,
    pub outcome: Option<&'a str>,
    /// The policy it is made under, kept with it.
    pub terms: Option<&'a Policy>,
}

/// Writes a new request in the state it starts in, so that a submission is
/// never written twice (first `submitted`, then its stage), with its timers
/// if it waits for approval and with `approvers` (stage, users, escalation)
/// that stage's approvers: on PostgreSQL in one statement. A twin open
/// request for the same person and package is a conflict.
pub async fn insert_request(
    conn: &mut Conn,
    r: &Request,
    start: &Start<'_>,
    approvers: Option<(u32, &[UserId], bool)>,
    now: DateTime<Utc>,
) -> Result<()> {
    let target = r.target.user().map(|u| u.as_str().to_string());
    let (issuer, subject) = match (&r.target, &r.identity) {
        (RequestTarget::External { issuer, subject }, _) | (_, Some((issuer, subject))) => {
            (Some(issuer.clone()), Some(subject.clone()))
        }
        _ => (None, None),
    };
    let done = r.state.is_completed();
    let answers = super::columns::to_json("answers", &r.answers)?;
    let attributes = super::columns::to_json("attributes", &r.attributes)?;
    let insert = "INSERT INTO assignment_requests (id, request_type, state, access_package_id, policy_id, requestor_id, \
         target_id, target_email, target_display_name, connected_organization_id, justification, answers, \
         attributes, created_at, target_issuer, target_subject, schedule_start, schedule_end, assignment_id, \
         approval_bypassed, current_stage, stage_started_at, completed_at, outcome_reason, policy_settings) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
         $14, $22, $23, $24)";
    let pg = super::sql::dialect(conn) == super::sql::Dialect::Postgres;
    // Timers are kept while a request waits for approval only.
    let deny_at = start
        .deny_at
        .filter(|_| r.state == RequestState::PendingApproval);
    let together = approvers.filter(|(_, users, _)| !users.is_empty() && users.len() <= 500 && pg);
    // The timers' and approvers' rows name the request the same statement
    // writes.
    let timers = super::request_timers::insert_for_written(25);
    let sql = match together {
        Some((_, users, _)) => format!(
            "WITH r AS ({insert} RETURNING id), t AS ({timers}) INSERT INTO request_stage_approvers \
             (request_id, stage, is_escalation, user_id) SELECT r.id, $28, $29, v.u FROM r, (VALUES {}) AS v(u) \
             ON CONFLICT DO NOTHING",
            (0..users.len())
                .map(|i| format!("(${})", i + 30))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None if pg => format!("WITH r AS ({insert} RETURNING id) {timers}"),
        None => insert.to_string(),
    };
    let mut q = sqlx::query(&sql)
        .bind(r.id.as_str())
        .bind(r.kind.as_str())
        .bind(r.state.as_str())
        .bind(r.package.as_str())
        .bind(r.policy.as_str())
        .bind(r.requestor.as_ref().map(|u| u.as_str().to_string()))
        .bind(target)
        .bind(&r.email)
        .bind(&r.name)
        .bind(r.organization.as_ref().map(|o| o.as_str().to_string()))
        .bind(r.justification.clone())
        .bind(answers)
        .bind(attributes)
        .bind(ts(now))
        .bind(issuer)
        .bind(subject)
        .bind(r.schedule.map(|(s, _)| ts(s)))
        .bind(r.schedule.map(|(_, e)| ts(e)))
        .bind(r.assignment.as_ref().map(|a| a.as_str().to_string()))
        .bind(r.approval_bypassed)
        .bind(i64::from(r.stage))
        .bind(done.then(|| ts(now)))
        .bind(start.outcome.map(str::to_string))
        .bind(
            start
                .terms
                .map(|p| super::policies::settings_json(p).to_string()),
        );
    if pg {
        q = q
            .bind(start.remind_at.map(ts))
            .bind(start.escalate_at.map(ts))
            .bind(deny_at.map(ts));
    }
    if let Some((stage, users, escalation)) = together {
        q = q.bind(i64::from(stage)).bind(escalation);
        for u in users {
            q = q.bind(u.as_str());
        }
    }
    q.execute(&mut *conn).await?;
    if let (false, Some(deny_at)) = (pg, deny_at) {
        super::request_timers::set_deadlines(
            conn,
            &r.id,
            start.remind_at,
            start.escalate_at,
            deny_at,
        )
        .await?;
    }
    match (approvers, together) {
        (Some((stage, users, escalation)), None) => {
            insert_approvers(conn, &r.id, stage, users, escalation).await
        }
        _ => Ok(()),
    }
}

/// Moves the request from `from` at `from_stage` to `to` at `to_stage`,
/// recording the assignment it made, if any; false when it was no longer in
/// that state, so that a concurrent change is never overwritten. A request
/// that stops waiting for approval loses its timers: on PostgreSQL in the
/// same statement.
#[allow(clippy::too_many_arguments)]
pub async fn move_request(
    conn: &mut Conn,
    id: &RequestId,
    from: RequestState,
    from_stage: u32,
    to: RequestState,
    to_stage: u32,
    assignment: Option<&AssignmentId>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let completed = to.is_completed();
    let update = "UPDATE assignment_requests SET state = $4, current_stage = $5, \
         stage_started_at = CASE WHEN $5 <> current_stage THEN $6 ELSE stage_started_at END, \
         completed_at = CASE WHEN $7 THEN $6 ELSE completed_at END, \
         assignment_id = COALESCE($8, assignment_id) \
         WHERE id = $1 AND state = $2 AND current_stage = $3";
    let stops_waiting =
        from == RequestState::PendingApproval && to != RequestState::PendingApproval;
    let pg = super::sql::dialect(conn) == super::sql::Dialect::Postgres;
    let sql = match stops_waiting && pg {
        true => super::request_timers::removed_with(update),
        false => update.to_string(),
    };
    let q = sqlx::query(&sql)
        .bind(id.as_str())
        .bind(from.as_str())
        .bind(i64::from(from_stage))
        .bind(to.as_str())
        .bind(i64::from(to_stage))
        .bind(ts(now))
        .bind(completed)
        .bind(assignment.map(|a| a.as_str().to_string()));
    if stops_waiting && pg {
        let moved: i64 = sqlx::Row::try_get(&q.fetch_one(&mut *conn).await?, 0)?;
        return Ok(moved == 1);
    }
    let moved = q.changed_one(conn).await?;
    if moved && stops_waiting {
        super::request_timers::remove(conn, id).await?;
    }
    Ok(moved)
}

/// The people who may decide a stage, in one statement.
pub async fn insert_approvers(
    conn: &mut Conn,
    id: &RequestId,
    stage: u32,
    users: &[UserId],
    escalation: bool,
) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..users.len())
        .map(|i| format!("($1, $2, $3, ${})", i + 4))
        .collect();
    let sql = format!(
        "INSERT INTO request_stage_approvers (request_id, stage, is_escalation, user_id) VALUES {} \
         ON CONFLICT DO NOTHING",
        values.join(", ")
    );
    let mut q = sqlx::query(&sql)
        .bind(id.as_str())
        .bind(i64::from(stage))
        .bind(escalation);
    for u in users {
        q = q.bind(u.as_str());
    }
    q.execute(conn).await?;
    Ok(())
}

/// What delivery checks about a person, in one round trip: the packages
/// they hold, their groups and connected organization, and whether
/// `assignment` (if any) is still active, with its end.
pub struct PersonHoldings {
    pub held: Vec<String>,
    pub groups: Vec<String>,
    /// (id, configured) of their connected organization, as in `PersonFacts`.
    pub organization: Option<(String, bool)>,
    pub assignment: Option<(bool, Option<DateTime<Utc>>)>,
    /// Blocked by the guest lifecycle (for having no access).
    pub lifecycle_blocked: bool,
}

/// `who` is a directory user (their key as for `person_facts`).
pub async fn holdings(
    conn: &mut Conn,
    who: &PersonKey<'_>,
    assignment: Option<&AssignmentId>,
) -> Result<PersonHoldings> {
    let rows = sqlx::query_as::<_, (String, String, Option<String>)>(&format!(
        "SELECT 'p', access_package_id, NULL FROM access_package_assignments \
           WHERE target_id = $1 AND state IN {active} \
         UNION ALL SELECT 'g', group_id, NULL FROM group_members WHERE user_id = $1 AND role = 'member' \
         UNION ALL SELECT 'a', CASE WHEN state IN {active} THEN 'active' ELSE 'ended' END, end_at \
           FROM access_package_assignments WHERE id = $2 \
         UNION ALL SELECT 'l', '', NULL FROM users WHERE id = $1 AND lifecycle_blocked_at IS NOT NULL \
         UNION ALL SELECT 'o', id, state FROM connected_organizations WHERE id = $3 \
         UNION ALL SELECT 'o', o.id, o.state FROM connected_organization_domains d \
           JOIN connected_organizations o ON o.id = d.connected_organization_id \
           WHERE $3 = '' AND d.domain_name = $4",
        active = ACTIVE
    ))
    .bind(who.user.map_or("", |u| u.as_str()))
    .bind(assignment.map_or("", |a| a.as_str()))
    .bind(who.organization.unwrap_or(""))
    .bind(who.domain.to_lowercase())
    .fetch_all(conn)
    .await?;
    let mut out = PersonHoldings {
        held: vec![],
        groups: vec![],
        organization: None,
        assignment: None,
        lifecycle_blocked: false,
    };
    for (kind, value, end) in rows {
        match kind.as_str() {
            "p" => out.held.push(value),
            "g" => out.groups.push(value),
            "l" => out.lifecycle_blocked = true,
            "o" => {
                let configured = end.as_deref().is_some_and(is_configured);
                out.organization = Some((value, configured));
            }
            _ => out.assignment = Some((value == "active", parse_time(&end)?)),
        }
    }
    out.held.sort();
    out.held.dedup();
    Ok(out)
}

/// A request of any package, for the console's Requests page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnyRequestRow {
    #[sqlx(flatten)]
    pub row: AdminRequestRow,
    pub package_id: String,
    pub package_name: String,
}

/// One page of every package's requests, newest first, `state` a group of
/// states as the Requests tab filters them.
pub async fn all(
    conn: &mut Conn,
    state: Option<RequestFilter>,
    at: PageAt,
) -> Result<super::page::Page<AnyRequestRow>> {
    let filter = request_state_clause(state);
    // `$1` is bound by the paging helper; the filter is the clause's.
    let count = format!("SELECT COUNT(*) FROM assignment_requests r WHERE $1 = $1{filter}");
    let list = format!(
        "SELECT r.id, r.request_type, r.state, ap.display_name AS policy_name, r.target_display_name, r.target_email, \
         u.display_name AS requestor_name, r.created_at, r.completed_at, r.approval_bypassed, \
         p.id AS package_id, p.display_name AS package_name \
         FROM assignment_requests r JOIN assignment_policies ap ON ap.id = r.policy_id \
         JOIN access_packages p ON p.id = r.access_package_id \
         LEFT JOIN users u ON u.id = r.requestor_id WHERE $1 = $1{filter} \
         ORDER BY r.created_at DESC, r.id LIMIT $2 OFFSET $3"
    );
    super::page::page_of(conn, &count, &list, "", at).await
}

/// What needs an administrator's attention: deliveries that failed, and
/// requests that will be denied within `soon` for want of a decision.
pub async fn needing_attention(
    conn: &mut Conn,
    soon: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<AnyRequestRow>> {
    sqlx::query_as::<_, AnyRequestRow>(
        "SELECT r.id, r.request_type, r.state, ap.display_name AS policy_name, r.target_display_name, r.target_email, \
         u.display_name AS requestor_name, r.created_at, r.completed_at, r.approval_bypassed, \
         p.id AS package_id, p.display_name AS package_name \
         FROM assignment_requests r JOIN assignment_policies ap ON ap.id = r.policy_id \
         JOIN access_packages p ON p.id = r.access_package_id \
         LEFT JOIN users u ON u.id = r.requestor_id \
         WHERE r.id IN (SELECT id FROM assignment_requests WHERE phase = 'failed' \
           UNION SELECT request_id FROM request_timers WHERE deny_at <= $1) \
         AND (r.phase = 'failed' OR r.state = 'pendingApproval') \
         ORDER BY r.created_at DESC, r.id LIMIT $2",
    )
    .bind(ts(soon))
    .bind(limit)
    .all(conn)
    .await
}

/// How many of each: the console's overview, in one statement.
pub async fn counts(conn: &mut Conn) -> Result<Vec<(String, i64)>> {
    sqlx::query_as::<_, (String, i64)>(&format!(
        "SELECT 'users', COUNT(*) FROM users WHERE user_type = 'member' \
         UNION ALL SELECT 'guests', COUNT(*) FROM users WHERE user_type = 'guest' \
         UNION ALL SELECT 'groups', COUNT(*) FROM groups \
         UNION ALL SELECT 'applications', COUNT(*) FROM applications \
         UNION ALL SELECT 'sites', COUNT(*) FROM sites \
         UNION ALL SELECT 'catalogs', COUNT(*) FROM catalogs \
         UNION ALL SELECT 'packages', COUNT(*) FROM access_packages \
         UNION ALL SELECT 'organizations', COUNT(*) FROM connected_organizations \
         UNION ALL SELECT 'assignments', COUNT(*) FROM access_package_assignments \
           WHERE state IN {ACTIVE} \
         UNION ALL SELECT 'pending', COUNT(*) FROM assignment_requests \
           WHERE phase = 'open' AND state = 'pendingApproval'"
    ))
    .all(conn)
    .await
}
