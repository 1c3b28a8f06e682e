//! Administrators' work on a package's assignments: remove one (taking back
//! what only it granted), or reprocess one (granting its roles again). Each
//! function is one transaction with its audit event.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::request::EndReason;
use crate::store::{self, Conn, assignments, audit};

async fn record(
    conn: &mut Conn,
    actor: &Actor,
    action: &str,
    id: &str,
    package: &str,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    audit::record(
        conn,
        actor,
        &NewAuditEvent {
            action: action.into(),
            object_type: object_type::ACCESS_PACKAGE,
            object_id: id.into(),
            object_name: package.into(),
            details,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The assignment, if it belongs to the package.
async fn assignment_of(
    conn: &mut Conn,
    package: &AccessPackageId,
    id: &str,
) -> Result<assignments::AssignmentRow, ServiceError> {
    assignments::get(conn, id)
        .await?
        .filter(|a| a.access_package_id == package.as_str())
        .ok_or(ServiceError::NotFound)
}

/// Removes an assignment: its roles are taken back where nothing else grants
/// them, and attribute values not kept are cleared.
#[tracing::instrument(skip_all)]
pub async fn remove(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let a = assignment_of(&mut tx, package, id).await?;
    if !a.is_active() {
        return Err(ServiceError::Refused(format!(
            "This assignment is already {}.",
            a.state_text().to_lowercase()
        )));
    }
    let Some(details) = super::access::end_assignment(&mut tx, id, EndReason::Removed, now).await?
    else {
        return Err(ServiceError::Refused(
            "The assignment ended meanwhile; reload the page.".into(),
        ));
    };
    record(
        &mut tx,
        actor,
        "Remove access package assignment",
        id,
        &a.package_name,
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    store.wake_workers();
    Ok(())
}

/// Grants again the roles of an active assignment (after someone removed one by hand).
#[tracing::instrument(skip_all)]
pub async fn reprocess_assignment(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let a = assignment_of(&mut tx, package, id).await?;
    if !a.is_active() {
        return Err(ServiceError::Refused(format!(
            "Only an active assignment can be reprocessed; this one is {}.",
            a.state_text().to_lowercase()
        )));
    }
    // Ended meanwhile (expired, removed): nothing brings it back.
    if !assignments::set_active_state(&mut tx, id, "delivered").await? {
        return Err(ServiceError::Refused(
            "The assignment ended meanwhile, so it was not reprocessed.".into(),
        ));
    }
    let user = UserId::from_stored(a.target_id.clone());
    super::access::grant_roles(&mut tx, package, &user, now).await?;
    // What failed to reach a connected system is tried again.
    store::provisioning::retry_failed(&mut tx, id, now).await?;
    store::provisioning::hold_delivery(&mut tx, id).await?;
    record(
        &mut tx,
        actor,
        "Reprocess access package assignment",
        id,
        &a.package_name,
        json!({"assignment": id, "user": a.target_email}),
        now,
    )
    .await?;
    tx.commit().await?;
    store.wake_workers();
    Ok(())
}
