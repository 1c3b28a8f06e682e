//! A request nobody decided within its stage's limit: it expires. Run by
//! the automatic-denial job (`time_out_due`), in batches of one transaction
//! each.

use chrono::{DateTime, Utc};

use super::save;
use super::save::load_in;
use crate::domain::audit::Actor;
use crate::domain::ids::RequestId;
use crate::domain::request::RequestState;
use crate::service::batch::{BATCH, batches};
use crate::service::error::ServiceError;
use crate::store::{Conn, Store, requests};

/// A request nobody decided within its stage's limit expires, and its
/// requestor and the stage's approvers are told; false when it was decided
/// meanwhile.
#[tracing::instrument(skip_all)]
async fn time_out(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let Some(mut ctx) = load_in(store, conn, id, RequestState::PendingApproval).await? else {
        return Ok(false);
    };
    let changes = ctx.request.time_out(&ctx.names, &ctx.loaded.approvers)?;
    let (r, package) = (&ctx.request, &ctx.names.package);
    save::persist(conn, r, &changes, &Actor::system(), package, now).await?;
    Ok(true)
}

/// Every request nobody decided within its stage's limit expires, in
/// batches of one transaction each; returns how many.
#[tracing::instrument(skip_all)]
pub async fn time_out_due(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| requests::due_denials(&mut tx, now, BATCH).await?,
        |id| time_out(store, &mut tx, id, now).await?
    )
}
