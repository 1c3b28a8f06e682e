//! The approval timers of a request waiting for approval: when its stage's
//! approvers are reminded, when it escalates and when it is denied for want
//! of a decision. They are a row of their own, apart from the request, so
//! that setting or clearing them never touches the request's indexes (its
//! row is then updated in place), and closed requests are in none of the
//! timers' indexes.
//!
//! On PostgreSQL they are written and removed in the statement that writes
//! the request; SQLite, which has no writing `WITH`, takes one more.

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::Result;
use super::sql::{Conn, Statement};
use crate::domain::ids::RequestId;

/// Sets the timers of the request's current stage.
pub async fn set_deadlines(
    conn: &mut Conn,
    id: &RequestId,
    remind_at: Option<DateTime<Utc>>,
    escalate_at: Option<DateTime<Utc>>,
    deny_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO request_timers (request_id, remind_at, escalate_at, deny_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (request_id) DO UPDATE SET remind_at = excluded.remind_at, \
         escalate_at = excluded.escalate_at, deny_at = excluded.deny_at",
    )
    .bind(id.as_str())
    .bind(remind_at.map(ts))
    .bind(escalate_at.map(ts))
    .bind(ts(deny_at))
    .exec(conn)
    .await
}

/// The current stage's approvers were reminded.
pub async fn mark_reminded(conn: &mut Conn, id: &RequestId) -> Result<()> {
    sqlx::query("UPDATE request_timers SET remind_at = NULL WHERE request_id = $1")
        .bind(id.as_str())
        .exec(conn)
        .await
}

/// The request stopped waiting for approval.
pub(super) async fn remove(conn: &mut Conn, id: &RequestId) -> Result<()> {
    sqlx::query("DELETE FROM request_timers WHERE request_id = $1")
        .bind(id.as_str())
        .exec(conn)
        .await
}

/// PostgreSQL: the part of a statement that sets the timers of the request
/// an earlier `r AS (INSERT ... RETURNING id)` wrote, reminder, escalation
/// and denial bound at `$first` and the two after it; none without a denial
/// time.
pub(super) fn insert_for_written(first: usize) -> String {
    let (remind, escalate, deny) = (first, first + 1, first + 2);
    format!(
        "INSERT INTO request_timers (request_id, remind_at, escalate_at, deny_at) \
         SELECT r.id, ${remind}, ${escalate}, ${deny} FROM r WHERE ${deny} IS NOT NULL"
    )
}

/// PostgreSQL: `update` (an `UPDATE` of one request, without `RETURNING`)
/// with the timers of the request it changed removed in the same
/// statement, which returns how many requests it changed.
pub(super) fn removed_with(update: &str) -> String {
    format!(
        "WITH moved AS ({update} RETURNING id), gone AS (DELETE FROM request_timers \
         WHERE request_id IN (SELECT id FROM moved)) SELECT COUNT(*) FROM moved"
    )
}
