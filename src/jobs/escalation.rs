//! Escalation: an undecided stage goes to its alternate approvers.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{BATCH, system_event};
use crate::domain::audit::object_type;
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::policy::ApprovalStage;
use crate::service::ServiceError;
use crate::service::requests::{facts, notify_approvers, resolve_stage};
use crate::store::{self, Conn, Store, policies, requests, users};

/// An undecided stage past its escalation time goes to its alternate approvers.
pub(super) async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| requests::due_escalations(&mut tx, now, BATCH).await?,
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
