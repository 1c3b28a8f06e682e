//! Admin › Sites: list, search, create, edit; roles Member, Owner, Visitor.

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{ListQuery, PER_PAGE, page_link};
use crate::domain::directory::{SiteProfile, SiteRole};
use crate::domain::ids::SiteId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::{ServiceError, directory};
use crate::store::Page;
use crate::store::directory::{self as dir, Holder, ResourceSummary};
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, page_number, redirect, render, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ADMIN_SITES.as_str(), web::get().to(list))
        .route(routes::ADMIN_SITES.as_str(), web::post().to(create))
        .route(routes::ADMIN_SITE_NEW.as_str(), web::get().to(new_form))
        .route(routes::ADMIN_SITE.pattern(), web::get().to(show))
        .route(routes::ADMIN_SITE.pattern(), web::post().to(update));
}

#[derive(Template)]
#[template(path = "admin/sites.html")]
struct SiteList {
    layout: Layout,
    q: String,
    page: Page<ResourceSummary>,
    prev: String,
    next: String,
}

async fn list(
    state: Data,
    admin: AdminUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page_no = page_number(q.page);
    let mut conn = state.store.read().await?;
    let page = dir::search_sites(&mut conn, &q.q, page_no, PER_PAGE).await?;
    render(&SiteList {
        layout: Layout::for_user(&state, &admin, "admin", "Sites"),
        prev: page_link(routes::ADMIN_SITES.as_str(), &q.q, page_no - 1),
        next: page_link(routes::ADMIN_SITES.as_str(), &q.q, page_no + 1),
        q: q.q.clone(),
        page,
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
}

async fn new_form(state: Data, admin: AdminUser) -> Result<HttpResponse, AppError> {
    render(&SitePage {
        layout: Layout::for_user(&state, &admin, "admin", "New site"),
        site_id: None,
        form: SiteForm::default(),
        errors: FieldErrors::new(),
        roles: site_roles(),
        holders: vec![],
    })
}

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
) -> Result<HttpResponse, AppError> {
    let mut conn = state.store.read().await?;
    let site = dir::get_site(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
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
        holders: dir::site_holders(&mut conn, id).await?,
    };
    render_status(status, &page)
}

fn site_roles() -> Vec<&'static str> {
    SiteRole::ALL.iter().map(|r| r.label()).collect()
}

fn parse_id(raw: &str) -> Result<SiteId, AppError> {
    SiteId::parse(raw).ok_or(AppError::NotFound)
}

async fn show(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    site_page(&state, &admin, &parse_id(&path)?, None, FieldErrors::new()).await
}

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
            site_page(&state, &admin, &id, Some(form), errors).await
        }
        Err(e) => Err(e.into()),
    }
}
