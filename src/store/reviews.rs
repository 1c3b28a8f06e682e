//! Access reviews: each policy's settings, the reviews started from them,
//! the holders each one reviews with who may decide for them, and the
//! decisions; applying them is set-based (one statement for a whole review).

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::{Result, StoreError};
use super::rows::{self, Val};
use super::sql::{Conn, Rows, Statement, row_where};
use super::states::ACTIVE;
use crate::domain::assignment::AssignmentState;
use crate::domain::ids::{AccessPackageId, AssignmentId, PolicyId, ReviewId, UserId};
use crate::domain::review::{NoResponse, ReviewSettings, ReviewState};

fn decode(json: &str) -> Result<ReviewSettings> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("review settings: {e}")))
}

pub async fn settings_of(conn: &mut Conn, policy: &PolicyId) -> Result<Option<ReviewSettings>> {
    let json: Option<String> =
        sqlx::query_scalar("SELECT settings FROM policy_reviews WHERE policy_id = $1")
            .bind(policy.as_str())
            .fetch_optional(conn)
            .await?;
    json.as_deref().map(decode).transpose()
}

/// Turns a policy's reviews on (with these settings) or off (`None`).
pub async fn set_settings(
    conn: &mut Conn,
    policy: &PolicyId,
    settings: Option<&ReviewSettings>,
) -> Result<()> {
    match settings {
        None => {
            sqlx::query("DELETE FROM policy_reviews WHERE policy_id = $1")
                .bind(policy.as_str())
                .execute(conn)
                .await?;
        }
        Some(s) => {
            let json = super::columns::to_json("review settings", s)?;
            sqlx::query(
                "INSERT INTO policy_reviews (policy_id, settings) VALUES ($1, $2) \
                 ON CONFLICT (policy_id) DO UPDATE SET settings = excluded.settings",
            )
            .bind(policy.as_str())
            .bind(json)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// A policy whose reviews are on.
pub struct Scheduled {
    pub policy_id: PolicyId,
    pub package_id: AccessPackageId,
    pub settings: ReviewSettings,
    pub last_started: Option<String>,
}

pub async fn scheduled(conn: &mut Conn) -> Result<Vec<Scheduled>> {
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT r.policy_id, p.access_package_id, r.settings, r.last_started FROM policy_reviews r \
         JOIN assignment_policies p ON p.id = r.policy_id",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(policy_id, package_id, json, last_started)| {
            Ok(Scheduled {
                policy_id: PolicyId::from_stored(policy_id),
                package_id: AccessPackageId::from_stored(package_id),
                settings: decode(&json)?,
                last_started,
            })
        })
        .collect()
}

/// Takes the start of the policy's review of `day`: true for one caller only.
pub async fn claim_start(
    conn: &mut Conn,
    policy: &PolicyId,
    day: &str,
    period_starts: DateTime<Utc>,
) -> Result<bool> {
    // Nor a review of the policy started in this period already: the day
    // last started is forgotten when reviews are turned off and on again.
    sqlx::query(
        "UPDATE policy_reviews SET last_started = $2 WHERE policy_id = $1 \
         AND (last_started IS NULL OR last_started < $2) \
         AND NOT EXISTS (SELECT 1 FROM access_reviews a WHERE a.policy_id = $1 AND a.starts_at >= $3)",
    )
    .bind(policy.as_str())
    .bind(day)
    .bind(ts(period_starts))
    .changed_one(conn)
    .await
}

/// Someone holding an assignment under a policy, as a review starts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holder {
    pub assignment_id: String,
    pub user_id: String,
    pub user_type: String,
    pub manager_id: Option<String>,
    pub organization: Option<String>,
    pub last_sign_in_at: Option<String>,
}

pub async fn holders(conn: &mut Conn, policy: &PolicyId) -> Result<Vec<Holder>> {
    sqlx::query_as(&format!(
        "SELECT a.id AS assignment_id, a.target_id AS user_id, u.user_type, u.manager_id, \
         u.connected_organization_id AS organization, u.last_sign_in_at \
         FROM access_package_assignments a JOIN users u ON u.id = a.target_id \
         WHERE a.policy_id = $1 AND a.state IN {ACTIVE} ORDER BY a.id"
    ))
    .bind(policy.as_str())
    .all(conn)
    .await
}

/// The active members of these groups.
pub async fn members_of(conn: &mut Conn, groups: &[String]) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = rows::select_in(
        conn,
        "SELECT DISTINCT m.user_id FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.role = 'member' AND u.state = 'active' AND m.group_id IN ({list})",
        groups,
    )
    .await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

