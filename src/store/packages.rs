//! Access packages and their resource role scopes.

use chrono::{DateTime, Utc};

use super::catalog_roles::scope_filter;
use super::columns::{Flag, ts};
use super::error::Result;
use super::page::PageAt;
use super::sql::{Conn, Rows, Statement};
use crate::domain::catalog_role::CatalogScope;
use crate::domain::ids::{AccessPackageId, CatalogId, RoleScopeId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageRow {
    #[sqlx(try_from = "String")]
    pub id: AccessPackageId,
    #[sqlx(try_from = "String")]
    pub catalog_id: CatalogId,
    pub display_name: String,
    pub description: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub is_hidden: bool,
}

pub async fn insert(
    conn: &mut Conn,
    id: &AccessPackageId,
    catalog: &CatalogId,
    name: &str,
    description: Option<&str>,
    hidden: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO access_packages (id, catalog_id, display_name, name_lower, description, is_hidden, created_at, \
         updated_at) VALUES ($1, $2, $3, $7, $4, $5, $6, $6)",
    )
    .bind(id.as_str())
    .bind(catalog.as_str())
    .bind(name)
    .bind(description.map(str::to_string))
    .bind(hidden)
    .bind(ts(now))
    .bind(name.to_lowercase())
    .exec(conn)
    .await
}

pub async fn get(conn: &mut Conn, id: &AccessPackageId) -> Result<Option<PackageRow>> {
    sqlx::query_as::<_, PackageRow>(
        "SELECT id, catalog_id, display_name, description, is_hidden FROM access_packages WHERE id = $1",
    )
    .bind(id.as_str())
    .optional(conn)
    .await
}

/// A row of the access packages list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageListRow {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub is_hidden: bool,
    pub catalog_id: String,
    pub catalog_name: String,
    pub policy_count: i64,
    pub assignment_count: i64,
}

pub async fn search(
    conn: &mut Conn,
    scope: &CatalogScope,
    q: &str,
    at: PageAt,
) -> Result<super::page::Page<PackageListRow>> {
    let (held_by, count_held, list_held) = scope_filter(scope, "catalog_id", "p.catalog_id");
    let count = format!(
        "SELECT COUNT(*) FROM access_packages WHERE name_lower LIKE $1 ESCAPE '\\'{count_held}"
    );
    let list = format!(
        "SELECT p.id, p.display_name, p.description, p.is_hidden, p.catalog_id, c.display_name AS catalog_name, \
         (SELECT COUNT(*) FROM assignment_policies x WHERE x.access_package_id = p.id) AS policy_count, \
         (SELECT COUNT(*) FROM access_package_assignments a WHERE a.access_package_id = p.id AND a.state <> 'expired') AS assignment_count \
         FROM access_packages p JOIN catalogs c ON c.id = p.catalog_id \
         WHERE p.name_lower LIKE $1 ESCAPE '\\'{list_held} ORDER BY p.name_lower, p.id LIMIT $2 OFFSET $3"
    );
    super::page::page_of_held(
        conn,
        &count,
        &list,
        &super::columns::contains_pattern(q),
        held_by,
        at,
    )
    .await
}

pub async fn update(
    conn: &mut Conn,
    id: &AccessPackageId,
    name: &str,
    description: Option<&str>,
    hidden: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE access_packages SET display_name = $2, description = $3, is_hidden = $4, updated_at = $5, \
         name_lower = $6 WHERE id = $1")
        .bind(id.as_str())
        .bind(name)
        .bind(description.map(str::to_string))
        .bind(hidden)
        .bind(ts(now))
        .bind(name.to_lowercase())
        .exec(conn)
        .await
}

/// Deletes the package with its requests (their approvers and decisions go
/// with them), its ended assignments, policies and resource roles. The caller
/// has made sure nothing is active and kept the history (`history`).
pub async fn delete(conn: &mut Conn, id: &AccessPackageId) -> Result<()> {
    for sql in [
        "DELETE FROM assignment_requests WHERE access_package_id = $1",
        "DELETE FROM access_package_assignments WHERE access_package_id = $1 AND state = 'expired'",
        "DELETE FROM access_packages WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(id.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Assignments that are not expired.
pub async fn active_assignments(conn: &mut Conn, id: &AccessPackageId) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM access_package_assignments WHERE access_package_id = $1 AND state <> 'expired'")
        .bind(id.as_str())
        .one(conn)
        .await
}

/// Requests still open (waiting for approval, a start, or delivery).
pub async fn open_requests(conn: &mut Conn, id: &AccessPackageId) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM assignment_requests WHERE access_package_id = $1 \
         AND phase = 'open'",
    )
    .bind(id.as_str())
    .one(conn)
    .await
}

