//! Admin › Access packages: the list, the creation wizard, and a package's
//! pages, one tab each (overview, resource roles, policies, requests,
//! assignments, settings) on a shared layout.

mod assignments;
mod automatic;
mod item;
mod policies;
mod policy_fields;
mod policy_form;
mod policy_summary;
mod requests;
mod reviews;
mod roles;
mod settings;
mod steps;
mod tab;
mod wizard;

use actix_web::web;

use self::tab::{Tab, TabQuery};
use super::list::{Cell, ForDelegates, ListSpec, Lists, col, num};
use crate::domain::ids::AccessPackageId;
use crate::routes;
use crate::service::packages as svc;
use crate::store::packages::PackageListRow;
use crate::web::admin::console::{ConsoleWho, PackageConsole};
use crate::web::extract::console_access::{MakesPackages, Reaches, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::path_id::{PathId, PathIds};
use crate::web::respond::Reply;
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

#[tracing::instrument(skip_all)]
async fn overview(
    cx: PackageConsole<Read>,
    PathId(id): PathId<AccessPackageId>,
    q: web::Query<TabQuery>,
) -> Reply {
    show(&cx, &id, Tab::Overview, &q).await
}

#[tracing::instrument(skip_all)]
async fn tab(
    cx: PackageConsole<Read>,
    PathIds(id, tab): PathIds<AccessPackageId, Tab>,
    q: web::Query<TabQuery>,
) -> Reply {
    show(&cx, &id, tab, &q).await
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
        Tab::Settings => settings::page(cx, id).await,
    }
}
