//! What the package pages show, each read in one connection.

use chrono::{DateTime, Utc};

use super::record::{CHOOSE_CATALOG, package_row};
use crate::domain::catalog::OriginSystem;
use crate::domain::catalog_role::{CatalogRight, CatalogScope};
use crate::domain::ids::{AccessPackageId, CatalogId, CatalogResourceId};
use crate::domain::policy::Policy;
use crate::domain::policy_draft::PolicyDraft;
use crate::domain::validation::FieldErrors;
use crate::service::error::ServiceError;
use crate::service::lookup::{Lookup, Suggestion, suggest_in};
use crate::service::transaction::fetch;
use crate::service::transaction::read;
use crate::store::catalogs::{self, CatalogRow};
use crate::store::custom_extensions::{self, ExtensionRow};
use crate::store::packages::{self, PackageListRow, PackageRow, RoleScopeRow};
use crate::store::{Conn, Page, PageAt, Store, catalog_roles, directory as dir, policies};

/// The access packages list, searched by name.
#[tracing::instrument(skip_all)]
pub async fn search(
    store: &Store,
    scope: &CatalogScope,
    q: &str,
    at: PageAt,
) -> Result<Page<PackageListRow>, ServiceError> {
    fetch(store, async |c| packages::search(c, scope, q, at).await).await
}

/// A package as its pages show it.
pub struct PackageView {
    pub package: PackageRow,
    pub catalog_name: String,
    pub scopes: Vec<RoleScopeRow>,
    /// (policy id, policy).
    pub policies: Vec<(String, Policy)>,
    /// The names of the packages and groups it is incompatible with.
    pub incompatible_packages: Vec<String>,
    pub incompatible_groups: Vec<String>,
}

#[tracing::instrument(skip_all)]
pub async fn package(store: &Store, id: &AccessPackageId) -> Result<PackageView, ServiceError> {
    read(store, async |c| package_in(c, id).await).await
}

async fn package_in(c: &mut Conn, id: &AccessPackageId) -> Result<PackageView, ServiceError> {
    let package = package_row(c, id).await?;
    let catalog = package.catalog_id.clone();
    Ok(PackageView {
        catalog_name: catalogs::get(c, &catalog)
            .await?
            .map(|c| c.display_name)
            .unwrap_or_default(),
        scopes: packages::role_scopes(c, id).await?,
        policies: policies::for_package(c, id).await?,
        incompatible_packages: names(packages::incompatible_packages(c, id).await?),
        incompatible_groups: names(packages::incompatible_groups(c, id).await?),
        package,
    })
}

/// The names of (id, name) pairs.
fn names(v: Vec<(String, String)>) -> Vec<String> {
    v.into_iter().map(|(_, n)| n).collect()
}

/// Separation of duties as the settings tab reports it.
pub struct Separation {
    /// The packages that name this one incompatible.
    pub excluded_by: Vec<String>,
    /// Holders who also hold what the package excludes.
    pub additional_access: Vec<crate::store::packages::AdditionalAccess>,
}

/// How many holders with additional access the tab lists.
pub const ADDITIONAL_ACCESS_LISTED: i64 = 200;

/// The most rows the additional-access download holds.
const ADDITIONAL_ACCESS_ROWS: i64 = 100_000;

/// The package with its separation-of-duties reports, and what `lookup`
/// finds, in one connection.
#[tracing::instrument(skip_all)]
pub async fn settings_tab(
    store: &Store,
    id: &AccessPackageId,
    lookup: Option<Lookup<'_>>,
) -> Result<SettingsView, ServiceError> {
    read(store, async |c| {
        let package = package_in(c, id).await?;
        let separation = Separation {
            excluded_by: names(packages::excluded_by(c, id).await?),
            additional_access: packages::additional_access(c, id, ADDITIONAL_ACCESS_LISTED).await?,
        };
        let found = suggest_in(c, lookup).await?;
        Ok(SettingsView {
            package,
            separation,
            found,
        })
    })
    .await
}

