//! An undecided stage past its escalation time goes to its alternate
//! approvers. Run by the escalation job (`escalate_due`), in batches of one
//! transaction each.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{approvers, save};
use crate::domain::audit::Actor;
use crate::domain::ids::RequestId;
use crate::domain::policy::ApprovalStage;
use crate::domain::request::RequestState;
use crate::service::batch::{BATCH, batches};
use crate::service::error::ServiceError;
use crate::store::{Conn, Store, requests};

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
    if alternates.is_empty() {
        // Nobody to escalate to: only marked, so that it is not tried again.
        save::apply(conn, r, &changes, now).await?;
        return Ok(false);
    }
    let event = save::event(
        "Escalate access package assignment request",
        &r.id,
        &ctx.names.package,
        json!({"request": id.as_str(), "stage": r.stage, "approvers": alternates.len()}),
    );
    save::persist(conn, r, &changes, &Actor::system(), &event, now).await?;
    Ok(true)
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
