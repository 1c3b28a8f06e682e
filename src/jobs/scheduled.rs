//! Scheduled deliveries: approved requests for a period that has begun.

use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::service::requests::scheduled;
use crate::store::{Store, requests};

/// Scheduled requests whose start has come are delivered, each in its own
/// transaction: one that cannot be delivered is marked so and the rest go
/// on; one that gave way to another change at that moment waits for the
/// next run.
#[tracing::instrument(skip_all)]
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut done = 0;
    let mut seen = std::collections::HashSet::new();
    loop {
        let mut tx = store.begin().await?;
        // Past the ones tried in this run (one that gave way is still due).
        let ids = requests::due_scheduled(&mut tx, now, seen.len() as i64 + 1).await?;
        let Some(id) = ids.into_iter().find(|id| !seen.contains(id)) else {
            break;
        };
        seen.insert(id.clone());
        match scheduled::deliver_scheduled(store, &mut tx, &id, now).await {
            Ok(delivered) => {
                tx.commit().await?;
                done += usize::from(delivered);
            }
            Err(e) if e.gave_way() => {
                drop(tx);
                tracing::warn!(request = %id, error = %e, "scheduled delivery gave way to another change; the next run tries again");
            }
            Err(e) => {
                drop(tx);
                tracing::warn!(request = %id, error = %e, "scheduled delivery failed");
                let mut tx = store.begin().await?;
                match scheduled::fail_scheduled(store, &mut tx, &id, &e.to_string(), now).await {
                    Ok(()) => tx.commit().await?,
                    // One that cannot even be read stays scheduled (and
                    // logged each run); the others still go on.
                    Err(e) => {
                        tracing::error!(request = %id, error = %e, "a scheduled request that could not be delivered could not be marked undelivered either")
                    }
                }
            }
        }
    }
    Ok(done)
}
