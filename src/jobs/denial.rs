//! Automatic denial: a request nobody decided in time expires.

use chrono::{DateTime, Utc};

use super::batch::{BATCH, batches};
use crate::service::ServiceError;
use crate::service::requests::time_out;
use crate::store::{Store, requests};

/// A request nobody decided within its stage's limit expires.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| requests::due_denials(&mut tx, now, BATCH).await?,
        |id| time_out::time_out(store, &mut tx, id, now).await?
    )
}
