//! Scheduled import: once a day each LDAP directory set to import has its
//! people and groups read into Gatehouse. Each system is claimed by one
//! instance.

use chrono::{DateTime, Duration, Utc};

use super::per_system::Tally;
use crate::domain::audit::Actor;
use crate::domain::ids::ConnectedSystemId;
use crate::service::{ServiceError, imports};
use crate::store::Store;

/// How often a directory is imported.
pub const EVERY: Duration = Duration::hours(24);

/// Imports the directories that are due; returns how many.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let due = imports::due(store, now - EVERY, now).await?;
    each(store, &due, now).await
}

/// Imports from each of `systems` (claimed), each whatever happened to
/// the one before; the first error once all were tried.
pub(super) async fn each(
    store: &Store,
    systems: &[ConnectedSystemId],
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let mut tally = Tally::default();
    for system in systems {
        let done = imports::import(store, &Actor::system(), system, now).await;
        let done = done.map(|s| {
            if let Some(e) = s.error {
                tracing::warn!(system = %system, error = %e, "the directory could not be read");
            }
        });
        tally.record(system, "the import", done);
    }
    tally.finish()
}
