//! The grant ledger: which resource roles people hold through their
//! assignments, granted and taken back set-based.
//!
//! A group, application or site is one resource however many catalogs hold
//! it, so "does anything else still grant this" compares resources by origin
//! (system and id) and role, never by catalog resource row. A membership an
//! administrator added by hand is marked `outside_assignments` and is never
//! taken back here.

use crate::domain::catalog::OriginSystem;
use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::Result;
use super::sql::{Conn, Rows};
use super::states::ACTIVE;
use crate::domain::ids::{AccessPackageId, UserId};

/// The people a grant statement gives roles to: `$1` is the package, `$2`
/// the person (for one holder) or the scope (for all holders of a scope).
enum Who {
    /// One person, of one package.
    Holder,
    /// Every active holder of the scope's package, of that scope only.
    HoldersOfScope,
}

impl Who {
    /// `FROM`/`WHERE` text giving rows `s` (scope), `r` (catalog resource)
    /// and `holder` (the user id).
    fn source(&self) -> String {
        match self {
            Who::Holder => "FROM access_package_resource_role_scopes s \
                 JOIN catalog_resources r ON r.id = s.catalog_resource_id \
                 CROSS JOIN (SELECT $2 AS user_id) holder WHERE s.access_package_id = $1"
                .into(),
            Who::HoldersOfScope => format!(
                "FROM access_package_resource_role_scopes s \
                 JOIN catalog_resources r ON r.id = s.catalog_resource_id \
                 JOIN (SELECT DISTINCT target_id AS user_id, access_package_id FROM access_package_assignments \
                 WHERE state IN {ACTIVE}) holder ON holder.access_package_id = s.access_package_id \
                 WHERE s.access_package_id = $1 AND s.id = $2"
            ),
        }
    }
}

/// The statements that grant each kind of resource role: directory objects
/// that no longer exist are skipped, roles already held stay as they are.
fn grant_statements(who: &Who) -> [String; 4] {
    let from = who.source();
    [
        format!(
            "INSERT INTO group_members (group_id, user_id, role, added_at, outside_assignments) \
             SELECT DISTINCT r.origin_id, holder.user_id, s.role_origin_id, $3, FALSE {from} \
             AND r.origin_system = 'AadGroup' AND s.role_origin_id IN ('member', 'owner') \
             AND EXISTS (SELECT 1 FROM groups g WHERE g.id = r.origin_id) ON CONFLICT DO NOTHING"
        ),
        format!(
            "INSERT INTO site_members (site_id, user_id, role, added_at, outside_assignments) \
             SELECT DISTINCT r.origin_id, holder.user_id, s.role_origin_id, $3, FALSE {from} \
             AND r.origin_system = 'SharePointOnline' AND s.role_origin_id IN ('member', 'owner', 'visitor') \
             AND EXISTS (SELECT 1 FROM sites x WHERE x.id = r.origin_id) ON CONFLICT DO NOTHING"
        ),
        format!(
            "INSERT INTO app_role_assignments (app_role_id, user_id, added_at, outside_assignments) \
             SELECT DISTINCT s.role_origin_id, holder.user_id, $3, FALSE {from} \
             AND r.origin_system = 'AadApplication' \
             AND EXISTS (SELECT 1 FROM app_roles x WHERE x.id = s.role_origin_id AND x.application_id = r.origin_id) \
             ON CONFLICT DO NOTHING"
        ),
        format!(
            "INSERT INTO app_default_access (application_id, user_id, added_at, outside_assignments) \
             SELECT DISTINCT r.origin_id, holder.user_id, $3, FALSE {from} \
             AND r.origin_system = 'AadApplication' AND s.role_origin_id = 'defaultAccess' \
             AND EXISTS (SELECT 1 FROM applications x WHERE x.id = r.origin_id) ON CONFLICT DO NOTHING"
        ),
    ]
}