/// One line of a deleted package's history, kept in the audit log.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct HistoryRow {
    pub kind: String,
    pub id: String,
    pub state: String,
    pub target: String,
    pub policy: String,
    pub created_at: String,
    pub ended_at: Option<String>,
}

/// Every request and assignment of the package, oldest first.
pub async fn history(conn: &mut Conn, id: &AccessPackageId) -> Result<Vec<HistoryRow>> {
    sqlx::query_as::<_, HistoryRow>(
        "SELECT 'request' AS kind, r.id, r.request_type || ' ' || r.state AS state, r.target_email AS target, \
         ap.display_name AS policy, r.created_at, r.completed_at AS ended_at \
         FROM assignment_requests r JOIN assignment_policies ap ON ap.id = r.policy_id \
         WHERE r.access_package_id = $1 \
         UNION ALL SELECT 'assignment', a.id, a.state || ' ' || COALESCE(a.end_reason, ''), u.email, \
         ap.display_name, a.created_at, a.ended_at FROM access_package_assignments a \
         JOIN users u ON u.id = a.target_id JOIN assignment_policies ap ON ap.id = a.policy_id \
         WHERE a.access_package_id = $1 ORDER BY 6, 2",
    )
    .bind(id.as_str())
    .all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleScopeRow {
    pub id: String,
    pub catalog_resource_id: String,
    pub resource_name: String,
    pub origin_system: String,
    pub origin_id: String,
    pub role_origin_id: String,
    pub role_display_name: String,
}

impl RoleScopeRow {
    /// The kind of resource, as people read it.
    pub fn type_label(&self) -> &'static str {
        crate::domain::catalog::OriginSystem::parse(&self.origin_system)
            .map_or("Other", |o| o.label())
    }

    pub fn role_label(&self) -> String {
        crate::domain::directory::capitalized(&self.role_display_name)
    }
}

pub async fn role_scopes(conn: &mut Conn, id: &AccessPackageId) -> Result<Vec<RoleScopeRow>> {
    sqlx::query_as::<_, RoleScopeRow>(
        "SELECT s.id, s.catalog_resource_id, \
         COALESCE(g.display_name, a.display_name, si.display_name, '(deleted)') AS resource_name, \
         r.origin_system, r.origin_id, s.role_origin_id, s.role_display_name \
         FROM access_package_resource_role_scopes s JOIN catalog_resources r ON r.id = s.catalog_resource_id \
         LEFT JOIN groups g ON r.origin_system = 'AadGroup' AND g.id = r.origin_id \
         LEFT JOIN applications a ON r.origin_system = 'AadApplication' AND a.id = r.origin_id \
         LEFT JOIN sites si ON r.origin_system = 'SharePointOnline' AND si.id = r.origin_id \
         WHERE s.access_package_id = $1 ORDER BY r.origin_system, 3",
    )
    .bind(id.as_str())
    .all(conn)
    .await
}

/// Adds a role scope and returns its id; `None` when the package already has
/// this role of this resource.
pub async fn add_role_scope(
    conn: &mut Conn,
    id: &AccessPackageId,
    resource: &str,
    role_origin_id: &str,
    role_display_name: &str,
) -> Result<Option<String>> {
    let scope = RoleScopeId::new().to_string();
    let done = sqlx::query(
        "INSERT INTO access_package_resource_role_scopes (id, access_package_id, catalog_resource_id, role_origin_id, \
         role_display_name) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(&scope)
    .bind(id.as_str())
    .bind(resource)
    .bind(role_origin_id)
    .bind(role_display_name)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(scope))
}

