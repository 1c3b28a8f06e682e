//! Catalogs, their resources and required attributes.

use chrono::{DateTime, Utc};

use super::catalog_roles::scope_filter;
use super::columns::{Flag, contains_pattern, ts};
use super::error::{Result, StoreError};
use super::page::{Page, PageAt};
use super::sql::{Conn, Rows, Statement, row_where};
use crate::domain::catalog::{
    AnswerFormat, CatalogProfile, CatalogState, Localization, OriginSystem, RequiredAttribute,
};
use crate::domain::catalog_role::CatalogScope;
use crate::domain::directory::{DEFAULT_ACCESS_ROLE, GroupRole, SiteRole};
use crate::domain::ids::{CatalogId, CatalogResourceId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogRow {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    #[sqlx(try_from = "String")]
    pub state: CatalogState,
    #[sqlx(try_from = "Flag")]
    pub is_externally_visible: bool,
    pub resource_count: i64,
    pub package_count: i64,
}

impl CatalogRow {
    pub fn enabled(&self) -> bool {
        self.state == CatalogState::Published
    }
}

const CATALOG_SELECT: &str = "SELECT c.id, c.display_name, c.description, c.state, c.is_externally_visible, \
     (SELECT COUNT(*) FROM catalog_resources r WHERE r.catalog_id = c.id) AS resource_count, \
     (SELECT COUNT(*) FROM access_packages p WHERE p.catalog_id = c.id) AS package_count FROM catalogs c";

pub async fn search(
    conn: &mut Conn,
    scope: &CatalogScope,
    q: &str,
    at: PageAt,
) -> Result<Page<CatalogRow>> {
    let (held_by, count_held, list_held) = scope_filter(scope, "id", "c.id");
    let count =
        format!("SELECT COUNT(*) FROM catalogs WHERE name_lower LIKE $1 ESCAPE '\\'{count_held}");
    let list = format!(
        "{CATALOG_SELECT} WHERE c.name_lower LIKE $1 ESCAPE '\\'{list_held} ORDER BY c.name_lower LIMIT $2 OFFSET $3"
    );
    super::page::page_of_held(conn, &count, &list, &contains_pattern(q), held_by, at).await
}

pub async fn get(conn: &mut Conn, id: &CatalogId) -> Result<Option<CatalogRow>> {
    row_where(conn, CATALOG_SELECT, "c.id", id.as_str()).await
}

pub async fn insert(
    conn: &mut Conn,
    id: &CatalogId,
    p: &CatalogProfile,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalogs (id, display_name, name_lower, description, state, is_externally_visible, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id.as_str())
    .bind(&p.display_name)
    .bind(p.display_name.to_lowercase())
    .bind(p.description.clone())
    .bind(p.state.as_str())
    .bind(p.is_externally_visible)
    .bind(ts(now))
    .exec(conn)
    .await
}

pub async fn update(
    conn: &mut Conn,
    id: &CatalogId,
    p: &CatalogProfile,
    now: DateTime<Utc>,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE catalogs SET display_name = $2, name_lower = $3, description = $4, state = $5, \
         is_externally_visible = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(&p.display_name)
    .bind(p.display_name.to_lowercase())
    .bind(p.description.clone())
    .bind(p.state.as_str())
    .bind(p.is_externally_visible)
    .bind(ts(now))
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete(conn: &mut Conn, id: &CatalogId) -> Result<()> {
    sqlx::query("DELETE FROM catalogs WHERE id = $1")
        .bind(id.as_str())
        .exec(conn)
        .await
}

/// A resource in a catalog, with its name and roles read from the directory.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogResourceRow {
    pub id: String,
    pub origin_system: String,
    pub origin_id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub attribute_count: i64,
    #[sqlx(skip)]
    pub roles: Vec<String>,
    /// Names of the attributes it requires, in order.
    #[sqlx(skip)]
    pub attributes: Vec<String>,
}

impl CatalogResourceRow {
    pub fn type_label(&self) -> &'static str {
        OriginSystem::parse(&self.origin_system)
            .map(|o| o.label())
            .unwrap_or("Resource")
    }
}

