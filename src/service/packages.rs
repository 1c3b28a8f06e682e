//! Access package administration: packages, their resource roles, policies and
//! separation-of-duties settings.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{ServiceError, invalid};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::catalog::OriginSystem;
use crate::domain::ids::{AccessPackageId, CatalogId};
use crate::domain::policy::Policy;
use crate::domain::validation::{FieldErrors, optional_long_text, required_text};
use crate::store::{self, Conn, Store, audit, catalogs, packages, policies};

/// A resource role chosen for a package: `resource` is a catalog resource id,
/// or `origin:id` of a directory object not yet in the catalog (administrators
/// may add those; they join the catalog with the package).
#[derive(Clone, Debug, PartialEq)]
pub struct RolePick {
    pub resource: String,
    pub role: String,
}

fn event(
    action: &str,
    id: &AccessPackageId,
    name: &str,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent {
        action: action.into(),
        object_type: object_type::ACCESS_PACKAGE,
        object_id: id.to_string(),
        object_name: name.into(),
        details,
    }
}

pub struct Basics {
    pub name: String,
    pub description: Option<String>,
}

pub fn parse_basics(name: &str, description: &str) -> Result<Basics, FieldErrors> {
    let mut e = FieldErrors::new();
    let name = e.check("name", required_text(name, "Name", 256));
    let description = e.check(
        "description",
        optional_long_text(description, "Description", 2000),
    );
    match (name, description) {
        (Some(name), Some(description)) => Ok(Basics { name, description }),
        _ => Err(e),
    }
}

/// Resolves a pick to (catalog resource id, role origin id, role name), adding a
/// directory object to the catalog when needed.
async fn resolve_pick(
    conn: &mut Conn,
    catalog: &CatalogId,
    pick: &RolePick,
    now: DateTime<Utc>,
) -> Result<(String, String, String), ServiceError> {
    let unknown = || {
        invalid(
            "roles",
            "A chosen resource is not available any more; choose again.",
        )
    };
    let (resource_id, origin, origin_id) = match pick.resource.split_once(':') {
        Some((origin, origin_id)) => {
            let origin = OriginSystem::parse(origin).ok_or_else(unknown)?;
            catalogs::origin_name(conn, origin, origin_id)
                .await?
                .ok_or_else(unknown)?;
            catalogs::add_resource(conn, catalog, origin, origin_id, now).await?;
            let keys = catalogs::resources(conn, catalog).await?;
            let r = keys
                .into_iter()
                .find(|r| r.origin_id == origin_id && r.origin_system == origin.as_str())
                .ok_or_else(unknown)?;
            (r.id, origin, origin_id.to_string())
        }
        None => {
            let rid =
                crate::domain::ids::CatalogResourceId::parse(&pick.resource).ok_or_else(unknown)?;
            let r = catalogs::resource(conn, catalog, &rid)
                .await?
                .ok_or_else(unknown)?;
            let origin = OriginSystem::parse(&r.origin_system).ok_or_else(unknown)?;
            (r.id, origin, r.origin_id)
        }
    };
    let options = catalogs::role_options(conn, origin, &origin_id).await?;
    let (role_id, role_name) = options
        .into_iter()
        .find(|(id, _)| *id == pick.role)
        .ok_or_else(|| invalid("roles", "Choose a role the resource offers."))?;
    Ok((resource_id, role_id, role_name))
}

