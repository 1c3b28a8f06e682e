//! What importing from an LDAP directory reads and writes: the people and
//! groups a system imported, who is taken over from Gatehouse's own, and
//! each run's summary.

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::{Result, StoreError};
use super::rows::{self, Val};
use super::sql::{Conn, Rows, Statement};
use super::users::folded;
use crate::domain::directory::GroupProfile;
use crate::domain::directory_import::Summary;
use crate::domain::ids::{ConnectedSystemId, GroupId, UserId};
use crate::domain::user::{UserProfile, UserState};

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
    #[sqlx(try_from = "String")]
    pub state: UserState,
}

pub async fn users_of(conn: &mut Conn, system: &ConnectedSystemId) -> Result<Vec<ImportedUser>> {
    sqlx::query_as::<_, ImportedUser>(
        "SELECT id, external_id, email, display_name, given_name, surname, job_title, department, \
         employee_number, manager_id, state FROM users WHERE source_system = $1",
    )
    .bind(system.as_str())
    .all(conn)
    .await
}

/// Who holds these (lower-cased) addresses: (address, id, source, manager).
pub async fn holders(
    conn: &mut Conn,
    emails: &[String],
) -> Result<Vec<(String, String, String, Option<String>)>> {
    rows::select_in(
        conn,
        "SELECT email_lower, id, source, manager_id FROM users WHERE email_lower IN ({list})",
        emails,
    )
    .await
}

/// A person the directory has and Gatehouse does not yet.
pub struct NewPerson {
    pub id: UserId,
    pub profile: UserProfile,
    pub dn: String,
    pub employee_number: Option<String>,
}

/// Inserts new people as the system's, many per statement (managers are
/// linked afterwards, once everyone exists).
pub async fn insert_people(
    conn: &mut Conn,
    system: &ConnectedSystemId,
    people: &[NewPerson],
    now: DateTime<Utc>,
) -> Result<()> {
    let at = ts(now);
    let rows: Vec<Vec<Val>> = people
        .iter()
        .map(|n| {
            let p = &n.profile;
            vec![
                n.id.as_str().into(),
                p.user_type.as_str().into(),
                p.display_name.clone().into(),
                p.display_name.to_lowercase().into(),
                p.given_name.clone().into(),
                p.surname.clone().into(),
                p.email.as_str().into(),
                p.email.normalized().into(),
                p.job_title.clone().into(),
                p.department.clone().into(),
                serde_json::to_string(&p.custom_attributes)
                    .unwrap_or_else(|_| "{}".into())
                    .into(),
                p.state.as_str().into(),
                at.clone().into(),
                at.clone().into(),
                "ldap".into(),
                system.as_str().into(),
                n.dn.clone().into(),
                n.employee_number.clone().into(),
                folded(&p.given_name).into(),
                folded(&p.surname).into(),
                folded(&p.job_title).into(),
                folded(&p.department).into(),
            ]
        })
        .collect();
    rows::insert(
        conn,
        "users",
        &[
            "id",
            "user_type",
            "display_name",
            "name_lower",
            "given_name",
            "surname",
            "email",
            "email_lower",
            "job_title",
            "department",
            "custom_attributes",
            "state",
            "created_at",
            "updated_at",
            "source",
            "source_system",
            "external_id",
            "employee_number",
            "given_name_lower",
            "surname_lower",
            "job_title_lower",
            "department_lower",
        ],
        &rows,
        "",
    )
    .await?;
    Ok(())
}

/// Sets each (person, manager) pair, many per statement.
pub async fn set_managers(
    conn: &mut Conn,
    pairs: &[(String, Option<String>)],
    now: DateTime<Utc>,
) -> Result<()> {
    let at = ts(now);
    let rows: Vec<Vec<Val>> = pairs
        .iter()
        .map(|(id, m)| vec![id.clone().into(), m.clone().into(), at.clone().into()])
        .collect();
    rows::update_from(
        conn,
        "UPDATE users SET manager_id = v.column2, updated_at = v.column3 \
         FROM (VALUES {values}) AS v WHERE users.id = v.column1",
        3,
        &rows,
    )
    .await?;
    Ok(())
}

