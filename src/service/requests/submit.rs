//! Someone asks for a package under one of the policies that admit them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::json;

use super::availability::{Availability, Offer, availability, facts_of};
use super::{approvers, deliver, save};
use crate::domain::audit::Actor;
use crate::domain::ids::{AccessPackageId, PolicyId, RequestId};
use crate::domain::policy::{AllowedTargetScope, Policy};
use crate::domain::request::{
    Names, PeriodInput, Request, RequestState, RequestType, Target, check_answers, check_period,
};
use crate::domain::user::{Person, User};
use crate::domain::validation::{FieldErrors, reason_text};
use crate::service::ServiceError;
use crate::store::snapshot::PackageInfo;
use crate::store::{Conn, Store, users};

/// What the requestor gives with a request, as the form sent it.
pub struct RequestInput<'a> {
    pub policy_id: &'a str,
    pub justification: Option<&'a str>,
    /// Answers by question (`q{sequence}` → the values given).
    pub answers: HashMap<String, Vec<String>>,
    /// Values for the attributes the package's resources require (`attr_{name}`).
    pub attributes: HashMap<String, String>,
    /// The period asked for, where the policy allows one, in the
    /// requestor's time zone `tz`.
    pub start: &'a str,
    pub end: &'a str,
    pub tz: chrono_tz::Tz,
}

#[derive(Debug)]
pub struct Submitted {
    pub id: String,
    pub state: RequestState,
}

/// Someone asks for a package under one of the policies that admit them.
#[tracing::instrument(skip_all)]
pub async fn submit(
    store: &Store,
    who: &Person,
    package: &AccessPackageId,
    input: &RequestInput<'_>,
    now: DateTime<Utc>,
) -> Result<Submitted, ServiceError> {
    let (info, verdict) = availability(store, who, package.as_str(), now).await?;
    let Some(info) = info else {
        return Err(ServiceError::NotFound);
    };
    match verdict {
        Availability::Offer(offer) => submit_offered(store, who, &info, &offer, input, now).await,
        other => Err(ServiceError::Refused(
            other.refusal(&info.facts.display_name),
        )),
    }
}

/// The attribute values the request writes to the person when delivered:
/// each given where editable (or where the person has none yet), else the
/// person's own; errors keyed by field.
pub(crate) fn attribute_values(
    info: &PackageInfo,
    who: Option<&User>,
    given: &HashMap<String, String>,
    key: impl Fn(&str) -> String,
    errors: &mut FieldErrors,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for a in &info.attributes {
        let field = key(&a.attribute_name);
        let current = who
            .map(|u| u.attribute(&a.attribute_name))
            .unwrap_or_default();
        match a.value_for(&current, given.get(&field).map(String::as_str)) {
            Ok(v) => {
                values.insert(a.attribute_name.clone(), v);
            }
            Err(m) => errors.add(&field, m),
        }
    }
    values
}

/// `submit` for a package whose availability the caller has just read as
/// `offer` (the request page reads it anyway to show the form). What it
/// read is checked again in the writing transaction, with the person's row
/// held, where it cannot race.
#[tracing::instrument(skip_all)]
pub async fn submit_offered(
    store: &Store,
    who: &Person,
    info: &PackageInfo,
    offer: &Offer,
    input: &RequestInput<'_>,
    now: DateTime<Utc>,
) -> Result<Submitted, ServiceError> {
    if who.user().is_some_and(User::is_blocked) {
        return Err(ServiceError::Refused(
            "Your account is blocked; you cannot request access.".into(),
        ));
    }
    let Some(policy) = offer
        .policies
        .iter()
        .find(|(id, _)| id == input.policy_id)
        .map(|(_, p)| p.clone())
    else {
        return Err(ServiceError::Refused(
            "Choose one of the policies offered to you.".into(),
        ));
    };
    let mut request = new_request(who, info, &policy, input, offer, now)?;
    let mut names = Names {
        package: info.facts.display_name.clone(),
        organization: offer.facts.organization_name.clone(),
    };
    // Someone from an unknown domain asking under "all users" proposes an
    // organization for it, in the writing transaction.
    let proposes = matches!(who, Person::External(_))
        && request.organization.is_none()
        && policy.allowed_target_scope == AllowedTargetScope::AllExternalUsers;
    let user = who.user().map(|u| &u.id);
    // The first stage's approvers are read before the writer's transaction,
    // which then only writes.
    let mut first = if request.needs_approval(&policy) && !proposes {
        let mut rc = store.read().await?;
        approvers::resolve(
            &mut rc,
            &policy.approval.stages[0],
            user,
            user,
            request.organization.as_ref().map(|o| o.as_str()),
        )
        .await?
    } else {
        vec![]
    };
    let mut tx = store.begin().await?;
    if let Some(u) = user {
        users::lock(&mut tx, u).await?;
    }
    recheck(&mut tx, who, info).await?;
    if proposes {
        let (org, name) =
            super::propose::organization(&mut tx, who.email(), &names.package, now).await?;
        request.organization = Some(org);
        names.organization = name;
        if request.needs_approval(&policy) {
            first = approvers::resolve(
                &mut tx,
                &policy.approval.stages[0],
                user,
                user,
                request.organization.as_ref().map(|o| o.as_str()),
            )
            .await?;
        }
    }
    let (mut request, mut changes) = request.start(&policy, &first, &names, now)?;
    if request.state == RequestState::Approved {
        changes
            .extend(deliver::deliver_in(&mut tx, info, &policy, &mut request, &names, now).await?);
    }
    let actor = Actor {
        user_id: user.map(|u| u.to_string()),
        display_name: who.display_name().to_string(),
    };
    let event = save::event(
        "User requests access package assignment",
        &request.id,
        &names.package,
        save::details(
            &request,
            json!({"policy": policy.display_name, "justification": request.justification}),
        ),
    );
    let state = save::commit(tx, &request, &changes, &actor, &event, now).await?;
    Ok(Submitted {
        id: request.id.to_string(),
        state,
    })
}

