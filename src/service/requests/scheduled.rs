//! A scheduled request whose start has come: delivered then, or marked
//! undelivered when its delivery fails for a reason of its own. Run by the
//! scheduled-delivery job inside its batch transaction.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::save;
use super::save::load_in;
use crate::domain::audit::Actor;
use crate::domain::ids::RequestId;
use crate::domain::request::RequestState;
use crate::service::ServiceError;
use crate::store::{Conn, Store};

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
    let calls = super::calls::calls_of(&ctx.package, ctx.request.policy.as_str());
    let changes = ctx.deliver(conn, &calls, now).await?;
    let event = save::request_event(
        "Fulfill access package assignment request",
        &ctx.request,
        &ctx.names,
        json!({"scheduled": true}),
    );
    save::persist(conn, &ctx.request, &changes, &Actor::system(), &event, now).await?;
    Ok(true)
}

/// A scheduled request whose delivery failed for a reason of its own (not
/// another change it gave way to, which the next run tries again) is marked
/// undelivered, for an administrator to reprocess, and the log says why.
#[tracing::instrument(skip_all)]
pub async fn fail_scheduled(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let Some(mut ctx) = load_in(store, conn, id, RequestState::Scheduled).await? else {
        return Ok(());
    };
    let changes = ctx.request.fail_delivery()?;
    let event = save::request_event(
        "Access package assignment request delivery failed",
        &ctx.request,
        &ctx.names,
        json!({"error": why}),
    );
    save::persist(conn, &ctx.request, &changes, &Actor::system(), &event, now).await?;
    Ok(())
}
