//! An extension answers the call a request waits for (its callback), or
//! the wait runs out: the request goes on, or is denied or canceled, as the
//! answer (or the extension's setting) says.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::calls::calls_of;
use super::extensions::{approval_call, decides};
use super::{approvers, save};
use crate::domain::audit::Actor;
use crate::domain::custom_extension::{Answer, OnTimeout, Stage, read_callback, same_secret};
use crate::domain::ids::RequestId;
use crate::domain::request::{Change, NextStage, RequestState, extension_answered, reason};
use crate::service::error::ServiceError;
use crate::store::{self, Store, custom_extensions};

/// Why a callback is refused: each is answered with its own status.
#[derive(Debug)]
pub enum CallbackRefusal {
    /// No such request (404).
    NotFound,
    /// No token, or not the one the call gave (401).
    Unauthorized,
    /// The request waits for no call (any more): late or repeated (409).
    NotWaiting,
    /// The body does not answer the call (400).
    Invalid(String),
    Failed(ServiceError),
}

impl From<ServiceError> for CallbackRefusal {
    fn from(e: ServiceError) -> Self {
        CallbackRefusal::Failed(e)
    }
}

impl From<store::StoreError> for CallbackRefusal {
    fn from(e: store::StoreError) -> Self {
        CallbackRefusal::Failed(e.into())
    }
}

