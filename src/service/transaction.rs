//! How a use case reaches the store: a change in one transaction with its
//! audit event, or reads on one pooled connection.

use chrono::{DateTime, Utc};

use super::error::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent};
use crate::store::{self, Conn, Store};

/// One change in one transaction: `change` reads and writes what it needs
/// and returns its result with the audit event that records it, written in
/// the same transaction, so that no change is ever saved without its record.
#[tracing::instrument(skip_all)]
pub(crate) async fn write<T>(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    change: impl AsyncFnOnce(&mut Conn) -> Result<(T, NewAuditEvent), ServiceError>,
) -> Result<T, ServiceError> {
    let mut tx = store.begin().await?;
    let (out, event) = change(&mut tx).await?;
    store::audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    // Any change to who holds what may have queued provisioning.
    store.wake_workers();
    Ok(out)
}

/// One store read in a pooled connection (a list page, say).
#[tracing::instrument(skip_all)]
pub(crate) async fn fetch<T>(
    store: &Store,
    query: impl AsyncFnOnce(&mut Conn) -> store::Result<T>,
) -> Result<T, ServiceError> {
    read(store, async |c| Ok(query(c).await?)).await
}

/// Reads in one pooled connection, for the pages.
#[tracing::instrument(skip_all)]
pub(crate) async fn read<T>(
    store: &Store,
    query: impl AsyncFnOnce(&mut Conn) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    let mut conn = store.read().await?;
    query(&mut conn).await
}
