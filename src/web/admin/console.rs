//! What every console handler works with: the application, who is asking
//! (an administrator, or a catalog delegate) and their session (`Ctx`), what
//! they may do on the page, and the outcomes console pages share (a new
//! object, a saved form, a deletion).

use chrono::{DateTime, Utc};

use crate::domain::audit::Actor;
use crate::domain::catalog_role::CatalogRights;
use crate::domain::validation::FieldErrors;
use crate::service::{Saved, ServiceError};
use crate::store::Store;
use crate::web::error::AppError;
use crate::web::extract::console_access::{
    AdminUser, Anywhere, CatalogPage, InCatalog, PackagePage, SeesLists,
};
use crate::web::extract::context::Ctx;
use crate::web::extract::guard::CurrentUser;
use crate::web::layout::Layout;
use crate::web::respond::Reply;

/// The console's handler context for tenant-wide pages: only
/// administrators get one.
pub type Console = Ctx<AdminUser>;

/// For the catalog and package lists, which delegates use too: each shows
/// a delegate only their catalogs.
pub type Delegated = Ctx<Anywhere<SeesLists>>;

/// For the console's shared pages whoever's reach beyond one catalog
/// admits (`N`): the package wizard, New catalog, look-ups.
pub type Reaching<N> = Ctx<Anywhere<N>>;

/// For a catalog's pages: whoever may do `R` in that catalog.
pub type CatalogConsole<R> = Ctx<InCatalog<CatalogPage, R>>;

/// For an access package's pages: whoever may do `R` in its catalog.
pub type PackageConsole<R> = Ctx<InCatalog<PackagePage, R>>;

/// Whoever a console handler serves, and what they may do on its page.
pub trait ConsoleWho: std::ops::Deref<Target = CurrentUser> {
    fn rights(&self) -> CatalogRights;
}

impl ConsoleWho for AdminUser {
    fn rights(&self) -> CatalogRights {
        CatalogRights::administrator()
    }
}

/// Outside any one catalog a delegate may only look (lists show their
/// catalogs; each catalog's pages say what they may do there).
fn outside_catalogs(who: &CurrentUser) -> CatalogRights {
    if who.is_admin {
        CatalogRights::administrator()
    } else {
        CatalogRights {
            read: true,
            ..CatalogRights::default()
        }
    }
}

impl<N> ConsoleWho for Anywhere<N> {
    fn rights(&self) -> CatalogRights {
        outside_catalogs(self)
    }
}

impl<P, R> ConsoleWho for InCatalog<P, R> {
    fn rights(&self) -> CatalogRights {
        self.rights
    }
}

impl<W: ConsoleWho> Ctx<W> {
    /// The console's page frame, titled, offering what the viewer may do.
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        let mut layout = Layout::for_user(&self.state, &self.who, "admin", title);
        layout.may = self.who.rights();
        layout
    }

    /// Who is asking, as the audit log names them.
    pub fn actor(&self) -> Actor {
        self.who.actor()
    }

    /// Today in the organization's time zone, whose days schedules count
    /// (a first access review's default day).
    pub fn organization_today(&self) -> chrono::NaiveDate {
        self.now()
            .with_timezone(&self.who.organization_tz)
            .date_naive()
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

    /// Saves a parsed form with `save`, which reads the form's page again
    /// when it refuses the input; a form that did not parse is shown on its
    /// page as `page` reads it. Either way the handler makes one call.
    pub async fn save_or_show<P, T, V>(
        &self,
        parsed: Result<P, FieldErrors>,
        save: impl AsyncFnOnce(&Store, &Actor, P, DateTime<Utc>) -> Result<Saved<T, V>, ServiceError>,
        page: impl AsyncFnOnce(&Store) -> Result<V, ServiceError>,
    ) -> Result<Saved<T, V>, AppError> {
        Ok(match parsed {
            Ok(p) => save(self.store(), &self.actor(), p, self.now()).await?,
            Err(errors) => Saved::Again(page(self.store()).await?, errors),
        })
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
