//! Use cases. Each public function is one transaction that also writes its audit event.

pub mod access;
pub mod api_tokens;
pub mod assignments;
pub mod audit;
pub mod catalog_roles;
pub mod catalogs;
pub mod connected_orgs;
pub mod connected_systems;
pub mod custom_extensions;
pub mod demo;
pub mod directory;
pub mod guest_lifecycle;
pub mod health;
pub mod imports;
pub mod lookup;
pub mod outbox;
pub mod overview;
pub mod packages;
pub mod provisioning;
pub mod requests;
pub mod reviews;
pub mod scim;
pub mod sessions;
pub mod settings;
pub mod sign_in;

use chrono::{DateTime, Utc};

use crate::domain::audit::{Actor, NewAuditEvent};
use crate::domain::validation::FieldErrors;
use crate::store::{self, Conn, Store, StoreError};

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

/// One change in one transaction: `change` reads and writes what it needs
/// and returns its result with the audit event that records it, written in
/// the same transaction, so that no change is ever saved without its record.
#[tracing::instrument(skip_all)]
pub(crate) async fn write<T>(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    change: impl AsyncFnOnce(&mut Conn) -> Result<(T, NewAuditEvent), ServiceError>,
) -> Result<T, ServiceError> {
    let mut tx = store.begin().await?;
    let (out, event) = change(&mut tx).await?;
    store::audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    // Any change to who holds what may have queued provisioning.
    store.wake_workers();
    Ok(out)
}

/// One store read in a pooled connection (a list page, say).
pub(crate) async fn fetch<T>(
    store: &Store,
    query: impl AsyncFnOnce(&mut Conn) -> store::Result<T>,
) -> Result<T, ServiceError> {
    read(store, async |c| Ok(query(c).await?)).await
}

/// Reads in one pooled connection, for the pages.
#[tracing::instrument(skip_all)]
pub(crate) async fn read<T>(
    store: &Store,
    query: impl AsyncFnOnce(&mut Conn) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    let mut conn = store.read().await?;
    query(&mut conn).await
}

/// A value that must exist: `NotFound` (a 404 on the pages) when it does not.
pub(crate) fn found<T>(value: Option<T>) -> Result<T, ServiceError> {
    value.ok_or(ServiceError::NotFound)
}
