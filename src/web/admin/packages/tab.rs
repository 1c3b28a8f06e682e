//! A package page's tabs, and what the tabs that list a package's rows
//! share: their query string and a filtered page of rows.

use askama::Template;
use serde::Deserialize;

use crate::routes;
use crate::store::assignments::AssignmentRow;
use crate::store::packages::PackageRow;
use crate::store::requests::AdminRequestRow;
use crate::store::{Page, PageAt};
use crate::web::admin::console::ConsoleWho;
use crate::web::admin::query::Filters;
use crate::web::admin::tabs::tabs;
use crate::web::extract::context::Ctx;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, page_at, render};

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

impl ListTab {
    /// The tab `make` builds for `package` and its page of rows (`list`),
    /// filtered as `q` asked among `filters`.
    pub(super) fn render<T>(
        cx: &Ctx<impl ConsoleWho>,
        q: &TabQuery,
        filters: Filters,
        (package, list): (PackageRow, Page<T>),
        make: impl FnOnce(Layout, PackageRow, Filtered<T>) -> ListTab,
    ) -> Reply {
        let layout = cx.layout(package.display_name.clone());
        render(&make(layout, package, q.filtered(filters, list)))
    }
}
