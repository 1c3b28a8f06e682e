//! Escalation: an undecided stage goes to its alternate approvers.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::requests::escalate;
use crate::store::Store;

/// An undecided stage past its escalation time goes to its alternate approvers.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    escalate::escalate_due(store, now).await
}
