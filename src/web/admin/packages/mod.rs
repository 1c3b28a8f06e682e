//! Admin › Access packages: the list, the creation wizard, and a package's
//! pages, one tab each (overview, resource roles, policies, requests,
//! assignments, settings) on a shared layout.

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

mod assignments;
mod automatic;
mod policies;
mod policy_form;
mod requests;
mod reviews;
mod roles;
mod settings;
mod wizard;

use actix_web::web;
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::list::{Cell, ForDelegates, ListSpec, Lists, col, num};
use crate::domain::audit::Actor;
use crate::domain::ids::{AccessPackageId, Id};
use crate::routes;
use crate::service::ServiceError;
use crate::service::packages as svc;
use crate::store::assignments::AssignmentRow;
use crate::store::packages::{PackageListRow, PackageRow};
use crate::store::requests::AdminRequestRow;
use crate::store::{Page, PageAt, Store};
use crate::web::admin::Filters;
use crate::web::admin::console::{ConsoleWho, PackageConsole};
use crate::web::admin::tabs::tabs;
use crate::web::error::AppError;
use crate::web::extract::console_access::{MakesPackages, Reaches, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::path_id::parse_id;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, page_at};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes::*;
    // Paths with a fixed last segment first: the tab pattern would take them.
    cfg.list(&LIST)
        .form(ADMIN_PACKAGES.new, wizard::start, wizard::step)
        .get(ADMIN_PACKAGE_ASSIGNMENTS_CSV, assignments::export_csv)
        .get(
            ADMIN_PACKAGE_ADDITIONAL_ACCESS_CSV,
            settings::additional_access_csv,
        )
        .get(ADMIN_PACKAGES.item, overview)
        .get(ADMIN_PACKAGE_TAB, tab)
        .post(ADMIN_PACKAGE_ROLES, roles::add)
        .post(ADMIN_PACKAGE_ROLE_REMOVE, roles::remove)
        .post(ADMIN_PACKAGE_POLICIES, policies::create)
        .get(ADMIN_PACKAGE_POLICY_NEW, policies::new)
        .form(
            ADMIN_PACKAGE_AUTOMATIC_NEW,
            automatic::new,
            automatic::create,
        )
        .form(ADMIN_PACKAGE_AUTOMATIC, automatic::edit, automatic::update)
        .form(ADMIN_PACKAGE_POLICY, policies::edit, policies::update)
        .post(ADMIN_PACKAGE_POLICY_STATE, policies::change_state)
        .post(ADMIN_PACKAGE_SETTINGS, settings::update)
        .post(ADMIN_PACKAGE_DELETE, settings::delete)
        .get(ADMIN_PACKAGE_REQUEST, requests::details)
        .get(ADMIN_PACKAGE_REVIEW, reviews::details)
        .post(ADMIN_PACKAGE_REVIEW_STOP, reviews::stop)
        .post(ADMIN_PACKAGE_REVIEW_APPLY, reviews::apply)
        .get(ADMIN_PACKAGE_REVIEW_CSV, reviews::export_csv)
        .post(ADMIN_PACKAGE_REQUEST_CANCEL, requests::cancel)
        .post(ADMIN_PACKAGE_REQUEST_REPROCESS, requests::reprocess)
        .post(ADMIN_CALL_REPROCESS, requests::reprocess_call)
        .form(ADMIN_PACKAGE_ASSIGN, assignments::new, assignments::assign)
        .post(ADMIN_PACKAGE_ASSIGNMENT_REMOVE, assignments::remove)
        .post(ADMIN_PACKAGE_ASSIGNMENT_REPROCESS, assignments::reprocess)
        .post(ADMIN_PACKAGE_ASSIGNMENT_GOVERN, assignments::govern);
}

const LIST: ListSpec<PackageListRow> = ListSpec {
    search: |store, scope, q, at| Box::pin(svc::search(store, scope, q, at)),
    title: "Access packages",
    paths: routes::ADMIN_PACKAGES,
    one: "access package",
    placeholder: "Package name",
    columns: &[
        col("Catalog", |p| {
            Cell::link(
                &p.catalog_name,
                routes::ADMIN_CATALOGS.item.id(&p.catalog_id),
            )
        }),
        col("Hidden", |p| Cell::yes_no(p.is_hidden)),
        num("Policies", |p| p.policy_count),
        num("Active assignments", |p| p.assignment_count),
    ],
    delegates: ForDelegates::ReadAndNew(MakesPackages::admits),
};

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
    fn filter<T>(&self, parse: fn(&str) -> Option<T>) -> Option<T> {
        parse(&self.state)
    }

    /// Which page of the list this query asks for, `size` to a page.
    fn page(&self, size: i64) -> PageAt {
        page_at(self.page, size)
    }

    /// A page of a tab's list as the query filtered it.
    /// A state the tab does not offer filtered nothing, so neither the
    /// tabs nor the page links carry it on.
    fn filtered<T>(&self, filters: Filters, list: Page<T>) -> Filtered<T> {
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
enum ListTab {
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

impl<I: Id> actix_web::FromRequest for Item<I> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Item<I>, AppError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        // By position: the item's parameter is named for what it is.
        let item = match req.match_info().load::<(String, String)>() {
            Ok((package, id)) => parse_id(&package).and_then(|package| {
                Ok(Item {
                    package,
                    id: parse_id(&id)?,
                })
            }),
            Err(_) => Err(AppError::NotFound),
        };
        std::future::ready(item)
    }
}

