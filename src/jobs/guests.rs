//! The guest lifecycle: governed guests without access are blocked, then
//! deleted (`service::guest_lifecycle`), in batches of one transaction each.

use chrono::{DateTime, Utc};

use super::batch::{BATCH, batches};
use crate::domain::lifecycle::GuestAction;
use crate::service::{ServiceError, guest_lifecycle};
use crate::store::{Store, users};

/// Governed guests whose last assignment ended are blocked from signing in.
#[tracing::instrument(skip_all)]
pub(super) async fn block(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let settings = {
        let mut conn = store.read().await?;
        crate::service::settings::guest_lifecycle(&mut conn).await?
    };
    if settings.action == GuestAction::None {
        return Ok(0);
    }
    let delete_at = settings.removal_at(now);
    batches!(
        store,
        |tx, ids| users::guests_without_access(&mut tx, BATCH).await?,
        |id| {
            guest_lifecycle::block(store, &mut tx, id, settings.action, delete_at, now).await?;
            true
        }
    )
}

/// Guests the lifecycle blocked are deleted once the days they were given
/// when blocked are up.
#[tracing::instrument(skip_all)]
pub(super) async fn delete(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| users::guests_due_for_removal(&mut tx, now, BATCH).await?,
        |id| guest_lifecycle::delete(&mut tx, id, now).await?
    )
}
