//! Someone asks for a package under one of the policies that admit them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::availability::{Asker, Availability, Offer, availability_as, availability_in};
use super::{approvers, extensions, save};
use crate::domain::audit::Actor;
use crate::domain::custom_extension::Stage;
use crate::domain::ids::{AccessPackageId, ConnectedOrgId, PolicyId, RequestId, UserId};
use crate::domain::policy::AllowedTargetScope;
use crate::domain::request::{
    Names, PeriodInput, Request, RequestState, RequestType, Submission, answer_field,
    attribute_field,
};
use crate::domain::user::{Person, User};
use crate::service::error::ServiceError;
use crate::store::snapshot::PackageInfo;
use crate::store::{Store, users};

/// What the requestor gives with a request, as the form sent it.
pub struct RequestInput<'a> {
    /// The policy chosen; `None` when the form named none, or no policy.
    pub policy: Option<PolicyId>,
    pub justification: Option<&'a str>,
    /// Answers by question (`q{sequence}` → the values given).
    pub answers: HashMap<String, Vec<String>>,
    /// Values for the attributes the package's resources require (`attr_{name}`).
    pub attributes: HashMap<String, String>,
    /// The period asked for, where the policy allows one, in the
    /// requestor's time zone.
    pub period: PeriodInput<'a>,
}

#[derive(Debug)]
pub struct Submitted {
    pub id: RequestId,
    pub state: RequestState,
    /// Made by a manager for someone who reports to them.
    pub for_someone_else: bool,
}

/// Someone asks for a package under one of the policies that admit them.
/// Everything is read once, in the writing transaction, with the person's
/// row held first, so that two requests at the same moment cannot both pass:
/// the person's facts, the package (from memory) and the first stage's
/// approvers; then the request, its approvers, its mail and its audit event
/// are written.
#[tracing::instrument(skip_all)]
pub async fn submit(
    store: &Store,
    who: &Person,
    package: &AccessPackageId,
    input: &RequestInput<'_>,
    now: DateTime<Utc>,
) -> Result<Submitted, ServiceError> {
    if who.user().is_some_and(User::is_blocked) {
        return Err(ServiceError::Refused(
            "Your account is blocked; you cannot request access.".into(),
        ));
    }
    let mut tx = store.begin().await?;
    if let Some(u) = who.user() {
        users::lock(&mut tx, &u.id).await?;
    }
    let (info, verdict) = availability_in(store, &mut tx, who, package, now).await?;
    let Some(info) = info else {
        return Err(ServiceError::NotFound);
    };
    let offer = match verdict {
        Availability::Offer(offer) => offer,
        other => {
            return Err(ServiceError::Refused(
                other.refusal(&info.facts.display_name, input.period.tz),
            ));
        }
    };
    let submitted = file(tx, who, None, &info, *offer, input, now).await?;
    // Delivered without approval: its grants may have queued provisioning.
    store.wake_workers();
    Ok(submitted)
}

/// A manager asks for a package for `report`, who reports to them, under
/// one of the policies that let managers ask and that admit the report.
/// As `submit`, with the report's row held first; the request is the
/// report's, made by the manager, who therefore cannot approve it.
#[tracing::instrument(skip_all)]
pub async fn submit_for(
    store: &Store,
    manager: &User,
    report: &UserId,
    package: &AccessPackageId,
    input: &RequestInput<'_>,
    now: DateTime<Utc>,
) -> Result<Submitted, ServiceError> {
    if manager.is_blocked() {
        return Err(ServiceError::Refused(
            "Your account is blocked; you cannot request access.".into(),
        ));
    }
    let mut tx = store.begin().await?;
    users::lock(&mut tx, report).await?;
    let report = super::on_behalf::report_of(&mut tx, &manager.id, report).await?;
    let name = report.display_name.clone();
    let who = Person::User(report);
    let (info, verdict) =
        availability_as(store, &mut tx, &who, package, now, Asker::Manager).await?;
    let Some(info) = info else {
        return Err(ServiceError::NotFound);
    };
    let offer = match verdict {
        Availability::Offer(offer) => offer,
        // Nothing is said of a package the manager may not ask for.
        Availability::Unavailable => return Err(ServiceError::NotFound),
        other => {
            return Err(ServiceError::Refused(other.refusal_about(
                &info.facts.display_name,
                &name,
                input.period.tz,
            )));
        }
    };
    let submitted = file(tx, &who, Some(manager), &info, *offer, input, now).await?;
    store.wake_workers();
    Ok(submitted)
}

