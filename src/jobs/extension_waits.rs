//! Custom extension waits: a call whose answer did not come in time ends
//! its wait, and its request goes on or is denied as its extension says.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::requests::time_out_wait;
use crate::store::{Store, custom_extensions};

/// Ends every wait that ran out, one transaction each (taking a wait marks
/// it, so no two instances end the same). Returns how many.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut done = 0;
    loop {
        let mut tx = store.begin().await?;
        let Some(wait) = custom_extensions::take_timed_out(&mut tx, now, 1)
            .await?
            .pop()
        else {
            return Ok(done);
        };
        time_out_wait(store, tx, wait, now).await?;
        done += 1;
    }
}
