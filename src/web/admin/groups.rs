//! Admin › Groups and teams › a group's members and owners: the form on
//! its page that adds or removes one. The rest of the page is the one every
//! kind of resource shares (`resources`).

use actix_web::web;
use serde::Deserialize;

use super::links::LinkSearch;
use super::resource_kinds::{Groups, OfKind};
use super::resources::{self, Adding};
use crate::domain::directory::GroupRole;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::{Saved, ServiceError, resource_page};
use crate::web::admin::console::Console;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::respond::{Reply, redirect};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.post(routes::ADMIN_GROUP_ROLES, change_role);
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    email: String,
    role: String,
    /// "add" or "remove".
    action: String,
}

#[tracing::instrument(skip_all)]
async fn change_role(cx: Console, path: web::Path<String>, Form(form): Form<RoleForm>) -> Reply {
    let kind = &Groups::KIND;
    let r = resources::parse_id(kind, &path)?;
    let role = GroupRole::parse(&form.role)
        .ok_or_else(|| AppError::BadRequest("Choose member or owner.".into()))?;
    let add = match form.action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(AppError::BadRequest("Choose add or remove.".into())),
    };
    let to = routes::ADMIN_GROUPS.item.id(r.id());
    let result = resource_page::change_group_role(
        cx.store(),
        &cx.actor(),
        &r,
        &form.email,
        role,
        add,
        cx.now(),
    )
    .await;
    match result {
        Ok(Saved::Done(Some(kept))) => cx.done(kept, &to),
        Ok(Saved::Done(None)) => {
            let verb = if add { "added as" } else { "removed as" };
            cx.done(
                format!(
                    "{} {verb} {}.",
                    form.email.trim(),
                    role.label().to_lowercase()
                ),
                &to,
            )
        }
        Err(ServiceError::Refused(message)) => {
            cx.session.flash("error", message);
            Ok(redirect(&to))
        }
        Ok(Saved::Again(found, errors)) => {
            let search = LinkSearch::default();
            let none = FieldErrors::new();
            let mut page = resources::item_shown(&cx, kind, &r, found, None, none, search);
            page.adding = Adding {
                email: form.email,
                role,
                errors,
            };
            page.reply()
        }
        Err(e) => Err(e.into()),
    }
}
