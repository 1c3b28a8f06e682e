//! Access package administration: packages, their resource roles and
//! separation-of-duties settings (policies in `policies`), and what the
//! package pages show.

mod automatic;
mod draft;
mod policy;
mod record;
mod views;

pub use automatic::{
    AutomaticView, Listed, MATCHES_LISTED, Matching, add_automatic_policy, automatic_policy,
    check_rule, update_automatic_policy,
};
pub use draft::resolve;
pub use policy::{
    PolicyFormContext, ReviewForForm, add_policy, add_policy_from_form, delete_policy,
    policy_form_context, set_policy_enabled, update_policy, update_policy_from_form,
};
pub use views::{
    ADDITIONAL_ACCESS_LISTED, AttributeInfo, PackageView, ResourceRoles, Separation, SettingsView,
    WizardAsk, WizardView, additional_access, package, roles_tab, search, settings_tab, wizard,
};

use chrono::{DateTime, Utc};
use serde_json::json;

use self::record::{CHOOSE_CATALOG, event, package_row, plural};
use super::error::{Saved, ServiceError, found, invalid};
use super::transaction::write;
use crate::domain::audit::Actor;
use crate::domain::catalog::OriginSystem;
use crate::domain::catalog_role::{CatalogRights, CatalogScope, Within};
use crate::domain::ids::{AccessPackageId, CatalogId, PolicyId, RoleScopeId};
use crate::domain::policy_draft::PolicyDraft;
use crate::domain::validation::{FieldErrors, optional_long_text, required_text};
use crate::store::{self, Conn, Store, catalog_roles, catalogs, directory, packages, policies};

/// A resource role chosen for a package: `resource` is a catalog resource id,
/// or `origin:id` of a directory object not yet in the catalog (administrators
/// may add those; they join the catalog with the package).
#[derive(Clone, Debug, PartialEq)]
pub struct RolePick {
    pub resource: String,
    pub role: String,
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

/// What the wizard's Create makes: the package in `catalog`, with its
/// basics, the roles picked and its first policy.
pub struct NewPackage<'a> {
    pub catalog: &'a CatalogId,
    pub basics: &'a Basics,
    pub hidden: bool,
    pub roles: &'a [RolePick],
    pub policy: PolicyDraft,
}

/// `create` from the wizard's Create. Refused, it returns the wizard's page
/// for the draft (`ask`, with its check), and the errors creation found
/// (some the check does not: a role the resource no longer offers).
#[tracing::instrument(skip_all)]
pub async fn create_from_wizard(
    store: &Store,
    actor: &Actor,
    scope: &CatalogScope,
    new: NewPackage<'_>,
    ask: WizardAsk<'_>,
    now: DateTime<Utc>,
) -> Result<Saved<AccessPackageId, WizardView>, ServiceError> {
    let NewPackage {
        catalog,
        basics,
        hidden,
        roles,
        policy,
    } = new;
    let created = create(
        store, actor, scope, catalog, basics, hidden, roles, policy, now,
    )
    .await;
    Saved::or_page(created, async || wizard(store, scope, ask).await).await
}

