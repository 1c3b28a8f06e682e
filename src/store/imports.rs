//! What importing from an LDAP directory reads and writes: the people and
//! groups a system imported, who is taken over from Gatehouse's own, and
//! each run's summary.

use chrono::{DateTime, Utc};

use super::{Conn, Result, map_err, ts};
use crate::domain::ids::{ConnectedSystemId, GroupId, UserId};

/// A person a system imported, as the import compares them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportedUser {
    pub id: String,
    pub external_id: Option<String>,
    pub email: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub employee_number: Option<String>,
    pub manager_id: Option<String>,
    pub state: String,
}

pub async fn users_of(conn: &mut Conn, system: &ConnectedSystemId) -> Result<Vec<ImportedUser>> {
    sqlx::query_as::<_, ImportedUser>(
        "SELECT id, external_id, email, display_name, given_name, surname, job_title, department, \
         employee_number, manager_id, state FROM users WHERE source_system = $1",
    )
    .bind(system.as_str())
    .fetch_all(conn)
    .await
    .map_err(map_err)
}

/// Marks a person as the system's: their entry's DN and employee number.
pub async fn claim_user(
    conn: &mut Conn,
    id: &UserId,
    system: &ConnectedSystemId,
    dn: &str,
    employee_number: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET source = 'ldap', source_system = $2, external_id = $3, employee_number = $4 WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(system.as_str())
    .bind(dn)
    .bind(employee_number)
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

pub async fn set_manager(
    conn: &mut Conn,
    id: &str,
    manager: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE users SET manager_id = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(manager)
        .bind(ts(now))
        .execute(conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// The groups a system imported: (id, DN, name).
pub async fn groups_of(
    conn: &mut Conn,
    system: &ConnectedSystemId,
) -> Result<Vec<(String, String, String)>> {
    sqlx::query_as(
        "SELECT id, COALESCE(external_id, ''), display_name FROM groups WHERE source_system = $1",
    )
    .bind(system.as_str())
    .fetch_all(conn)
    .await
    .map_err(map_err)
}

pub async fn claim_group(
    conn: &mut Conn,
    id: &GroupId,
    system: &ConnectedSystemId,
    dn: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE groups SET source = 'ldap', source_system = $2, external_id = $3 WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(system.as_str())
    .bind(dn)
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

pub async fn set_enabled(conn: &mut Conn, system: &ConnectedSystemId, enabled: bool) -> Result<()> {
    sqlx::query("UPDATE connected_systems SET import_enabled = $2 WHERE id = $1")
        .bind(system.as_str())
        .bind(enabled)
        .execute(conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// The last run: when, and its summary (JSON).
pub async fn last_run(
    conn: &mut Conn,
    system: &ConnectedSystemId,
) -> Result<Option<(String, String)>> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT imported_at, import_summary FROM connected_systems WHERE id = $1")
            .bind(system.as_str())
            .fetch_optional(conn)
            .await
            .map_err(map_err)?;
    Ok(row.and_then(|(at, s)| Some((at?, s?))))
}

pub async fn record(
    conn: &mut Conn,
    system: &ConnectedSystemId,
    summary: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE connected_systems SET imported_at = $2, import_summary = $3 WHERE id = $1")
        .bind(system.as_str())
        .bind(ts(now))
        .bind(summary)
        .execute(conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Systems whose daily import is due, each claimed by one instance.
pub async fn due(
    conn: &mut Conn,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ConnectedSystemId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE connected_systems SET imported_at = $2 WHERE import_enabled = TRUE \
         AND (imported_at IS NULL OR imported_at < $1) RETURNING id",
    )
    .bind(ts(before))
    .bind(ts(now))
    .fetch_all(conn)
    .await
    .map_err(map_err)?;
    Ok(ids
        .into_iter()
        .map(ConnectedSystemId::from_stored)
        .collect())
}