/// A package's Settings tab: the package, what keeps people from holding
/// it with others, and what a picker's search found.
pub struct SettingsView {
    pub package: PackageView,
    pub separation: Separation,
    pub found: Vec<Suggestion>,
}

/// The package and every holder with additional access, for the download.
#[tracing::instrument(skip_all)]
pub async fn additional_access(
    store: &Store,
    id: &AccessPackageId,
) -> Result<(PackageRow, Vec<crate::store::packages::AdditionalAccess>), ServiceError> {
    read(store, async |c| {
        let package = package_row(c, id).await?;
        let all = packages::additional_access(c, id, ADDITIONAL_ACCESS_ROWS).await?;
        Ok((package, all))
    })
    .await
}

/// A resource whose roles a package can grant: a catalog resource (`key`
/// is its id) or a directory object not yet in the catalog (`origin:id`).
pub struct ResourceRoles {
    pub key: String,
    pub name: String,
    pub type_label: &'static str,
    pub in_catalog: bool,
    /// (role id, role name).
    pub roles: Vec<(String, String)>,
}

/// The resources of a catalog with their roles, and with `directory` the
/// directory's other groups, applications and sites too.
#[tracing::instrument(skip_all)]
pub async fn resource_roles(
    conn: &mut Conn,
    catalog: &CatalogId,
    directory: bool,
) -> Result<Vec<ResourceRoles>, ServiceError> {
    let mut out = Vec::new();
    let in_catalog = catalogs::resources(conn, catalog).await?;
    let mut held: Vec<String> = Vec::new();
    for r in &in_catalog {
        let origin = OriginSystem::parse(&r.origin_system).unwrap_or(OriginSystem::AadGroup);
        held.push(format!("{}:{}", r.origin_system, r.origin_id));
        out.push(ResourceRoles {
            key: r.id.clone(),
            name: r.display_name.clone(),
            type_label: origin.label(),
            in_catalog: true,
            roles: catalogs::role_options(conn, origin, &r.origin_id).await?,
        });
    }
    if directory {
        let found = [
            (
                OriginSystem::AadGroup,
                dir::search(conn, OriginSystem::AadGroup, "", PageAt::first(100))
                    .await?
                    .items,
            ),
            (
                OriginSystem::AadApplication,
                dir::search(conn, OriginSystem::AadApplication, "", PageAt::first(100))
                    .await?
                    .items,
            ),
            (
                OriginSystem::SharePointOnline,
                dir::search(conn, OriginSystem::SharePointOnline, "", PageAt::first(100))
                    .await?
                    .items,
            ),
        ];
        for (origin, items) in found {
            for r in items {
                let key = format!("{}:{}", origin.as_str(), r.id);
                if held.contains(&key) {
                    continue;
                }
                out.push(ResourceRoles {
                    roles: catalogs::role_options(conn, origin, &r.id).await?,
                    name: r.display_name,
                    type_label: origin.label(),
                    in_catalog: false,
                    key,
                });
            }
        }
    }
    Ok(out)
}

/// An attribute a chosen resource requires, as the forms show it.
pub struct AttributeInfo {
    pub resource: String,
    pub attribute: String,
    pub question: String,
}

/// The attributes the given catalog resources require.
#[tracing::instrument(skip_all)]
pub(super) async fn required_attributes(
    conn: &mut Conn,
    catalog: &CatalogId,
    resource_ids: &[String],
) -> Result<Vec<AttributeInfo>, ServiceError> {
    let mut out = Vec::new();
    for r in catalogs::resources(conn, catalog).await? {
        if !resource_ids.contains(&r.id) || r.attribute_count == 0 {
            continue;
        }
        let rid = CatalogResourceId::from_stored(r.id.clone());
        for a in catalogs::required_attributes(conn, &rid).await? {
            out.push(AttributeInfo {
                resource: r.display_name.clone(),
                attribute: a.attribute_name,
                question: a.question_text,
            });
        }
    }
    Ok(out)
}

