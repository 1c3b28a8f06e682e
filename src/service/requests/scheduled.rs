//! A scheduled request whose start has come: delivered then, or marked
//! undelivered when its delivery fails for a reason of its own. The
//! scheduled-delivery job runs `deliver_due`, each request in a transaction
//! of its own.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::save;
use super::save::load_in;
use crate::domain::audit::Actor;
use crate::domain::ids::RequestId;
use crate::domain::request::{RequestAction, RequestState};
use crate::service::error::ServiceError;
use crate::store::{Conn, Store, StoreError, audit, requests};

/// Delivers a scheduled request whose start has come; false when it is no
/// longer scheduled.
#[tracing::instrument(skip_all)]
async fn deliver_scheduled(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let Some(mut ctx) = load_in(store, conn, id, RequestState::Scheduled).await? else {
        return Ok(false);
    };
    let audit = ctx.request.fulfill_scheduled()?;
    let calls = super::calls::calls_of(&ctx.package, &ctx.request.policy);
    let mut changes = ctx.deliver(conn, &calls, now).await?;
    changes.push(audit);
    let (r, package) = (&ctx.request, &ctx.names.package);
    save::persist(conn, r, &changes, &Actor::system(), package, now).await?;
    Ok(true)
}

/// A scheduled request whose delivery failed for a reason of its own (not
/// another change it gave way to, which the next run tries again) is marked
/// undelivered, for an administrator to reprocess, and the log says why.
#[tracing::instrument(skip_all)]
async fn fail_scheduled(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut ctx = match load_in(store, conn, id, RequestState::Scheduled).await {
        Ok(Some(ctx)) => ctx,
        Ok(None) => return Ok(()),
        // Read but not understood (a damaged row): marked all the same. A
        // database error is not that; the next run tries again.
        Err(e @ ServiceError::Store(StoreError::Corrupt(_))) => {
            return fail_unreadable(conn, id, why, &e, now).await;
        }
        Err(e) => return Err(e),
    };
    let changes = ctx.request.fail_scheduled(why)?;
    let (r, package) = (&ctx.request, &ctx.names.package);
    save::persist(conn, r, &changes, &Actor::system(), package, now).await?;
    Ok(())
}

/// A scheduled request the aggregate cannot read is still marked
/// undelivered (by its state alone), with the reason it could not be read,
/// so that it does not wait unseen.
async fn fail_unreadable(
    conn: &mut Conn,
    id: &RequestId,
    why: &str,
    unreadable: &ServiceError,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !requests::fail_unreadable(conn, id).await? {
        return Ok(());
    }
    let event = save::event(
        RequestAction::DeliveryFailed.as_str(),
        id,
        &requests::package_name_of(conn, id).await?,
        json!({"request": id.as_str(), "error": why, "unreadable": unreadable.to_string()}),
    );
    audit::record(conn, &Actor::system(), &event, now).await?;
    Ok(())
}

/// Scheduled requests whose start has come are delivered, each in its own
/// transaction: one that cannot be delivered is marked so and the rest go
/// on; one that gave way to another change at that moment waits for the
/// next run. Returns how many were delivered.
#[tracing::instrument(skip_all)]
pub async fn deliver_due(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut done = 0;
    let mut seen = std::collections::HashSet::new();
    loop {
        let mut tx = store.begin().await?;
        // Past the ones tried in this run (one that gave way is still due).
        let ids = requests::due_scheduled(&mut tx, now, seen.len() as i64 + 1).await?;
        let Some(id) = ids.into_iter().find(|id| !seen.contains(id)) else {
            break;
        };
        seen.insert(id.clone());
        match deliver_scheduled(store, &mut tx, &id, now).await {
            Ok(delivered) => {
                tx.commit().await?;
                done += usize::from(delivered);
            }
            Err(e) if e.gave_way() => {
                drop(tx);
                tracing::warn!(request = %id, error = %e, "scheduled delivery gave way to another change; the next run tries again");
            }
            Err(e) => {
                drop(tx);
                tracing::warn!(request = %id, error = %e, "scheduled delivery failed");
                let mut tx = store.begin().await?;
                match fail_scheduled(store, &mut tx, &id, &e.to_string(), now).await {
                    Ok(()) => tx.commit().await?,
                    // Given way to another change: the next run tries again.
                    Err(e) if e.gave_way() => {
                        tracing::warn!(request = %id, error = %e, "marking a scheduled request undelivered gave way to another change; the next run tries again")
                    }
                    Err(e) => {
                        tracing::error!(request = %id, error = %e, "a scheduled request that could not be delivered could not be marked undelivered either")
                    }
                }
            }
        }
    }
    Ok(done)
}
