//! Admin › Settings: the organization's own mail domains, the domains guests
//! may come from and its time zone, and what happens
//! to governed guests when their last assignment ends (the external user
//! lifecycle).

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::lifecycle::{GuestLifecycle, MAX_DAYS_UNTIL_DELETION};
use crate::domain::tenant::{TenantInput, TenantSettings};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::settings;
use crate::web::Reply;
use crate::web::admin::console::Console;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::routing::Router;
use crate::web::{Layout, form_status, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.form(routes::ADMIN_SETTINGS, page, save)
        .post(routes::ADMIN_SETTINGS_ORGANIZATION, save_organization);
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
    collaboration: String,
    collaboration_domains: String,
    show_approvers: bool,
    errors: FieldErrors,
}

/// What the page's two forms show: the values in force, or those just sent.
struct Values {
    action: String,
    days: String,
    domains: String,
    time_zone: String,
    collaboration: String,
    collaboration_domains: String,
    show_approvers: bool,
}

async fn current(cx: &Console) -> Result<Values, AppError> {
    let (guests, tenant) = settings::current(cx.store()).await?;
    Ok(Values {
        action: guests.action.as_str().into(),
        days: guests.days_until_deletion.to_string(),
        domains: tenant.domains.join("\n"),
        time_zone: tenant.time_zone,
        collaboration: tenant.collaboration.as_str().into(),
        collaboration_domains: tenant.collaboration_domains.join("\n"),
        show_approvers: tenant.show_approvers,
    })
}

async fn show(cx: &Console, v: Values, errors: FieldErrors) -> Reply {
    render_status(
        form_status(&errors),
        &SettingsPage {
            layout: cx.layout("Settings"),
            action: v.action,
            days: v.days,
            max_days: MAX_DAYS_UNTIL_DELETION,
            domains: v.domains,
            time_zone: v.time_zone,
            collaboration: v.collaboration,
            collaboration_domains: v.collaboration_domains,
            show_approvers: v.show_approvers,
            errors,
        },
    )
}

#[tracing::instrument(skip_all)]
async fn page(cx: Console) -> Reply {
    let v = current(&cx).await?;
    show(&cx, v, FieldErrors::new()).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    days: String,
}

#[tracing::instrument(skip_all)]
async fn save(cx: Console, Form(form): Form<SettingsForm>) -> Reply {
    let parsed = GuestLifecycle::parse(&form.action, &form.days);
    let Err(errors) = cx.save(parsed, settings::save_guest_lifecycle).await? else {
        return cx.done("Settings saved.", routes::ADMIN_SETTINGS.as_str());
    };
    let mut v = current(&cx).await?;
    (v.action, v.days) = (form.action, form.days);
    show(&cx, v, errors).await
}

#[derive(Deserialize)]
pub struct OrganizationForm {
    #[serde(default)]
    domains: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    collaboration: String,
    #[serde(default)]
    collaboration_domains: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    show_approvers: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn save_organization(cx: Console, Form(form): Form<OrganizationForm>) -> Reply {
    let parsed = TenantSettings::parse(TenantInput {
        domains: &form.domains,
        time_zone: &form.time_zone,
        collaboration: &form.collaboration,
        collaboration_domains: &form.collaboration_domains,
        show_approvers: form.show_approvers.is_some(),
    });
    let Err(errors) = cx.save(parsed, settings::save_tenant).await? else {
        return cx.done(
            "Organization settings saved.",
            routes::ADMIN_SETTINGS.as_str(),
        );
    };
    let mut v = current(&cx).await?;
    (v.domains, v.time_zone) = (form.domains, form.time_zone);
    (v.collaboration, v.collaboration_domains) = (form.collaboration, form.collaboration_domains);
    v.show_approvers = form.show_approvers.is_some();
    show(&cx, v, errors).await
}
