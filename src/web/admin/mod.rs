//! The admin console. Every handler takes one of the console contexts of
//! `console`: tenant-wide pages only administrators reach (`Console`); a
//! catalog's and a package's pages whoever holds the right in that catalog
//! (`CatalogConsole`, `PackageConsole`); the lists delegates share, each
//! showing them their catalogs (`Delegated`); the package wizard, New
//! catalog and look-ups, for whoever's reach beyond one catalog admits
//! (`Reaching`).

pub mod audit;
pub mod catalogs;
pub mod connected_orgs;
pub mod connected_systems;
pub mod console;
pub mod csv;
pub mod groups;
pub mod home;
pub mod links;
pub mod list;
pub mod lookup;
pub mod mail;
pub mod packages;
mod resource_kinds;
mod resources;
pub mod settings;
mod tabs;
pub mod tokens;
pub mod users;

use actix_web::web;
use serde::Deserialize;

use crate::domain::request::RequestFilter;
use crate::routes;
use crate::web::routing::Router;

/// The console's sections, each registering its own pages.
const SECTIONS: [fn(&mut web::ServiceConfig); 12] = [
    users::routes,
    resources::routes,
    groups::routes,
    catalogs::routes,
    packages::routes,
    connected_orgs::routes,
    connected_systems::routes,
    links::routes,
    tokens::routes,
    audit::routes,
    mail::routes,
    settings::routes,
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.get(routes::ADMIN, home::home)
        .get(routes::ADMIN_REQUESTS, home::requests)
        .get(routes::ADMIN_LOOKUP, lookup::lookup);
    for section in SECTIONS {
        cfg.configure(section);
    }
}

/// `?q=..&page=..` on list pages.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    pub page: Option<i64>,
}

pub const PER_PAGE: i64 = 25;

/// How requests can be filtered, on Operations › Requests and on a package's
/// Requests tab: (value, label).
pub fn request_filters() -> Filters {
    filters(
        &RequestFilter::ALL,
        RequestFilter::as_str,
        RequestFilter::label,
    )
}

/// A list's filters as (value, label).
pub type Filters = Vec<(&'static str, &'static str)>;

/// `Filters` of an enum's values, "All" (no filter) first.
pub fn filters<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Filters {
    let each = all.iter().map(|v| (value(*v), label(*v)));
    std::iter::once(("", "All")).chain(each).collect()
}

/// The query string for another page of the same search.
pub fn page_link(base: &str, q: &str, page: i64) -> String {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("{base}?q={q}&page={page}")
}
