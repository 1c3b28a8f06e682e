//! Set-based statements for the lifecycle jobs: one statement for a batch of
//! rows, where doing them one by one would cost a round trip each.

use crate::domain::custom_extension::Stage;
use crate::domain::ids::UserId;
use chrono::{DateTime, Utc};

use super::assignments::{AssignmentRow, SELECT};
use super::columns::ts;
use super::error::{Result, map_err};
use super::sql::{Conn, Rows, Statement};
use super::states::ACTIVE;

use super::sql::placeholders as list;

pub async fn assignments(conn: &mut Conn, ids: &[String]) -> Result<Vec<AssignmentRow>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!("{SELECT} WHERE a.id IN ({})", list(1, ids.len()));
    let mut q = sqlx::query_as::<_, AssignmentRow>(&sql);
    for id in ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(conn).await.map_err(map_err)
}

pub async fn set_reminded(conn: &mut Conn, ids: &[String], days: i64) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE access_package_assignments SET reminded_days = $1 WHERE id IN ({})",
        list(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(days);
    for id in ids {
        q = q.bind(id.clone());
    }
    q.execute(conn).await?;
    Ok(())
}

/// Ends up to `limit` assignments whose end has come, marking them with
/// `batch`. Returns how many.
pub async fn end_due(conn: &mut Conn, batch: &str, now: DateTime<Utc>, limit: i64) -> Result<u64> {
    let due = match super::sql::dialect(conn) {
        // SQLite finds each row by the rowid its index entry carries, instead
        // of one more lookup in the primary key's index per row.
        super::sql::Dialect::Sqlite => {
            "rowid IN (SELECT rowid FROM access_package_assignments \
             WHERE state = 'delivered' AND end_at <= $1 ORDER BY end_at, id LIMIT $3)"
        }
        // The holders are held too, as every change to what a person holds
        // holds them (`users::lock`): a delivery granting the same role at
        // this moment must not lose it to this batch, which cannot see that
        // delivery's assignment. Rows another instance or such a change
        // holds are skipped, not waited for, and taken by a later run; so
        // this never waits in a circle. (An assignment whose holder was
        // skipped may stay held until the batch commits: whoever wants it
        // waits for one batch.)
        super::sql::Dialect::Postgres => {
            "id IN (SELECT a.id FROM access_package_assignments a \
             JOIN users u ON u.id = a.target_id WHERE a.state = 'delivered' AND a.end_at <= $1 \
             ORDER BY a.end_at, a.id LIMIT $3 \
             FOR UPDATE OF a SKIP LOCKED FOR NO KEY UPDATE OF u SKIP LOCKED)"
        }
    };
    sqlx::query(&format!(
        "UPDATE access_package_assignments SET state = 'expired', end_reason = 'expired', ended_at = $1, \
         end_batch = $2 WHERE {due}"
    ))
    .bind(ts(now))
    .bind(batch)
    .bind(limit)
    .changed(conn)
    .await
}

/// Ends one assignment if it is still active, marking it with `batch`.
pub async fn end_one(
    conn: &mut Conn,
    batch: &str,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    end_where(conn, batch, ("id", id), reason, now).await
}

/// Ends the active assignments whose `column` is `value`, marking them with `batch`.
async fn end_where(
    conn: &mut Conn,
    batch: &str,
    (column, value): (&str, &str),
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    sqlx::query(&format!(
        "UPDATE access_package_assignments SET state = 'expired', end_reason = $3, ended_at = $4, \
         end_batch = $2 WHERE {column} = $1 AND state IN {ACTIVE}"
    ))
    .bind(value)
    .bind(batch)
    .bind(reason)
    .bind(ts(now))
    .changed(conn)
    .await
}

