//! Admin › Sites: list, search, create, edit; roles Member, Owner, Visitor.

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::links::{LinkSearch, LinksPanel};
use super::list::{Cell, ListSpec, col, num, render_list};
use super::{ListQuery, PER_PAGE};
use crate::domain::directory::{SiteProfile, SiteRole};
use crate::domain::ids::SiteId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::{ServiceError, directory};
use crate::store::directory::Holder;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, form_status, page_number, redirect, render, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ADMIN_SITES.as_str(), web::get().to(list))
        .route(routes::ADMIN_SITES.as_str(), web::post().to(create))
        .route(routes::ADMIN_SITE_NEW.as_str(), web::get().to(new_form))
        .route(routes::ADMIN_SITE.pattern(), web::get().to(show))
        .route(routes::ADMIN_SITE.pattern(), web::post().to(update));
}

const LIST: ListSpec = ListSpec {
    title: "Sites",
    sub: "sites",
    path: routes::ADMIN_SITES,
    new: routes::ADMIN_SITE_NEW,
    one: "site",
    many: "sites",
    placeholder: "Site name",
    columns: &[
        col("Name"),
        col("Address"),
        col("Description"),
        num("People with a role"),
    ],
};

#[tracing::instrument(skip_all)]
async fn list(
    state: Data,
    admin: AdminUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = directory::sites(&state.store, &q.q, page_number(q.page), PER_PAGE).await?;
    render_list(&state, &admin, &LIST, &q, page, |s| {
        vec![
            Cell::link(s.display_name, routes::ADMIN_SITE.id(&s.id)),
            Cell::text(s.detail.unwrap_or_default()),
            Cell::text(s.description.unwrap_or_default()),
            Cell::num(s.holders),
        ]
    })
}

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

#[tracing::instrument(skip_all)]
async fn new_form(state: Data, admin: AdminUser) -> Result<HttpResponse, AppError> {
    render(&SitePage {
        layout: Layout::for_user(&state, &admin, "admin", "New site"),
        site_id: None,
        form: SiteForm::default(),
        errors: FieldErrors::new(),
        roles: site_roles(),
        holders: vec![],
        panel: None,
    })
}

#[tracing::instrument(skip_all)]
async fn create(
    state: Data,
    admin: AdminUser,
    session: Session,
    form: Form<SiteForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let result = match SiteProfile::parse(&form.display_name, &form.description, &form.url) {
        Ok(p) => directory::create_site(&state.store, &admin.actor(), &p, state.clock.now()).await,
        Err(e) => Err(ServiceError::Invalid(e)),
    };
    match result {
        Ok(id) => {
            TypedSession(session).flash(
                "success",
                format!("Site {} created.", form.display_name.trim()),
            );
            Ok(redirect(&routes::ADMIN_SITE.id(&id)))
        }
        Err(ServiceError::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SitePage {
                layout: Layout::for_user(&state, &admin, "admin", "New site"),
                site_id: None,
                form,
                errors,
                roles: site_roles(),
                holders: vec![],
                panel: None,
            },
        ),
        Err(e) => Err(e.into()),
    }
}

async fn site_page(
    state: &Data,
    admin: &AdminUser,
    id: &SiteId,
    form: Option<SiteForm>,
    errors: FieldErrors,
    search: LinkSearch,
) -> Result<HttpResponse, AppError> {
    let (site, holders) = directory::site(&state.store, id).await?;
    let panel = LinksPanel::load(state, "sites", &site.id, search).await?;
    let status = form_status(&errors);
    let form = form.unwrap_or_else(|| SiteForm {
        display_name: site.display_name.clone(),
        description: site.description.clone().unwrap_or_default(),
        url: site.url.clone(),
    });
    let page = SitePage {
        layout: Layout::for_user(state, admin, "admin", site.display_name),
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
async fn show(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
    search: web::Query<LinkSearch>,
) -> Result<HttpResponse, AppError> {
    let (id, search) = (parse_id(&path)?, search.into_inner());
    site_page(&state, &admin, &id, None, FieldErrors::new(), search).await
}

#[tracing::instrument(skip_all)]
async fn update(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    form: Form<SiteForm>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let form = form.0;
    let result = match SiteProfile::parse(&form.display_name, &form.description, &form.url) {
        Ok(p) => {
            directory::update_site(&state.store, &admin.actor(), &id, &p, state.clock.now()).await
        }
        Err(e) => Err(ServiceError::Invalid(e)),
    };
    match result {
        Ok(()) => {
            TypedSession(session).flash("success", "Changes saved.");
            Ok(redirect(&routes::ADMIN_SITE.id(&id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            site_page(
                &state,
                &admin,
                &id,
                Some(form),
                errors,
                LinkSearch::default(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
