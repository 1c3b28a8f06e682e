//! Admin › Groups: list, search, create, edit, members and owners.

use actix_web::{http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::links::{LinkSearch, LinksPanel};
use super::list::{Cell, ForDelegates, ListSpec, Lists, col, num};
use crate::domain::catalog::OriginSystem;
use crate::domain::directory::{GroupProfile, GroupRole, GroupType, Named};
use crate::domain::ids::GroupId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::{ServiceError, directory};
use crate::store::directory::{Holder, ResourceSummary};
use crate::web::Reply;
use crate::web::admin::console::Console;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::routing::Router;
use crate::web::{Layout, form_status, redirect, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.editable(&LIST, create, new_form, show, update)
        .post(routes::ADMIN_GROUP_ROLES, change_role);
}

const LIST: ListSpec<ResourceSummary> = ListSpec {
    search: |store, _, q, at| Box::pin(directory::resources(store, OriginSystem::AadGroup, q, at)),
    title: "Groups and teams",
    paths: routes::ADMIN_GROUPS,
    one: "group",
    placeholder: "Group name",
    columns: &[
        col("Type", |g| {
            let kind = g.detail.as_deref().and_then(GroupType::parse);
            Cell::maybe(kind.map(|t| t.label()))
        }),
        col("Description", |g| Cell::maybe(g.description.as_deref())),
        num("Members", |g| g.holders),
    ],
    delegates: ForDelegates::No,
};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct GroupForm {
    display_name: String,
    description: String,
    group_type: String,
}

#[derive(Template)]
#[template(path = "admin/group_form.html")]
struct GroupPage {
    layout: Layout,
    group_id: Option<String>,
    form: GroupForm,
    errors: FieldErrors,
    holders: Vec<Holder>,
    role_errors: FieldErrors,
    role_email: String,
    /// The role the add-a-person form offers first: the one last chosen.
    role: GroupRole,
    types: Vec<(&'static str, &'static str)>,
    panel: Option<LinksPanel>,
}

impl GroupPage {
    /// Why a holder holds a role: the packages that grant it, or by hand.
    fn why(&self, h: &Holder) -> String {
        self.panel
            .as_ref()
            .map(|p| p.why(&h.user_id, &h.role))
            .unwrap_or_default()
    }
}

fn type_choices() -> Vec<(&'static str, &'static str)> {
    GroupType::ALL
        .iter()
        .map(|t| (t.as_str(), t.label()))
        .collect()
}

/// The new group page: empty, or again with what was sent and why it was refused.
fn new_page(cx: &Console, form: GroupForm, errors: FieldErrors) -> Reply {
    let status = form_status(&errors);
    let page = GroupPage {
        layout: cx.layout("New group"),
        group_id: None,
        form,
        errors,
        holders: vec![],
        role_errors: FieldErrors::new(),
        role_email: String::new(),
        role: GroupRole::Member,
        types: type_choices(),
        panel: None,
    };
    render_status(status, &page)
}

#[tracing::instrument(skip_all)]
async fn new_form(cx: Console) -> Reply {
    let form = GroupForm {
        group_type: "security".into(),
        ..Default::default()
    };
    new_page(&cx, form, FieldErrors::new())
}

#[tracing::instrument(skip_all)]
async fn create(cx: Console, Form(form): Form<GroupForm>) -> Reply {
    let id = GroupId::new();
    let parsed = GroupProfile::parse(&form.display_name, &form.description, &form.group_type);
    let create = cx.save(parsed, async |s, a, p, now| {
        directory::create(s, a, Named::Group(&id, &p), now).await
    });
    match create.await? {
        Ok(()) => cx.created(
            "Group",
            &form.display_name,
            &routes::ADMIN_GROUPS.item.id(&id),
        ),
        Err(errors) => new_page(&cx, form, errors),
    }
}

struct Pending {
    form: Option<GroupForm>,
    errors: FieldErrors,
    role_errors: FieldErrors,
    role_email: String,
    role: GroupRole,
    search: LinkSearch,
}

async fn group_page(cx: &Console, id: &GroupId, p: Pending) -> Reply {
    let (g, holders) = directory::group(cx.store(), id).await?;
    let panel = LinksPanel::load(cx, "groups", &g.id, p.search).await?;
    let status = if p.errors.is_empty() && p.role_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = GroupPage {
        layout: cx.layout(g.display_name.clone()),
        group_id: Some(g.id.clone()),
        form: p.form.unwrap_or(GroupForm {
            display_name: g.display_name,
            description: g.description.unwrap_or_default(),
            group_type: g.group_type,
        }),
        errors: p.errors,
        holders,
        role_errors: p.role_errors,
        role_email: p.role_email,
        role: p.role,
        types: type_choices(),
        panel: Some(panel),
    };
    render_status(status, &page)
}

fn parse_id(raw: &str) -> Result<GroupId, AppError> {
    GroupId::parse(raw).ok_or(AppError::NotFound)
}

#[tracing::instrument(skip_all)]
async fn show(cx: Console, path: web::Path<String>, search: web::Query<LinkSearch>) -> Reply {
    let pending = Pending {
        form: None,
        errors: FieldErrors::new(),
        role_errors: FieldErrors::new(),
        role_email: String::new(),
        role: GroupRole::Member,
        search: search.into_inner(),
    };
    group_page(&cx, &parse_id(&path)?, pending).await
}

#[tracing::instrument(skip_all)]
async fn update(cx: Console, path: web::Path<String>, Form(form): Form<GroupForm>) -> Reply {
    let id = parse_id(&path)?;
    let parsed = GroupProfile::parse(&form.display_name, &form.description, &form.group_type);
    let saved = cx.save(parsed, async |s, a, p, now| {
        directory::update(s, a, Named::Group(&id, &p), now).await
    });
    match saved.await? {
        Ok(()) => cx.done("Changes saved.", &routes::ADMIN_GROUPS.item.id(&id)),
        Err(errors) => {
            let pending = Pending {
                form: Some(form),
                errors,
                role_errors: FieldErrors::new(),
                role_email: String::new(),
                role: GroupRole::Member,
                search: LinkSearch::default(),
            };
            group_page(&cx, &id, pending).await
        }
    }
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
    let id = parse_id(&path)?;
    let role = GroupRole::parse(&form.role)
        .ok_or_else(|| AppError::BadRequest("Choose member or owner.".into()))?;
    let add = match form.action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(AppError::BadRequest("Choose add or remove.".into())),
    };
    let result = directory::change_group_role(
        cx.store(),
        &cx.actor(),
        &id,
        &form.email,
        role,
        add,
        cx.now(),
    )
    .await;
    match result {
        Ok(Some(kept)) => cx.done(kept, &routes::ADMIN_GROUPS.item.id(&id)),
        Ok(None) => {
            let verb = if add { "added as" } else { "removed as" };
            cx.done(
                format!(
                    "{} {verb} {}.",
                    form.email.trim(),
                    role.label().to_lowercase()
                ),
                &routes::ADMIN_GROUPS.item.id(&id),
            )
        }
        Err(ServiceError::Refused(message)) => {
            cx.session.flash("error", message);
            Ok(redirect(&routes::ADMIN_GROUPS.item.id(&id)))
        }
        Err(ServiceError::Invalid(role_errors)) => {
            let pending = Pending {
                form: None,
                errors: FieldErrors::new(),
                role_errors,
                role_email: form.email,
                role,
                search: LinkSearch::default(),
            };
            group_page(&cx, &id, pending).await
        }
        Err(e) => Err(e.into()),
    }
}
