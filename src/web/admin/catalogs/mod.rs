//! Admin › Catalogs: the list, new catalogs, and a catalog's pages, one
//! tab each (overview, resources, access packages, custom extensions, roles
//! and administrators, settings) on a shared layout; resources and their
//! required attributes in `resources`, custom extensions in `extensions`,
//! catalog roles in `roles`.

mod extensions;
mod resources;
mod roles;
mod tab;

use actix_web::{http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use self::tab::Tab;
use super::list::{Cell, ForDelegates, ListSpec, Lists, col, num};
use crate::domain::catalog::CatalogProfile;
use crate::domain::ids::CatalogId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::Saved;
use crate::web::extract::path_id::{PathId, PathIds};

use crate::service::catalogs as svc;
use crate::store::catalogs::{CatalogRow, PackageSummary};
use crate::web::admin::console::{CatalogConsole, ConsoleWho, Reaching};
use crate::web::extract::console_access::{MakesCatalogs, ManageCatalog, Reaches, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, render, render_status};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes::*;
    cfg.list(&LIST)
        .post(ADMIN_CATALOGS.list, create)
        .get(ADMIN_CATALOGS.new, new_form)
        .get(ADMIN_CATALOGS.item, overview)
        .get(ADMIN_CATALOG_TAB, tab)
        .post(ADMIN_CATALOG_RESOURCES, resources::add_resources)
        .get(ADMIN_CATALOG_RESOURCES_ADD, resources::add_resources_form)
        .post(
            ADMIN_CATALOG_RESOURCES_FROM_SYSTEM,
            resources::add_from_system,
        )
        .post(ADMIN_CATALOG_RESOURCE_REMOVE, resources::remove_resource)
        .get(
            ADMIN_CATALOG_RESOURCE_ATTRIBUTES,
            resources::attributes_form,
        )
        .post(
            ADMIN_CATALOG_RESOURCE_ATTRIBUTES,
            resources::save_attributes,
        )
        .post(ADMIN_CATALOG_EXTENSIONS, extensions::create)
        .form(
            ADMIN_CATALOG_EXTENSION,
            extensions::show,
            extensions::update,
        )
        .post(ADMIN_CATALOG_EXTENSION_DELETE, extensions::delete)
        .post(ADMIN_CATALOG_ROLES, roles::add)
        .post(ADMIN_CATALOG_ROLE_REMOVE, roles::remove)
        .post(ADMIN_CATALOG_SETTINGS, update)
        .post(ADMIN_CATALOG_DELETE, delete);
}

const LIST: ListSpec<CatalogRow> = ListSpec {
    search: |store, scope, q, at| Box::pin(svc::search(store, scope, q, at)),
    title: "Catalogs",
    paths: routes::ADMIN_CATALOGS,
    one: "catalog",
    placeholder: "Catalog name",
    columns: &[
        col("State", |c| {
            let tone = if c.enabled() { "ok" } else { "muted" };
            Cell::badge(c.state.label(), tone)
        }),
        col("Enabled for external users", |c| {
            Cell::yes_no(c.is_externally_visible)
        }),
        num("Resources", |c| c.resource_count),
        num("Access packages", |c| c.package_count),
    ],
    delegates: ForDelegates::ReadAndNew(MakesCatalogs::admits),
};

#[tracing::instrument(skip_all)]
async fn overview(cx: CatalogConsole<Read>, PathId(id): PathId<CatalogId>) -> Reply {
    show(&cx, &id, Tab::Overview).await
}

#[tracing::instrument(skip_all)]
async fn tab(cx: CatalogConsole<Read>, PathIds(id, tab): PathIds<CatalogId, Tab>) -> Reply {
    show(&cx, &id, tab).await
}

#[derive(Template)]
#[template(path = "admin/catalogs/overview.html")]
struct OverviewTab {
    layout: Layout,
    catalog: CatalogRow,
    tab: Tab,
}

#[derive(Template)]
#[template(path = "admin/catalogs/packages.html")]
struct PackagesTab {
    layout: Layout,
    catalog: CatalogRow,
    tab: Tab,
    packages: Vec<PackageSummary>,
}

