//! An approver takes back an approval that gave access (Entra's "Revoke",
//! Approvals › History): the assignment the request made ends as "revoked
//! by an approver", what only it granted is taken back, and its holder is
//! told.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::{RequestId, UserId};
use crate::domain::request::EndReason;
use crate::domain::user::User;
use crate::service::error::{ServiceError, found};
use crate::service::transaction::write;
use crate::store::requests::DecisionRow;
use crate::store::{Conn, assignments, requests};

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
    let held = held(conn, row).await?;
    Ok(request.may_revoke(approver, &approved, held).is_ok())
}

/// Whether the assignment the request made is still active.
async fn held(conn: &mut Conn, row: &requests::RequestRow) -> Result<bool, ServiceError> {
    Ok(match &row.assignment_id {
        Some(a) => assignments::get(conn, a)
            .await?
            .is_some_and(|a| a.is_active()),
        None => false,
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
    write(store, &actor, now, async |tx| {
        let row = found(requests::get(tx, id).await?)?;
        let approved = approved_by(&requests::decisions(tx, id).await?);
        let request = row.decode()?;
        // Held like every change to what the person holds, so that a
        // delivery at the same moment never loses a role this takes back.
        if let Some(target) = request.target.user() {
            crate::store::users::lock(tx, target).await?;
        }
        let held = held(tx, &row).await?;
        request
            .may_revoke(&approver.id, &approved, held)
            .map_err(|why| why.map_or(ServiceError::NotFound, ServiceError::Refused))?;
        if !confirmed {
            return Err(ServiceError::Refused(
                "Nothing was revoked: tick “I approved this request in error” to confirm.".into(),
            ));
        }
        let gone =
            || ServiceError::Refused("The access this request gave has already ended.".into());
        let assignment = row.assignment_id.clone().ok_or_else(gone)?;
        let ended =
            crate::service::access::end_assignment(tx, &assignment, EndReason::Revoked, now)
                .await?
                .ok_or_else(gone)?;
        let event = NewAuditEvent::new(
            "Approver revokes access package assignment request",
            object_type::ACCESS_PACKAGE,
            id,
            ended.package_name,
            json!({"request": id, "removed": ended.details}),
        );
        Ok((request.email.clone(), event))
    })
    .await
}
