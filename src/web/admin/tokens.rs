//! Admin › API tokens: the tokens machines use (SCIM provisioning), made
//! with a name, a purpose and an expiry, shown once, revoked.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::api_token::{NewToken, Purpose};
use crate::domain::ids::ApiTokenId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::{ServiceError, api_tokens as svc};
use crate::store::api_tokens::TokenRow;
use crate::web::admin::console::Console;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, redirect, render_status};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.form(routes::ADMIN_TOKENS, page, create)
        .post(routes::ADMIN_TOKEN_REVOKE, revoke);
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TokenForm {
    name: String,
    purpose: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenRow>,
    purposes: Vec<(&'static str, &'static str)>,
    form: TokenForm,
    errors: FieldErrors,
    /// A token just made: (name, the token), shown this once.
    made: Option<(String, String)>,
    scim_url: String,
}

impl TokensPage {
    fn purpose_label(&self, p: &str) -> &'static str {
        Purpose::parse(p).map_or("Unknown", Purpose::label)
    }
}

fn show(
    cx: &Console,
    tokens: Vec<TokenRow>,
    form: TokenForm,
    errors: FieldErrors,
    made: Option<(String, String)>,
) -> Reply {
    render_status(
        form_status(&errors),
        &TokensPage {
            layout: cx.layout("API tokens"),
            tokens,
            purposes: Purpose::ALL
                .iter()
                .map(|p| (p.as_str(), p.label()))
                .collect(),
            form,
            errors,
            made,
            scim_url: cx.state.config.url_for(crate::web::scim::BASE),
        },
    )
}

#[tracing::instrument(skip_all)]
async fn page(cx: Console) -> Reply {
    let form = TokenForm {
        purpose: Purpose::Scim.as_str().into(),
        ..Default::default()
    };
    show(
        &cx,
        svc::list(cx.store()).await?,
        form,
        FieldErrors::new(),
        None,
    )
}

#[tracing::instrument(skip_all)]
async fn create(cx: Console, form: Form<TokenForm>) -> Reply {
    let f = form.0;
    let now = cx.now();
    match NewToken::parse(&f.name, &f.purpose, &f.expires, cx.who.tz, now) {
        Ok(t) => {
            let (token, tokens) = svc::create(cx.store(), &cx.actor(), &t, now).await?;
            // Shown in this answer only; never stored in the clear, never in a redirect.
            let blank = TokenForm {
                purpose: Purpose::Scim.as_str().into(),
                ..Default::default()
            };
            show(
                &cx,
                tokens,
                blank,
                FieldErrors::new(),
                Some((t.name, token)),
            )
        }
        Err(errors) => show(&cx, svc::list(cx.store()).await?, f, errors, None),
    }
}

#[tracing::instrument(skip_all)]
async fn revoke(cx: Console, PathId(id): PathId<ApiTokenId>, _form: Form<NoFields>) -> Reply {
    match svc::revoke(cx.store(), &cx.actor(), &id, cx.now()).await {
        Ok(name) => cx.session.flash(
            "success",
            format!("{name} is revoked; calls with it are refused from now on."),
        ),
        Err(ServiceError::Refused(m)) => cx.session.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(routes::ADMIN_TOKENS.as_str()))
}
