//! Groups, applications with their app roles, and sites, with who holds which role.

use chrono::{DateTime, Utc};

use super::columns::{contains_pattern, ts};
use super::error::{Result, StoreError};
use super::page::{Page, PageAt};
use super::sql::{Conn, Rows, Statement};
use crate::domain::catalog::OriginSystem;
use crate::domain::directory::{GroupRole, Named, SiteRole, capitalized};
use crate::domain::ids::{AppRoleId, ApplicationId, GroupId, SiteId, UserId};

/// A row of a resource list (group, application or site).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResourceSummary {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    /// Group type, site address, or the application's roles joined with ", ".
    pub detail: Option<String>,
    pub holders: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub group_type: String,
}

/// Someone holding a role on a resource.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holder {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
}

/// Whether a write makes a new row or changes the one there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Insert,
    Update,
}

/// Writes a group, application or site: its name, the name in lower case,
/// description and the column of its own (a group's type, a site's address;
/// an application's roles are rows of their own). An update that finds no
/// row is `NotFound`.
pub async fn save(
    conn: &mut Conn,
    write: Write,
    named: Named<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (table, own, id, name, description, detail) = match named {
        Named::Group(id, p) => (
            "groups",
            ", group_type",
            id.as_str(),
            &p.display_name,
            &p.description,
            Some(p.group_type.as_str()),
        ),
        Named::Application(id, p) => (
            "applications",
            "",
            id.as_str(),
            &p.display_name,
            &p.description,
            None,
        ),
        Named::Site(id, p) => (
            "sites",
            ", url",
            id.as_str(),
            &p.display_name,
            &p.description,
            Some(p.url.as_str()),
        ),
    };
    // The statements bind the id, name, lower-case name, description, time
    // and, last, the column of its own.
    let sql = match write {
        Write::Insert => {
            let value = if own.is_empty() { "" } else { ", $6" };
            format!(
                "INSERT INTO {table} (id, display_name, name_lower, description, created_at, updated_at{own}) \
                 VALUES ($1, $2, $3, $4, $5, $5{value})"
            )
        }
        Write::Update => {
            let set = own
                .strip_prefix(", ")
                .map(|c| format!(", {c} = $6"))
                .unwrap_or_default();
            format!(
                "UPDATE {table} SET display_name = $2, name_lower = $3, description = $4, updated_at = $5{set} \
                 WHERE id = $1"
            )
        }
    };
    let mut query = sqlx::query(&sql)
        .bind(id)
        .bind(name)
        .bind(name.to_lowercase())
        .bind(description.clone())
        .bind(ts(now));
    if let Some(detail) = detail {
        query = query.bind(detail);
    }
    let done = query.execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    match named {
        Named::Application(app, p) => sync_app_roles(conn, app, &p.roles).await,
        _ => Ok(()),
    }
}

/// One page of groups, applications or sites whose name contains `q`.
pub async fn search(
    conn: &mut Conn,
    origin: OriginSystem,
    q: &str,
    at: PageAt,
) -> Result<Page<ResourceSummary>> {
    search_owned(conn, origin, None, q, at).await
}

