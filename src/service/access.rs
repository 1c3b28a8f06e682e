//! Granting and taking back the resource roles of an access package, and
//! ending assignments, shared by delivery, removal and expiration (whose
//! batches are here too).

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::ids::{AccessPackageId, AssignmentId, UserId};
use crate::domain::request::EndReason;
use crate::store::assignments::AssignmentRow;
use crate::store::{self, Conn, StoreError, users};

/// Grants each resource role of the package, once: roles already held stay.
#[tracing::instrument(skip_all)]
pub async fn grant_roles(
    conn: &mut Conn,
    package: &AccessPackageId,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use crate::domain::catalog::OriginSystem;
    store::grants::grant_package(conn, package, user, &OriginSystem::ALL, now).await
}

/// Ends up to `limit` assignments whose end has come, as one batch in one
/// transaction: roles taken back (unless another active assignment grants
/// them), attribute values not kept cleared, holders told, each audited.
/// Returns how many.
#[tracing::instrument(skip_all)]
pub async fn expire_due(
    store: &store::Store,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut tx = store.begin().await?;
    let batch = uuid::Uuid::new_v4().to_string();
    let n = store::batch::end_due(&mut tx, &batch, now, limit).await?;
    if n > 0 {
        let audit = Some("Access package assignment expired");
        finish_ended(&mut tx, &batch, EndReason::Expired, audit, now).await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Finishes a batch of assignments just ended (marked `batch`): takes back
/// the roles no other active assignment of the holder grants, clears the
/// attribute values not marked "keep", and tells each holder; with
/// `audit_action`, audits each one as the system.
#[tracing::instrument(skip_all)]
pub async fn finish_ended(
    conn: &mut Conn,
    batch: &str,
    reason: EndReason,
    audit_action: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store::batch::collect_batch(conn, batch).await?;
    store::batch::revoke_batch(conn).await?;
    let mut clear: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (user, name) in store::batch::batch_attributes_not_kept(conn).await? {
        clear.entry(user).or_default().push(name);
    }
    users::clear_attributes(conn, &clear, now).await?;
    store::batch::finish_batch(conn, batch, reason.as_str(), audit_action, now).await
}

/// An assignment `end_assignment` ended.
pub struct Ended {
    pub package_name: String,
    /// The facts for the caller's audit event.
    pub details: serde_json::Value,
}

/// Ends one active assignment as `finish_ended` does; `None` when it had
/// already ended.
#[tracing::instrument(skip_all)]
pub async fn end_assignment(
    conn: &mut Conn,
    id: &AssignmentId,
    reason: EndReason,
    now: DateTime<Utc>,
) -> Result<Option<Ended>, StoreError> {
    let Some(a) = store::assignments::get(conn, id).await? else {
        return Ok(None);
    };
    if !end_one(conn, id, reason, now).await? {
        return Ok(None);
    }
    Ok(Some(Ended {
        details: ended_details(&a, reason),
        package_name: a.package_name,
    }))
}

/// Ends one active assignment as `finish_ended` does; `false` when it had
/// already ended.
#[tracing::instrument(skip_all)]
pub async fn end_one(
    conn: &mut Conn,
    id: &AssignmentId,
    reason: EndReason,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let batch = uuid::Uuid::new_v4().to_string();
    if store::batch::end_one(conn, &batch, id.as_str(), reason.as_str(), now).await? == 0 {
        return Ok(false);
    }
    finish_ended(conn, &batch, reason, None, now).await?;
    Ok(true)
}

/// What the audit event of an assignment ended for `reason` says of it.
pub fn ended_details(a: &AssignmentRow, reason: EndReason) -> serde_json::Value {
    json!({
        "assignment": a.id,
        "user": a.target_email,
        "package": a.package_name,
        "reason": reason.as_str(),
    })
}