/// Writes the request `who` may make (made by `manager` for them, where
/// a manager asks) under the policy the form chose among `offer`'s.
async fn file(
    mut tx: crate::store::Tx,
    who: &Person,
    manager: Option<&User>,
    info: &PackageInfo,
    offer: Offer,
    input: &RequestInput<'_>,
    now: DateTime<Utc>,
) -> Result<Submitted, ServiceError> {
    let chosen = input.policy.as_ref();
    let Some((policy_id, policy)) = offer
        .policies
        .iter()
        .find(|(id, _)| chosen.is_some_and(|c| c.as_str() == id))
        .map(|(id, p)| (PolicyId::from_stored(id.clone()), p.clone()))
    else {
        return Err(crate::service::error::invalid(
            "policy",
            "Choose one of the policies offered to you.",
        ));
    };
    let package = AccessPackageId::from_stored(info.facts.id.clone());
    let submission = Submission {
        who,
        manager,
        package: &package,
        policy: (&policy_id, &policy),
        required: &info.attributes,
        organization: offer
            .requestor
            .connected_organization
            .clone()
            .map(ConnectedOrgId::from_stored),
        answers: &input.answers,
        attributes: &input.attributes,
        justification: input.justification,
        period: &input.period,
    };
    let (mut request, audit) = Request::submit(&submission, now).map_err(ServiceError::Invalid)?;
    let mut names = Names {
        package: info.facts.display_name.clone(),
        organization: offer.facts.organization_name.clone(),
        asked_by: manager.map(|m| m.display_name.clone()).unwrap_or_default(),
    };
    // Someone from an unknown domain asking under "all users" proposes an
    // organization for it.
    let proposes = matches!(who, Person::External(_))
        && request.organization.is_none()
        && policy.allowed_target_scope == AllowedTargetScope::AllExternalUsers;
    if proposes {
        let (org, name) =
            super::propose::organization(&mut tx, who.email(), &names.package, now).await?;
        request.organization = Some(org);
        names.organization = name;
    }
    let calls = super::calls::calls_of(info, &policy_id);
    let created = calls.at(Stage::RequestCreated);
    let (request, mut changes) = match created {
        // Approval starts once the extension has answered.
        Some(b) if b.waits_at(Stage::RequestCreated) => request.hold(&policy, b, now),
        _ => {
            let first = approvers::first(&mut tx, &policy, &request).await?;
            let by_extension = extensions::decides(&calls, 1);
            let (mut request, mut changes) =
                request.start_with(&policy, &first, by_extension, &names, now)?;
            if let Some(b) = created {
                changes.push(request.call(Stage::RequestCreated, b, now));
            }
            changes.extend(extensions::approval_call(&request, &calls, now));
            if request.state == RequestState::Approved {
                changes.extend(
                    extensions::on_approval(
                        &mut tx,
                        info,
                        &policy,
                        &mut request,
                        &names,
                        &calls,
                        now,
                    )
                    .await?,
                );
            }
            (request, changes)
        }
    };
    let actor = match manager {
        Some(m) => Actor {
            user_id: Some(m.id.to_string()),
            display_name: m.display_name.clone(),
        },
        None => Actor {
            user_id: who.user().map(|u| u.id.to_string()),
            display_name: who.display_name().to_string(),
        },
    };
    changes.push(audit);
    let state = save::commit(tx, &request, &changes, &actor, &names.package, now).await?;
    Ok(Submitted {
        id: request.id,
        state,
        for_someone_else: manager.is_some(),
    })
}

/// Why an ended request could not be made again, and what it asked for,
/// to ask anew: the package, and the report a manager asked for.
pub struct NotAgain {
    pub package: AccessPackageId,
    pub report: Option<UserId>,
    /// Why, when it was a refusal (answers that no longer fit say nothing
    /// here: the form asks for them again).
    pub refusal: Option<String>,
}

/// Someone asks again for what an ended request of theirs asked for: the
/// same policy, answers, attribute values and justification, all checked
/// afresh (a period asked for is not carried over: it has begun or passed).
/// Refused or refused its answers, it says what the request asked for.
#[tracing::instrument(skip_all)]
pub async fn resubmit(
    store: &Store,
    who: &Person,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<Result<Submitted, NotAgain>, ServiceError> {
    let earlier = super::view::my_request(store, who, id).await?.request;
    // A manager's request for one of their reports is asked again for them.
    let report = match (who.user(), earlier.target.user()) {
        (Some(manager), Some(report)) if manager.id != *report => Some(report.clone()),
        _ => None,
    };
    let refusal = match ask_again(store, who, &earlier, report.as_ref(), now).await {
        Ok(done) => return Ok(Ok(done)),
        Err(ServiceError::Invalid(_)) => None,
        Err(ServiceError::Refused(m)) => Some(m),
        Err(e) => return Err(e),
    };
    Ok(Err(NotAgain {
        package: earlier.package,
        report,
        refusal,
    }))
}

/// `earlier` asked again, by `who` (for `report`).
async fn ask_again(
    store: &Store,
    who: &Person,
    earlier: &Request,
    report: Option<&UserId>,
    now: DateTime<Utc>,
) -> Result<Submitted, ServiceError> {
    if earlier.state.is_open() {
        return Err(ServiceError::Refused("This request is still open.".into()));
    }
    if earlier.kind != RequestType::UserAdd {
        return Err(ServiceError::Refused(
            "Only a request for access can be made again.".into(),
        ));
    }
    let input = RequestInput {
        policy: Some(earlier.policy.clone()),
        justification: earlier.justification.as_deref(),
        answers: earlier
            .answers
            .iter()
            .map(|a| (answer_field(a.sequence), a.values.clone()))
            .collect(),
        attributes: earlier
            .attributes
            .iter()
            .map(|(k, v)| (attribute_field(k), v.clone()))
            .collect(),
        period: PeriodInput::NONE,
    };
    match (who.user(), report) {
        (Some(manager), Some(report)) => submit_for(
            store,
            manager,
            report,
            &earlier.package,
            &input,
            now,
        )
        .await
        .map_err(|e| match e {
            ServiceError::NotFound => ServiceError::Refused(format!(
                "You cannot ask for this for {} any more: they may no longer report to you, \
                         or no policy lets you ask for them.",
                earlier.name
            )),
            e => e,
        }),
        _ => submit(store, who, &earlier.package, &input, now).await,
    }
}
