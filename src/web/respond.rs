//! What handlers answer with: the `Reply` type, rendering a page with its
//! status, a redirect, and the small readings of a request every handler
//! shares (the caller's address, a safe `next`, the page asked for). A leaf
//! of `web`, so that every handler module can use it without importing the
//! module that routes to them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::store::PageAt;
use crate::web::error::AppError;
use crate::web::state::AppState;

pub type Data = web::Data<AppState>;

/// What a handler answers: a response, or the error page for what went wrong.
pub type Reply = Result<HttpResponse, AppError>;

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
        _ => routes::HOME.to_string(),
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
    use crate::web::respond::safe_next;

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