/// Creates the package with its resource roles and first policy, all or
/// nothing. `scope`: whose catalogs the creator works in; a delegate makes
/// packages only in a catalog where they manage them, from the catalog's
/// own resources (`Forbidden` otherwise).
#[tracing::instrument(skip_all)]
#[allow(clippy::too_many_arguments)] // what the wizard collects, each part typed
pub async fn create(
    store: &Store,
    actor: &Actor,
    scope: &CatalogScope,
    catalog: &CatalogId,
    basics: &Basics,
    hidden: bool,
    roles: &[RolePick],
    policy: impl Into<PolicyDraft>,
    now: DateTime<Utc>,
) -> Result<AccessPackageId, ServiceError> {
    let draft = policy.into();
    write(store, actor, now, async |tx| {
        let c = catalogs::get(tx, catalog)
            .await?
            .ok_or_else(|| invalid("catalog", CHOOSE_CATALOG))?;
        if let CatalogScope::HeldBy(user) = scope {
            let held = catalog_roles::held(tx, user, Within::Catalog(catalog)).await?;
            let from_directory = roles.iter().any(|p| p.resource.contains(':'));
            if !CatalogRights::of(&held).manage_packages || from_directory {
                return Err(ServiceError::Forbidden(
                    "Your roles let you make access packages only in catalogs where you manage them, from their own resources."
                        .into(),
                ));
            }
        }
        let chosen = draft.extensions.clone();
        let review = draft.review.clone();
        let policy = resolve(tx, draft, now).await?;
        let id = AccessPackageId::new();
        packages::insert(tx, &id, catalog, &basics.name, basics.description.as_deref(), hidden, now).await?;
        let mut granted = Vec::new();
        for pick in roles {
            let (resource, role, role_name) = resolve_pick(tx, catalog, pick, now).await?;
            // A new package has no holders yet: nothing to grant.
            packages::add_role_scope(tx, &id, &resource, &role, &role_name).await?;
            granted.push(json!({"resource": resource, "role": role_name}));
        }
        let policy_id = PolicyId::new();
        policies::insert(tx, &policy_id, &id, &policy, now).await?;
        let calls = policy::save_extensions(tx, catalog, &policy_id, chosen).await?;
        let review = policy::save_review(tx, &policy_id, review).await?;
        let details = json!({
            "catalog": c.display_name,
            "customExtensions": calls,
            "reviewSettings": review,
            "description": basics.description,
            "isHidden": hidden,
            "resourceRoles": granted,
            "policy": {"id": policy_id, "displayName": policy.display_name, "settings": store::policies::settings_json(&policy)},
        });
        let event = event("Create access package", &id, &basics.name, details);
        Ok((id, event))
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn add_role(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    pick: &RolePick,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if pick.resource.contains(':') {
        // Only the wizard adds directory resources to a catalog on the way
        // (for administrators); here a role comes from the catalog.
        return Err(invalid(
            "roles",
            "Choose a role of a resource in the package's catalog.",
        ));
    }
    write(store, actor, now, async |tx| {
        let p = package_row(tx, id).await?;
        // Held so that no holder's access ends meanwhile (an expiry this
        // cannot see would leave the new role behind), and no new holder's
        // delivery misses the role.
        store::users::lock_holders(tx, id).await?;
        packages::lock(tx, id).await?;
        // Again, now that no delivery of the package is under way: a holder
        // whose delivery ended while this waited is held too. (Taken out of
        // the order of ids, such a holder may be held by a change that waits
        // for one held here: the database then gives one of the two up, as
        // Busy, and nothing of it is kept.)
        store::users::lock_holders(tx, id).await?;
        let catalog = p.catalog_id.clone();
        let (resource, role, role_name) = resolve_pick(tx, &catalog, pick, now).await?;
        let Some(scope) = packages::add_role_scope(tx, id, &resource, &role, &role_name).await?
        else {
            return Err(ServiceError::Refused(format!(
                "The package already grants the role {role_name} of that resource."
            )));
        };
        // The package's current holders get the new role at once.
        store::grants::grant_scope_to_holders(tx, id, &scope, now).await?;
        let holders = packages::active_assignments(tx, id).await?;
        let details = json!({"resource": resource, "role": role_name, "grantedToHolders": holders});
        Ok(((), event("Add resource role", id, &p.display_name, details)))
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn remove_role(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    scope: &RoleScopeId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let p = package_row(tx, id).await?;
        let scopes = packages::role_scopes(tx, id).await?;
        let s = found(scopes.into_iter().find(|s| s.id == scope.as_str()))?;
        // Held so that a delivery of another package granting a holder the
        // same role, which this cannot see yet, is not undone, and a new
        // holder's delivery does not grant the role after it is taken back.
        store::users::lock_holders(tx, id).await?;
        packages::lock(tx, id).await?;
        // Again, as when a role is added.
        store::users::lock_holders(tx, id).await?;
        packages::remove_role_scope(tx, id, scope).await?;
        // Holders who hold the role through nothing else lose it now.
        let taken_back =
            store::grants::take_back_scope(tx, id, &s.origin_system, &s.origin_id, &s.role_origin_id)
                .await?;
        let details = json!({"resource": s.resource_name, "role": s.role_display_name, "takenBackFrom": taken_back});
        Ok(((), event("Remove resource role", id, &p.display_name, details)))
    })
    .await
}

/// Name, description, hidden, and separation of duties: the packages and
/// groups whose holders cannot request this one, by name.
pub struct PackageSettings {
    pub basics: Basics,
    pub hidden: bool,
    pub incompatible_packages: Vec<String>,
    pub incompatible_groups: Vec<String>,
}

#[tracing::instrument(skip_all)]
pub async fn update_settings(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    s: &PackageSettings,
    now: DateTime<Utc>,
) -> Result<Saved<(), SettingsView>, ServiceError> {
    let saved = write(store, actor, now, async |tx| {
        let p = package_row(tx, id).await?;
        let mut errors = FieldErrors::new();
        let mut incompatible_packages = Vec::new();
        for name in &s.incompatible_packages {
            match packages::ids_by_name(tx, name).await?.as_slice() {
                [p] if p == id.as_str() => errors.add("incompatible_packages", "A package cannot be incompatible with itself."),
                [p] => incompatible_packages.push(p.clone()),
                [] => errors.add("incompatible_packages", format!("No access package is named {name}.")),
                _ => errors.add(
                    "incompatible_packages",
                    format!("Several access packages are named {name}; rename one so they can be told apart."),
                ),
            }
        }
        let keys: Vec<String> = s.incompatible_groups.iter().map(|g| g.to_lowercase()).collect();
        let groups = directory::GROUP_NAMES.ids(tx, &keys).await?;
        let mut incompatible_groups = Vec::new();
        for (name, key) in s.incompatible_groups.iter().zip(&keys) {
            match groups.get(key) {
                Some(g) => incompatible_groups.push(g.to_string()),
                None => errors.add("incompatible_groups", format!("No group is named {name}.")),
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        packages::update(tx, id, &s.basics.name, s.basics.description.as_deref(), s.hidden, now).await?;
        packages::set_incompatible(tx, id, &incompatible_packages, &incompatible_groups).await?;
        let details = json!({
            "before": {"displayName": p.display_name, "description": p.description, "isHidden": p.is_hidden},
            "after": {"displayName": s.basics.name, "description": s.basics.description, "isHidden": s.hidden},
            "incompatibleAccessPackages": incompatible_packages,
            "incompatibleGroups": incompatible_groups,
        });
        Ok(((), event("Update access package", id, &s.basics.name, details)))
    })
    .await;
    Saved::or_page(saved, async || settings_tab(store, id, None).await).await
}

#[tracing::instrument(skip_all)]
pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |tx| {
        let p = package_row(tx, id).await?;
        let n = packages::active_assignments(tx, id).await?;
        if n > 0 {
            return Err(ServiceError::Refused(format!(
                "{} cannot be deleted because it has {}. Remove them first.",
                p.display_name,
                plural(n, "active assignment", "active assignments")
            )));
        }
        let open = packages::open_requests(tx, id).await?;
        if open > 0 {
            let them = if open == 1 { "it" } else { "them" };
            return Err(ServiceError::Refused(format!(
                "{} cannot be deleted because {} still open. Cancel {them} first, or let {them} finish.",
                p.display_name,
                plural(open, "request is", "requests are"),
            )));
        }
        // The requests and ended assignments go with the package; the audit log
        // keeps what they were.
        let history = packages::history(tx, id).await?;
        packages::delete(tx, id).await?;
        let details = json!({"catalog": p.catalog_id, "description": p.description, "history": history});
        let event = event("Delete access package", id, &p.display_name, details);
        Ok((p.display_name, event))
    })
    .await
}