/// The sponsors (internal and external) of these organizations: (org, user).
pub async fn sponsors_of(conn: &mut Conn, orgs: &[String]) -> Result<Vec<(String, String)>> {
    rows::select_in(
        conn,
        "SELECT connected_organization_id, user_id FROM connected_organization_sponsors \
         WHERE connected_organization_id IN ({list})",
        orgs,
    )
    .await
}

/// Which of these users are active.
pub async fn active_of(conn: &mut Conn, users: &[String]) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = rows::select_in(
        conn,
        "SELECT id FROM users WHERE state = 'active' AND id IN ({list})",
        users,
    )
    .await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

/// A review being started, with its holders and their reviewers.
pub struct NewReview<'a> {
    pub id: &'a ReviewId,
    pub policy_id: &'a PolicyId,
    pub package_id: &'a AccessPackageId,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub settings: &'a ReviewSettings,
    /// (assignment, holder, recommendation).
    pub items: Vec<(String, String, &'static str)>,
    /// (assignment, reviewer).
    pub reviewers: Vec<(String, String)>,
}

pub async fn insert(conn: &mut Conn, r: &NewReview<'_>, now: DateTime<Utc>) -> Result<()> {
    let json = super::columns::to_json("review settings", r.settings)?;
    sqlx::query(
        "INSERT INTO access_reviews (id, policy_id, access_package_id, starts_at, ends_at, settings, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'inProgress', $7)",
    )
    .bind(r.id.as_str())
    .bind(r.policy_id.as_str())
    .bind(r.package_id.as_str())
    .bind(ts(r.starts))
    .bind(ts(r.ends))
    .bind(json)
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    let items: Vec<Vec<Val>> = r
        .items
        .iter()
        .map(|(a, h, rec)| {
            vec![
                r.id.as_str().into(),
                a.clone().into(),
                h.clone().into(),
                (*rec).into(),
            ]
        })
        .collect();
    rows::insert(
        conn,
        "access_review_items",
        &["review_id", "assignment_id", "holder_id", "recommendation"],
        &items,
        "",
    )
    .await?;
    let reviewers: Vec<Vec<Val>> = r
        .reviewers
        .iter()
        .map(|(a, u)| vec![r.id.as_str().into(), a.clone().into(), u.clone().into()])
        .collect();
    rows::insert(
        conn,
        "access_review_reviewers",
        &["review_id", "assignment_id", "user_id"],
        &reviewers,
        "ON CONFLICT DO NOTHING",
    )
    .await?;
    Ok(())
}

/// A review, with its package, policy and progress.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    #[sqlx(try_from = "String")]
    pub id: ReviewId,
    #[sqlx(try_from = "String")]
    pub policy_id: PolicyId,
    #[sqlx(try_from = "String")]
    pub access_package_id: AccessPackageId,
    pub package_name: String,
    pub policy_name: String,
    pub starts_at: String,
    pub ends_at: String,
    pub settings: String,
    #[sqlx(try_from = "String")]
    pub state: ReviewState,
    pub reminded: i64,
    pub ended_at: Option<String>,
    pub applied_at: Option<String>,
    pub decided: i64,
    pub total: i64,
}

impl ReviewRow {
    pub fn settings(&self) -> Result<ReviewSettings> {
        decode(&self.settings)
    }
}

const REVIEW: &str = "SELECT r.id, r.policy_id, r.access_package_id, p.display_name AS package_name, \
    ap.display_name AS policy_name, r.starts_at, r.ends_at, r.settings, r.state, r.reminded, r.ended_at, \
    r.applied_at, \
    (SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = r.id AND i.decision IS NOT NULL) AS decided, \
    (SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = r.id) AS total \
    FROM access_reviews r JOIN access_packages p ON p.id = r.access_package_id \
    JOIN assignment_policies ap ON ap.id = r.policy_id";

pub async fn get(conn: &mut Conn, id: &ReviewId) -> Result<Option<ReviewRow>> {
    row_where(conn, REVIEW, "r.id", id.as_str()).await
}

pub async fn of_package(conn: &mut Conn, package: &AccessPackageId) -> Result<Vec<ReviewRow>> {
    sqlx::query_as(&format!(
        "{REVIEW} WHERE r.access_package_id = $1 ORDER BY r.starts_at DESC, r.id"
    ))
    .bind(package.as_str())
    .all(conn)
    .await
}