const RESOURCE_SELECT: &str = "SELECT r.id, r.origin_system, r.origin_id, \
     COALESCE(g.display_name, a.display_name, s.display_name, '(deleted)') AS display_name, \
     COALESCE(g.description, a.description, s.description) AS description, \
     (SELECT COUNT(*) FROM resource_attributes x WHERE x.catalog_resource_id = r.id) AS attribute_count \
     FROM catalog_resources r \
     LEFT JOIN groups g ON r.origin_system = 'AadGroup' AND g.id = r.origin_id \
     LEFT JOIN applications a ON r.origin_system = 'AadApplication' AND a.id = r.origin_id \
     LEFT JOIN sites s ON r.origin_system = 'SharePointOnline' AND s.id = r.origin_id";

pub async fn resources(conn: &mut Conn, catalog: &CatalogId) -> Result<Vec<CatalogResourceRow>> {
    let mut rows = sqlx::query_as::<_, CatalogResourceRow>(&format!(
        "{RESOURCE_SELECT} WHERE r.catalog_id = $1 ORDER BY r.origin_system, lower(COALESCE(g.display_name, a.display_name, s.display_name, ''))"
    ))
    .bind(catalog.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let names = sqlx::query_as::<_, (String, String)>(
        "SELECT x.catalog_resource_id, x.attribute_name FROM resource_attributes x \
         JOIN catalog_resources r ON r.id = x.catalog_resource_id WHERE r.catalog_id = $1 ORDER BY x.position",
    )
    .bind(catalog.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for r in rows.iter_mut() {
        r.attributes = names
            .iter()
            .filter(|(id, _)| *id == r.id)
            .map(|(_, n)| n.clone())
            .collect();
    }
    fill_roles(conn, &mut rows).await?;
    Ok(rows)
}

pub async fn resource(
    conn: &mut Conn,
    catalog: &CatalogId,
    id: &CatalogResourceId,
) -> Result<Option<CatalogResourceRow>> {
    let row = sqlx::query_as::<_, CatalogResourceRow>(&format!(
        "{RESOURCE_SELECT} WHERE r.catalog_id = $1 AND r.id = $2"
    ))
    .bind(catalog.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let mut rows: Vec<CatalogResourceRow> = row.into_iter().collect();
    fill_roles(conn, &mut rows).await?;
    Ok(rows.pop())
}

/// The roles each resource offers: fixed for groups and sites, the app roles for applications.
async fn fill_roles(conn: &mut Conn, rows: &mut [CatalogResourceRow]) -> Result<()> {
    let app_ids: Vec<String> = rows
        .iter()
        .filter(|r| r.origin_system == OriginSystem::AadApplication.as_str())
        .map(|r| r.origin_id.clone())
        .collect();
    let mut app_roles: Vec<(String, String)> = Vec::new();
    if !app_ids.is_empty() {
        let placeholders: Vec<String> = (1..=app_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT application_id, display_name FROM app_roles WHERE application_id IN ({}) ORDER BY application_id, position",
            placeholders.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for id in &app_ids {
            q = q.bind(id.clone());
        }
        app_roles = q.fetch_all(conn).await?;
    }
    for r in rows.iter_mut() {
        r.roles = match OriginSystem::parse(&r.origin_system) {
            Some(OriginSystem::AadGroup) => [GroupRole::Owner, GroupRole::Member]
                .iter()
                .map(|g| g.label().to_string())
                .collect(),
            Some(OriginSystem::SharePointOnline) => SiteRole::ALL
                .iter()
                .map(|s| s.label().to_string())
                .collect(),
            Some(OriginSystem::AadApplication) => {
                let roles: Vec<String> = app_roles
                    .iter()
                    .filter(|(a, _)| *a == r.origin_id)
                    .map(|(_, n)| n.clone())
                    .collect();
                if roles.is_empty() {
                    vec![DEFAULT_ACCESS_ROLE.to_string()]
                } else {
                    roles
                }
            }
            None => vec![],
        };
    }
    Ok(())
}

/// Adds a resource; returns false when the catalog already holds it.
pub async fn add_resource(
    conn: &mut Conn,
    catalog: &CatalogId,
    origin: OriginSystem,
    origin_id: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    sqlx::query(
        "INSERT INTO catalog_resources (id, catalog_id, origin_system, origin_id, added_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (catalog_id, origin_system, origin_id) DO NOTHING",
    )
    .bind(CatalogResourceId::new().as_str())
    .bind(catalog.as_str())
    .bind(origin.as_str())
    .bind(origin_id)
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// The display name of a directory object, if it exists.
pub async fn origin_name(
    conn: &mut Conn,
    origin: OriginSystem,
    origin_id: &str,
) -> Result<Option<String>> {
    let table = origin_table(origin);
    sqlx::query_scalar::<_, String>(&format!("SELECT display_name FROM {table} WHERE id = $1"))
        .bind(origin_id)
        .optional(conn)
        .await
}

/// Ids (origin system + origin id) of what the catalog already holds.
pub async fn origin_keys(conn: &mut Conn, catalog: &CatalogId) -> Result<Vec<String>> {
    let rows = sqlx::query_as::<_, (String, String)>(
        "SELECT origin_system, origin_id FROM catalog_resources WHERE catalog_id = $1",
    )
    .bind(catalog.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(s, id)| format!("{s}:{id}"))
        .collect())
}

/// Names of the access packages whose roles come from this resource.
pub async fn packages_using_resource(
    conn: &mut Conn,
    resource: &CatalogResourceId,
) -> Result<Vec<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT p.display_name FROM access_package_resource_role_scopes s \
         JOIN access_packages p ON p.id = s.access_package_id WHERE s.catalog_resource_id = $1 ORDER BY p.display_name",
    )
    .bind(resource.as_str())
    .all(conn)
    .await
}

pub async fn remove_resource(conn: &mut Conn, resource: &CatalogResourceId) -> Result<()> {
    sqlx::query("DELETE FROM catalog_resources WHERE id = $1")
        .bind(resource.as_str())
        .exec(conn)
        .await
}

#[derive(sqlx::FromRow)]
struct AttributeRow {
    attribute_name: String,
    answer_format: String,
    question_text: String,
    localizations: String,
    choices: String,
    #[sqlx(try_from = "Flag")]
    is_editable: bool,
    #[sqlx(try_from = "Flag")]
    is_persisted_on_assignment_removal: bool,
}

pub async fn required_attributes(
    conn: &mut Conn,
    resource: &CatalogResourceId,
) -> Result<Vec<RequiredAttribute>> {
    let rows = sqlx::query_as::<_, AttributeRow>(
        "SELECT attribute_name, answer_format, question_text, localizations, choices, is_editable, \
         is_persisted_on_assignment_removal FROM resource_attributes WHERE catalog_resource_id = $1 ORDER BY position",
    )
    .bind(resource.as_str())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(AttributeRow::decode).collect()
}

/// Every package's required attributes (package id, attribute), in the
/// order of its resources (by id) and their attributes.
pub async fn attributes_by_package(conn: &mut Conn) -> Result<Vec<(String, RequiredAttribute)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        access_package_id: String,
        #[sqlx(flatten)]
        attribute: AttributeRow,
    }
    let rows = sqlx::query_as::<_, Row>(
        "SELECT s.access_package_id, ra.attribute_name, ra.answer_format, ra.question_text, ra.localizations, \
         ra.choices, ra.is_editable, ra.is_persisted_on_assignment_removal \
         FROM (SELECT DISTINCT access_package_id, catalog_resource_id FROM access_package_resource_role_scopes) s \
         JOIN resource_attributes ra ON ra.catalog_resource_id = s.catalog_resource_id \
         ORDER BY s.access_package_id, s.catalog_resource_id, ra.position",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| Ok((r.access_package_id, r.attribute.decode()?)))
        .collect()
}

