//! Admin › Settings: the organization's own mail domains, the domains guests
//! may come from and its time zone, and what happens
//! to governed guests when their last assignment ends (the external user
//! lifecycle).

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::ids::UserId;
use crate::domain::lifecycle::{GuestLifecycle, MAX_DAYS_UNTIL_DELETION};
use crate::domain::tenant::{TenantInput, TenantSettings};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::{Saved, ServiceError, catalog_roles, settings};
use crate::store::catalog_roles::CreatorRow;
use crate::web::admin::console::Console;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, render_status};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.form(routes::ADMIN_SETTINGS, page, save)
        .post(routes::ADMIN_SETTINGS_ORGANIZATION, save_organization)
        .post(routes::ADMIN_SETTINGS_CATALOG_CREATORS, add_creator)
        .post(
            routes::ADMIN_SETTINGS_CATALOG_CREATOR_REMOVE,
            remove_creator,
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
    collaboration: String,
    collaboration_domains: String,
    show_approvers: bool,
    creators: Vec<CreatorRow>,
    creator_email: String,
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
    creators: Vec<CreatorRow>,
    creator_email: String,
}

async fn current(cx: &Console) -> Result<Values, AppError> {
    Ok(values(settings::current(cx.store()).await?))
}

fn values((guests, tenant, creators): settings::Current) -> Values {
    Values {
        action: guests.action.as_str().into(),
        days: guests.days_until_deletion.to_string(),
        domains: tenant.domains.join("\n"),
        time_zone: tenant.time_zone,
        collaboration: tenant.collaboration.as_str().into(),
        collaboration_domains: tenant.collaboration_domains.join("\n"),
        show_approvers: tenant.show_approvers,
        creators,
        creator_email: String::new(),
    }
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
            creators: v.creators,
            creator_email: v.creator_email,
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
    // Only settings that parse reach the service: a form that does not is
    // shown again (one read), and nothing is saved.
    let value = match GuestLifecycle::parse(&form.action, &form.days) {
        Ok(value) => value,
        Err(errors) => {
            let mut v = current(&cx).await?;
            (v.action, v.days) = (form.action, form.days);
            return show(&cx, v, errors).await;
        }
    };
    settings::save_guest_lifecycle(cx.store(), &cx.actor(), value, cx.now()).await?;
    cx.done("Settings saved.", routes::ADMIN_SETTINGS.as_str())
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
    // As above: a form that does not parse is shown again, nothing saved.
    let value = match parsed {
        Ok(value) => value,
        Err(errors) => {
            let mut v = current(&cx).await?;
            (v.domains, v.time_zone) = (form.domains, form.time_zone);
            (v.collaboration, v.collaboration_domains) =
                (form.collaboration, form.collaboration_domains);
            v.show_approvers = form.show_approvers.is_some();
            return show(&cx, v, errors).await;
        }
    };
    settings::save_tenant(cx.store(), &cx.actor(), value, cx.now()).await?;
    cx.done(
        "Organization settings saved.",
        routes::ADMIN_SETTINGS.as_str(),
    )
}

#[derive(Deserialize)]
pub struct CreatorForm {
    #[serde(default)]
    creator_email: String,
}

#[tracing::instrument(skip_all)]
async fn add_creator(cx: Console, Form(form): Form<CreatorForm>) -> Reply {
    let (email, now) = (&form.creator_email, cx.now());
    match catalog_roles::add_creator(cx.store(), &cx.actor(), email, now).await? {
        Saved::Done(message) => cx.done(
            message,
            &format!("{}#catalog-creators", routes::ADMIN_SETTINGS),
        ),
        Saved::Again(current, errors) => {
            let mut v = values(current);
            v.creator_email = form.creator_email;
            show(&cx, v, errors).await
        }
    }
}

#[tracing::instrument(skip_all)]
async fn remove_creator(
    cx: Console,
    PathId(user): PathId<UserId>,
    _form: Form<crate::web::extract::csrf::NoFields>,
) -> Reply {
    let result = catalog_roles::remove_creator(cx.store(), &cx.actor(), &user, cx.now()).await;
    let to = format!("{}#catalog-creators", routes::ADMIN_SETTINGS);
    match result {
        Ok(message) => cx.done(message, &to),
        Err(ServiceError::Refused(m)) => cx.refused(m, &to),
        Err(e) => Err(e.into()),
    }
}
