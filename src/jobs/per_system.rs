//! A run over several connected systems, as the scheduled and the
//! asked-for imports and reconciliations all run: each system is tried
//! whatever happened to the one before (a skipped one would wait for its
//! next turn), and the first error is returned once all were tried.

use chrono::{DateTime, Utc};

use super::{import, reconcile};
use crate::domain::connected_system::SystemRun;
use crate::domain::ids::ConnectedSystemId;
use crate::service::{ServiceError, connected_systems, imports};
use crate::store::Store;

/// Runs `run` on the systems whose turn it is (each claimed by this
/// instance); returns how many.
#[tracing::instrument(skip_all, fields(run = run.as_str()))]
pub async fn run_due(
    store: &Store,
    run: SystemRun,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let due = match run {
        SystemRun::Import => imports::due(store, now - import::EVERY, now).await?,
        SystemRun::Reconcile => {
            connected_systems::due_for_reconciliation(store, now - reconcile::EVERY, now).await?
        }
    };
    each(store, run, &due, now).await
}

/// Runs `run` on each of `systems` (claimed): how many were tried, or the
/// first error once all were.
#[tracing::instrument(skip_all)]
pub(super) async fn each(
    store: &Store,
    run: SystemRun,
    systems: &[ConnectedSystemId],
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let mut tally = Tally::default();
    for system in systems {
        let done = match run {
            SystemRun::Import => import::one(store, system, now).await,
            SystemRun::Reconcile => reconcile::one(store, system, now).await,
        };
        tally.record(system, run, done);
    }
    tally.finish()
}

/// The outcome of a run over several systems so far.
#[derive(Default)]
struct Tally {
    tried: usize,
    first_error: Option<ServiceError>,
}

impl Tally {
    /// Counts the run for `system`, logging it when it failed.
    fn record(
        &mut self,
        system: &ConnectedSystemId,
        run: SystemRun,
        done: Result<(), ServiceError>,
    ) {
        self.tried += 1;
        if let Err(e) = done {
            tracing::error!(system = %system, error = %e, "{} failed", run.label());
            self.first_error.get_or_insert(e);
        }
    }

    /// How many systems were tried, or the first error.
    fn finish(self) -> Result<usize, ServiceError> {
        self.first_error.map_or(Ok(self.tried), Err)
    }
}
