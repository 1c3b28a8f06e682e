//! Sign-in and sign-out pages: OpenID Connect, and the demo-user picker in demo mode.

use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use crate::config::OidcProvider;
use crate::domain::ids::UserId;
use crate::domain::user::UserType;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::demo::{self, DemoChoice};
use crate::service::sign_in::{SignedIn, Started};
use crate::service::sign_in_page::{self, SignInChoices};
use crate::service::{Saved, ServiceError, sessions, sign_in};
use crate::store::connected_orgs::SignInProvider;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::session::TypedSession;
use crate::web::layout::Layout;
use crate::web::respond::{Data, Reply, redirect, render, render_status, safe_next};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.get(routes::LOGIN, login)
        .get(routes::CALLBACK, callback)
        .post(routes::LOGOUT, logout)
        .post(routes::DEMO_SIGN_IN, demo_sign_in)
        .post(routes::DEMO_GUEST, demo_guest)
        .form(routes::CODE, code_page, send_code)
        .post(routes::CODE_VERIFY, verify_code);
}

/// The prefix of a connected organization's provider name in a sign-in.
const ORG_PREFIX: &str = "org:";

/// A connected organization's provider as sign-in uses it; `None` without a
/// client secret, since Gatehouse signs in as a confidential client.
fn org_provider(p: SignInProvider) -> Option<OidcProvider> {
    Some(OidcProvider {
        name: format!("{ORG_PREFIX}{}", p.id),
        display_name: p.display_name,
        issuer: p.oidc_issuer,
        client_id: p.oidc_client_id,
        client_secret: crate::domain::secret::Secret::new(p.oidc_client_secret?),
    })
}

/// The configured provider, or a connected organization's, by name.
async fn find_provider(state: &Data, name: &str) -> Result<Option<OidcProvider>, AppError> {
    if let Some(id) = name.strip_prefix(ORG_PREFIX) {
        return Ok(sign_in::organization_provider(&state.store, id)
            .await?
            .and_then(org_provider));
    }
    Ok(state.oidc.provider(name).cloned())
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    providers: Vec<(String, String)>,
    organizations: Vec<(String, String)>,
    email_sign_in: bool,
    demo_users: Vec<DemoChoice>,
    redirect_uri: String,
    errors: FieldErrors,
    email: String,
}

#[derive(Template)]
#[template(path = "auth/code.html")]
struct CodePage {
    layout: Layout,
    next: String,
    email: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "auth/failed.html")]
