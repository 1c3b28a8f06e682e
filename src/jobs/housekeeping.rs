//! Housekeeping: forgetting what only counts for a while.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::store::Store;

/// Forgets stale sessions and sign-in codes (`service::sessions::forget_stale`).
#[tracing::instrument(skip_all)]
pub(super) async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    Ok(crate::service::sessions::forget_stale(store, now).await? as usize)
}
