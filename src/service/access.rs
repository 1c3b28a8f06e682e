//! Granting and taking back the resource roles of an access package, and
//! ending an assignment, shared by delivery, removal and expiration.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::catalog::OriginSystem;
use crate::domain::directory::{GroupRole, SiteRole};
use crate::domain::ids::{AccessPackageId, GroupId, SiteId, UserId};
use crate::store::{self, Conn, StoreError, batch, packages, users};

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
            // An application without roles is reached through "Default Access",
            // which has no app-role row to hold.
            Some(OriginSystem::AadApplication) if scope.role_origin_id == "defaultAccess" => {}
            Some(OriginSystem::AadApplication) => {
                store::directory::add_app_role_by_id(conn, &scope.role_origin_id, user, now)
                    .await?;
            }
            None => {}
        }
    }
    Ok(())
}

/// Ends the active ones of these assignments (`reason`: "expired" or
/// "removed") in a few statements whatever their number: roles taken back
/// where no other active assignment of the holder grants them, attribute
/// values not marked "keep" cleared, each holder told. Returns, per ended
/// assignment, the facts for its audit event.
pub async fn end_assignments(
    conn: &mut Conn,
    ids: &[String],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<serde_json::Value>, StoreError> {
    use std::collections::{HashMap, HashSet};
    let rows = batch::assignments(conn, ids).await?;
    let ended: HashSet<String> = batch::end_assignments(conn, ids, reason, now)
        .await?
        .into_iter()
        .collect();
    let rows: Vec<_> = rows.into_iter().filter(|a| ended.contains(&a.id)).collect();
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let mut packages: Vec<String> = rows.iter().map(|a| a.access_package_id.clone()).collect();
    packages.sort();
    packages.dedup();
    let mut scopes: HashMap<String, Vec<store::packages::RoleScopeRow>> = HashMap::new();
    for (p, scope) in batch::role_scopes(conn, &packages).await? {
        scopes.entry(p).or_default().push(scope);
    }
    let mut users: Vec<String> = rows.iter().map(|a| a.target_id.clone()).collect();
    users.sort();
    users.dedup();
    // Computed after the batch ended, so only other assignments count.
    let still = batch::active_grants(conn, &users).await?;
    let mut take: HashMap<&'static str, HashSet<(String, String, String)>> = HashMap::new();
    let mut details = Vec::with_capacity(rows.len());
    let mut mails = Vec::with_capacity(rows.len());
    for a in &rows {
        let mut revoked = Vec::new();
        for scope in scopes.get(&a.access_package_id).into_iter().flatten() {
            if still.contains(&(
                a.target_id.clone(),
                scope.catalog_resource_id.clone(),
                scope.role_origin_id.clone(),
            )) {
                continue;
            }
            let (table, row) = match OriginSystem::parse(&scope.origin_system) {
                Some(OriginSystem::AadGroup) => (
                    "group_members",
                    (
                        scope.origin_id.clone(),
                        a.target_id.clone(),
                        GroupRole::parse(&scope.role_origin_id)
                            .unwrap_or(GroupRole::Member)
                            .as_str()
                            .to_string(),
                    ),
                ),
                Some(OriginSystem::SharePointOnline) => (
                    "site_members",
                    (
                        scope.origin_id.clone(),
                        a.target_id.clone(),
                        SiteRole::parse(&scope.role_origin_id)
                            .unwrap_or(SiteRole::Member)
                            .as_str()
                            .to_string(),
                    ),
                ),
                Some(OriginSystem::AadApplication) => (
                    "app_role_assignments",
                    (
                        scope.role_origin_id.clone(),
                        a.target_id.clone(),
                        String::new(),
                    ),
                ),
                None => continue,
            };
            take.entry(table).or_default().insert(row);
            revoked.push(format!(
                "{} ({})",
                scope.resource_name, scope.role_display_name
            ));
        }
        details.push(json!({
            "assignment": a.id,
            "user": a.target_email,
            "package": a.package_name,
            "reason": reason,
            "revoked": revoked,
        }));
        mails.push(batch::Mail {
            kind: crate::notify::kind::ACCESS_ENDED,
            to_address: a.target_email.clone(),
            to_name: a.target_name.clone(),
            data: json!({
                "package": a.package_name,
                "requestor": a.target_name,
                "requestor_email": a.target_email,
                "reason": reason,
            }),
        });
    }
    for (table, rows) in take {
        let rows: Vec<_> = rows.into_iter().collect();
        batch::revoke(conn, table, &rows).await?;
    }
    // Attribute values that go with the assignment.
    let mut resources: Vec<String> = scopes
        .values()
        .flatten()
        .map(|s| s.catalog_resource_id.clone())
        .collect();
    resources.sort();
    resources.dedup();
    let not_kept = batch::attributes_not_kept(conn, &resources).await?;
    if !not_kept.is_empty() {
        for a in &rows {
            let mut names: Vec<String> = scopes
                .get(&a.access_package_id)
                .into_iter()
                .flatten()
                .flat_map(|s| {
                    not_kept
                        .iter()
                        .filter(|(r, _)| *r == s.catalog_resource_id)
                        .map(|(_, n)| n.clone())
                })
                .collect();
            names.sort();
            names.dedup();
            if !names.is_empty() {
                users::clear_attributes(
                    conn,
                    &UserId::from_stored(a.target_id.clone()),
                    &names,
                    now,
                )
                .await?;
            }
        }
    }
    batch::enqueue(conn, &mails, now).await?;
    Ok(details)
}

/// Ends one active assignment; `None` when it had already ended.
pub async fn end_assignment(
    conn: &mut Conn,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<serde_json::Value>, StoreError> {
    Ok(end_assignments(conn, &[id.to_string()], reason, now)
        .await?
        .into_iter()
        .next())
}
