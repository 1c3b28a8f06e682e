//! Expiry reminders, 14 days and 1 day before an assignment ends.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::assignments::remind_ending;
use crate::service::batch::BATCH;
use crate::store::Store;

/// Reminders 14 days and 1 day before an assignment ends, in batches of one
/// transaction each. The one-day window goes first, so that an assignment
/// found late gets only the nearer reminder. Returns how many were sent.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut sent = 0;
    for days in [1i64, 14] {
        let mut after: Option<(String, String)> = None;
        loop {
            let batch = remind_ending(store, days, after.as_ref(), BATCH, now).await?;
            sent += batch.mails;
            if (batch.taken as i64) < BATCH {
                break;
            }
            after = batch.after;
        }
    }
    Ok(sent)
}
