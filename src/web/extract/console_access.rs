//! Who may use which console page: administrators everywhere; catalog
//! delegates (who hold catalog roles or create catalogs) on the lists, which
//! show them their catalogs, on their catalogs' pages (by their roles
//! there), and on the shared pages their reach admits (the package wizard,
//! New catalog, look-ups).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::guard::CurrentUser;
use crate::domain::catalog_role::{CatalogRight, CatalogRights, CatalogScope, Reach, Within};
use crate::domain::ids::{AccessPackageId, CatalogId};
use crate::service::catalog_roles;
use crate::web::error::AppError;
use crate::web::state::AppState;

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
        admit(req, payload, |c| c.is_admin, AdminUser)
    }
}

/// The signed-in user as `wrap` makes them, when `admits` lets them in;
/// anyone else gets 403 saying who the page is for.
fn admit<T: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    admits: fn(&CurrentUser) -> bool,
    wrap: fn(CurrentUser) -> T,
) -> Pin<Box<dyn Future<Output = Result<T, AppError>>>> {
    let current = CurrentUser::from_request(req, payload);
    Box::pin(async move {
        let current = current.await?;
        if admits(&current) {
            Ok(wrap(current))
        } else {
            Err(console_closed(&current))
        }
    })
}

/// Why someone may not open a console page.
pub(crate) fn console_closed(current: &CurrentUser) -> AppError {
    AppError::Forbidden(if current.delegated {
        "This part of the console is for Gatehouse administrators; your delegated roles open your catalogs only.".into()
    } else {
        CONSOLE_CLOSED.into()
    })
}

/// What someone the console is not open to is told.
const CONSOLE_CLOSED: &str = "The admin console is for Gatehouse administrators and catalog delegates. Ask an administrator if you need access.";

/// Which of the console's shared pages someone reaches, by their `Reach`.
pub trait Reaches {
    fn admits(reach: &Reach) -> bool;
    /// What a delegate it does not admit is told.
    const REFUSAL: &'static str;
}

/// The package wizard: those who manage access packages somewhere.
pub struct MakesPackages;
/// New catalog: catalog creators.
pub struct MakesCatalogs;
/// Look-ups for the policy and assignment forms: those who fill them in.
pub struct FillsForms;
/// The catalog and package lists: whoever the console is open to (an
/// administrator, or a person who holds a role in some catalog or creates
/// catalogs, who sees only their catalogs); their reach says whether the
/// list offers "New".
pub struct SeesLists;

impl Reaches for MakesPackages {
    fn admits(reach: &Reach) -> bool {
        reach.rights.manage_packages
    }
    const REFUSAL: &'static str = "Access package managers and catalog owners make access packages. Ask a catalog owner or an administrator.";
}
impl Reaches for MakesCatalogs {
    fn admits(reach: &Reach) -> bool {
        reach.creates_catalogs
    }
    const REFUSAL: &'static str =
        "Administrators and catalog creators make catalogs. Ask an administrator if you need one.";
}
impl Reaches for SeesLists {
    fn admits(_: &Reach) -> bool {
        true
    }
    // Not said: `Anywhere` refuses whoever the console is closed to first.
    const REFUSAL: &'static str = CONSOLE_CLOSED;
}
impl Reaches for FillsForms {
    fn admits(reach: &Reach) -> bool {
        reach.rights.manage_packages || reach.rights.assign
    }
    const REFUSAL: &'static str = "Look-ups are for those who fill in policies and assignments.";
}

/// Someone whose reach beyond any one catalog admits them to a shared
/// console page (`N`): an administrator, or a delegate whose roles or
/// creator status do. Others get 403.
pub struct Anywhere<N> {
    pub current: CurrentUser,
    pub reach: Reach,
    _needs: PhantomData<N>,
}

impl<N> std::ops::Deref for Anywhere<N> {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.current
    }
}

impl<N> Anywhere<N> {
    /// Which catalogs their lists and choices cover.
    pub fn scope(&self) -> CatalogScope {
        scope_of(&self.current)
    }
}

