//! A manager asks for access for the people who report to them (Entra's
//! on-behalf-of requests): whom they may ask for, what they may ask for
//! them, and the package as the manager sees it for one of them. The
//! request itself is `submit::submit_for`.

use chrono::{DateTime, Utc};

use super::availability::{Asker, Listing, availability_as, requestable_as};
use super::view::PackageView;
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::user::{Person, User};
use crate::service::error::ServiceError;
use crate::service::transaction::read;
use crate::store::users;
use crate::store::{Conn, Store};

/// `report`, when they report to `manager` and may be asked for (not
/// blocked); `NotFound` otherwise, so that nobody learns of other people.
#[tracing::instrument(skip_all)]
pub(crate) async fn report_of(
    conn: &mut Conn,
    manager: &UserId,
    report: &UserId,
) -> Result<User, ServiceError> {
    match users::get(conn, report).await? {
        Some(u) if u.manager_id.as_ref() == Some(manager) && !u.is_blocked() => Ok(u),
        _ => Err(ServiceError::NotFound),
    }
}

/// What My Access's Available tab lists: the packages the person may
/// request, or (`report`) those they may ask for for one of their direct
/// reports; and (id, name) of the direct reports they may ask for.
pub struct Available {
    pub listing: Listing,
    pub reports: Vec<(String, String)>,
    /// The report the listing is for, if it is for one.
    pub report: Option<User>,
}

/// The Available tab for `who` (see `Available`): one page matching `q`.
/// For the person themselves, one statement (their facts name their
/// reports).
#[tracing::instrument(skip_all)]
pub async fn available(
    store: &Store,
    who: &Person,
    report: Option<&UserId>,
    paging: (&str, usize, usize),
) -> Result<Available, ServiceError> {
    read(store, async |c| match (report, who.user()) {
        (Some(report), Some(manager)) => {
            let report = report_of(c, &manager.id, report).await?;
            let them = Person::User(report.clone());
            let listing = requestable_as(c, store, &them, paging, Asker::Manager).await?;
            let mut reports = users::reports_to_ask_for(c, &manager.id).await?;
            crate::store::requests::sort_reports(&mut reports);
            // The tabs stay the manager's own.
            let tabs = super::view::holdings_in(c, store, &manager.id)
                .await?
                .tabs();
            Ok(Available {
                listing: Listing { tabs, ..listing },
                reports,
                report: Some(report),
            })
        }
        (Some(_), None) => Err(ServiceError::NotFound),
        (None, _) => {
            let mut listing = requestable_as(c, store, who, paging, Asker::Themselves).await?;
            Ok(Available {
                reports: std::mem::take(&mut listing.reports),
                listing,
                report: None,
            })
        }
    })
    .await
}

/// The package as `manager` sees it for `report`: whether, and under which
/// policies, they may ask for it (never an extension: that is the holder's).
#[tracing::instrument(skip_all)]
pub async fn package_view_for(
    store: &Store,
    manager: &UserId,
    report: &UserId,
    package: &AccessPackageId,
    now: DateTime<Utc>,
) -> Result<(Person, PackageView), ServiceError> {
    read(store, async |c| {
        let who = Person::User(report_of(c, manager, report).await?);
        let (package, availability) =
            availability_as(store, c, &who, package, now, Asker::Manager).await?;
        let reports = match &package {
            Some(info) => super::view::reports_for(c, info, manager).await?,
            None => vec![],
        };
        Ok((
            who,
            PackageView {
                package,
                availability,
                extension: None,
                reports,
            },
        ))
    })
    .await
}
