//! A package's resource roles tab: the roles it grants, added and removed.

use askama::Template;
use serde::Deserialize;

use super::tab::Tab;
use crate::domain::ids::{AccessPackageId, RoleScopeId};
use crate::routes;
use crate::service::ServiceError;
use crate::service::packages::{self as svc, ResourceRoles, RolePick};
use crate::store::packages::{PackageRow, RoleScopeRow};
use crate::web::admin::console::{ConsoleWho, PackageConsole};
use crate::web::extract::console_access::ManagePackages;
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::{PathId, PathIds};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, redirect, render};

#[derive(Template)]
#[template(path = "admin/packages/roles.html")]
struct RolesTab {
    layout: Layout,
    package: PackageRow,
    tab: Tab,
    scopes: Vec<RoleScopeRow>,
    resources: Vec<ResourceRoles>,
}

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &AccessPackageId) -> Reply {
    let view = svc::roles_tab(cx.store(), id).await?;
    render(&RolesTab {
        layout: cx.layout(view.package.display_name.clone()),
        package: view.package,
        tab: Tab::Roles,
        scopes: view.scopes,
        resources: view.offered,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    /// `resource|role`, as the list offers them.
    resource: String,
    role: String,
}

#[tracing::instrument(skip_all)]
pub(super) async fn add(
    cx: PackageConsole<ManagePackages>,
    PathId(id): PathId<AccessPackageId>,
    form: Form<RoleForm>,
) -> Reply {
    let (resource, role) = match form.0.resource.split_once('|') {
        Some((r, role)) => (r.to_string(), role.to_string()),
        None => (form.0.resource.clone(), form.0.role.clone()),
    };
    let pick = RolePick { resource, role };
    match svc::add_role(cx.store(), &cx.actor(), &id, &pick, cx.now()).await {
        Ok(()) => cx.session.flash(
            "success",
            "Resource role added. People who hold the package get it too.",
        ),
        Err(ServiceError::Refused(m)) => cx.session.flash("error", m),
        Err(ServiceError::Invalid(e)) => cx.session.flash("error", e.messages()),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&routes::ADMIN_PACKAGE_ROLES.id(&id)))
}

#[tracing::instrument(skip_all)]
pub(super) async fn remove(
    cx: PackageConsole<ManagePackages>,
    PathIds(id, scope): PathIds<AccessPackageId, RoleScopeId>,
    _form: Form<NoFields>,
) -> Reply {
    svc::remove_role(cx.store(), &cx.actor(), &id, &scope, cx.now()).await?;
    cx.done(
        "Resource role removed: holders who had it through nothing else lost it.",
        &routes::ADMIN_PACKAGE_ROLES.id(&id),
    )
}
