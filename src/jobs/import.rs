//! Scheduled import: once a day each LDAP directory set to import has its
//! people and groups read into Gatehouse. Each system is claimed by one
//! instance; `per_system` runs the step below for each.

use chrono::{DateTime, Duration, Utc};

use crate::domain::audit::Actor;
use crate::domain::ids::ConnectedSystemId;
use crate::service::{ServiceError, imports};
use crate::store::Store;

/// How often a directory is imported.
pub const EVERY: Duration = Duration::hours(24);

/// Imports from one system. A directory that could not be read is logged
/// and shown on its page; only a failure to record the import is an error.
#[tracing::instrument(skip_all)]
pub(super) async fn one(
    store: &Store,
    system: &ConnectedSystemId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let s = imports::import(store, &Actor::system(), system, now).await?;
    if let Some(e) = s.error {
        tracing::warn!(system = %system, error = %e, "the directory could not be read");
    }
    Ok(())
}
