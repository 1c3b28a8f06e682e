//! Admin › Settings: what happens to governed guests when their last
//! assignment ends (the external user lifecycle).

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::Form;
use crate::auth::guard::AdminUser;
use crate::auth::session::TypedSession;
use crate::domain::lifecycle::{GuestLifecycle, MAX_DAYS_UNTIL_DELETION};
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::service::lifecycle;
use crate::web::{Data, Layout, redirect, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/settings", web::get().to(page))
        .route("/admin/settings", web::post().to(save));
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    layout: Layout,
    action: String,
    days: String,
    max_days: u32,
    errors: FieldErrors,
}

async fn show(
    state: &Data,
    admin: &AdminUser,
    action: String,
    days: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &SettingsPage {
            layout: Layout::for_user(state, admin, "admin", "Settings"),
            action,
            days,
            max_days: MAX_DAYS_UNTIL_DELETION,
            errors,
        },
    )
}

async fn page(state: Data, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let current = {
        let mut conn = state.store.read().await?;
        lifecycle::guest_lifecycle(&mut conn).await?
    };
    show(
        &state,
        &admin,
        current.action.as_str().into(),
        current.days_until_deletion.to_string(),
        FieldErrors::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    days: String,
}

async fn save(
    state: Data,
    admin: AdminUser,
    session: Session,
    form: Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    match GuestLifecycle::parse(&form.action, &form.days) {
        Ok(value) => {
            lifecycle::save_guest_lifecycle(&state.store, &admin.actor(), value, state.clock.now())
                .await?;
            TypedSession(session).flash("success", "Settings saved.");
            Ok(redirect("/admin/settings"))
        }
        Err(errors) => show(&state, &admin, form.action, form.days, errors).await,
    }
}
