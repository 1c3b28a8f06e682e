//! Admin › Sites: list, search, create, edit; roles Member, Owner, Visitor.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::links::{LinkSearch, LinksPanel};
use super::list::{Cell, ForDelegates, ListSpec, Lists, col, num};
use crate::domain::catalog::OriginSystem;
use crate::domain::directory::{Named, SiteProfile, SiteRole};
use crate::domain::ids::SiteId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::directory;
use crate::store::directory::{Holder, ResourceSummary};
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
            OriginSystem::SharePointOnline,
            q,
            at,
        ))
    },
    title: "Sites",
    paths: routes::ADMIN_SITES,
    one: "site",
    placeholder: "Site name",
    columns: &[
        col("Address", |s| Cell::maybe(s.detail.as_deref())),
        col("Description", |s| Cell::maybe(s.description.as_deref())),
        num("People with a role", |s| s.holders),
    ],
    delegates: ForDelegates::No,
};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SiteForm {
    display_name: String,
    description: String,
    url: String,
}

#[derive(Template)]
#[template(path = "admin/site_form.html")]
struct SitePage {
    layout: Layout,
    site_id: Option<String>,
    form: SiteForm,
    errors: FieldErrors,
    roles: Vec<&'static str>,
    holders: Vec<Holder>,
    panel: Option<LinksPanel>,
}

/// The new site page: empty, or again with what was sent and why it was refused.
fn new_page(cx: &Console, form: SiteForm, errors: FieldErrors) -> Reply {
    let status = form_status(&errors);
    let page = SitePage {
        layout: cx.layout("New site"),
        site_id: None,
        form,
        errors,
        roles: site_roles(),
        holders: vec![],
        panel: None,
    };
    render_status(status, &page)
}

#[tracing::instrument(skip_all)]
async fn new_form(cx: Console) -> Reply {
    let form = SiteForm::default();
    new_page(&cx, form, FieldErrors::new())
}

#[tracing::instrument(skip_all)]
async fn create(cx: Console, Form(form): Form<SiteForm>) -> Reply {
    let id = SiteId::new();
    let parsed = SiteProfile::parse(&form.display_name, &form.description, &form.url);
    let create = cx.save(parsed, async |s, a, p, now| {
        directory::create(s, a, Named::Site(&id, &p), now).await
    });
    match create.await? {
        Ok(()) => cx.created(
            "Site",
            &form.display_name,
            &routes::ADMIN_SITES.item.id(&id),
        ),
        Err(errors) => new_page(&cx, form, errors),
    }
}

async fn site_page(
    cx: &Console,
    id: &SiteId,
    form: Option<SiteForm>,
    errors: FieldErrors,
    search: LinkSearch,
) -> Reply {
    let (site, holders) = directory::site(cx.store(), id).await?;
    let panel = LinksPanel::load(cx, "sites", &site.id, search).await?;
    let status = form_status(&errors);
    let form = form.unwrap_or_else(|| SiteForm {
        display_name: site.display_name.clone(),
        description: site.description.clone().unwrap_or_default(),
        url: site.url.clone(),
    });
    let page = SitePage {
        layout: cx.layout(site.display_name),
        site_id: Some(site.id),
        form,
        errors,
        roles: site_roles(),
        holders,
        panel: Some(panel),
    };
    render_status(status, &page)
}

fn site_roles() -> Vec<&'static str> {
    SiteRole::ALL.iter().map(|r| r.label()).collect()
}

fn parse_id(raw: &str) -> Result<SiteId, AppError> {
    SiteId::parse(raw).ok_or(AppError::NotFound)
}

#[tracing::instrument(skip_all)]
async fn show(cx: Console, path: web::Path<String>, search: web::Query<LinkSearch>) -> Reply {
    let (id, search) = (parse_id(&path)?, search.into_inner());
    site_page(&cx, &id, None, FieldErrors::new(), search).await
}

#[tracing::instrument(skip_all)]
async fn update(cx: Console, path: web::Path<String>, Form(form): Form<SiteForm>) -> Reply {
    let id = parse_id(&path)?;
    let parsed = SiteProfile::parse(&form.display_name, &form.description, &form.url);
    let saved = cx.save(parsed, async |s, a, p, now| {
        directory::update(s, a, Named::Site(&id, &p), now).await
    });
    match saved.await? {
        Ok(()) => cx.done("Changes saved.", &routes::ADMIN_SITES.item.id(&id)),
        Err(errors) => site_page(&cx, &id, Some(form), errors, LinkSearch::default()).await,
    }
}
