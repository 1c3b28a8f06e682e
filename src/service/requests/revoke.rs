//! An approver takes back an approval that gave access (Entra's "Revoke",
//! Approvals › History): the assignment the request made ends as "revoked
//! by an approver", what only it granted is taken back, and its holder is
//! told.

use super::save;
use crate::domain::audit::Actor;
use crate::domain::ids::{RequestId, UserId};
use crate::domain::request::{EndReason, Request};
use crate::domain::user::User;
use crate::service::access::ended_details;
use crate::service::error::{ServiceError, found};
use crate::store::assignments::AssignmentRow;
use crate::store::requests::DecisionRow;
use crate::store::{Conn, assignments, requests};
use chrono::{DateTime, Utc};

/// The people who approved a stage of the request, of its `decisions`.
fn approved_by(decisions: &[DecisionRow]) -> Vec<UserId> {
    decisions.iter().filter_map(DecisionRow::approver).collect()
}

/// Whether `approver` may revoke the request (`row`, with its
/// `decisions`) now, for its approval page.
#[tracing::instrument(skip_all)]
pub(crate) async fn may_revoke(
    conn: &mut Conn,
    approver: &UserId,
    row: &requests::RequestRow,
    decisions: &[DecisionRow],
) -> Result<bool, ServiceError> {
    let request = row.decode()?;
    let approved = approved_by(decisions);
    if !approved.contains(approver) {
        return Ok(false); // Nothing else to read.
    }
    let held = held(conn, &request).await?.is_some();
    Ok(request.may_revoke(approver, &approved, held).is_ok())
}

/// The assignment the request made, if it is still active.
async fn held(conn: &mut Conn, request: &Request) -> Result<Option<AssignmentRow>, ServiceError> {
    Ok(match &request.assignment {
        Some(a) => assignments::get(conn, a).await?.filter(|a| a.is_active()),
        None => None,
    })
}

/// `approver` revokes their approval of request `id`, having `confirmed`
/// it (it cannot be undone); returns whose access ended. `NotFound` for
/// anyone who did not approve it, who learns nothing.
#[tracing::instrument(skip_all)]
pub async fn revoke(
    store: &crate::store::Store,
    approver: &User,
    id: &RequestId,
    confirmed: bool,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let actor = Actor {
        user_id: Some(approver.id.to_string()),
        display_name: approver.display_name.clone(),
    };
    let mut tx = store.begin().await?;
    let mut request = found(requests::get(&mut tx, id).await?)?.decode()?;
    // Revoking leaves the request as it was decided: it has no call of its
    // own to call off.
    request.calls_waiting = false;
    let approved = approved_by(&requests::decisions(&mut tx, id).await?);
    // Held like every change to what the person holds, so that a
    // delivery at the same moment never loses a role this takes back.
    if let Some(target) = request.target.user() {
        crate::store::users::lock(&mut tx, target).await?;
    }
    let held = held(&mut tx, &request).await?;
    let removed = held.as_ref().map(|a| ended_details(a, EndReason::Revoked));
    let changes = request
        .revoke(
            &approver.id,
            &approved,
            held.is_some(),
            confirmed,
            removed.unwrap_or_default(),
        )
        .map_err(|why| why.map_or(ServiceError::NotFound, ServiceError::Refused))?;
    // `revoke` refuses unless the assignment is held.
    let a = held.ok_or(ServiceError::NotFound)?;
    save::commit(tx, &request, &changes, &actor, &a.package_name, now).await?;
    store.wake_workers();
    Ok(request.email)
}
