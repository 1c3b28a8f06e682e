//! Withdrawing a request: by the person it is for, or by an administrator.

use chrono::{DateTime, Utc};

use super::save;
use crate::domain::audit::Actor;
use crate::domain::ids::{AccessPackageId, RequestId};
use crate::domain::request::{CanceledBy, Target};
use crate::domain::user::Person;
use crate::service::error::ServiceError;
use crate::store::Store;

/// The requestor withdraws a request that is still waiting.
#[tracing::instrument(skip_all)]
pub async fn cancel(
    store: &Store,
    who: &Person,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let mut ctx = save::load(store, &mut tx, id).await?;
    let r = &ctx.request;
    let mine = match who {
        Person::User(u) => r.is_theirs(&u.id),
        Person::External(e) => {
            r.target
                == Target::External {
                    issuer: e.issuer.clone(),
                    subject: e.subject.clone(),
                }
        }
    };
    if !mine {
        return Err(ServiceError::NotFound);
    }
    let changes = ctx
        .request
        .cancel_by_requestor(&ctx.names, &ctx.loaded.approvers)?;
    let actor = Actor {
        user_id: who.user().map(|u| u.id.to_string()),
        display_name: who.display_name().to_string(),
    };
    save::commit(tx, &ctx.request, &changes, &actor, &ctx.names.package, now).await?;
    Ok(())
}

/// An administrator cancels a request of the package that is not delivered.
#[tracing::instrument(skip_all)]
pub async fn cancel_by_admin(
    store: &Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let mut ctx = save::load(store, &mut tx, id).await?;
    if ctx.request.package != *package {
        return Err(ServiceError::NotFound);
    }
    let changes =
        ctx.request
            .cancel(CanceledBy::Administrator, &ctx.names, &ctx.loaded.approvers)?;
    save::commit(tx, &ctx.request, &changes, actor, &ctx.names.package, now).await?;
    Ok(())
}
