//! The provisioning worker's reads and writes: what is due, a batch claimed
//! by one instance, a system's credentials, and what was applied under the
//! claim, saved with the assignments it settles and the mails that tell
//! their holders. The worker (`jobs::provisioning`) applies the operations
//! to their targets between the claim and the save, outside any
//! transaction.

use chrono::{DateTime, Utc};

use crate::domain::connected_system::SystemSettings;
use crate::domain::ids::{ConnectedSystemId, UserId};
use crate::domain::provisioning::Outcome;
use crate::domain::secret::Secret;
use crate::service::error::ServiceError;
use crate::store::provisioning::{self, Operation};
use crate::store::{self, Store, connected_systems};

/// What applying one operation found: its outcome, and who the person is
/// in the target when that was learned.
pub struct Applied {
    pub outcome: Outcome,
    pub account: Option<(String, String)>,
}

/// Whether any operation is due at `now`.
#[tracing::instrument(skip_all)]
pub async fn any_due(store: &Store, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let mut conn = store.read().await?;
    Ok(provisioning::any_due(&mut conn, now).await?)
}

/// Claims up to `batch` due operations for this instance until `lease`, in
/// one transaction: no other instance takes them meanwhile.
#[tracing::instrument(skip_all)]
pub async fn claim(
    store: &Store,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
    batch: i64,
) -> Result<Vec<Operation>, ServiceError> {
    let mut tx = store.begin().await?;
    let ops = provisioning::claim(&mut tx, now, lease, batch).await?;
    tx.commit().await?;
    Ok(ops)
}

/// A connected system's settings and secret; `None` once it is deleted.
#[tracing::instrument(skip_all)]
pub async fn credentials(
    store: &Store,
    system: &ConnectedSystemId,
) -> Result<Option<(SystemSettings, Secret<String>)>, ServiceError> {
    let mut conn = store.read().await?;
    Ok(connected_systems::credentials(&mut conn, system).await?)
}

/// Writes what was applied under the claim that ends at `lease`.
#[tracing::instrument(skip_all)]
pub async fn save(
    store: &Store,
    ops: &[Operation],
    results: Vec<Option<Applied>>,
    lease: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut users: Vec<&UserId> = Vec::new();
    for (op, _) in ops.iter().zip(&results).filter(|(_, r)| r.is_some()) {
        if !users.contains(&&op.user_id) {
            users.push(&op.user_id);
        }
    }
    let mut tx = store.begin().await?;
    // Held first, as every change to what they hold: two instances that
    // finish the last two additions of one assignment then settle it one
    // after the other, the second seeing the first's, instead of each
    // seeing the other's still waiting and leaving it Delivering.
    store::users::lock_each(&mut tx, &users).await?;
    let mut done = Vec::new();
    let mut accounts = Vec::new();
    for (op, r) in ops.iter().zip(&results) {
        let Some(r) = r else { continue };
        // Most end done: those in one statement, the others each with its reason.
        match &r.outcome {
            Outcome::Done => done.push(op.seq),
            other => provisioning::finish(&mut tx, op.seq, lease, other, now).await?,
        }
        if let Some((key, member)) = &r.account {
            accounts.push((&op.system_id, &op.user_id, key.as_str(), member.as_str()));
        }
    }
    provisioning::finish_done(&mut tx, &done, lease, now).await?;
    provisioning::remember_accounts(&mut tx, &accounts, now).await?;
    let mails = provisioning::settle(&mut tx, &users).await?;
    if !mails.is_empty() {
        store::outbox::enqueue(&mut tx, &mails, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
