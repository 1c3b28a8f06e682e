//! Extractors that decide who may run a handler.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::Method, web};

use super::session::{Flash, TypedSession};
use chrono_tz::Tz;

use crate::domain::audit::Actor;
use crate::domain::ids::UserId;
use crate::domain::user::{Person, User};
use crate::routes;
use crate::service::sessions;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// The signed-in, active user. Anyone else is sent to sign in and brought back.
pub struct CurrentUser {
    pub user: User,
    pub is_admin: bool,
    /// Holds a role in some catalog or creates catalogs, so the console is
    /// open to them for their catalogs.
    pub delegated: bool,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Where times are shown for them.
    pub tz: Tz,
    /// The organization's time zone (Settings; else UTC), whose days
    /// schedules such as access reviews count.
    pub organization_tz: Tz,
}

impl CurrentUser {
    /// Their id when they act as a catalog delegate, not an administrator:
    /// what services narrow their choices by.
    pub fn delegate_id(&self) -> Option<&UserId> {
        (!self.is_admin).then_some(&self.user.id)
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id.to_string()),
            display_name: self.user.display_name.clone(),
        }
    }
}

/// The time zone someone chose in their profile, else the one their
/// browser reports (the `tz` cookie the page script sets), else
/// `organization`'s (Settings; a first page, or a browser without the
/// script), else UTC.
pub fn viewer_time_zone(req: &HttpRequest, session: &TypedSession, organization: &str) -> Tz {
    let cookie = req.cookie("tz").map(|c| c.value().to_string());
    let name = session
        .time_zone()
        .or(cookie)
        .unwrap_or_else(|| organization.to_string());
    crate::web::format::time_zone(&name)
}

/// Where to come back to after signing in: this page for a GET, else home.
fn return_path(req: &HttpRequest) -> String {
    if req.method() == Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| routes::HOME.to_string())
    } else {
        routes::HOME.to_string()
    }
}

pub async fn load_current_user(req: &HttpRequest) -> Result<Option<CurrentUser>, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    let session = TypedSession(req.get_session());
    let now = state.clock.now();
    let signed_in = session.user_id().is_some() || session.external().is_some();
    let (true, Some(sid)) = (session.is_fresh(now), session.sid()) else {
        if signed_in {
            session.sign_out();
        }
        return Ok(None);
    };
    let external = session.external();
    let identity = external
        .as_ref()
        .map(|e| (e.issuer.as_str(), e.subject.as_str()));
    let idle = state.config.session_idle;
    match sessions::identify(&state.store, &sid, session.user_id(), identity, idle, now).await? {
        sessions::Identified::User {
            user,
            promoted,
            delegated,
            organization_time_zone,
        } => {
            if promoted {
                session.promote(&user.id);
            }
            Ok(Some(CurrentUser {
                csrf: session.csrf_token(),
                flash: session.take_flash(),
                is_admin: state.is_admin(&user),
                // Roles are given to members only; one who has since become
                // a guest keeps none of them.
                delegated: delegated && !user.is_guest(),
                tz: viewer_time_zone(req, &session, &organization_time_zone),
                organization_tz: crate::web::format::time_zone(&organization_time_zone),
                user: *user,
            }))
        }
        // Signed out elsewhere, blocked, or unused for too long: the copy of
        // the cookie in this browser no longer works.
        sessions::Identified::Ended => {
            session.sign_out();
            Ok(None)
        }
        sessions::Identified::Nobody => Ok(None),
    }
}

/// Whether the session of someone not yet in the directory still holds.
async fn external_session_holds(
    req: &HttpRequest,
    session: &TypedSession,
) -> Result<bool, AppError> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Ok(false);
    };
    let Some(sid) = session.sid() else {
        return Ok(false);
    };
    let idle = state.config.session_idle;
    Ok(sessions::holds(&state.store, &sid, idle, state.clock.now()).await?)
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            load_current_user(&req)
                .await?
                .ok_or_else(|| AppError::SignInRequired {
                    next: return_path(&req),
                })
        })
    }
}

/// Whoever may use My Access: a signed-in user, or someone signed in through a
/// connected organization or an emailed code who is not in the directory yet.
pub struct Requester {
    pub person: Person,
    pub is_admin: bool,
    pub delegated: bool,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub tz: Tz,
}

impl Requester {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.person.user().map(|u| u.id.to_string()),
            display_name: self.person.display_name().to_string(),
        }
    }
}

impl FromRequest for Requester {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(u) = load_current_user(&req).await? {
                return Ok(Requester {
                    person: Person::User(u.user),
                    is_admin: u.is_admin,
                    delegated: u.delegated,
                    csrf: u.csrf,
                    flash: u.flash,
                    tz: u.tz,
                });
            }
            let session = TypedSession(req.get_session());
            let demo = req
                .app_data::<web::Data<AppState>>()
                .is_some_and(|s| s.config.demo);
            let external = session
                .external()
                .filter(|e| demo || e.issuer != crate::domain::user::DEMO_GUEST_ISSUER);
            let holds = match &external {
                Some(_) => external_session_holds(&req, &session).await?,
                None => false,
            };
            if external.is_some() && !holds {
                session.sign_out();
            }
            match external.filter(|_| holds) {
                // Freshness was checked by `load_current_user`, which ends a stale session.
                Some(ext) => Ok(Requester {
                    person: Person::External(ext),
                    is_admin: false,
                    delegated: false,
                    csrf: session.csrf_token(),
                    flash: session.take_flash(),
                    // Not in the directory: no session row brought the
                    // organization's zone, and a first page is read in UTC.
                    tz: viewer_time_zone(&req, &session, ""),
                }),
                None => Err(AppError::SignInRequired {
                    next: return_path(&req),
                }),
            }
        })
    }
}
