//! An undecided stage past its escalation time goes to its alternate
//! approvers. Run by the escalation job (`escalate_due`), in batches of one
//! transaction each.

use super::{approvers, save};
use crate::domain::audit::Actor;
use crate::domain::ids::RequestId;
use crate::domain::policy::ApprovalStage;
use crate::domain::request::RequestState;
use crate::service::batch::{BATCH, batches};
use crate::service::error::ServiceError;
use crate::store::{Conn, Store, requests};
use chrono::{DateTime, Utc};

/// An undecided stage past its escalation time goes to its alternate
/// approvers, who are told, with the stage's own deadline. It escalates
/// once, whoever is found; true when someone was.
#[tracing::instrument(skip_all)]
async fn escalate(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let ctx = save::load(store, conn, id).await?;
    let r = &ctx.request;
    let stage: Option<&ApprovalStage> = ctx
        .policy
        .approval
        .stages
        .get((r.stage.max(1) - 1) as usize)
        .filter(|s| s.is_escalation_enabled);
    let alternates = match stage {
        Some(s) if r.state == RequestState::PendingApproval => {
            approvers::resolve_alternates(
                conn,
                s,
                r.target.user(),
                r.requestor.as_ref(),
                r.organization.as_ref().map(|o| o.as_str()),
            )
            .await?
        }
        _ => vec![],
    };
    let deny_at = ctx.loaded.deny_at.unwrap_or(now);
    let changes = r.escalate(&alternates, deny_at, (&ctx.policy, &ctx.names));
    // Nobody to escalate to: only marked, so that it is not tried again,
    // and the log says nothing.
    save::persist(conn, r, &changes, &Actor::system(), &ctx.names.package, now).await?;
    Ok(!alternates.is_empty())
}

/// Every undecided stage past its escalation time goes to its alternate
/// approvers, in batches of one transaction each; returns how many found
/// someone.
#[tracing::instrument(skip_all)]
pub async fn escalate_due(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| requests::due_escalations(&mut tx, now, BATCH).await?,
        |id| escalate(store, &mut tx, id, now).await?
    )
}
