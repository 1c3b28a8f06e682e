//! Extractors that decide who may run a handler.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::Method, web};

use super::session::{Flash, TypedSession};
use crate::domain::audit::Actor;
use crate::domain::user::User;
use crate::error::AppError;
use crate::store::users;
use crate::web::AppState;

/// The signed-in, active user. Anyone else is sent to sign in and brought back.
pub struct CurrentUser {
    pub user: User,
    pub is_admin: bool,
    pub csrf: String,
    pub flash: Option<Flash>,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id.to_string()),
            display_name: self.user.display_name.clone(),
        }
    }
}

/// Where to come back to after signing in: this page for a GET, else home.
fn return_path(req: &HttpRequest) -> String {
    if req.method() == Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into())
    } else {
        "/".into()
    }
}

pub async fn load_current_user(req: &HttpRequest) -> Result<Option<CurrentUser>, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    let session = TypedSession(req.get_session());
    let Some(uid) = session.user_id() else {
        return Ok(None);
    };
    if !session.is_fresh(state.clock.now()) {
        session.sign_out();
        return Ok(None);
    }
    let mut conn = state.store.read().await?;
    let user = users::get(&mut conn, &uid).await?;
    match user {
        Some(user) if !user.is_blocked() => {
            let is_admin = state.is_admin(&user);
            Ok(Some(CurrentUser {
                csrf: session.csrf_token(),
                flash: session.take_flash(),
                is_admin,
                user,
            }))
        }
        // Deleted or blocked since signing in: the session ends here.
        _ => {
            session.sign_out();
            Ok(None)
        }
    }
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

/// A signed-in administrator; others get 403.
pub struct AdminUser(pub CurrentUser);

impl std::ops::Deref for AdminUser {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.0
    }
}

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let current = current.await?;
            if current.is_admin {
                Ok(AdminUser(current))
            } else {
                Err(AppError::Forbidden(
                    "The admin console is for Gatehouse administrators. Ask an administrator if you need access."
                        .into(),
                ))
            }
        })
    }
}