/// What the new-package wizard shows: the catalogs to choose from, the
/// chosen one, its resources' roles, the attributes the chosen resources
/// require and the catalog's custom extensions; and, when the draft was
/// checked, what it would be refused with.
pub struct WizardView {
    pub catalogs: Vec<CatalogRow>,
    pub catalog: Option<CatalogRow>,
    pub resources: Vec<ResourceRoles>,
    pub attributes: Vec<AttributeInfo>,
    pub extensions: Vec<ExtensionRow>,
    /// The draft's errors (its catalog and first policy); none unchecked.
    pub errors: FieldErrors,
    /// What a picker's search found.
    pub found: Vec<Suggestion>,
}

/// What a step of the wizard asks for: `catalog`, the one posted;
/// `directory`, whether to offer directory resources outside the catalog;
/// `chosen`, the resources picked so far; `check`, the draft's first
/// policy to check as at a moment (every step but the first page);
/// `lookup`, a picker's search.
pub struct WizardAsk<'a> {
    pub catalog: Option<&'a CatalogId>,
    pub directory: bool,
    pub chosen: &'a [String],
    pub check: Option<(PolicyDraft, DateTime<Utc>)>,
    pub lookup: Option<Lookup<'a>>,
}

/// `scope`: whose catalogs to offer (a delegate is offered those where
/// they manage access packages, and only the catalog's own resources).
/// One connection for the page and the check of its draft.
#[tracing::instrument(skip_all)]
pub async fn wizard(
    store: &Store,
    scope: &CatalogScope,
    ask: WizardAsk<'_>,
) -> Result<WizardView, ServiceError> {
    read(store, async |c| {
        let mut catalogs_list = catalogs::search(c, scope, "", PageAt::first(500))
            .await?
            .items;
        let posted = match ask.catalog {
            Some(id) => catalogs::get(c, id).await?,
            None => None,
        };
        let mut errors = FieldErrors::new();
        if let Some((draft, now)) = ask.check {
            // Whether a delegate may use the catalog is asked at creation
            // (a refusal, not a field to correct).
            if posted.is_none() {
                errors.add("catalog", CHOOSE_CATALOG);
            }
            match super::draft::resolve(c, draft, now).await {
                Ok(_) => {}
                Err(ServiceError::Invalid(e)) => errors.merge(&e),
                Err(e) => return Err(e),
            }
        }
        let found = suggest_in(c, ask.lookup).await?;
        let mut directory = ask.directory;
        let mut catalog = posted;
        if let CatalogScope::HeldBy(user) = scope {
            let held = catalog_roles::of_user(c, user).await?;
            let manages = |id: &str| {
                held.iter()
                    .any(|(c, r)| c.as_str() == id && r.grants(CatalogRight::ManagePackages))
            };
            catalogs_list.retain(|row| manages(&row.id));
            catalog = catalog.filter(|row| manages(&row.id));
            directory = false;
        }
        let Some(row) = catalog else {
            return Ok(WizardView {
                catalogs: catalogs_list,
                catalog: None,
                resources: vec![],
                attributes: vec![],
                extensions: vec![],
                errors,
                found,
            });
        };
        let id = CatalogId::from_stored(row.id.clone());
        Ok(WizardView {
            resources: resource_roles(c, &id, directory).await?,
            attributes: required_attributes(c, &id, ask.chosen).await?,
            extensions: custom_extensions::of_catalog(c, &id).await?,
            catalog: Some(row),
            catalogs: catalogs_list,
            errors,
            found,
        })
    })
    .await
}

/// A package's Resource roles tab.
pub struct RolesView {
    pub package: PackageRow,
    /// The roles it gives.
    pub scopes: Vec<RoleScopeRow>,
    /// The roles its catalog offers.
    pub offered: Vec<ResourceRoles>,
}

/// The roles a package gives, and those its catalog offers.
#[tracing::instrument(skip_all)]
pub async fn roles_tab(store: &Store, id: &AccessPackageId) -> Result<RolesView, ServiceError> {
    read(store, async |c| {
        let package = package_row(c, id).await?;
        Ok(RolesView {
            scopes: packages::role_scopes(c, id).await?,
            offered: resource_roles(c, &package.catalog_id, false).await?,
            package,
        })
    })
    .await
}
