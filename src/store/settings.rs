//! Instance-wide key/value settings kept in the database.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{Result, StoreError};
use super::sql::{Conn, Rows, Statement};

/// The key of the organization's settings document (`TenantSettings`).
pub const TENANT: &str = "tenant";

pub async fn get(conn: &mut Conn, key: &str) -> Result<Option<String>> {
    sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .optional(conn)
        .await
}

/// Stores `value` unless the key already has one; returns the value in force.
/// Two instances starting at once therefore agree on one value.
pub async fn get_or_insert(conn: &mut Conn, key: &str, value: &str) -> Result<String> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    get(conn, key)
        .await?
        .ok_or(super::error::StoreError::NotFound)
}

pub async fn put(conn: &mut Conn, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .exec(conn)
    .await
}

/// A setting kept as JSON; a value that does not read back as `T` is an
/// error, never a default.
pub async fn get_json<T: DeserializeOwned>(conn: &mut Conn, key: &str) -> Result<Option<T>> {
    get(conn, key)
        .await?
        .map(|v| {
            serde_json::from_str(&v).map_err(|e| StoreError::Corrupt(format!("setting {key}: {e}")))
        })
        .transpose()
}

pub async fn put_json<T: Serialize>(conn: &mut Conn, key: &str, value: &T) -> Result<()> {
    let text = super::columns::to_json(&format!("setting {key}"), value)?;
    put(conn, key, &text).await
}
