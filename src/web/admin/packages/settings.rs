//! A package's overview and settings tabs: name, description, hidden,
//! separation of duties, and deletion.

use askama::Template;
use serde::Deserialize;

use super::tab::Tab;
use crate::domain::ids::AccessPackageId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::Saved;
use crate::service::lookup::Kind;
use crate::service::packages::{self as svc, PackageSettings, Separation, SettingsView};
use crate::store::packages::{PackageRow, RoleScopeRow};
use crate::web::admin::console::{ConsoleWho, PackageConsole};
use crate::web::admin::csv::csv_download;
use crate::web::extract::console_access::{ManagePackages, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::PathId;
use crate::web::extract::picker::{Matches, PickSearch, Picked};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, render, render_status};

#[derive(Template)]
#[template(path = "admin/packages/overview.html")]
struct OverviewTab {
    layout: Layout,
    package: PackageRow,
    tab: Tab,
    catalog_name: String,
    direct_link: String,
    scopes: Vec<RoleScopeRow>,
    policies: Vec<String>,
}

pub(super) async fn overview(cx: &Ctx<impl ConsoleWho>, id: &AccessPackageId) -> Reply {
    let view = svc::package(cx.store(), id).await?;
    render(&OverviewTab {
        layout: cx.layout(view.package.display_name.clone()),
        direct_link: cx
            .state
            .config
            .url_for(&routes::PACKAGE.id(&view.package.id)),
        package: view.package,
        tab: Tab::Overview,
        catalog_name: view.catalog_name,
        scopes: view.scopes,
        policies: view.policies.into_iter().map(|(id, _)| id).collect(),
    })
}

#[derive(Template)]
#[template(path = "admin/packages/settings.html")]
struct SettingsTab {
    layout: Layout,
    package: PackageRow,
    tab: Tab,
    separation: Separation,
    errors: FieldErrors,
    /// The form as saved, or as sent.
    f: SettingsForm,
    matches: Matches,
}

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &AccessPackageId) -> Reply {
    let view = svc::settings_tab(cx.store(), id, None).await?;
    tab(cx, view, None, Matches::default())
}

/// The settings tab; `submitted`: the fields sent and what was wrong with
/// them; `matches`: what a picker's search found.
fn tab(
    cx: &Ctx<impl ConsoleWho>,
    view: SettingsView,
    submitted: Option<(SettingsForm, FieldErrors)>,
    matches: Matches,
) -> Reply {
    let SettingsView {
        package: shown,
        separation,
        ..
    } = view;
    let package = shown.package;
    let (f, errors) = submitted.unwrap_or_else(|| {
        let saved = SettingsForm {
            name: package.display_name.clone(),
            description: package.description.clone().unwrap_or_default(),
            hidden: package.is_hidden.then(|| "on".into()),
            incompatible_packages: shown.incompatible_packages.join("\n"),
            incompatible_groups: shown.incompatible_groups.join("\n"),
        };
        (saved, FieldErrors::new())
    });
    render_status(
        form_status(&errors),
        &SettingsTab {
            layout: cx.layout(package.display_name.clone()),
            package,
            tab: Tab::Settings,
            separation,
            errors,
            f,
            matches,
        },
    )
}

/// The settings tab's form.
#[derive(Deserialize)]
pub(super) struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// A checkbox: present when ticked.
    hidden: Option<String>,
    /// Names, one per line.
    #[serde(default)]
    incompatible_packages: String,
    #[serde(default)]
    incompatible_groups: String,
}

impl SettingsForm {
    /// The settings it asks for, or what is wrong beside each field.
    fn settings(&self) -> Result<PackageSettings, FieldErrors> {
        Ok(PackageSettings {
            basics: svc::parse_basics(&self.name, &self.description)?,
            hidden: self.hidden.is_some(),
            incompatible_packages: lines(&self.incompatible_packages),
            incompatible_groups: lines(&self.incompatible_groups),
        })
    }
}

/// The names a field lists, one per line.
fn lines(text: &str) -> Vec<String> {
    super::policy_form::names_in(text)
        .map(str::to_string)
        .collect()
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    cx: PackageConsole<ManagePackages>,
    PathId(id): PathId<AccessPackageId>,
    form: Picked<SettingsForm>,
) -> Reply {
    const OFFERS: &[Kind] = &[Kind::Package, Kind::Group];
    if let Some(search) = form.pressed {
        let lookup = PickSearch::lookup(search.as_ref(), OFFERS);
        let mut view = svc::settings_tab(cx.store(), &id, lookup).await?;
        let matches = Matches::found(search.as_ref(), OFFERS, &mut view.found);
        return tab(&cx, view, Some((form.form, FieldErrors::new())), matches);
    }
    let saved = cx.save_or_show(
        form.form.settings(),
        async |st, a, s, now| svc::update_settings(st, a, &id, &s, now).await,
        async |st| svc::settings_tab(st, &id, None).await,
    );
    match saved.await? {
        Saved::Done(()) => cx.done("Settings saved.", &routes::ADMIN_PACKAGE_SETTINGS.id(&id)),
        Saved::Again(view, errors) => tab(&cx, view, Some((form.form, errors)), Matches::default()),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn delete(
    cx: PackageConsole<ManagePackages>,
    PathId(id): PathId<AccessPackageId>,
    _form: Form<NoFields>,
) -> Reply {
    let result = svc::delete(cx.store(), &cx.actor(), &id, cx.now()).await;
    let (list, object) = (
        routes::ADMIN_PACKAGES.list.as_str(),
        &routes::ADMIN_PACKAGE_SETTINGS.id(&id),
    );
    cx.deleted("Access package", result, list, object)
}

/// Entra's "additional access" report as CSV: every holder who also holds
/// what the package excludes.
#[tracing::instrument(skip_all)]
pub(super) async fn additional_access_csv(
    cx: PackageConsole<Read>,
    PathId(id): PathId<AccessPackageId>,
) -> Reply {
    let (package, rows) = svc::additional_access(cx.store(), &id).await?;
    let rows = rows.iter().map(|x| {
        let kind = if x.kind == "group" {
            "Group membership"
        } else {
            "Access package"
        };
        vec![x.display_name.as_str(), &x.email, kind, &x.other]
    });
    Ok(csv_download(
        &format!("{}-additional-access", package.display_name),
        &["User", "Email", "Also holds", "Name"],
        rows,
    ))
}
