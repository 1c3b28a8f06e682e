//! Administrators' work on a package's assignments: remove one (taking back
//! what only it granted), or reprocess one (granting its roles again). Each
//! function is one transaction with its audit event.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{ServiceError, write};
use crate::domain::assignment::AssignmentState;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::{AccessPackageId, AssignmentId};
use crate::domain::request::EndReason;
use crate::store::{self, Conn, assignments};

/// The audit event of a change to an assignment of `package` (its name).
fn event(action: &str, id: &str, package: &str, details: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent::new(action, object_type::ACCESS_PACKAGE, id, package, details)
}

/// The assignment, if it belongs to the package.
async fn assignment_of(
    conn: &mut Conn,
    package: &AccessPackageId,
    id: &str,
) -> Result<assignments::AssignmentRow, ServiceError> {
    assignments::get(conn, id)
        .await?
        .filter(|a| a.access_package_id == *package)
        .ok_or(ServiceError::NotFound)
}

/// The package's assignment, if it is active; else refused with `not`
/// followed by its state ("… is already expired.").
async fn active(
    conn: &mut Conn,
    package: &AccessPackageId,
    id: &str,
    not: &str,
) -> Result<assignments::AssignmentRow, ServiceError> {
    let a = assignment_of(conn, package, id).await?;
    if !a.is_active() {
        let state = a.state_text().to_lowercase();
        return Err(ServiceError::Refused(format!("{not} {state}.")));
    }
    Ok(a)
}

/// Removes an assignment: its roles are taken back where nothing else grants
/// them, and attribute values not kept are cleared.
#[tracing::instrument(skip_all)]
pub async fn remove(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &AssignmentId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let a = active(tx, package, id.as_str(), "This assignment is already").await?;
        // Held like every change to what the person holds, so that a
        // delivery at the same moment never loses a role this takes back.
        store::users::lock(tx, &a.target_id).await?;
        let ended = super::access::end_assignment(tx, id.as_str(), EndReason::Removed, now).await?;
        let Some(details) = ended else {
            return Err(ServiceError::Refused(
                "The assignment ended meanwhile; reload the page.".into(),
            ));
        };
        let action = "Remove access package assignment";
        Ok(((), event(action, id.as_str(), &a.package_name, details)))
    })
    .await
}

/// Marks the guest holding an active assignment as governed ("Mark guest as
/// governed"): the guest lifecycle then blocks and deletes the account when
/// their last assignment ends, as it does for guests Gatehouse created.
#[tracing::instrument(skip_all)]
pub async fn govern_guest(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &AssignmentId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let a = active(
            tx,
            package,
            id.as_str(),
            "Only a guest with active access can be marked; this assignment is",
        )
        .await?;
        if !store::users::govern_guest(tx, &a.target_id, now).await? {
            return Err(ServiceError::Refused(format!(
                "{} is not a guest that Gatehouse leaves alone: a member, or governed already.",
                a.target_name
            )));
        }
        let event = NewAuditEvent::new(
            "Mark guest as governed",
            object_type::USER,
            a.target_id.as_str(),
            &a.target_name,
            json!({"accessPackage": package.as_str(), "assignment": id}),
        );
        Ok(((), event))
    })
    .await
}

/// Grants again the roles of an active assignment (after someone removed one by hand).
#[tracing::instrument(skip_all)]
pub async fn reprocess_assignment(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &AssignmentId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let only = "Only an active assignment can be reprocessed; this one is";
        let a = active(tx, package, id.as_str(), only).await?;
        // Ended meanwhile (expired, removed): nothing brings it back.
        if !assignments::set_active_state(tx, id.as_str(), AssignmentState::Delivered).await? {
            return Err(ServiceError::Refused(
                "The assignment ended meanwhile, so it was not reprocessed.".into(),
            ));
        }
        super::access::grant_roles(tx, package, &a.target_id, now).await?;
        // What failed to reach a connected system is tried again.
        store::provisioning::retry_failed(tx, id.as_str(), now).await?;
        store::provisioning::hold_delivery(tx, id.as_str()).await?;
        let details = json!({"assignment": id, "user": a.target_email});
        let action = "Reprocess access package assignment";
        Ok(((), event(action, id.as_str(), &a.package_name, details)))
    })
    .await
}
