//! What every console handler works with, taken in one extractor: the
//! application, the administrator and their session. Only administrators get
//! one; anyone else is refused before the handler runs.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::{DateTime, Utc};

use crate::domain::audit::Actor;
use crate::domain::validation::FieldErrors;
use crate::service::ServiceError;
use crate::store::Store;
use crate::web::Reply;
use crate::web::error::AppError;
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{AppState, Data, Layout, redirect};

pub struct Console {
    pub state: Data,
    pub admin: AdminUser,
    pub session: TypedSession,
}

impl FromRequest for Console {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let admin = AdminUser::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = TypedSession(req.get_session());
        Box::pin(async move {
            let admin = admin.await?;
            let state = state
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            Ok(Console {
                state,
                admin,
                session,
            })
        })
    }
}

impl Console {
    /// The console's page frame, titled.
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        Layout::for_user(&self.state, &self.admin, "admin", title)
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The administrator, as the audit log names them.
    pub fn actor(&self) -> Actor {
        self.admin.actor()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    /// Goes to `to`, saying `message` there.
    pub fn done(&self, message: impl Into<String>, to: &str) -> Reply {
        self.session.flash("success", message);
        Ok(redirect(to))
    }

    /// Goes to the object just made, saying "<What> <name> created.".
    pub fn created(&self, what: &str, name: &str, to: &str) -> Reply {
        self.done(format!("{what} {} created.", name.trim()), to)
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
            Ok(_) => self.session.flash("success", message),
            Err(ServiceError::Refused(m)) => self.session.flash("error", m),
            Err(e) => return Err(e.into()),
        }
        Ok(redirect(to))
    }

    /// Saves a parsed form: `save` runs only when the form parsed. What comes
    /// back is the saved value, or the errors to show beside the fields
    /// (from parsing or from the service); any other failure is an error.
    pub async fn save<P, T>(
        &self,
        parsed: Result<P, FieldErrors>,
        save: impl AsyncFnOnce(&Store, &Actor, P, DateTime<Utc>) -> Result<T, ServiceError>,
    ) -> Result<Result<T, FieldErrors>, AppError> {
        let result = match parsed {
            Ok(p) => save(self.store(), &self.actor(), p, self.now()).await,
            Err(e) => Err(ServiceError::Invalid(e)),
        };
        match result {
            Ok(v) => Ok(Ok(v)),
            Err(ServiceError::Invalid(errors)) => Ok(Err(errors)),
            Err(e) => Err(e.into()),
        }
    }

    /// Where a delete button leads: back to the list saying "<What> <name>
    /// deleted.", or, when the service refused (the object is still in use),
    /// back to the object with the reason.
    pub fn deleted(
        &self,
        what: &str,
        result: Result<String, ServiceError>,
        list: &str,
        object: &str,
    ) -> Reply {
        match result {
            Ok(name) => self.done(format!("{what} {name} deleted."), list),
            Err(ServiceError::Refused(m)) => {
                self.session.flash("error", m);
                Ok(redirect(object))
            }
            Err(e) => Err(e.into()),
        }
    }
}
