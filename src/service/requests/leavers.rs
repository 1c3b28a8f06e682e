//! Someone deactivated or deleted where people come from (the identity
//! provider): within the change that blocks them, their open requests are
//! cancelled, their assignments end with the reason "removed from the
//! directory" (taking back what only those granted), and the approvals
//! waiting on them go to the stage's other approvers, or its fallback
//! approvers when none is left. The guest lifecycle and an administrator's
//! block hand over the approvals of whom they block the same way
//! (`hand_over_approvals`).

use super::{approvers, save};
use crate::domain::audit::Actor;
use crate::domain::ids::{RequestId, UserId};
use crate::domain::request::{BlockedBy, CanceledBy, EndReason};
use crate::service::error::ServiceError;
use crate::store::{self, Conn, Store, Tx};
use chrono::{DateTime, Utc};

/// What leaving ended: requests cancelled, assignments ended.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Left {
    pub requests: usize,
    pub assignments: usize,
    /// Requests whose stage went to other approvers.
    pub handed_over: usize,
}

/// Blocks the person and signs them out everywhere, cancels their open
/// requests (for them, or made by them other than as a manager: what they
/// asked for their reports stays their reports'), hands over approvals
/// waiting on them and ends their active assignments, in the caller's
/// transaction.
#[tracing::instrument(skip_all)]
pub async fn leave(
    store: &Store,
    tx: &mut Tx,
    actor: &Actor,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<Left, ServiceError> {
    let mut left = Left::default();
    store::users::block(tx, user, now).await?;
    store::sessions::delete_for_user(tx, user).await?;
    for id in store::requests::open_of_user(tx, user).await? {
        let Some(id) = RequestId::parse(&id) else {
            continue;
        };
        let mut ctx = save::load(store, tx, &id).await?;
        let changes =
            ctx.request
                .cancel(CanceledBy::Directory, &ctx.names, &ctx.loaded.approvers)?;
        save::persist(tx, &ctx.request, &changes, actor, &ctx.names.package, now).await?;
        left.requests += 1;
    }
    left.handed_over =
        hand_over_approvals(store, tx, actor, user, BlockedBy::Directory, now).await?;
    let batch = uuid::Uuid::new_v4().to_string();
    let reason = EndReason::RemovedFromDirectory;
    left.assignments =
        store::batch::end_all_of_user(tx, &batch, user, reason.as_str(), now).await? as usize;
    if left.assignments > 0 {
        crate::service::access::finish_ended(
            tx,
            &batch,
            reason,
            Some("Remove access package assignment (removed from the directory)"),
            now,
        )
        .await?;
    }
    Ok(left)
}

/// The approvals waiting on `user`, who was just blocked, go to the stage's
/// other approvers, or its fallback approvers when no active one is left
/// (who are asked by mail), the log saying who blocked them (`by`);
/// returns how many.
#[tracing::instrument(skip_all)]
pub async fn hand_over_approvals(
    store: &Store,
    tx: &mut Conn,
    actor: &Actor,
    user: &UserId,
    by: BlockedBy,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let mut handed_over = 0;
    for id in store::requests::awaiting_decision_of(tx, user).await? {
        let Some(id) = RequestId::parse(&id) else {
            continue;
        };
        let ctx = save::load(store, tx, &id).await?;
        let stage_no = i64::from(ctx.request.stage);
        store::requests::remove_stage_approver(tx, &id, stage_no, user).await?;
        // The stage's active approvers, the blocked one no longer among them.
        if ctx.loaded.approvers.iter().any(|a| a.id != *user) {
            handed_over += 1;
            continue;
        }
        let Some(stage) = (ctx.request.stage as usize)
            .checked_sub(1)
            .and_then(|i| ctx.policy.approval.stages.get(i))
        else {
            continue;
        };
        let replacements = approvers::resolve(tx, stage, &ctx.request).await?;
        let deny_at = ctx.loaded.deny_at.unwrap_or(now);
        let changes = ctx
            .request
            .hand_over(&replacements, deny_at, (&ctx.policy, &ctx.names), by);
        save::persist(tx, &ctx.request, &changes, actor, &ctx.names.package, now).await?;
        handed_over += 1;
    }
    Ok(handed_over)
}
