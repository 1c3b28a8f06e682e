//! Admin › Connected organizations.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::list::{Cell, ForDelegates, ListSpec, Lists, col, num};
use crate::domain::connected_org::{ConnectedOrgInput, ConnectedOrgProfile, ConnectedOrgState};
use crate::domain::ids::ConnectedOrgId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::connected_orgs::{self as svc, SponsorInput};
use crate::service::lookup::Kind;
use crate::service::{Saved, ServiceError};
use crate::store::connected_orgs::OrgRow;
use crate::web::admin::console::Console;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::PathId;
use crate::web::extract::picker::{Matches, PickSearch, Picked};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, render_status};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.editable(&LIST, create, new_form, show, update)
        .post(routes::ADMIN_ORG_DELETE, delete);
}

const LIST: ListSpec<OrgRow> = ListSpec {
    search: |store, _, q, at| Box::pin(svc::search(store, q, at)),
    title: "Connected organizations",
    paths: routes::ADMIN_ORGS,
    one: "connected organization",
    placeholder: "Organization name",
    columns: &[
        col("State", |o| {
            let tone = match o.state {
                ConnectedOrgState::Configured => "ok",
                ConnectedOrgState::Proposed => "warn",
            };
            Cell::badge(o.state.label(), tone)
        }),
        col("Identity sources", |o| Cell::text(identity_sources(o))),
        num("Internal sponsors", |o| o.internal_sponsors),
        num("External sponsors", |o| o.external_sponsors),
    ],
    delegates: ForDelegates::No,
};

/// The domains and the OpenID Connect issuer guests of an organization sign in with.
fn identity_sources(o: &OrgRow) -> String {
    let mut sources = o.domains.join(", ");
    if let Some(issuer) = &o.oidc_issuer {
        let sep = if sources.is_empty() { "" } else { "; " };
        sources.push_str(&format!("{sep}OpenID Connect: {issuer}"));
    }
    sources
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct OrgForm {
    display_name: String,
    description: String,
    state: String,
    domains: String,
    oidc_issuer: String,
    oidc_client_id: String,
    oidc_client_secret: String,
    internal_sponsors: String,
    external_sponsors: String,
}

impl OrgForm {
    fn input(&self) -> ConnectedOrgInput {
        ConnectedOrgInput {
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            state: self.state.clone(),
            domains: self.domains.clone(),
            oidc_issuer: self.oidc_issuer.clone(),
            oidc_client_id: self.oidc_client_id.clone(),
            oidc_client_secret: self.oidc_client_secret.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/connected_orgs.html")]
struct OrgPage {
    layout: Layout,
    org_id: Option<String>,
    has_secret: bool,
    form: OrgForm,
    errors: FieldErrors,
    matches: Matches,
}

#[tracing::instrument(skip_all)]
async fn new_form(cx: Console) -> Reply {
    let form = OrgForm {
        state: "configured".into(),
        ..Default::default()
    };
    new_page(&cx, form, FieldErrors::new(), Matches::default())
}

/// The form for a new organization, as sent back (a typed secret is never
/// sent back to the browser).
fn new_page(cx: &Console, mut form: OrgForm, errors: FieldErrors, matches: Matches) -> Reply {
    form.oidc_client_secret.clear();
    render_status(
        form_status(&errors),
        &OrgPage {
            layout: cx.layout("New connected organization"),
            org_id: None,
            has_secret: false,
            form,
            errors,
            matches,
        },
    )
}

fn org_page(
    cx: &Console,
    view: svc::OrgView,
    form: Option<OrgForm>,
    errors: FieldErrors,
    matches: Matches,
) -> Reply {
    let svc::OrgView { org, sponsors, .. } = view;
    let form = match form {
        Some(mut f) => {
            // A typed secret is never sent back to the browser.
            f.oidc_client_secret.clear();
            f
        }
        None => {
            let emails = |kind: &str| {
                sponsors
                    .iter()
                    .filter(|s| s.sponsor_type == kind)
                    .map(|s| s.email.clone())
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            OrgForm {
                display_name: org.display_name.clone(),
                description: org.description.clone().unwrap_or_default(),
                state: org.state.as_str().into(),
                domains: org.domains.join("\n"),
                oidc_issuer: org.oidc_issuer.clone().unwrap_or_default(),
                oidc_client_id: org.oidc_client_id.clone().unwrap_or_default(),
                oidc_client_secret: String::new(),
                internal_sponsors: emails("internal"),
                external_sponsors: emails("external"),
            }
        }
    };
    render_status(
        form_status(&errors),
        &OrgPage {
            layout: cx.layout(org.display_name.clone()),
            org_id: Some(org.id.clone()),
            has_secret: org.has_secret == 1,
            form,
            errors,
            matches,
        },
    )
}

#[tracing::instrument(skip_all)]
async fn show(cx: Console, PathId(id): PathId<ConnectedOrgId>) -> Reply {
    let view = svc::organization(cx.store(), &id, None).await?;
    org_page(&cx, view, None, FieldErrors::new(), Matches::default())
}

/// The organization the form describes, and its sponsors as typed.
fn parsed(form: &OrgForm) -> (Result<ConnectedOrgProfile, FieldErrors>, SponsorInput<'_>) {
    let sponsors = SponsorInput {
        internal: &form.internal_sponsors,
        external: &form.external_sponsors,
    };
    (ConnectedOrgProfile::parse(&form.input()), sponsors)
}

/// What the sponsor pickers look up.
const OFFERS: &[Kind] = &[Kind::User];

#[tracing::instrument(skip_all)]
async fn create(cx: Console, form: Picked<OrgForm>) -> Reply {
    if let Some(search) = form.pressed {
        let matches = Matches::find(cx.store(), search.as_ref(), OFFERS).await?;
        return new_page(&cx, form.form, FieldErrors::new(), matches);
    }
    let form = form.form;
    let (profile, sponsors) = parsed(&form);
    match svc::save(cx.store(), &cx.actor(), None, profile, sponsors, cx.now()).await {
        Ok(id) => cx.done(
            format!(
                "Connected organization {} created.",
                form.display_name.trim()
            ),
            &routes::ADMIN_ORGS.item.id(&id),
        ),
        Err(ServiceError::Invalid(errors)) => new_page(&cx, form, errors, Matches::default()),
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all)]
async fn update(cx: Console, PathId(id): PathId<ConnectedOrgId>, form: Picked<OrgForm>) -> Reply {
    if let Some(search) = form.pressed {
        let lookup = PickSearch::lookup(search.as_ref(), OFFERS);
        let mut view = svc::organization(cx.store(), &id, lookup).await?;
        let matches = Matches::found(search.as_ref(), OFFERS, &mut view.found);
        return org_page(&cx, view, Some(form.form), FieldErrors::new(), matches);
    }
    let form = form.form;
    let (profile, sponsors) = parsed(&form);
    match svc::update(cx.store(), &cx.actor(), &id, profile, sponsors, cx.now()).await? {
        Saved::Done(()) => cx.done("Changes saved.", &routes::ADMIN_ORGS.item.id(&id)),
        Saved::Again(view, errors) => org_page(&cx, view, Some(form), errors, Matches::default()),
    }
}

#[tracing::instrument(skip_all)]
async fn delete(cx: Console, PathId(id): PathId<ConnectedOrgId>, _form: Form<NoFields>) -> Reply {
    let result = svc::delete(cx.store(), &cx.actor(), &id, cx.now()).await;
    let (list, object) = (
        routes::ADMIN_ORGS.list.as_str(),
        &routes::ADMIN_ORGS.item.id(&id),
    );
    cx.deleted("Connected organization", result, list, object)
}
