//! The append-only audit log.

use chrono::{DateTime, Utc};

use super::{Conn, Page, PageAt, Result, Statement, ts};
use crate::domain::audit::{Actor, NewAuditEvent, Search};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEventRow {
    pub id: i64,
    pub occurred_at: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub object_name: String,
    pub details: String,
}

/// Records the event and queues the mails it goes with: one statement on
/// PostgreSQL (a round trip saved on every change that mails someone).
pub async fn record_with_mails(
    conn: &mut Conn,
    actor: &Actor,
    event: &NewAuditEvent,
    mails: &[crate::domain::message::Mail],
    now: DateTime<Utc>,
) -> Result<()> {
    let one_statement =
        !mails.is_empty() && mails.len() <= 100 && super::dialect(conn) == super::Dialect::Postgres;
    if !one_statement {
        super::outbox::enqueue(conn, mails, now).await?;
        return record(conn, actor, event, now).await;
    }
    let sql = format!(
        "WITH m AS ({}) {INSERT}",
        super::outbox::insert_sql(9, mails.len(), 1)
    );
    let q = bind(sqlx::query(&sql), actor, event, now);
    let prefix = uuid::Uuid::new_v4().to_string();
    super::outbox::bind_mails(q, mails, &prefix, 0)
        .exec(conn)
        .await
}

const INSERT: &str = "INSERT INTO audit_events (occurred_at, actor_id, actor_name, action, object_type, \
     object_id, object_name, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Binds an event's eight values, `$1` to `$8`.
fn bind<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    actor: &Actor,
    event: &NewAuditEvent,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(ts(now))
        .bind(actor.user_id.clone())
        .bind(actor.display_name.clone())
        .bind(event.action.clone())
        .bind(event.object_type)
        .bind(event.object_id.clone())
        .bind(event.object_name.clone())
        .bind(event.details.to_string())
}

pub async fn record(
    conn: &mut Conn,
    actor: &Actor,
    event: &NewAuditEvent,
    now: DateTime<Utc>,
) -> Result<()> {
    bind(sqlx::query(INSERT), actor, event, now)
        .exec(conn)
        .await
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_id: Option<String>,
    pub search: Search,
}

/// Newest first.
pub async fn list(
    conn: &mut Conn,
    filter: &AuditFilter,
    at: PageAt,
) -> Result<Page<AuditEventRow>> {
    // Activities are English sentences, so SQLite's ASCII-only lower()
    // folds them as well as PostgreSQL's.
    const WHERE: &str = "WHERE ($1 IS NULL OR object_type = $1) AND ($2 IS NULL OR object_id = $2) \
                         AND ($3 IS NULL OR actor_id = $3) \
                         AND ($4 IS NULL OR lower(action) LIKE $4 ESCAPE '\\') \
                         AND ($5 IS NULL OR occurred_at >= $5) AND ($6 IS NULL OR occurred_at < $6)";
    let search = &filter.search;
    let words = search.activity.as_deref().map(super::words_pattern);
    let (from, before) = (search.from.map(ts), search.before.map(ts));
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_events {WHERE}"))
        .bind(filter.object_type.clone())
        .bind(filter.object_id.clone())
        .bind(filter.actor_id.clone())
        .bind(words.clone())
        .bind(from.clone())
        .bind(before.clone())
        .fetch_one(&mut *conn)
        .await?;
    let items = sqlx::query_as::<_, AuditEventRow>(&format!(
        "SELECT id, occurred_at, actor_id, actor_name, action, object_type, object_id, object_name, details \
         FROM audit_events {WHERE} ORDER BY id DESC LIMIT $7 OFFSET $8"
    ))
    .bind(filter.object_type.clone())
    .bind(filter.object_id.clone())
    .bind(filter.actor_id.clone())
    .bind(words)
    .bind(from)
    .bind(before)
    .bind(at.size)
    .bind(at.offset())
    .fetch_all(conn)
    .await?;
    Ok(Page::of(items, total, at))
}
