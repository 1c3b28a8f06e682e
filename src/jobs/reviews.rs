//! Access reviews over time: those whose end has come end (and are applied
//! where set to), those whose day has come start, and reviewers are
//! reminded; each once whatever the number of instances, each in a
//! transaction of its own.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::reviews as svc;
use crate::store::Store;

/// Ends the reviews whose end has come, a batch per transaction. Returns
/// how many ended.
#[tracing::instrument(skip_all)]
pub async fn end(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut ended = 0;
    loop {
        let mut tx = store.begin().await?;
        let n = svc::end_ended(&mut tx, now).await?;
        tx.commit().await?;
        if n == 0 {
            return Ok(ended);
        }
        ended += n;
    }
}

/// Starts the reviews whose day has come. Returns how many started.
#[tracing::instrument(skip_all)]
pub async fn start(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut started = 0;
    for due in svc::due_starts(store, now).await? {
        let mut tx = store.begin().await?;
        let took = svc::start(&mut tx, &due, now).await?;
        tx.commit().await?;
        started += usize::from(took);
    }
    Ok(started)
}

/// Reminds reviewers at half time and the day before the end. Returns how
/// many mails.
#[tracing::instrument(skip_all)]
pub async fn remind(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut sent = 0;
    for due in svc::due_reminders(store, now).await? {
        let mut tx = store.begin().await?;
        sent += svc::remind(&mut tx, &due, now).await?;
        tx.commit().await?;
    }
    Ok(sent)
}
