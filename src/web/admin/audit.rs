//! Admin › Audit log: every change, newest first, filtered by object,
//! actor, activity and days, and downloaded as CSV.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use actix_web::http::StatusCode;
use chrono_tz::Tz;

use crate::domain::audit::{Search, object_type};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::ServiceError;
use crate::store::audit::{AuditEventRow, AuditFilter};
use crate::store::{Page, PageAt};
use crate::web::admin::console::Console;
use crate::web::admin::csv::csv_download;
use crate::web::format::{Change, changes};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, page_at, render_status};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.get(routes::ADMIN_AUDIT, list);
    cfg.get(routes::ADMIN_AUDIT_CSV, download);
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    object_type: String,
    object_id: String,
    actor: String,
    activity: String,
    from: String,
    to: String,
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
    q: AuditQuery,
    errors: FieldErrors,
    types: &'static [&'static str],
    prev: String,
    next: String,
    /// Every event the filter finds, as CSV.
    csv: String,
}

/// The filter's query string, at `page`.
fn query(q: &AuditQuery, page: i64) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("object_type", &q.object_type),
        ("object_id", &q.object_id),
        ("actor", &q.actor),
        ("activity", &q.activity),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        s.append_pair(k, v);
    }
    s.append_pair("page", &page.to_string());
    s.finish()
}

/// The filter as the store reads it; with what in it could not be read
/// (to show beside its field), the log unfiltered by activity and days.
fn filter(q: &AuditQuery, tz: Tz) -> (AuditFilter, FieldErrors) {
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let (search, errors) = match Search::parse(&q.activity, &q.from, &q.to, tz) {
        Ok(search) => (search, FieldErrors::new()),
        Err(e) => (Search::default(), e),
    };
    let filter = AuditFilter {
        object_type: some(&q.object_type),
        object_id: some(&q.object_id),
        actor_id: some(&q.actor),
        search,
    };
    (filter, errors)
}

#[tracing::instrument(skip_all)]
async fn list(cx: Console, q: web::Query<AuditQuery>) -> Reply {
    let layout = cx.layout("Audit log");
    let tz = layout.tz;
    let (filter, errors) = filter(&q, tz);
    let page = crate::service::audit::list(cx.store(), &filter, page_at(q.page, 50))
        .await?
        .map(|e| EventView {
            kind: object_type::label(&e.object_type),
            changes: changes(e.details.value(), tz),
            event: e,
        });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let at = |n: i64| format!("{}?{}", routes::ADMIN_AUDIT, query(&q, n));
    render_status(
        status,
        &AuditPage {
            layout,
            prev: at(page.page - 1),
            next: at(page.page + 1),
            csv: format!("{}?{}", routes::ADMIN_AUDIT_CSV, query(&q, 1)),
            page,
            q: q.into_inner(),
            errors,
            types: object_type::ALL,
        },
    )
}

/// The most events one download holds.
const CSV_ROWS: i64 = 100_000;

/// The events the filter finds, newest first, as CSV: times in UTC as
/// stored, what changed as its JSON.
#[tracing::instrument(skip_all)]
async fn download(cx: Console, q: web::Query<AuditQuery>) -> Reply {
    let (filter, errors) = filter(&q, cx.who.tz);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors).into());
    }
    let all = PageAt {
        number: 1,
        size: CSV_ROWS,
    };
    let found = crate::service::audit::list(cx.store(), &filter, all).await?;
    let rows = found.items.iter().map(|e| {
        vec![
            e.occurred_at.as_str(),
            e.actor_name.as_str(),
            e.actor_id.as_deref().unwrap_or(""),
            e.action.as_str(),
            object_type::label(&e.object_type),
            e.object_id.as_str(),
            e.object_name.as_str(),
            e.details.as_str(),
        ]
    });
    Ok(csv_download(
        "audit-log",
        &[
            "Time (UTC)",
            "Actor",
            "Actor id",
            "Activity",
            "Object type",
            "Object id",
            "Object",
            "Details",
        ],
        rows,
    ))
}
