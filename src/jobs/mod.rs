//! Background jobs, started once with the server by `spawn_all`: the outbox
//! sender, and the lifecycle jobs (automatic assignment, scheduled
//! deliveries, escalation, automatic denial, expiration, reminders, the
//! guest lifecycle, custom extension waits, access reviews and
//! housekeeping), one file each.
//!
//! Each job calls the service that takes what is due, in batches of one
//! transaction each (`service::batch`); a job holds no SQL. The store chooses a batch's rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL,
//! so several instances on one database never work on the same row, and each
//! row leaves the "due" condition in the same transaction, so it is never
//! done twice.

pub mod approval_reminders;
pub mod automatic;
pub mod callouts;
pub mod denial;
pub mod escalation;
pub mod expiry;
pub mod extension_waits;
pub mod guests;
pub mod housekeeping;
pub mod import;
pub mod outbox;
mod per_system;
pub mod provisioning;
pub mod reconcile;
pub mod reminders;
pub mod reviews;
pub mod scheduled;
pub mod system_runs;

use std::time::Duration;

use crate::clock::Clock;
use crate::domain::connected_system::SystemRun;
use crate::notify::mailer::Mailer;
use crate::service::ServiceError;
use crate::store::Store;

/// What one run of the lifecycle jobs did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    pub escalated: usize,
    /// Requests whose stage's approvers were due a reminder.
    pub approvals_reminded: usize,
    pub denied: usize,
    pub expired: usize,
    pub reminded: usize,
    pub blocked: usize,
    pub deleted: usize,
    /// Assignments automatic assignment policies gave and took back.
    pub auto_assigned: usize,
    pub auto_removed: usize,
}

/// Runs every lifecycle job once at the clock's time, in an order where one
/// job's result feeds the next (expired assignments leave guests without
/// access in the same run). A job that fails is logged and the others still
/// run: one bad row must not keep access from being taken back. The first
/// error is returned after all ran.
#[tracing::instrument(skip_all)]
pub async fn run_once(store: &Store, clock: &Clock) -> Result<Report, ServiceError> {
    let now = clock.now();
    let mut first_error = None;
    let mut count = |name: &str, r: Result<usize, ServiceError>| match r {
        Ok(n) => n,
        Err(e) => {
            if e.gave_way() {
                tracing::warn!(job = name, error = %e, "lifecycle job gave way to another change; it runs again next time");
            } else {
                tracing::error!(job = name, error = %e, "lifecycle job failed");
            }
            first_error.get_or_insert(e);
            0
        }
    };
    // Rules first: whom they now assign or remove is seen by the jobs
    // after them (an assignment taken back leaves a guest without access).
    let applied = automatic::run(store, now).await.unwrap_or_else(|e| {
        count("automatic assignment", Err(e));
        Default::default()
    });
    let report = Report {
        auto_assigned: applied.assigned,
        auto_removed: applied.removed,
        delivered: count("scheduled deliveries", scheduled::run(store, now).await),
        // Escalation before reminders: a reminder found after its stage's
        // escalation is due is dropped, not sent next to the forwarded mail.
        escalated: count("escalation", escalation::run(store, now).await),
        approvals_reminded: count(
            "approval reminders",
            approval_reminders::run(store, now).await,
        ),
        denied: count("automatic denial", denial::run(store, now).await),
        expired: count("expiration", expiry::run(store, now).await),
        reminded: count("reminders", reminders::run(store, now).await),
        blocked: count("guest blocking", guests::block(store, now).await),
        deleted: count("guest deletion", guests::delete(store, now).await),
    };
    count(
        "custom extension waits",
        extension_waits::run(store, now).await,
    );
    // Access reviews: the ended ones first (a review ending and the next
    // starting on the same day see the holders the first one leaves).
    count("access reviews ending", reviews::end(store, now).await);
    count("access reviews starting", reviews::start(store, now).await);
    count("access review reminders", reviews::remind(store, now).await);
    count("housekeeping", housekeeping::run(store, now).await);
    count(
        "reconciliation",
        per_system::run_due(store, SystemRun::Reconcile, now).await,
    );
    count(
        "directory import",
        per_system::run_due(store, SystemRun::Import, now).await,
    );
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// Starts the background jobs this instance runs: the outbox sender when
/// mail can leave (`mailer`), and the lifecycle jobs every `every` unless
/// it is zero, with the provisioning, custom extension and system-run workers
/// (`base_url`: this instance's public address, for callbacks).
pub fn spawn_all(
    store: &Store,
    clock: &Clock,
    mailer: Option<(Mailer, String)>,
    every: Duration,
    base_url: String,
) {
    if let Some((mailer, base)) = mailer {
        outbox::spawn(
            store.clone(),
            mailer,
            base,
            clock.clone(),
            Duration::from_secs(1),
        );
    }
    if !every.is_zero() {
        let (s, c) = (store.clone(), clock.clone());
        supervise("provisioning", move || {
            provisioning::work(s.clone(), c.clone())
        });
        let (s, c) = (store.clone(), clock.clone());
        supervise("custom extension calls", move || {
            callouts::work(s.clone(), c.clone(), base_url.clone())
        });
        let (s, c) = (store.clone(), clock.clone());
        supervise("runs asked for on connected systems", move || {
            system_runs::work(s.clone(), c.clone())
        });
        let (store, clock) = (store.clone(), clock.clone());
        supervise("lifecycle jobs", move || {
            lifecycle(store.clone(), clock.clone(), every)
        });
    }
}

/// Runs a worker for good: one stopped by a panic (a bug, or a remote answer
/// a library cannot read) is logged and started again after a pause, rather
/// than leaving its work undone until the process restarts. What it had
/// claimed is taken again when the claim runs out.
fn supervise<F, Fut>(name: &'static str, start: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match tokio::spawn(start()).await {
                Err(e) if e.is_panic() => {
                    let panic = e.into_panic();
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(
                        worker = name,
                        panic = %what,
                        "the worker stopped by a panic; it starts again in 10 s"
                    );
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
                // Ended, or cancelled as the runtime shuts down.
                _ => return,
            }
        }
    });
}

/// The lifecycle jobs, every `every`.
#[tracing::instrument(skip_all)]
async fn lifecycle(store: Store, clock: Clock, every: Duration) {
    loop {
        match run_once(&store, &clock).await {
            Ok(r) if r != Report::default() => {
                tracing::info!(report = ?r, "lifecycle jobs")
            }
            Ok(_) => {}
            // Each job said how it ended (`run_once`): one that gave way
            // to another change was only a warning.
            Err(e) if e.gave_way() => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "lifecycle jobs"),
        }
        tokio::time::sleep(every).await;
    }
}
