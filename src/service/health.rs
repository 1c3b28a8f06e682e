//! Readiness: whether this instance can serve, as the probes ask.

use crate::store::Store;

/// Whether the database answers.
#[tracing::instrument(skip_all)]
pub async fn database_answers(store: &Store) -> bool {
    store.ping().await
}
