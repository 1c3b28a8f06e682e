//! The holder asks to extend their assignment.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::availability::{facts_of, requestor_from};
use super::{deliver, save};
use crate::domain::audit::Actor;
use crate::domain::ids::{AccessPackageId, AssignmentId, ConnectedOrgId};
use crate::domain::policy::Policy;
use crate::domain::request::{
    Answer, Extension, Names, Request, RequestState, admits, extension_refusal,
};
use crate::domain::user::{Person, User};
use crate::service::error::ServiceError;
use crate::store::assignments::{self, AssignmentRow};
use crate::store::requests::{self, PersonFacts};
use crate::store::snapshot::PackageInfo;
use crate::store::{Conn, Store, users};

/// An extension as offered, with what was read to know it (the holder's
/// facts, the package), which the request for it uses in turn.
pub struct Offer {
    pub assignment: AssignmentRow,
    pub policy: Policy,
    /// Why the holder may not extend it now (its times in their zone), if
    /// they may not.
    pub refusal: Option<String>,
    pub facts: PersonFacts,
    pub info: Arc<PackageInfo>,
}

/// Whether the holder may ask to extend the assignment now: the assignment
/// and its policy, with the reason why not if they may not (its times in
/// the holder's zone `tz`); `None` when they do not hold the package.
#[tracing::instrument(skip_all)]
pub async fn extension_offer(
    store: &Store,
    conn: &mut Conn,
    user: &User,
    package: &AccessPackageId,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Option<Offer>, ServiceError> {
    let Some(assignment) = assignments::active_for(conn, &user.id, package).await? else {
        return Ok(None);
    };
    let who = Person::User(user.clone());
    let facts = facts_of(conn, &who, false).await?;
    let Some(info) = store
        .packages()
        .package(conn, &facts.generation, package)
        .await?
    else {
        return Ok(None);
    };
    let Some(policy) = info.policy(&assignment.policy_id).cloned() else {
        return Ok(None);
    };
    let end = assignment
        .end_at
        .as_deref()
        .and_then(|e| crate::store::parse_ts(e).ok());
    // The holder must still be someone the policy admits, under an enabled policy.
    let requestor = requestor_from(&who, &facts);
    let refusal = if !policy.enabled || !admits(&policy, &requestor, info.facts.catalog_external) {
        Some("Your access can no longer be extended: you are not among the people this package's policy admits now.".into())
    } else {
        extension_refusal(&policy, end, now, tz)
    };
    Ok(Some(Offer {
        assignment,
        policy,
        refusal,
        facts,
        info,
    }))
}

/// The answers given with the request that delivered the assignment.
#[tracing::instrument(skip_all)]
pub async fn earlier_answers(
    conn: &mut Conn,
    assignment: &AssignmentId,
) -> Result<Vec<Answer>, ServiceError> {
    let Some(id) = requests::delivering_request(conn, assignment).await? else {
        return Ok(vec![]);
    };
    let Some(row) = requests::get(conn, &id).await? else {
        return Ok(vec![]);
    };
    Ok(row.decode()?.answers)
}

/// The holder asks to extend their assignment, answering the policy's
/// questions again (those not editable keep their earlier answers); why
/// they may not says its times in their zone `tz`.
#[tracing::instrument(skip_all)]
pub async fn request_extension(
    store: &Store,
    user: &User,
    package: &AccessPackageId,
    given: &HashMap<String, Vec<String>>,
    justification: Option<&str>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<RequestState, ServiceError> {
    if user.is_blocked() {
        return Err(ServiceError::Refused(
            "Your account is blocked; you cannot request access.".into(),
        ));
    }
    let mut tx = store.begin().await?;
    users::lock(&mut tx, &user.id).await?;
    let Some(offer) = extension_offer(store, &mut tx, user, package, now, tz).await? else {
        return Err(ServiceError::Refused(
            "You do not hold this access package, so there is nothing to extend.".into(),
        ));
    };
    let Offer {
        assignment: a,
        policy,
        refusal,
        facts,
        info,
    } = offer;
    if let Some(reason) = refusal {
        return Err(ServiceError::Refused(reason));
    }
    if facts.open_requests.contains(&package.to_string()) {
        return Err(ServiceError::Refused(
            "You already have a request for this access package waiting.".into(),
        ));
    }
    let earlier = earlier_answers(&mut tx, &a.id).await?;
    let extension = Extension {
        holder: user,
        package,
        policy: (&a.policy_id, &policy),
        assignment: &a.id,
        current_end: a.end_at.as_deref(),
        organization: facts
            .organization
            .as_ref()
            .map(|(o, _)| ConnectedOrgId::from_stored(o.clone())),
        earlier: &earlier,
        answers: given,
        justification,
    };
    let (request, audit) = Request::extend(&extension).map_err(ServiceError::Invalid)?;
    let names = Names {
        package: info.facts.display_name.clone(),
        organization: facts.organization_name.clone(),
        asked_by: String::new(),
    };
    let (request, mut changes) =
        deliver::start(&mut tx, &info, &policy, request, &names, now).await?;
    changes.push(audit);
    let actor = Actor {
        user_id: Some(user.id.to_string()),
        display_name: user.display_name.clone(),
    };
    save::commit(tx, &request, &changes, &actor, &names.package, now).await
}