/// Holds the package's row until the transaction ends, after its holders
/// (`users::lock_holders`), before a change to the roles it grants. A new
/// assignment of the package shares the row as it is made
/// (`requests::insert_assignment`): a delivery to someone who did not hold
/// it yet then either committed before, and its holder is seen, or waits,
/// and then grants the roles as changed (`grants::grant_package`). Not
/// `FOR UPDATE`: the foreign keys of other rows naming the package (another
/// package's separation of duties, say) key-share it after their statement
/// took the catalog generation, which this change takes after the row.
/// On SQLite every write transaction already runs alone.
pub async fn lock(conn: &mut Conn, id: &AccessPackageId) -> Result<()> {
    if super::sql::dialect(conn) == super::sql::Dialect::Sqlite {
        return Ok(());
    }
    sqlx::query("SELECT id FROM access_packages WHERE id = $1 FOR NO KEY UPDATE")
        .bind(id.as_str())
        .exec(conn)
        .await
}

pub async fn remove_role_scope(
    conn: &mut Conn,
    id: &AccessPackageId,
    scope: &RoleScopeId,
) -> Result<bool> {
    sqlx::query(
        "DELETE FROM access_package_resource_role_scopes WHERE access_package_id = $1 AND id = $2",
    )
    .bind(id.as_str())
    .bind(scope.as_str())
    .changed_one(conn)
    .await
}

/// (id, name) rows of `sql` for a package.
async fn named(conn: &mut Conn, sql: &str, id: &AccessPackageId) -> Result<Vec<(String, String)>> {
    sqlx::query_as::<_, (String, String)>(sql)
        .bind(id.as_str())
        .all(conn)
        .await
}

/// (id, name) of the packages this one is incompatible with.
pub async fn incompatible_packages(
    conn: &mut Conn,
    id: &AccessPackageId,
) -> Result<Vec<(String, String)>> {
    let sql = "SELECT p.id, p.display_name FROM access_package_incompatible_packages i \
         JOIN access_packages p ON p.id = i.incompatible_id WHERE i.access_package_id = $1 ORDER BY p.name_lower";
    named(conn, sql, id).await
}

/// (id, name) of the groups whose members may not hold this package.
pub async fn incompatible_groups(
    conn: &mut Conn,
    id: &AccessPackageId,
) -> Result<Vec<(String, String)>> {
    let sql = "SELECT g.id, g.display_name FROM access_package_incompatible_groups i \
         JOIN groups g ON g.id = i.group_id WHERE i.access_package_id = $1 ORDER BY g.name_lower";
    named(conn, sql, id).await
}

/// (id, name) of the packages that name this one incompatible: Entra's
/// "Incompatible With" view, the other side of a one-way rule.
pub async fn excluded_by(conn: &mut Conn, id: &AccessPackageId) -> Result<Vec<(String, String)>> {
    let sql = "SELECT p.id, p.display_name FROM access_package_incompatible_packages i \
         JOIN access_packages p ON p.id = i.access_package_id WHERE i.incompatible_id = $1 ORDER BY p.name_lower";
    named(conn, sql, id).await
}

/// Someone who holds the package and what it excludes: an incompatible
/// package they hold too, or an incompatible group they are a member of.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdditionalAccess {
    pub display_name: String,
    pub email: String,
    /// "package" or "group".
    pub kind: String,
    pub other: String,
}

/// Entra's "additional access" report: holders of the package who also hold
/// what it excludes (the rule came after their access, or an administrator
/// added them to the group); at most `limit`, by name.
pub async fn additional_access(
    conn: &mut Conn,
    id: &AccessPackageId,
    limit: i64,
) -> Result<Vec<AdditionalAccess>> {
    use super::states::ACTIVE;
    sqlx::query_as::<_, AdditionalAccess>(&format!(
        "SELECT x.display_name, x.email, x.kind, x.other FROM (\
         SELECT u.display_name, u.email, u.name_lower, 'package' AS kind, o.display_name AS other \
         FROM access_package_assignments a JOIN users u ON u.id = a.target_id \
         JOIN access_package_incompatible_packages i ON i.access_package_id = a.access_package_id \
         JOIN access_package_assignments b ON b.target_id = a.target_id AND b.access_package_id = i.incompatible_id \
         AND b.state IN {ACTIVE} JOIN access_packages o ON o.id = b.access_package_id \
         WHERE a.access_package_id = $1 AND a.state IN {ACTIVE} \
         UNION \
         SELECT u.display_name, u.email, u.name_lower, 'group' AS kind, g.display_name AS other \
         FROM access_package_assignments a JOIN users u ON u.id = a.target_id \
         JOIN access_package_incompatible_groups i ON i.access_package_id = a.access_package_id \
         JOIN group_members m ON m.group_id = i.group_id AND m.user_id = a.target_id AND m.role = 'member' \
         JOIN groups g ON g.id = i.group_id \
         WHERE a.access_package_id = $1 AND a.state IN {ACTIVE}) x \
         ORDER BY x.name_lower, x.email, x.other LIMIT $2"
    ))
    .bind(id.as_str())
    .bind(limit)
    .all(conn)
    .await
}

