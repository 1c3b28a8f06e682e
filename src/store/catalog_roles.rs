//! Delegation: who holds which role in which catalog, and who creates
//! catalogs.

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::Result;
use super::sql::{Conn, Rows, Statement};
use crate::domain::catalog_role::{CatalogRole, CatalogScope, Within};
use crate::domain::ids::{CatalogId, CatalogRoleAssignmentId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleHolderRow {
    pub id: String,
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub created_at: String,
}

impl RoleHolderRow {
    pub fn role_label(&self) -> &str {
        label_of(&self.role)
    }
}

/// A stored role's label; a value this version does not know reads as stored.
fn label_of(role: &str) -> &str {
    match CatalogRole::parse(role) {
        Some(known) => known.label(),
        None => role,
    }
}

/// A catalog's role holders, by role, then name.
pub async fn of_catalog(conn: &mut Conn, catalog: &CatalogId) -> Result<Vec<RoleHolderRow>> {
    sqlx::query_as::<_, RoleHolderRow>(
        "SELECT r.id, r.user_id, u.display_name, u.email, r.role, r.created_at \
         FROM catalog_role_assignments r JOIN users u ON u.id = r.user_id \
         WHERE r.catalog_id = $1 ORDER BY r.role, u.display_name, u.id",
    )
    .bind(catalog.as_str())
    .all(conn)
    .await
}

/// Adds a role; false when the person already held it there.
pub async fn insert(
    conn: &mut Conn,
    catalog: &CatalogId,
    user: &UserId,
    role: CatalogRole,
    now: DateTime<Utc>,
) -> Result<bool> {
    sqlx::query(
        "INSERT INTO catalog_role_assignments (id, catalog_id, user_id, role, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (catalog_id, user_id, role) DO NOTHING",
    )
    .bind(CatalogRoleAssignmentId::new().as_str())
    .bind(catalog.as_str())
    .bind(user.as_str())
    .bind(role.as_str())
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// Removes one role assignment of the catalog; what it was, if it was there.
pub async fn delete(
    conn: &mut Conn,
    catalog: &CatalogId,
    id: &CatalogRoleAssignmentId,
) -> Result<Option<RoleHolderRow>> {
    let found = sqlx::query_as::<_, RoleHolderRow>(
        "SELECT r.id, r.user_id, u.display_name, u.email, r.role, r.created_at \
         FROM catalog_role_assignments r JOIN users u ON u.id = r.user_id \
         WHERE r.id = $1 AND r.catalog_id = $2",
    )
    .bind(id.as_str())
    .bind(catalog.as_str())
    .optional(&mut *conn)
    .await?;
    if found.is_some() {
        sqlx::query("DELETE FROM catalog_role_assignments WHERE id = $1")
            .bind(id.as_str())
            .exec(conn)
            .await?;
    }
    Ok(found)
}

/// The roles a person holds in a catalog, or in the catalog of a package:
/// one statement, on every console page a delegate opens.
pub async fn held(conn: &mut Conn, user: &UserId, within: Within<'_>) -> Result<Vec<CatalogRole>> {
    let (sql, key) = match within {
        Within::Catalog(c) => (
            "SELECT role FROM catalog_role_assignments WHERE user_id = $1 AND catalog_id = $2",
            c.as_str(),
        ),
        Within::PackageOf(p) => (
            "SELECT r.role FROM catalog_role_assignments r \
             JOIN access_packages p ON p.catalog_id = r.catalog_id \
             WHERE r.user_id = $1 AND p.id = $2",
            p.as_str(),
        ),
    };
    let roles: Vec<(String,)> = sqlx::query_as(sql)
        .bind(user.as_str())
        .bind(key)
        .all(conn)
        .await?;
    Ok(roles
        .into_iter()
        .filter_map(|(r,)| CatalogRole::parse(&r))
        .collect())
}

/// A person who may create catalogs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CreatorRow {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub created_at: String,
}

const CREATOR_SELECT: &str = "SELECT k.user_id, u.display_name, u.email, k.created_at \
     FROM catalog_creators k JOIN users u ON u.id = k.user_id";

/// The catalog creators, by name.
pub async fn creators(conn: &mut Conn) -> Result<Vec<CreatorRow>> {
    sqlx::query_as::<_, CreatorRow>(&format!("{CREATOR_SELECT} ORDER BY u.display_name, u.id"))
        .all(conn)
        .await
}

/// Makes someone a catalog creator; false when they were one.
pub async fn add_creator(conn: &mut Conn, user: &UserId, now: DateTime<Utc>) -> Result<bool> {
    sqlx::query(
        "INSERT INTO catalog_creators (user_id, created_at) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user.as_str())
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// Takes the role back; who had it, if anyone.
pub async fn remove_creator(conn: &mut Conn, user: &UserId) -> Result<Option<CreatorRow>> {
    let found = sqlx::query_as::<_, CreatorRow>(&format!("{CREATOR_SELECT} WHERE k.user_id = $1"))
        .bind(user.as_str())
        .optional(&mut *conn)
        .await?;
    if found.is_some() {
        sqlx::query("DELETE FROM catalog_creators WHERE user_id = $1")
            .bind(user.as_str())
            .exec(conn)
            .await?;
    }
    Ok(found)
}

/// Whether someone may create catalogs.
pub async fn is_creator(conn: &mut Conn, user: &UserId) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM catalog_creators WHERE user_id = $1")
        .bind(user.as_str())
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// A role someone holds, with its catalog's name (a user's page).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldCatalogRole {
    pub catalog_id: String,
    pub catalog_name: String,
    pub role: String,
}

impl HeldCatalogRole {
    pub fn role_label(&self) -> &str {
        label_of(&self.role)
    }
}

/// The roles a person holds, by catalog name.
pub async fn held_by(conn: &mut Conn, user: &UserId) -> Result<Vec<HeldCatalogRole>> {
    sqlx::query_as::<_, HeldCatalogRole>(
        "SELECT r.catalog_id, c.display_name AS catalog_name, r.role \
         FROM catalog_role_assignments r JOIN catalogs c ON c.id = r.catalog_id \
         WHERE r.user_id = $1 ORDER BY c.name_lower, r.role",
    )
    .bind(user.as_str())
    .all(conn)
    .await
}

/// Every (catalog, role) a person holds.
pub async fn of_user(conn: &mut Conn, user: &UserId) -> Result<Vec<(CatalogId, CatalogRole)>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT catalog_id, role FROM catalog_role_assignments WHERE user_id = $1")
            .bind(user.as_str())
            .all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, r)| Some((CatalogId::from_stored(c), CatalogRole::parse(&r)?)))
        .collect())
}

/// What keeps a paged list (see `page_of_held`) to the catalogs a delegate
/// holds a role in: the person to bind, and the conditions to add to the
/// count (on `count_column`, bound as `$2`) and to the list (on
/// `list_column`, bound as `$4`). Nothing for an administrator.
pub(crate) fn scope_filter<'a>(
    scope: &'a CatalogScope,
    count_column: &str,
    list_column: &str,
) -> (Option<&'a str>, String, String) {
    let held = |column: &str, n: usize| {
        format!(
            " AND {column} IN (SELECT catalog_id FROM catalog_role_assignments WHERE user_id = ${n})"
        )
    };
    match scope {
        CatalogScope::All => (None, String::new(), String::new()),
        CatalogScope::HeldBy(u) => (
            Some(u.as_str()),
            held(count_column, 2),
            held(list_column, 4),
        ),
    }
}
