//! Your profile: who you are signed in as, and the time zone you read times
//! in (the browser's unless you choose one).

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::routes;
use crate::store::directory::HeldRole;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::layout::Layout;
use crate::web::my_access::portal::Portal;
use crate::web::respond::{Reply, render};
use crate::web::routing::Router;

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
async fn show(me: Portal) -> Reply {
    let kind = match me.person().user() {
        Some(u) if u.is_guest() => "Guest",
        Some(_) => "Member",
        None => "Not in the directory yet",
    };
    let facts = crate::service::directory::profile(me.store(), me.person().user()).await?;
    render(&Profile {
        layout: Layout::for_requester(&me.state, &me.who, "", "Your profile"),
        name: me.person().display_name().to_string(),
        email: me.person().email().to_string(),
        kind,
        organization: facts.organization,
        zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
        chosen: me.session.time_zone().unwrap_or_default(),
        held: facts.held,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ZoneForm {
    /// A zone name, or empty for the browser's.
    time_zone: String,
}

#[tracing::instrument(skip_all)]
async fn save(me: Portal, Form(form): Form<ZoneForm>) -> Reply {
    let zone = form.time_zone.trim().to_string();
    if !zone.is_empty() && zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::BadRequest(
            "Choose a time zone from the list.".into(),
        ));
    }
    me.session.set_time_zone(&zone);
    let done = if zone.is_empty() {
        "Times are shown in your browser's time zone, or the organization's when your browser does not say.".to_string()
    } else {
        format!("Times are shown in {zone}.")
    };
    me.done(done, routes::PROFILE.as_str())
}
