//! Administrators' work on a package's requests and assignments (cancel,
//! reprocess, remove, assign directly), and extension by the holder. Each
//! function is one transaction with its audit event.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ServiceError;
use super::requests::{deliver, incompatibility, start};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::request::{
    Event, PeriodInput, RequestState, check_period, extension_refusal, transition,
};
use crate::domain::user::{Email, Person, User, UserProfile, UserState, UserType};
use crate::domain::validation::reason_text;
use crate::store::{self, Conn, assignments, audit, packages, policies, requests, users};

async fn record(
    conn: &mut Conn,
    actor: &Actor,
    action: &str,
    id: &str,
    package: &str,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    audit::record(
        conn,
        actor,
        &NewAuditEvent {
            action: action.into(),
            object_type: object_type::ACCESS_PACKAGE,
            object_id: id.into(),
            object_name: package.into(),
            details,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The request, if it belongs to the package.
async fn request_of(
    conn: &mut Conn,
    package: &AccessPackageId,
    id: &str,
) -> Result<requests::RequestRow, ServiceError> {
    requests::get(conn, id)
        .await?
        .filter(|r| r.access_package_id == package.as_str())
        .ok_or(ServiceError::NotFound)
}

async fn package_name(conn: &mut Conn, package: &AccessPackageId) -> Result<String, ServiceError> {
    Ok(packages::get(conn, package)
        .await?
        .ok_or(ServiceError::NotFound)?
        .display_name)
}

/// An administrator cancels a request that is not yet delivered.
pub async fn cancel_request(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let r = request_of(&mut tx, package, id).await?;
    let state = r.state()?;
    let to = transition(state, Event::Canceled).map_err(ServiceError::Refused)?;
    if !requests::move_state(
        &mut tx,
        id,
        state,
        r.current_stage,
        to,
        r.current_stage,
        now,
    )
    .await?
    {
        return Err(ServiceError::Refused(
            "The request changed meanwhile; reload the page.".into(),
        ));
    }
    let name = package_name(&mut tx, package).await?;
    record(
        &mut tx,
        actor,
        "Administrator cancels access package assignment request",
        id,
        &name,
        json!({"request": id, "from": state.as_str(), "target": r.target_email}),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

/// Delivers again a request whose delivery failed or was partial.
pub async fn reprocess_request(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let mut tx = store.begin().await?;
    let r = request_of(&mut tx, package, id).await?;
    let state = r.state()?;
    transition(state, Event::Reprocess).map_err(ServiceError::Refused)?;
    let policy = policies::get(&mut tx, package, &r.policy_id)
        .await?
        .ok_or_else(|| ServiceError::Refused("The request's policy no longer exists.".into()))?;
    let to = deliver(&mut tx, id, &policy, now).await?;
    let name = package_name(&mut tx, package).await?;
    record(
        &mut tx,
        actor,
        "Reprocess access package assignment request",
        id,
        &name,
        json!({"request": id, "state": to.as_str()}),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(to)
}

/// The assignment, if it belongs to the package.
async fn assignment_of(
    conn: &mut Conn,
    package: &AccessPackageId,
    id: &str,
) -> Result<assignments::AssignmentRow, ServiceError> {
    assignments::get(conn, id)
        .await?
        .filter(|a| a.access_package_id == package.as_str())
        .ok_or(ServiceError::NotFound)
}

/// Removes an assignment: its roles are taken back where no other assignment
/// grants them, and attribute values not kept are cleared.
pub async fn remove(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let a = assignment_of(&mut tx, package, id).await?;
    if !a.is_active() {
        return Err(ServiceError::Refused(format!(
            "This assignment is already {}.",
            a.state_text().to_lowercase()
        )));
    }
    let Some(details) = super::access::end_assignment(&mut tx, id, "removed", now).await? else {
        return Err(ServiceError::Refused(
            "The assignment ended meanwhile; reload the page.".into(),
        ));
    };
    record(
        &mut tx,
        actor,
        "Remove access package assignment",
        id,
        &a.package_name,
        details,
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

/// Grants again the roles of an active assignment (after someone removed one by hand).
pub async fn reprocess_assignment(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let a = assignment_of(&mut tx, package, id).await?;
    if !a.is_active() {
        return Err(ServiceError::Refused(format!(
            "Only an active assignment can be reprocessed; this one is {}.",
            a.state_text().to_lowercase()
        )));
    }
    // Ended meanwhile (expired, removed): nothing brings it back.
    if !assignments::set_active_state(&mut tx, id, "delivered").await? {
        return Err(ServiceError::Refused(
            "The assignment ended meanwhile, so it was not reprocessed.".into(),
        ));
    }
    let user = UserId::from_stored(a.target_id.clone());
    super::access::grant_roles(&mut tx, package, &user, now).await?;
    record(
        &mut tx,
        actor,
        "Reprocess access package assignment",
        id,
        &a.package_name,
        json!({"assignment": id, "user": a.target_email}),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

/// What an administrator gives for a direct assignment.
pub struct NewAssignment<'a> {
    pub policy_id: &'a str,
    pub users: Vec<UserId>,
    /// A new guest: email and display name.
    pub new_guest: Option<(&'a str, &'a str)>,
    pub start: &'a str,
    pub end: &'a str,
    /// The administrator's time zone, in which the dates are days.
    pub tz: chrono_tz::Tz,
    pub answers: serde_json::Value,
    /// Required attribute values as the form sent them: `attr_{name}` for
    /// everyone, `attr_{name}.{user id}` for one person, `attr_{name}.new`
    /// for the new guest. Each person's own value wins; where an attribute
    /// is not editable, a person's existing value stays.
    pub attributes: HashMap<String, String>,
    pub bypass_approval: bool,
    pub justification: Option<&'a str>,
}

/// Assigns the package to users (and perhaps a new guest) on their behalf,
/// through the policy's approval or, with a recorded justification, around it.
/// All of them or none: one refusal changes nothing.
pub async fn assign(
    store: &store::Store,
    admin: &User,
    package: &AccessPackageId,
    input: &NewAssignment<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<(String, RequestState)>, ServiceError> {
    let mut tx = store.begin().await?;
    let name = package_name(&mut tx, package).await?;
    let Some(policy) = policies::get(&mut tx, package, input.policy_id).await? else {
        return Err(super::invalid("policy", "Choose a policy of this package."));
    };
    let justification = reason_text(input.justification, "The justification")
        .map_err(|m| super::invalid("justification", m))?;
    let justification = justification.as_deref();
    if input.bypass_approval && justification.is_none() {
        return Err(super::invalid(
            "justification",
            "Bypassing approval requires a business justification.",
        ));
    }
    // Administrators choose the period whatever the policy offers requestors.
    let mut lenient = policy.clone();
    lenient.requestor.allow_custom_assignment_schedule = true;
    let period = check_period(
        &lenient,
        &PeriodInput {
            start: input.start,
            end: input.end,
            tz: input.tz,
        },
        now,
    )
    .map_err(ServiceError::Invalid)?;
    let mut targets: Vec<User> = Vec::new();
    for id in &input.users {
        match users::get(&mut tx, id).await? {
            Some(u) if !targets.iter().any(|t| t.id == u.id) => targets.push(u),
            Some(_) => {}
            None => return Err(super::invalid("users", "A chosen user no longer exists.")),
        }
    }
    let mut guest_id = None;
    if let Some((email, display_name)) = input.new_guest {
        let guest = new_guest(&mut tx, email, display_name, &name, now).await?;
        guest_id = Some(guest.id.clone());
        if !targets.iter().any(|t| t.id == guest.id) {
            targets.push(guest);
        }
    }
    if targets.is_empty() {
        return Err(super::invalid(
            "users",
            "Choose at least one user, or add a new guest.",
        ));
    }
    // Each person's own attribute values: written to them when their
    // request is delivered.
    let required = super::requests::required_attributes(&mut tx, package).await?;
    let mut errors = crate::domain::validation::FieldErrors::new();
    let mut values: Vec<BTreeMap<String, String>> = Vec::new();
    for target in &targets {
        let suffix = if guest_id.as_ref() == Some(&target.id) {
            "new".to_string()
        } else {
            target.id.to_string()
        };
        let mut mine = BTreeMap::new();
        for a in &required {
            let shared = format!("attr_{}", a.attribute_name);
            let own = format!("{shared}.{suffix}");
            let given = input
                .attributes
                .get(&own)
                .filter(|v| !v.trim().is_empty())
                .or(input.attributes.get(&shared));
            match a.value_for(
                &target.attribute(&a.attribute_name),
                given.map(String::as_str),
            ) {
                Ok(v) => {
                    mine.insert(a.attribute_name.clone(), v);
                }
                Err(m) => errors.add(&own, format!("{}: {m}", target.display_name)),
            }
        }
        values.push(mine);
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let mut done = Vec::new();
    for (target, attributes) in targets.iter().zip(values) {
        let who = Person::User(target.clone());
        users::lock(&mut tx, &target.id).await?;
        if requests::held_packages(&mut tx, &target.id)
            .await?
            .contains(&package.to_string())
        {
            return Err(ServiceError::Refused(format!(
                "{} already has this access package.",
                target.display_name
            )));
        }
        if requests::open_request_exists(&mut tx, &requests::Target::User(&target.id), package)
            .await?
        {
            return Err(ServiceError::Refused(format!(
                "{} already has an open request for this access package.",
                target.display_name
            )));
        }
        if let Some(conflict) = incompatibility(&mut tx, &who, package).await? {
            return Err(ServiceError::Refused(format!(
                "{}: {}",
                target.display_name,
                conflict.replacen("You hold", "holds", 1)
            )));
        }
        let organization = super::requests::organization_id_of(&mut tx, target).await?;
        let id = uuid::Uuid::new_v4().to_string();
        requests::insert(
            &mut tx,
            &requests::NewRequest {
                id: &id,
                request_type: "adminAdd",
                package,
                policy_id: input.policy_id,
                requestor: Some(&admin.id),
                target: Some(&target.id),
                target_email: &target.email,
                target_display_name: &target.display_name,
                connected_organization: organization.as_deref(),
                justification,
                answers: &input.answers.to_string(),
                attributes: &serde_json::to_string(&attributes).unwrap_or_else(|_| "{}".into()),
                target_identity: None,
                schedule: period,
                assignment: None,
                approval_bypassed: input.bypass_approval,
            },
            now,
        )
        .await?;
        let state = if input.bypass_approval {
            let to = transition(
                RequestState::Submitted,
                Event::StageApproved {
                    has_next_stage: false,
                },
            )
            .map_err(ServiceError::Refused)?;
            requests::move_state(&mut tx, &id, RequestState::Submitted, 0, to, 0, now).await?;
            deliver(&mut tx, &id, &policy, now).await?
        } else {
            start(
                &mut tx,
                &id,
                &policy,
                Some(target),
                Some(&admin.id),
                organization.as_deref(),
                false,
                None,
                now,
            )
            .await?
        };
        done.push((target.display_name.clone(), state));
        record(
            &mut tx,
            &Actor {
                user_id: Some(admin.id.to_string()),
                display_name: admin.display_name.clone(),
            },
            "Administrator directly assigns user to access package",
            &id,
            &name,
            json!({"request": id, "target": target.email, "policy": policy.display_name,
                   "approvalBypassed": input.bypass_approval, "justification": justification,
                   "state": state.as_str()}),
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(store::map_err)?;
    Ok(done)
}

/// The guest an administrator adds with an assignment, or the user who
/// already has the address.
async fn new_guest(
    conn: &mut Conn,
    email: &str,
    display_name: &str,
    package: &str,
    now: DateTime<Utc>,
) -> Result<User, ServiceError> {
    let email = Email::parse(email).map_err(|_| {
        super::invalid(
            "guest_email",
            "Enter the guest's email address, like name@example.com.",
        )
    })?;
    if let Some(u) = users::find_by_email(conn, email.as_str()).await? {
        return Ok(u);
    }
    let display_name = crate::domain::validation::required_text(
        display_name,
        "The guest's name",
        crate::domain::validation::MAX_NAME,
    )
    .map_err(|m| super::invalid("guest_name", m))?;
    let display_name = display_name.as_str();
    let organization = requests::organization_for_email(conn, email.as_str())
        .await?
        .map(|(o, _)| o);
    let id = UserId::new();
    let profile = UserProfile {
        user_type: UserType::Guest,
        display_name: display_name.to_string(),
        given_name: None,
        surname: None,
        email,
        job_title: None,
        department: None,
        custom_attributes: Default::default(),
        state: UserState::Active,
    };
    users::insert(conn, &id, &profile, None, now).await?;
    users::mark_governed(conn, &id, organization.as_deref()).await?;
    audit::record(
        conn,
        &Actor::system(),
        &NewAuditEvent {
            action: "Create guest user for access package assignment".into(),
            object_type: object_type::USER,
            object_id: id.to_string(),
            object_name: profile.display_name.clone(),
            details: json!({"mail": profile.email.as_str(), "package": package,
                "connectedOrganization": organization}),
        },
        now,
    )
    .await?;
    users::get(conn, &id).await?.ok_or(ServiceError::NotFound)
}

/// Whether the holder may ask to extend the assignment now: `Ok` with the
/// assignment and its policy, or the reason why not.
pub async fn extension_offer(
    conn: &mut Conn,
    user: &User,
    package: &str,
    now: DateTime<Utc>,
) -> Result<
    Option<(
        assignments::AssignmentRow,
        crate::domain::policy::Policy,
        Option<String>,
    )>,
    ServiceError,
> {
    let Some(a) = assignments::active_for(conn, &user.id, package).await? else {
        return Ok(None);
    };
    let Some(policy) = policies::get(
        conn,
        &AccessPackageId::from_stored(package.to_string()),
        &a.policy_id,
    )
    .await?
    else {
        return Ok(None);
    };
    let end = super::requests::parse_ts(&a.end_at);
    // The holder must still be someone the policy admits, under an enabled policy.
    let requestor = super::requests::requestor_of(conn, &Person::User(user.clone())).await?;
    let catalog_external = super::requests::catalog_external(conn, package).await?;
    let refusal = if !policy.enabled
        || !crate::domain::request::admits(&policy, &requestor, catalog_external)
    {
        Some("Your access can no longer be extended: you are not among the people this package's policy admits now.".into())
    } else {
        extension_refusal(&policy, end, now)
    };
    Ok(Some((a, policy, refusal)))
}

/// The holder asks to extend their assignment, with the policy's questions
/// answered again (the form prefills the earlier answers).
pub async fn request_extension(
    store: &store::Store,
    user: &User,
    package: &AccessPackageId,
    given: &HashMap<String, Vec<String>>,
    justification: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let mut tx = store.begin().await?;
    if user.is_blocked() {
        return Err(ServiceError::Refused(
            "Your account is blocked; you cannot request access.".into(),
        ));
    }
    users::lock(&mut tx, &user.id).await?;
    let Some((a, policy, refusal)) = extension_offer(&mut tx, user, package.as_str(), now).await?
    else {
        return Err(ServiceError::Refused(
            "You do not hold this access package, so there is nothing to extend.".into(),
        ));
    };
    if let Some(reason) = refusal {
        return Err(ServiceError::Refused(reason));
    }
    // A question whose answer is not editable keeps the earlier answer,
    // whatever the form sent.
    let mut given = given.clone();
    for answer in earlier_answers(&mut tx, &a.id).await? {
        let locked = policy
            .questions
            .iter()
            .any(|q| q.sequence == answer.sequence && !q.is_answer_editable);
        if locked {
            given.insert(format!("q{}", answer.sequence), answer.values);
        }
    }
    let answers = crate::domain::request::check_answers(&policy.questions, &given)
        .map_err(ServiceError::Invalid)?;
    let answers = serde_json::to_value(&answers).unwrap_or_default();
    if requests::open_request_exists(&mut tx, &requests::Target::User(&user.id), package).await? {
        return Err(ServiceError::Refused(
            "You already have a request for this access package waiting.".into(),
        ));
    }
    let justification = reason_text(justification, "The justification")
        .map_err(|m| super::invalid("justification", m))?;
    let justification = justification.as_deref();
    if policy.approval.is_requestor_justification_required && justification.is_none() {
        return Err(super::invalid(
            "justification",
            "A business justification is required.",
        ));
    }
    let organization = super::requests::organization_id_of(&mut tx, user).await?;
    let id = uuid::Uuid::new_v4().to_string();
    requests::insert(
        &mut tx,
        &requests::NewRequest {
            id: &id,
            request_type: "userExtend",
            package,
            policy_id: &a.policy_id,
            requestor: Some(&user.id),
            target: Some(&user.id),
            target_email: &user.email,
            target_display_name: &user.display_name,
            connected_organization: organization.as_deref(),
            justification,
            answers: &answers.to_string(),
            attributes: "{}",
            target_identity: None,
            schedule: None,
            assignment: Some(&a.id),
            approval_bypassed: false,
        },
        now,
    )
    .await?;
    let state = start(
        &mut tx,
        &id,
        &policy,
        Some(user),
        Some(&user.id),
        organization.as_deref(),
        true,
        None,
        now,
    )
    .await?;
    record(
        &mut tx,
        &Actor {
            user_id: Some(user.id.to_string()),
            display_name: user.display_name.clone(),
        },
        "User requests to extend access package assignment",
        &id,
        &a.package_name,
        json!({"request": id, "assignment": a.id, "currentEnd": a.end_at, "state": state.as_str()}),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(state)
}

/// The answers given with the request that delivered the assignment.
pub async fn earlier_answers(
    conn: &mut Conn,
    assignment: &str,
) -> Result<Vec<crate::domain::request::Answer>, ServiceError> {
    let Some(id) = requests::delivering_request(conn, assignment).await? else {
        return Ok(vec![]);
    };
    Ok(requests::get(conn, &id)
        .await?
        .and_then(|r| serde_json::from_str(&r.answers).ok())
        .unwrap_or_default())
}