/// The reviews in progress where `user` has holders to review.
pub async fn waiting_for(conn: &mut Conn, user: &str) -> Result<Vec<ReviewRow>> {
    sqlx::query_as(&format!(
        "{REVIEW} WHERE r.state = 'inProgress' AND r.id IN \
         (SELECT review_id FROM access_review_reviewers WHERE user_id = $1) ORDER BY r.ends_at, r.id"
    ))
    .bind(user)
    .all(conn)
    .await
}

/// A holder under review, as the pages show them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    #[sqlx(try_from = "String")]
    pub assignment_id: AssignmentId,
    #[sqlx(try_from = "String")]
    pub holder_id: UserId,
    pub holder_name: String,
    pub holder_email: String,
    pub since: String,
    pub last_sign_in_at: Option<String>,
    pub recommendation: String,
    pub decision: Option<String>,
    pub decided_by_name: Option<String>,
    pub reason: Option<String>,
    pub decided_at: Option<String>,
    pub outcome: Option<String>,
    #[sqlx(try_from = "String")]
    pub assignment_state: AssignmentState,
}

impl ItemRow {
    /// Whether the assignment ended meanwhile (it needs no decision).
    pub fn ended(&self) -> bool {
        self.assignment_state == AssignmentState::Expired
    }
}

/// The holders of a review; `reviewer`: only those they review.
pub async fn items(conn: &mut Conn, review: &str, reviewer: Option<&str>) -> Result<Vec<ItemRow>> {
    let mine = if reviewer.is_some() {
        "AND EXISTS (SELECT 1 FROM access_review_reviewers v WHERE v.review_id = i.review_id \
         AND v.assignment_id = i.assignment_id AND v.user_id = $2)"
    } else {
        "AND $2 = $2"
    };
    sqlx::query_as(&format!(
        "SELECT i.assignment_id, i.holder_id, u.display_name AS holder_name, u.email AS holder_email, \
         COALESCE(a.start_at, a.created_at) AS since, u.last_sign_in_at, i.recommendation, i.decision, \
         d.display_name AS decided_by_name, i.reason, i.decided_at, i.outcome, a.state AS assignment_state \
         FROM access_review_items i JOIN users u ON u.id = i.holder_id \
         JOIN access_package_assignments a ON a.id = i.assignment_id \
         LEFT JOIN users d ON d.id = i.decided_by \
         WHERE i.review_id = $1 {mine} ORDER BY u.name_lower, i.assignment_id"
    ))
    .bind(review)
    .bind(reviewer.unwrap_or(""))
    .all(conn)
    .await
}

/// Records a reviewer's decision for a holder: only the first, only by one
/// of the holder's reviewers. False when it was not recorded.
pub async fn decide(
    conn: &mut Conn,
    review: &str,
    assignment: &str,
    reviewer: &str,
    verdict: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    sqlx::query(
        "UPDATE access_review_items SET decision = $4, decided_by = $3, reason = $5, decided_at = $6 \
         WHERE review_id = $1 AND assignment_id = $2 AND decision IS NULL AND EXISTS \
         (SELECT 1 FROM access_review_reviewers v WHERE v.review_id = $1 AND v.assignment_id = $2 AND v.user_id = $3)",
    )
    .bind(review)
    .bind(assignment)
    .bind(reviewer)
    .bind(verdict)
    .bind(reason.map(str::to_string))
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// Reviews whose end has come, each taken by one caller only (completed).
pub async fn take_ended(conn: &mut Conn, now: DateTime<Utc>) -> Result<Vec<ReviewId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE access_reviews SET state = 'completed', ended_at = $1 WHERE id IN \
         (SELECT id FROM access_reviews WHERE state = 'inProgress' AND ends_at <= $1 ORDER BY ends_at LIMIT 20) \
         AND state = 'inProgress' RETURNING id",
    )
    .bind(ts(now))
    .all(conn)
    .await?;
    Ok(ids.into_iter().map(ReviewId::from_stored).collect())
}

/// Holds an open review's row until the transaction ends: false when it is
/// not open (any more). Decisions take it first, and ending or applying the
/// review changes the row first, so a decision is either in before the
/// review ends (and counted by it) or refused.
pub async fn hold_open(conn: &mut Conn, review: &str) -> Result<bool> {
    sqlx::query("UPDATE access_reviews SET state = state WHERE id = $1 AND state = 'inProgress'")
        .bind(review)
        .changed_one(conn)
        .await
}

