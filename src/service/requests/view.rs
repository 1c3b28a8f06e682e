//! What the pages about requests show, read for them: a package as one
//! person sees it, and their requests.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::availability::{Availability, availability};
use super::extend::{earlier_answers, extension_offer};
use crate::domain::policy::Policy;
use crate::domain::request::Answer;
use crate::domain::user::Person;
use crate::service::ServiceError;
use crate::store::Store;
use crate::store::assignments::AssignmentRow;
use crate::store::requests::{self, RequestListRow, Target};
use crate::store::snapshot::PackageInfo;

/// A package as one person sees it on its page.
pub struct PackageView {
    pub package: Option<Arc<PackageInfo>>,
    pub availability: Availability,
    /// For a package the person holds: what extending it would take.
    pub extension: Option<Extension>,
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

pub async fn package_view(
    store: &Store,
    who: &Person,
    package: &str,
    now: DateTime<Utc>,
) -> Result<PackageView, ServiceError> {
    let (package_info, verdict) = availability(store, who, package, now).await?;
    let extension = match (&verdict, who.user()) {
        (Availability::AlreadyHeld, Some(u)) => {
            let mut conn = store.read().await?;
            match extension_offer(store, &mut conn, u, package, now).await? {
                Some((assignment, policy, refusal)) => Some(Extension {
                    earlier: earlier_answers(&mut conn, &assignment.id).await?,
                    assignment,
                    policy,
                    refusal,
                }),
                None => None,
            }
        }
        _ => None,
    };
    Ok(PackageView {
        package: package_info,
        availability: verdict,
        extension,
    })
}

/// Whose requests, in the store's terms.
fn target_of(who: &Person) -> Target<'_> {
    match who {
        Person::User(u) => Target::User(&u.id),
        Person::External(e) => Target::External {
            issuer: &e.issuer,
            subject: &e.subject,
        },
    }
}

/// The person's requests, newest first.
pub async fn history(store: &Store, who: &Person) -> Result<Vec<RequestListRow>, ServiceError> {
    let mut conn = store.read().await?;
    Ok(requests::for_target(&mut conn, &target_of(who)).await?)
}
