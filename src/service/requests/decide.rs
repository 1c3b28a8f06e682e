//! An approver decides the current stage of a request.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::view::ApprovalView;
use super::{approvers, extensions, save};
use crate::domain::audit::Actor;
use crate::domain::ids::RequestId;
use crate::domain::request::{NextStage, RequestState};
use crate::domain::user::User;
use crate::domain::validation::reason_text;
use crate::service::error::{Saved, ServiceError};
use crate::store::Store;

/// An approver decides the current stage. The first decision wins; a later
/// or concurrent one is told the request was already decided. A final
/// approval delivers in the same transaction.
#[tracing::instrument(skip_all)]
pub async fn decide(
    store: &Store,
    approver: &User,
    id: &RequestId,
    approve: bool,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    decide_seen(store, approver, id, None, approve, reason, now).await
}

/// A decision as the approval page sends it: the stage the page showed,
/// approve or deny, and the reason typed.
pub struct PageDecision<'a> {
    pub seen: Option<i64>,
    pub approve: bool,
    pub reason: Option<&'a str>,
}

/// `decide_seen` from the approval page; refused for its reason, returns
/// the page as the approver sees it (`is_admin`, in `tz`), to show the
/// form again on.
#[tracing::instrument(skip_all)]
pub async fn decide_on_page(
    store: &Store,
    approver: &User,
    is_admin: bool,
    tz: Tz,
    id: &RequestId,
    d: PageDecision<'_>,
    now: DateTime<Utc>,
) -> Result<Saved<RequestState, ApprovalView>, ServiceError> {
    let decided = decide_seen(store, approver, id, d.seen, d.approve, d.reason, now).await;
    let page = async || super::view::approval(store, &approver.id, is_admin, id, tz).await;
    Saved::or_page(decided, page).await
}

/// `decide`, for the stage the approver saw (`seen`, from the page they
/// decided on): a decision made on a page that has since gone out of date
/// (the stage was decided meanwhile, by them in another tab or by another
/// approver of both stages) is refused, never taken for the next stage.
#[tracing::instrument(skip_all)]
pub async fn decide_seen(
    store: &Store,
    approver: &User,
    id: &RequestId,
    seen: Option<i64>,
    approve: bool,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let reason = reason_text(reason, "The reason")
        .map_err(|m| crate::service::error::invalid("justification", m))?;
    let mut tx = store.begin().await?;
    let mut ctx = save::load(store, &mut tx, id).await?;
    if let Some(stage) = seen.filter(|s| *s != i64::from(ctx.request.stage)) {
        return Err(ServiceError::Refused(format!(
            "Stage {stage} of the request was already decided."
        )));
    }
    let r = &ctx.request;
    // The next stage's approvers, when an approval moves the request there.
    let next = if approve && r.state == RequestState::PendingApproval {
        approvers::after(&mut tx, &ctx.policy, r, r.stage).await?
    } else {
        vec![]
    };
    let stage = ctx.request.stage;
    let calls = super::calls::calls_of(&ctx.package, &ctx.request.policy);
    let next = NextStage {
        approvers: next,
        by_extension: extensions::decides(&calls, stage + 1),
    };
    let mut changes = ctx.request.decide(
        &ctx.policy,
        &approver.id,
        approve,
        reason.clone(),
        &ctx.loaded.approvers,
        &next,
        &ctx.names,
        now,
    )?;
    changes.extend(extensions::approval_call(&ctx.request, &calls, now));
    changes.extend(ctx.on_approval(&mut tx, &calls, now).await?);
    let actor = Actor {
        user_id: Some(approver.id.to_string()),
        display_name: approver.display_name.clone(),
    };
    let state = save::commit(tx, &ctx.request, &changes, &actor, &ctx.names.package, now).await?;
    // A final approval may have queued provisioning.
    store.wake_workers();
    Ok(state)
}
