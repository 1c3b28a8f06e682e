//! The runs administrators ask for on a connected system's page ("Reconcile
//! now", "Sync now"): a worker takes them as soon as they are asked for on
//! this instance, and looks every few seconds for those asked on another.
//! Each is taken by one instance; the page shows what the run found.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::domain::connected_system::SystemRun;
use crate::service::{ServiceError, connected_systems};
use crate::store::Store;

/// How often the worker looks for runs asked for on other instances.
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// Runs every reconciliation and import asked for; returns how many ran.
/// Each taken is run even when one before it failed: it no longer waits.
#[tracing::instrument(skip_all)]
pub async fn run_once(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let asked = connected_systems::take_requested(store, SystemRun::Reconcile, now).await?;
    let reconciled = super::reconcile::each(store, &asked, now).await;
    let asked = connected_systems::take_requested(store, SystemRun::Import, now).await?;
    let imported = super::import::each(store, &asked, now).await;
    Ok(reconciled? + imported?)
}

/// The worker: runs what is asked for, woken by the asking.
#[tracing::instrument(skip_all)]
pub async fn work(store: Store, clock: Clock) {
    loop {
        if let Err(e) = run_once(&store, clock.now()).await {
            tracing::error!(error = %e, "runs asked for on connected systems");
        }
        tokio::select! {
            _ = store.system_runs_woken() => {}
            _ = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
}
