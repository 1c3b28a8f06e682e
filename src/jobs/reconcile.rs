//! Scheduled reconciliation: once a day each connected system's linked
//! groups are compared with the ledger (and repaired as the system is set
//! to). Each system is claimed by one instance.

use chrono::{DateTime, Duration, Utc};

use super::per_system::Tally;
use crate::domain::audit::Actor;
use crate::domain::ids::ConnectedSystemId;
use crate::service::{ServiceError, connected_systems};
use crate::store::Store;

/// How often a system is reconciled.
pub const EVERY: Duration = Duration::hours(24);

/// Reconciles the systems that are due; returns how many.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let due = connected_systems::due_for_reconciliation(store, now - EVERY, now).await?;
    each(store, &due, now).await
}

/// Reconciles each of `systems` (claimed), each whatever happened to the
/// one before; the first error once all were tried.
pub(super) async fn each(
    store: &Store,
    systems: &[ConnectedSystemId],
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let mut tally = Tally::default();
    for system in systems {
        let done = connected_systems::reconcile(store, &Actor::system(), system, now).await;
        let done = done.map(|results| {
            for (group, r) in results {
                if let Err(e) = r {
                    tracing::warn!(system = %system, group = %group, error = %e, "reconciliation failed");
                }
            }
        });
        tally.record(system, "reconciliation", done);
    }
    tally.finish()
}
