//! The audit log as administrators read it.

use super::error::ServiceError;
use super::transaction::fetch;
use crate::store::audit::{self, AuditEventRow, AuditFilter};
use crate::store::{Page, PageAt, Store};

/// One page of the events matching `filter`, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(
    store: &Store,
    filter: &AuditFilter,
    at: PageAt,
) -> Result<Page<AuditEventRow>, ServiceError> {
    fetch(store, async |c| audit::list(c, filter, at).await).await
}
