//! What every console handler works with: the application, the
//! administrator and their session (`Ctx`), and the outcomes console pages
//! share (a new object, a saved form, a deletion).

use chrono::{DateTime, Utc};

use crate::domain::audit::Actor;
use crate::domain::validation::FieldErrors;
use crate::service::ServiceError;
use crate::store::Store;
use crate::web::Layout;
use crate::web::Reply;
use crate::web::error::AppError;
use crate::web::extract::context::Ctx;
use crate::web::extract::guard::AdminUser;

/// The console's handler context: only administrators get one.
pub type Console = Ctx<AdminUser>;

impl Ctx<AdminUser> {
    /// The console's page frame, titled.
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        Layout::for_user(&self.state, &self.who, "admin", title)
    }

    /// The administrator, as the audit log names them.
    pub fn actor(&self) -> Actor {
        self.who.actor()
    }

    /// Goes to the object just made, saying "<What> <name> created.".
    pub fn created(&self, what: &str, name: &str, to: &str) -> Reply {
        self.done(format!("{what} {} created.", name.trim()), to)
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
            Err(ServiceError::Refused(m)) => self.refused(m, object),
            Err(e) => Err(e.into()),
        }
    }
}
