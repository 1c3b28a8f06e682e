//! Approval reminders: a stage's approvers who have not decided halfway to
//! its escalation (or its deadline) are reminded once.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::requests::remind;
use crate::store::Store;

/// Reminds the approvers of each stage due a reminder.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    remind::remind_due(store, now).await
}
