//! A catalog's "Roles and administrators" tab: who holds which catalog
//! role (owner, reader, access package manager, access package assignment
//! manager). Everyone with a role sees it; owners and administrators change it.

use askama::Template;
use serde::Deserialize;

use super::tab::Tab;
use crate::domain::catalog_role::CatalogRole;
use crate::domain::ids::{CatalogId, CatalogRoleAssignmentId};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::catalog_roles as svc;
use crate::service::{Saved, ServiceError};
use crate::store::catalog_roles::RoleHolderRow;
use crate::store::catalogs::CatalogRow;
use crate::web::admin::console::{CatalogConsole, ConsoleWho};
use crate::web::extract::console_access::ManageCatalog;
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::{PathId, PathIds};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, render_status};

#[derive(Template)]
#[template(path = "admin/catalogs/roles.html")]
struct RolesTab {
    layout: Layout,
    catalog: CatalogRow,
    tab: Tab,
    holders: Vec<RoleHolderRow>,
    roles: [CatalogRole; 4],
    form: RoleForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RoleForm {
    email: String,
    role: String,
}

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &CatalogId) -> Reply {
    tab(cx, svc::of_catalog(cx.store(), id).await?, None)
}

/// The tab showing `(catalog, holders)`; `submitted`: the form sent and what
/// was wrong with it.
fn tab(
    cx: &Ctx<impl ConsoleWho>,
    (catalog, holders): (CatalogRow, Vec<RoleHolderRow>),
    submitted: Option<(RoleForm, FieldErrors)>,
) -> Reply {
    let (form, errors) = submitted.unwrap_or_default();
    render_status(
        form_status(&errors),
        &RolesTab {
            layout: cx.layout(catalog.display_name.clone()),
            catalog,
            tab: Tab::Roles,
            holders,
            roles: CatalogRole::ALL,
            form,
            errors,
        },
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn add(
    cx: CatalogConsole<ManageCatalog>,
    PathId(id): PathId<CatalogId>,
    Form(form): Form<RoleForm>,
) -> Reply {
    let role = CatalogRole::parse(&form.role).ok_or_else(|| {
        let mut errors = FieldErrors::new();
        errors.add("role", "Choose one of the catalog roles.");
        errors
    });
    let saved = cx.save_or_show(
        role,
        async |s, a, role, now| svc::add(s, a, &id, &form.email, role, now).await,
        async |s| svc::of_catalog(s, &id).await,
    );
    match saved.await? {
        Saved::Done(message) => cx.done(message, &routes::ADMIN_CATALOG_ROLES.id(&id)),
        Saved::Again(page, errors) => tab(&cx, page, Some((form, errors))),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn remove(
    cx: CatalogConsole<ManageCatalog>,
    PathIds(id, assignment): PathIds<CatalogId, CatalogRoleAssignmentId>,
    _form: Form<NoFields>,
) -> Reply {
    let to = routes::ADMIN_CATALOG_ROLES.id(&id);
    match svc::remove(cx.store(), &cx.actor(), &id, &assignment, cx.now()).await {
        Ok(message) => cx.done(message, &to),
        Err(ServiceError::Refused(m)) => cx.refused(m, &to),
        Err(e) => Err(e.into()),
    }
}
