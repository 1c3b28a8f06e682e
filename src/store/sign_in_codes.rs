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

/// Counts a guess against the newest code for the address, if it is unused,
/// unexpired and has guesses left, and returns it; `None` otherwise.
pub async fn claim_attempt(
    conn: &mut Conn,
    email_lower: &str,
    max_attempts: i64,
    now: DateTime<Utc>,
) -> Result<Option<OpenCode>> {
    let newest = sqlx::query_scalar::<_, String>(
        "SELECT id FROM sign_in_codes WHERE email_lower = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(email_lower)
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    let Some(id) = newest else {
        return Ok(None);
    };
    sqlx::query_as::<_, (String, String, i64)>(
        "UPDATE sign_in_codes SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 \
         AND used_at IS NULL AND expires_at > $3 RETURNING id, code_hash, attempts",
    )
    .bind(&id)
    .bind(max_attempts)
    .bind(ts(now))
    .fetch_optional(conn)
    .await
    .map(|r| {
        r.map(|(id, code_hash, attempts)| OpenCode {
            id,
            code_hash,
            attempts,
        })
    })
    .map_err(map_err)
}

/// Guesses made against the address's codes since `since`.
pub async fn attempts_since(
    conn: &mut Conn,
    email_lower: &str,
    since: DateTime<Utc>,
) -> Result<i64> {
    sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COALESCE(SUM(attempts), 0) AS BIGINT) FROM sign_in_codes WHERE email_lower = $1 AND created_at >= $2",
    )
    .bind(email_lower)
    .bind(ts(since))
    .fetch_one(conn)
    .await
    .map_err(map_err)
}
