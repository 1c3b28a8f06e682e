//! One-time sign-in codes sent by email.

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::{Result, map_err};
use super::sql::{Conn, Rows, Statement};

/// How many codes were sent to the address since `since`.
pub async fn sent_since(conn: &mut Conn, email_lower: &str, since: DateTime<Utc>) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sign_in_codes WHERE email_lower = $1 AND created_at >= $2",
    )
    .bind(email_lower)
    .bind(ts(since))
    .one(conn)
    .await
}

/// How many codes were asked for from the client address since `since`, to any address.
pub async fn sent_to_client_since(
    conn: &mut Conn,
    client: &str,
    since: DateTime<Utc>,
) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sign_in_codes WHERE client_address = $1 AND created_at >= $2",
    )
    .bind(client)
    .bind(ts(since))
    .one(conn)
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut Conn,
    id: &str,
    email_lower: &str,
    code_hash: &str,
    client: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_codes (id, email_lower, code_hash, created_at, expires_at, client_address) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(email_lower)
    .bind(code_hash)
    .bind(ts(now))
    .bind(ts(expires))
    .bind(client)
    .exec(conn)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct OpenCode {
    pub id: String,
    pub code_hash: String,
    pub created_at: String,
}

/// Uses the code up; false when it was used meanwhile.
pub async fn use_up(conn: &mut Conn, id: &str, now: DateTime<Utc>) -> Result<bool> {
    sqlx::query("UPDATE sign_in_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
        .bind(id)
        .bind(ts(now))
        .changed_one(conn)
        .await
}

/// When the newest code for the address was made, if any was.
pub async fn newest_created(conn: &mut Conn, email_lower: &str) -> Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT created_at FROM sign_in_codes WHERE email_lower = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(email_lower)
    .fetch_optional(conn)
    .await
    .map_err(map_err)
}

/// Takes the newest code for the address, if it is unused, unexpired and
/// has been guessed at fewer than `max_guesses` times (by anyone), counting
/// the guess on it. The update holds the code's row until commit, so that
/// guesses at one address are counted one after the other.
pub async fn claim_attempt(
    conn: &mut Conn,
    email_lower: &str,
    max_guesses: i64,
    now: DateTime<Utc>,
) -> Result<Option<OpenCode>> {
    let newest = sqlx::query_scalar::<_, String>(
        "SELECT id FROM sign_in_codes WHERE email_lower = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(email_lower)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = newest else {
        return Ok(None);
    };
    sqlx::query_as::<_, (String, String, String)>(
        "UPDATE sign_in_codes SET attempts = attempts + 1 WHERE id = $1 \
         AND used_at IS NULL AND expires_at > $2 AND attempts < $3 \
         RETURNING id, code_hash, created_at",
    )
    .bind(&id)
    .bind(ts(now))
    .bind(max_guesses)
    .fetch_optional(conn)
    .await
    .map(|r| {
        r.map(|(id, code_hash, created_at)| OpenCode {
            id,
            code_hash,
            created_at,
        })
    })
    .map_err(map_err)
}

/// Records a guess from `client` at the address's code.
pub async fn record_guess(
    conn: &mut Conn,
    email_lower: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_code_guesses (email_lower, client_address, guessed_at) VALUES ($1, $2, $3)",
    )
    .bind(email_lower)
    .bind(client)
    .bind(ts(now))
    .exec(conn)
    .await
}

/// Guesses from `client` since `since`: at one address's codes, or (`None`)
/// at any address's.
pub async fn guesses_since(
    conn: &mut Conn,
    email_lower: Option<&str>,
    client: &str,
    since: &str,
) -> Result<i64> {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM sign_in_code_guesses WHERE client_address = $1 AND guessed_at >= $2 \
         AND ($3 = '' OR email_lower = $3)",
    )
    .bind(client)
    .bind(since)
    .bind(email_lower.unwrap_or(""))
    .one(conn)
    .await
}

/// Forgets codes and guesses older than `before`: they count for minutes only.
pub async fn forget_before(conn: &mut Conn, before: DateTime<Utc>) -> Result<u64> {
    let mut n = 0;
    for sql in [
        "DELETE FROM sign_in_code_guesses WHERE guessed_at < $1",
        "DELETE FROM sign_in_codes WHERE created_at < $1",
    ] {
        n += sqlx::query(sql)
            .bind(ts(before))
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}
