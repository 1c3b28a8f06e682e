//! Requests for access packages: submitting one, and deciding its approval
//! stages. Each function is one transaction that also writes the audit event.
//! Delivery of access follows in the request-flow issue.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::policy::{ApprovalStage, Approver, Policy};
use crate::domain::request::{
    Event, PeriodInput, RequestState, Requestor, check_period, eligible, transition,
};
use crate::domain::user::{Person, User};
use crate::domain::validation::reason_text;
use crate::store::{self, Conn, Store, StoreError, audit, packages, policies, requests, users};

fn event(action: &str, request: &str, package: &str, details: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent {
        action: action.into(),
        object_type: object_type::ACCESS_PACKAGE,
        object_id: request.into(),
        object_name: package.into(),
        details,
    }
}

fn actor_of(u: &User) -> Actor {
    Actor {
        user_id: Some(u.id.to_string()),
        display_name: u.display_name.clone(),
    }
}

/// The approvers a stage resolves to for this request: its primary approvers
/// that can be found, else its fallback approvers. Neither the person the
/// request is for nor the one who made it (an administrator assigning, say)
/// is ever one: a stage that would resolve only to them goes to its
/// fallback approvers.
pub(crate) async fn resolve_stage(
    conn: &mut Conn,
    stage: &ApprovalStage,
    target: Option<&User>,
    requestor: Option<&str>,
    organization: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    async fn expand(
        conn: &mut Conn,
        list: &[Approver],
        target: Option<&User>,
        requestor: Option<&str>,
        organization: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let mut out: Vec<String> = Vec::new();
        for a in list {
            let found = match a {
                Approver::SingleUser(u) => match users::get(conn, u).await? {
                    Some(u) if !u.is_blocked() => vec![u.id.to_string()],
                    _ => vec![],
                },
                Approver::GroupMembers(g) => {
                    requests::active_group_members(conn, g.as_str()).await?
                }
                Approver::RequestorManager => match target.and_then(|t| t.manager_id.clone()) {
                    Some(m) => match users::get(conn, &m).await? {
                        Some(m) if !m.is_blocked() => vec![m.id.to_string()],
                        _ => vec![],
                    },
                    None => vec![],
                },
                Approver::InternalSponsors => match organization {
                    Some(o) => requests::active_sponsors(conn, o, "internal").await?,
                    None => vec![],
                },
                Approver::ExternalSponsors => match organization {
                    Some(o) => requests::active_sponsors(conn, o, "external").await?,
                    None => vec![],
                },
            };
            for f in found {
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
        out.retain(|u| {
            target.is_none_or(|t| *u != t.id.as_str()) && requestor.is_none_or(|r| u != r)
        });
        Ok(out)
    }
    let primary = expand(
        conn,
        &stage.primary_approvers,
        target,
        requestor,
        organization,
    )
    .await?;
    if !primary.is_empty() {
        return Ok(primary);
    }
    expand(
        conn,
        &stage.fallback_primary_approvers,
        target,
        requestor,
        organization,
    )
    .await
}

#[derive(Debug)]
pub struct Submitted {
    pub id: String,
    pub state: RequestState,
}

/// What the requestor gives with a request.
pub struct RequestInput<'a> {
    pub policy_id: &'a str,
    pub justification: Option<&'a str>,
    pub answers: serde_json::Value,
    /// Values for the attributes the package's resources require.
    pub attributes: std::collections::BTreeMap<String, String>,
    /// The period asked for, where the policy allows one, in the
    /// requestor's time zone `tz`.
    pub start: &'a str,
    pub end: &'a str,
    pub tz: chrono_tz::Tz,
}

/// Whose requests, in the store's terms.
pub fn target_of(who: &Person) -> requests::Target<'_> {
    match who {
        Person::User(u) => requests::Target::User(&u.id),
        Person::External(e) => requests::Target::External {
            issuer: &e.issuer,
            subject: &e.subject,
        },
    }
}

/// Someone asks for a package under one of the policies that admit them.
pub async fn submit(
    store: &Store,
    who: &Person,
    package: &AccessPackageId,
    input: &RequestInput<'_>,
    now: DateTime<Utc>,
) -> Result<Submitted, ServiceError> {
    let (candidate, availability) = {
        let mut rc = store.read().await?;
        availability(&mut rc, who, package.as_str(), now).await?
    };
    let Some(candidate) = candidate else {
        // Out of every policy's scope: said with the package's name here,
        // since the caller named it (pages say "does not exist" instead).
        let mut rc = store.read().await?;
        let p = packages::get(&mut rc, package)
            .await?
            .ok_or(ServiceError::NotFound)?;
        return Err(ServiceError::Refused(
            Availability::Unavailable.refusal(&p.display_name),
        ));
    };
    let offer = match availability {
        Availability::Offer(o) => o,
        other => {
            return Err(ServiceError::Refused(
                other.refusal(&candidate.display_name),
            ));
        }
    };
    submit_offered(store, who, &candidate, &offer, input, now).await
}

