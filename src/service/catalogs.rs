//! Catalog administration: catalogs, their resources, required attributes.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::error::{Saved, ServiceError, found, invalid};
use super::transaction::{fetch, read, write};
use crate::connectors::FoundGroup;
use crate::domain::audit::{Actor, NewAuditEvent, diff, object_type};
use crate::domain::catalog::{
    CatalogProfile, OriginSystem, RequiredAttribute, format_localizations,
};
use crate::domain::catalog_role::{CatalogRole, CatalogScope};
use crate::domain::ids::{CatalogId, CatalogResourceId, ConnectedSystemId, UserId};
use crate::store::catalogs::{CatalogResourceRow, CatalogRow, PackageSummary};
use crate::store::connected_systems::SystemRow;
use crate::store::directory::{self as dir, ResourceSummary};
use crate::store::{Page, PageAt, Store, StoreError, audit, catalog_roles, catalogs};

/// An audit event about a catalog (or something it holds).
pub(super) fn event(
    action: &str,
    id: &CatalogId,
    name: &str,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent {
        action: action.into(),
        object_type: object_type::CATALOG,
        object_id: id.to_string(),
        object_name: name.into(),
        details,
    }
}

fn name_taken(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict(_) => {
            invalid("display_name", "Another catalog already has this name.")
        }
        other => other.into(),
    }
}

#[tracing::instrument(skip_all)]
/// Creates a catalog; a catalog creator who is not an administrator
/// (`owner`) becomes its first owner, in the same transaction.
pub async fn create(
    store: &Store,
    actor: &Actor,
    p: &CatalogProfile,
    owner: Option<&UserId>,
    now: DateTime<Utc>,
) -> Result<CatalogId, ServiceError> {
    write(store, actor, now, async |tx| {
        let id = CatalogId::new();
        catalogs::insert(tx, &id, p, now)
            .await
            .map_err(name_taken)?;
        if let Some(owner) = owner {
            catalog_roles::insert(tx, &id, owner, CatalogRole::Owner, now).await?;
        }
        // The creator's first role is recorded with the catalog (the
        // actor is the creator).
        let details = json!({
            "description": p.description,
            "state": p.state.as_str(),
            "isExternallyVisible": p.is_externally_visible,
            "firstOwner": owner.map(|_| actor.display_name.as_str()),
        });
        let event = event("Create catalog", &id, &p.display_name, details);
        Ok((id, event))
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: &CatalogId,
    p: &CatalogProfile,
    now: DateTime<Utc>,
) -> Result<Saved<(), CatalogRow>, ServiceError> {
    let saved = write(store, actor, now, async |tx| {
        let before = found(catalogs::get(tx, id).await?)?;
        catalogs::update(tx, id, p, now).await.map_err(name_taken)?;
        let changes = diff(&[
            (
                "displayName",
                json!(before.display_name),
                json!(p.display_name),
            ),
            (
                "description",
                json!(before.description),
                json!(p.description),
            ),
            (
                "state",
                json!(before.state.as_str()),
                json!(p.state.as_str()),
            ),
            (
                "isExternallyVisible",
                json!(before.is_externally_visible),
                json!(p.is_externally_visible),
            ),
        ]);
        Ok(((), event("Update catalog", id, &p.display_name, changes)))
    })
    .await;
    Saved::or_page(saved, async || settings(store, id).await).await
}

/// Deletes a catalog that holds no access packages.
#[tracing::instrument(skip_all)]
pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: &CatalogId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |tx| {
        let c = found(catalogs::get(tx, id).await?)?;
        if c.package_count > 0 {
            let n = c.package_count;
            return Err(ServiceError::Refused(format!(
                "The catalog {} cannot be deleted because it holds {n} access package{}. Delete them first.",
                c.display_name,
                if n == 1 { "" } else { "s" }
            )));
        }
        catalogs::delete(tx, id).await?;
        let details = json!({"resources": c.resource_count});
        let event = event("Delete catalog", id, &c.display_name, details);
        Ok((c.display_name, event))
    })
    .await
}

