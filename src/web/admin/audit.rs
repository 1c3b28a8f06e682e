//! Admin › Audit log: every change, newest first, filtered by object and actor.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::audit::object_type;
use crate::routes;
use crate::store::Page;
use crate::store::audit::{AuditEventRow, AuditFilter};
use crate::web::Reply;
use crate::web::admin::console::Console;
use crate::web::format::{Change, changes};
use crate::web::routing::Router;
use crate::web::{Layout, page_at, render};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.get(routes::ADMIN_AUDIT, list);
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    object_type: String,
    object_id: String,
    actor: String,
    page: Option<i64>,
}

/// An event as the log shows it: its changes as "field: old → new".
pub struct EventView {
    pub event: AuditEventRow,
    pub kind: &'static str,
    pub changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    page: Page<EventView>,
    object_type: String,
    object_id: String,
    actor: String,
    types: &'static [&'static str],
    prev: String,
    next: String,
}

fn link(q: &AuditQuery, page: i64) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "{}?object_type={}&object_id={}&actor={}&page={page}",
        routes::ADMIN_AUDIT,
        enc(&q.object_type),
        enc(&q.object_id),
        enc(&q.actor)
    )
}

#[tracing::instrument(skip_all)]
async fn list(cx: Console, q: web::Query<AuditQuery>) -> Reply {
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = AuditFilter {
        object_type: some(&q.object_type),
        object_id: some(&q.object_id),
        actor_id: some(&q.actor),
    };
    let page = crate::service::audit::list(cx.store(), &filter, page_at(q.page, 50))
        .await?
        .map(|e| EventView {
            kind: object_type::label(&e.object_type),
            changes: changes(&e.details),
            event: e,
        });
    render(&AuditPage {
        layout: cx.layout("Audit log"),
        prev: link(&q, page.page - 1),
        next: link(&q, page.page + 1),
        page,
        object_type: q.object_type.clone(),
        object_id: q.object_id.clone(),
        actor: q.actor.clone(),
        types: object_type::ALL,
    })
}