struct SignInFailed {
    layout: Layout,
    reason: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    provider: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn login(state: Data, session: TypedSession, q: web::Query<LoginQuery>) -> Reply {
    let next = safe_next(q.next.as_deref());
    if session.user_id().is_some() && q.provider.is_none() {
        return Ok(redirect(&next));
    }
    let providers = state.oidc.providers();
    // The demo people are read only for the page, not for a provider asked for.
    let demo = state.config.demo && q.provider.is_none();
    let choices = sign_in_page::choices(&state.store, demo).await?;
    let organizations: Vec<OidcProvider> = choices
        .organizations
        .iter()
        .cloned()
        .filter_map(org_provider)
        .collect();
    let alone = organizations.is_empty() && !state.config.email_sign_in && !state.config.demo;
    // With one provider and nothing else to choose, go straight to it.
    let chosen = match q.provider.as_deref() {
        Some(name) => Some(
            state
                .oidc
                .provider(name)
                .or_else(|| organizations.iter().find(|p| p.name == name))
                .cloned()
                .ok_or_else(|| {
                    AppError::BadRequest("There is no such identity provider.".into())
                })?,
        ),
        None if providers.len() == 1 && alone => providers.first().cloned(),
        None => None,
    };
    if let Some(provider) = chosen {
        return match state.oidc.start(&provider, &next).await {
            Ok((url, pending)) => {
                session.set_pending_sign_in(&pending);
                Ok(redirect(&url))
            }
            Err(e) => failed(&state, &session, e.to_string()),
        };
    }
    let sent = (FieldErrors::new(), String::new());
    render(&login_page(&state, &session, next, sent, choices))
}

/// The sign-in page: the providers, the organizations' providers, the
/// emailed code, and in demo mode the demo users.
fn login_page(
    state: &Data,
    session: &TypedSession,
    next: String,
    (errors, email): (FieldErrors, String),
    choices: SignInChoices,
) -> LoginPage {
    let organizations = choices
        .organizations
        .into_iter()
        .filter_map(org_provider)
        .map(|p| (p.name, p.display_name))
        .collect();
    let demo_users = choices.demo_users;
    LoginPage {
        layout: Layout::anonymous(state, session.csrf_token(), "Sign in"),
        next,
        providers: state
            .oidc
            .providers()
            .iter()
            .map(|p| (p.name.clone(), p.display_name.clone()))
            .collect(),
        organizations,
        email_sign_in: state.config.email_sign_in,
        demo_users,
        redirect_uri: state.config.url_for(routes::CALLBACK.as_str()),
        errors,
        email,
    }
}

fn failed(state: &Data, session: &TypedSession, reason: String) -> Reply {
    tracing::warn!(reason = ?reason, "sign-in refused");
    render_status(
        actix_web::http::StatusCode::FORBIDDEN,
        &SignInFailed {
            layout: Layout::anonymous(state, session.csrf_token(), "Sign-in failed"),
            reason,
        },
    )
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn callback(state: Data, session: TypedSession, q: web::Query<CallbackQuery>) -> Reply {
    // One use only: whatever happens next, this attempt is finished.
    let pending = session.take_pending_sign_in();
    let Some(pending) = pending else {
        return failed(
            &state,
            &session,
            "This sign-in was not started from this browser, or it was already used. Start again from the sign-in page.".into(),
        );
    };
    if q.state.as_deref() != Some(pending.state.as_str()) {
        return failed(
            &state,
            &session,
            "The sign-in answer does not match the sign-in this browser started (state mismatch). Start again.".into(),
        );
    }
    // Only now, for the sign-in this browser started, is the provider's error shown.
    if let Some(error) = &q.error {
        let detail = q.error_description.as_deref().unwrap_or_default();
        let text = format!(
            "The identity provider answered `{}`. {}",
            printable(error, 64),
            printable(detail, 300)
        );
        return failed(&state, &session, text);
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return failed(
            &state,
            &session,
            "The identity provider sent no authorization code. Start again.".into(),
        );
    };
    let Some(provider) = find_provider(&state, &pending.provider).await? else {
        return failed(
            &state,
            &session,
            "That identity provider is no longer configured.".into(),
        );
    };
    let claims = match state.oidc.finish(&provider, &pending, code).await {
        Ok(c) => c,
        Err(e) => return failed(&state, &session, e.to_string()),
    };
    if let Some(organization) = pending.provider.strip_prefix(ORG_PREFIX) {
        let outcome = sign_in::sign_in_connected(
            &state.store,
            &claims,
            organization,
            state.config.oidc_require_verified_email,
            state.clock.now(),
        )
        .await;
        return finish_external(&state, &session, outcome, &pending.next).await;
    }
    match sign_in::sign_in_once(
        &state.store,
        &claims,
        UserType::Member,
        state.config.oidc_require_verified_email,
        state.config.oidc_link_claim,
        state.clock.now(),
    )
    .await
    {
        Ok(Started {
            who: user,
            session: sid,
        }) => {
            session.sign_in(&user.id, &sid, state.clock.now());
            tracing::info!(user = %user.id, "signed in");
            Ok(redirect(&pending.next))
        }
        Err(ServiceError::Refused(reason)) => failed(&state, &session, reason),
        Err(e) => Err(e.into()),
    }
}

/// Signs out here and on the server: a copy of the cookie no longer works.
#[tracing::instrument(skip_all)]
async fn logout(
    state: Data,
    session: TypedSession,
    _form: Form<crate::web::extract::csrf::NoFields>,
) -> Reply {
    if let Some(sid) = session.sid() {
        sessions::end(&state.store, &sid).await?;
    }
    session.sign_out();
    Ok(redirect(routes::LOGIN.as_str()))
}

#[derive(Deserialize)]
pub struct DemoForm {
    user_id: String,
    #[serde(default)]
    next: String,
}

#[tracing::instrument(skip_all)]
async fn demo_sign_in(state: Data, session: TypedSession, form: Form<DemoForm>) -> Reply {
    if !state.config.demo {
        return Err(AppError::NotFound);
    }
    let id = UserId::parse(&form.0.user_id)
        .ok_or_else(|| AppError::BadRequest("Choose a demo user.".into()))?;
    let started = match demo::sign_in_as(&state.store, &id, state.clock.now()).await {
        Ok(Some(started)) => started,
        Ok(None) => {
            return Err(AppError::Forbidden(
                "Only the demo users can be chosen here.".into(),
            ));
        }
        Err(ServiceError::Refused(reason)) => return failed(&state, &session, reason),
        Err(e) => return Err(e.into()),
    };
    session.sign_in(&started.who.id, &started.session, state.clock.now());
    Ok(redirect(&safe_next(Some(&form.0.next))))
}

/// Signs in whoever an organization's provider or an emailed code proved.
async fn finish_external(
    state: &Data,
    session: &TypedSession,
    outcome: Result<Started<SignedIn>, ServiceError>,
    next: &str,
) -> Reply {
    match outcome {
        Ok(Started {
            who: SignedIn::User(user),
            session: sid,
        }) => {
            session.sign_in(&user.id, &sid, state.clock.now());
            tracing::info!(user = %user.id, "signed in");
            Ok(redirect(next))
        }
        Ok(Started {
            who: SignedIn::External(who),
            session: sid,
        }) => {
            session.sign_in_external(&who, &sid, state.clock.now());
            tracing::info!(issuer = %who.issuer, "signed in from outside the directory");
            Ok(redirect(next))
        }
        Err(ServiceError::Refused(reason)) => failed(state, session, reason),
        // Two first sign-ins of the same person at once: one of them loses.
        Err(ServiceError::Store(crate::store::StoreError::Conflict(_))) => failed(
            state,
            session,
            "Another sign-in for this account was completing at the same moment. Sign in again."
                .into(),
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The page where the code that was sent is entered.
#[tracing::instrument(skip_all)]
async fn code_page(state: Data, session: TypedSession, q: web::Query<NextQuery>) -> Reply {
    let next = safe_next(q.next.as_deref());
    let Some(email) = session.code_email().filter(|_| state.config.email_sign_in) else {
        return Ok(redirect(&crate::routes::sign_in_url(&next)));
    };
    let mut layout = Layout::anonymous(&state, session.csrf_token(), "Enter your code");
    layout.flash = session.take_flash();
    render(&CodePage {
        layout,
        next,
        email,
        errors: FieldErrors::new(),
    })
}

/// Sign-in with an emailed code is off unless configured: its pages are not found.
fn codes_allowed(state: &Data) -> Result<(), AppError> {
    match state.config.email_sign_in {
        true => Ok(()),
        false => Err(AppError::NotFound),
    }
}

#[tracing::instrument(skip_all)]
async fn send_code(
    state: Data,
    req: HttpRequest,
    session: TypedSession,
    form: Form<EmailForm>,
) -> Reply {
    codes_allowed(&state)?;
    let next = safe_next(Some(&form.0.next));
    let email = form.0.email.trim().to_string();
    let client = crate::web::respond::client_address(&req, state.config.trust_forwarded_for);
    let (demo, now) = (state.config.demo, state.clock.now());
    match sign_in_page::send_code(&state.store, &email, &client, demo, now).await {
        Ok(Saved::Done(())) => {}
        Ok(Saved::Again(choices, errors)) => {
            return render_status(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                &login_page(&state, &session, next, (errors, email), choices),
            );
        }
        // Too many codes: said on the code page, the same for every address.
        Err(ServiceError::Refused(m)) => session.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    session.set_code_email(&email);
    Ok(redirect(&format!(
        "{}?next={}",
        routes::CODE,
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    )))
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

#[tracing::instrument(skip_all)]
async fn verify_code(
    state: Data,
    req: HttpRequest,
    session: TypedSession,
    form: Form<CodeForm>,
) -> Reply {
    codes_allowed(&state)?;
    let next = safe_next(Some(&form.0.next));
    let Some(email) = session.code_email() else {
        return Ok(redirect(&crate::routes::sign_in_url(&next)));
    };
    let client = crate::web::respond::client_address(&req, state.config.trust_forwarded_for);
    match sign_in::redeem_code(
        &state.store,
        &email,
        &form.0.code,
        &client,
        state.clock.now(),
    )
    .await
    {
        Err(ServiceError::Invalid(errors)) => render_status(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            &CodePage {
                layout: Layout::anonymous(&state, session.csrf_token(), "Enter your code"),
                next,
                email,
                errors,
            },
        ),
        outcome => finish_external(&state, &session, outcome, &next).await,
    }
}

/// Demo mode: become someone who is not in the directory, as a new guest
/// would after proving their address, without a code.
#[tracing::instrument(skip_all)]
async fn demo_guest(state: Data, session: TypedSession, form: Form<EmailForm>) -> Reply {
    if !state.config.demo {
        return Err(AppError::NotFound);
    }
    let email = crate::domain::user::Email::parse(&form.0.email)
        .map_err(|_| AppError::BadRequest("Enter an email address for the new guest.".into()))?;
    let started = match demo::sign_in_new_guest(&state.store, &email, state.clock.now()).await {
        Ok(started) => started,
        Err(ServiceError::Refused(reason)) => return failed(&state, &session, reason),
        Err(e) => return Err(e.into()),
    };
    session.sign_in_external(&started.who, &started.session, state.clock.now());
    Ok(redirect(&safe_next(Some(&form.0.next))))
}

/// Text from a URL, without control characters (no forged log lines) and bounded.
fn printable(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}