/// Moves a review from `from` to `to`; false when it was not in `from`.
pub async fn move_state(
    conn: &mut Conn,
    review: &str,
    from: ReviewState,
    to: ReviewState,
    now: DateTime<Utc>,
) -> Result<bool> {
    sqlx::query(
        "UPDATE access_reviews SET state = $3, \
         ended_at = COALESCE(ended_at, $4), applied_at = CASE WHEN $3 = 'applied' THEN $4 ELSE applied_at END \
         WHERE id = $1 AND state = $2",
    )
    .bind(review)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// The decision each holder gets: the reviewer's, else what the setting
/// says for the undecided (SQL over `i`).
fn verdict_sql(no_response: NoResponse) -> &'static str {
    match no_response {
        NoResponse::NoChange => "i.decision",
        NoResponse::RemoveAccess => "COALESCE(i.decision, 'deny')",
        NoResponse::ApproveAccess => "COALESCE(i.decision, 'approve')",
        NoResponse::TakeRecommendations => "COALESCE(i.decision, i.recommendation)",
    }
}

/// Applies a review: ends (marked `batch`) the active assignments whose
/// holder is denied, and records what happened to each holder. Returns how
/// many assignments ended.
pub async fn apply(
    conn: &mut Conn,
    review: &str,
    no_response: NoResponse,
    batch: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let verdict = verdict_sql(no_response);
    let ended = sqlx::query(&format!(
        "UPDATE access_package_assignments SET state = 'expired', end_reason = 'accessReview', ended_at = $3, \
         end_batch = $2 WHERE state IN {ACTIVE} AND id IN \
         (SELECT i.assignment_id FROM access_review_items i WHERE i.review_id = $1 AND {verdict} = 'deny')"
    ))
    .bind(review)
    .bind(batch)
    .bind(ts(now))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE access_review_items SET outcome = (SELECT CASE \
           WHEN a.end_batch = $2 THEN 'removed' WHEN a.state = 'expired' THEN 'ended' ELSE 'kept' END \
           FROM access_package_assignments a WHERE a.id = access_review_items.assignment_id) \
         WHERE review_id = $1",
    )
    .bind(review)
    .bind(batch)
    .execute(conn)
    .await?;
    Ok(ended)
}

/// Holds every person the reviews list (`users::lock_all`), before they
/// are applied: a delivery granting one of them a role the review takes
/// back then comes wholly before or after, and is seen.
pub async fn lock_holders(conn: &mut Conn, reviews: &[ReviewId]) -> Result<()> {
    let keys: Vec<&str> = reviews.iter().map(ReviewId::as_str).collect();
    let people = format!(
        "SELECT a.target_id FROM access_review_items i \
         JOIN access_package_assignments a ON a.id = i.assignment_id WHERE i.review_id IN ({})",
        super::sql::placeholders(1, keys.len())
    );
    super::users::lock_all(conn, &people, &keys).await
}

/// Reviews in progress, for their reminders: (id, starts, ends, sent).
pub async fn in_progress(conn: &mut Conn) -> Result<Vec<(String, String, String, i64)>> {
    sqlx::query_as(
        "SELECT id, starts_at, ends_at, reminded FROM access_reviews WHERE state = 'inProgress'",
    )
    .all(conn)
    .await
}

/// Takes the sending of a review's reminders from `sent` to `to`: true for
/// one caller only.
pub async fn claim_reminder(
    conn: &mut Conn,
    review: &ReviewId,
    sent: i64,
    to: i64,
) -> Result<bool> {
    sqlx::query(
        "UPDATE access_reviews SET reminded = $3 WHERE id = $1 AND reminded = $2 AND state = 'inProgress'",
    )
    .bind(review.as_str())
    .bind(sent)
    .bind(to)
    .changed_one(conn)
    .await
}

/// The reviewers of a review (only those with holders left to decide, when
/// `pending`): (id, address, name).
pub async fn reviewers(
    conn: &mut Conn,
    review: &str,
    pending: bool,
) -> Result<Vec<(String, String, String)>> {
    let left = if pending {
        "AND EXISTS (SELECT 1 FROM access_review_items i WHERE i.review_id = v.review_id \
         AND i.assignment_id = v.assignment_id AND i.decision IS NULL)"
    } else {
        ""
    };
    sqlx::query_as(&format!(
        "SELECT DISTINCT u.id, u.email, u.display_name FROM access_review_reviewers v \
         JOIN users u ON u.id = v.user_id WHERE v.review_id = $1 {left}"
    ))
    .bind(review)
    .all(conn)
    .await
}
