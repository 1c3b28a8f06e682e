//! The guest lifecycle: governed guests without access are blocked, then deleted.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{BATCH, system_event};
use crate::domain::audit::object_type;
use crate::domain::lifecycle::GuestAction;
use crate::service::ServiceError;
use crate::store::{self, Store, users};

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
            users::set_lifecycle_block(&mut tx, id, delete_at, now).await?;
            store::sessions::delete_for_user(&mut tx, id).await?;
            // An external sponsor may be an approver: what waits on them
            // goes to someone who can still sign in.
            crate::service::requests::leavers::hand_over_approvals(
                store,
                &mut tx,
                &crate::domain::audit::Actor::system(),
                id,
                "Hand over approval (approver blocked by the guest lifecycle)",
                now,
            )
            .await?;
            let name = users::get(&mut tx, id)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default();
            system_event(
                &mut tx,
                "Block guest user: no access package assignment left",
                object_type::USER,
                id.as_str(),
                &name,
                json!({"action": settings.action.as_str()}),
                now,
            )
            .await?;
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
        |id| {
            let found = users::get(&mut tx, id).await?;
            match found {
                Some(u) => {
                    users::delete(&mut tx, id).await?;
                    system_event(
                        &mut tx,
                        "Delete guest user: blocked after its last assignment ended",
                        object_type::USER,
                        id.as_str(),
                        &u.display_name,
                        json!({"mail": u.email}),
                        now,
                    )
                    .await?;
                    true
                }
                None => false,
            }
        }
    )
}
