//! A catalog's custom extensions: the tab listing them with a form for a
//! new one, each one's page (settings, the policies that call it, delete),
//! and the signing secret shown once when it is made or replaced.

use askama::Template;
use serde::Deserialize;

use super::tab::Tab;
use crate::domain::custom_extension::{Authentication, Behavior, ExtensionInput, MAX_WAIT_MINUTES};
use crate::domain::ids::{CatalogId, CustomExtensionId};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::{Saved, ServiceError, custom_extensions as svc};
use crate::store::catalogs::CatalogRow;
use crate::store::custom_extensions::ExtensionRow;
use crate::web::admin::console::{CatalogConsole, Console, ConsoleWho};
use crate::web::extract::console_access::Read;
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::{PathId, PathIds};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, redirect, render_status};

/// The extension form as the browser sends it: the settings, and whether
/// to replace the signing secret.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ExtensionForm {
    #[serde(flatten)]
    input: ExtensionInput,
    /// Ticked: replace the signing secret.
    rotate: Option<String>,
}

impl ExtensionForm {
    fn blank() -> ExtensionForm {
        ExtensionForm {
            input: ExtensionInput {
                authentication: "signature".into(),
                timeout_seconds: "30".into(),
                behavior: "launchAndContinue".into(),
                max_wait: "1".into(),
                max_wait_unit: "days".into(),
                on_timeout: "deny".into(),
                ..Default::default()
            },
            rotate: None,
        }
    }

    fn from_row(e: &ExtensionRow) -> ExtensionForm {
        let mut f = ExtensionForm::blank();
        let i = &mut f.input;
        i.display_name = e.display_name.clone();
        i.description = e.description.clone().unwrap_or_default();
        i.endpoint_url = e.endpoint_url.clone();
        i.timeout_seconds = e.timeout_seconds.to_string();
        if let Authentication::OAuth {
            token_url,
            client_id,
            scope,
        } = e.authentication()
        {
            i.authentication = "oauth".into();
            i.token_url = token_url;
            i.client_id = client_id;
            i.scope = scope.unwrap_or_default();
        }
        if let Behavior::LaunchAndWait {
            max_wait_minutes,
            on_timeout,
        } = e.behavior()
        {
            i.behavior = "launchAndWait".into();
            let (n, unit) = if max_wait_minutes % (24 * 60) == 0 {
                (max_wait_minutes / (24 * 60), "days")
            } else if max_wait_minutes % 60 == 0 {
                (max_wait_minutes / 60, "hours")
            } else {
                (max_wait_minutes, "minutes")
            };
            i.max_wait = n.to_string();
            i.max_wait_unit = unit.into();
            i.on_timeout = on_timeout.as_str().into();
        }
        f
    }
}

#[derive(Template)]
#[template(path = "admin/catalogs/extensions.html")]
struct ExtensionsTab {
    layout: Layout,
    catalog: CatalogRow,
    tab: Tab,
    extensions: Vec<(ExtensionRow, Vec<(String, String)>)>,
    form: ExtensionForm,
    errors: FieldErrors,
    longest_days: i64,
}

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &CatalogId) -> Reply {
    listing(cx, svc::of_catalog(cx.store(), id).await?, None)
}

/// The tab listing `listed` (the catalog and its extensions), with the new
/// extension's form as sent when it was refused.
fn listing(
    cx: &Ctx<impl ConsoleWho>,
    (catalog, extensions): (CatalogRow, svc::ExtensionUses),
    submitted: Option<(ExtensionForm, FieldErrors)>,
) -> Reply {
    let (form, errors) = submitted.unwrap_or_else(|| (ExtensionForm::blank(), FieldErrors::new()));
    render_status(
        form_status(&errors),
        &ExtensionsTab {
            layout: cx.layout(catalog.display_name.clone()),
            catalog,
            tab: Tab::Extensions,
            extensions,
            form,
            errors,
            longest_days: MAX_WAIT_MINUTES / (24 * 60),
        },
    )
}

#[derive(Template)]
#[template(path = "admin/catalogs/extension.html")]
struct ExtensionPage {
    layout: Layout,
    catalog: CatalogRow,
    tab: Tab,
    extension: ExtensionRow,
    used_by: Vec<(String, String)>,
    form: ExtensionForm,
    errors: FieldErrors,
    /// A signing secret just made: shown in this answer only.
    secret: Option<String>,
    longest_days: i64,
}

/// An extension's page, with a signing secret just made (`secret`).
fn shown(
    cx: &Ctx<impl ConsoleWho>,
    details: svc::ExtensionDetails,
    submitted: Option<(ExtensionForm, FieldErrors)>,
    secret: Option<String>,
) -> Reply {
    let svc::ExtensionDetails {
        catalog: cat,
        extension,
        used_by,
    } = details;
    let (form, errors) =
        submitted.unwrap_or_else(|| (ExtensionForm::from_row(&extension), FieldErrors::new()));
    render_status(
        form_status(&errors),
        &ExtensionPage {
            layout: cx.layout(extension.display_name.clone()),
            catalog: cat,
            tab: Tab::Extensions,
            extension,
            used_by,
            form,
            errors,
            secret,
            longest_days: MAX_WAIT_MINUTES / (24 * 60),
        },
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    cx: Console,
    PathId(catalog): PathId<CatalogId>,
    form: Form<ExtensionForm>,
) -> Reply {
    let f = form.0;
    let result = svc::create(cx.store(), &cx.actor(), &catalog, &f.input, cx.now()).await?;
    match result {
        // Its page, with the signing secret shown this once (never in a redirect).
        Saved::Done((details, secret)) => shown(&cx, details, None, secret),
        Saved::Again(listed, errors) => listing(&cx, listed, Some((f, errors))),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn show(
    cx: CatalogConsole<Read>,
    PathIds(catalog, ext): PathIds<CatalogId, CustomExtensionId>,
) -> Reply {
    shown(
        &cx,
        svc::details(cx.store(), &catalog, &ext).await?,
        None,
        None,
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    cx: Console,
    PathIds(catalog, ext): PathIds<CatalogId, CustomExtensionId>,
    form: Form<ExtensionForm>,
) -> Reply {
    let f = form.0;
    let now = cx.now();
    let rotate = f.rotate.is_some();
    let result = svc::update(
        cx.store(),
        &cx.actor(),
        &catalog,
        &ext,
        &f.input,
        rotate,
        now,
    )
    .await?;
    match result {
        Saved::Done(Some((details, secret))) => shown(&cx, details, None, Some(secret)),
        Saved::Done(None) => cx.done(
            "Custom extension saved.",
            &routes::ADMIN_CATALOG_EXTENSION.ids(&catalog, &ext),
        ),
        Saved::Again(details, errors) => shown(&cx, details, Some((f, errors)), None),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn delete(
    cx: Console,
    PathIds(catalog, ext): PathIds<CatalogId, CustomExtensionId>,
    _form: Form<NoFields>,
) -> Reply {
    match svc::delete(cx.store(), &cx.actor(), &catalog, &ext, cx.now()).await {
        Ok(name) => cx.done(
            format!("{name} is deleted."),
            &routes::ADMIN_CATALOG_EXTENSIONS.id(&catalog),
        ),
        Err(ServiceError::Refused(m)) => {
            cx.session.flash("error", m);
            Ok(redirect(
                &routes::ADMIN_CATALOG_EXTENSION.ids(&catalog, &ext),
            ))
        }
        Err(e) => Err(e.into()),
    }
}
