//! Operations › Requests: every package's requests in one list, by state.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::request::RequestFilter;
use crate::service::overview;
use crate::store::Page;
use crate::store::requests::AnyRequestRow;
use crate::web::admin::console::Console;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, page_at, render};

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
    filters: super::query::Filters,
    filter: String,
    list: Page<AnyRequestRow>,
    prev: String,
    next: String,
}

#[tracing::instrument(skip_all)]
pub(super) async fn page(cx: Console, q: web::Query<RequestsQuery>) -> Reply {
    let filter = RequestFilter::parse(&q.state);
    let list = overview::requests(cx.store(), filter, page_at(q.page, 50)).await?;
    // An unknown state filtered nothing: the tabs and links do not carry it.
    let shown = filter.map_or("", RequestFilter::as_str);
    render(&Requests {
        layout: cx.layout("Requests"),
        filters: super::query::request_filters(),
        prev: format!("?state={shown}&page={}", list.page - 1),
        next: format!("?state={shown}&page={}", list.page + 1),
        filter: shown.to_string(),
        list,
    })
}
