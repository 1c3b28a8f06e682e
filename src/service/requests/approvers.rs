//! Who decides a stage of a request: its primary approvers that can be found,
//! else its fallback approvers; never the person the request is for, nor
//! the one who made it (an administrator assigning, say).

use crate::domain::ids::UserId;
use crate::domain::policy::Policy;
use crate::domain::policy::{ApprovalStage, Approver};
use crate::domain::request::{Contact, Request};
use crate::store::{Conn, StoreError, users};

/// The people `primary` (else `fallback`) resolve to for a request for
/// `target`, made by `requestor`, of `organization`: one statement.
#[tracing::instrument(skip_all)]
pub(crate) async fn resolve_lists(
    conn: &mut Conn,
    primary: &[Approver],
    fallback: &[Approver],
    target: Option<&UserId>,
    requestor: Option<&UserId>,
    organization: Option<&str>,
) -> Result<Vec<Contact>, StoreError> {
    let found = users::approver_contacts(conn, primary, fallback, target, organization).await?;
    let mut tiers: [Vec<Contact>; 2] = [vec![], vec![]];
    for (tier, id, email, name) in found {
        let id = UserId::from_stored(id);
        if Some(&id) == target || Some(&id) == requestor {
            continue;
        }
        let list = &mut tiers[usize::from(tier != 0)];
        if !list.iter().any(|c| c.id == id) {
            list.push(Contact { id, email, name });
        }
    }
    let [primary, fallback] = tiers;
    Ok(if primary.is_empty() {
        fallback
    } else {
        primary
    })
}

/// A stage's approvers for a request (see `resolve_lists`).
#[tracing::instrument(skip_all)]
pub(crate) async fn resolve(
    conn: &mut Conn,
    stage: &ApprovalStage,
    r: &Request,
) -> Result<Vec<Contact>, StoreError> {
    resolve_lists(
        conn,
        &stage.primary_approvers,
        &stage.fallback_primary_approvers,
        r.target.user(),
        r.requestor.as_ref(),
        r.organization.as_ref().map(|o| o.as_str()),
    )
    .await
}

/// The first stage's approvers, when the request needs approval.
#[tracing::instrument(skip_all)]
pub(crate) async fn first(
    conn: &mut Conn,
    policy: &Policy,
    r: &Request,
) -> Result<Vec<Contact>, StoreError> {
    match policy.approval.stages.first() {
        Some(stage) if r.needs_approval(policy) => resolve(conn, stage, r).await,
        _ => Ok(vec![]),
    }
}

/// The approvers of the stage after stage `n` (1-based), when there is one.
#[tracing::instrument(skip_all)]
pub(crate) async fn after(
    conn: &mut Conn,
    policy: &Policy,
    r: &Request,
    n: u32,
) -> Result<Vec<Contact>, StoreError> {
    match policy.approval.stages.get(n as usize) {
        Some(stage) => resolve(conn, stage, r).await,
        None => Ok(vec![]),
    }
}

/// The alternates a stage escalates to (see `resolve_lists`).
#[tracing::instrument(skip_all)]
pub(crate) async fn resolve_alternates(
    conn: &mut Conn,
    stage: &ApprovalStage,
    target: Option<&UserId>,
    requestor: Option<&UserId>,
    organization: Option<&str>,
) -> Result<Vec<Contact>, StoreError> {
    resolve_lists(
        conn,
        &stage.escalation_approvers,
        &stage.fallback_escalation_approvers,
        target,
        requestor,
        organization,
    )
    .await
}
