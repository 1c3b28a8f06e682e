//! Scheduled deliveries: approved requests for a period that has begun.

use chrono::{DateTime, Utc};

use crate::domain::ids::AccessPackageId;
use crate::domain::request::RequestState;
use crate::service::ServiceError;
use crate::service::requests::deliver;
use crate::store::{self, Store, policies, requests};

/// Scheduled requests whose start has come are delivered, each in its own
/// transaction: one that cannot be delivered is marked so and the rest go on.
pub(super) async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut done = 0;
    let mut seen = std::collections::HashSet::new();
    loop {
        let mut tx = store.begin().await?;
        let ids = requests::due_scheduled(&mut tx, now, 1).await?;
        let Some(id) = ids.into_iter().next().filter(|id| seen.insert(id.clone())) else {
            break;
        };
        let outcome = match requests::get(&mut tx, &id).await? {
            Some(r) if r.state()? == RequestState::Scheduled => {
                let package = AccessPackageId::from_stored(r.access_package_id.clone());
                match policies::get(&mut tx, &package, &r.policy_id).await? {
                    Some(policy) => deliver(&mut tx, &id, &policy, now).await.map(|_| ()),
                    None => Err(ServiceError::Refused("its policy no longer exists".into())),
                }
            }
            _ => Ok(()),
        };
        match outcome {
            Ok(()) => {
                tx.commit().await.map_err(store::map_err)?;
                done += 1;
            }
            Err(e) => {
                drop(tx);
                tracing::warn!(request = %id, error = %e, "scheduled delivery failed");
                let mut tx = store.begin().await?;
                requests::fail_scheduled(&mut tx, &id, now).await?;
                tx.commit().await.map_err(store::map_err)?;
            }
        }
    }
    Ok(done)
}
