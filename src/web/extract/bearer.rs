//! The bearer token of a machine call (`Authorization: Bearer ...`).

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;

/// The token after `Bearer` (any case), if the call carries one.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        })
}
