//! What someone holds and held, for My Access's Active and Expired tabs.

use crate::domain::assignment::AssignmentState;
use crate::domain::ids::{AccessPackageId, UserId};
use crate::service::error::ServiceError;
use crate::service::requests::availability::Tabs;
use crate::service::transaction::read;
use crate::store::assignments::AssignmentRow;
use crate::store::{Conn, Store};

/// A package someone holds, as My Access shows it.
pub struct Held {
    pub assignment: AssignmentRow,
    /// Whether its policy lets them ask for more time, or remove it.
    pub can_extend: bool,
    pub can_give_up: bool,
}

/// What someone holds now and what they held: each package's latest
/// ended assignment once (unless they hold it again).
pub struct Holdings {
    pub active: Vec<Held>,
    pub ended: Vec<AssignmentRow>,
}

impl Holdings {
    /// The tabs' counts.
    pub fn tabs(&self) -> Tabs {
        Tabs {
            active: self.active.len(),
            expired: self.ended.len(),
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn holdings(store: &Store, who: &UserId) -> Result<Holdings, ServiceError> {
    read(store, async |c| holdings_in(c, store, who).await).await
}

/// `holdings` on `conn`.
#[tracing::instrument(skip_all)]
pub(in crate::service::requests) async fn holdings_in(
    c: &mut Conn,
    store: &Store,
    who: &UserId,
) -> Result<Holdings, ServiceError> {
    let all = crate::store::assignments::of_target(c, who).await?;
    let generation = crate::store::settings::get(c, "catalog_generation")
        .await?
        .unwrap_or_default();
    let mut out = Holdings {
        active: vec![],
        ended: vec![],
    };
    for a in all {
        if a.is_active() {
            let info = store
                .packages()
                .package(c, &generation, &a.access_package_id)
                .await?;
            let policy = info.as_ref().and_then(|i| i.policy(&a.policy_id));
            out.active.push(Held {
                can_extend: policy
                    .is_some_and(|p| p.enabled && p.requestor.enable_targets_to_self_update_access),
                can_give_up: policy
                    .is_some_and(|p| p.requestor.enable_targets_to_self_remove_access),
                assignment: a,
            });
        } else if a.state == AssignmentState::Expired
            && !out
                .ended
                .iter()
                .any(|e| e.access_package_id == a.access_package_id)
        {
            out.ended.push(a);
        }
    }
    let held: Vec<AccessPackageId> = out
        .active
        .iter()
        .map(|h| h.assignment.access_package_id.clone())
        .collect();
    out.ended.retain(|e| !held.contains(&e.access_package_id));
    Ok(out)
}
