//! Scheduled reconciliation: once a day each connected system's linked
//! groups are compared with the ledger (and repaired as the system is set
//! to). Each system is claimed by one instance.

use chrono::{DateTime, Duration, Utc};

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

/// Reconciles each of `systems` (claimed), logging what failed, whatever
/// happened to the one before: a skipped one would wait for its next turn.
/// Returns how many there were, or the first error after all were tried.
pub(super) async fn each(
    store: &Store,
    systems: &[ConnectedSystemId],
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let mut first_error = None;
    for system in systems {
        match connected_systems::reconcile(store, &Actor::system(), system, now).await {
            Ok(results) => {
                for (group, r) in results {
                    if let Err(e) = r {
                        tracing::warn!(system = %system, group = %group, error = %e, "reconciliation failed");
                    }
                }
            }
            Err(e) => {
                tracing::error!(system = %system, error = %e, "reconciliation failed");
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(systems.len()), Err)
}