/// `submit` for a package whose availability the caller has just read as
/// `offer`: the request page reads it anyway to check the form, and reading
/// it twice was most of a submission's cost. The duplicate check is repeated
/// inside the writing transaction, where it cannot race.
pub async fn submit_offered(
    store: &Store,
    who: &Person,
    candidate: &requests::CandidateRow,
    offer: &Offer,
    input: &RequestInput<'_>,
    now: DateTime<Utc>,
) -> Result<Submitted, ServiceError> {
    let package = &AccessPackageId::from_stored(candidate.id.clone());
    if who.user().is_some_and(User::is_blocked) {
        return Err(ServiceError::Refused(
            "Your account is blocked; you cannot request access.".into(),
        ));
    }
    let requestor = &offer.requestor;
    let Some(policy) = offer
        .policies
        .iter()
        .find(|(id, _)| id == input.policy_id)
        .map(|c| c.1.clone())
    else {
        return Err(ServiceError::Refused(
            "Choose one of the policies offered to you.".into(),
        ));
    };
    let p = candidate;
    let id = uuid::Uuid::new_v4().to_string();
    // The first stage's approvers and the mail's facts are read here too, so
    // that the writer's transaction only writes. A new proposed organization
    // (made in that transaction) takes the longer way.
    let will_propose = matches!(who, Person::External(_))
        && requestor.connected_organization.is_none()
        && policy.allowed_target_scope
            == crate::domain::policy::AllowedTargetScope::AllExternalUsers;
    let first_stage = match policy.approval.stages.first() {
        Some(stage) if policy.approval.is_approval_required_for_add && !will_propose => Some(
            prepare_first_stage(
                &mut *store.read().await?,
                &id,
                stage,
                who,
                requestor.connected_organization.as_deref(),
                &p.display_name,
                input,
                &policy,
                now,
            )
            .await?,
        ),
        _ => None,
    };
    let mut tx = store.begin().await?;
    // What the request page read is checked again with the person's row
    // held, so that simultaneous submissions see each other.
    if let Some(u) = who.user() {
        users::lock(&mut tx, &u.id).await?;
    }
    let duplicate = || {
        ServiceError::Refused(format!(
            "You already have an open request for {}.",
            p.display_name
        ))
    };
    if requests::open_request_exists(&mut tx, &target_of(who), package).await? {
        return Err(duplicate());
    }
    if let Some(u) = who.user() {
        let held = requests::held_packages(&mut tx, &u.id).await?;
        if held.contains(&p.id) {
            return Err(ServiceError::Refused(format!(
                "You already have {}.",
                p.display_name
            )));
        }
        if let Some(conflict) = conflict_with(&mut tx, package, &held, &requestor.group_ids).await?
        {
            return Err(ServiceError::Refused(conflict));
        }
    }
    let justification = reason_text(input.justification, "The justification")
        .map_err(|m| super::invalid("justification", m))?;
    let justification = justification.as_deref();
    if policy.approval.is_requestor_justification_required && justification.is_none() {
        return Err(super::invalid(
            "justification",
            "A business justification is required.",
        ));
    }
    let period = check_period(
        &policy,
        &PeriodInput {
            start: input.start,
            end: input.end,
            tz: input.tz,
        },
        now,
    )
    .map_err(ServiceError::Invalid)?;
    let mut organization = requestor.connected_organization.clone();
    if let (Person::External(e), None) = (who, &organization) {
        if policy.allowed_target_scope
            == crate::domain::policy::AllowedTargetScope::AllExternalUsers
        {
            organization =
                Some(propose_organization(&mut tx, &e.email, &p.display_name, now).await?);
        }
    }
    let user = who.user();
    let identity = match who {
        Person::External(e) => Some((e.issuer.as_str(), e.subject.as_str())),
        Person::User(_) => None,
    };
    let inserted = requests::insert(
        &mut tx,
        &requests::NewRequest {
            id: &id,
            request_type: "userAdd",
            package,
            policy_id: input.policy_id,
            requestor: user.map(|u| &u.id),
            target: user.map(|u| &u.id),
            target_email: who.email(),
            target_display_name: who.display_name(),
            connected_organization: organization.as_deref(),
            justification,
            answers: &input.answers.to_string(),
            attributes: &serde_json::to_string(&input.attributes).unwrap_or_else(|_| "{}".into()),
            target_identity: identity,
            schedule: period,
            assignment: None,
            approval_bypassed: false,
        },
        now,
    )
    .await;
    // Someone not yet in the directory has no row to hold: a simultaneous
    // twin meets the one-open-request index instead.
    match inserted {
        Err(StoreError::Conflict(_)) => return Err(duplicate()),
        other => other?,
    }
    let state = start(
        &mut tx,
        &id,
        &policy,
        user,
        user.map(|u| &u.id),
        organization.as_deref(),
        false,
        first_stage.as_ref(),
        now,
    )
    .await?;
    let actor = Actor {
        user_id: user.map(|u| u.id.to_string()),
        display_name: who.display_name().to_string(),
    };
    let details = json!({"request": id, "policy": policy.display_name, "state": state.as_str(), "justification": justification});
    audit::record(
        &mut tx,
        &actor,
        &event(
            "User requests access package assignment",
            &id,
            &p.display_name,
            details,
        ),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(Submitted { id, state })
}

/// Moves a submitted request into its first stage, or approves it at once.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn start(
    conn: &mut Conn,
    id: &str,
    policy: &Policy,
    target: Option<&User>,
    requestor: Option<&UserId>,
    organization: Option<&str>,
    for_update: bool,
    pre: Option<&FirstStage>,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let approval = &policy.approval;
    let required = if for_update {
        approval.is_approval_required_for_update
    } else {
        approval.is_approval_required_for_add
    };
    if !required || approval.stages.is_empty() {
        let to = transition(
            RequestState::Submitted,
            Event::StageApproved {
                has_next_stage: false,
            },
        )
        .map_err(ServiceError::Refused)?;
        requests::move_state(conn, id, RequestState::Submitted, 0, to, 0, now).await?;
        return deliver(conn, id, policy, now).await;
    }
    let stage = &approval.stages[0];
    let (approvers, contacts, facts_known) = match pre {
        Some(f) => (
            f.approvers.clone(),
            f.contacts.clone(),
            Some(f.facts.clone()),
        ),
        None => {
            let approvers = resolve_stage(
                conn,
                stage,
                target,
                requestor.map(UserId::as_str),
                organization,
            )
            .await?;
            let contacts = contacts_of(conn, &approvers).await?;
            (approvers, contacts, None)
        }
    };
    if approvers.is_empty() {
        return Err(ServiceError::Refused(
            "No approver can be found for this request. Ask an administrator to check the policy's approvers.".into(),
        ));
    }
    requests::add_stage_approvers(conn, id, 1, &approvers, false).await?;
    let to =
        transition(RequestState::Submitted, Event::AwaitApproval).map_err(ServiceError::Refused)?;
    let days = |d: u32| now + chrono::Duration::days(i64::from(d));
    requests::enter_stage(
        conn,
        id,
        RequestState::Submitted,
        to,
        1,
        stage
            .is_escalation_enabled
            .then(|| days(stage.duration_before_escalation_days)),
        decide_by(stage, now),
        now,
    )
    .await?;
    let mut data = match facts_known {
        Some(f) => f,
        None => facts(conn, id).await?,
    };
    data["decide_by"] = json!(decide_by(stage, now).format("%Y-%m-%d").to_string());
    data["forwarded"] = json!(false);
    for (email, name) in &contacts {
        store::outbox::enqueue(
            conn,
            crate::notify::kind::APPROVAL_REQUEST,
            email,
            name,
            &data,
            now,
        )
        .await?;
    }
    Ok(to)
}

