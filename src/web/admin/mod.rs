//! The admin console. Every handler takes `AdminUser`, so only administrators reach it.

pub mod applications;
pub mod audit;
pub mod catalogs;
pub mod connected_orgs;
pub mod connected_systems;
pub mod groups;
pub mod home;
pub mod links;
pub mod list;
pub mod lookup;
pub mod mail;
pub mod packages;
pub mod settings;
pub mod sites;
pub mod tokens;
pub mod users;

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::routes;
use crate::service::ServiceError;
use crate::web::error::AppError;
use crate::web::extract::session::TypedSession;
use crate::web::redirect;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ADMIN.as_str(), web::get().to(home::home))
        .route(
            routes::ADMIN_REQUESTS.as_str(),
            web::get().to(home::requests),
        )
        .route(routes::ADMIN_LOOKUP.as_str(), web::get().to(lookup::lookup))
        .configure(users::routes)
        .configure(groups::routes)
        .configure(applications::routes)
        .configure(sites::routes)
        .configure(catalogs::routes)
        .configure(packages::routes)
        .configure(connected_orgs::routes)
        .configure(connected_systems::routes)
        .configure(links::routes)
        .configure(tokens::routes)
        .configure(audit::routes)
        .configure(mail::routes)
        .configure(settings::routes);
}

/// `?q=..&page=..` on list pages.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    pub page: Option<i64>,
}

pub const PER_PAGE: i64 = 25;

/// The query string for another page of the same search.
pub fn page_link(base: &str, q: &str, page: i64) -> String {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("{base}?q={q}&page={page}")
}

/// Where a delete button leads: back to the list saying "<What> <name>
/// deleted.", or, when the service refused (the object is still in use), back
/// to the object with the reason.
pub fn after_delete(
    session: Session,
    what: &str,
    result: Result<String, ServiceError>,
    list: &str,
    object: &str,
) -> Result<HttpResponse, AppError> {
    let session = TypedSession(session);
    match result {
        Ok(name) => {
            session.flash("success", format!("{what} {name} deleted."));
            Ok(redirect(list))
        }
        Err(ServiceError::Refused(m)) => {
            session.flash("error", m);
            Ok(redirect(object))
        }
        Err(e) => Err(e.into()),
    }
}