/// The request as the form describes it, checked: answers, attributes,
/// justification and period, every error beside its field.
fn new_request(
    who: &Person,
    info: &PackageInfo,
    policy: &Policy,
    input: &RequestInput<'_>,
    offer: &Offer,
    now: DateTime<Utc>,
) -> Result<Request, ServiceError> {
    let mut errors = FieldErrors::new();
    let answers = check_answers(&policy.questions, &input.answers).unwrap_or_else(|e| {
        errors.merge(&e);
        vec![]
    });
    let attributes = attribute_values(
        info,
        who.user(),
        &input.attributes,
        |name| format!("attr_{name}"),
        &mut errors,
    );
    let justification = reason_text(input.justification, "The justification").unwrap_or_else(|m| {
        errors.add("justification", m);
        None
    });
    if policy.approval.is_requestor_justification_required && justification.is_none() {
        errors.add("justification", "A business justification is required.");
    }
    let schedule = check_period(
        policy,
        &PeriodInput {
            start: input.start,
            end: input.end,
            tz: input.tz,
        },
        now,
    )
    .unwrap_or_else(|e| {
        errors.merge(&e);
        None
    });
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let (target, identity) = match who {
        Person::User(u) => (Target::User(u.id.clone()), None),
        Person::External(e) => (
            Target::External {
                issuer: e.issuer.clone(),
                subject: e.subject.clone(),
            },
            Some((e.issuer.clone(), e.subject.clone())),
        ),
    };
    Ok(Request {
        id: RequestId::new(),
        kind: RequestType::UserAdd,
        state: RequestState::Submitted,
        stage: 0,
        package: AccessPackageId::from_stored(info.facts.id.clone()),
        policy: PolicyId::from_stored(input.policy_id.to_string()),
        requestor: who.user().map(|u| u.id.clone()),
        target,
        email: who.email().to_string(),
        name: who.display_name().to_string(),
        organization: offer
            .requestor
            .connected_organization
            .clone()
            .map(crate::domain::ids::ConnectedOrgId::from_stored),
        justification,
        answers,
        attributes,
        schedule,
        assignment: None,
        approval_bypassed: false,
        identity,
    })
}

/// What the request page read is read again with the person's row held:
/// a twin submission, a package the person got meanwhile, or one it
/// excludes, is refused.
#[tracing::instrument(skip_all)]
pub(crate) async fn recheck(
    conn: &mut Conn,
    who: &Person,
    info: &PackageInfo,
) -> Result<(), ServiceError> {
    let facts = facts_of(conn, who, false).await?;
    let name = &info.facts.display_name;
    if facts.open_requests.contains(&info.facts.id) {
        return Err(ServiceError::Refused(format!(
            "You already have an open request for {name}."
        )));
    }
    if facts.held_packages.contains(&info.facts.id) {
        return Err(ServiceError::Refused(format!("You already have {name}.")));
    }
    if let Some(conflict) = info.conflict(&facts.held_packages, &facts.group_ids) {
        return Err(ServiceError::Refused(conflict));
    }
    Ok(())
}
