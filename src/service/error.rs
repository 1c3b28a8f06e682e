//! What a use case answers when it does not do what was asked: input to
//! correct (beside its fields), a refusal to explain, nothing found, or the
//! store's error.

use crate::domain::validation::FieldErrors;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input that cannot be saved; the messages go beside the fields.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The action does not apply; the message says why, for the person who tried.
    #[error("{0}")]
    Refused(String),
    /// The person may not do this; the message says what their roles allow.
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    /// Whether the database gave this change up for another at the same
    /// moment (`StoreError::Busy`): nothing is wrong, and it may be tried again.
    pub fn gave_way(&self) -> bool {
        matches!(self, ServiceError::Store(StoreError::Busy(_)))
    }
}

/// `?` on a driver result (a commit) classifies its error as the store does.
impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Store(e.into())
    }
}

impl From<FieldErrors> for ServiceError {
    fn from(e: FieldErrors) -> Self {
        ServiceError::Invalid(e)
    }
}

/// A single-field validation error.
pub fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    let mut e = FieldErrors::new();
    e.add(field, message);
    ServiceError::Invalid(e)
}

/// A value that must exist: `NotFound` (a 404 on the pages) when it does not.
pub(crate) fn found<T>(value: Option<T>) -> Result<T, ServiceError> {
    value.ok_or(ServiceError::NotFound)
}

/// What a change gives when it may be refused for what was entered: its
/// result, or the page it was entered on (read again after the refusal, in
/// the same call) and the messages to show beside the fields.
#[derive(Debug)]
pub enum Saved<T, P> {
    Done(T),
    Again(P, FieldErrors),
}

impl<T, P> Saved<T, P> {
    /// `change`'s result; when its input was refused, the page `page` reads.
    /// Any other failure stays an error.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn or_page(
        change: Result<T, ServiceError>,
        page: impl AsyncFnOnce() -> Result<P, ServiceError>,
    ) -> Result<Self, ServiceError> {
        match change {
            Ok(v) => Ok(Saved::Done(v)),
            Err(ServiceError::Invalid(errors)) => Ok(Saved::Again(page().await?, errors)),
            Err(e) => Err(e),
        }
    }
}
