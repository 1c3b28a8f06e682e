//! The console's home: how many of each, and what needs attention (failed
//! deliveries, requests about to be denied, mail that could not be sent);
//! and Operations › Requests, every package's requests in one list.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::routes;
use crate::service::overview;
use crate::store::Page;
use crate::store::outbox::MailRow;
use crate::store::requests::AnyRequestRow;
use crate::web::Reply;
use crate::web::admin::console::Console;
use crate::web::{Layout, page_at, render};

#[derive(Template)]
#[template(path = "admin/home.html")]
struct Home {
    layout: Layout,
    /// (label, count, where to see them).
    tiles: Vec<(&'static str, i64, String)>,
    requests: Vec<AnyRequestRow>,
    mail: Vec<MailRow>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn home(cx: Console) -> Reply {
    let o = overview::overview(cx.store(), cx.now()).await?;
    let count = |k: &str| o.counts.iter().find(|(n, _)| n == k).map_or(0, |(_, c)| *c);
    let tiles = vec![
        (
            "Catalogs",
            count("catalogs"),
            routes::ADMIN_CATALOGS.to_string(),
        ),
        (
            "Access packages",
            count("packages"),
            routes::ADMIN_PACKAGES.to_string(),
        ),
        (
            "Active assignments",
            count("assignments"),
            routes::ADMIN_PACKAGES.to_string(),
        ),
        (
            "Waiting for approval",
            count("pending"),
            format!("{}?state=open", routes::ADMIN_REQUESTS),
        ),
        (
            "Connected organizations",
            count("organizations"),
            routes::ADMIN_ORGS.to_string(),
        ),
        ("Members", count("users"), routes::ADMIN_USERS.to_string()),
        ("Guests", count("guests"), routes::ADMIN_USERS.to_string()),
        (
            "Groups and teams",
            count("groups"),
            routes::ADMIN_GROUPS.to_string(),
        ),
        (
            "Applications",
            count("applications"),
            routes::ADMIN_APPLICATIONS.to_string(),
        ),
        ("Sites", count("sites"), routes::ADMIN_SITES.to_string()),
    ];
    render(&Home {
        layout: cx.layout("Console"),
        tiles,
        requests: o.requests,
        mail: o.mail,
    })
}

#[derive(Deserialize, Default)]
pub struct RequestsQuery {
    #[serde(default)]
    state: String,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/requests.html")]
struct Requests {
    layout: Layout,
    filters: &'static [(&'static str, &'static str)],
    filter: String,
    list: Page<AnyRequestRow>,
    prev: String,
    next: String,
}

#[tracing::instrument(skip_all)]
pub(super) async fn requests(cx: Console, q: web::Query<RequestsQuery>) -> Reply {
    let filter = (!q.state.is_empty()).then_some(q.state.as_str());
    let list = overview::requests(cx.store(), filter, page_at(q.page, 50)).await?;
    let state_q: String = url::form_urlencoded::byte_serialize(q.state.as_bytes()).collect();
    render(&Requests {
        layout: cx.layout("Requests"),
        filters: super::REQUEST_FILTERS,
        prev: format!("?state={state_q}&page={}", list.page - 1),
        next: format!("?state={state_q}&page={}", list.page + 1),
        filter: q.state.clone(),
        list,
    })
}
