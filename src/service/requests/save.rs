//! Loading a request for one of its operations, and saving what the
//! operation changed, with its audit event, in one transaction.

use std::sync::Arc;

use crate::domain::assignment::AssignmentState;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::custom_extension::Stage;
use crate::domain::ids::RequestId;
use crate::domain::message::{Mail, Message};
use crate::domain::policy::Policy;
use crate::domain::request::{
    About, AuditNote, Change, Decider, Names, Refusal, Request, RequestState,
};
use crate::service::error::ServiceError;
use crate::store::custom_extensions::{self, NewCallout};
use crate::store::requests::{Loaded, Start};
use crate::store::snapshot::PackageInfo;
use crate::store::{
    Conn, Store, StoreError, Tx, assignments, audit, grants, outbox, provisioning, request_timers,
    requests, users,
};
use chrono::{DateTime, Utc};

/// A request with its package and policy (from memory), read for one of
/// its operations.
pub(crate) struct Context {
    pub request: Request,
    pub loaded: Loaded,
    pub package: Arc<PackageInfo>,
    pub policy: Policy,
    pub names: Names,
}

/// Reads the request (one statement) and takes its package and policy from
/// the in-memory package list.
#[tracing::instrument(skip_all)]
pub(crate) async fn load(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
) -> Result<Context, ServiceError> {
    let loaded = requests::load(conn, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let package = store
        .packages()
        .package(conn, &loaded.generation, &loaded.request.package)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let policy = package
        .policy(&loaded.request.policy)
        .cloned()
        .ok_or_else(|| ServiceError::Refused("The request's policy no longer exists.".into()))?;
    let policy = loaded.held_to(policy)?;
    let names = Names {
        package: package.facts.display_name.clone(),
        organization: loaded.organization_name.clone(),
        asked_by: loaded.asked_by_name.clone(),
    };
    Ok(Context {
        request: loaded.request.clone(),
        loaded,
        package,
        policy,
        names,
    })
}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid(e) => ServiceError::Invalid(e),
            Refusal::Refused(m) => ServiceError::Refused(m),
        }
    }
}

/// Folds the request's moves into one, where the first was: the request goes
/// from the first's state to the last's in one guarded update (what comes
/// between, like a decision or a grant, never reads the request's state).
fn fold_moves(changes: &[Change]) -> Vec<Change> {
    let mut out: Vec<Change> = Vec::with_capacity(changes.len());
    let mut first: Option<usize> = None;
    for c in changes {
        if let Change::Move {
            to: new_to,
            to_stage: new_stage,
            ..
        } = c
        {
            if let Some(Change::Move { to, to_stage, .. }) = first.map(|i| &mut out[i]) {
                *to = *new_to;
                *to_stage = *new_stage;
                continue;
            }
            first = Some(out.len());
        }
        out.push(c.clone());
    }
    out
}

