//! Admin › Settings: the organization's own mail domains and time zone, and what happens
//! to governed guests when their last assignment ends (the external user
//! lifecycle).

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::lifecycle::{GuestLifecycle, MAX_DAYS_UNTIL_DELETION};
use crate::domain::tenant::TenantSettings;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::settings;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, form_status, redirect, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ADMIN_SETTINGS.as_str(), web::get().to(page))
        .route(routes::ADMIN_SETTINGS.as_str(), web::post().to(save))
        .route(
            routes::ADMIN_SETTINGS_ORGANIZATION.as_str(),
            web::post().to(save_organization),
        );
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    layout: Layout,
    action: String,
    days: String,
    max_days: u32,
    domains: String,
    time_zone: String,
    errors: FieldErrors,
}

/// What the page's two forms show: the values in force, or those just sent.
struct Values {
    action: String,
    days: String,
    domains: String,
    time_zone: String,
}

async fn current(state: &Data) -> Result<Values, AppError> {
    let (guests, tenant) = settings::current(&state.store).await?;
    Ok(Values {
        action: guests.action.as_str().into(),
        days: guests.days_until_deletion.to_string(),
        domains: tenant.domains.join("\n"),
        time_zone: tenant.time_zone,
    })
}

async fn show(
    state: &Data,
    admin: &AdminUser,
    v: Values,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    render_status(
        form_status(&errors),
        &SettingsPage {
            layout: Layout::for_user(state, admin, "admin", "Settings"),
            action: v.action,
            days: v.days,
            max_days: MAX_DAYS_UNTIL_DELETION,
            domains: v.domains,
            time_zone: v.time_zone,
            errors,
        },
    )
}

#[tracing::instrument(skip_all)]
async fn page(state: Data, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let v = current(&state).await?;
    show(&state, &admin, v, FieldErrors::new()).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    days: String,
}

#[tracing::instrument(skip_all)]
async fn save(
    state: Data,
    admin: AdminUser,
    session: Session,
    form: Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    match GuestLifecycle::parse(&form.action, &form.days) {
        Ok(value) => {
            settings::save_guest_lifecycle(&state.store, &admin.actor(), value, state.clock.now())
                .await?;
            TypedSession(session).flash("success", "Settings saved.");
            Ok(redirect(routes::ADMIN_SETTINGS.as_str()))
        }
        Err(errors) => {
            let v = Values {
                action: form.action,
                days: form.days,
                ..current(&state).await?
            };
            show(&state, &admin, v, errors).await
        }
    }
}

#[derive(Deserialize)]
pub struct OrganizationForm {
    #[serde(default)]
    domains: String,
    #[serde(default)]
    time_zone: String,
}

#[tracing::instrument(skip_all)]
async fn save_organization(
    state: Data,
    admin: AdminUser,
    session: Session,
    form: Form<OrganizationForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    match TenantSettings::parse(&form.domains, &form.time_zone) {
        Ok(value) => {
            settings::save_tenant(&state.store, &admin.actor(), &value, state.clock.now()).await?;
            TypedSession(session).flash("success", "Organization settings saved.");
            Ok(redirect(routes::ADMIN_SETTINGS.as_str()))
        }
        Err(errors) => {
            let v = Values {
                domains: form.domains,
                time_zone: form.time_zone,
                ..current(&state).await?
            };
            show(&state, &admin, v, errors).await
        }
    }
}
