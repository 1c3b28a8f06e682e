//! The provisioning worker: applies the queued operations to their targets,
//! with retries and backoff, and settles the assignments they deliver.
//!
//! A batch is claimed in one transaction (each operation by one instance
//! only), applied outside any transaction (a target may be slow), and its
//! outcomes written in one more, with the assignments they finish and the
//! mails that tell their holders. An instance that crashes between the two
//! leaves its claim to run out; the operation is then applied again, which
//! changes nothing, since every change is idempotent.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::connectors::{OpError, Person, Session};
use crate::domain::ids::ConnectedSystemId;
use crate::domain::provisioning::{OpAction, Outcome};
use crate::service::ServiceError;
use crate::service::provisioning::{self, Applied};
use crate::store::Store;
use crate::store::provisioning::Operation;

/// Operations a batch claims.
const BATCH: i64 = 200;
/// How long a claimed batch is left to its instance, short enough that a
/// crashed instance's work resumes soon. An operation is started only while
/// it can end (`OP_SECONDS`) before the claim runs out; the rest of the batch
/// waits for the claim to run out and is taken again. So no operation is
/// ever applied by one instance after another has taken it over.
const LEASE_SECONDS: i64 = 120;
/// The longest one operation may take (its target calls together).
const OP_SECONDS: i64 = 45;

/// How often an idle worker looks for due operations. A change made on this
/// instance wakes it at once (`Store::wake_workers`); one made on
/// another instance is found at the next look.
pub const IDLE_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Applies due operations whenever there are some, until the process ends.
#[tracing::instrument(skip_all)]
pub async fn work(store: Store, clock: Clock) {
    loop {
        match provisioning::any_due(&store, clock.now()).await {
            Ok(true) => {
                if let Err(e) = run_once(&store, &clock).await {
                    tracing::error!(error = %format!("{e:#}"), "provisioning");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "provisioning"),
        }
        tokio::select! {
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = store.provisioning_woken() => {}
        }
    }
}

/// One pass over what is due; returns how many operations were applied
/// (done, retried or given up).
#[tracing::instrument(skip_all)]
pub async fn run_once(store: &Store, clock: &Clock) -> Result<usize, ServiceError> {
    let mut total = 0;
    loop {
        let now = clock.now();
        let lease = now + Duration::seconds(LEASE_SECONDS);
        let claimed = provisioning::claim(store, now, lease, BATCH).await?;
        if claimed.is_empty() {
            return Ok(total);
        }
        let n = claimed.len();
        let results = apply_all(store, &claimed, clock, lease).await?;
        let applied = results.iter().flatten().count();
        provisioning::save(store, &claimed, results, lease, clock.now()).await?;
        total += applied;
        // A short batch was all there was; one cut short by its claim's time
        // is taken again once the claim runs out.
        if (n as i64) < BATCH || applied < n {
            return Ok(total);
        }
    }
}

/// Applies the batch, system by system; an operation not started (its claim
/// would run out first) has no result.
#[tracing::instrument(skip_all)]
async fn apply_all(
    store: &Store,
    ops: &[Operation],
    clock: &Clock,
    lease: DateTime<Utc>,
) -> Result<Vec<Option<Applied>>, ServiceError> {
    let mut by_system: HashMap<&ConnectedSystemId, Vec<usize>> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        by_system.entry(&op.system_id).or_default().push(i);
    }
    let mut results: Vec<Option<Applied>> = (0..ops.len()).map(|_| None).collect();
    // Whether one more operation can end before the claim runs out.
    let time_left = || clock.now() + Duration::seconds(OP_SECONDS) <= lease;
    for (system, indexes) in by_system {
        // No time left under the claim: not even a connection is opened.
        if !time_left() {
            break;
        }
        let credentials = provisioning::credentials(store, system).await?;
        let session = match &credentials {
            Some((settings, secret)) => Session::open(settings, secret).await,
            None => Err(OpError::Permanent(
                "the connected system was deleted".into(),
            )),
        };
        let mut session = match session {
            Ok(s) => s,
            Err(e) => {
                // The whole system is unreachable: every operation waits.
                for i in indexes {
                    results[i] = Some(Applied {
                        outcome: failed(&ops[i], e.clone(), clock.now()),
                        account: None,
                    });
                }
                continue;
            }
        };
        for i in indexes {
            let op = &ops[i];
            if !time_left() {
                break;
            }
            let limit = std::time::Duration::from_secs(OP_SECONDS as u64);
            let deadline = tokio::time::Instant::now() + limit;
            let (account, r) = apply(&mut session, op, deadline).await;
            let outcome = match r {
                Ok(()) => Outcome::Done,
                Err(e) => failed(op, e, clock.now()),
            };
            results[i] = Some(Applied { outcome, account });
        }
        session.close().await;
    }
    Ok(results)
}