/// `search`, kept to the groups and sites `owner` owns when given (what a
/// catalog owner may add to their catalog). Applications have no owners
/// here, so none is anyone's.
pub async fn search_owned(
    conn: &mut Conn,
    origin: OriginSystem,
    owner: Option<&UserId>,
    q: &str,
    at: PageAt,
) -> Result<Page<ResourceSummary>> {
    if owner.is_some() && origin == OriginSystem::AadApplication {
        return Ok(Page::of(vec![], 0, at));
    }
    let owned = |column: &str, n: usize| match origin {
        OriginSystem::AadGroup => format!(
            " AND {column} IN (SELECT group_id FROM group_members WHERE role = 'owner' AND user_id = ${n})"
        ),
        OriginSystem::SharePointOnline => format!(
            " AND {column} IN (SELECT site_id FROM site_members WHERE role = 'owner' AND user_id = ${n})"
        ),
        // Answered above: nobody owns an application.
        OriginSystem::AadApplication => String::new(),
    };
    let (count_owned, list_owned) = match owner {
        Some(_) => (owned("id", 2), owned("o.id", 4)),
        None => (String::new(), String::new()),
    };
    // Each counts its holders its own way; an application's role names are
    // read in a second, page-sized query (string aggregation is spelled
    // differently on the two backends).
    let (table, detail, holders) = match origin {
        OriginSystem::AadGroup => (
            "groups",
            "group_type",
            "(SELECT COUNT(*) FROM group_members m WHERE m.group_id = o.id AND m.role = 'member')",
        ),
        OriginSystem::AadApplication => (
            "applications",
            "NULL",
            "(SELECT COUNT(*) FROM app_role_assignments x JOIN app_roles r ON r.id = x.app_role_id \
              WHERE r.application_id = o.id) \
             + (SELECT COUNT(*) FROM app_default_access d WHERE d.application_id = o.id)",
        ),
        OriginSystem::SharePointOnline => (
            "sites",
            "url",
            "(SELECT COUNT(*) FROM site_members m WHERE m.site_id = o.id)",
        ),
    };
    let mut page = super::page::page_of_held(
        conn,
        &format!("SELECT COUNT(*) FROM {table} WHERE name_lower LIKE $1 ESCAPE '\\'{count_owned}"),
        &format!(
            "SELECT o.id, o.display_name, o.description, {detail} AS detail, {holders} AS holders \
             FROM {table} o WHERE o.name_lower LIKE $1 ESCAPE '\\'{list_owned} ORDER BY o.name_lower LIMIT $2 OFFSET $3"
        ),
        &contains_pattern(q),
        owner.map(UserId::as_str),
        at,
    )
    .await?;
    if origin == OriginSystem::AadApplication && !page.items.is_empty() {
        name_app_roles(conn, &mut page.items).await?;
    }
    Ok(page)
}

