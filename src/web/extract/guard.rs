//! Extractors that decide who may run a handler.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::Method, web};

use super::session::{Flash, TypedSession};
use chrono_tz::Tz;

use std::marker::PhantomData;

use crate::domain::audit::Actor;
use crate::domain::catalog_role::{CatalogRight, CatalogRights, CatalogScope, Reach, Within};
use crate::domain::ids::{AccessPackageId, CatalogId, UserId};
use crate::domain::user::{Person, User};
use crate::service::catalog_roles;
use crate::service::sessions;
use crate::web::AppState;
use crate::web::error::AppError;

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
/// browser reports (the `tz` cookie the page script sets), else UTC.
pub fn viewer_time_zone(req: &HttpRequest, session: &TypedSession) -> Tz {
    let cookie = req.cookie("tz").map(|c| c.value().to_string());
    let name = session.time_zone().or(cookie).unwrap_or_default();
    crate::web::format::time_zone(&name)
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
                tz: viewer_time_zone(req, &session),
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
                    tz: viewer_time_zone(&req, &session),
                }),
                None => Err(AppError::SignInRequired {
                    next: return_path(&req),
                }),
            }
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
        "This part of the console is for Gatehouse administrators; your catalog roles open your catalogs only.".into()
    } else {
        "The admin console is for Gatehouse administrators and catalog delegates. Ask an administrator if you need access.".into()
    })
}

/// Someone the console is open to: an administrator, or a person who holds
/// a role in some catalog (and sees only those catalogs). Others get 403.
pub struct ConsoleUser(pub CurrentUser);

impl std::ops::Deref for ConsoleUser {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.0
    }
}

impl ConsoleUser {
    /// Which catalogs their lists show.
    pub fn scope(&self) -> CatalogScope {
        scope_of(&self.0)
    }
}

impl FromRequest for ConsoleUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        admit(req, payload, |c| c.is_admin || c.delegated, ConsoleUser)
    }
}

/// Which of the console's shared pages someone reaches, by their `Reach`.
pub trait Reaches {
    fn admits(reach: &Reach) -> bool;
}

/// The package wizard: those who manage access packages somewhere.
pub struct MakesPackages;
/// New catalog: catalog creators.
pub struct MakesCatalogs;
/// Look-ups for the policy and assignment forms: those who fill them in.
pub struct FillsForms;

impl Reaches for MakesPackages {
    fn admits(reach: &Reach) -> bool {
        reach.rights.manage_packages
    }
}
impl Reaches for MakesCatalogs {
    fn admits(reach: &Reach) -> bool {
        reach.creates_catalogs
    }
}
impl Reaches for FillsForms {
    fn admits(reach: &Reach) -> bool {
        reach.rights.manage_packages || reach.rights.assign
    }
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
                return Err(AppError::Forbidden(
                    "Your catalog roles do not reach this page. Ask a catalog owner or an administrator."
                        .into(),
                ));
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
