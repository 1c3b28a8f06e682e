//! HTTP: routes, the page layout, and error pages. Handlers stay thin: parse
//! input, call a service or a store read, render or redirect.

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
pub mod profile;
pub mod routing;
pub mod scim;
pub mod state;
pub mod trace;

pub use layout::Layout;
pub use state::AppState;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::scim::Problem;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::store::PageAt;
use crate::web::error::AppError;
use crate::web::extract::guard::load_current_user;
use crate::web::routing::Router;

pub type Data = web::Data<AppState>;

/// What a handler answers: a response, or the error page for what went wrong.
pub type Reply = Result<HttpResponse, AppError>;

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

async fn not_found() -> Reply {
    Err(AppError::NotFound)
}

/// The address a request came from: the connection's peer, or, behind a
/// proxy that sets it and with `GATEHOUSE_TRUST_FORWARDED_FOR`, the last
/// address in `X-Forwarded-For` (the one the proxy saw).
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get("X-Forwarded-For")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|a| a.parse::<std::net::IpAddr>().is_ok());
        if let Some(a) = forwarded {
            return a.to_string();
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

/// Accepts only a path on this site: visible ASCII without backslashes, since
/// browsers drop tabs and newlines and read `\` as `/`, which would turn
/// `/<TAB>/evil.example` into `//evil.example`. Capped so that the session
/// cookie carrying it stays small.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 512
                && n.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/".into(),
    }
}

/// Renders a template with a status (422 for a form with errors, and so on).
pub fn render_status(status: StatusCode, t: &impl Template) -> Reply {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(t.render()?))
}

/// A form page's status: 422 when it comes back with errors beside its fields.
pub fn form_status(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

pub fn render(t: &impl Template) -> Reply {
    render_status(StatusCode::OK, t)
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
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

/// Page number from a query string, at least 1.
pub fn page_number(p: Option<i64>) -> i64 {
    p.unwrap_or(1).clamp(1, 1_000_000)
}

/// The page a `?page=` asks for, `size` to a page.
pub fn page_at(p: Option<i64>, size: i64) -> PageAt {
    PageAt {
        number: page_number(p),
        size,
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/admin/users?q=a")), "/admin/users?q=a");
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a b",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(600)))), "/");
    }
}