pub async fn set_incompatible(
    conn: &mut Conn,
    id: &AccessPackageId,
    packages: &[String],
    groups: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM access_package_incompatible_packages WHERE access_package_id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM access_package_incompatible_groups WHERE access_package_id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    for p in packages {
        sqlx::query("INSERT INTO access_package_incompatible_packages (access_package_id, incompatible_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id.as_str())
            .bind(p)
            .execute(&mut *conn)
            .await?;
    }
    for g in groups {
        sqlx::query("INSERT INTO access_package_incompatible_groups (access_package_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id.as_str())
            .bind(g)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The ids of the packages with this exact name (any case).
pub async fn ids_by_name(conn: &mut Conn, name: &str) -> Result<Vec<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT id FROM access_packages WHERE name_lower = $1 ORDER BY id",
    )
    .bind(name.trim().to_lowercase())
    .all(conn)
    .await
}

/// A package as the in-memory package list holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageFacts {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub catalog_id: String,
    #[sqlx(try_from = "Flag")]
    pub catalog_external: bool,
    #[sqlx(try_from = "Flag")]
    pub catalog_published: bool,
    #[sqlx(try_from = "Flag")]
    pub is_hidden: bool,
}

/// Every package, by name.
pub async fn all_facts(conn: &mut Conn) -> Result<Vec<PackageFacts>> {
    sqlx::query_as::<_, PackageFacts>(
        "SELECT p.id, p.display_name, p.description, p.catalog_id, c.is_externally_visible AS catalog_external, \
         CASE WHEN c.state = 'published' THEN $1 ELSE $2 END AS catalog_published, p.is_hidden \
         FROM access_packages p JOIN catalogs c ON c.id = p.catalog_id ORDER BY p.name_lower, p.id",
    )
    .bind(true)
    .bind(false)
    .all(conn)
    .await
}

/// Every package's resource roles: (package, resource name, origin system,
/// role, whether the role is linked to a connected system).
pub async fn all_roles(conn: &mut Conn) -> Result<Vec<(String, String, String, String, bool)>> {
    let rows = sqlx::query_as::<_, (String, String, String, String, String)>(
        "SELECT s.access_package_id, COALESCE(g.display_name, a.display_name, si.display_name, ''), \
         r.origin_system, s.role_origin_id, \
         CASE WHEN EXISTS (SELECT 1 FROM resource_links l WHERE l.origin_system = r.origin_system \
           AND l.origin_id = r.origin_id AND l.role = s.role_origin_id) THEN 'linked' ELSE '' END \
         FROM access_package_resource_role_scopes s JOIN catalog_resources r ON r.id = s.catalog_resource_id \
         LEFT JOIN groups g ON r.origin_system = 'AadGroup' AND g.id = r.origin_id \
         LEFT JOIN applications a ON r.origin_system = 'AadApplication' AND a.id = r.origin_id \
         LEFT JOIN sites si ON r.origin_system = 'SharePointOnline' AND si.id = r.origin_id \
         ORDER BY 1, 2, 4",
    )
    .all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(p, name, system, role, linked)| (p, name, system, role, !linked.is_empty()))
        .collect())
}

/// Every separation-of-duties setting: (package, "package" or "group", id, name).
pub async fn all_incompatibilities(
    conn: &mut Conn,
) -> Result<Vec<(String, String, String, String)>> {
    sqlx::query_as::<_, (String, String, String, String)>(
        "SELECT i.access_package_id, 'package', p.id, p.display_name FROM access_package_incompatible_packages i \
         JOIN access_packages p ON p.id = i.incompatible_id \
         UNION ALL SELECT i.access_package_id, 'group', g.id, g.display_name \
         FROM access_package_incompatible_groups i JOIN groups g ON g.id = i.group_id ORDER BY 1, 2, 4",
    )
    .all(conn)
    .await
}
