//! Granting and taking back the resource roles of an access package, and
//! ending an assignment, shared by delivery, removal and expiration.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::catalog::OriginSystem;
use crate::domain::directory::{GroupRole, SiteRole};
use crate::domain::ids::{AccessPackageId, CatalogResourceId, GroupId, SiteId, UserId};
use crate::store::{self, Conn, StoreError, assignments, catalogs, packages, users};

/// Grants each resource role of the package, once: roles already held stay.
pub async fn grant_roles(
    conn: &mut Conn,
    package: &AccessPackageId,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for scope in packages::role_scopes(conn, package).await? {
        match OriginSystem::parse(&scope.origin_system) {
            Some(OriginSystem::AadGroup) => {
                let role = GroupRole::parse(&scope.role_origin_id).unwrap_or(GroupRole::Member);
                let group = GroupId::from_stored(scope.origin_id.clone());
                store::directory::add_group_role(conn, &group, user, role, now).await?;
            }
            Some(OriginSystem::SharePointOnline) => {
                let role = SiteRole::parse(&scope.role_origin_id).unwrap_or(SiteRole::Member);
                let site = SiteId::from_stored(scope.origin_id.clone());
                store::directory::add_site_role(conn, &site, user, role, now).await?;
            }
            Some(OriginSystem::AadApplication) => {
                store::directory::add_app_role_by_id(conn, &scope.role_origin_id, user, now)
                    .await?;
            }
            None => {}
        }
    }
    Ok(())
}

/// Takes back the package's roles that no other active assignment of the
/// user grants, and clears the required attribute values not marked "keep
/// value when the assignment is removed". Returns what was taken back.
async fn revoke(
    conn: &mut Conn,
    assignment: &str,
    package: &AccessPackageId,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let mut revoked = Vec::new();
    let scopes = packages::role_scopes(conn, package).await?;
    for scope in &scopes {
        if assignments::role_still_granted(
            conn,
            user,
            &scope.catalog_resource_id,
            &scope.role_origin_id,
            assignment,
        )
        .await?
        {
            continue;
        }
        let removed = match OriginSystem::parse(&scope.origin_system) {
            Some(OriginSystem::AadGroup) => {
                let role = GroupRole::parse(&scope.role_origin_id).unwrap_or(GroupRole::Member);
                let group = GroupId::from_stored(scope.origin_id.clone());
                store::directory::remove_group_role(conn, &group, user, role).await?
            }
            Some(OriginSystem::SharePointOnline) => {
                let role = SiteRole::parse(&scope.role_origin_id).unwrap_or(SiteRole::Member);
                let site = SiteId::from_stored(scope.origin_id.clone());
                store::directory::remove_site_role(conn, &site, user, role).await?
            }
            Some(OriginSystem::AadApplication) => {
                store::directory::remove_app_role_by_id(conn, &scope.role_origin_id, user).await?
            }
            None => false,
        };
        if removed {
            revoked.push(format!(
                "{} ({})",
                scope.resource_name, scope.role_display_name
            ));
        }
    }
    let mut resources: Vec<&str> = scopes
        .iter()
        .map(|s| s.catalog_resource_id.as_str())
        .collect();
    resources.sort();
    resources.dedup();
    let mut clear = Vec::new();
    for r in resources {
        for a in catalogs::required_attributes(conn, &CatalogResourceId::from_stored(r.to_string()))
            .await?
        {
            if !a.keep_value && !clear.contains(&a.attribute_name) {
                clear.push(a.attribute_name);
            }
        }
    }
    if !clear.is_empty() {
        users::clear_attributes(conn, user, &clear, now).await?;
    }
    Ok(revoked)
}

/// Ends an active assignment (`reason`: "expired" or "removed"): roles taken
/// back, attributes cleared, the holder told. `None` when it had already ended.
pub async fn end_assignment(
    conn: &mut Conn,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<serde_json::Value>, StoreError> {
    let Some(a) = assignments::get(conn, id).await? else {
        return Ok(None);
    };
    if !assignments::end(conn, id, reason, now).await? {
        return Ok(None);
    }
    let package = AccessPackageId::from_stored(a.access_package_id.clone());
    let user = UserId::from_stored(a.target_id.clone());
    let revoked = revoke(conn, id, &package, &user, now).await?;
    let data = json!({
        "package": a.package_name,
        "requestor": a.target_name,
        "requestor_email": a.target_email,
        "reason": reason,
    });
    store::outbox::enqueue(
        conn,
        crate::notify::kind::ACCESS_ENDED,
        &a.target_email,
        &a.target_name,
        &data,
        now,
    )
    .await?;
    Ok(Some(json!({
        "assignment": id,
        "user": a.target_email,
        "package": a.package_name,
        "reason": reason,
        "revoked": revoked,
    })))
}
