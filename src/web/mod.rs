//! HTTP: routes, the page layout, and error pages. Handlers stay thin: parse
//! input, call one service, render or redirect. Handler modules import what
//! they share from the leaves (`respond`, `state`, `layout`, `error`,
//! `extract`), never from this module, which routes to them: no cycle.

pub mod admin;
pub mod approvals;
pub mod assets;
pub mod auth;
pub mod callback;
pub mod error;
pub mod extract;
pub mod form_values;
pub mod format;
pub mod health;
pub mod layout;
pub mod my_access;
pub mod oidc;
pub mod profile;
pub mod respond;
pub mod routing;
pub mod scim;
pub mod state;
pub mod trace;

pub use layout::Layout;
pub use respond::{
    Data, Reply, client_address, form_status, page_at, page_number, redirect, render,
    render_status, safe_next,
};
pub use state::AppState;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::scim::Problem;
use crate::routes;
use crate::web::error::AppError;
use crate::web::extract::guard::load_current_user;
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

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    layout: Layout,
    code: u16,
    heading: &'static str,
    message: String,
    signed_in: bool,
}

/// Renders every `AppError` as a full page inside the layout, with the signed-in user.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(app_error) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    else {
        return Ok(res.map_into_left_body());
    };
    if matches!(app_error, AppError::SignInRequired { .. }) {
        return Ok(res.map_into_left_body());
    }
    let status = res.status();
    let (heading, message) = app_error.public_text();
    let request: HttpRequest = res.request().clone();
    let page = match request.app_data::<Data>() {
        Some(state) => {
            let current = load_current_user(&request).await.ok().flatten();
            let layout = match &current {
                Some(u) => Layout::for_user(state, u, "", heading),
                None => {
                    use actix_session::SessionExt;
                    let csrf = crate::web::extract::session::TypedSession(request.get_session())
                        .csrf_token();
                    Layout::anonymous(state, csrf, heading)
                }
            };
            ErrorPage {
                layout,
                code: status.as_u16(),
                heading,
                message: message.clone(),
                signed_in: current.is_some(),
            }
            .render()
            .ok()
        }
        None => None,
    };
    let body = page.unwrap_or_else(|| format!("{heading}: {message}"));
    let mut response = HttpResponse::build(status);
    // The plain answer's `Retry-After` (a 503 asks to try again shortly).
    if let Some(after) = res.headers().get(actix_web::http::header::RETRY_AFTER) {
        response.insert_header((actix_web::http::header::RETRY_AFTER, after.clone()));
    }
    let response = response.content_type("text/html; charset=utf-8").body(body);
    Ok(res.into_response(response).map_into_right_body())
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
