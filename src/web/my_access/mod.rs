//! My Access, in tabs: the access packages a person may request, holds and
//! held; their request history; the requests waiting for their approval
//! (`web::approvals`); and their access reviews.

mod package;
pub mod portal;
mod requests;
mod reviews;

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use self::portal::Portal;
use crate::domain::ids::UserId;
use crate::routes;
use crate::service::requests::availability::Tabs;
use crate::service::requests::on_behalf;
use crate::service::requests::view::{self, Held};
use crate::store::assignments::AssignmentRow;
use crate::store::requests::CandidateRow;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, page_number, render};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes::*;
    cfg.get(HOME, home)
        .form(PACKAGE, package::package_page, package::request)
        .post(PACKAGE_EXTEND, package::extend)
        .post(PACKAGE_GIVE_UP, package::give_up)
        .get(REQUESTS, requests::history)
        .get(REQUEST, requests::details)
        .post(REQUEST_CANCEL, requests::cancel)
        .post(REQUEST_RESUBMIT, requests::resubmit)
        .get(ACCESS_REVIEWS, reviews::list)
        .form(ACCESS_REVIEW, reviews::page, reviews::decide);
}

const PER_PAGE: usize = 20;

#[derive(Template)]
#[template(path = "my_access/home.html")]
struct Home {
    layout: Layout,
    /// `available`, `active` or `expired`.
    view: &'static str,
    q: String,
    packages: Vec<(CandidateRow, bool)>,
    total: usize,
    page: usize,
    pages: usize,
    /// The Active and Expired tabs' counts, whichever tab is shown.
    tabs: Tabs,
    /// The Active tab's assignments and the Expired tab's, when shown.
    active: Vec<Held>,
    ended: Vec<AssignmentRow>,
    /// (id, name) of the people who report to the person, whom they may
    /// ask for.
    reports: Vec<(String, String)>,
    /// The one of them the list is for (id, name); the person themselves
    /// when `None`.
    behalf: Option<(String, String)>,
}

impl Home {
    /// The query that keeps the list for whom it is, on links.
    fn for_query(&self) -> String {
        self.behalf
            .as_ref()
            .map(|(id, _)| format!("&for={id}"))
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
    #[serde(default)]
    view: String,
    /// A direct report to ask for, by id.
    #[serde(default, rename = "for")]
    for_report: String,
}

/// The Access packages tab: those one may request (searched), those one
/// holds, with their dates, and those one held.
#[tracing::instrument(skip_all)]
async fn home(me: Portal, q: web::Query<HomeQuery>) -> Reply {
    let view: &'static str = match q.view.as_str() {
        "active" => "active",
        "expired" => "expired",
        _ => "available",
    };
    let page = page_number(q.page) as usize;
    let mut home = Home {
        layout: me.layout("My Access"),
        view,
        q: q.q.clone(),
        packages: vec![],
        total: 0,
        page,
        pages: 1,
        tabs: Tabs::default(),
        active: vec![],
        ended: vec![],
        reports: vec![],
        behalf: None,
    };
    if view == "available" {
        let report = match q.for_report.as_str() {
            "" => None,
            id => Some(UserId::parse(id).ok_or(AppError::NotFound)?),
        };
        let paging = (q.q.as_str(), page, PER_PAGE);
        let tab = on_behalf::available(me.store(), me.person(), report.as_ref(), paging).await?;
        home.behalf = tab.report.map(|r| (r.id.to_string(), r.display_name));
        home.pages = tab.listing.total.div_ceil(PER_PAGE).max(1);
        home.total = tab.listing.total;
        home.packages = tab.listing.packages;
        home.tabs = tab.listing.tabs;
        home.reports = tab.reports;
    } else if let Some(u) = me.person().user() {
        let h = view::holdings(me.store(), &u.id).await?;
        home.tabs = h.tabs();
        (home.active, home.ended) = (h.active, h.ended);
    }
    render(&home)
}
