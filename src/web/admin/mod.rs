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
pub mod query;
pub mod requests;
mod resource_kinds;
mod resources;
pub mod settings;
mod tabs;
pub mod tokens;
pub mod users;

use actix_web::web;

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
        .get(routes::ADMIN_REQUESTS, requests::page)
        .get(routes::ADMIN_LOOKUP, lookup::lookup);
    for section in SECTIONS {
        cfg.configure(section);
    }
}
