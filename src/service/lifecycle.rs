//! The lifecycle jobs: scheduled deliveries, escalation, automatic denial,
//! expiration, expiry reminders and the guest lifecycle.
//!
//! Each job takes what is due in batches, each batch one transaction. The
//! batch's rows are chosen with `Store::skip_locked`, so several instances on
//! one PostgreSQL database never work on the same row, and each row leaves the
//! "due" condition in the same transaction, so it is never done twice.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ServiceError;
use super::requests::{deliver, facts, notify_approvers, notify_requestor, resolve_stage};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::lifecycle::{GuestAction, GuestLifecycle};
use crate::domain::policy::ApprovalStage;
use crate::domain::request::{Event, RequestState, transition};
use crate::store::{self, Conn, Store, assignments, audit, policies, requests, settings, users};

/// Rows per transaction.
const BATCH: i64 = 5000;

/// Assignments ended per transaction. Each dirties pages all over the big
/// assignments table and its indexes, and a commit writes each page once
/// however many rows changed on it: measured on the benchmark database,
/// 100,000 expirations took 9.1 s in batches of 5,000 and 8.2 s in batches
/// of 10,000 (and batches of 1,000 cost 10% more per row than 5,000).
const EXPIRATION_BATCH: i64 = 10_000;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    pub escalated: usize,
    pub denied: usize,
    pub expired: usize,
    pub reminded: usize,
    pub blocked: usize,
    pub deleted: usize,
}

/// Runs every job once, in an order where one job's result feeds the next
/// (expired assignments leave guests without access in the same run).
/// A job that fails is logged and the others still run: one bad row must
/// not keep access from being taken back. The first error is returned after all ran.
pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<Report, ServiceError> {
    let mut first_error = None;
    let mut count = |name: &str, r: Result<usize, ServiceError>| match r {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(job = name, error = %e, "lifecycle job failed");
            first_error.get_or_insert(e);
            0
        }
    };
    let report = Report {
        delivered: count("scheduled deliveries", deliver_scheduled(store, now).await),
        escalated: count("escalation", escalate(store, now).await),
        denied: count("automatic denial", deny_overdue(store, now).await),
        expired: count("expiration", expire(store, now).await),
        reminded: count("reminders", remind(store, now).await),
        blocked: count("guest blocking", block_guests(store, now).await),
        deleted: count("guest deletion", delete_guests(store, now).await),
    };
    count("housekeeping", housekeeping(store, now).await);
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

