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

/// How long an instance holds a run it took: another takes it after that,
/// should this one have stopped. Longer than the longest run measured (a
/// reconciliation of 10,000 groups took 45 s).
const HOLD: chrono::Duration = chrono::Duration::minutes(10);

/// Runs every reconciliation and import asked for; returns how many ran.
/// Each taken is run even when one before it failed, and then finished.
#[tracing::instrument(skip_all)]
pub async fn run_once(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut ran = 0;
    let mut first_error = None;
    for run in [SystemRun::Reconcile, SystemRun::Import] {
        for taken in connected_systems::take_requested(store, run, now, now + HOLD).await? {
            let system = std::slice::from_ref(&taken.system);
            let result = match run {
                // Turned off since it was asked for: the ask is dropped.
                SystemRun::Import if !taken.imports => Ok(0),
                run => super::per_system::each(store, run, system, now).await,
            };
            match result {
                Ok(n) => ran += n,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
            connected_systems::finish_requested(store, run, &taken).await?;
        }
    }
    first_error.map_or(Ok(ran), Err)
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
