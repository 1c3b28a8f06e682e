//! Someone removes their own access to a package, where its policy lets
//! them: the assignment ends at once, what only it granted is taken back,
//! and a "userRemove" request records it in their history.

use super::save;
use crate::domain::audit::Actor;
use crate::domain::ids::AccessPackageId;
use crate::domain::request::{EndReason, Request};
use crate::domain::user::User;
use crate::service::error::ServiceError;
use crate::store::{Store, assignments, users};
use chrono::{DateTime, Utc};

/// Ends `who`'s access to the package; returns the package's name.
#[tracing::instrument(skip_all)]
pub async fn give_up(
    store: &Store,
    who: &User,
    package: &AccessPackageId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let mut tx = store.begin().await?;
    users::lock(&mut tx, &who.id).await?;
    let Some(info) = store.packages().current(&mut tx, package).await? else {
        return Err(ServiceError::NotFound);
    };
    let name = info.facts.display_name.clone();
    let Some(a) = assignments::active_for(&mut tx, &who.id, package).await? else {
        return Err(ServiceError::Refused(format!("You do not hold {name}.")));
    };
    // The removal, as its holder's request, delivered at once.
    let policy = (&a.policy_id, info.policy(&a.policy_id));
    let removed = crate::service::access::ended_details(&a, EndReason::GivenUp);
    let (request, changes) = Request::give_up(who, (package, &name), policy, &a.id, removed)?;
    let actor = Actor {
        user_id: Some(who.id.to_string()),
        display_name: who.display_name.clone(),
    };
    match save::commit(tx, &request, &changes, &actor, &name, now).await {
        // Only the ending can give way: the assignment ended meanwhile.
        Err(ServiceError::Refused(_)) => {
            return Err(ServiceError::Refused(format!(
                "Your access to {name} has already ended."
            )));
        }
        other => other?,
    };
    store.wake_workers();
    Ok(name)
}
