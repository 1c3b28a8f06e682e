//! Errors a request can end with, and how each one looks to the person.
//!
//! Handlers return `AppError`; the `error_pages` middleware in `web::error_page` renders the
//! page inside the layout (it knows who is signed in), so no internal message
//! ever reaches the browser.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::service::ServiceError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in: go to the sign-in page and come back to `next`.
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The action does not apply to the object's current state.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the form's security token is missing or wrong")]
    Csrf,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The title and message shown on the error page.
    pub fn public_text(&self) -> (&'static str, String) {
        match self {
            AppError::SignInRequired { .. } => ("Sign-in required", "Sign in to continue.".into()),
            AppError::Forbidden(m) => ("Access denied", m.clone()),
            AppError::NotFound => (
                "Page not found",
                "There is nothing here, or you are not allowed to see it.".into(),
            ),
            AppError::BadRequest(m) => ("Bad request", m.clone()),
            AppError::Conflict(m) => ("Not possible", m.clone()),
            AppError::Csrf => (
                "Form expired",
                "This form's security token is missing or out of date, so nothing was changed. \
                 Go back, reload the page and try again."
                    .into(),
            ),
            AppError::Unavailable(m) => ("Temporarily unavailable", m.clone()),
            AppError::Internal(_) => (
                "Something went wrong",
                "Gatehouse could not complete this request. Nothing was changed. \
                 The error has been logged; try again or tell your administrator."
                    .into(),
            ),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            // A rule of the database held: something still uses the object,
            // or another change got there first. Nothing was changed.
            StoreError::Conflict(constraint) => {
                tracing::info!(%constraint, "change refused by a database constraint");
                AppError::Conflict(
                    "This change conflicts with other data: something still uses this, or it was changed at the same moment. Nothing was changed; reload the page and try again."
                        .into(),
                )
            }
            // Another change held the same people or objects, and the
            // database gave this one up rather than wait in a circle with it.
            StoreError::Busy(e) => {
                tracing::warn!(error = %e, "change given up for another at the same moment");
                AppError::Unavailable(BUSY.into())
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// What a person reads when their change gave way to another.
pub const BUSY: &str = "Another change to the same people or objects was being saved at that moment, so nothing was changed. Try again.";

/// How many seconds a 503 asks the caller to wait before trying again.
pub const RETRY_AFTER_SECONDS: &str = "1";

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Refused(m) => AppError::Conflict(m),
            ServiceError::Forbidden(m) => AppError::Forbidden(m),
            ServiceError::Invalid(errors) => AppError::BadRequest(errors.messages()),
            ServiceError::Store(s) => s.into(),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A plain fallback; `web::error_page::error_pages` replaces the body with the full page.
    fn error_response(&self) -> HttpResponse {
        if let AppError::SignInRequired { next } = self {
            return HttpResponse::SeeOther()
                .insert_header(("Location", crate::routes::sign_in_url(next)))
                .finish();
        }
        if let AppError::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let (title, message) = self.public_text();
        let mut res = HttpResponse::build(self.status_code());
        if let AppError::Unavailable(_) = self {
            res.insert_header(("Retry-After", RETRY_AFTER_SECONDS));
        }
        res.content_type("text/plain; charset=utf-8")
            .body(format!("{title}: {message}"))
    }
}
