//! Access package assignments: who holds which package, until when, and the
//! queries the lifecycle jobs use to find what falls due.

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::Result;
use super::page::{Page, PageAt};
use super::sql::{Conn, Rows, Statement, row_where};
use crate::domain::assignment::{AssignmentFilter, AssignmentState};
use crate::domain::ids::{AccessPackageId, AssignmentId, PolicyId, UserId};
use crate::domain::request::EndReason;

use super::states::ACTIVE;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    #[sqlx(try_from = "String")]
    pub id: AssignmentId,
    #[sqlx(try_from = "String")]
    pub access_package_id: AccessPackageId,
    pub package_name: String,
    #[sqlx(try_from = "String")]
    pub policy_id: PolicyId,
    pub policy_name: String,
    #[sqlx(try_from = "String")]
    pub target_id: UserId,
    pub target_name: String,
    pub target_email: String,
    #[sqlx(try_from = "String")]
    pub state: AssignmentState,
    pub start_at: Option<String>,
    pub end_at: Option<String>,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    pub created_at: String,
    /// Whether the holder is a guest whose account Gatehouse does not
    /// govern (the guest lifecycle leaves it alone).
    #[sqlx(try_from = "super::columns::Flag")]
    pub ungoverned_guest: bool,
}

impl AssignmentRow {
    pub fn is_active(&self) -> bool {
        self.state.is_active()
    }
    /// The state as an administrator reads it.
    pub fn state_text(&self) -> &'static str {
        let reason = self.end_reason.as_deref().and_then(EndReason::parse);
        self.state.label_ended(reason)
    }
}

pub(crate) const SELECT: &str = "SELECT a.id, a.access_package_id, p.display_name AS package_name, a.policy_id, \
     ap.display_name AS policy_name, a.target_id, u.display_name AS target_name, u.email AS target_email, \
     a.state, a.start_at, a.end_at, a.ended_at, a.end_reason, a.created_at, \
     (u.user_type = 'guest' AND u.lifecycle = 'notGoverned') AS ungoverned_guest \
     FROM access_package_assignments a JOIN access_packages p ON p.id = a.access_package_id \
     JOIN assignment_policies ap ON ap.id = a.policy_id JOIN users u ON u.id = a.target_id";

/// The filter by state the Assignments tab offers.
fn state_clause(state: Option<AssignmentFilter>) -> String {
    match state {
        Some(AssignmentFilter::Active) => format!(" AND a.state IN {ACTIVE}"),
        Some(AssignmentFilter::Expired) => {
            " AND a.state = 'expired' AND COALESCE(a.end_reason, 'expired') = 'expired'".into()
        }
        Some(AssignmentFilter::Removed) => {
            let reasons: Vec<String> = EndReason::REMOVALS
                .iter()
                .map(|r| format!("'{}'", r.as_str()))
                .collect();
            format!(
                " AND a.state = 'expired' AND a.end_reason IN ({})",
                reasons.join(", ")
            )
        }
        Some(AssignmentFilter::Failed) => " AND a.state = 'deliveryFailed'".into(),
        None => String::new(),
    }
}

pub async fn for_package(
    conn: &mut Conn,
    package: &AccessPackageId,
    state: Option<AssignmentFilter>,
    at: PageAt,
) -> Result<Page<AssignmentRow>> {
    let filter = state_clause(state);
    let count = format!(
        "SELECT COUNT(*) FROM access_package_assignments a WHERE a.access_package_id = $1{filter}"
    );
    let list = format!(
        "{SELECT} WHERE a.access_package_id = $1{filter} ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3"
    );
    super::page::page_of(conn, &count, &list, package.as_str(), at).await
}

/// Every assignment of the package (for the CSV export), in the tab's order.
pub async fn all_for_package(
    conn: &mut Conn,
    package: &AccessPackageId,
    state: Option<AssignmentFilter>,
) -> Result<Vec<AssignmentRow>> {
    sqlx::query_as::<_, AssignmentRow>(&format!(
        "{SELECT} WHERE a.access_package_id = $1{} ORDER BY u.name_lower, a.created_at DESC, a.id",
        state_clause(state)
    ))
    .bind(package.as_str())
    .all(conn)
    .await
}

pub async fn get(conn: &mut Conn, id: &AssignmentId) -> Result<Option<AssignmentRow>> {
    row_where(conn, SELECT, "a.id", id.as_str()).await
}

/// The user's active assignment of the package, if any.
pub async fn active_for(
    conn: &mut Conn,
    user: &UserId,
    package: &AccessPackageId,
) -> Result<Option<AssignmentRow>> {
    sqlx::query_as::<_, AssignmentRow>(&format!(
        "{SELECT} WHERE a.target_id = $1 AND a.access_package_id = $2 AND a.state IN {ACTIVE} \
         ORDER BY a.created_at DESC LIMIT 1"
    ))
    .bind(user.as_str())
    .bind(package.as_str())
    .optional(conn)
    .await
}

/// The active assignments an automatic policy gave: (assignment id,
/// holder, since when the holder no longer matches its rule).
pub async fn active_of_policy(
    conn: &mut Conn,
    policy: &PolicyId,
) -> Result<Vec<(String, UserId, Option<String>)>> {
    let rows = sqlx::query_as::<_, (String, String, Option<String>)>(&format!(
        "SELECT id, target_id, out_of_scope_since FROM access_package_assignments \
         WHERE policy_id = $1 AND state IN {ACTIVE} ORDER BY created_at, id"
    ))
    .bind(policy.as_str())
    .all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, user, since)| (id, UserId::from_stored(user), since))
        .collect())
}