async fn run_grants(
    conn: &mut Conn,
    who: Who,
    a: &str,
    b: &str,
    kinds: Option<&[OriginSystem]>,
    now: DateTime<Utc>,
) -> Result<()> {
    // Each statement grants one kind of resource: [groups, sites, app roles, default access].
    let kind_of = [
        OriginSystem::AadGroup,
        OriginSystem::SharePointOnline,
        OriginSystem::AadApplication,
        OriginSystem::AadApplication,
    ];
    let statements = grant_statements(&who);
    // PostgreSQL grants every kind, in one statement whatever their number:
    // `kinds` was read before the delivery waited for a change to the
    // package's roles (`packages::lock`), which may have added a kind. On
    // SQLite nothing changes meanwhile, and each kind left out saves a
    // statement.
    let kinds = kinds.filter(|_| super::sql::dialect(conn) == super::sql::Dialect::Sqlite);
    let wanted: Vec<&str> = statements
        .iter()
        .zip(kind_of)
        .filter(|(_, kind)| kinds.is_none_or(|k| k.contains(kind)))
        .map(|(sql, _)| sql.as_str())
        .collect();
    // PostgreSQL takes them as one statement, each a part of it.
    let sqls: Vec<String> = match (super::sql::dialect(conn), wanted.split_last()) {
        (super::sql::Dialect::Postgres, Some((last, rest))) if !rest.is_empty() => {
            let parts: Vec<String> = rest
                .iter()
                .enumerate()
                .map(|(i, sql)| format!("g{i} AS ({sql})"))
                .collect();
            vec![format!("WITH {} {last}", parts.join(", "))]
        }
        _ => wanted.iter().map(|s| s.to_string()).collect(),
    };
    for sql in &sqls {
        sqlx::query(sql)
            .bind(a)
            .bind(b)
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Grants each resource role of the package to the user; roles already held
/// stay. `kinds`: the kinds of resource the package has roles of (a statement
/// each).
pub async fn grant_package(
    conn: &mut Conn,
    package: &AccessPackageId,
    user: &UserId,
    kinds: &[OriginSystem],
    now: DateTime<Utc>,
) -> Result<()> {
    run_grants(
        conn,
        Who::Holder,
        package.as_str(),
        user.as_str(),
        Some(kinds),
        now,
    )
    .await
}

/// Grants a resource role just added to a package to the package's current holders.
pub async fn grant_scope_to_holders(
    conn: &mut Conn,
    package: &AccessPackageId,
    scope: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    run_grants(
        conn,
        Who::HoldersOfScope,
        package.as_str(),
        scope,
        None,
        now,
    )
    .await
}

/// Whether an active assignment of user `{user}` grants role `{role}` of the
/// resource `{system}`/`{id}` (SQL expressions), through any catalog.
pub(crate) fn still_granted(system: &str, id: &str, role: &str, user: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM catalog_resources orr \
         JOIN access_package_resource_role_scopes os ON os.catalog_resource_id = orr.id \
         JOIN access_package_assignments o ON o.access_package_id = os.access_package_id \
         WHERE orr.origin_system = {system} AND orr.origin_id = {id} AND os.role_origin_id = {role} \
         AND o.target_id = {user} AND o.state IN {ACTIVE})"
    )
}

/// Empties the working table of grants to take back (`ended_grants`),
/// creating it on first use in this connection.
pub(crate) async fn begin_take_back(conn: &mut Conn) -> Result<()> {
    super::sql::execute_all(
        conn,
        &[
            "CREATE TEMP TABLE IF NOT EXISTS ended_grants (origin_system TEXT NOT NULL, \
             origin_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL)",
            "DELETE FROM ended_grants",
        ],
    )
    .await
}