/// Adds several directory objects to a catalog at once; returns how many
/// were new. A catalog owner who is not an administrator (`owned_by`) adds
/// only groups and sites they own, as in Entra.
#[tracing::instrument(skip_all)]
pub async fn add_resources(
    store: &Store,
    actor: &Actor,
    id: &CatalogId,
    owned_by: Option<&UserId>,
    picks: &[(OriginSystem, String)],
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    if picks.is_empty() {
        return Err(ServiceError::Refused(
            "Select at least one resource to add.".into(),
        ));
    }
    let mut tx = store.begin().await?;
    let c = catalogs::get(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut added = Vec::new();
    for (origin, origin_id) in picks {
        let name = catalogs::origin_name(&mut tx, *origin, origin_id)
            .await?
            .ok_or_else(|| {
                ServiceError::Refused(
                    "One of the selected resources no longer exists. Search again.".into(),
                )
            })?;
        if let Some(owner) = owned_by
            && !dir::owns(&mut tx, *origin, origin_id, owner).await?
        {
            return Err(ServiceError::Refused(format!(
                "You do not own {name}: catalog owners add only the groups and sites they own. Ask an administrator to add it."
            )));
        }
        if catalogs::add_resource(&mut tx, id, *origin, origin_id, now).await? {
            added.push(json!({"originSystem": origin.as_str(), "originId": origin_id, "displayName": name}));
        }
    }
    if !added.is_empty() {
        audit::record(
            &mut tx,
            actor,
            &event(
                "Add resources to catalog",
                id,
                &c.display_name,
                json!({"added": added}),
            ),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added.len())
}

/// Removes a resource no access package in the catalog uses.
#[tracing::instrument(skip_all)]
pub async fn remove_resource(
    store: &Store,
    actor: &Actor,
    id: &CatalogId,
    resource: &CatalogResourceId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |tx| {
        let c = catalogs::get(tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let r = catalogs::resource(tx, id, resource)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let users = catalogs::packages_using_resource(tx, resource).await?;
        if !users.is_empty() {
            return Err(ServiceError::Refused(format!(
                "{} cannot be removed because the access package{} {} use{} its roles. Remove it from {} first.",
                r.display_name,
                if users.len() == 1 { "" } else { "s" },
                users.join(", "),
                if users.len() == 1 { "s" } else { "" },
                if users.len() == 1 {
                    "that package"
                } else {
                    "those packages"
                }
            )));
        }
        catalogs::remove_resource(tx, resource).await?;
        let details = json!({"originSystem": r.origin_system, "originId": r.origin_id, "displayName": r.display_name});
        let event = event("Remove resource from catalog", id, &c.display_name, details);
        Ok((r.display_name, event))
    })
    .await
}

fn describe(attrs: &[RequiredAttribute]) -> serde_json::Value {
    json!(
        attrs
            .iter()
            .map(|a| json!({
                "attribute": a.attribute_name,
                "answerFormat": a.answer_format.as_str(),
                "text": a.question_text,
                "localizations": format_localizations(&a.localizations),
                "choices": a.choices,
                "isEditable": a.is_editable,
                "keepValue": a.keep_value,
            }))
            .collect::<Vec<_>>()
    )
}

#[tracing::instrument(skip_all)]
pub async fn save_required_attributes(
    store: &Store,
    actor: &Actor,
    id: &CatalogId,
    resource: &CatalogResourceId,
    attrs: &[RequiredAttribute],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let c = catalogs::get(tx, id).await?.ok_or(ServiceError::NotFound)?;
        let r = catalogs::resource(tx, id, resource)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let before = catalogs::required_attributes(tx, resource).await?;
        catalogs::replace_required_attributes(tx, resource, attrs).await?;
        let details = json!({
            "resource": r.display_name,
            "changes": diff(&[("requiredAttributes", describe(&before), describe(attrs))]),
        });
        let event = event("Update required attributes", id, &c.display_name, details);
        Ok(((), event))
    })
    .await
}

/// The catalogs list, searched by name.
#[tracing::instrument(skip_all)]
pub async fn search(
    store: &Store,
    scope: &CatalogScope,
    q: &str,
    at: PageAt,
) -> Result<Page<CatalogRow>, ServiceError> {
    fetch(store, async |c| catalogs::search(c, scope, q, at).await).await
}

/// A catalog with its resources and access packages.
pub struct CatalogView {
    pub catalog: CatalogRow,
    pub resources: Vec<CatalogResourceRow>,
    pub packages: Vec<PackageSummary>,
}

/// A catalog's Resources tab: the catalog, its resources, and their links
/// to connected systems.
pub struct ResourcesView {
    pub catalog: CatalogRow,
    pub resources: Vec<CatalogResourceRow>,
    pub links: Vec<crate::store::connected_systems::LinkRow>,
}