/// Ends those of the listed assignments that are still active, marking them
/// with `batch`. Returns how many.
pub async fn end_listed(
    conn: &mut Conn,
    batch: &str,
    ids: &[String],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "UPDATE access_package_assignments SET state = 'expired', end_reason = $2, ended_at = $3, \
         end_batch = $1 WHERE id IN ({}) AND state IN {ACTIVE}",
        list(4, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(batch).bind(reason).bind(ts(now));
    for id in ids {
        q = q.bind(id.as_str());
    }
    q.changed(conn).await
}

/// Ends every active assignment of one person (marked `batch`).
pub async fn end_all_of_user(
    conn: &mut Conn,
    batch: &str,
    user: &UserId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    end_where(conn, batch, ("target_id", user.as_str()), reason, now).await
}

/// Copies a batch's ended assignments (marked `batch`), with the holder's
/// address and name and the package's name, into a temporary table that the
/// statements finishing the batch read: each of them finding the batch's rows
/// again, all over the assignments table, cost a pass of random reads.
pub async fn collect_batch(conn: &mut Conn, batch: &str) -> Result<()> {
    super::sql::execute_all(
        conn,
        &[
            "CREATE TEMP TABLE IF NOT EXISTS ended_batch (id TEXT NOT NULL, target_id TEXT NOT NULL, \
             access_package_id TEXT NOT NULL, email TEXT, display_name TEXT, package_name TEXT, \
             notify BOOLEAN NOT NULL)",
            "DELETE FROM ended_batch",
        ],
    )
    .await?;
    sqlx::query(
        "INSERT INTO ended_batch (id, target_id, access_package_id, email, display_name, package_name, notify) \
         SELECT a.id, a.target_id, a.access_package_id, u.email, u.display_name, p.display_name, \
         ap.assignment_notifications \
         FROM access_package_assignments a JOIN users u ON u.id = a.target_id \
         JOIN access_packages p ON p.id = a.access_package_id \
         JOIN assignment_policies ap ON ap.id = a.policy_id WHERE a.end_batch = $1",
    )
    .bind(batch)
    .execute(&mut *conn)
    .await?;
    // PostgreSQL keeps no statistics of a temporary table unless asked, and
    // planned the statements reading it as if it were empty.
    if super::sql::dialect(conn) == super::sql::Dialect::Postgres {
        sqlx::query("ANALYZE ended_batch").execute(conn).await?;
    }
    Ok(())
}

/// Takes back what the collected batch (`collect_batch`) alone granted: the
/// (resource, user, role) they held that no other active assignment of the
/// same user grants, through any catalog. Those are worked out once into a
/// temporary table (`ended_grants`), and each kind of resource takes its own
/// from there; three passes over the batch, one per kind, took twice as long
/// on the benchmark database.
pub async fn revoke_batch(conn: &mut Conn) -> Result<()> {
    super::grants::begin_take_back(conn).await?;
    sqlx::query(&format!(
        "INSERT INTO ended_grants (origin_system, origin_id, user_id, role) \
         SELECT DISTINCT r.origin_system, r.origin_id, a.target_id, s.role_origin_id FROM ended_batch a \
         JOIN access_package_resource_role_scopes s ON s.access_package_id = a.access_package_id \
         JOIN catalog_resources r ON r.id = s.catalog_resource_id \
         WHERE NOT {}",
        super::grants::still_granted("r.origin_system", "r.origin_id", "s.role_origin_id", "a.target_id")
    ))
    .execute(&mut *conn)
    .await?;
    super::grants::take_back(conn).await?;
    Ok(())
}

/// (user, attribute) values the collected batch's packages required and do
/// not keep, and that no other active assignment of the user still requires.
pub async fn batch_attributes_not_kept(conn: &mut Conn) -> Result<Vec<(String, String)>> {
    sqlx::query_as::<_, (String, String)>(&format!(
        "SELECT DISTINCT a.target_id, ra.attribute_name FROM ended_batch a \
         JOIN access_package_resource_role_scopes s ON s.access_package_id = a.access_package_id \
         JOIN resource_attributes ra ON ra.catalog_resource_id = s.catalog_resource_id \
         WHERE ra.is_persisted_on_assignment_removal = $1 AND NOT EXISTS ( \
           SELECT 1 FROM access_package_assignments o \
           JOIN access_package_resource_role_scopes os ON os.access_package_id = o.access_package_id \
           JOIN resource_attributes ora ON ora.catalog_resource_id = os.catalog_resource_id \
           WHERE o.target_id = a.target_id AND o.state IN {ACTIVE} AND ora.name_lower = ra.name_lower)"
    ))
    .bind(false)
    .all(conn)
    .await
}

/// Queues "your access has ended" for each assignment of the collected batch
/// (`collect_batch`, marked `batch`) and, with
/// `audit_action`, its audit event by the system, built in the database (the
/// dialects differ only in how they make a JSON object). A message's id is
/// the batch's and the assignment's: the batch's messages then sit side by
/// side in the outbox's key, instead of each landing on a page of its own.
pub async fn finish_batch(
    conn: &mut Conn,
    batch: &str,
    reason: &str,
    audit_action: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (object, text) = match super::sql::dialect(conn) {
        super::sql::Dialect::Sqlite => ("json_object", ""),
        super::sql::Dialect::Postgres => ("json_build_object", "::text"),
    };
    let from = "FROM ended_batch a";
    // The extensions the assignments' policies call when access is removed.
    super::custom_extensions::queue_for_batch(conn, batch, Stage::AssignmentRemoved, now).await?;
    sqlx::query(&format!(
        "INSERT INTO mail_outbox (id, kind, to_address, to_name, data, created_at, next_attempt_at) \
         SELECT $1 || '.' || a.id, 'accessEnded', a.email, a.display_name, \
         {object}('package', a.package_name, 'requestor', a.display_name, 'requestor_email', a.email, \
                  'reason', $3){text}, $2, $2 {from} WHERE a.notify"
    ))
    .bind(batch)
    .bind(ts(now))
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    let Some(action) = audit_action else {
        return Ok(());
    };
    sqlx::query(&format!(
        "INSERT INTO audit_events (occurred_at, actor_id, actor_name, action, object_type, object_id, \
         object_name, details) SELECT $1, NULL, 'Gatehouse', $3, \
         'accessPackage', a.id, a.package_name, \
         {object}('assignment', a.id, 'user', a.email, 'package', a.package_name, 'reason', $2){text} {from}"
    ))
    .bind(ts(now))
    .bind(reason)
    .bind(action)
    .exec(conn)
    .await
}
