//! API tokens: their hashes, expiry, revocation and last use.

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::Result;
use super::sql::{Conn, Rows, Statement};
use crate::domain::api_token::NewToken;
use crate::domain::ids::ApiTokenId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub hint: String,
    pub created_by: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

const COLUMNS: &str =
    "id, name, purpose, hint, created_by, created_at, expires_at, revoked_at, last_used_at";

pub async fn all(conn: &mut Conn) -> Result<Vec<TokenRow>> {
    sqlx::query_as::<_, TokenRow>(&format!(
        "SELECT {COLUMNS} FROM api_tokens ORDER BY revoked_at IS NOT NULL, created_at DESC"
    ))
    .all(conn)
    .await
}

/// The token with this id, or with this hash (both unique).
pub async fn find(conn: &mut Conn, by: TokenKey<'_>) -> Result<Option<TokenRow>> {
    let (column, value) = match by {
        TokenKey::Id(id) => ("id", id.as_str()),
        TokenKey::Hash(hash) => ("token_hash", hash),
    };
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE {column} = $1");
    sqlx::query_as::<_, TokenRow>(&sql)
        .bind(value)
        .optional(conn)
        .await
}

/// How a token is looked up: by id (the console), or by the hash of what a
/// caller presents.
#[derive(Clone, Copy)]
pub enum TokenKey<'a> {
    Id(&'a ApiTokenId),
    Hash(&'a str),
}

pub async fn insert(
    conn: &mut Conn,
    id: &ApiTokenId,
    t: &NewToken,
    hash: &str,
    hint: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (id, name, purpose, token_hash, hint, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(&t.name)
    .bind(t.purpose.as_str())
    .bind(hash)
    .bind(hint)
    .bind(created_by)
    .bind(ts(now))
    .bind(t.expires_at.map(ts))
    .exec(conn)
    .await
}

pub async fn revoke(conn: &mut Conn, id: &ApiTokenId, now: DateTime<Utc>) -> Result<bool> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id.as_str())
        .bind(ts(now))
        .changed_one(conn)
        .await
}

pub async fn touch(conn: &mut Conn, id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(ts(now))
        .exec(conn)
        .await
}
