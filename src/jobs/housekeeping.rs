//! Housekeeping: forgetting what only counts for a while.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::store::{self, Store};

/// Forgets what only counts for a while: sessions unused past the longest
/// idle limit a setting allows, and sign-in codes and guesses older than a day.
#[tracing::instrument(skip_all)]
pub(super) async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut tx = store.begin().await?;
    let sessions = store::sessions::delete_idle(&mut tx, now - chrono::Duration::hours(12)).await?;
    let codes =
        store::sign_in_codes::forget_before(&mut tx, now - chrono::Duration::days(1)).await?;
    tx.commit().await?;
    Ok((sessions + codes) as usize)
}