/// An extension answers the call a request waits for (`POST .../resume`
/// with the call's token as bearer token): the request goes on, or is
/// denied or canceled. Only the call's own token, naming the call and its
/// stage, while the request still waits; anything else changes nothing.
#[tracing::instrument(skip_all)]
pub async fn resume(
    store: &Store,
    id: &RequestId,
    token: Option<&str>,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<(), CallbackRefusal> {
    let mut tx = store.begin().await?;
    let waiting = custom_extensions::waiting_for(&mut tx, id.as_str()).await?;
    let Some((call, stage, expected)) = waiting else {
        let known = store::requests::load(&mut tx, id).await?.is_some();
        return Err(if known {
            // Without a token nothing is said about the request.
            match token {
                None => CallbackRefusal::Unauthorized,
                Some(_) => CallbackRefusal::NotWaiting,
            }
        } else {
            CallbackRefusal::NotFound
        });
    };
    if !token.is_some_and(|t| same_secret(t, &expected)) {
        return Err(CallbackRefusal::Unauthorized);
    }
    let stage = Stage::parse(&stage).ok_or(CallbackRefusal::NotWaiting)?;
    let (answer, detail) = read_callback(body, stage, &call).map_err(CallbackRefusal::Invalid)?;
    let state = answer.ends_call();
    if !custom_extensions::end_wait(&mut tx, &call, state, detail.as_deref(), now).await? {
        return Err(CallbackRefusal::NotWaiting);
    }
    match go_on_or_stop(store, tx, id, stage, answer, detail, false, now).await {
        Ok(()) => Ok(()),
        Err(ServiceError::Refused(_)) => Err(CallbackRefusal::NotWaiting),
        Err(e) => Err(e.into()),
    }
}

/// A call's wait that ran out, as the store took it (marked timed out):
/// its request goes on or stops, as its extension says, and its requestor
/// is told; `tx` (which took it) is committed.
#[tracing::instrument(skip_all)]
async fn time_out_wait(
    store: &Store,
    tx: store::Tx,
    (request, on_timeout, stage): (String, String, String),
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let answer = match OnTimeout::parse(&on_timeout) {
        Some(OnTimeout::Deny) => Answer::Deny,
        _ => Answer::Continue,
    };
    match (RequestId::parse(&request), Stage::parse(&stage)) {
        (Some(id), Some(stage)) => {
            go_on_or_stop(store, tx, &id, stage, answer, None, true, now).await
        }
        _ => Ok(tx.commit().await?),
    }
}

/// Moves a request on after its wait at `stage` ended with `answer` (or
/// ran out: `timed_out`), and commits `tx` (which ended the wait).
#[allow(clippy::too_many_arguments)]
async fn go_on_or_stop(
    store: &Store,
    mut tx: store::Tx,
    id: &RequestId,
    stage: Stage,
    answer: Answer,
    detail: Option<String>,
    timed_out: bool,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut ctx = save::load(store, &mut tx, id).await?;
    let calls = calls_of(&ctx.package, &ctx.request.policy);
    let name = calls
        .at(stage)
        .map(|b| b.name.clone())
        .unwrap_or_else(|| "the custom extension".into());
    let expected = match stage {
        Stage::RequestCreated => RequestState::Submitted,
        Stage::Approval(_) => RequestState::PendingApproval,
        _ => RequestState::Approved,
    };
    let same_stage = stage
        .approval_stage()
        .is_none_or(|n| ctx.request.stage == n);
    let moved_on = ctx.request.state != expected || !same_stage;
    if timed_out && (moved_on || stage.approval_stage().is_some()) {
        // The wait is over and nothing more happens: an approver extension
        // that does not answer leaves the stage to its own deadline (and its
        // people); a request that moved on stays as it is.
        tx.commit().await?;
        return Ok(());
    }
    if moved_on {
        // Decided meanwhile (by an approver, say): the answer comes too late
        // and changes nothing.
        return Err(ServiceError::Refused(
            "The request is not waiting for this answer any more.".into(),
        ));
    }
    let mut changes = match (answer, stage.approval_stage()) {
        (Answer::Approve | Answer::Deny, Some(n)) => {
            let approve = answer == Answer::Approve;
            let next = if approve {
                approvers::after(&mut tx, &ctx.policy, &ctx.request, n).await?
            } else {
                vec![]
            };
            let next = NextStage {
                approvers: next,
                by_extension: decides(&calls, n + 1),
            };
            let Some(binding) = calls.at(stage) else {
                return Err(ServiceError::Refused(format!(
                    "The policy no longer has {name} decide stage {n}."
                )));
            };
            let mut changes = ctx.request.decide_by_extension(
                &ctx.policy,
                binding,
                n,
                approve,
                detail.clone(),
                &ctx.loaded.approvers,
                &next,
                &ctx.names,
                now,
            )?;
            changes.extend(ctx.on_approval(&mut tx, &calls, now).await?);
            changes.extend(approval_call(&ctx.request, &calls, now));
            changes
        }
        (Answer::Approve, None) => {
            return Err(ServiceError::Refused(
                "Only an approver extension approves.".into(),
            ));
        }
        (Answer::Continue, _) => {
            let changes = if stage == Stage::RequestCreated {
                let first = approvers::first(&mut tx, &ctx.policy, &ctx.request).await?;
                let started = ctx.request.clone().go_on(
                    &ctx.policy,
                    &first,
                    decides(&calls, 1),
                    &ctx.names,
                    now,
                );
                let (request, mut changes) = match started {
                    Ok(s) => s,
                    // Its approval cannot start (nobody can be found to
                    // decide it): the request ends, saying why, rather than
                    // wait for ever.
                    Err(crate::domain::request::Refusal::Refused(why)) => {
                        let mut r = ctx.request.clone();
                        let changes = r.stop_by_extension(false, why, &ctx.names)?;
                        (r, changes)
                    }
                    Err(e) => return Err(e.into()),
                };
                changes.extend(approval_call(&request, &calls, now));
                ctx.request = request;
                changes.extend(ctx.on_approval(&mut tx, &calls, now).await?);
                changes
            } else {
                ctx.deliver(&mut tx, &calls, now).await?
            };
            let mut changes = changes;
            if timed_out {
                let why = format!("{name} did not answer in time; your request goes on.");
                changes.push(ctx.request.tell_goes_on(&why, &ctx.names));
            }
            changes
        }
        (Answer::Deny | Answer::Cancel, _) => {
            let cancel = answer == Answer::Cancel;
            // The extension's own words stay words (`reason::words`).
            let words = detail.as_deref().map(reason::words);
            let why = match (&words, cancel, timed_out) {
                (_, _, true) => format!("{name} did not answer in time."),
                (Some(d), true, _) => format!("Canceled by {name}: {d}"),
                (None, true, _) => format!("Canceled by {name}."),
                (Some(d), false, _) => format!("Denied by {name}: {d}"),
                (None, false, _) => format!("Denied by {name}."),
            };
            ctx.request.stop_by_extension(cancel, why, &ctx.names)?
        }
    };
    // A stage's decision is noted by the decision (`decide_by_extension`);
    // any other answer here.
    if !changes.iter().any(|c| matches!(c, Change::Audit(_))) {
        let said = detail.as_deref();
        changes.push(extension_answered(answer, stage, &name, said, timed_out));
    }
    let actor = Actor {
        user_id: None,
        display_name: name,
    };
    save::commit(tx, &ctx.request, &changes, &actor, &ctx.names.package, now).await?;
    store.wake_workers();
    Ok(())
}

/// Ends every wait that ran out, one transaction each (taking a wait marks
/// it, so no two instances end the same); returns how many.
#[tracing::instrument(skip_all)]
pub async fn time_out_waits(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut done = 0;
    loop {
        let mut tx = store.begin().await?;
        let Some(wait) = custom_extensions::take_timed_out(&mut tx, now, 1)
            .await?
            .pop()
        else {
            return Ok(done);
        };
        time_out_wait(store, tx, wait, now).await?;
        done += 1;
    }
}
