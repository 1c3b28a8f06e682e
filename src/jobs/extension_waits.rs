//! Custom extension waits: a call whose answer did not come in time ends
//! its wait, and its request goes on or is denied as its extension says.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::requests::resume;
use crate::store::Store;

/// Ends every wait that ran out; returns how many.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    resume::time_out_waits(store, now).await
}