/// Records when the holders of these active automatic assignments stopped
/// matching their rule, or (`None`) that they match again: 500 at a time.
pub async fn set_out_of_scope(
    conn: &mut Conn,
    ids: &[String],
    since: Option<DateTime<Utc>>,
) -> Result<()> {
    for chunk in ids.chunks(500) {
        let sql = format!(
            "UPDATE access_package_assignments SET out_of_scope_since = $1 \
             WHERE id IN ({}) AND state IN {ACTIVE}",
            super::sql::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(since.map(ts));
        for id in chunk {
            q = q.bind(id.clone());
        }
        q.exec(&mut *conn).await?;
    }
    Ok(())
}

/// What these people hold that separation of duties looks at: (user,
/// package held) and (user, group they are a member of), in two queries.
pub async fn holdings_of(
    conn: &mut Conn,
    users: &[String],
) -> Result<(Vec<(String, String)>, Vec<(String, String)>)> {
    let packages = super::rows::select_in(
        conn,
        &format!(
            "SELECT target_id, access_package_id FROM access_package_assignments \
             WHERE state IN {ACTIVE} AND target_id IN ({{list}})"
        ),
        users,
    )
    .await?;
    let groups = super::rows::select_in(
        conn,
        "SELECT user_id, group_id FROM group_members WHERE role = 'member' AND user_id IN ({list})",
        users,
    )
    .await?;
    Ok((packages, groups))
}

/// Forgets when the holders of a policy's assignments stopped matching its
/// rule: a policy enabled again counts grace periods from now.
pub async fn clear_out_of_scope(conn: &mut Conn, policy: &PolicyId) -> Result<()> {
    sqlx::query(
        "UPDATE access_package_assignments SET out_of_scope_since = NULL \
         WHERE policy_id = $1 AND out_of_scope_since IS NOT NULL",
    )
    .bind(policy.as_str())
    .exec(conn)
    .await
}

/// The people who hold the package, or have an open request for it: those
/// an automatic policy does not assign again.
pub async fn holders_or_requesting(
    conn: &mut Conn,
    package: &AccessPackageId,
) -> Result<std::collections::HashSet<UserId>> {
    let rows = sqlx::query_scalar::<_, String>(&format!(
        "SELECT target_id FROM access_package_assignments \
         WHERE access_package_id = $1 AND state IN {ACTIVE} \
         UNION SELECT target_id FROM assignment_requests \
         WHERE access_package_id = $1 AND target_id IS NOT NULL AND phase = 'open'"
    ))
    .bind(package.as_str())
    .all(conn)
    .await?;
    Ok(rows.into_iter().map(UserId::from_stored).collect())
}

/// A new end date (an extension): the reminders start over.
/// Sets the end of an assignment that is still active; false when it has
/// ended meanwhile (an extension never brings it back).
pub async fn set_end(
    conn: &mut Conn,
    id: &AssignmentId,
    end: Option<DateTime<Utc>>,
) -> Result<bool> {
    sqlx::query(&format!(
        "UPDATE access_package_assignments SET end_at = $2, reminded_days = NULL \
         WHERE id = $1 AND state IN {ACTIVE}"
    ))
    .bind(id.as_str())
    .bind(end.map(ts))
    .changed_one(conn)
    .await
}

/// Moves an assignment that is still active to `state` (one of the active
/// states); false when it has ended meanwhile, which nothing brings back.
/// On PostgreSQL the update also holds the row until commit, so an
/// expiration running at the same moment waits and sees the outcome.
pub async fn set_active_state(
    conn: &mut Conn,
    id: &AssignmentId,
    state: AssignmentState,
) -> Result<bool> {
    sqlx::query(&format!(
        "UPDATE access_package_assignments SET state = $2 WHERE id = $1 AND state IN {ACTIVE}"
    ))
    .bind(id.as_str())
    .bind(state.as_str())
    .changed_one(conn)
    .await
}

/// Active assignments ending within `days` that have not had that reminder,
/// after `after` (end, id) in (end, id) order: a job pages through the window
/// instead of rereading the rows it has already reminded.
pub async fn due_reminders(
    conn: &mut Conn,
    now: DateTime<Utc>,
    days: i64,
    after: Option<&(String, String)>,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    let lock = super::sql::dialect(conn).skip_locked();
    let (after_end, after_id) = after.map_or(("", ""), |(e, i)| (e.as_str(), i.as_str()));
    sqlx::query_as::<_, (String, String)>(&format!(
        "SELECT id, end_at FROM access_package_assignments WHERE state = 'delivered' AND end_at > $1 \
         AND end_at <= $2 AND (end_at, id) > ($5, $6) \
         AND (reminded_days IS NULL OR reminded_days > $3) \
         ORDER BY end_at, id LIMIT $4{lock}"
    ))
    .bind(ts(now))
    .bind(ts(now + chrono::Duration::days(days)))
    .bind(days)
    .bind(limit)
    .bind(after_end)
    .bind(after_id)
    .all(conn)
    .await
}

/// Every assignment of a person, newest first (My Access: active and ended).
pub async fn of_target(conn: &mut Conn, user: &UserId) -> Result<Vec<AssignmentRow>> {
    sqlx::query_as::<_, AssignmentRow>(&format!(
        "{SELECT} WHERE a.target_id = $1 ORDER BY a.created_at DESC, a.id LIMIT 500"
    ))
    .bind(user.as_str())
    .all(conn)
    .await
}
