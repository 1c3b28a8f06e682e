//! A package as one person sees it on its page: whether they may ask for
//! it, what extending it would take, and whom they may ask for it for.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::policy::Policy;
use crate::domain::request::Answer;
use crate::domain::user::Person;
use crate::service::error::ServiceError;
use crate::service::requests::availability::{Availability, availability, lets_managers_ask};
use crate::service::requests::extend::{earlier_answers, extension_offer};
use crate::store::assignments::AssignmentRow;
use crate::store::snapshot::PackageInfo;
use crate::store::{Conn, Store, users};

/// A package as one person sees it on its page.
pub struct PackageView {
    pub package: Option<Arc<PackageInfo>>,
    pub availability: Availability,
    /// For a package the person holds: what extending it would take.
    pub extension: Option<Extension>,
    /// (id, name) of the direct reports the viewer may ask for this package
    /// for, by name; empty where no policy lets managers ask.
    pub reports: Vec<(String, String)>,
}

impl PackageView {
    /// The page of a package nobody can find: an id that is not one.
    pub fn nowhere() -> PackageView {
        PackageView {
            package: None,
            availability: Availability::Unavailable,
            extension: None,
            reports: vec![],
        }
    }
}

/// An assignment its holder may (or may not yet) extend.
pub struct Extension {
    pub assignment: AssignmentRow,
    pub policy: Policy,
    /// Why it cannot be extended now, if it cannot.
    pub refusal: Option<String>,
    /// The answers given when it was requested.
    pub earlier: Vec<Answer>,
}

#[tracing::instrument(skip_all)]
pub async fn package_view(
    store: &Store,
    who: &Person,
    package: &AccessPackageId,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<PackageView, ServiceError> {
    let (package_info, verdict) = availability(store, who, package, now).await?;
    let extension = match (&verdict, who.user()) {
        (Availability::AlreadyHeld, Some(u)) => {
            let mut conn = store.read().await?;
            match extension_offer(store, &mut conn, u, package, now, tz).await? {
                Some(offer) => Some(Extension {
                    earlier: earlier_answers(&mut conn, &offer.assignment.id).await?,
                    assignment: offer.assignment,
                    policy: offer.policy,
                    refusal: offer.refusal,
                }),
                None => None,
            }
        }
        _ => None,
    };
    let reports = match (&package_info, who.user()) {
        (Some(info), Some(u)) => reports_for(&mut *store.read().await?, info, &u.id).await?,
        _ => vec![],
    };
    Ok(PackageView {
        package: package_info,
        availability: verdict,
        extension,
        reports,
    })
}

/// (id, name) of the manager's direct reports they may ask for the
/// package for, by name; none (and no statement) where no policy of the
/// package lets managers ask.
#[tracing::instrument(skip_all)]
pub(in crate::service::requests) async fn reports_for(
    conn: &mut Conn,
    info: &PackageInfo,
    manager: &UserId,
) -> Result<Vec<(String, String)>, ServiceError> {
    if !info.policies.iter().any(|(_, p)| lets_managers_ask(p)) {
        return Ok(vec![]);
    }
    let mut reports = users::reports_to_ask_for(conn, manager).await?;
    crate::store::requests::sort_reports(&mut reports);
    Ok(reports)
}