/// Creates the package with its resource roles and first policy, all or nothing.
pub async fn create(
    store: &Store,
    actor: &Actor,
    catalog: &CatalogId,
    basics: &Basics,
    roles: &[RolePick],
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<AccessPackageId, ServiceError> {
    let mut tx = store.begin().await?;
    let c = catalogs::get(&mut tx, catalog)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let id = AccessPackageId::new();
    packages::insert(
        &mut tx,
        &id,
        catalog,
        &basics.name,
        basics.description.as_deref(),
        false,
        now,
    )
    .await?;
    let mut granted = Vec::new();
    for pick in roles {
        let (resource, role, role_name) = resolve_pick(&mut tx, catalog, pick, now).await?;
        // A new package has no holders yet: nothing to grant.
        packages::add_role_scope(&mut tx, &id, &resource, &role, &role_name).await?;
        granted.push(json!({"resource": resource, "role": role_name}));
    }
    let policy_id = uuid::Uuid::new_v4().to_string();
    policies::insert(&mut tx, &policy_id, &id, policy, now).await?;
    let details = json!({
        "catalog": c.display_name,
        "description": basics.description,
        "resourceRoles": granted,
        "policy": {"id": policy_id, "displayName": policy.display_name, "settings": store::policies::settings_json(policy)},
    });
    audit::record(
        &mut tx,
        actor,
        &event("Create access package", &id, &basics.name, details),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(id)
}

async fn package(
    conn: &mut Conn,
    id: &AccessPackageId,
) -> Result<packages::PackageRow, ServiceError> {
    packages::get(conn, id).await?.ok_or(ServiceError::NotFound)
}

pub async fn add_role(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    pick: &RolePick,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let p = package(&mut tx, id).await?;
    let catalog = CatalogId::from_stored(p.catalog_id.clone());
    let (resource, role, role_name) = resolve_pick(&mut tx, &catalog, pick, now).await?;
    let Some(scope) = packages::add_role_scope(&mut tx, id, &resource, &role, &role_name).await?
    else {
        return Err(ServiceError::Refused(format!(
            "The package already grants the role {role_name} of that resource."
        )));
    };
    // The package's current holders get the new role at once.
    store::grants::grant_scope_to_holders(&mut tx, id, &scope, now).await?;
    let holders = packages::active_assignments(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        &event(
            "Add resource role",
            id,
            &p.display_name,
            json!({"resource": resource, "role": role_name, "grantedToHolders": holders}),
        ),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

pub async fn remove_role(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    scope: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let p = package(&mut tx, id).await?;
    let scopes = packages::role_scopes(&mut tx, id).await?;
    let s = scopes
        .into_iter()
        .find(|s| s.id == scope)
        .ok_or(ServiceError::NotFound)?;
    packages::remove_role_scope(&mut tx, id, scope).await?;
    // Holders who hold the role through nothing else lose it now.
    let taken_back = store::grants::take_back_scope(
        &mut tx,
        id,
        &s.origin_system,
        &s.origin_id,
        &s.role_origin_id,
    )
    .await?;
    let details = json!({"resource": s.resource_name, "role": s.role_display_name, "takenBackFrom": taken_back});
    audit::record(
        &mut tx,
        actor,
        &event("Remove resource role", id, &p.display_name, details),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

pub async fn add_policy(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let mut tx = store.begin().await?;
    let p = package(&mut tx, id).await?;
    let policy_id = uuid::Uuid::new_v4().to_string();
    policies::insert(&mut tx, &policy_id, id, policy, now).await?;
    let details = json!({"policy": policy_id, "displayName": policy.display_name, "settings": store::policies::settings_json(policy)});
    audit::record(
        &mut tx,
        actor,
        &event("Create policy", id, &p.display_name, details),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(policy_id)
}

pub async fn update_policy(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    policy_id: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let p = package(&mut tx, id).await?;
    let before = policies::get(&mut tx, id, policy_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    policies::update(&mut tx, policy_id, policy, now).await?;
    let details = json!({
        "policy": policy_id,
        "changes": crate::domain::audit::diff(&[
            ("displayName", json!(before.display_name), json!(policy.display_name)),
            ("allowedTargetScope", json!(before.allowed_target_scope.as_str()), json!(policy.allowed_target_scope.as_str())),
            ("enabled", json!(before.enabled), json!(policy.enabled)),
            ("settings", store::policies::settings_json(&before), store::policies::settings_json(policy)),
        ]),
    });
    audit::record(
        &mut tx,
        actor,
        &event("Update policy", id, &p.display_name, details),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

pub async fn set_policy_enabled(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    policy_id: &str,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let mut tx = store.begin().await?;
    let p = package(&mut tx, id).await?;
    let policy = policies::get(&mut tx, id, policy_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    policies::set_enabled(&mut tx, policy_id, enabled, now).await?;
    let action = if enabled {
        "Enable policy"
    } else {
        "Disable policy"
    };
    audit::record(
        &mut tx,
        actor,
        &event(
            action,
            id,
            &p.display_name,
            json!({"policy": policy_id, "displayName": policy.display_name}),
        ),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(policy.display_name)
}

pub async fn delete_policy(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    policy_id: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let mut tx = store.begin().await?;
    let p = package(&mut tx, id).await?;
    let policy = policies::get(&mut tx, id, policy_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (requests, assignments) = policies::uses(&mut tx, policy_id).await?;
    if requests + assignments > 0 {
        return Err(ServiceError::Refused(format!(
            "The policy {} cannot be deleted: {} made under it. Disable it instead, so that nobody can request under it any more.",
            policy.display_name,
            match (requests, assignments) {
                (r, 0) => plural(r, "request was", "requests were"),
                (0, a) => plural(a, "assignment was", "assignments were"),
                (r, a) => format!(
                    "{} and {}",
                    plural(r, "request", "requests"),
                    plural(a, "assignment were", "assignments were")
                ),
            }
        )));
    }
    policies::delete(&mut tx, policy_id).await?;
    audit::record(
        &mut tx,
        actor,
        &event(
            "Delete policy",
            id,
            &p.display_name,
            json!({"policy": policy_id, "displayName": policy.display_name}),
        ),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(policy.display_name)
}

/// "1 request was" / "3 requests were".
fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Name, description, hidden, and separation of duties.
pub struct PackageSettings {
    pub basics: Basics,
    pub hidden: bool,
    pub incompatible_packages: Vec<String>,
    pub incompatible_groups: Vec<String>,
}

pub async fn update_settings(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    s: &PackageSettings,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let p = package(&mut tx, id).await?;
    if s.incompatible_packages.iter().any(|x| x == id.as_str()) {
        return Err(invalid(
            "incompatible_packages",
            "A package cannot be incompatible with itself.",
        ));
    }
    packages::update(
        &mut tx,
        id,
        &s.basics.name,
        s.basics.description.as_deref(),
        s.hidden,
        now,
    )
    .await?;
    packages::set_incompatible(
        &mut tx,
        id,
        &s.incompatible_packages,
        &s.incompatible_groups,
    )
    .await?;
    let details = json!({
        "before": {"displayName": p.display_name, "description": p.description, "isHidden": p.is_hidden},
        "after": {"displayName": s.basics.name, "description": s.basics.description, "isHidden": s.hidden},
        "incompatibleAccessPackages": s.incompatible_packages,
        "incompatibleGroups": s.incompatible_groups,
    });
    audit::record(
        &mut tx,
        actor,
        &event("Update access package", id, &s.basics.name, details),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let mut tx = store.begin().await?;
    let p = package(&mut tx, id).await?;
    let n = packages::active_assignments(&mut tx, id).await?;
    if n > 0 {
        return Err(ServiceError::Refused(format!(
            "{} cannot be deleted because it has {}. Remove them first.",
            p.display_name,
            plural(n, "active assignment", "active assignments")
        )));
    }
    let open = packages::open_requests(&mut tx, id).await?;
    if open > 0 {
        return Err(ServiceError::Refused(format!(
            "{} cannot be deleted because {} still open. Cancel {} first, or let {} finish.",
            p.display_name,
            plural(open, "request is", "requests are"),
            if open == 1 { "it" } else { "them" },
            if open == 1 { "it" } else { "them" },
        )));
    }
    // The requests and ended assignments go with the package; the audit log
    // keeps what they were.
    let history = packages::history(&mut tx, id).await?;
    packages::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        &event(
            "Delete access package",
            id,
            &p.display_name,
            json!({"catalog": p.catalog_id, "description": p.description, "history": history}),
        ),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(p.display_name)
}
