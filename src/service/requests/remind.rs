//! A stage still undecided halfway to its next step: its approvers are
//! reminded, once, and the audit log says so (with the mails). Run by the
//! approval-reminder job (`remind_due`), in batches of one transaction each.

use super::save;
use super::save::load_in;
use crate::domain::audit::Actor;
use crate::domain::ids::RequestId;
use crate::domain::request::RequestState;
use crate::service::batch::{BATCH, batches};
use crate::service::error::ServiceError;
use crate::store::{Conn, Store, requests};
use chrono::{DateTime, Utc};

/// The approvers of a stage still undecided halfway to its next step are
/// reminded, once; false when the request was decided meanwhile.
#[tracing::instrument(skip_all)]
async fn remind_approvers(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let Some(ctx) = load_in(store, conn, id, RequestState::PendingApproval).await? else {
        return Ok(false);
    };
    let escalated = ctx.loaded.escalated_stage >= ctx.request.stage;
    let deny_at = ctx.loaded.deny_at.unwrap_or(now);
    let changes = ctx.request.remind(
        (&ctx.policy, &ctx.names),
        &ctx.loaded.approvers,
        (escalated, deny_at),
        now,
    );
    // Found late (escalated or expired meanwhile), it is only marked, so
    // that it is not tried again, and the log says nothing.
    let (r, package) = (&ctx.request, &ctx.names.package);
    save::persist(conn, r, &changes, &Actor::system(), package, now).await?;
    Ok(true)
}

/// Reminds the approvers of each stage due a reminder, in batches of one
/// transaction each; returns how many stages.
#[tracing::instrument(skip_all)]
pub async fn remind_due(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| requests::due_approval_reminders(&mut tx, now, BATCH).await?,
        |id| remind_approvers(store, &mut tx, id, now).await?
    )
}
