//! What a page handler works with, taken in one extractor: the application,
//! who is asking (`W`: an administrator in the console, anyone signed in in My
//! Access, a directory user on the approval pages) and their session. Whoever
//! `W` refuses is refused before the handler runs.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::{DateTime, Utc};

use crate::service::ServiceError;
use crate::store::Store;
use crate::web::error::AppError;
use crate::web::extract::session::TypedSession;
use crate::web::respond::{Data, Reply, redirect};
use crate::web::state::AppState;

pub struct Ctx<W> {
    pub state: Data,
    pub who: W,
    pub session: TypedSession,
}

impl<W> FromRequest for Ctx<W>
where
    W: FromRequest<Error = AppError> + 'static,
    W::Future: 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let who = W::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = TypedSession(req.get_session());
        Box::pin(async move {
            let who = who.await?;
            let state = state
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            Ok(Ctx {
                state,
                who,
                session,
            })
        })
    }
}

impl<W> Ctx<W> {
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    /// Goes to `to`, saying `message` there.
    pub fn done(&self, message: impl Into<String>, to: &str) -> Reply {
        self.session.flash("success", message);
        Ok(redirect(to))
    }

    /// Goes to `to`, saying there why it was not done.
    pub fn refused(&self, reason: impl Into<String>, to: &str) -> Reply {
        self.session.flash("error", reason);
        Ok(redirect(to))
    }

    /// Goes to `to` with what happened: `message` when it was done, the
    /// reason when the service refused.
    pub fn done_or_refused<T>(
        &self,
        result: Result<T, ServiceError>,
        message: impl Into<String>,
        to: &str,
    ) -> Reply {
        match result {
            Ok(_) => self.done(message, to),
            Err(ServiceError::Refused(m)) => self.refused(m, to),
            Err(e) => Err(e.into()),
        }
    }
}
