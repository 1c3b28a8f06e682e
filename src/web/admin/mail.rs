//! Admin › Mail outbox: every message Gatehouse queued, with its link and
//! whether it was sent. Without SMTP configured, this is where mail is read.

use actix_web::web;
use askama::Template;

use super::query::ListQuery;
use crate::domain::ids::MailId;
use crate::domain::request::moment_in;
use crate::notify::render_for_admin as render;
use crate::routes;
use crate::web::admin::console::Console;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, page_at, render as render_page};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.get(routes::ADMIN_MAIL, list)
        .post(routes::ADMIN_MAIL_SEND_AGAIN, send_again);
}

pub struct MailView {
    pub id: String,
    /// Given up: it can be sent again.
    pub given_up: bool,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The HTML part, shown as the recipient's mail program shows it.
    pub html: String,
    pub link: String,
    pub created_at: String,
    pub status: String,
    pub failed: bool,
}

#[derive(Template)]
#[template(path = "admin/mail.html")]
struct MailPage {
    layout: Layout,
    messages: Vec<MailView>,
    total: i64,
    page: i64,
    pages: i64,
    smtp: bool,
}

#[tracing::instrument(skip_all)]
async fn list(cx: Console, q: web::Query<ListQuery>) -> Reply {
    let page = crate::service::outbox::list(cx.store(), page_at(q.page, 25)).await?;
    let base = cx.state.config.url_for("");
    let messages = page
        .items
        .iter()
        .map(|m| {
            let r = m
                .message
                .as_ref()
                .map_err(String::clone)
                .and_then(|msg| render(msg, &base));
            let (subject, text, html, link) = match r {
                Ok(r) => (r.subject, r.text, r.html, r.link),
                Err(e) => (
                    format!("({e})"),
                    String::new(),
                    String::new(),
                    String::new(),
                ),
            };
            let tz = cx.who.tz;
            let status = match (&m.sent_at, &m.last_error) {
                (Some(at), _) => format!("Sent {}", plain_time(at, tz)),
                (None, Some(e)) if m.abandoned_at.is_some() => {
                    format!("Given up: this message cannot be sent ({e}).")
                }
                (None, Some(e)) => format!(
                    "Not sent after {} {}: {e}. Next try {}",
                    m.attempts,
                    if m.attempts == 1 {
                        "attempt"
                    } else {
                        "attempts"
                    },
                    plain_time(&m.next_attempt_at, tz)
                ),
                (None, None) if cx.state.config.smtp.is_some() => "Waiting to be sent".into(),
                (None, None) => "Kept here: no SMTP server is configured".into(),
            };
            MailView {
                id: m.id.clone(),
                given_up: m.abandoned_at.is_some(),
                to: format!("{} <{}>", m.to_name, m.to_address),
                subject,
                text,
                html,
                link,
                created_at: m.created_at.clone(),
                failed: m.sent_at.is_none() && m.last_error.is_some(),
                status,
            }
        })
        .collect();
    render_page(&MailPage {
        layout: cx.layout("Mail outbox"),
        messages,
        total: page.total,
        page: page.page,
        pages: page.pages(),
        smtp: cx.state.config.smtp.is_some(),
    })
}

/// A stored time as plain text in the viewer's zone (for a sentence).
fn plain_time(stored: &str, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::parse_from_rfc3339(stored)
        .map_or_else(|_| stored.to_string(), |t| moment_in(t.to_utc(), tz))
}

/// Sends a message that was given up once more.
#[tracing::instrument(skip_all)]
async fn send_again(cx: Console, PathId(id): PathId<MailId>, _form: Form<NoFields>) -> Reply {
    let r = crate::service::outbox::send_again(cx.store(), &cx.actor(), &id, cx.now()).await;
    cx.done_or_refused(
        r,
        "The message is queued to be sent again.",
        routes::ADMIN_MAIL.as_str(),
    )
}