impl AttributeRow {
    fn decode(self) -> Result<RequiredAttribute> {
        let r = self;
        {
            Ok(RequiredAttribute {
                answer_format: AnswerFormat::parse(&r.answer_format).ok_or_else(|| {
                    StoreError::Corrupt(format!("answer_format {}", r.answer_format))
                })?,
                localizations: serde_json::from_str::<Vec<Localization>>(&r.localizations)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                choices: serde_json::from_str::<Vec<String>>(&r.choices)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                attribute_name: r.attribute_name,
                question_text: r.question_text,
                is_editable: r.is_editable,
                keep_value: r.is_persisted_on_assignment_removal,
            })
        }
    }
}

pub async fn replace_required_attributes(
    conn: &mut Conn,
    resource: &CatalogResourceId,
    attributes: &[RequiredAttribute],
) -> Result<()> {
    sqlx::query("DELETE FROM resource_attributes WHERE catalog_resource_id = $1")
        .bind(resource.as_str())
        .execute(&mut *conn)
        .await?;
    for (position, a) in attributes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO resource_attributes (id, catalog_resource_id, attribute_name, name_lower, answer_format, \
             question_text, localizations, choices, is_editable, is_persisted_on_assignment_removal, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(resource.as_str())
        .bind(&a.attribute_name)
        .bind(a.attribute_name.to_lowercase())
        .bind(a.answer_format.as_str())
        .bind(&a.question_text)
        .bind(serde_json::to_string(&a.localizations).unwrap_or_else(|_| "[]".into()))
        .bind(serde_json::to_string(&a.choices).unwrap_or_else(|_| "[]".into()))
        .bind(a.is_editable)
        .bind(a.keep_value)
        .bind(position as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageSummary {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub is_hidden: bool,
}

pub async fn packages(conn: &mut Conn, catalog: &CatalogId) -> Result<Vec<PackageSummary>> {
    sqlx::query_as::<_, PackageSummary>(
        "SELECT id, display_name, description, is_hidden FROM access_packages WHERE catalog_id = $1 ORDER BY lower(display_name)",
    )
    .bind(catalog.as_str())
    .all(conn)
    .await
}

/// The id of a group, application or site by its exact name (any case).
pub async fn origin_by_name(
    conn: &mut Conn,
    origin: OriginSystem,
    name: &str,
) -> Result<Option<String>> {
    let table = origin_table(origin);
    sqlx::query_scalar::<_, String>(&format!("SELECT id FROM {table} WHERE name_lower = $1"))
        .bind(name.to_lowercase())
        .optional(conn)
        .await
}

/// The roles a directory object offers, as (role origin id, display name):
/// `member`/`owner` for groups, `member`/`owner`/`visitor` for sites, the app
/// role ids for applications (`defaultAccess` when it defines none).
pub async fn role_options(
    conn: &mut Conn,
    origin: OriginSystem,
    origin_id: &str,
) -> Result<Vec<(String, String)>> {
    Ok(match origin {
        OriginSystem::AadGroup => [GroupRole::Member, GroupRole::Owner]
            .iter()
            .map(|r| (r.as_str().to_string(), r.label().to_string()))
            .collect(),
        OriginSystem::SharePointOnline => SiteRole::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), r.label().to_string()))
            .collect(),
        OriginSystem::AadApplication => {
            let roles = sqlx::query_as::<_, (String, String)>(
                "SELECT id, display_name FROM app_roles WHERE application_id = $1 ORDER BY position",
            )
            .bind(origin_id)
            .fetch_all(conn)
            .await?;
            if roles.is_empty() {
                vec![("defaultAccess".to_string(), DEFAULT_ACCESS_ROLE.to_string())]
            } else {
                roles
            }
        }
    })
}

/// The directory table that holds objects of this origin.
fn origin_table(origin: OriginSystem) -> &'static str {
    match origin {
        OriginSystem::AadGroup => "groups",
        OriginSystem::AadApplication => "applications",
        OriginSystem::SharePointOnline => "sites",
    }
}
