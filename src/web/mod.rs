//! HTTP: routes, the middleware and what handlers share. Handlers stay thin: parse
//! input, call one service, render or redirect. Handler modules import what
//! they share from the leaves (`respond`, `state`, `layout`, `error`,
//! `extract`), never from this module, which routes to them: no cycle.

pub mod admin;
pub mod approvals;
pub mod assets;
pub mod auth;
pub mod callback;
pub mod error;
pub mod error_page;
pub mod extract;
pub mod format;
pub mod health;
pub mod layout;
pub mod my_access;
pub mod oidc;
pub mod profile;
pub mod request_form;
pub mod respond;
pub mod routing;
pub mod scim;
pub mod state;
pub mod trace;

pub use error_page::error_pages;
pub use layout::Layout;
pub use respond::{
    Data, Reply, client_address, form_status, page_at, page_number, redirect, render,
    render_status, safe_next,
};
pub use state::AppState;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::domain::scim::Problem;
use crate::routes;
use crate::web::error::AppError;
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.get(routes::HEALTHZ, health::healthz)
        .get(routes::READYZ, health::readyz)
        .get(routes::STATIC, assets::serve)
        .configure(auth::routes)
        .configure(my_access::routes)
        .configure(profile::routes)
        .configure(approvals::routes)
        .configure(admin::routes)
        .configure(scim::routes)
        .configure(callback::routes)
        .default_service(web::to(not_found));
}

#[tracing::instrument(skip_all)]
async fn not_found() -> Reply {
    Err(AppError::NotFound)
}

/// Refuses an address whose path or query string carries a control character
/// (a NUL byte, say), before any handler reads it: ids in paths and search
/// boxes pass their text to the database, and PostgreSQL refuses NUL with an
/// error.
pub async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let path = percent_encoding::percent_decode_str(req.path()).decode_utf8_lossy();
    let bad = path.chars().any(char::is_control)
        || url::form_urlencoded::parse(req.query_string().as_bytes())
            .any(|(k, v)| k.chars().chain(v.chars()).any(char::is_control));
    if bad {
        let message = "The address contains a control character, which is not allowed. Remove it and try again.";
        // SCIM clients read a SCIM error; people read the error page.
        if req.path().starts_with(scim::BASE) {
            let refused = scim::problem(&Problem::invalid_value(message));
            return Ok(req.into_response(refused).map_into_right_body());
        }
        let refused = AppError::BadRequest(message.into());
        return Ok(req.error_response(refused).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
