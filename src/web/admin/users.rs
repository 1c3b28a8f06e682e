//! Admin › Users: list, search, create, edit.

use actix_web::{http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::list::{Cell, ForDelegates, ListSpec, Lists, col};
use crate::domain::ids::UserId;
use crate::domain::user::{UserInput, UserProfile, UserState, UserType, format_custom_attributes};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::directory::{PackagesOfUser, UserView};
use crate::service::{Saved, ServiceError, directory};
use crate::store::catalog_roles::HeldCatalogRole;
use crate::store::directory::HeldRole;
use crate::store::scim::Origin;
use crate::store::users::{IdentityRow, LifecycleBlock, UserSummary};
use crate::web::admin::console::Console;
use crate::web::extract::csrf::Form;
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, render, render_status};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.editable(&LIST, create, new_form, show, update)
        .post(routes::ADMIN_USER_SIGN_OUT, sign_out_everywhere);
}

const LIST: ListSpec<UserSummary> = ListSpec {
    search: |store, _, q, at| Box::pin(directory::users(store, q, at)),
    title: "Users",
    paths: routes::ADMIN_USERS,
    one: "user",
    placeholder: "Name or email",
    columns: &[
        col("Email", |u| Cell::text(&u.email)),
        col("Type", |u| {
            if u.user_type == UserType::Guest.as_str() {
                Cell::badge("Guest", "warn")
            } else {
                Cell::badge("Member", "muted")
            }
        }),
        col("Department", |u| Cell::maybe(u.department.as_deref())),
        col("Job title", |u| Cell::maybe(u.job_title.as_deref())),
        col("State", |u| {
            let tone = match u.state {
                UserState::Blocked => "danger",
                UserState::Active => "ok",
            };
            Cell::badge(u.state.label(), tone)
        }),
    ],
    delegates: ForDelegates::No,
};

/// The user form's fields, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct UserForm {
    user_type: String,
    display_name: String,
    given_name: String,
    surname: String,
    email: String,
    job_title: String,
    department: String,
    manager_email: String,
    custom_attributes: String,
    state: String,
}

