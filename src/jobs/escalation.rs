//! Escalation: an undecided stage goes to its alternate approvers.

use chrono::{DateTime, Utc};

use super::batch::{BATCH, batches};
use crate::service::ServiceError;
use crate::service::requests::escalate;
use crate::store::{Store, requests};

/// An undecided stage past its escalation time goes to its alternate approvers.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| requests::due_escalations(&mut tx, now, BATCH).await?,
        |id| escalate::escalate(store, &mut tx, id, now).await?
    )
}
