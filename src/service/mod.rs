//! Use cases. Each public function is one transaction that also writes its audit event.

pub mod access;
pub mod assignments;
pub mod catalogs;
pub mod connected_orgs;
pub mod demo;
pub mod directory;
pub mod packages;
pub mod policy_form;
pub mod requests;
pub mod sessions;
pub mod settings;
pub mod sign_in;

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
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
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
