//! A package page's tabs, and what the tabs that list a package's rows
//! share: their query string, a filtered page of rows, and the path naming
//! one of those rows.

use actix_web::FromRequest;
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::audit::Actor;
use crate::domain::ids::{AccessPackageId, Id};
use crate::routes;
use crate::service::ServiceError;
use crate::store::assignments::AssignmentRow;
use crate::store::packages::PackageRow;
use crate::store::requests::AdminRequestRow;
use crate::store::{Page, PageAt, Store};
use crate::web::admin::console::ConsoleWho;
use crate::web::admin::query::Filters;
use crate::web::admin::tabs::tabs;
use crate::web::error::AppError;
use crate::web::extract::context::Ctx;
use crate::web::extract::path_id::PathIds;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, page_at};

tabs! {
    /// A package page's tabs.
    pub enum Tab {
        Overview = ("Overview", routes::ADMIN_PACKAGES.item),
        Roles = ("Resource roles", routes::ADMIN_PACKAGE_ROLES),
        Policies = ("Policies", routes::ADMIN_PACKAGE_POLICIES),
        Requests = ("Requests", routes::ADMIN_PACKAGE_REQUESTS),
        Assignments = ("Assignments", routes::ADMIN_PACKAGE_ASSIGNMENTS),
        Reviews = ("Access reviews", routes::ADMIN_PACKAGE_REVIEWS),
        Settings = ("Settings", routes::ADMIN_PACKAGE_SETTINGS),
    }
}

/// `?state=..&page=..` on the requests and assignments tabs.
#[derive(Deserialize, Default)]
pub struct TabQuery {
    #[serde(default)]
    state: String,
    page: Option<i64>,
}

impl TabQuery {
    fn link(state: &str, page: i64) -> String {
        let state: String = url::form_urlencoded::byte_serialize(state.as_bytes()).collect();
        format!("?state={state}&page={page}")
    }

    /// The filter the query names, parsed by `parse`; none (all rows) for
    /// one it does not name.
    pub(super) fn filter<T>(&self, parse: fn(&str) -> Option<T>) -> Option<T> {
        parse(&self.state)
    }

    /// Which page of the list this query asks for, `size` to a page.
    pub(super) fn page(&self, size: i64) -> PageAt {
        page_at(self.page, size)
    }

    /// A page of a tab's list as the query filtered it.
    /// A state the tab does not offer filtered nothing, so neither the
    /// tabs nor the page links carry it on.
    pub(super) fn filtered<T>(&self, filters: Filters, list: Page<T>) -> Filtered<T> {
        let shown = filters
            .iter()
            .find(|(value, _)| *value == self.state)
            .map_or("", |(value, _)| *value);
        Filtered {
            filters,
            filter: shown.to_string(),
            prev: Self::link(shown, list.page - 1),
            next: Self::link(shown, list.page + 1),
            list,
        }
    }
}

/// One page of a tab's list filtered by state, with the filters it offers
/// as (value, label) and links to the pages either side.
pub struct Filtered<T> {
    pub filters: Filters,
    pub filter: String,
    pub list: Page<T>,
    pub prev: String,
    pub next: String,
}

/// The tabs that list a package's rows a page at a time: its requests and
/// its assignments.
#[derive(Template)]
pub(super) enum ListTab {
    #[template(path = "admin/packages/requests.html")]
    Requests {
        layout: Layout,
        package: PackageRow,
        tab: Tab,
        rows: Filtered<AdminRequestRow>,
    },
    #[template(path = "admin/packages/assignments.html")]
    Assignments {
        layout: Layout,
        package: PackageRow,
        tab: Tab,
        rows: Filtered<AssignmentRow>,
    },
}

/// A path naming one of a package's requests, assignments or reviews: the
/// package and the item's id (a path with anything else is not found).
pub struct Item<I> {
    pub package: AccessPackageId,
    pub id: I,
}

impl<I: Id> FromRequest for Item<I> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Item<I>, AppError>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        pl: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        // By position: the item's parameter is named for what it is.
        let ids = PathIds::<AccessPackageId, I>::from_request(req, pl).into_inner();
        std::future::ready(ids.map(|PathIds(package, id)| Item { package, id }))
    }
}

impl<I: std::fmt::Display> Item<I> {
    /// Runs one of the console's actions on this item (cancel a request,
    /// stop a review, …), then says `done`, or why it was refused, on `back`:
    /// the item's page, or the package's list of them (a route of the
    /// package alone, which takes the package and leaves the item out).
    pub(super) async fn act<T>(
        self,
        cx: &Ctx<impl ConsoleWho>,
        action: impl AsyncFnOnce(
            &Store,
            &Actor,
            &AccessPackageId,
            &I,
            DateTime<Utc>,
        ) -> Result<T, ServiceError>,
        done: &str,
        back: routes::Route,
    ) -> Reply {
        let back = back.ids(&self.package, &self.id);
        let result = action(cx.store(), &cx.actor(), &self.package, &self.id, cx.now()).await;
        cx.done_or_refused(result, done, &back)
    }
}

/// A console action on one of a package's items (POST, CSRF-checked):
/// `$service` runs on the item its path names, by someone `$who` admits,
/// and `$done`, or why it was refused, is said on `$back` (`Item::act`).
macro_rules! item_action {
    ($name:ident($who:ty, $item:ty) => $service:path, $done:expr, $back:expr) => {
        #[tracing::instrument(skip_all)]
        pub(super) async fn $name(cx: $who, at: $item, _: Form<NoFields>) -> Reply {
            at.act(&cx, $service, $done, $back).await
        }
    };
}
pub(crate) use item_action;
