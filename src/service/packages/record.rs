//! What the package use cases share: a package's row (or not found), the
//! audit event naming it, and counts as their messages word them.

use crate::domain::audit::{NewAuditEvent, object_type};
use crate::domain::ids::AccessPackageId;
use crate::service::error::{ServiceError, found};
use crate::store::{Conn, packages};

pub(super) fn event(
    action: &str,
    id: &AccessPackageId,
    name: &str,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent::new(action, object_type::ACCESS_PACKAGE, id, name, details)
}

#[tracing::instrument(skip_all)]
pub(super) async fn package_row(
    conn: &mut Conn,
    id: &AccessPackageId,
) -> Result<packages::PackageRow, ServiceError> {
    found(packages::get(conn, id).await?)
}

/// "1 request was" / "3 requests were".
pub(super) fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What a package without a catalog (or with one that is gone) is told,
/// beside the catalog field.
pub(super) const CHOOSE_CATALOG: &str = "Choose the catalog the package belongs to.";
