//! Approval reminders: a stage's approvers who have not decided halfway to
//! its escalation (or its deadline) are reminded once.

use chrono::{DateTime, Utc};

use super::batch::{BATCH, batches};
use crate::service::ServiceError;
use crate::service::requests::remind;
use crate::store::{Store, requests};

/// Reminds the approvers of each stage due a reminder.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| requests::due_approval_reminders(&mut tx, now, BATCH).await?,
        |id| remind::remind_approvers(store, &mut tx, id, now).await?
    )
}
