//! Automatic assignment: each enabled automatic policy's rule is applied to
//! the directory, assigning the people it now matches and removing those
//! whose grace period after leaving its scope has passed.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::requests::automatic::{self, Applied};
use crate::store::Store;

/// Applies the rules once; on PostgreSQL an instance skips the policies
/// another is applying at the same moment.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<Applied, ServiceError> {
    automatic::apply_rules(store, now).await
}