impl<I: std::fmt::Display> Item<I> {
    /// Runs one of the console's actions on this item (cancel a request,
    /// stop a review, …), then says `done`, or why it was refused, on `back`:
    /// the item's page, or the package's list of them (a route of the
    /// package alone, which takes the package and leaves the item out).
    async fn act<T>(
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

#[tracing::instrument(skip_all)]
async fn overview(
    cx: PackageConsole<Read>,
    path: web::Path<String>,
    q: web::Query<TabQuery>,
) -> Reply {
    show(&cx, &parse_id(&path)?, Tab::Overview, &q).await
}

#[tracing::instrument(skip_all)]
async fn tab(
    cx: PackageConsole<Read>,
    path: web::Path<(String, String)>,
    q: web::Query<TabQuery>,
) -> Reply {
    let tab = Tab::parse(&path.1).ok_or(AppError::NotFound)?;
    show(&cx, &parse_id(&path.0)?, tab, &q).await
}

/// One handler for every tab: each loads what it shows.
async fn show(cx: &Ctx<impl ConsoleWho>, id: &AccessPackageId, tab: Tab, q: &TabQuery) -> Reply {
    match tab {
        Tab::Overview => settings::overview(cx, id).await,
        Tab::Roles => roles::page(cx, id).await,
        Tab::Policies => policies::page(cx, id).await,
        Tab::Requests => requests::page(cx, id, q).await,
        Tab::Assignments => assignments::page(cx, id, q).await,
        Tab::Reviews => reviews::page(cx, id).await,
        Tab::Settings => settings::page(cx, id, None, Default::default()).await,
    }
}

/// Gives a page struct the accessors its policy-form templates use.
macro_rules! form_accessors {
    ($t:ty) => {
        // Each page uses the accessors its templates need.
        #[allow(dead_code)]
        impl $t {
            fn v(&self, k: &str) -> &str {
                super::policy_form::get(&self.f, k)
            }
            fn on(&self, k: &str) -> bool {
                super::policy_form::on(&self.f, k)
            }
            fn err(&self, k: &str) -> Option<&str> {
                self.errors.get(k)
            }
            fn has_err(&self, k: &str) -> bool {
                self.errors.get(k).is_some()
            }
            /// The filled rows (compacted by the handler) and one blank row.
            fn question_rows(&self) -> Vec<usize> {
                let n: usize = self.v("q_count").parse().unwrap_or(0);
                (0..=n.min(50)).collect()
            }
            fn step_label(&self, k: &str) -> &'static str {
                super::wizard::step_label(k)
            }
            /// Whether a step of the form has errors (its tab is marked).
            fn step_has_errors(&self, step: &str) -> bool {
                self.errors
                    .iter()
                    .any(|(k, _)| super::wizard::step_of(k) == step)
            }
            /// As `step_has_errors`, on the policy page, whose Basics tab
            /// holds the name and description the wizard asks in Requests.
            fn policy_step_has_errors(&self, step: &str) -> bool {
                self.errors.iter().any(|(k, _)| {
                    let basics = matches!(k.as_str(), "display_name" | "policy_description");
                    let of = if basics {
                        "basics"
                    } else {
                        super::wizard::step_of(k)
                    };
                    of == step
                })
            }
            fn choice_lines(&self, i: &usize) -> Vec<String> {
                super::policy_form::choice_lines(&self.f, *i)
            }
            fn qk(&self, i: &usize, k: &str) -> String {
                format!("q{i}_{k}")
            }
            fn sk(&self, n: &usize, k: &str) -> String {
                format!("s{n}_{k}")
            }
            fn stage_err(&self, n: &usize, k: &str) -> Option<&str> {
                self.errors.get(&format!("stage{n}.{k}"))
            }
            fn q_err(&self, n: &usize, k: &str) -> Option<&str> {
                self.errors.get(&format!("question{n}.{k}"))
            }
        }
    };
}
pub(crate) use form_accessors;