#[tracing::instrument(skip_all)]
pub async fn resources_tab(store: &Store, id: &CatalogId) -> Result<ResourcesView, ServiceError> {
    read(store, async |c| {
        Ok(ResourcesView {
            catalog: found(catalogs::get(c, id).await?)?,
            resources: catalogs::resources(c, id).await?,
            links: crate::store::connected_systems::links_in_catalog(c, id.as_str()).await?,
        })
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn catalog(store: &Store, id: &CatalogId) -> Result<CatalogView, ServiceError> {
    read(store, async |c| {
        Ok(CatalogView {
            catalog: found(catalogs::get(c, id).await?)?,
            resources: catalogs::resources(c, id).await?,
            packages: catalogs::packages(c, id).await?,
        })
    })
    .await
}

/// A catalog alone, for its Settings tab.
#[tracing::instrument(skip_all)]
pub async fn settings(store: &Store, id: &CatalogId) -> Result<CatalogRow, ServiceError> {
    read(store, async |c| found(catalogs::get(c, id).await?)).await
}

/// What can be added to a catalog: the directory's groups, applications
/// and sites matching `q` (the first `shown` of each), and the `origin:id`
/// keys of those already in it.
pub struct Candidates {
    pub catalog: CatalogRow,
    pub groups: Page<ResourceSummary>,
    pub applications: Page<ResourceSummary>,
    pub sites: Page<ResourceSummary>,
    pub existing: Vec<String>,
}

/// The Add resources page: the catalog's candidates from the directory
/// and, for administrators, the connected systems and the groups found in
/// the one searched.
pub struct AddResources {
    pub candidates: Candidates,
    pub systems: Vec<SystemRow>,
    /// The groups found, or why the system could not be searched.
    pub found: Option<Result<Vec<FoundGroup>, String>>,
}

/// What the Add resources page offers. Connected systems are the tenant's:
/// only an administrator (`admin`) sees them, and `search` (a system and the
/// text) is read from that system now, as the administrator waits for it.
#[tracing::instrument(skip_all)]
pub async fn resources_offered(
    store: &Store,
    id: &CatalogId,
    owned_by: Option<&UserId>,
    (q, shown): (&str, i64),
    admin: bool,
    search: Option<(&ConnectedSystemId, &str)>,
) -> Result<AddResources, ServiceError> {
    let candidates = candidates(store, id, owned_by, q, shown).await?;
    if !admin {
        return Ok(AddResources {
            candidates,
            systems: vec![],
            found: None,
        });
    }
    let found = match search {
        Some((system, text)) => {
            Some(super::connected_systems::search_groups(store, system, text).await?)
        }
        None => None,
    };
    let systems = super::connected_systems::all(store).await?;
    Ok(AddResources {
        candidates,
        systems,
        found,
    })
}

#[tracing::instrument(skip_all)]
/// What can be added to a catalog: by an administrator, any directory
/// resource; by a catalog owner (`owned_by`), the groups and sites they own.
async fn candidates(
    store: &Store,
    id: &CatalogId,
    owned_by: Option<&UserId>,
    q: &str,
    shown: i64,
) -> Result<Candidates, ServiceError> {
    read(store, async |c| {
        let first = PageAt::first(shown);
        Ok(Candidates {
            catalog: found(catalogs::get(c, id).await?)?,
            groups: dir::search_owned(c, OriginSystem::AadGroup, owned_by, q, first).await?,
            applications: dir::search_owned(c, OriginSystem::AadApplication, owned_by, q, first)
                .await?,
            sites: dir::search_owned(c, OriginSystem::SharePointOnline, owned_by, q, first).await?,
            existing: catalogs::origin_keys(c, id).await?,
        })
    })
    .await
}

/// A resource of a catalog and the attributes it requires.
#[tracing::instrument(skip_all)]
pub async fn resource_attributes(
    store: &Store,
    id: &CatalogId,
    resource: &CatalogResourceId,
) -> Result<(CatalogRow, CatalogResourceRow, Vec<RequiredAttribute>), ServiceError> {
    read(store, async |c| {
        let catalog = found(catalogs::get(c, id).await?)?;
        let row = found(catalogs::resource(c, id, resource).await?)?;
        Ok((
            catalog,
            row,
            catalogs::required_attributes(c, resource).await?,
        ))
    })
    .await
}
