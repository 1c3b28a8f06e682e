//! Admin › Applications: list, search, create, edit, app roles.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::links::{LinkSearch, LinksPanel};
use super::list::{Cell, ForDelegates, ListSpec, Lists, col, num};
use crate::domain::catalog::OriginSystem;
use crate::domain::directory::{ApplicationProfile, DEFAULT_ACCESS_ROLE, Named};
use crate::domain::ids::ApplicationId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::directory;
use crate::store::directory::{AppRoleRow, Holder, ResourceSummary};
use crate::web::Reply;
use crate::web::admin::console::Console;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::{Layout, form_status, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.editable(&LIST, create, new_form, show, update);
}

const LIST: ListSpec<ResourceSummary> = ListSpec {
    search: |store, _, q, at| {
        Box::pin(directory::resources(
            store,
            OriginSystem::AadApplication,
            q,
            at,
        ))
    },
    title: "Applications",
    paths: routes::ADMIN_APPLICATIONS,
    one: "application",
    placeholder: "Application name",
    columns: &[
        col("App roles", |a| Cell::maybe(a.detail.as_deref())),
        col("Description", |a| Cell::maybe(a.description.as_deref())),
        num("Role holders", |a| a.holders),
    ],
    delegates: ForDelegates::No,
};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AppForm {
    display_name: String,
    description: String,
    /// One role per line.
    roles: String,
}

#[derive(Template)]
#[template(path = "admin/application_form.html")]
struct AppPage {
    layout: Layout,
    app_id: Option<String>,
    form: AppForm,
    errors: FieldErrors,
    roles: Vec<AppRoleRow>,
    holders: Vec<Holder>,
    default_role: &'static str,
    panel: Option<LinksPanel>,
}

/// The new application page: empty, or again with what was sent and why it was refused.
fn new_page(cx: &Console, form: AppForm, errors: FieldErrors) -> Reply {
    let status = form_status(&errors);
    let page = AppPage {
        layout: cx.layout("New application"),
        app_id: None,
        form,
        errors,
        roles: vec![],
        holders: vec![],
        default_role: DEFAULT_ACCESS_ROLE,
        panel: None,
    };
    render_status(status, &page)
}

#[tracing::instrument(skip_all)]
async fn new_form(cx: Console) -> Reply {
    let form = AppForm::default();
    new_page(&cx, form, FieldErrors::new())
}

#[tracing::instrument(skip_all)]
async fn create(cx: Console, Form(form): Form<AppForm>) -> Reply {
    let id = ApplicationId::new();
    let parsed = ApplicationProfile::parse(&form.display_name, &form.description, &form.roles);
    let create = cx.save(parsed, async |s, a, p, now| {
        directory::create(s, a, Named::Application(&id, &p), now).await
    });
    match create.await? {
        Ok(()) => cx.created(
            "Application",
            &form.display_name,
            &routes::ADMIN_APPLICATIONS.item.id(&id),
        ),
        Err(errors) => new_page(&cx, form, errors),
    }
}

async fn app_page(
    cx: &Console,
    id: &ApplicationId,
    form: Option<AppForm>,
    errors: FieldErrors,
    search: LinkSearch,
) -> Reply {
    let (app, roles, holders) = directory::application(cx.store(), id).await?;
    let panel = LinksPanel::load(cx, "applications", &app.id, search).await?;
    let status = form_status(&errors);
    let form = form.unwrap_or_else(|| AppForm {
        display_name: app.display_name.clone(),
        description: app.description.clone().unwrap_or_default(),
        roles: roles
            .iter()
            .map(|r| r.display_name.clone())
            .collect::<Vec<_>>()
            .join("\n"),
    });
    let page = AppPage {
        layout: cx.layout(app.display_name),
        app_id: Some(app.id),
        form,
        errors,
        roles,
        holders,
        default_role: DEFAULT_ACCESS_ROLE,
        panel: Some(panel),
    };
    render_status(status, &page)
}

fn parse_id(raw: &str) -> Result<ApplicationId, AppError> {
    ApplicationId::parse(raw).ok_or(AppError::NotFound)
}

#[tracing::instrument(skip_all)]
async fn show(cx: Console, path: web::Path<String>, search: web::Query<LinkSearch>) -> Reply {
    let (id, search) = (parse_id(&path)?, search.into_inner());
    app_page(&cx, &id, None, FieldErrors::new(), search).await
}

#[tracing::instrument(skip_all)]
async fn update(cx: Console, path: web::Path<String>, Form(form): Form<AppForm>) -> Reply {
    let id = parse_id(&path)?;
    let parsed = ApplicationProfile::parse(&form.display_name, &form.description, &form.roles);
    let saved = cx.save(parsed, async |s, a, p, now| {
        directory::update(s, a, Named::Application(&id, &p), now).await
    });
    match saved.await? {
        Ok(()) => cx.done("Changes saved.", &routes::ADMIN_APPLICATIONS.item.id(&id)),
        Err(errors) => app_page(&cx, &id, Some(form), errors, LinkSearch::default()).await,
    }
}
