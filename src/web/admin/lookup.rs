//! The pickers' suggestions: JSON for the page script, or the same search
//! as a page listing the values to type. (Without the script, each picker
//! field has its own search-and-pick form: `web::extract::picker`.)
//! For administrators, and for delegates whose roles let them fill those
//! forms somewhere (package managers, assignment managers, owners): the
//! people, groups, organizations and packages they may name there (a
//! package may be incompatible with one in another catalog). What is typed
//! in a field is checked on save either way.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::service::lookup::{self, Kind, Suggestion};
use crate::web::admin::console::Reaching;
use crate::web::error::AppError;
use crate::web::extract::console_access::FillsForms;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, render};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LookupQuery {
    kind: String,
    q: String,
}

#[tracing::instrument(skip_all)]
pub(super) async fn lookup(
    cx: Reaching<FillsForms>,
    req: HttpRequest,
    q: web::Query<LookupQuery>,
) -> Reply {
    let kind = Kind::parse(&q.kind).ok_or_else(|| {
        AppError::BadRequest("Look up a user, group, package or organization.".into())
    })?;
    if kind == Kind::Package && !cx.who.reach.rights.manage_packages {
        // Packages are named only in a package's settings (incompatible ones).
        return Err(AppError::Forbidden(
            "Access packages are looked up by those who manage them.".into(),
        ));
    }
    let found = lookup::suggest(cx.store(), kind, &q.q).await?;
    let json = req
        .headers()
        .get("Accept")
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if json {
        return Ok(HttpResponse::Ok().json(found));
    }
    render(&Find {
        layout: cx.layout("Find"),
        kind: q.kind.clone(),
        what: match kind {
            Kind::User => "people",
            Kind::Group => "groups",
            Kind::Package => "access packages",
            Kind::Organization => "connected organizations",
        },
        q: q.q.clone(),
        found,
    })
}

#[derive(Template)]
#[template(path = "admin/lookup.html")]
struct Find {
    layout: Layout,
    kind: String,
    what: &'static str,
    q: String,
    found: Vec<Suggestion>,
}
