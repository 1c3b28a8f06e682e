//! Scheduled deliveries: approved requests for a period that has begun.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::requests::scheduled;
use crate::store::Store;

/// Scheduled requests whose start has come are delivered; returns how many.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    scheduled::deliver_due(store, now).await
}
