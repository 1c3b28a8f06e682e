//! The append-only audit log.

use chrono::{DateTime, Utc};

use super::{Conn, Page, Result, map_err, ts};
use crate::domain::audit::{Actor, NewAuditEvent};

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

pub async fn record(
    conn: &mut Conn,
    actor: &Actor,
    event: &NewAuditEvent,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (occurred_at, actor_id, actor_name, action, object_type, object_id, object_name, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ts(now))
    .bind(actor.user_id.clone())
    .bind(&actor.display_name)
    .bind(&event.action)
    .bind(event.object_type)
    .bind(&event.object_id)
    .bind(&event.object_name)
    .bind(event.details.to_string())
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_id: Option<String>,
}

/// Newest first.
pub async fn list(
    conn: &mut Conn,
    filter: &AuditFilter,
    page: i64,
    per_page: i64,
) -> Result<Page<AuditEventRow>> {
    const WHERE: &str = "WHERE ($1 IS NULL OR object_type = $1) AND ($2 IS NULL OR object_id = $2) \
                         AND ($3 IS NULL OR actor_id = $3)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_events {WHERE}"))
        .bind(filter.object_type.clone())
        .bind(filter.object_id.clone())
        .bind(filter.actor_id.clone())
        .fetch_one(&mut *conn)
        .await
        .map_err(map_err)?;
    let items = sqlx::query_as::<_, AuditEventRow>(&format!(
        "SELECT id, occurred_at, actor_id, actor_name, action, object_type, object_id, object_name, details \
         FROM audit_events {WHERE} ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(filter.object_type.clone())
    .bind(filter.object_id.clone())
    .bind(filter.actor_id.clone())
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
