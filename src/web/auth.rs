//! Sign-in and sign-out pages: OpenID Connect, and the demo-user picker in demo mode.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Data, Layout, redirect, render, render_status, safe_next};
use crate::auth::csrf::Form;
use crate::auth::session::TypedSession;
use crate::demo;
use crate::domain::ids::UserId;
use crate::domain::user::UserType;
use crate::error::AppError;
use crate::service::{ServiceError, sign_in};
use crate::store::users;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::get().to(login))
        .route("/auth/callback", web::get().to(callback))
        .route("/auth/logout", web::post().to(logout))
        .route("/auth/demo", web::post().to(demo_sign_in));
}

pub struct DemoChoice {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    providers: Vec<(String, String)>,
    demo_users: Vec<DemoChoice>,
    redirect_uri: String,
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

async fn login(
    state: Data,
    session: Session,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let session = TypedSession(session);
    let next = safe_next(q.next.as_deref());
    if session.user_id().is_some() && q.provider.is_none() {
        return Ok(redirect(&next));
    }
    let providers = state.oidc.providers();
    // With one provider and nothing else to choose, go straight to it.
    let chosen =
        match q.provider.as_deref() {
            Some(name) => Some(state.oidc.provider(name).ok_or_else(|| {
                AppError::BadRequest("There is no such identity provider.".into())
            })?),
            None if providers.len() == 1 && !state.config.demo => providers.first(),
            None => None,
        };
    if let Some(provider) = chosen {
        return match state.oidc.start(provider, &next).await {
            Ok((url, pending)) => {
                session.set_pending_sign_in(&pending);
                Ok(redirect(&url))
            }
            Err(e) => failed(&state, &session, e.to_string()),
        };
    }
    let demo_users = if state.config.demo {
        let mut conn = state.store.read().await?;
        demo::sign_in_choices(&mut conn).await?
    } else {
        Vec::new()
    };
    render(&LoginPage {
        layout: Layout::anonymous(&state, session.csrf_token(), "Sign in"),
        next,
        providers: providers
            .iter()
            .map(|p| (p.name.clone(), p.display_name.clone()))
            .collect(),
        demo_users,
        redirect_uri: state.config.url_for("/auth/callback"),
    })
}

fn failed(state: &Data, session: &TypedSession, reason: String) -> Result<HttpResponse, AppError> {
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

async fn callback(
    state: Data,
    session: Session,
    q: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let session = TypedSession(session);
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
    let Some(provider) = state.oidc.provider(&pending.provider) else {
        return failed(
            &state,
            &session,
            "That identity provider is no longer configured.".into(),
        );
    };
    let claims = match state.oidc.finish(provider, &pending, code).await {
        Ok(c) => c,
        Err(e) => return failed(&state, &session, e.to_string()),
    };
    match sign_in::sign_in_once(&state.store, &claims, UserType::Member, state.clock.now()).await {
        Ok(user) => {
            session.sign_in(&user.id, state.clock.now());
            tracing::info!(user = %user.id, "signed in");
            Ok(redirect(&pending.next))
        }
        Err(ServiceError::Refused(reason)) => failed(&state, &session, reason),
        Err(e) => Err(e.into()),
    }
}

async fn logout(session: Session, _form: Form<crate::auth::csrf::NoFields>) -> HttpResponse {
    TypedSession(session).sign_out();
    redirect("/auth/login")
}

#[derive(Deserialize)]
pub struct DemoForm {
    user_id: String,
    #[serde(default)]
    next: String,
}

async fn demo_sign_in(
    state: Data,
    session: Session,
    form: Form<DemoForm>,
) -> Result<HttpResponse, AppError> {
    if !state.config.demo {
        return Err(AppError::NotFound);
    }
    let session = TypedSession(session);
    let id = UserId::parse(&form.0.user_id)
        .ok_or_else(|| AppError::BadRequest("Choose a demo user.".into()))?;
    let mut conn = state.store.read().await?;
    let user = users::get(&mut conn, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !demo::is_demo_user(&mut conn, &user).await? {
        return Err(AppError::Forbidden(
            "Only the demo users can be chosen here.".into(),
        ));
    }
    if user.is_blocked() {
        return failed(
            &state,
            &session,
            "This demo user is blocked from signing in.".into(),
        );
    }
    session.sign_in(&user.id, state.clock.now());
    Ok(redirect(&safe_next(Some(&form.0.next))))
}

/// Text from a URL, without control characters (no forged log lines) and bounded.
fn printable(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}