/// Whether `user` owns the group or site (applications have no owners).
pub async fn owns(conn: &mut Conn, origin: OriginSystem, id: &str, user: &UserId) -> Result<bool> {
    let sql = match origin {
        OriginSystem::AadGroup => {
            "SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND user_id = $2 AND role = 'owner'"
        }
        OriginSystem::SharePointOnline => {
            "SELECT COUNT(*) FROM site_members WHERE site_id = $1 AND user_id = $2 AND role = 'owner'"
        }
        OriginSystem::AadApplication => return Ok(false),
    };
    let n: i64 = sqlx::query_scalar(sql)
        .bind(id)
        .bind(user.as_str())
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Sets each application's detail to its role names, in order.
async fn name_app_roles(conn: &mut Conn, items: &mut [ResourceSummary]) -> Result<()> {
    let placeholders: Vec<String> = (1..=items.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT application_id, display_name FROM app_roles WHERE application_id IN ({}) \
         ORDER BY application_id, position",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, String)>(&sql);
    for item in items.iter() {
        query = query.bind(item.id.clone());
    }
    let roles = query.fetch_all(conn).await?;
    for item in items {
        let names: Vec<&str> = roles
            .iter()
            .filter(|(app, _)| *app == item.id)
            .map(|(_, n)| n.as_str())
            .collect();
        item.detail = Some(if names.is_empty() {
            crate::domain::directory::DEFAULT_ACCESS_ROLE.to_string()
        } else {
            names.join(", ")
        });
    }
    Ok(())
}

/// The people `sql` finds holding roles on the object `id`.
async fn holders(conn: &mut Conn, sql: &str, id: &str) -> Result<Vec<Holder>> {
    sqlx::query_as::<_, Holder>(sql).bind(id).all(conn).await
}

// ---- groups ----

pub async fn get_group(conn: &mut Conn, id: &GroupId) -> Result<Option<GroupRow>> {
    sqlx::query_as::<_, GroupRow>(
        "SELECT id, display_name, description, group_type FROM groups WHERE id = $1",
    )
    .bind(id.as_str())
    .optional(conn)
    .await
}

/// Holds the group's row until the transaction ends, so that two changes
/// to its members (two SCIM PATCHes) read and write one after the other.
pub async fn lock_group(conn: &mut Conn, id: &GroupId) -> Result<()> {
    sqlx::query("UPDATE groups SET updated_at = updated_at WHERE id = $1")
        .bind(id.as_str())
        .exec(conn)
        .await
}

pub async fn group_holders(conn: &mut Conn, id: &GroupId) -> Result<Vec<Holder>> {
    let sql = "SELECT u.id AS user_id, u.display_name, u.email, m.role FROM group_members m \
         JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 ORDER BY m.role DESC, u.name_lower";
    holders(conn, sql, id.as_str()).await
}

/// A role of a group or of a site, as their members tables hold it.
#[derive(Clone, Copy)]
pub enum Held<'a> {
    Group(&'a GroupId, GroupRole),
    Site(&'a SiteId, SiteRole),
}

impl Held<'_> {
    /// (members table, its object column, the object, the role).
    fn row(&self) -> (&'static str, &'static str, &str, &'static str) {
        match self {
            Held::Group(g, role) => ("group_members", "group_id", g.as_str(), role.as_str()),
            Held::Site(s, role) => ("site_members", "site_id", s.as_str(), role.as_str()),
        }
    }
}

/// Adds the role by hand (held outside assignments, so never taken back by
/// Gatehouse); false when the user already held it by hand.
pub async fn add_by_hand(
    conn: &mut Conn,
    held: Held<'_>,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (table, column, id, role) = held.row();
    sqlx::query(&format!(
        "INSERT INTO {table} ({column}, user_id, role, added_at, outside_assignments) \
         VALUES ($1, $2, $3, $4, TRUE) ON CONFLICT ({column}, user_id, role) \
         DO UPDATE SET outside_assignments = TRUE WHERE {table}.outside_assignments = FALSE"
    ))
    .bind(id)
    .bind(user.as_str())
    .bind(role)
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// Keeps a role that assignments still grant, but no longer as held by hand.
pub async fn clear_group_role_by_hand(
    conn: &mut Conn,
    group: &GroupId,
    user: &UserId,
    role: GroupRole,
) -> Result<bool> {
    sqlx::query(
        "UPDATE group_members SET outside_assignments = FALSE \
         WHERE group_id = $1 AND user_id = $2 AND role = $3 AND outside_assignments = TRUE",
    )
    .bind(group.as_str())
    .bind(user.as_str())
    .bind(role.as_str())
    .changed_one(conn)
    .await
}

/// Removes the role, however held; false when the user did not hold it.
pub async fn remove_held(conn: &mut Conn, held: Held<'_>, user: &UserId) -> Result<bool> {
    let (table, column, id, role) = held.row();
    sqlx::query(&format!(
        "DELETE FROM {table} WHERE {column} = $1 AND user_id = $2 AND role = $3"
    ))
    .bind(id)
    .bind(user.as_str())
    .bind(role)
    .changed_one(conn)
    .await
}

// ---- applications ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppRoleRow {
    pub id: String,
    pub display_name: String,
    pub holders: i64,
}

pub async fn get_application(
    conn: &mut Conn,
    id: &ApplicationId,
) -> Result<Option<ApplicationRow>> {
    sqlx::query_as::<_, ApplicationRow>(
        "SELECT id, display_name, description FROM applications WHERE id = $1",
    )
    .bind(id.as_str())
    .optional(conn)
    .await
}

pub async fn app_roles(conn: &mut Conn, id: &ApplicationId) -> Result<Vec<AppRoleRow>> {
    sqlx::query_as::<_, AppRoleRow>(
        "SELECT r.id, r.display_name, (SELECT COUNT(*) FROM app_role_assignments x WHERE x.app_role_id = r.id) \
         AS holders FROM app_roles r WHERE r.application_id = $1 ORDER BY r.position",
    )
    .bind(id.as_str())
    .all(conn)
    .await
}

pub async fn application_holders(conn: &mut Conn, id: &ApplicationId) -> Result<Vec<Holder>> {
    sqlx::query_as::<_, Holder>(
        "SELECT user_id, display_name, email, role FROM ( \
         SELECT u.id AS user_id, u.display_name, u.email, r.display_name AS role, r.position, u.name_lower \
         FROM app_role_assignments x JOIN app_roles r ON r.id = x.app_role_id JOIN users u ON u.id = x.user_id \
         WHERE r.application_id = $1 \
         UNION ALL SELECT u.id, u.display_name, u.email, 'Default Access', -1, u.name_lower \
         FROM app_default_access d JOIN users u ON u.id = d.user_id WHERE d.application_id = $1) h \
         ORDER BY position, name_lower",
    )
    .bind(id.as_str())
    .all(conn)
    .await
}

/// Makes the app's roles exactly `roles` (by case-insensitive name), keeping the
/// ids of roles that stay so that assignments of them survive a rename of others.
async fn sync_app_roles(conn: &mut Conn, app: &ApplicationId, roles: &[String]) -> Result<()> {
    let existing = sqlx::query_as::<_, (String, String)>(
        "SELECT id, name_lower FROM app_roles WHERE application_id = $1",
    )
    .bind(app.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for (id, name_lower) in &existing {
        if !roles.iter().any(|r| r.to_lowercase() == *name_lower) {
            sqlx::query("DELETE FROM app_roles WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    for (position, role) in roles.iter().enumerate() {
        sqlx::query(
            "INSERT INTO app_roles (id, application_id, display_name, name_lower, position) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (application_id, name_lower) DO UPDATE SET display_name = excluded.display_name, \
             position = excluded.position",
        )
        .bind(AppRoleId::new().as_str())
        .bind(app.as_str())
        .bind(role)
        .bind(role.to_lowercase())
        .bind(position as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

// ---- sites ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRow {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub url: String,
}

pub async fn get_site(conn: &mut Conn, id: &SiteId) -> Result<Option<SiteRow>> {
    sqlx::query_as::<_, SiteRow>(
        "SELECT id, display_name, description, url FROM sites WHERE id = $1",
    )
    .bind(id.as_str())
    .optional(conn)
    .await
}

pub async fn site_holders(conn: &mut Conn, id: &SiteId) -> Result<Vec<Holder>> {
    let sql = "SELECT u.id AS user_id, u.display_name, u.email, m.role FROM site_members m \
         JOIN users u ON u.id = m.user_id WHERE m.site_id = $1 ORDER BY m.role, u.name_lower";
    holders(conn, sql, id.as_str()).await
}

/// Adds an app role holding by hand, by role name; returns false when
/// already held by hand or no such role.
pub async fn add_app_role(
    conn: &mut Conn,
    app: &ApplicationId,
    role_name: &str,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<bool> {
    sqlx::query(
        "INSERT INTO app_role_assignments (app_role_id, user_id, added_at, outside_assignments) \
         SELECT id, $3, $4, TRUE FROM app_roles WHERE application_id = $1 AND name_lower = $2 \
         ON CONFLICT (app_role_id, user_id) DO UPDATE SET outside_assignments = TRUE \
         WHERE app_role_assignments.outside_assignments = FALSE",
    )
    .bind(app.as_str())
    .bind(role_name.to_lowercase())
    .bind(user.as_str())
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// A resource role someone holds, for "My Access".
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldRole {
    pub resource_type: String,
    pub resource_name: String,
    pub role: String,
}

impl HeldRole {
    /// The role as people read it: "Member", not "member".
    pub fn role_label(&self) -> String {
        capitalized(&self.role)
    }
}

/// The roles user `$1` holds: (resource_type, resource_name, role).
pub(crate) const HELD_ROLES: &str = "SELECT 'Group' AS resource_type, g.display_name AS resource_name, m.role AS role \
     FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1 \
     UNION ALL SELECT 'Application', a.display_name, r.display_name FROM app_role_assignments x \
     JOIN app_roles r ON r.id = x.app_role_id JOIN applications a ON a.id = r.application_id WHERE x.user_id = $1 \
     UNION ALL SELECT 'Application', a.display_name, 'Default Access' FROM app_default_access d \
     JOIN applications a ON a.id = d.application_id WHERE d.user_id = $1 \
     UNION ALL SELECT 'Site', s.display_name, m.role FROM site_members m JOIN sites s ON s.id = m.site_id \
     WHERE m.user_id = $1";

pub async fn roles_held_by(conn: &mut Conn, user: &UserId) -> Result<Vec<HeldRole>> {
    sqlx::query_as::<_, HeldRole>(&format!("{HELD_ROLES} ORDER BY 1, 2, 3"))
        .bind(user.as_str())
        .all(conn)
        .await
}

/// Removes an app role holding by the role's id; false when not held.
pub async fn remove_app_role_by_id(conn: &mut Conn, role: &str, user: &UserId) -> Result<bool> {
    sqlx::query("DELETE FROM app_role_assignments WHERE app_role_id = $1 AND user_id = $2")
        .bind(role)
        .bind(user.as_str())
        .changed_one(conn)
        .await
}

/// Groups by name and by id.
pub const GROUP_NAMES: super::rows::NamedRows<GroupId> =
    super::rows::NamedRows::new("groups", GroupId::from_stored);
