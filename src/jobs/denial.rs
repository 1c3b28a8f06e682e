//! Automatic denial: a request nobody decided in time expires.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::requests::time_out;
use crate::store::Store;

/// A request nobody decided within its stage's limit expires.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    time_out::time_out_due(store, now).await
}
