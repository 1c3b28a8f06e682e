//! My Access's package page: the package as the person sees it, or as a
//! manager sees it for a direct report, and the request and extension asked
//! for from it, each one call for its handler: a refused one comes back
//! with the page read again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::availability::Availability;
use super::on_behalf::package_view_for;
use super::submit::{RequestInput, Submitted, submit, submit_for};
use super::view::{PackageView, package_view};
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::request::RequestState;
use crate::domain::user::Person;
use crate::domain::validation::FieldErrors;
use crate::service::error::{Saved, ServiceError};
use crate::store::Store;

/// The page: for whom its form is (the report a manager asks for; the
/// person themselves when `None`), and the package as they see it.
pub struct PackageRead {
    pub report: Option<Person>,
    pub view: PackageView,
}

/// Who asks from the page, and when: the person (`who`), the report they
/// ask for, if any, and their time zone.
pub struct Viewer<'a> {
    pub who: &'a Person,
    pub report: Option<&'a UserId>,
    pub now: DateTime<Utc>,
    pub tz: Tz,
}

/// The package's page for `viewer`. Only someone in the directory asks for
/// a report (`NotFound` otherwise).
#[tracing::instrument(skip_all)]
pub async fn package_page(
    store: &Store,
    viewer: &Viewer<'_>,
    id: &AccessPackageId,
) -> Result<PackageRead, ServiceError> {
    match (viewer.report, viewer.who.user()) {
        (Some(report), Some(manager)) => {
            let (report, view) =
                package_view_for(store, &manager.id, report, id, viewer.now).await?;
            Ok(PackageRead {
                report: Some(report),
                view,
            })
        }
        (Some(_), None) => Err(ServiceError::NotFound),
        (None, _) => Ok(PackageRead {
            report: None,
            view: package_view(store, viewer.who, id, viewer.now, viewer.tz).await?,
        }),
    }
}

/// What a request made from the page came to.
pub enum Asked {
    Done(Submitted),
    /// Refused while the package is still on offer to whom it was for: why,
    /// said above its page.
    Refused(String),
    /// Refused, and the package is no longer on offer: the page, read
    /// again, says why.
    Gone(PackageRead),
    /// Answers to correct: the page, read again, with the messages beside
    /// the fields.
    Again(PackageRead, FieldErrors),
}

/// The person asks for the package (for their report, if `viewer` names
/// one) with what the form gave.
#[tracing::instrument(skip_all)]
pub async fn request(
    store: &Store,
    viewer: &Viewer<'_>,
    id: &AccessPackageId,
    input: &RequestInput<'_>,
) -> Result<Asked, ServiceError> {
    let submitted = match (viewer.report, viewer.who.user()) {
        (Some(report), Some(manager)) => {
            submit_for(store, manager, report, id, input, viewer.now).await
        }
        (Some(_), None) => return Err(ServiceError::NotFound),
        (None, _) => submit(store, viewer.who, id, input, viewer.now).await,
    };
    match submitted {
        Ok(done) => Ok(Asked::Done(done)),
        Err(ServiceError::Invalid(errors)) => {
            Ok(Asked::Again(package_page(store, viewer, id).await?, errors))
        }
        Err(ServiceError::Refused(m)) => {
            let page = package_page(store, viewer, id).await?;
            Ok(match page.view.availability {
                Availability::Offer(_) => Asked::Refused(m),
                _ => Asked::Gone(page),
            })
        }
        Err(e) => Err(e),
    }
}

/// The holder asks to extend their assignment of the package with the
/// answers given (`super::extend::request_extension`); answers to correct
/// come back with the page read again.
#[tracing::instrument(skip_all)]
pub async fn extend(
    store: &Store,
    viewer: &Viewer<'_>,
    id: &AccessPackageId,
    answers: &HashMap<String, Vec<String>>,
    justification: Option<&str>,
) -> Result<Saved<RequestState, PackageRead>, ServiceError> {
    // An extension is the holder's own: never asked for a report.
    let holder = match (viewer.report, viewer.who.user()) {
        (None, Some(holder)) => holder,
        _ => return Err(ServiceError::NotFound),
    };
    let (now, tz) = (viewer.now, viewer.tz);
    let asked =
        super::extend::request_extension(store, holder, id, answers, justification, now, tz).await;
    Saved::or_page(asked, async || package_page(store, viewer, id).await).await
}
