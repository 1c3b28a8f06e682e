//! Access packages and their resource role scopes.

use chrono::{DateTime, Utc};

use super::{Conn, Flag, Result, map_err, ts};
use crate::domain::ids::{AccessPackageId, CatalogId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageRow {
    pub id: String,
    pub catalog_id: String,
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
        "INSERT INTO access_packages (id, catalog_id, display_name, description, is_hidden, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id.as_str())
    .bind(catalog.as_str())
    .bind(name)
    .bind(description.map(str::to_string))
    .bind(hidden)
    .bind(ts(now))
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &AccessPackageId) -> Result<Option<PackageRow>> {
    sqlx::query_as::<_, PackageRow>(
        "SELECT id, catalog_id, display_name, description, is_hidden FROM access_packages WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await
    .map_err(map_err)
}
