//! The guest lifecycle, one guest at a time in the job's transaction: a
//! governed guest whose last assignment ended is blocked (signed out, what
//! waits on them as an approver handed over), and deleted once the days
//! they were given are up.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::UserId;
use crate::domain::lifecycle::GuestAction;
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
        "Hand over approval (approver blocked by the guest lifecycle)",
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
