//! Scheduled reconciliation: once a day each connected system's linked
//! groups are compared with the ledger (and repaired as the system is set
//! to). Each system is claimed by one instance; `per_system` runs the step
//! below for each.

use chrono::{DateTime, Duration, Utc};

use crate::domain::audit::Actor;
use crate::domain::ids::ConnectedSystemId;
use crate::service::{ServiceError, connected_systems};
use crate::store::Store;

/// How often a system is reconciled.
pub const EVERY: Duration = Duration::hours(24);

/// Reconciles one system's links; a link that failed is logged (its page
/// shows it), the others still run.
#[tracing::instrument(skip_all)]
pub(super) async fn one(
    store: &Store,
    system: &ConnectedSystemId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let results = connected_systems::reconcile(store, &Actor::system(), system, now).await?;
    for (group, r) in results {
        if let Err(e) = r {
            tracing::warn!(system = %system, group = %group, error = %e, "reconciliation failed");
        }
    }
    Ok(())
}
