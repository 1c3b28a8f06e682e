//! The guest lifecycle, one guest at a time in the job's transaction: a
//! governed guest whose last assignment ended is blocked (signed out, what
//! waits on them as an approver handed over), and deleted once the days
//! they were given are up.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::error::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::UserId;
use crate::domain::lifecycle::GuestAction;
use crate::domain::request::BlockedBy;
use crate::service::batch::{BATCH, batches};
use crate::store::{self, Conn, Store, audit, users};

/// Blocks the guest `id` until `delete_at`, as the lifecycle's `action`
/// says, with its audit event.
#[tracing::instrument(skip_all)]
pub async fn block(
    store: &Store,
    tx: &mut Conn,
    id: &UserId,
    action: GuestAction,
    delete_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    users::set_lifecycle_block(tx, id, delete_at, now).await?;
    store::sessions::delete_for_user(tx, id).await?;
    // An external sponsor may be an approver: what waits on them goes to
    // someone who can still sign in.
    super::requests::leavers::hand_over_approvals(
        store,
        tx,
        &Actor::system(),
        id,
        BlockedBy::GuestLifecycle,
        now,
    )
    .await?;
    let name = users::get(tx, id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let event = NewAuditEvent::new(
        "Block guest user: no access package assignment left",
        object_type::USER,
        id,
        name,
        json!({"action": action.as_str()}),
    );
    audit::record(tx, &Actor::system(), &event, now).await?;
    Ok(())
}

/// Deletes the blocked guest `id`, with its audit event; false when they
/// are gone already.
#[tracing::instrument(skip_all)]
pub async fn delete(tx: &mut Conn, id: &UserId, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let Some(u) = users::get(tx, id).await? else {
        return Ok(false);
    };
    users::delete(tx, id).await?;
    let event = NewAuditEvent::new(
        "Delete guest user: blocked after its last assignment ended",
        object_type::USER,
        id,
        u.display_name,
        json!({"mail": u.email}),
    );
    audit::record(tx, &Actor::system(), &event, now).await?;
    Ok(true)
}

/// Governed guests whose last assignment ended are blocked from signing in,
/// as the tenant's guest lifecycle says, in batches of one transaction
/// each; returns how many.
#[tracing::instrument(skip_all)]
pub async fn block_due(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
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
            block(store, &mut tx, id, settings.action, delete_at, now).await?;
            true
        }
    )
}

/// Guests the lifecycle blocked are deleted once the days they were given
/// when blocked are up, in batches of one transaction each; returns how
/// many.
#[tracing::instrument(skip_all)]
pub async fn delete_due(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| users::guests_due_for_removal(&mut tx, now, BATCH).await?,
        |id| delete(&mut tx, id, now).await?
    )
}