/// Which of these (lower-cased) group names Gatehouse already has.
pub async fn group_names_taken(conn: &mut Conn, names: &[String]) -> Result<Vec<String>> {
    rows::select_in::<(String,)>(
        conn,
        "SELECT name_lower FROM groups WHERE name_lower IN ({list})",
        names,
    )
    .await
    .map(|v| v.into_iter().map(|(n,)| n).collect())
}

/// Inserts new groups as the system's, each with its entry's DN.
pub async fn insert_groups(
    conn: &mut Conn,
    system: &ConnectedSystemId,
    groups: &[(GroupId, GroupProfile, String)],
    now: DateTime<Utc>,
) -> Result<()> {
    let at = ts(now);
    let rows: Vec<Vec<Val>> = groups
        .iter()
        .map(|(id, p, dn)| {
            vec![
                id.as_str().into(),
                p.display_name.clone().into(),
                p.display_name.to_lowercase().into(),
                p.description.clone().into(),
                p.group_type.as_str().into(),
                at.clone().into(),
                at.clone().into(),
                "ldap".into(),
                system.as_str().into(),
                dn.clone().into(),
            ]
        })
        .collect();
    rows::insert(
        conn,
        "groups",
        &[
            "id",
            "display_name",
            "name_lower",
            "description",
            "group_type",
            "created_at",
            "updated_at",
            "source",
            "source_system",
            "external_id",
        ],
        &rows,
        "",
    )
    .await?;
    Ok(())
}

/// The members (role member) of every group the system imported, as the
/// directory (or someone by hand) holds them, not those only a package
/// grants: (group, user).
pub async fn members_of(
    conn: &mut Conn,
    system: &ConnectedSystemId,
) -> Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT m.group_id, m.user_id FROM group_members m JOIN groups g ON g.id = m.group_id \
         WHERE g.source_system = $1 AND m.role = 'member' AND m.outside_assignments = TRUE",
    )
    .bind(system.as_str())
    .all(conn)
    .await
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
    .exec(conn)
    .await
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
        .exec(conn)
        .await
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
    .all(conn)
    .await
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
    .exec(conn)
    .await
}

pub async fn set_enabled(conn: &mut Conn, system: &ConnectedSystemId, enabled: bool) -> Result<()> {
    sqlx::query("UPDATE connected_systems SET import_enabled = $2 WHERE id = $1")
        .bind(system.as_str())
        .bind(enabled)
        .exec(conn)
        .await
}

/// When the system's last import ran, and what it found and did; a summary
/// that no longer reads is a corrupt row.
pub async fn last_run(
    conn: &mut Conn,
    system: &ConnectedSystemId,
) -> Result<Option<(String, Summary)>> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT imported_at, import_summary FROM connected_systems WHERE id = $1")
            .bind(system.as_str())
            .fetch_optional(conn)
            .await?;
    let Some((Some(at), Some(json))) = row else {
        return Ok(None);
    };
    let summary = serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("import summary: {e}")))?;
    Ok(Some((at, summary)))
}

pub async fn record(
    conn: &mut Conn,
    system: &ConnectedSystemId,
    summary: &Summary,
    now: DateTime<Utc>,
) -> Result<()> {
    let summary = serde_json::to_string(summary)
        .map_err(|e| StoreError::Corrupt(format!("import summary: {e}")))?;
    sqlx::query("UPDATE connected_systems SET imported_at = $2, import_summary = $3 WHERE id = $1")
        .bind(system.as_str())
        .bind(ts(now))
        .bind(summary)
        .exec(conn)
        .await
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
    .await?;
    Ok(ids
        .into_iter()
        .map(ConnectedSystemId::from_stored)
        .collect())
}