/// Takes back the grants collected in `ended_grants` from each kind of
/// resource, except memberships held outside assignments. Returns how many
/// memberships ended.
pub(crate) async fn take_back(conn: &mut Conn) -> Result<u64> {
    let mut removed = 0;
    for sql in [
        "DELETE FROM group_members WHERE outside_assignments = FALSE AND (group_id, user_id, role) IN \
         (SELECT origin_id, user_id, role FROM ended_grants WHERE origin_system = 'AadGroup')",
        "DELETE FROM site_members WHERE outside_assignments = FALSE AND (site_id, user_id, role) IN \
         (SELECT origin_id, user_id, role FROM ended_grants WHERE origin_system = 'SharePointOnline')",
        "DELETE FROM app_role_assignments WHERE outside_assignments = FALSE AND (app_role_id, user_id) IN \
         (SELECT role, user_id FROM ended_grants WHERE origin_system = 'AadApplication' \
          AND role <> 'defaultAccess')",
        "DELETE FROM app_default_access WHERE outside_assignments = FALSE AND (application_id, user_id) IN \
         (SELECT origin_id, user_id FROM ended_grants WHERE origin_system = 'AadApplication' \
          AND role = 'defaultAccess')",
    ] {
        removed += sqlx::query(sql).execute(&mut *conn).await?.rows_affected();
    }
    Ok(removed)
}

/// Takes a resource role just removed from a package (its scope row already
/// deleted) back from the package's holders who hold it through nothing else.
pub async fn take_back_scope(
    conn: &mut Conn,
    package: &AccessPackageId,
    origin_system: &str,
    origin_id: &str,
    role: &str,
) -> Result<u64> {
    begin_take_back(conn).await?;
    sqlx::query(&format!(
        "INSERT INTO ended_grants (origin_system, origin_id, user_id, role) \
         SELECT DISTINCT $2, $3, a.target_id, $4 FROM access_package_assignments a \
         WHERE a.access_package_id = $1 AND a.state IN {ACTIVE} AND NOT {}",
        still_granted("$2", "$3", "$4", "a.target_id")
    ))
    .bind(package.as_str())
    .bind(origin_system)
    .bind(origin_id)
    .bind(role)
    .execute(&mut *conn)
    .await?;
    take_back(conn).await
}

/// The names of the packages whose active assignments grant `user` the role
/// of the resource, through any catalog.
pub async fn granting_packages(
    conn: &mut Conn,
    origin_system: &str,
    origin_id: &str,
    role: &str,
    user: &UserId,
) -> Result<Vec<String>> {
    sqlx::query_scalar::<_, String>(&format!(
        "SELECT DISTINCT p.display_name FROM catalog_resources orr \
         JOIN access_package_resource_role_scopes os ON os.catalog_resource_id = orr.id \
         JOIN access_package_assignments o ON o.access_package_id = os.access_package_id \
         JOIN access_packages p ON p.id = o.access_package_id \
         WHERE orr.origin_system = $1 AND orr.origin_id = $2 AND os.role_origin_id = $3 \
         AND o.target_id = $4 AND o.state IN {ACTIVE} ORDER BY 1"
    ))
    .bind(origin_system)
    .bind(origin_id)
    .bind(role)
    .bind(user.as_str())
    .all(conn)
    .await
}

/// For each holder of a resource's roles, the packages that grant it:
/// (user id, role, package name), for the resource's page.
pub async fn reasons_for_resource(
    conn: &mut Conn,
    origin_system: &str,
    origin_id: &str,
) -> Result<Vec<(String, String, String)>> {
    sqlx::query_as::<_, (String, String, String)>(&format!(
        "SELECT DISTINCT o.target_id, os.role_origin_id, p.display_name FROM catalog_resources orr \
         JOIN access_package_resource_role_scopes os ON os.catalog_resource_id = orr.id \
         JOIN access_package_assignments o ON o.access_package_id = os.access_package_id \
         JOIN access_packages p ON p.id = o.access_package_id \
         WHERE orr.origin_system = $1 AND orr.origin_id = $2 AND o.state IN {ACTIVE} ORDER BY 3"
    ))
    .bind(origin_system)
    .bind(origin_id)
    .all(conn)
    .await
}