/// A first approval stage worked out before the writing transaction.
pub(crate) struct FirstStage {
    approvers: Vec<String>,
    /// (email, name) of each approver.
    contacts: Vec<(String, String)>,
    facts: serde_json::Value,
}

async fn contacts_of(
    conn: &mut Conn,
    approvers: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut out = Vec::with_capacity(approvers.len());
    for a in approvers {
        if let Some(u) = users::get(conn, &UserId::from_stored(a.clone())).await? {
            out.push((u.email, u.display_name));
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn prepare_first_stage(
    conn: &mut Conn,
    id: &str,
    stage: &ApprovalStage,
    who: &Person,
    organization: Option<&str>,
    package: &str,
    input: &RequestInput<'_>,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<FirstStage, StoreError> {
    let me = who.user().map(|u| u.id.as_str());
    let approvers = resolve_stage(conn, stage, who.user(), me, organization).await?;
    let contacts = contacts_of(conn, &approvers).await?;
    let organization_name = match organization {
        Some(o) => store::connected_orgs::get(
            conn,
            &crate::domain::ids::ConnectedOrgId::from_stored(o.to_string()),
        )
        .await?
        .map(|o| o.display_name)
        .unwrap_or_default(),
        None => String::new(),
    };
    let starts = check_period(
        policy,
        &PeriodInput {
            start: input.start,
            end: input.end,
            tz: input.tz,
        },
        now,
    )
    .ok()
    .flatten()
    .map(|(s, _)| s.format("%Y-%m-%d").to_string())
    .unwrap_or_default();
    Ok(FirstStage {
        approvers,
        contacts,
        // The same facts as `facts` reads back once the request is written.
        facts: facts_json(
            id,
            package,
            who.display_name(),
            who.email(),
            &organization_name,
            input.justification.map(str::trim).unwrap_or_default(),
            1,
            &starts,
        ),
    })
}

fn decide_by(stage: &ApprovalStage, now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::days(i64::from(stage.duration_before_automatic_denial_days))
}

/// When a stage that starts now escalates to its alternate approvers, and
/// when it is denied for want of a decision.
async fn set_stage_deadlines(
    conn: &mut Conn,
    id: &str,
    stage: &ApprovalStage,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let days = |d: u32| now + chrono::Duration::days(i64::from(d));
    let escalate =
        (stage.is_escalation_enabled).then(|| days(stage.duration_before_escalation_days));
    requests::set_deadlines(conn, id, escalate, Some(decide_by(stage, now))).await
}

/// An approver decides the current stage. The first decision wins; a later or
/// concurrent one is told the request was already decided.
pub async fn decide(
    store: &Store,
    approver: &User,
    request_id: &str,
    approve: bool,
    justification: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let mut tx = store.begin().await?;
    let r = requests::get(&mut tx, request_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let state = r.state()?;
    if r.requestor_id.as_deref() == Some(approver.id.as_str())
        || r.target_id.as_deref() == Some(approver.id.as_str())
    {
        return Err(ServiceError::Refused(
            "Nobody can approve their own request.".into(),
        ));
    }
    if state != RequestState::PendingApproval {
        return Err(ServiceError::Refused(
            transition(state, Event::Denied)
                .err()
                .unwrap_or_else(|| "The request was already decided.".into()),
        ));
    }
    let stage = r.current_stage;
    if !requests::stage_approvers(&mut tx, request_id, stage)
        .await?
        .iter()
        .any(|u| *u == approver.id.as_str())
    {
        return Err(ServiceError::Refused(
            "You are not an approver of this request's current stage.".into(),
        ));
    }
    let package = AccessPackageId::from_stored(r.access_package_id.clone());
    let policy = policies::get(&mut tx, &package, &r.policy_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let stage_settings = policy.approval.stages.get((stage - 1) as usize).cloned();
    let justification =
        reason_text(justification, "The reason").map_err(|m| super::invalid("justification", m))?;
    let justification = justification.as_deref();
    if stage_settings
        .as_ref()
        .is_some_and(|s| s.is_approver_justification_required)
        && justification.is_none()
    {
        return Err(super::invalid(
            "justification",
            "Give a reason for your decision.",
        ));
    }
    if !requests::record_decision(
        &mut tx,
        request_id,
        stage,
        approve,
        &approver.id,
        justification,
        now,
    )
    .await?
    {
        return Err(ServiceError::Refused(
            "The request was already decided by another approver.".into(),
        ));
    }
    let has_next = (stage as usize) < policy.approval.stages.len();
    let ev = if approve {
        Event::StageApproved {
            has_next_stage: has_next,
        }
    } else {
        Event::Denied
    };
    let mut to = transition(state, ev).map_err(ServiceError::Refused)?;
    let new_stage = if approve && has_next {
        stage + 1
    } else {
        stage
    };
    // Why the request is denied when no approver's reason says it.
    let mut outcome = None;
    if approve && has_next {
        let target = match &r.target_id {
            Some(t) => users::get(&mut tx, &UserId::from_stored(t.clone())).await?,
            None => None,
        };
        let next = &policy.approval.stages[stage as usize];
        let approvers = resolve_stage(
            &mut tx,
            next,
            target.as_ref(),
            r.requestor_id.as_deref(),
            r.connected_organization_id.as_deref(),
        )
        .await?;
        if approvers.is_empty() {
            // Nobody can decide the next stage: the decision just made stays
            // recorded, and the request ends instead of waiting for ever.
            to = transition(state, Event::Denied).map_err(ServiceError::Refused)?;
            outcome = Some(format!(
                "Stage {stage} approved the request, but no approver could be found for stage {}. Ask an administrator to check the policy's approvers.",
                stage + 1
            ));
        } else {
            requests::add_stage_approvers(&mut tx, request_id, new_stage, &approvers, false)
                .await?;
            set_stage_deadlines(&mut tx, request_id, next, now).await?;
            notify_approvers(
                &mut tx,
                request_id,
                &approvers,
                crate::notify::kind::APPROVAL_REQUEST,
                decide_by(next, now),
                now,
            )
            .await?;
        }
    }
    let moved_to = if to == RequestState::Denied {
        stage
    } else {
        new_stage
    };
    if !requests::move_state(&mut tx, request_id, state, stage, to, moved_to, now).await? {
        return Err(ServiceError::Refused(
            "The request was already decided by another approver.".into(),
        ));
    }
    if let Some(reason) = &outcome {
        requests::set_outcome_reason(&mut tx, request_id, reason).await?;
    }
    let to = if to == RequestState::Approved {
        deliver(&mut tx, request_id, &policy, now).await?
    } else {
        to
    };
    if to == RequestState::Denied && outcome.is_none() {
        notify_requestor(
            &mut tx,
            request_id,
            crate::notify::kind::REQUEST_DENIED,
            justification,
            now,
        )
        .await?;
    } else if let Some(reason) = &outcome {
        notify_requestor(
            &mut tx,
            request_id,
            crate::notify::kind::REQUEST_DENIED,
            Some(reason),
            now,
        )
        .await?;
    }
    let action = if approve {
        "Approve access package assignment request"
    } else {
        "Deny access package assignment request"
    };
    let details = json!({"stage": stage, "justification": justification, "state": to.as_str()});
    let name = packages::get(&mut tx, &package)
        .await?
        .map(|p| p.display_name)
        .unwrap_or_default();
    audit::record(
        &mut tx,
        &actor_of(approver),
        &event(action, request_id, &name, details),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(to)
}

/// When access granted at `from` ends, from the policy's lifecycle.
pub(crate) fn end_of(policy: &Policy, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use crate::domain::policy::Expiration;
    match policy.expiration {
        Expiration::NoExpiration => None,
        Expiration::AfterDateTime(t) => Some(t),
        Expiration::AfterDays(d) => Some(from + chrono::Duration::days(i64::from(d))),
        Expiration::AfterHours(h) => Some(from + chrono::Duration::hours(i64::from(h))),
    }
}

pub(crate) fn parse_ts(s: &Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Delivers an approved request in the same transaction: the guest account for
/// someone not yet in the directory, the assignment, each resource role (once,
/// however many packages grant it), and the attribute values written to the
/// user. A request for a period that has not begun waits, scheduled.
///
/// What the request asks for is checked again here, with the person's row
/// held: two requests approved at the same moment never both deliver a
/// package or two packages that exclude each other, and nothing is granted
/// for a period that has already ended.
pub(crate) async fn deliver(
    conn: &mut Conn,
    id: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let r = requests::get(conn, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let from = r.state()?;
    let start = parse_ts(&r.schedule_start);
    if from == RequestState::Approved && start.is_some_and(|s| s > now) {
        let to = transition(from, Event::Schedule).map_err(ServiceError::Refused)?;
        requests::move_state(conn, id, from, r.current_stage, to, r.current_stage, now).await?;
        notify_requestor(conn, id, crate::notify::kind::REQUEST_SCHEDULED, None, now).await?;
        return Ok(to);
    }
    // Delivery starts from approval, a scheduled start, or a reprocess.
    let event = match from {
        RequestState::DeliveryFailed | RequestState::PartiallyDelivered => Event::Reprocess,
        _ => Event::StartDelivery,
    };
    let delivering = transition(from, event).map_err(ServiceError::Refused)?;
    if let Some(end) = parse_ts(&r.schedule_end).filter(|e| *e <= now) {
        let reason = format!(
            "The request was approved after the end of the period it asked for ({}), so no access was given. Request it again for a new period.",
            end.format("%Y-%m-%d %H:%M UTC")
        );
        return refuse_delivery(conn, &r, from, reason, now).await;
    }
    if let Some(t) = policy.ended(now).filter(|_| r.schedule_end.is_none()) {
        let reason = format!(
            "The policy gave access until {}, which had passed when the request was approved, so no access was given.",
            t.format("%Y-%m-%d %H:%M UTC")
        );
        return refuse_delivery(conn, &r, from, reason, now).await;
    }
    let attributes: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&r.attributes).unwrap_or_default();
    let target = match r.target_id.clone() {
        Some(t) => UserId::from_stored(t),
        None => match guest_for(conn, &r, &attributes, now).await? {
            Some(u) => u,
            None => return fail_delivery(conn, &r, from, delivering, now).await,
        },
    };
    users::lock(conn, &target).await?;
    let package = AccessPackageId::from_stored(r.access_package_id.clone());
    if r.request_type == "userExtend" {
        return deliver_extension(conn, &r, policy, from, delivering, now).await;
    }
    let held = requests::held_packages(conn, &target).await?;
    let own = r.assignment_id.as_deref();
    // A reprocess works on the assignment it made (below); a new one must
    // not double one the person already has.
    if own.is_none() && held.contains(&r.access_package_id) {
        let reason = format!(
            "{} already holds this access package, so nothing more was given.",
            r.target_display_name
        );
        return refuse_delivery(conn, &r, from, reason, now).await;
    }
    let groups = requests::group_ids_of(conn, &target).await?;
    if let Some(conflict) = conflict_with(conn, &package, &held, &groups).await? {
        return refuse_delivery(conn, &r, from, conflict, now).await;
    }
    // Access given back to a guest the lifecycle had blocked lifts the block.
    if users::lifecycle_blocked_at(conn, &target).await?.is_some() {
        users::set_lifecycle_block(conn, &target, None, now).await?;
    }
    requests::move_state(
        conn,
        id,
        from,
        r.current_stage,
        delivering,
        r.current_stage,
        now,
    )
    .await?;
    // A reprocessed request keeps the assignment it already made, if it is
    // still active: an assignment that ended meanwhile is not brought back.
    let existing = match own {
        Some(a) => store::assignments::get(conn, a).await?,
        None => None,
    };
    match existing {
        Some(a) => {
            if !store::assignments::set_active_state(conn, &a.id, "delivered").await? {
                return Err(ServiceError::Refused(
                    "The assignment this request made has ended meanwhile; request the package again instead."
                        .into(),
                ));
            }
        }
        None => {
            let assignment = uuid::Uuid::new_v4().to_string();
            let end = match parse_ts(&r.schedule_end) {
                Some(e) => Some(e),
                None => end_of(policy, now),
            };
            requests::insert_assignment(
                conn,
                &assignment,
                package.as_str(),
                &r.policy_id,
                target.as_str(),
                end,
                now,
            )
            .await?;
            requests::set_assignment(conn, id, &assignment).await?;
        }
    }
    super::access::grant_roles(conn, &package, &target, now).await?;
    if !attributes.is_empty() {
        users::write_attributes(conn, &target, &attributes, now).await?;
    }
    let delivered =
        transition(delivering, Event::Delivered { all: true }).map_err(ServiceError::Refused)?;
    requests::move_state(
        conn,
        id,
        delivering,
        r.current_stage,
        delivered,
        r.current_stage,
        now,
    )
    .await?;
    notify_requestor(conn, id, crate::notify::kind::ACCESS_DELIVERED, None, now).await?;
    Ok(delivered)
}

/// Delivers an extension: the assignment's new end, if it is still active.
async fn deliver_extension(
    conn: &mut Conn,
    r: &requests::RequestRow,
    policy: &Policy,
    from: RequestState,
    delivering: RequestState,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let current = match &r.assignment_id {
        Some(a) => store::assignments::get(conn, a).await?,
        None => None,
    };
    let end = current.as_ref().and_then(|a| {
        crate::domain::request::extended_end(
            policy,
            a.end_at
                .as_deref()
                .and_then(|e| parse_ts(&Some(e.to_string()))),
            now,
        )
    });
    // The update finds the assignment only if it is still active: access that
    // expired or was removed meanwhile is not brought back by an extension.
    let extended = match &current {
        Some(a) => store::assignments::set_end(conn, &a.id, end).await?,
        None => false,
    };
    if !extended {
        let reason = "The access this request would extend ended before the extension was approved. Request the package again.".to_string();
        return refuse_delivery(conn, r, from, reason, now).await;
    }
    let id = r.id.as_str();
    requests::move_state(
        conn,
        id,
        from,
        r.current_stage,
        delivering,
        r.current_stage,
        now,
    )
    .await?;
    let delivered =
        transition(delivering, Event::Delivered { all: true }).map_err(ServiceError::Refused)?;
    requests::move_state(
        conn,
        id,
        delivering,
        r.current_stage,
        delivered,
        r.current_stage,
        now,
    )
    .await?;
    let mut data = facts(conn, id).await?;
    data["ends"] = json!(
        end.map(|e| e.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    );
    let (to, name) = (
        data["requestor_email"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        data["requestor"].as_str().unwrap_or_default().to_string(),
    );
    store::outbox::enqueue(
        conn,
        crate::notify::kind::ACCESS_EXTENDED,
        &to,
        &name,
        &data,
        now,
    )
    .await?;
    Ok(delivered)
}

/// An approved request whose access can no longer be given ends denied, with
/// the reason, and the requestor is told. A reprocess is refused instead,
/// leaving the request as it was.
async fn refuse_delivery(
    conn: &mut Conn,
    r: &requests::RequestRow,
    from: RequestState,
    reason: String,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let Ok(to) = transition(from, Event::DeliveryRefused) else {
        return Err(ServiceError::Refused(reason));
    };
    let stage = r.current_stage;
    if !requests::move_state(conn, &r.id, from, stage, to, stage, now).await? {
        return Err(ServiceError::Refused(
            "The request changed meanwhile; reload the page.".into(),
        ));
    }
    requests::set_outcome_reason(conn, &r.id, &reason).await?;
    notify_requestor(
        conn,
        &r.id,
        crate::notify::kind::REQUEST_DENIED,
        Some(&reason),
        now,
    )
    .await?;
    Ok(to)
}

/// Marks a delivery that could not be made; an administrator can reprocess it.
async fn fail_delivery(
    conn: &mut Conn,
    r: &requests::RequestRow,
    from: RequestState,
    delivering: RequestState,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let to = transition(delivering, Event::DeliveryFailed).map_err(ServiceError::Refused)?;
    let stage = r.current_stage;
    requests::move_state(conn, &r.id, from, stage, to, stage, now).await?;
    Ok(to)
}

/// The guest account for a request from someone not in the directory: the one
/// their sign-in identity already has, a guest with their address (linked), or
/// a new governed guest of their connected organization. `None` when the
/// address belongs to a member, whom a foreign identity never becomes.
async fn guest_for(
    conn: &mut Conn,
    r: &requests::RequestRow,
    attributes: &std::collections::BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<Option<UserId>, ServiceError> {
    use crate::domain::user::{Email, UserProfile, UserState, UserType};
    let (Some(issuer), Some(subject)) = (r.target_issuer.as_deref(), r.target_subject.as_deref())
    else {
        return Ok(None);
    };
    // Only an identity that proved the address itself (an emailed code) may
    // take over a guest account found by address; an organization's provider
    // only one of its own guests.
    let proven_address = issuer == crate::domain::user::EMAIL_CODE_ISSUER
        || issuer == crate::domain::user::DEMO_GUEST_ISSUER;
    let id = match users::find_by_identity(conn, issuer, subject).await? {
        Some(u) if u.is_guest() => u.id,
        Some(_) => return Ok(None),
        None => match users::find_by_email(conn, &r.target_email).await? {
            Some(u) if !u.is_guest() => return Ok(None),
            Some(u)
                if proven_address
                    || (u.connected_organization_id.is_some()
                        && u.connected_organization_id == r.connected_organization_id) =>
            {
                users::insert_identity(conn, issuer, subject, &u.id, now).await?;
                u.id
            }
            Some(_) => return Ok(None),
            None => {
                let email = Email::parse(&r.target_email).map_err(|_| {
                    ServiceError::Refused("The request's email address is not valid.".into())
                })?;
                let named = match (attributes.get("givenName"), attributes.get("surname")) {
                    (Some(g), Some(s)) => format!("{g} {s}"),
                    _ => r.target_display_name.clone(),
                };
                let profile = UserProfile {
                    user_type: UserType::Guest,
                    display_name: named.trim().chars().take(256).collect(),
                    given_name: None,
                    surname: None,
                    email,
                    job_title: None,
                    department: None,
                    custom_attributes: Default::default(),
                    state: UserState::Active,
                };
                let id = UserId::new();
                users::insert(conn, &id, &profile, None, now).await?;
                users::insert_identity(conn, issuer, subject, &id, now).await?;
                users::mark_governed(conn, &id, r.connected_organization_id.as_deref()).await?;
                audit::record(
                    conn,
                    &Actor::system(),
                    &NewAuditEvent {
                        action: "Create guest user for access package assignment".into(),
                        object_type: object_type::USER,
                        object_id: id.to_string(),
                        object_name: profile.display_name.clone(),
                        details: json!({"mail": profile.email.as_str(), "request": r.id,
                            "connectedOrganization": r.connected_organization_id}),
                    },
                    now,
                )
                .await?;
                id
            }
        },
    };
    // Every open request of this identity now belongs to the account.
    requests::set_target_for_identity(conn, issuer, subject, &id).await?;
    requests::set_target(conn, &r.id, &id).await?;
    Ok(Some(id))
}

/// What someone outside the directory hears when their address is at one of
/// the organization's own domains.
pub(crate) fn own_domain_refusal(domain: &str) -> String {
    format!(
        "Addresses at {domain} belong to this organization. Sign in with your organization's account instead."
    )
}

/// A connected organization in the `proposed` state for the address's domain,
/// made when someone from an unknown domain asks under an "all users" policy.
async fn propose_organization(
    conn: &mut Conn,
    email: &str,
    package: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    use crate::domain::connected_org::{ConnectedOrgProfile, ConnectedOrgState};
    use crate::domain::ids::ConnectedOrgId;
    let domain = email
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default();
    // The organization's own domains are never proposed as someone else's.
    if super::settings::tenant(conn).await?.owns_domain(&domain) {
        return Err(ServiceError::Refused(own_domain_refusal(&domain)));
    }
    let id = ConnectedOrgId::new();
    // The domain names the organization, unless an organization already has
    // that name without the domain.
    let name = match store::connected_orgs::id_by_name(conn, &domain).await? {
        None => domain.clone(),
        Some(_) => format!("{domain} ({})", &id.as_str()[..8]),
    };
    let profile = ConnectedOrgProfile {
        display_name: name.clone(),
        description: Some(format!("Proposed when {email} requested {package}.")),
        state: ConnectedOrgState::Proposed,
        domains: vec![domain.clone()],
        oidc: None,
    };
    store::connected_orgs::save(conn, &id, &profile, &[], &[], true, now).await?;
    audit::record(
        conn,
        &Actor::system(),
        &NewAuditEvent {
            action: "Create proposed connected organization".into(),
            object_type: object_type::CONNECTED_ORGANIZATION,
            object_id: id.to_string(),
            object_name: name,
            details: json!({"domain": domain, "requestedBy": email}),
        },
        now,
    )
    .await?;
    Ok(id.to_string())
}

/// The attributes a package's resources require from the requestor, each
/// name once (the first resource's wording wins).
pub async fn required_attributes(
    conn: &mut Conn,
    package: &AccessPackageId,
) -> Result<Vec<crate::domain::catalog::RequiredAttribute>, StoreError> {
    use crate::domain::catalog::RequiredAttribute;
    let mut seen: Vec<RequiredAttribute> = Vec::new();
    let mut resources: Vec<String> = packages::role_scopes(conn, package)
        .await?
        .into_iter()
        .map(|s| s.catalog_resource_id)
        .collect();
    resources.sort();
    resources.dedup();
    for r in resources {
        let id = crate::domain::ids::CatalogResourceId::from_stored(r);
        for a in store::catalogs::required_attributes(conn, &id).await? {
            if !seen
                .iter()
                .any(|s| s.attribute_name.eq_ignore_ascii_case(&a.attribute_name))
            {
                seen.push(a);
            }
        }
    }
    Ok(seen)
}

/// Whether the package's catalog is enabled for external users (false if gone).
pub async fn catalog_external(conn: &mut Conn, package: &str) -> Result<bool, StoreError> {
    Ok(requests::candidate(conn, package)
        .await?
        .is_some_and(|(c, _)| c.catalog_external))
}

/// The organization with whether it is configured; `None` once it is deleted.
async fn organization(
    conn: &mut Conn,
    organization: &str,
) -> Result<Option<(String, bool)>, StoreError> {
    Ok(store::connected_orgs::get(
        conn,
        &crate::domain::ids::ConnectedOrgId::from_stored(organization.to_string()),
    )
    .await?
    .map(|o| (o.id, o.state == "configured")))
}

/// The packages a person holds (none before they are in the directory).
async fn held_by(conn: &mut Conn, who: &Person) -> Result<Vec<String>, StoreError> {
    match who {
        Person::User(u) => requests::held_packages(conn, &u.id).await,
        Person::External(_) => Ok(vec![]),
    }
}

/// A directory user's connected organization, with whether it is
/// configured: a guest's own, or the one their address's domain belongs to.
/// Members belong to none, whatever their address.
async fn organization_of_user(
    conn: &mut Conn,
    user: &User,
) -> Result<Option<(String, bool)>, StoreError> {
    if !user.is_guest() {
        return Ok(None);
    }
    match &user.connected_organization_id {
        Some(o) => organization(conn, o).await,
        None => requests::organization_for_email(conn, &user.email).await,
    }
}

/// The id of a directory user's connected organization (see `organization_of_user`).
pub(crate) async fn organization_id_of(
    conn: &mut Conn,
    user: &User,
) -> Result<Option<String>, StoreError> {
    Ok(organization_of_user(conn, user).await?.map(|(id, _)| id))
}

/// What policy choice needs to know about the person.
pub async fn requestor_of(conn: &mut Conn, who: &Person) -> Result<Requestor, StoreError> {
    let user = match who {
        Person::User(u) => u,
        Person::External(e) => {
            let organization = match &e.connected_organization {
                // Signed in through the organization's own provider.
                Some(o) => organization(conn, o).await?,
                None => requests::organization_for_email(conn, &e.email).await?,
            };
            return Ok(Requestor {
                user_id: None,
                is_guest: true,
                group_ids: vec![],
                connected_organization: organization.as_ref().map(|(id, _)| id.clone()),
                organization_configured: organization.as_ref().is_some_and(|(_, c)| *c),
            });
        }
    };
    let organization = organization_of_user(conn, user).await?;
    Ok(Requestor {
        user_id: Some(user.id.to_string()),
        is_guest: user.is_guest(),
        group_ids: requests::group_ids_of(conn, &user.id).await?,
        connected_organization: organization.as_ref().map(|(id, _)| id.clone()),
        organization_configured: organization.as_ref().is_some_and(|(_, c)| *c),
    })
}

/// What My Access's home page lists for a person.
pub struct Listing {
    /// One page of the packages they may request or hold, with whether they hold each.
    pub packages: Vec<(requests::CandidateRow, bool)>,
    /// How many match in all.
    pub total: usize,
    /// The roles they hold now.
    pub roles: Vec<store::directory::HeldRole>,
}

/// One page of the packages My Access lists for this person (those they may
/// request, and those they hold) matching `q`.
pub async fn requestable(
    conn: &mut Conn,
    cache: &super::listing::Cache,
    who: &Person,
    q: &str,
    page: usize,
    per_page: usize,
) -> Result<Listing, StoreError> {
    let (user, organization, email, is_guest) = match who {
        // A member's address says nothing of an organization.
        Person::User(u) if !u.is_guest() => (Some(&u.id), None, "", false),
        Person::User(u) => (
            Some(&u.id),
            u.connected_organization_id.as_deref(),
            u.email.as_str(),
            true,
        ),
        Person::External(e) => (
            None,
            e.connected_organization.as_deref(),
            e.email.as_str(),
            true,
        ),
    };
    let facts = requests::person_facts(conn, user, organization, email).await?;
    // The same facts `requestor_of` reads, one query at a time, for the request page.
    let requestor = Requestor {
        user_id: user.map(|u| u.to_string()),
        is_guest,
        group_ids: facts.group_ids,
        connected_organization: facts.organization.as_ref().map(|(id, _)| id.clone()),
        organization_configured: facts.organization.as_ref().is_some_and(|(_, c)| *c),
    };
    let (packages, total) = cache
        .page(
            conn,
            &facts.generation,
            &requestor,
            &facts.held_packages,
            q,
            page,
            per_page,
        )
        .await?;
    Ok(Listing {
        packages,
        total,
        roles: facts.roles,
    })
}

/// Whether, and under which policies, the user may request a package now.
pub enum Availability {
    /// The user may choose among these policies.
    Offer(Offer),
    /// Not in any policy's scope, or no such package: said the same way, so
    /// that nobody learns of packages they may not see.
    Unavailable,
    RequestsOff,
    AlreadyHeld,
    OpenRequest,
    /// Separation of duties: what the user holds that the package excludes.
    Incompatible(String),
    /// The policies that admit the person gave access until this moment,
    /// which has passed.
    Ended(DateTime<Utc>),
    /// Someone outside the directory whose address is at one of the
    /// organization's own domains.
    OwnDomain(String),
}

/// The policies a person may request a package under, with what was read
/// about them to decide it.
pub struct Offer {
    pub policies: Vec<(String, Policy)>,
    pub requestor: Requestor,
}

impl Availability {
    /// Why a request for `package` is refused, in the requestor's words.
    pub fn refusal(&self, package: &str) -> String {
        match self {
            Availability::Offer(_) => String::new(),
            Availability::Unavailable => {
                format!("You are not in the scope of any policy of {package}.")
            }
            Availability::RequestsOff => format!("Requests for {package} are turned off."),
            Availability::AlreadyHeld => format!("You already have {package}."),
            Availability::OpenRequest => {
                format!("You already have an open request for {package}.")
            }
            Availability::Incompatible(conflict) => conflict.clone(),
            Availability::OwnDomain(email) => {
                own_domain_refusal(email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default())
            }
            Availability::Ended(t) => format!(
                "{package} could be requested until {}; that date has passed, so it cannot be requested now.",
                t.format("%Y-%m-%d")
            ),
        }
    }
}

pub async fn availability(
    conn: &mut Conn,
    who: &Person,
    package: &str,
    now: DateTime<Utc>,
) -> Result<(Option<requests::CandidateRow>, Availability), StoreError> {
    let Some((candidate, published)) = requests::candidate(conn, package).await? else {
        return Ok((None, Availability::Unavailable));
    };
    // Someone outside the directory with an address at the organization's own
    // domains is one of its people, who sign in with its account.
    if let Person::External(e) = who {
        let tenant = super::settings::tenant(conn).await.map_err(|e| match e {
            ServiceError::Store(s) => s,
            other => StoreError::Corrupt(other.to_string()),
        })?;
        if tenant.owns_address(&e.email) {
            return Ok((Some(candidate), Availability::OwnDomain(e.email.clone())));
        }
    }
    let requestor = requestor_of(conn, who).await?;
    let all =
        policies::for_package(conn, &AccessPackageId::from_stored(candidate.id.clone())).await?;
    // Scope is judged with requests on, so that "turned off" is said only to people in scope.
    let in_scope: Vec<(String, Policy)> = all
        .iter()
        .filter(|(_, p)| crate::domain::request::admits(p, &requestor, candidate.catalog_external))
        .cloned()
        .collect();
    if in_scope.is_empty() {
        return Ok((None, Availability::Unavailable));
    }
    let pkg = AccessPackageId::from_stored(candidate.id.clone());
    let held = held_by(conn, who).await?;
    if held.contains(&candidate.id) {
        return Ok((Some(candidate), Availability::AlreadyHeld));
    }
    if requests::open_request_exists(conn, &target_of(who), &pkg).await? {
        return Ok((Some(candidate), Availability::OpenRequest));
    }
    if let Some(conflict) = conflict_with(conn, &pkg, &held, &requestor.group_ids).await? {
        return Ok((Some(candidate), Availability::Incompatible(conflict)));
    }
    // A policy whose fixed last day has passed offers nothing any more.
    let live: Vec<(String, Policy)> = all
        .iter()
        .filter(|(_, p)| p.ended(now).is_none())
        .cloned()
        .collect();
    let policies: Vec<(String, Policy)> = eligible(&live, &requestor, candidate.catalog_external)
        .into_iter()
        .cloned()
        .collect();
    if !published {
        return Ok((Some(candidate), Availability::RequestsOff));
    }
    if policies.is_empty() {
        let ended = eligible(&all, &requestor, candidate.catalog_external)
            .into_iter()
            .filter_map(|(_, p)| p.ended(now))
            .max();
        return Ok((
            Some(candidate),
            match ended {
                Some(t) => Availability::Ended(t),
                None => Availability::RequestsOff,
            },
        ));
    }
    Ok((
        Some(candidate),
        Availability::Offer(Offer {
            policies,
            requestor,
        }),
    ))
}

/// The requestor withdraws a request that is still waiting.
pub async fn cancel(
    store: &Store,
    who: &Person,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let r = requests::get(&mut tx, request_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mine = match who {
        Person::User(u) => {
            r.target_id.as_deref() == Some(u.id.as_str())
                || r.requestor_id.as_deref() == Some(u.id.as_str())
        }
        Person::External(e) => {
            r.target_id.is_none()
                && r.target_issuer.as_deref() == Some(e.issuer.as_str())
                && r.target_subject.as_deref() == Some(e.subject.as_str())
        }
    };
    if !mine {
        return Err(ServiceError::NotFound);
    }
    let state = r.state()?;
    let to = transition(state, Event::Canceled).map_err(ServiceError::Refused)?;
    if !matches!(
        state,
        RequestState::Submitted | RequestState::PendingApproval | RequestState::Scheduled
    ) {
        return Err(ServiceError::Refused(
            "Only a request that is waiting for approval or for its start can be canceled here."
                .into(),
        ));
    }
    if !requests::move_state(
        &mut tx,
        request_id,
        state,
        r.current_stage,
        to,
        r.current_stage,
        now,
    )
    .await?
    {
        return Err(ServiceError::Refused(
            "The request changed meanwhile; reload the page.".into(),
        ));
    }
    let name = packages::get(
        &mut tx,
        &AccessPackageId::from_stored(r.access_package_id.clone()),
    )
    .await?
    .map(|p| p.display_name)
    .unwrap_or_default();
    audit::record(
        &mut tx,
        &Actor {
            user_id: who.user().map(|u| u.id.to_string()),
            display_name: who.display_name().to_string(),
        },
        &event(
            "Cancel access package assignment request",
            request_id,
            &name,
            json!({}),
        ),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

/// The access the user holds that the package's separation-of-duties settings
/// forbid, said as people read it; `None` when there is none.
pub async fn incompatibility(
    conn: &mut Conn,
    who: &Person,
    package: &AccessPackageId,
) -> Result<Option<String>, StoreError> {
    let Person::User(user) = who else {
        return Ok(None);
    };
    let held = requests::held_packages(conn, &user.id).await?;
    let groups = requests::group_ids_of(conn, &user.id).await?;
    conflict_with(conn, package, &held, &groups).await
}

/// What, of the packages and groups someone holds, `package` excludes.
async fn conflict_with(
    conn: &mut Conn,
    package: &AccessPackageId,
    held: &[String],
    groups: &[String],
) -> Result<Option<String>, StoreError> {
    if held.is_empty() && groups.is_empty() {
        return Ok(None);
    }
    let mut found: Vec<String> = Vec::new();
    for (id, name) in packages::incompatible_packages(conn, package).await? {
        if held.contains(&id) {
            found.push(format!("the access package {name}"));
        }
    }
    for (id, name) in packages::incompatible_groups(conn, package).await? {
        if groups.contains(&id) {
            found.push(format!("membership of the group {name}"));
        }
    }
    Ok((!found.is_empty()).then(|| {
        format!(
            "You hold {}, which is incompatible with this access package.",
            found.join(" and ")
        )
    }))
}

/// Facts for the messages about a request.
pub(crate) async fn facts(
    conn: &mut Conn,
    request_id: &str,
) -> Result<serde_json::Value, StoreError> {
    let r = requests::get(conn, request_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let package = packages::get(
        conn,
        &AccessPackageId::from_stored(r.access_package_id.clone()),
    )
    .await?
    .map(|p| p.display_name)
    .unwrap_or_default();
    let organization = match &r.connected_organization_id {
        Some(o) => store::connected_orgs::get(
            conn,
            &crate::domain::ids::ConnectedOrgId::from_stored(o.clone()),
        )
        .await?
        .map(|o| o.display_name)
        .unwrap_or_default(),
        None => String::new(),
    };
    Ok(facts_json(
        &r.id,
        &package,
        &r.target_display_name,
        &r.target_email,
        &organization,
        r.justification.as_deref().unwrap_or_default(),
        r.current_stage,
        r.schedule_start
            .as_deref()
            .and_then(|s| s.get(..10))
            .unwrap_or_default(),
    ))
}

/// What every message about a request carries (`notify::RequestFacts`).
#[allow(clippy::too_many_arguments)]
fn facts_json(
    id: &str,
    package: &str,
    requestor: &str,
    requestor_email: &str,
    organization: &str,
    justification: &str,
    stage: i64,
    starts: &str,
) -> serde_json::Value {
    json!({
        "request_id": id,
        "package": package,
        "requestor": requestor,
        "requestor_email": requestor_email,
        "organization": organization,
        "justification": justification,
        "stage": stage,
        "starts": starts,
    })
}

/// One approval email per approver of the stage that starts (`kind`: an
/// approval request, or one forwarded on escalation).
pub(crate) async fn notify_approvers(
    conn: &mut Conn,
    request_id: &str,
    approvers: &[String],
    kind: &str,
    decide_by: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut data = facts(conn, request_id).await?;
    data["decide_by"] = json!(decide_by.format("%Y-%m-%d").to_string());
    data["forwarded"] = json!(kind == crate::notify::kind::APPROVAL_FORWARDED);
    for (email, name) in contacts_of(conn, approvers).await? {
        store::outbox::enqueue(conn, kind, &email, &name, &data, now).await?;
    }
    Ok(())
}

/// Tells the requestor the outcome.
pub(crate) async fn notify_requestor(
    conn: &mut Conn,
    request_id: &str,
    kind: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut data = facts(conn, request_id).await?;
    data["reason"] = json!(reason.unwrap_or_default());
    let to = data["requestor_email"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = data["requestor"].as_str().unwrap_or_default().to_string();
    store::outbox::enqueue(conn, kind, &to, &name, &data, now).await
}