/// Writes a request's changes in order. `request` is the request as the
/// changes leave it: a new one is written once, in that state, with its
/// deadlines and outcome. A guarded change that no longer holds refuses
/// the whole, and the caller's transaction is dropped. Returns the mails,
/// to be queued with the audit event.
async fn write_changes(
    conn: &mut Conn,
    request: &Request,
    changes: &[Change],
    now: DateTime<Utc>,
) -> Result<Vec<Mail>, ServiceError> {
    let inserting = changes.iter().any(|c| matches!(c, Change::Insert(_)));
    // Only a call with a callback can be called off: one the request had
    // when loaded, or one these changes make.
    let calls_waiting = request.calls_waiting
        || changes
            .iter()
            .any(|c| matches!(c, Change::Callout(c) if c.wait.is_some()));
    let mut start = Start::default();
    let mut outcome = None;
    for c in changes {
        match c {
            Change::Deadlines {
                remind_at,
                escalate_at,
                deny_at,
            } => {
                start.remind_at = *remind_at;
                start.escalate_at = *escalate_at;
                start.deny_at = Some(*deny_at);
            }
            Change::OutcomeReason(r) => outcome = Some(r.clone()),
            Change::Terms(policy) => start.terms = Some(policy.as_ref()),
            _ => {}
        }
    }
    start.outcome = outcome.as_deref();
    // A new request's approvers are written with it.
    let first = changes.iter().find_map(|c| match c {
        Change::Approvers {
            stage,
            approvers,
            escalation,
        } if inserting => Some((*stage, approvers.as_slice(), *escalation)),
        _ => None,
    });
    let mut mails = Vec::new();
    let mut delivering = false;
    for c in fold_moves(changes) {
        match c {
            Change::Approvers {
                stage, escalation, ..
            } if first.is_some_and(|(s, _, e)| s == stage && e == escalation) => {}
            Change::Insert(_) => {
                match requests::insert_request(conn, request, &start, first, now).await {
                    Err(StoreError::Conflict(_)) => {
                        return Err(ServiceError::Refused(format!(
                            "{} already has an open request for this access package.",
                            request.name
                        )));
                    }
                    other => other?,
                }
            }
            // A new request is written in its last state.
            Change::Move { .. }
            | Change::Deadlines { .. }
            | Change::OutcomeReason(_)
            | Change::Terms(_)
                if inserting => {}
            // Kept when the request is written, never changed after.
            Change::Terms(_) => {}
            Change::Move {
                from,
                from_stage,
                to,
                to_stage,
            } => {
                if !requests::move_request(
                    conn,
                    &request.id,
                    from,
                    from_stage,
                    to,
                    to_stage,
                    request.assignment.as_ref(),
                    now,
                )
                .await?
                {
                    return Err(ServiceError::Refused(
                        "The request changed meanwhile; reload the page.".into(),
                    ));
                }
            }
            // Timers are kept while the request waits for approval only: a
            // stage these same changes end (no approver found, say) has none.
            Change::Deadlines { .. } if request.state != RequestState::PendingApproval => {}
            Change::Deadlines {
                remind_at,
                escalate_at,
                deny_at,
            } => {
                let id = &request.id;
                request_timers::set_deadlines(conn, id, remind_at, escalate_at, deny_at).await?
            }
            Change::Reminded => request_timers::mark_reminded(conn, &request.id).await?,
            Change::OutcomeReason(reason) => {
                requests::set_outcome_reason(conn, &request.id, &reason).await?
            }
            Change::Approvers {
                stage,
                approvers,
                escalation,
            } => {
                requests::insert_approvers(conn, &request.id, stage, &approvers, escalation).await?
            }
            Change::Escalated { stage } => {
                requests::mark_escalated(conn, &request.id, i64::from(stage)).await?
            }
            Change::Decision {
                stage,
                approved,
                by,
                reason,
            } => {
                if !requests::record_decision(
                    conn,
                    &request.id,
                    i64::from(stage),
                    approved,
                    &by,
                    reason.as_deref(),
                    now,
                )
                .await?
                {
                    return Err(ServiceError::Refused(
                        "The request was already decided by another approver.".into(),
                    ));
                }
                // An extension asked to decide the stage too waits no more.
                if let (Decider::Person(_), Ok(n), true) = (&by, u8::try_from(stage), calls_waiting)
                {
                    custom_extensions::abandon(conn, &request.id, Some(Stage::Approval(n)), now)
                        .await?;
                }
            }
            Change::NewAssignment { id, target, end } => {
                requests::insert_assignment(
                    conn,
                    &id,
                    &request.package,
                    &request.policy,
                    &target,
                    end,
                    now,
                )
                .await?
            }
            Change::Redeliver(a) => {
                if !assignments::set_active_state(conn, &a, AssignmentState::Delivered).await? {
                    return Err(ServiceError::Refused(
                        "The assignment this request made has ended meanwhile; request the package again instead."
                            .into(),
                    ));
                }
            }
            Change::EndAssignment { assignment, reason } => {
                if !crate::service::access::end_one(conn, &assignment, reason, now).await? {
                    return Err(ServiceError::Refused(
                        "The access this request gave has already ended.".into(),
                    ));
                }
            }
            Change::Extend { assignment, end } => {
                if !assignments::set_end(conn, &assignment, end).await? {
                    return Err(ServiceError::Refused(
                        "The access this request would extend ended meanwhile.".into(),
                    ));
                }
            }
            Change::Grant {
                target,
                kinds,
                provisioned,
            } => {
                grants::grant_package(conn, &request.package, &target, &kinds, now).await?;
                // Roles linked to connected systems are delivered once
                // the provisioning worker has applied them. (A link made
                // since the package was read finds the assignment
                // delivered, as it finds every other holder's.)
                if let (Some(a), true) = (&request.assignment, provisioned) {
                    delivering = provisioning::hold_delivery(conn, a).await?;
                }
            }
            Change::WriteAttributes { target } => {
                users::write_attributes(conn, &target, &request.attributes, now).await?
            }
            Change::Callout(c) => {
                let assignment = match c.stage {
                    Stage::RequestCreated | Stage::RequestApproved => None,
                    _ => request.assignment.as_ref().map(|a| a.to_string()),
                };
                custom_extensions::queue(
                    conn,
                    &NewCallout {
                        id: c.id.clone(),
                        extension: c.extension.clone(),
                        stage: c.stage,
                        request: Some(request.id.to_string()),
                        assignment,
                        wait: c
                            .wait
                            .as_ref()
                            .map(|(t, at, o)| (t.clone(), *at, o.as_str())),
                    },
                    now,
                )
                .await?;
            }
            // Written with the mails, once the changes hold.
            Change::Audit(_) => {}
            Change::Mail(m) => {
                let held = match &request.assignment {
                    Some(a) if delivering && matches!(m.message, Message::AccessDelivered(_)) => {
                        provisioning::hold_mail(conn, a, &m).await?;
                        true
                    }
                    _ => false,
                };
                if !held {
                    mails.push(*m);
                }
            }
        }
    }
    if !inserting && !request.state.is_open() && calls_waiting {
        // A request that ended waits for no extension any more.
        custom_extensions::abandon(conn, &request.id, None, now).await?;
    }
    Ok(mails)
}

