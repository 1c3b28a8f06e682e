//! The mail outbox: messages written with the change they tell about, sent later.

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::Result;
use super::page::{Page, PageAt};
use super::sql::{Conn, Statement};
use crate::domain::ids::MailId;
use crate::domain::message::{Mail, Message};

#[derive(sqlx::FromRow)]
struct Raw {
    id: String,
    kind: String,
    to_address: String,
    to_name: String,
    data: String,
    created_at: String,
    attempts: i64,
    next_attempt_at: String,
    sent_at: Option<String>,
    last_error: Option<String>,
    abandoned_at: Option<String>,
}

/// A queued message as the outbox keeps it.
#[derive(Debug, Clone)]
pub struct MailRow {
    pub id: String,
    pub to_address: String,
    pub to_name: String,
    /// The message, or why its row cannot be read as one: a row no
    /// version of Gatehouse wrote is never sent as a guess.
    pub message: std::result::Result<Message, String>,
    pub created_at: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
    /// Given up: the message can never be sent (`last_error` says why).
    pub abandoned_at: Option<String>,
}

impl From<Raw> for MailRow {
    fn from(r: Raw) -> MailRow {
        MailRow {
            message: Message::from_stored(&r.kind, &r.data),
            id: r.id,
            to_address: r.to_address,
            to_name: r.to_name,
            created_at: r.created_at,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            sent_at: r.sent_at,
            last_error: r.last_error,
            abandoned_at: r.abandoned_at,
        }
    }
}

/// At most this many messages a statement: 5 values each stay far below
/// every bind limit.
const PER_STATEMENT: usize = 100;

/// `INSERT INTO mail_outbox ... VALUES` for `n` messages whose values start
/// at `$first` (five each), `$now` the time.
pub(crate) fn insert_sql(first: usize, n: usize, now: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let b = first + i * 5;
            format!(
                "(${b}, ${}, ${}, ${}, ${}, ${now}, ${now})",
                b + 1,
                b + 2,
                b + 3,
                b + 4
            )
        })
        .collect();
    format!(
        "INSERT INTO mail_outbox (id, kind, to_address, to_name, data, created_at, next_attempt_at) VALUES {}",
        rows.join(", ")
    )
}

/// Binds each message's five values, in `insert_sql`'s order; ids share a
/// prefix, so that a batch sits side by side in the outbox's key.
pub(crate) fn bind_mails<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    mails: &[Mail],
    prefix: &str,
    offset: usize,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for (i, m) in mails.iter().enumerate() {
        q = q
            .bind(format!("{prefix}.{:06}", offset + i))
            .bind(m.message.kind().as_str())
            .bind(m.to_address.clone())
            .bind(m.to_name.clone())
            .bind(m.message.data().to_string());
    }
    q
}

/// Queues `mails` (a statement a hundred).
pub async fn enqueue(conn: &mut Conn, mails: &[Mail], now: DateTime<Utc>) -> Result<()> {
    let prefix = uuid::Uuid::new_v4().to_string();
    for (c, chunk) in mails.chunks(PER_STATEMENT).enumerate() {
        let sql = insert_sql(2, chunk.len(), 1);
        let q = sqlx::query(&sql).bind(ts(now));
        bind_mails(q, chunk, &prefix, c * PER_STATEMENT)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

const COLUMNS: &str = "id, kind, to_address, to_name, data, created_at, attempts, next_attempt_at, sent_at, last_error, abandoned_at";

/// Newest first.
pub async fn list(conn: &mut Conn, at: PageAt) -> Result<Page<MailRow>> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox")
        .fetch_one(&mut *conn)
        .await?;
    let items = sqlx::query_as::<_, Raw>(&format!(
        "SELECT {COLUMNS} FROM mail_outbox ORDER BY created_at DESC, id LIMIT $1 OFFSET $2"
    ))
    .bind(at.size)
    .bind(at.offset())
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(MailRow::from)
    .collect();
    Ok(Page::of(items, total, at))
}

/// Messages due for sending.
pub async fn due(conn: &mut Conn, now: DateTime<Utc>, limit: i64) -> Result<Vec<MailRow>> {
    Ok(sqlx::query_as::<_, Raw>(&format!(
        "SELECT {COLUMNS} FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
         AND abandoned_at IS NULL ORDER BY next_attempt_at, id LIMIT $2"
    ))
    .bind(ts(now))
    .bind(limit)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(MailRow::from)
    .collect())
}

/// Takes a message for sending until `lease`; false when another sender took it first.
pub async fn claim(
    conn: &mut Conn,
    id: &str,
    seen_next: &str,
    lease: DateTime<Utc>,
) -> Result<bool> {
    sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = $3 WHERE id = $1 AND next_attempt_at = $2 AND sent_at IS NULL",
    )
    .bind(id)
    .bind(seen_next)
    .bind(ts(lease))
    .changed_one(conn)
    .await
}

/// Puts a message that was given up back in the queue, due at `now`;
/// returns its recipient's address, or nothing when no message was given up
/// under that id.
pub async fn send_again(
    conn: &mut Conn,
    id: &MailId,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE mail_outbox SET abandoned_at = NULL, next_attempt_at = $2 \
         WHERE id = $1 AND abandoned_at IS NOT NULL AND sent_at IS NULL RETURNING to_address",
    )
    .bind(id.as_str())
    .bind(ts(now))
    .fetch_optional(conn)
    .await?)
}

/// Records the message sent by the claim that ends at `lease`; a claim that
/// ran out and was taken by another instance records nothing (that one will).
pub async fn mark_sent(
    conn: &mut Conn,
    id: &str,
    lease: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL \
         WHERE id = $1 AND next_attempt_at = $3 AND sent_at IS NULL",
    )
    .bind(id)
    .bind(ts(now))
    .bind(ts(lease))
    .exec(conn)
    .await
}

/// What becomes of a message that failed: tried again at a time, or given
/// up (it can never be sent) at a time.
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    GiveUp(DateTime<Utc>),
}

/// Records a failed attempt by the claim that ends at `lease`, the reason,
/// and what comes after it (nothing, if the claim was taken meanwhile).
pub async fn mark_failed(
    conn: &mut Conn,
    id: &str,
    lease: DateTime<Utc>,
    error: &str,
    then: AfterFailure,
) -> Result<()> {
    let (column, at) = match then {
        AfterFailure::RetryAt(at) => ("next_attempt_at", at),
        AfterFailure::GiveUp(at) => ("abandoned_at", at),
    };
    sqlx::query(&format!(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, {column} = $3 \
         WHERE id = $1 AND next_attempt_at = $4 AND sent_at IS NULL"
    ))
    .bind(id)
    .bind(error)
    .bind(ts(at))
    .bind(ts(lease))
    .exec(conn)
    .await
}

/// Messages that could not be sent: given up, or failed and waiting to be
/// tried again; newest first.
pub async fn problems(conn: &mut Conn, limit: i64) -> Result<Vec<MailRow>> {
    Ok(sqlx::query_as::<_, Raw>(&format!(
        "SELECT {COLUMNS} FROM mail_outbox WHERE sent_at IS NULL AND last_error IS NOT NULL \
         ORDER BY created_at DESC, id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(MailRow::from)
    .collect())
}
