//! The guest lifecycle: governed guests without access are blocked, then
//! deleted (`service::guest_lifecycle`).

use chrono::{DateTime, Utc};

use crate::service::{ServiceError, guest_lifecycle};
use crate::store::Store;

/// Governed guests whose last assignment ended are blocked from signing in.
#[tracing::instrument(skip_all)]
pub(super) async fn block(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    guest_lifecycle::block_due(store, now).await
}

/// Guests the lifecycle blocked are deleted once the days they were given
/// when blocked are up.
#[tracing::instrument(skip_all)]
pub(super) async fn delete(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    guest_lifecycle::delete_due(store, now).await
}
