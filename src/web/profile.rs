//! Your profile: who you are signed in as, and the time zone you read times
//! in (the browser's unless you choose one).

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::routes;
use crate::store::directory::HeldRole;
use crate::web::Reply;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::Requester;
use crate::web::extract::session::TypedSession;
use crate::web::routing::Router;
use crate::web::{Data, Layout, redirect, render};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.get(routes::PROFILE, show).post(routes::PROFILE, save);
}

#[derive(Template)]
#[template(path = "profile.html")]
struct Profile {
    layout: Layout,
    name: String,
    email: String,
    kind: &'static str,
    organization: Option<String>,
    zones: Vec<&'static str>,
    chosen: String,
    /// The groups, application roles and site roles they hold now.
    held: Vec<HeldRole>,
}

#[tracing::instrument(skip_all)]
async fn show(state: Data, user: Requester, session: TypedSession) -> Reply {
    let (kind, organization) = match user.person.user() {
        Some(u) if u.is_guest() => ("Guest", u.connected_organization_id.clone()),
        Some(_) => ("Member", None),
        None => ("Not in the directory yet", None),
    };
    let organization = match organization {
        Some(id) => crate::service::connected_orgs::name_of(&state.store, &id).await?,
        None => None,
    };
    let held = match user.person.user() {
        Some(u) => crate::service::directory::held_by(&state.store, &u.id).await?,
        None => vec![],
    };
    render(&Profile {
        layout: Layout::for_requester(&state, &user, "", "Your profile"),
        name: user.person.display_name().to_string(),
        email: user.person.email().to_string(),
        kind,
        organization,
        zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
        chosen: session.time_zone().unwrap_or_default(),
        held,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ZoneForm {
    /// A zone name, or empty for the browser's.
    time_zone: String,
}

#[tracing::instrument(skip_all)]
async fn save(_user: Requester, session: TypedSession, form: Form<ZoneForm>) -> Reply {
    let zone = form.0.time_zone.trim().to_string();
    if !zone.is_empty() && zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::BadRequest(
            "Choose a time zone from the list.".into(),
        ));
    }
    session.set_time_zone(&zone);
    session.flash(
        "success",
        if zone.is_empty() {
            "Times are shown in your browser's time zone.".to_string()
        } else {
            format!("Times are shown in {zone}.")
        },
    );
    Ok(redirect(routes::PROFILE.as_str()))
}
