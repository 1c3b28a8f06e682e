//! The mail outbox: messages written with the change they tell about, sent later.

use chrono::{DateTime, Utc};

use super::{Conn, Page, Result, map_err, ts};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailRow {
    pub id: String,
    pub kind: String,
    pub to_address: String,
    pub to_name: String,
    pub data: String,
    pub created_at: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
    /// Given up: the message can never be sent (`last_error` says why).
    pub abandoned_at: Option<String>,
}

pub async fn enqueue(
    conn: &mut Conn,
    kind: &str,
    to_address: &str,
    to_name: &str,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO mail_outbox (id, kind, to_address, to_name, data, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(kind)
    .bind(to_address)
    .bind(to_name)
    .bind(data.to_string())
    .bind(ts(now))
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

const COLUMNS: &str = "id, kind, to_address, to_name, data, created_at, attempts, next_attempt_at, sent_at, last_error, abandoned_at";

/// Newest first.
pub async fn list(conn: &mut Conn, page: i64, per_page: i64) -> Result<Page<MailRow>> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox")
        .fetch_one(&mut *conn)
        .await
        .map_err(map_err)?;
    let items = sqlx::query_as::<_, MailRow>(&format!(
        "SELECT {COLUMNS} FROM mail_outbox ORDER BY created_at DESC, id LIMIT $1 OFFSET $2"
    ))
    .bind(per_page)
    .bind(Page::<()>::offset(page, per_page))
    .fetch_all(conn)
    .await
    .map_err(map_err)?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// Messages due for sending.
pub async fn due(conn: &mut Conn, now: DateTime<Utc>, limit: i64) -> Result<Vec<MailRow>> {
    sqlx::query_as::<_, MailRow>(&format!(
        "SELECT {COLUMNS} FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
         AND abandoned_at IS NULL ORDER BY next_attempt_at, id LIMIT $2"
    ))
    .bind(ts(now))
    .bind(limit)
    .fetch_all(conn)
    .await
    .map_err(map_err)
}

/// Takes a message for sending until `lease`; false when another sender took it first.
pub async fn claim(
    conn: &mut Conn,
    id: &str,
    seen_next: &str,
    lease: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = $3 WHERE id = $1 AND next_attempt_at = $2 AND sent_at IS NULL",
    )
    .bind(id)
    .bind(seen_next)
    .bind(ts(lease))
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_sent(conn: &mut Conn, id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE mail_outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1")
        .bind(id)
        .bind(ts(now))
        .execute(conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

pub async fn mark_failed(
    conn: &mut Conn,
    id: &str,
    error: &str,
    retry_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1")
        .bind(id)
        .bind(error)
        .bind(ts(retry_at))
        .execute(conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Gives a message up: it can never be sent, for the reason given.
pub async fn mark_abandoned(
    conn: &mut Conn,
    id: &str,
    error: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, abandoned_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(ts(now))
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(())
}