async fn system_event(
    conn: &mut Conn,
    action: &str,
    object_type: &'static str,
    id: &str,
    name: &str,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    audit::record(
        conn,
        &Actor::system(),
        &NewAuditEvent {
            action: action.into(),
            object_type,
            object_id: id.into(),
            object_name: name.into(),
            details,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Runs `step` over batches of due ids until fewer than a batch remain.
macro_rules! batches {
    ($store:expr, |$tx:ident, $ids:ident| $select:expr, |$id:ident| $step:expr) => {{
        let mut done = 0usize;
        loop {
            let mut $tx = $store.begin().await?;
            let $ids: Vec<String> = $select;
            let n = $ids.len();
            let mut progressed = 0usize;
            for $id in &$ids {
                if $step {
                    progressed += 1;
                }
            }
            $tx.commit().await.map_err(store::map_err)?;
            done += progressed;
            // A batch where nothing moved would come back the same: stop.
            if (n as i64) < BATCH || progressed == 0 {
                break;
            }
        }
        Ok::<usize, ServiceError>(done)
    }};
}

/// Scheduled requests whose start has come are delivered, each in its own
/// transaction: one that cannot be delivered is marked so and the rest go on.
async fn deliver_scheduled(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let lock = store.skip_locked();
    let mut done = 0;
    let mut seen = std::collections::HashSet::new();
    loop {
        let mut tx = store.begin().await?;
        let ids = requests::due_scheduled(&mut tx, now, 1, lock).await?;
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

/// An undecided stage past its escalation time goes to its alternate approvers.
async fn escalate(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let lock = store.skip_locked();
    batches!(
        store,
        |tx, ids| requests::due_escalations(&mut tx, now, BATCH, lock).await?,
        |id| escalate_one(&mut tx, id, now).await?
    )
}

async fn escalate_one(conn: &mut Conn, id: &str, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let Some(r) = requests::get(conn, id).await? else {
        return Ok(false);
    };
    // Whatever happens, this stage has had its escalation.
    requests::mark_escalated(conn, id, r.current_stage).await?;
    let package = AccessPackageId::from_stored(r.access_package_id.clone());
    let Some(policy) = policies::get(conn, &package, &r.policy_id).await? else {
        return Ok(false);
    };
    let Some(stage) = policy
        .approval
        .stages
        .get((r.current_stage - 1).max(0) as usize)
        .filter(|s| s.is_escalation_enabled)
    else {
        return Ok(false);
    };
    let alternates = ApprovalStage {
        primary_approvers: stage.escalation_approvers.clone(),
        fallback_primary_approvers: stage.fallback_escalation_approvers.clone(),
        ..stage.clone()
    };
    let target = match &r.target_id {
        Some(t) => users::get(conn, &UserId::from_stored(t.clone())).await?,
        None => None,
    };
    let approvers = resolve_stage(
        conn,
        &alternates,
        target.as_ref(),
        r.requestor_id.as_deref(),
        r.connected_organization_id.as_deref(),
    )
    .await?;
    if approvers.is_empty() {
        return Ok(false);
    }
    requests::add_stage_approvers(conn, id, r.current_stage, &approvers, true).await?;
    let decide_by = r
        .deny_at
        .as_deref()
        .and_then(|d| store::parse_ts(d).ok())
        .unwrap_or(now);
    notify_approvers(
        conn,
        id,
        &approvers,
        crate::notify::kind::APPROVAL_FORWARDED,
        decide_by,
        now,
    )
    .await?;
    let name = facts(conn, id).await?["package"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    system_event(
        conn,
        "Escalate access package assignment request",
        object_type::ACCESS_PACKAGE,
        id,
        &name,
        json!({"request": id, "stage": r.current_stage, "approvers": approvers.len()}),
        now,
    )
    .await?;
    Ok(true)
}

/// A request nobody decided within its stage's limit expires.
async fn deny_overdue(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let lock = store.skip_locked();
    batches!(
        store,
        |tx, ids| requests::due_denials(&mut tx, now, BATCH, lock).await?,
        |id| {
            match requests::get(&mut tx, id).await? {
                Some(r) if r.state()? == RequestState::PendingApproval => {
                    let to = transition(RequestState::PendingApproval, Event::TimedOut)
                        .map_err(ServiceError::Refused)?;
                    let stage = r.current_stage;
                    if requests::move_state(
                        &mut tx,
                        id,
                        RequestState::PendingApproval,
                        stage,
                        to,
                        stage,
                        now,
                    )
                    .await?
                    {
                        notify_requestor(
                            &mut tx,
                            id,
                            crate::notify::kind::REQUEST_EXPIRED,
                            None,
                            now,
                        )
                        .await?;
                        let name = facts(&mut tx, id).await?["package"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string();
                        system_event(
                            &mut tx,
                            "Access package assignment request expired without a decision",
                            object_type::ACCESS_PACKAGE,
                            id,
                            &name,
                            json!({"request": id, "stage": stage}),
                            now,
                        )
                        .await?;
                        true
                    } else {
                        false
                    }
                }
                _ => false,
            }
        }
    )
}

/// Assignments whose end has come expire: roles taken back (unless another
/// active assignment grants them), attribute values not kept cleared, holders
/// told, each audited. A batch per transaction, in a handful of statements.
/// Returns how many.
pub async fn expire(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let lock = store.skip_locked();
    let mut done = 0;
    loop {
        let mut tx = store.begin().await?;
        let batch = uuid::Uuid::new_v4().to_string();
        let n = store::batch::end_due(&mut tx, store.kind(), &batch, now, EXPIRATION_BATCH, lock)
            .await?;
        if n > 0 {
            super::access::finish_ended(
                &mut tx,
                store.kind(),
                &batch,
                "expired",
                Some("Access package assignment expired"),
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(store::map_err)?;
        done += n as usize;
        if (n as i64) < EXPIRATION_BATCH {
            break;
        }
    }
    Ok(done)
}

/// Reminders 14 days and 1 day before an assignment ends, with a link to
/// extend where the policy allows it. The one-day window goes first, so that
/// an assignment found late gets only the nearer reminder. Set-based.
pub async fn remind(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let lock = store.skip_locked();
    let mut sent = 0;
    for days in [1i64, 14] {
        let mut after: Option<(String, String)> = None;
        loop {
            let mut tx = store.begin().await?;
            let due =
                assignments::due_reminders(&mut tx, now, days, after.as_ref(), BATCH, lock).await?;
            after = due.last().map(|(id, end)| (end.clone(), id.clone()));
            let ids: Vec<String> = due.iter().map(|(id, _)| id.clone()).collect();
            store::batch::set_reminded(&mut tx, &ids, days).await?;
            let rows = store::batch::assignments(&mut tx, &ids).await?;
            let mut packages: Vec<String> =
                rows.iter().map(|a| a.access_package_id.clone()).collect();
            packages.sort();
            packages.dedup();
            let policies: std::collections::HashMap<String, crate::domain::policy::Policy> =
                policies::for_packages(&mut tx, &packages)
                    .await?
                    .into_iter()
                    .map(|(_, id, p)| (id, p))
                    .collect();
            let mails: Vec<store::batch::Mail> = rows
                .iter()
                .filter_map(|a| {
                    let end = a.end_at.as_deref().and_then(|e| store::parse_ts(e).ok())?;
                    let can_extend = policies.get(&a.policy_id).is_some_and(|p| {
                        p.requestor.enable_targets_to_self_update_access
                            && !matches!(p.expiration, crate::domain::policy::Expiration::AfterDateTime(t) if end >= t)
                    });
                    // Whole days left, rounded up: "ends in 1 day" on its last day.
                    let days_left = ((end - now).num_seconds() + 86_399) / 86_400;
                    Some(store::batch::Mail {
                        kind: crate::notify::kind::ACCESS_EXPIRING,
                        to_address: a.target_email.clone(),
                        to_name: a.target_name.clone(),
                        data: json!({
                            "package": a.package_name,
                            "package_id": a.access_package_id,
                            "requestor": a.target_name,
                            "requestor_email": a.target_email,
                            "ends": end.format("%Y-%m-%d").to_string(),
                            "days": days_left.max(1),
                            "can_extend": can_extend,
                        }),
                    })
                })
                .collect();
            store::batch::enqueue(&mut tx, &mails, now).await?;
            tx.commit().await.map_err(store::map_err)?;
            sent += mails.len();
            if (ids.len() as i64) < BATCH {
                break;
            }
        }
    }
    Ok(sent)
}

const GUEST_LIFECYCLE: &str = "guest_lifecycle";

/// The guest lifecycle settings in force.
pub async fn guest_lifecycle(conn: &mut Conn) -> Result<GuestLifecycle, ServiceError> {
    Ok(settings::get(conn, GUEST_LIFECYCLE)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

pub async fn save_guest_lifecycle(
    store: &Store,
    actor: &Actor,
    value: GuestLifecycle,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let before = guest_lifecycle(&mut tx).await?;
    let text = serde_json::to_string(&value).unwrap_or_default();
    settings::put(&mut tx, GUEST_LIFECYCLE, &text).await?;
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Update external user lifecycle settings".into(),
            object_type: object_type::SETTINGS,
            object_id: GUEST_LIFECYCLE.into(),
            object_name: "Entitlement management settings".into(),
            details: json!({"before": before, "after": value}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

/// Governed guests whose last assignment ended are blocked from signing in.
async fn block_guests(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let settings = {
        let mut conn = store.read().await?;
        guest_lifecycle(&mut conn).await?
    };
    if settings.action == GuestAction::None {
        return Ok(0);
    }
    let lock = store.skip_locked();
    batches!(
        store,
        |tx, ids| users::guests_without_access(&mut tx, BATCH, lock).await?,
        |id| {
            let user = UserId::from_stored(id.clone());
            users::set_lifecycle_block(&mut tx, &user, Some(now), now).await?;
            store::sessions::delete_for_user(&mut tx, &user).await?;
            let name = users::get(&mut tx, &user)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default();
            system_event(
                &mut tx,
                "Block guest user: no access package assignment left",
                object_type::USER,
                id,
                &name,
                json!({"action": settings.action.as_str()}),
                now,
            )
            .await?;
            true
        }
    )
}

/// Guests the lifecycle blocked are deleted once their days are up.
async fn delete_guests(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let settings = {
        let mut conn = store.read().await?;
        guest_lifecycle(&mut conn).await?
    };
    if settings.action != GuestAction::BlockSignInAndDelete {
        return Ok(0);
    }
    let before = now - chrono::Duration::days(i64::from(settings.days_until_deletion));
    let lock = store.skip_locked();
    batches!(
        store,
        |tx, ids| users::guests_blocked_before(&mut tx, before, BATCH, lock).await?,
        |id| {
            let user = UserId::from_stored(id.clone());
            let found = users::get(&mut tx, &user).await?;
            match found {
                Some(u) => {
                    users::delete(&mut tx, &user).await?;
                    system_event(
                        &mut tx,
                        "Delete guest user: blocked after its last assignment ended",
                        object_type::USER,
                        id,
                        &u.display_name,
                        json!({"mail": u.email, "daysUntilDeletion": settings.days_until_deletion}),
                        now,
                    )
                    .await?;
                    true
                }
                None => false,
            }
        }
    )
}

/// Forgets what only counts for a while: sessions unused past the longest
/// idle limit a setting allows, and sign-in codes and guesses older than a day.
async fn housekeeping(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let mut tx = store.begin().await?;
    let sessions = store::sessions::delete_idle(&mut tx, now - chrono::Duration::hours(12)).await?;
    let codes =
        store::sign_in_codes::forget_before(&mut tx, now - chrono::Duration::days(1)).await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok((sessions + codes) as usize)
}
