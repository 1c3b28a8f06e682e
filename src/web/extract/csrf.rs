//! CSRF protection: a random token per session, sent back in every
//! state-changing form as the hidden field `csrf_token`.

use crate::domain::validation::has_refused_control;
use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web::Bytes};
use serde::de::DeserializeOwned;

use super::session::TypedSession;
pub use super::session::new_token;
use crate::web::error::AppError;

pub const FIELD: &str = "csrf_token";
const MAX_FORM_BYTES: usize = 256 * 1024;

/// Equal-time comparison, so the token cannot be guessed byte by byte from timings.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The fields of a form that carries nothing but its CSRF token (buttons).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A urlencoded form whose CSRF token has been checked against the session.
/// Repeated fields (`a=1&a=2`) fill a `Vec`.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = checked_body(req, payload);
        Box::pin(async move {
            let body = body.await?;
            serde_html_form::from_bytes::<T>(&body)
                .map(Form)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))
        })
    }
}

/// A form's body, once its CSRF token matches the session's and no field
/// holds a control character.
pub(super) fn checked_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Pin<Box<dyn Future<Output = Result<Bytes, AppError>>>> {
    let req = req.clone();
    let body = Bytes::from_request(&req, payload);
    Box::pin(async move {
        let body = body
            .await
            .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
        if body.len() > MAX_FORM_BYTES {
            return Err(AppError::BadRequest("The form is too large.".into()));
        }
        let session = TypedSession(req.get_session());
        let expected = session.existing_csrf_token().ok_or(AppError::Csrf)?;
        let sent = url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
            .ok_or(AppError::Csrf)?;
        if !same(&sent, &expected) {
            return Err(AppError::Csrf);
        }
        // Each form checks its fields and says what is wrong beside them;
        // this catches what no check expects, such as a NUL byte, which
        // PostgreSQL refuses to store, before anything reads or writes it.
        if let Some((field, _)) =
            url::form_urlencoded::parse(&body).find(|(_, v)| has_refused_control(v))
        {
            let field: String = field.chars().take(64).collect();
            return Err(AppError::BadRequest(format!(
                "The field `{field}` contains a control character, which is not allowed. Nothing was changed: remove it and try again."
            )));
        }
        Ok(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_compared_exactly() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same(&a, &a[1..]));
    }
}
