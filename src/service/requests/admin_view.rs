//! What the administrators' pages about a package's requests and
//! assignments show, each read in one connection.

use super::availability::labelled_attributes;

use crate::domain::assignment::AssignmentFilter;
use crate::domain::catalog::RequiredAttribute;
use crate::domain::ids::{AccessPackageId, RequestId, UserId};
use crate::domain::policy::Policy;
use crate::domain::request::{Answer, Request, RequestFilter};
use crate::domain::user::User;
use crate::service::error::{ServiceError, found};
use crate::service::lookup::{Lookup, Suggestion, suggest_in};
use crate::service::transaction::read;
use crate::store::assignments::{self, AssignmentRow};
use crate::store::packages::{self, PackageRow};
use crate::store::requests::{self, AdminRequestRow, DecisionRow, RequestRow};
use crate::store::{Conn, Page, PageAt, Store, policies, users};

/// A package and what `then` reads about it, in one connection.
async fn with_package<T>(
    store: &Store,
    package: &AccessPackageId,
    then: impl AsyncFnOnce(&mut Conn) -> crate::store::Result<T>,
) -> Result<(PackageRow, T), ServiceError> {
    read(store, async |c| {
        let p = found(packages::get(c, package).await?)?;
        Ok((p, then(c).await?))
    })
    .await
}

/// One page of a package's requests, `filter` a state group.
#[tracing::instrument(skip_all)]
pub async fn requests_of(
    store: &Store,
    package: &AccessPackageId,
    filter: Option<RequestFilter>,
    at: PageAt,
) -> Result<(PackageRow, Page<AdminRequestRow>), ServiceError> {
    let list = async |c: &mut Conn| requests::for_package(c, package, filter, at).await;
    with_package(store, package, list).await
}

/// One page of a package's assignments, `filter` a state group.
#[tracing::instrument(skip_all)]
pub async fn assignments_of(
    store: &Store,
    package: &AccessPackageId,
    filter: Option<AssignmentFilter>,
    at: PageAt,
) -> Result<(PackageRow, Page<AssignmentRow>), ServiceError> {
    let list = async |c: &mut Conn| assignments::for_package(c, package, filter, at).await;
    with_package(store, package, list).await
}

/// All of a package's assignments in a state group, for export.
#[tracing::instrument(skip_all)]
pub async fn all_assignments_of(
    store: &Store,
    package: &AccessPackageId,
    filter: Option<AssignmentFilter>,
) -> Result<(PackageRow, Vec<AssignmentRow>), ServiceError> {
    let all = async |c: &mut Conn| assignments::all_for_package(c, package, filter).await;
    with_package(store, package, all).await
}

/// A request as the administrators' page shows it.
pub struct RequestDetails {
    pub package: PackageRow,
    /// As stored: its times and names.
    pub row: RequestRow,
    /// As the domain reads it: its state, answers and attributes.
    pub request: Request,
    pub policy_name: String,
    pub requestor_name: String,
    /// The connected organization the request came from, by name.
    pub organization: Option<String>,
    pub answers: Vec<Answer>,
    /// The attribute values given: (question, value).
    pub attributes: Vec<(String, String)>,
    /// (stage, name, email, whether an alternate approver).
    pub approvers: Vec<(i64, String, String, bool)>,
    /// Each decision with the name of who made it.
    pub decisions: Vec<(DecisionRow, String)>,
    /// The custom extension calls made for it, oldest first.
    pub calls: Vec<crate::store::custom_extensions::CalloutView>,
}

#[tracing::instrument(skip_all)]
pub async fn request_details(
    store: &Store,
    package: &AccessPackageId,
    id: &RequestId,
) -> Result<RequestDetails, ServiceError> {
    read(store, async |c| {
        let p = found(packages::get(c, package).await?)?;
        let row = found(
            requests::get(c, id)
                .await?
                .filter(|r| r.access_package_id == *package),
        )?;
        let request = row.decode()?;
        let policy_name = policies::get(c, package, &row.policy_id)
            .await?
            .map(|p| p.display_name)
            .unwrap_or_default();
        let organization = match &request.organization {
            Some(o) => crate::store::connected_orgs::ORG_NAMES
                .names(c, &[o.to_string()])
                .await?
                .into_values()
                .next(),
            None => None,
        };
        let decisions = requests::decisions(c, id).await?;
        let mut who: Vec<String> = decisions.iter().map(|d| d.reviewed_by.clone()).collect();
        who.extend(row.requestor_id.clone());
        let names = users::names_of(c, &who).await?;
        let name = |u: &str| {
            names
                .get(&UserId::from_stored(u.to_string()))
                .cloned()
                .unwrap_or_default()
        };
        Ok(RequestDetails {
            requestor_name: match &row.requestor_id {
                Some(u) => name(u),
                None => row.target_display_name.clone(),
            },
            decisions: decisions
                .into_iter()
                .map(|d| {
                    let n = d.decider(&names);
                    (d, n)
                })
                .collect(),
            approvers: requests::approvers_of(c, id).await?,
            calls: crate::store::custom_extensions::of_request(c, id.as_str()).await?,
            organization,
            answers: request.answers.clone(),
            attributes: labelled_attributes(store, c, package, &request.attributes).await?,
            package: p,
            policy_name,
            request,
            row,
        })
    })
    .await
}

/// What the form to assign a package on people's behalf shows: the
/// package's policies, the attributes its resources require, and the
/// directory users named so far (by address), with their current values.
pub struct AssignForm {
    pub package: PackageRow,
    /// (policy id, policy).
    pub policies: Vec<(String, Policy)>,
    pub attributes: Vec<RequiredAttribute>,
    pub people: Vec<User>,
    /// What a picker's search found.
    pub found: Vec<Suggestion>,
}

#[tracing::instrument(skip_all)]
pub async fn assign_form(
    store: &Store,
    package: &AccessPackageId,
    emails: &[String],
    lookup: Option<Lookup<'_>>,
) -> Result<AssignForm, ServiceError> {
    let attributes = super::availability::required_attributes(store, package).await?;
    read(store, async |c| {
        let p = found(packages::get(c, package).await?)?;
        let keys: Vec<String> = emails.iter().map(|e| e.trim().to_lowercase()).collect();
        let mut found_users = users::by_emails(c, &keys).await?;
        // In the order they were named.
        found_users.sort_by_key(|u| keys.iter().position(|k| *k == u.email.to_lowercase()));
        Ok(AssignForm {
            policies: policies::for_package(c, package)
                .await?
                .into_iter()
                // An automatic policy assigns by its rule only.
                .filter(|(_, p)| p.enabled && p.automatic.is_none())
                .collect(),
            package: p,
            attributes,
            people: found_users,
            found: suggest_in(c, lookup).await?,
        })
    })
    .await
}
