//! Access reviews over time: those whose end has come end (and are applied
//! where set to), those whose day has come start, and reviewers are
//! reminded; each once whatever the number of instances, each in a
//! transaction of its own (`service::reviews`).

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::reviews as svc;
use crate::store::Store;

/// Ends the reviews whose end has come. Returns how many ended.
#[tracing::instrument(skip_all)]
pub async fn end(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    svc::end_due(store, now).await
}

/// Starts the reviews whose day has come. Returns how many started.
#[tracing::instrument(skip_all)]
pub async fn start(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    svc::start_due(store, now).await
}

/// Reminds reviewers at half time and the day before the end. Returns how
/// many mails.
#[tracing::instrument(skip_all)]
pub async fn remind(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    svc::remind_due(store, now).await
}
