//! Lifecycle work that falls due with time: scheduled deliveries start.

use std::time::Duration;

use crate::clock::Clock;
use crate::store::Store;

/// Runs once: delivers the scheduled requests whose start has come.
pub async fn run_once(store: &Store, clock: &Clock) -> anyhow::Result<usize> {
    Ok(crate::service::requests::deliver_due(store, clock.now()).await?)
}

/// Runs the jobs until the process ends.
pub fn spawn(store: Store, clock: Clock, every: Duration) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_once(&store, &clock).await {
                tracing::error!(error = %format!("{e:#}"), "lifecycle jobs");
            }
            tokio::time::sleep(every).await;
        }
    });
}
