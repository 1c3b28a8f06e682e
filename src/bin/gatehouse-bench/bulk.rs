//! Bulk loading for the benchmark's data generator: many rows per statement,
//! in one transaction per call.

use gatehouse::store::{Conn, ts};

type Result<T> = std::result::Result<T, sqlx::Error>;

pub use gatehouse::store::rows::Val;

/// Inserts `rows` (each with one value per column) into `table`; `columns`
/// as a statement lists them ("id, name").
pub async fn insert(
    conn: &mut Conn,
    table: &str,
    columns: &str,
    rows: &[Vec<Val>],
) -> anyhow::Result<()> {
    let columns: Vec<&str> = columns.split(',').map(str::trim).collect();
    gatehouse::store::rows::insert(conn, table, &columns, rows, "").await?;
    Ok(())
}

/// Updates the planner's statistics after a load.
pub async fn analyze(conn: &mut Conn) -> Result<()> {
    sqlx::query("ANALYZE").execute(conn).await?;
    Ok(())
}

/// Moves the end of `n` active assignments to `end` (the batch benchmark's
/// setup: that many expire, or fall into a reminder window, at once).
pub async fn set_ends(conn: &mut Conn, n: i64, end: chrono::DateTime<chrono::Utc>) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE access_package_assignments SET end_at = $1, reminded_days = NULL WHERE id IN \
         (SELECT id FROM access_package_assignments WHERE state = 'delivered' AND end_at > $1 \
          ORDER BY id LIMIT $2)",
    )
    .bind(ts(end))
    .bind(n)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The ids of the users with these addresses, in their order.
pub async fn user_ids(conn: &mut Conn, emails: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(emails.len());
    for chunk in emails.chunks(500) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT email_lower, id FROM users WHERE email_lower IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for e in chunk {
            q = q.bind(e.clone());
        }
        let found: std::collections::HashMap<String, String> =
            q.fetch_all(&mut *conn).await?.into_iter().collect();
        for e in chunk {
            if let Some(id) = found.get(e) {
                out.push(id.clone());
            }
        }
    }
    Ok(out)
}

/// Every package with its first policy: (package id, name, policy id).
pub async fn packages_with_policy(conn: &mut Conn) -> Result<Vec<(String, String, String)>> {
    sqlx::query_as::<_, (String, String, String)>(
        "SELECT p.id, p.display_name, ap.id FROM access_packages p JOIN assignment_policies ap \
         ON ap.access_package_id = p.id WHERE ap.display_name = 'Employees' ORDER BY p.id",
    )
    .fetch_all(conn)
    .await
}

/// How many requests are in this state.
pub async fn count_requests(conn: &mut Conn, state: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM assignment_requests WHERE state = $1")
        .bind(state)
        .fetch_one(conn)
        .await
}

/// After a load on SQLite: folds the write-ahead log into the database file,
/// so that the benchmark does not read through a log of a gigabyte.
pub async fn checkpoint(conn: &mut Conn) -> Result<()> {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(conn)
        .await?;
    Ok(())
}