/// One handler for every tab: each shows what it lists.
async fn show(cx: &Ctx<impl ConsoleWho>, id: &CatalogId, tab: Tab) -> Reply {
    match tab {
        Tab::Resources => return resources::page(cx, id).await,
        Tab::Settings => return settings_tab(cx, svc::settings(cx.store(), id).await?, None),
        Tab::Extensions => return extensions::page(cx, id).await,
        Tab::Roles => return roles::page(cx, id).await,
        Tab::Overview | Tab::Packages => {}
    }
    let view = svc::catalog(cx.store(), id).await?;
    let layout = cx.layout(view.catalog.display_name.clone());
    if tab == Tab::Overview {
        return render(&OverviewTab {
            layout,
            catalog: view.catalog,
            tab,
        });
    }
    render(&PackagesTab {
        layout,
        catalog: view.catalog,
        tab,
        packages: view.packages,
    })
}

#[derive(Template)]
#[template(path = "admin/catalogs/settings.html")]
struct SettingsTab {
    layout: Layout,
    catalog: CatalogRow,
    tab: Tab,
    form: CatalogForm,
    errors: FieldErrors,
}

/// The Settings tab of `catalog`; `submitted`: the form sent and what was
/// wrong with it.
fn settings_tab(
    cx: &Ctx<impl ConsoleWho>,
    catalog: CatalogRow,
    submitted: Option<(CatalogForm, FieldErrors)>,
) -> Reply {
    let (form, errors) =
        submitted.unwrap_or_else(|| (CatalogForm::from_row(&catalog), FieldErrors::new()));
    render_status(
        form_status(&errors),
        &SettingsTab {
            layout: cx.layout(catalog.display_name.clone()),
            catalog,
            tab: Tab::Settings,
            form,
            errors,
        },
    )
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CatalogForm {
    display_name: String,
    description: String,
    /// Checkboxes: present when ticked.
    enabled: Option<String>,
    external: Option<String>,
}

impl CatalogForm {
    fn profile(&self) -> Result<CatalogProfile, FieldErrors> {
        CatalogProfile::parse(
            &self.display_name,
            &self.description,
            self.enabled.is_some(),
            self.external.is_some(),
        )
    }
    fn from_row(c: &CatalogRow) -> CatalogForm {
        CatalogForm {
            display_name: c.display_name.clone(),
            description: c.description.clone().unwrap_or_default(),
            enabled: c.enabled().then(|| "on".into()),
            external: c.is_externally_visible.then(|| "on".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/catalogs/new.html")]
struct NewCatalog {
    layout: Layout,
    form: CatalogForm,
    errors: FieldErrors,
}

#[tracing::instrument(skip_all)]
async fn new_form(cx: Reaching<MakesCatalogs>) -> Reply {
    render(&NewCatalog {
        layout: cx.layout("New catalog"),
        form: CatalogForm {
            enabled: Some("on".into()),
            external: Some("on".into()),
            ..Default::default()
        },
        errors: FieldErrors::new(),
    })
}

#[tracing::instrument(skip_all)]
async fn create(cx: Reaching<MakesCatalogs>, Form(form): Form<CatalogForm>) -> Reply {
    let parsed = form.profile();
    // A catalog creator becomes the new catalog's first owner.
    let owner = cx.who.delegate_id();
    let saved = cx.save(parsed, async |s, a, p, now| {
        svc::create(s, a, &p, owner, now).await
    });
    match saved.await? {
        Ok(id) => cx.created(
            "Catalog",
            &form.display_name,
            &routes::ADMIN_CATALOGS.item.id(&id),
        ),
        Err(errors) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewCatalog {
                layout: cx.layout("New catalog"),
                form,
                errors,
            },
        ),
    }
}

#[tracing::instrument(skip_all)]
async fn update(
    cx: CatalogConsole<ManageCatalog>,
    PathId(id): PathId<CatalogId>,
    Form(form): Form<CatalogForm>,
) -> Reply {
    let saved = cx.save_or_show(
        form.profile(),
        async |s, a, p, now| svc::update(s, a, &id, &p, now).await,
        async |s| svc::settings(s, &id).await,
    );
    match saved.await? {
        Saved::Done(()) => cx.done(
            "Catalog settings saved.",
            &routes::ADMIN_CATALOG_SETTINGS.id(&id),
        ),
        Saved::Again(catalog, errors) => settings_tab(&cx, catalog, Some((form, errors))),
    }
}

#[tracing::instrument(skip_all)]
async fn delete(
    cx: CatalogConsole<ManageCatalog>,
    PathId(id): PathId<CatalogId>,
    _form: Form<NoFields>,
) -> Reply {
    let result = svc::delete(cx.store(), &cx.actor(), &id, cx.now()).await;
    let (list, object) = (
        routes::ADMIN_CATALOGS.list.as_str(),
        &routes::ADMIN_CATALOG_SETTINGS.id(&id),
    );
    cx.deleted("Catalog", result, list, object)
}
