//! An administrator delivers again a request whose delivery failed or was partial.

use chrono::{DateTime, Utc};

use super::save;
use crate::domain::audit::Actor;
use crate::domain::ids::{AccessPackageId, RequestId};
use crate::domain::request::RequestState;
use crate::service::error::ServiceError;
use crate::store::Store;

/// Delivers again a request whose delivery failed or was partial.
#[tracing::instrument(skip_all)]
pub async fn reprocess(
    store: &Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let mut tx = store.begin().await?;
    let mut ctx = save::load(store, &mut tx, id).await?;
    if ctx.request.package != *package {
        return Err(ServiceError::NotFound);
    }
    let audit = ctx.request.reprocess()?;
    let calls = super::calls::calls_of(&ctx.package, &ctx.request.policy);
    let mut changes = ctx.deliver(&mut tx, &calls, now).await?;
    changes.push(audit);
    save::commit(tx, &ctx.request, &changes, actor, &ctx.names.package, now).await
}
