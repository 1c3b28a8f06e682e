//! Scheduled import: once a day each LDAP directory set to import has its
//! people and groups read into Gatehouse. Each system is claimed by one
//! instance.

use chrono::{DateTime, Duration, Utc};

use crate::domain::audit::Actor;
use crate::service::{ServiceError, imports};
use crate::store::Store;

/// How often a directory is imported.
pub const EVERY: Duration = Duration::hours(24);

/// Imports the directories that are due; returns how many.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let due = imports::due(store, now - EVERY, now).await?;
    for system in &due {
        let s = imports::import(store, &Actor::system(), system, now).await?;
        if let Some(e) = s.error {
            tracing::warn!(system = %system, error = %e, "the directory could not be read");
        }
    }
    Ok(due.len())
}