/// What becomes of `op`, which failed with `e` (the domain's rule), logged.
fn failed(op: &Operation, e: OpError, now: DateTime<Utc>) -> Outcome {
    let asked = match &e {
        OpError::Wait(_, d) => Some(*d),
        _ => None,
    };
    let passing = !matches!(e, OpError::Permanent(_));
    let outcome = op.action.after_failure(op.attempts, e.into(), now);
    match &outcome {
        Outcome::Retry(m, at) => {
            tracing::warn!(operation = op.seq, error = %m, wait = ?asked, retry_at = %at, "provisioning will retry")
        }
        Outcome::Failed(m) if passing => {
            tracing::warn!(operation = op.seq, error = %m, "provisioning gave up")
        }
        Outcome::Failed(m) => tracing::warn!(operation = op.seq, error = %m, "provisioning failed"),
        // A failure never ends as done.
        Outcome::Done => {}
    }
    outcome
}

/// The error of a step the target did not finish by the operation's deadline.
fn too_slow() -> OpError {
    OpError::Temporary(format!(
        "the target did not finish within {OP_SECONDS} seconds"
    ))
}

/// Applies one operation by `deadline`; returns who the person is in the
/// target when it was looked up, whether the change then succeeded, failed
/// or ran out of time (the person is known either way: a change that ran
/// out of time may have reached the target, and a reconciliation must not
/// take them for someone nobody granted).
#[tracing::instrument(skip_all)]
async fn apply(
    session: &mut Session,
    op: &Operation,
    deadline: tokio::time::Instant,
) -> (Option<(String, String)>, Result<(), OpError>) {
    let person = Person {
        email: op.email.clone(),
        display_name: op.display_name.clone(),
        given_name: op.given_name.clone(),
        surname: op.surname.clone(),
        guest: op.guest(),
    };
    let placeholder = op.placeholder.as_deref();
    let add = op.action == OpAction::Add;
    let (member, learned) = match &op.member {
        Some(m) => (m.clone(), None),
        None if op.email.is_empty() => {
            // Deleted before its removal was queued: nobody to look up.
            return (None, Ok(()));
        }
        None => match tokio::time::timeout_at(deadline, session.find_person(&person, add))
            .await
            .unwrap_or_else(|_| Err(too_slow()))
        {
            Ok(Some(a)) => (a.member.clone(), Some((a.key, a.member))),
            Ok(None) if add => {
                let e = OpError::Permanent(format!(
                    "{} was not found in the target, which is not set to create people",
                    op.email
                ));
                return (None, Err(e));
            }
            // Not there: nothing to take out.
            Ok(None) => return (None, Ok(())),
            Err(e) => return (None, Err(e)),
        },
    };
    let change = async {
        if add {
            session
                .add_member(&op.external_id, &member, placeholder)
                .await
        } else {
            session
                .remove_member(&op.external_id, &member, placeholder)
                .await
        }
    };
    let changed = tokio::time::timeout_at(deadline, change)
        .await
        .unwrap_or_else(|_| Err(too_slow()));
    (learned, changed)
}
