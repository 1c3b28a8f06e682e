//! The guest lifecycle: governed guests without access are blocked, then deleted.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{BATCH, system_event};
use crate::domain::audit::object_type;
use crate::domain::ids::UserId;
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
    batches!(
        store,
        |tx, ids| users::guests_without_access(&mut tx, BATCH).await?,
        |id| {
            let user = UserId::from_stored(id.clone());
            users::set_lifecycle_block(&mut tx, &user, Some(now), now).await?;
            store::sessions::delete_for_user(&mut tx, &user).await?;
            let name = users::get(&mut tx, &user)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default();
            system_event(
                &mut tx,
                "Block guest user: no access package assignment left",
                object_type::USER,
                id,
                &name,
                json!({"action": settings.action.as_str()}),
                now,
            )
            .await?;
            true
        }
    )
}

/// Guests the lifecycle blocked are deleted once their days are up.
#[tracing::instrument(skip_all)]
pub(super) async fn delete(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let settings = {
        let mut conn = store.read().await?;
        crate::service::settings::guest_lifecycle(&mut conn).await?
    };
    if settings.action != GuestAction::BlockSignInAndDelete {
        return Ok(0);
    }
    let before = now - chrono::Duration::days(i64::from(settings.days_until_deletion));
    batches!(
        store,
        |tx, ids| users::guests_blocked_before(&mut tx, before, BATCH).await?,
        |id| {
            let user = UserId::from_stored(id.clone());
            let found = users::get(&mut tx, &user).await?;
            match found {
                Some(u) => {
                    users::delete(&mut tx, &user).await?;
                    system_event(
                        &mut tx,
                        "Delete guest user: blocked after its last assignment ended",
                        object_type::USER,
                        id,
                        &u.display_name,
                        json!({"mail": u.email, "daysUntilDeletion": settings.days_until_deletion}),
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
