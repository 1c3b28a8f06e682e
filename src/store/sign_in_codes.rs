//! One-time sign-in codes sent by email.

use chrono::{DateTime, Utc};

use super::{Conn, Result, map_err, ts};

/// How many codes were sent to the address since `since`.
pub async fn sent_since(conn: &mut Conn, email_lower: &str, since: DateTime<Utc>) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sign_in_codes WHERE email_lower = $1 AND created_at >= $2",
    )
    .bind(email_lower)
    .bind(ts(since))
    .fetch_one(conn)
    .await
    .map_err(map_err)
}

pub async fn insert(
    conn: &mut Conn,
    id: &str,
    email_lower: &str,
    code_hash: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_codes (id, email_lower, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(email_lower)
    .bind(code_hash)
    .bind(ts(now))
    .bind(ts(expires))
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct OpenCode {
    pub id: String,
    pub code_hash: String,
    pub attempts: i64,
}

/// The newest code for the address that is unused and unexpired: asking for a
/// new code makes the earlier ones useless.
pub async fn newest_open(
    conn: &mut Conn,
    email_lower: &str,
    now: DateTime<Utc>,
) -> Result<Option<OpenCode>> {
    let newest = sqlx::query_as::<_, (String, String, i64, Option<String>, String)>(
        "SELECT id, code_hash, attempts, used_at, expires_at FROM sign_in_codes WHERE email_lower = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(email_lower)
    .fetch_optional(conn)
    .await
    .map_err(map_err)?;
    Ok(newest.and_then(|(id, code_hash, attempts, used, expires)| {
        (used.is_none() && expires > ts(now)).then_some(OpenCode {
            id,
            code_hash,
            attempts,
        })
    }))
}

pub async fn count_attempt(conn: &mut Conn, id: &str) -> Result<()> {
    sqlx::query("UPDATE sign_in_codes SET attempts = attempts + 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Uses the code up; false when it was used meanwhile.
pub async fn use_up(conn: &mut Conn, id: &str, now: DateTime<Utc>) -> Result<bool> {
    let done =
        sqlx::query("UPDATE sign_in_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(id)
            .bind(ts(now))
            .execute(conn)
            .await
            .map_err(map_err)?;
    Ok(done.rows_affected() == 1)
}