/// An audit event about a request of a package (`package`: its name).
pub(crate) fn event(
    action: &str,
    request: &RequestId,
    package: &str,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent {
        action: action.into(),
        object_type: object_type::ACCESS_PACKAGE,
        object_id: request.to_string(),
        object_name: package.into(),
        details,
    }
}

/// Saves one use case: the request's changes with the audit events its
/// operations noted, by `actor`, and commits. `package`: the package's
/// name. Returns the state the request is left in.
#[tracing::instrument(skip_all)]
pub(crate) async fn commit(
    mut tx: Tx,
    request: &Request,
    changes: &[Change],
    actor: &Actor,
    package: &str,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    persist(&mut tx, request, changes, actor, package, now).await?;
    tx.commit().await?;
    Ok(request.state)
}

/// Writes one use case's changes and audit events into a transaction the
/// caller commits (with other changes of the same use case). The first
/// event is written with the mails (one statement on PostgreSQL).
#[tracing::instrument(skip_all)]
pub(crate) async fn persist(
    tx: &mut Conn,
    request: &Request,
    changes: &[Change],
    actor: &Actor,
    package: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut mails = write_changes(tx, request, changes, now).await?;
    for note in changes.iter().filter_map(|c| match c {
        Change::Audit(note) => Some(note),
        _ => None,
    }) {
        let event = audit_event(note, request, package);
        let mails = std::mem::take(&mut mails);
        audit::record_with_mails(tx, actor, &event, &mails, now).await?;
    }
    outbox::enqueue(tx, &mails, now).await?;
    Ok(())
}

/// The audit event of an operation's note on `request`, as its changes
/// leave it.
fn audit_event(note: &AuditNote, request: &Request, package: &str) -> NewAuditEvent {
    let object_id = match note.about {
        About::Package => request.package.to_string(),
        About::Request | About::RequestAndState => request.id.to_string(),
    };
    NewAuditEvent {
        action: note.action.as_str().into(),
        object_type: object_type::ACCESS_PACKAGE,
        object_id,
        object_name: package.into(),
        details: note.details_for(request.id.as_str(), request.state.as_str()),
    }
}

/// The request with its context, when it is (still) in `state`.
#[tracing::instrument(skip_all)]
pub(super) async fn load_in(
    store: &Store,
    conn: &mut Conn,
    id: &RequestId,
    state: RequestState,
) -> Result<Option<Context>, ServiceError> {
    let ctx = load(store, conn, id).await?;
    Ok((ctx.request.state == state).then_some(ctx))
}
