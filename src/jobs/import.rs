//! Scheduled import: once a day each LDAP directory set to import has its
//! people and groups read into Gatehouse. Each system is claimed by one
//! instance.

use chrono::{DateTime, Duration, Utc};

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

/// Imports from each of `systems` (claimed), logging what failed, whatever
/// happened to the one before: a skipped one would wait for its next turn.
/// Returns how many there were, or the first error after all were tried.
pub(super) async fn each(
    store: &Store,
    systems: &[ConnectedSystemId],
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let mut first_error = None;
    for system in systems {
        match imports::import(store, &Actor::system(), system, now).await {
            Ok(s) => {
                if let Some(e) = s.error {
                    tracing::warn!(system = %system, error = %e, "the directory could not be read");
                }
            }
            Err(e) => {
                tracing::error!(system = %system, error = %e, "the import failed");
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(systems.len()), Err)
}