impl UserForm {
    fn input(&self) -> UserInput {
        UserInput {
            user_type: self.user_type.clone(),
            display_name: self.display_name.clone(),
            given_name: self.given_name.clone(),
            surname: self.surname.clone(),
            email: self.email.clone(),
            job_title: self.job_title.clone(),
            department: self.department.clone(),
            custom_attributes: self.custom_attributes.clone(),
            state: self.state.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UserFormPage {
    layout: Layout,
    /// None when creating.
    user_id: Option<String>,
    form: UserForm,
    errors: FieldErrors,
    identities: Vec<IdentityRow>,
    reports: Vec<UserSummary>,
    held: Vec<HeldRole>,
    packages: PackagesOfUser,
    organization: Option<String>,
    /// Where the person comes from; synced people are changed at the source.
    origin: Origin,
    /// For a guest: whether the guest lifecycle governs them.
    governed: Option<bool>,
    lifecycle_block: Option<LifecycleBlock>,
    catalog_roles: Vec<HeldCatalogRole>,
    creates_catalogs: bool,
}

impl UserFormPage {
    /// The fields an identity provider keeps, sent back as they are.
    fn synced_fields(&self) -> Vec<(&'static str, &str)> {
        let f = &self.form;
        vec![
            ("display_name", f.display_name.as_str()),
            ("given_name", f.given_name.as_str()),
            ("surname", f.surname.as_str()),
            ("email", f.email.as_str()),
            ("job_title", f.job_title.as_str()),
            ("department", f.department.as_str()),
            ("manager_email", f.manager_email.as_str()),
            ("state", f.state.as_str()),
        ]
    }
}

#[tracing::instrument(skip_all)]
async fn new_form(cx: Console) -> Reply {
    render(&UserFormPage {
        layout: cx.layout("New user"),
        user_id: None,
        form: UserForm {
            user_type: "member".into(),
            state: "active".into(),
            ..Default::default()
        },
        errors: FieldErrors::new(),
        identities: vec![],
        reports: vec![],
        held: vec![],
        packages: PackagesOfUser::default(),
        organization: None,
        origin: Origin::default(),
        governed: None,
        lifecycle_block: None,
        catalog_roles: vec![],
        creates_catalogs: false,
    })
}

#[tracing::instrument(skip_all)]
async fn create(cx: Console, Form(form): Form<UserForm>) -> Reply {
    let result = match UserProfile::parse(&form.input()) {
        Ok(profile) => {
            directory::create_user(
                cx.store(),
                &cx.actor(),
                &profile,
                &form.manager_email,
                cx.now(),
            )
            .await
        }
        Err(e) => Err(ServiceError::Invalid(e)),
    };
    match result {
        Ok(id) => cx.created(
            "User",
            &form.display_name,
            &routes::ADMIN_USERS.item.id(&id),
        ),
        Err(ServiceError::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UserFormPage {
                layout: cx.layout("New user"),
                user_id: None,
                form,
                errors,
                identities: vec![],
                reports: vec![],
                held: vec![],
                packages: PackagesOfUser::default(),
                organization: None,
                origin: Origin::default(),
                governed: None,
                lifecycle_block: None,
                catalog_roles: vec![],
                creates_catalogs: false,
            },
        ),
        Err(e) => Err(e.into()),
    }
}

fn edit_page(cx: &Console, view: UserView, form: Option<UserForm>, errors: FieldErrors) -> Reply {
    let user = view.user;
    let status = form_status(&errors);
    let form = form.unwrap_or_else(|| UserForm {
        user_type: user.user_type.as_str().into(),
        display_name: user.display_name.clone(),
        given_name: user.given_name.clone().unwrap_or_default(),
        surname: user.surname.clone().unwrap_or_default(),
        email: user.email.clone(),
        job_title: user.job_title.clone().unwrap_or_default(),
        department: user.department.clone().unwrap_or_default(),
        manager_email: view.manager_email,
        custom_attributes: format_custom_attributes(&user.custom_attributes),
        state: user.state.as_str().into(),
    });
    let page = UserFormPage {
        layout: cx.layout(user.display_name.clone()),
        user_id: Some(user.id.to_string()),
        form,
        errors,
        identities: view.identities,
        reports: view.reports,
        held: view.held,
        packages: view.packages,
        organization: view.organization,
        origin: view.origin,
        governed: user.is_guest().then_some(user.governed),
        lifecycle_block: view.lifecycle_block,
        catalog_roles: view.catalog_roles,
        creates_catalogs: view.creates_catalogs,
    };
    render_status(status, &page)
}

#[tracing::instrument(skip_all)]
async fn show(cx: Console, PathId(id): PathId<UserId>) -> Reply {
    let view = directory::user(cx.store(), &id).await?;
    edit_page(&cx, view, None, FieldErrors::new())
}

#[tracing::instrument(skip_all)]
async fn update(cx: Console, PathId(id): PathId<UserId>, Form(form): Form<UserForm>) -> Reply {
    let saved = cx.save_or_show(
        UserProfile::parse(&form.input()),
        async |s, a, profile, now| {
            directory::update_user(s, a, &id, &profile, &form.manager_email, now).await
        },
        async |s| directory::user(s, &id).await,
    );
    match saved.await? {
        Saved::Done(()) => cx.done("Changes saved.", &routes::ADMIN_USERS.item.id(&id)),
        Saved::Again(view, errors) => edit_page(&cx, view, Some(form), errors),
    }
}

/// Ends every session of the user: each browser they are signed in with
/// must sign in again.
#[tracing::instrument(skip_all)]
async fn sign_out_everywhere(
    cx: Console,
    PathId(id): PathId<UserId>,
    _form: Form<crate::web::extract::csrf::NoFields>,
) -> Reply {
    let n = crate::service::sessions::end_all(cx.store(), &cx.actor(), &id, cx.now()).await?;
    cx.done(
        match n {
            0 => "The user was not signed in anywhere.".to_string(),
            1 => "The user was signed out of 1 browser.".to_string(),
            n => format!("The user was signed out of {n} browsers."),
        },
        &routes::ADMIN_USERS.item.id(&id),
    )
}
