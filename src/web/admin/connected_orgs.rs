//! Admin › Connected organizations.

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{ListQuery, PER_PAGE, page_link};
use crate::domain::connected_org::{ConnectedOrgInput, ConnectedOrgProfile};
use crate::domain::ids::ConnectedOrgId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::ServiceError;
use crate::service::connected_orgs::{self as svc, SponsorInput};
use crate::store::Page;
use crate::store::connected_orgs::{self, OrgRow};
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, page_number, redirect, render, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ADMIN_ORGS.as_str(), web::get().to(list))
        .route(routes::ADMIN_ORGS.as_str(), web::post().to(create))
        .route(routes::ADMIN_ORG_NEW.as_str(), web::get().to(new_form))
        .route(routes::ADMIN_ORG.pattern(), web::get().to(show))
        .route(routes::ADMIN_ORG.pattern(), web::post().to(update))
        .route(routes::ADMIN_ORG_DELETE.pattern(), web::post().to(delete));
}

#[derive(Template)]
#[template(path = "admin/connected_orgs.html")]
struct OrgList {
    layout: Layout,
    q: String,
    page: Page<OrgRow>,
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
    let page = connected_orgs::search(&mut conn, &q.q, page_no, PER_PAGE).await?;
    render(&OrgList {
        layout: Layout::for_user(&state, &admin, "admin", "Connected organizations"),
        prev: page_link(routes::ADMIN_ORGS.as_str(), &q.q, page_no - 1),
        next: page_link(routes::ADMIN_ORGS.as_str(), &q.q, page_no + 1),
        q: q.q.clone(),
        page,
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct OrgForm {
    display_name: String,
    description: String,
    state: String,
    domains: String,
    oidc_issuer: String,
    oidc_client_id: String,
    oidc_client_secret: String,
    internal_sponsors: String,
    external_sponsors: String,
}

impl OrgForm {
    fn input(&self) -> ConnectedOrgInput {
        ConnectedOrgInput {
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            state: self.state.clone(),
            domains: self.domains.clone(),
            oidc_issuer: self.oidc_issuer.clone(),
            oidc_client_id: self.oidc_client_id.clone(),
            oidc_client_secret: self.oidc_client_secret.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/connected_org_form.html")]
struct OrgPage {
    layout: Layout,
    org_id: Option<String>,
    has_secret: bool,
    form: OrgForm,
    errors: FieldErrors,
}

async fn new_form(state: Data, admin: AdminUser) -> Result<HttpResponse, AppError> {
    render(&OrgPage {
        layout: Layout::for_user(&state, &admin, "admin", "New connected organization"),
        org_id: None,
        has_secret: false,
        form: OrgForm {
            state: "configured".into(),
            ..Default::default()
        },
        errors: FieldErrors::new(),
    })
}

fn parse_id(raw: &str) -> Result<ConnectedOrgId, AppError> {
    ConnectedOrgId::parse(raw).ok_or(AppError::NotFound)
}

async fn org_page(
    state: &Data,
    admin: &AdminUser,
    id: &ConnectedOrgId,
    form: Option<OrgForm>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.store.read().await?;
    let org = connected_orgs::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = match form {
        Some(mut f) => {
            // A typed secret is never sent back to the browser.
            f.oidc_client_secret.clear();
            f
        }
        None => {
            let sponsors = connected_orgs::sponsors(&mut conn, id).await?;
            let emails = |kind: &str| {
                sponsors
                    .iter()
                    .filter(|s| s.sponsor_type == kind)
                    .map(|s| s.email.clone())
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            OrgForm {
                display_name: org.display_name.clone(),
                description: org.description.clone().unwrap_or_default(),
                state: org.state.clone(),
                domains: org.domains.join("\n"),
                oidc_issuer: org.oidc_issuer.clone().unwrap_or_default(),
                oidc_client_id: org.oidc_client_id.clone().unwrap_or_default(),
                oidc_client_secret: String::new(),
                internal_sponsors: emails("internal"),
                external_sponsors: emails("external"),
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &OrgPage {
            layout: Layout::for_user(state, admin, "admin", org.display_name.clone()),
            org_id: Some(org.id.clone()),
            has_secret: org.has_secret == 1,
            form,
            errors,
        },
    )
}

async fn show(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    org_page(&state, &admin, &parse_id(&path)?, None, FieldErrors::new()).await
}

async fn save(
    state: &Data,
    admin: &AdminUser,
    id: Option<&ConnectedOrgId>,
    form: &OrgForm,
) -> Result<ConnectedOrgId, ServiceError> {
    let has_secret = match id {
        Some(id) => {
            let mut conn = state.store.read().await?;
            connected_orgs::get(&mut conn, id)
                .await?
                .is_some_and(|o| o.has_secret == 1)
        }
        None => false,
    };
    let profile = ConnectedOrgProfile::parse(&form.input(), has_secret);
    let sponsors = SponsorInput {
        internal: &form.internal_sponsors,
        external: &form.external_sponsors,
    };
    svc::save(
        &state.store,
        &admin.actor(),
        id,
        profile,
        sponsors,
        state.clock.now(),
    )
    .await
}

async fn create(
    state: Data,
    admin: AdminUser,
    session: Session,
    form: Form<OrgForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = form.0;
    match save(&state, &admin, None, &form).await {
        Ok(id) => {
            TypedSession(session).flash(
                "success",
                format!(
                    "Connected organization {} created.",
                    form.display_name.trim()
                ),
            );
            Ok(redirect(&routes::ADMIN_ORG.id(&id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            form.oidc_client_secret.clear();
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &OrgPage {
                    layout: Layout::for_user(&state, &admin, "admin", "New connected organization"),
                    org_id: None,
                    has_secret: false,
                    form,
                    errors,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn update(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    form: Form<OrgForm>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let form = form.0;
    match save(&state, &admin, Some(&id), &form).await {
        Ok(_) => {
            TypedSession(session).flash("success", "Changes saved.");
            Ok(redirect(&routes::ADMIN_ORG.id(&id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            org_page(&state, &admin, &id, Some(form), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    _form: Form<crate::web::extract::csrf::NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let session = TypedSession(session);
    match svc::delete(&state.store, &admin.actor(), &id, state.clock.now()).await {
        Ok(name) => {
            session.flash("success", format!("Connected organization {name} deleted."));
            Ok(redirect(routes::ADMIN_ORGS.as_str()))
        }
        Err(ServiceError::Refused(m)) => {
            session.flash("error", m);
            Ok(redirect(&routes::ADMIN_ORG.id(&id)))
        }
        Err(e) => Err(e.into()),
    }
}
