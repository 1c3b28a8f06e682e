//! The lifecycle jobs on a timer: see `service::lifecycle`.

use std::time::Duration;

use crate::clock::Clock;
use crate::service::lifecycle::Report;
use crate::store::Store;

/// Runs every job once at the clock's time.
pub async fn run_once(store: &Store, clock: &Clock) -> anyhow::Result<Report> {
    Ok(crate::service::lifecycle::run(store, clock.now()).await?)
}

/// Runs the jobs until the process ends.
pub fn spawn(store: Store, clock: Clock, every: Duration) {
    tokio::spawn(async move {
        loop {
            match run_once(&store, &clock).await {
                Ok(r) if r != Report::default() => tracing::info!(report = ?r, "lifecycle jobs"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %format!("{e:#}"), "lifecycle jobs"),
            }
            tokio::time::sleep(every).await;
        }
    });
}