impl<N: Reaches + 'static> FromRequest for Anywhere<N> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let current = current.await?;
            let reach = if current.is_admin {
                Reach::administrator()
            } else if !current.delegated {
                return Err(console_closed(&current));
            } else {
                let state = state.ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("application state missing"))
                })?;
                catalog_roles::anywhere(&state.store, &current.user.id).await?
            };
            if !N::admits(&reach) {
                return Err(AppError::Forbidden(N::REFUSAL.into()));
            }
            Ok(Anywhere {
                current,
                reach,
                _needs: PhantomData,
            })
        })
    }
}

/// The catalogs a console user's lists and choices cover.
fn scope_of(current: &CurrentUser) -> CatalogScope {
    if current.is_admin {
        CatalogScope::All
    } else {
        CatalogScope::HeldBy(current.user.id.clone())
    }
}

/// What the `{id}` in a console path names: a catalog, or an access package
/// (whose catalog then decides).
pub trait PageOf {
    fn within(id: &str) -> Option<OwnedWithin>;
}

/// An owned `Within`, parsed from a path.
pub enum OwnedWithin {
    Catalog(CatalogId),
    Package(AccessPackageId),
}

impl OwnedWithin {
    fn borrow(&self) -> Within<'_> {
        match self {
            OwnedWithin::Catalog(c) => Within::Catalog(c),
            OwnedWithin::Package(p) => Within::PackageOf(p),
        }
    }
}

/// `/admin/catalogs/{id}/…`
pub struct CatalogPage;
/// `/admin/access-packages/{id}/…`
pub struct PackagePage;

impl PageOf for CatalogPage {
    fn within(id: &str) -> Option<OwnedWithin> {
        CatalogId::parse(id).map(OwnedWithin::Catalog)
    }
}

impl PageOf for PackagePage {
    fn within(id: &str) -> Option<OwnedWithin> {
        AccessPackageId::parse(id).map(OwnedWithin::Package)
    }
}

/// The right a handler needs in its page's catalog.
pub trait Needs {
    const RIGHT: CatalogRight;
}

/// To see.
pub struct Read;
/// To change the catalog itself.
pub struct ManageCatalog;
/// To change access packages and their policies.
pub struct ManagePackages;
/// To assign and remove access, cancel and reprocess requests.
pub struct Assign;

impl Needs for Read {
    const RIGHT: CatalogRight = CatalogRight::Read;
}
impl Needs for ManageCatalog {
    const RIGHT: CatalogRight = CatalogRight::ManageCatalog;
}
impl Needs for ManagePackages {
    const RIGHT: CatalogRight = CatalogRight::ManagePackages;
}
impl Needs for Assign {
    const RIGHT: CatalogRight = CatalogRight::Assign;
}

/// Someone who may do `R` in the catalog of the page (`P`): an
/// administrator, or a person whose roles in that catalog grant it. Anyone
/// else is refused before the handler runs: 403, saying why.
pub struct InCatalog<P, R> {
    pub current: CurrentUser,
    /// Everything they may do there, so that pages offer only that.
    pub rights: CatalogRights,
    _page: PhantomData<(P, R)>,
}

impl<P, R> std::ops::Deref for InCatalog<P, R> {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.current
    }
}

impl<P: PageOf + 'static, R: Needs + 'static> FromRequest for InCatalog<P, R> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let current = current.await?;
            let rights = if current.is_admin {
                CatalogRights::administrator()
            } else if !current.delegated {
                return Err(console_closed(&current));
            } else {
                let raw = req.match_info().get("id").unwrap_or_default();
                let within = P::within(raw).ok_or(AppError::NotFound)?;
                let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("application state missing"))
                })?;
                catalog_roles::rights(&state.store, &current.user.id, within.borrow()).await?
            };
            if !rights.read {
                return Err(AppError::Forbidden(
                    "You hold no role in this catalog. Ask one of its owners or an administrator."
                        .into(),
                ));
            }
            if !rights.allows(R::RIGHT) {
                return Err(AppError::Forbidden(
                    "Your role in this catalog does not let you do this. Ask one of its owners or an administrator."
                        .into(),
                ));
            }
            Ok(InCatalog {
                current,
                rights,
                _page: PhantomData,
            })
        })
    }
}
