//! What happens to requests as time passes, one request at a time inside a
//! job's batch transaction: a scheduled start, an escalation, an expiry.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{approvers, save};
use crate::domain::audit::Actor;
use crate::domain::ids::RequestId;
use crate::domain::policy::ApprovalStage;
use crate::domain::request::RequestState;
use crate::service::ServiceError;
use crate::store::{Conn, Store, audit, requests};

/// The request with its context, when it is (still) in `state`.
async fn load_in(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    state: RequestState,
) -> Result<Option<save::Context>, ServiceError> {
    let ctx = save::load(store, conn, id).await?;
    Ok((ctx.request.state == state).then_some(ctx))
}

/// Delivers a scheduled request whose start has come; false when it is no
/// longer scheduled.
#[tracing::instrument(skip_all)]
pub async fn deliver_scheduled(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let Some(mut ctx) = load_in(store, conn, id, RequestState::Scheduled).await? else {
        return Ok(false);
    };
    let calls = super::calls::calls_of(conn, ctx.request.policy.as_str()).await?;
    let changes = ctx.deliver(conn, &calls, now).await?;
    save::apply(conn, &ctx.request, &changes, now).await?;
    let event = save::request_event(
        "Fulfill access package assignment request",
        &ctx.request,
        &ctx.names,
        json!({"scheduled": true}),
    );
    audit::record(conn, &Actor::system(), &event, now).await?;
    Ok(true)
}

/// A scheduled request whose delivery failed for a reason of its own (not
/// another change it gave way to, which the next run tries again) is marked
/// undelivered, for an administrator to reprocess, and the log says why.
#[tracing::instrument(skip_all)]
pub async fn fail_scheduled(
    conn: &mut Conn,
    id: &RequestId,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !requests::fail_scheduled(conn, id, now).await? {
        return Ok(());
    }
    let event = save::event(
        "Access package assignment request delivery failed",
        id,
        &requests::package_name_of(conn, id).await?,
        json!({"request": id.as_str(), "error": why}),
    );
    audit::record(conn, &Actor::system(), &event, now).await?;
    Ok(())
}

/// A request nobody decided within its stage's limit expires, and its
/// requestor and the stage's approvers are told; false when it was decided
/// meanwhile.
#[tracing::instrument(skip_all)]
pub async fn time_out(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let Some(mut ctx) = load_in(store, conn, id, RequestState::PendingApproval).await? else {
        return Ok(false);
    };
    let stage = ctx.request.stage;
    let changes = ctx.request.time_out(&ctx.names, &ctx.loaded.approvers)?;
    save::apply(conn, &ctx.request, &changes, now).await?;
    let event = save::event(
        "Access package assignment request timed out (no approver action taken)",
        &ctx.request.id,
        &ctx.names.package,
        json!({"request": ctx.request.id.as_str(), "stage": stage}),
    );
    audit::record(conn, &Actor::system(), &event, now).await?;
    Ok(true)
}

/// The approvers of a stage still undecided halfway to its next step are
/// reminded, once; false when the request was decided meanwhile.
#[tracing::instrument(skip_all)]
pub async fn remind_approvers(
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
    save::apply(conn, &ctx.request, &changes, now).await?;
    Ok(true)
}

/// An undecided stage past its escalation time goes to its alternate
/// approvers, who are told, with the stage's own deadline. It escalates
/// once, whoever is found; true when someone was.
#[tracing::instrument(skip_all)]
pub async fn escalate(
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
    save::apply(conn, r, &changes, now).await?;
    if alternates.is_empty() {
        return Ok(false);
    }
    let event = save::event(
        "Escalate access package assignment request",
        &r.id,
        &ctx.names.package,
        json!({"request": id.as_str(), "stage": r.stage, "approvers": alternates.len()}),
    );
    audit::record(conn, &Actor::system(), &event, now).await?;
    Ok(true)
}
