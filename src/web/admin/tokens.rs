//! Admin › API tokens: the tokens machines use (SCIM provisioning), made
//! with a name, a purpose and an expiry, shown once, revoked.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::api_token::{NewToken, Purpose};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::{ServiceError, api_tokens as svc};
use crate::store::api_tokens::TokenRow;
use crate::web::error::AppError;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, form_status, redirect, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ADMIN_TOKENS.as_str(), web::get().to(page))
        .route(routes::ADMIN_TOKENS.as_str(), web::post().to(create))
        .route(routes::ADMIN_TOKEN_REVOKE.pattern(), web::post().to(revoke));
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TokenForm {
    name: String,
    purpose: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin/api_tokens.html")]
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

async fn show(
    state: &Data,
    admin: &AdminUser,
    form: TokenForm,
    errors: FieldErrors,
    made: Option<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let tokens = svc::list(&state.store).await?;
    render_status(
        form_status(&errors),
        &TokensPage {
            layout: Layout::for_user(state, admin, "admin", "API tokens"),
            tokens,
            purposes: Purpose::ALL
                .iter()
                .map(|p| (p.as_str(), p.label()))
                .collect(),
            form,
            errors,
            made,
            scim_url: state.config.url_for(crate::web::scim::BASE),
        },
    )
}

#[tracing::instrument(skip_all)]
async fn page(state: Data, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let form = TokenForm {
        purpose: Purpose::Scim.as_str().into(),
        ..Default::default()
    };
    show(&state, &admin, form, FieldErrors::new(), None).await
}

#[tracing::instrument(skip_all)]
async fn create(
    state: Data,
    admin: AdminUser,
    form: Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let now = state.clock.now();
    match NewToken::parse(&f.name, &f.purpose, &f.expires, now) {
        Ok(t) => {
            let token = svc::create(&state.store, &admin.actor(), &t, now).await?;
            // Shown in this answer only; never stored in the clear, never in a redirect.
            let blank = TokenForm {
                purpose: Purpose::Scim.as_str().into(),
                ..Default::default()
            };
            show(
                &state,
                &admin,
                blank,
                FieldErrors::new(),
                Some((t.name, token)),
            )
            .await
        }
        Err(errors) => show(&state, &admin, f, errors, None).await,
    }
}

#[tracing::instrument(skip_all)]
async fn revoke(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    _form: Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let session = TypedSession(session);
    match svc::revoke(&state.store, &admin.actor(), &path, state.clock.now()).await {
        Ok(name) => session.flash(
            "success",
            format!("{name} is revoked; calls with it are refused from now on."),
        ),
        Err(ServiceError::Refused(m)) => session.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(routes::ADMIN_TOKENS.as_str()))
}
