//! The append-only audit log.

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::Result;
use super::page::{Page, PageAt};
use super::sql::{Conn, Statement};
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
    #[sqlx(try_from = "String")]
    pub details: Details,
}

/// An event's details, the JSON document it was recorded with: read as such,
/// or the row fails to read (a corrupt row is an error, never shown as text).
#[derive(Debug, Clone)]
pub struct Details {
    text: String,
    value: serde_json::Value,
}

impl Details {
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }

    /// The document as stored (the CSV export's column).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for Details {
    type Error = serde_json::Error;

    fn try_from(text: String) -> Result<Details, serde_json::Error> {
        let value = serde_json::from_str(&text)?;
        Ok(Details { text, value })
    }
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
    let one_statement = !mails.is_empty()
        && mails.len() <= 100
        && super::sql::dialect(conn) == super::sql::Dialect::Postgres;
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
    // Only the filters given are in the statement: a `$n IS NULL OR …`
    // for each would keep the planner from the indexes on the object, the
    // actor and the time.
    let search = &filter.search;
    let mut clauses: Vec<&str> = vec![];
    let mut values: Vec<String> = vec![];
    let mut add = |clause: &'static str, value: Option<String>| {
        if let Some(v) = value {
            clauses.push(clause);
            values.push(v);
        }
    };
    add("object_type = ?", filter.object_type.clone());
    add("object_id = ?", filter.object_id.clone());
    add("actor_id = ?", filter.actor_id.clone());
    // Activities are English sentences, so SQLite's ASCII-only lower()
    // folds them as well as PostgreSQL's.
    add(
        "lower(action) LIKE ? ESCAPE '\\'",
        search
            .activity
            .as_deref()
            .map(super::columns::words_pattern),
    );
    add("occurred_at >= ?", search.from.map(ts));
    add("occurred_at < ?", search.before.map(ts));
    let mut condition = String::new();
    for (n, clause) in clauses.iter().enumerate() {
        condition.push_str(if n == 0 { "WHERE " } else { " AND " });
        condition.push_str(&clause.replace('?', &format!("${}", n + 1)));
    }
    let count_sql = format!("SELECT COUNT(*) FROM audit_events {condition}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for v in &values {
        count = count.bind(v.clone());
    }
    let total = count.fetch_one(&mut *conn).await?;
    let (limit, offset) = (values.len() + 1, values.len() + 2);
    let list_sql = format!(
        "SELECT id, occurred_at, actor_id, actor_name, action, object_type, object_id, object_name, details \
         FROM audit_events {condition} ORDER BY id DESC LIMIT ${limit} OFFSET ${offset}"
    );
    let mut list = sqlx::query_as::<_, AuditEventRow>(&list_sql);
    for v in values {
        list = list.bind(v);
    }
    let items = list.bind(at.size).bind(at.offset()).fetch_all(conn).await?;
    Ok(Page::of(items, total, at))
}

#[cfg(test)]
mod tests {
    use super::Details;

    /// Details that are no JSON document fail the read; they are never
    /// shown as text.
    #[test]
    fn details_read_as_a_document_or_not_at_all() {
        let d = Details::try_from(r#"{"role": "catalogOwner"}"#.to_string()).unwrap();
        assert_eq!(d.value()["role"], "catalogOwner");
        assert_eq!(d.as_str(), r#"{"role": "catalogOwner"}"#);
        assert!(Details::try_from("{not json".to_string()).is_err());
    }
}
