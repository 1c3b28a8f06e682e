//! Requests for access packages: submitting one, and deciding its approval
//! stages. Each function is one transaction that also writes the audit event.
//! Delivery of access follows in the request-flow issue.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::{AccessPackageId, CatalogId, UserId};
use crate::domain::policy::{ApprovalStage, Approver, Policy};
use crate::domain::request::{Event, RequestState, Requestor, eligible, transition};
use crate::domain::user::User;
use crate::store::{
    self, Conn, Store, StoreError, audit, catalogs, packages, policies, requests, users,
};

fn event(action: &str, request: &str, package: &str, details: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent {
        action: action.into(),
        object_type: object_type::ACCESS_PACKAGE,
        object_id: request.into(),
        object_name: package.into(),
        details,
    }
}

fn actor_of(u: &User) -> Actor {
    Actor {
        user_id: Some(u.id.to_string()),
        display_name: u.display_name.clone(),
    }
}

/// The approvers a stage resolves to for this request: its primary approvers
/// that can be found, else its fallback approvers. The requestor is never one.
async fn resolve_stage(
    conn: &mut Conn,
    stage: &ApprovalStage,
    target: Option<&User>,
    organization: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    async fn expand(
        conn: &mut Conn,
        list: &[Approver],
        target: Option<&User>,
        organization: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let mut out: Vec<String> = Vec::new();
        for a in list {
            let found = match a {
                Approver::SingleUser(u) => match users::get(conn, u).await? {
                    Some(u) if !u.is_blocked() => vec![u.id.to_string()],
                    _ => vec![],
                },
                Approver::GroupMembers(g) => {
                    requests::active_group_members(conn, g.as_str()).await?
                }
                Approver::RequestorManager => match target.and_then(|t| t.manager_id.clone()) {
                    Some(m) => match users::get(conn, &m).await? {
                        Some(m) if !m.is_blocked() => vec![m.id.to_string()],
                        _ => vec![],
                    },
                    None => vec![],
                },
                Approver::InternalSponsors => match organization {
                    Some(o) => requests::active_sponsors(conn, o, "internal").await?,
                    None => vec![],
                },
                Approver::ExternalSponsors => match organization {
                    Some(o) => requests::active_sponsors(conn, o, "external").await?,
                    None => vec![],
                },
            };
            for f in found {
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
        if let Some(t) = target {
            out.retain(|u| *u != t.id.as_str());
        }
        Ok(out)
    }
    let primary = expand(conn, &stage.primary_approvers, target, organization).await?;
    if !primary.is_empty() {
        return Ok(primary);
    }
    expand(
        conn,
        &stage.fallback_primary_approvers,
        target,
        organization,
    )
    .await
}

#[derive(Debug)]
pub struct Submitted {
    pub id: String,
    pub state: RequestState,
}

/// What the requestor gives with a request.
pub struct RequestInput<'a> {
    pub policy_id: &'a str,
    pub justification: Option<&'a str>,
    pub answers: serde_json::Value,
    /// Values for the attributes the package's resources require.
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// A directory user asks for a package under one of the policies that admit them.
pub async fn submit(
    store: &Store,
    user: &User,
    package: &AccessPackageId,
    input: &RequestInput<'_>,
    now: DateTime<Utc>,
) -> Result<Submitted, ServiceError> {
    let mut tx = store.begin().await?;
    let p = packages::get(&mut tx, package)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let catalog = catalogs::get(&mut tx, &CatalogId::from_stored(p.catalog_id.clone()))
        .await?
        .ok_or(ServiceError::NotFound)?;
    if user.is_blocked() {
        return Err(ServiceError::Refused(
            "Your account is blocked; you cannot request access.".into(),
        ));
    }
    if !catalog.enabled() {
        return Err(ServiceError::Refused(format!(
            "Requests for {} are turned off.",
            p.display_name
        )));
    }
    let requestor = requestor_of(&mut tx, user).await?;
    let all = policies::for_package(&mut tx, package).await?;
    let choices = eligible(&all, &requestor, catalog.is_externally_visible);
    let Some((_, policy)) = choices
        .iter()
        .find(|(id, _)| id == input.policy_id)
        .map(|c| (c.0.clone(), c.1.clone()))
    else {
        return Err(ServiceError::Refused(if choices.is_empty() {
            format!(
                "You are not in the scope of any policy of {}.",
                p.display_name
            )
        } else {
            "Choose one of the policies offered to you.".into()
        }));
    };
    if let Some(conflict) = incompatibility(&mut tx, user, package).await? {
        return Err(ServiceError::Refused(conflict));
    }
    if requests::open_request_exists(&mut tx, &user.id, package).await? {
        return Err(ServiceError::Refused(format!(
            "You already have an open request for {}.",
            p.display_name
        )));
    }
    let justification = input.justification.map(str::trim).filter(|j| !j.is_empty());
    if policy.approval.is_requestor_justification_required && justification.is_none() {
        return Err(super::invalid(
            "justification",
            "A business justification is required.",
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    requests::insert(
        &mut tx,
        &requests::NewRequest {
            id: &id,
            request_type: "userAdd",
            package,
            policy_id: input.policy_id,
            requestor: Some(&user.id),
            target: Some(&user.id),
            target_email: &user.email,
            target_display_name: &user.display_name,
            connected_organization: requestor.connected_organization.as_deref(),
            justification,
            answers: &input.answers.to_string(),
            attributes: &serde_json::to_string(&input.attributes).unwrap_or_else(|_| "{}".into()),
        },
        now,
    )
    .await?;
    let state = start(
        &mut tx,
        &id,
        &policy,
        user,
        requestor.connected_organization.as_deref(),
        now,
    )
    .await?;
    let actor = actor_of(user);
    let details = json!({"request": id, "policy": policy.display_name, "state": state.as_str(), "justification": justification});
    audit::record(
        &mut tx,
        &actor,
        &event(
            "User requests access package assignment",
            &id,
            &p.display_name,
            details,
        ),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(Submitted { id, state })
}

/// Moves a submitted request into its first stage, or approves it at once.
async fn start(
    conn: &mut Conn,
    id: &str,
    policy: &Policy,
    target: &User,
    organization: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let approval = &policy.approval;
    if !approval.is_approval_required_for_add || approval.stages.is_empty() {
        let to = transition(
            RequestState::Submitted,
            Event::StageApproved {
                has_next_stage: false,
            },
        )
        .map_err(ServiceError::Refused)?;
        requests::move_state(conn, id, RequestState::Submitted, 0, to, 0, now).await?;
        return deliver(conn, id, policy, now).await;
    }
    let approvers = resolve_stage(conn, &approval.stages[0], Some(target), organization).await?;
    if approvers.is_empty() {
        return Err(ServiceError::Refused(
            "No approver can be found for this request. Ask an administrator to check the policy's approvers.".into(),
        ));
    }
    requests::add_stage_approvers(conn, id, 1, &approvers, false).await?;
    let to =
        transition(RequestState::Submitted, Event::AwaitApproval).map_err(ServiceError::Refused)?;
    requests::move_state(conn, id, RequestState::Submitted, 0, to, 1, now).await?;
    notify_approvers(conn, id, &approvers, &approval.stages[0], now).await?;
    Ok(to)
}

/// An approver decides the current stage. The first decision wins; a later or
/// concurrent one is told the request was already decided.
pub async fn decide(
    store: &Store,
    approver: &User,
    request_id: &str,
    approve: bool,
    justification: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    let mut tx = store.begin().await?;
    let r = requests::get(&mut tx, request_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let state = r.state()?;
    if r.requestor_id.as_deref() == Some(approver.id.as_str())
        || r.target_id.as_deref() == Some(approver.id.as_str())
    {
        return Err(ServiceError::Refused(
            "Nobody can approve their own request.".into(),
        ));
    }
    if state != RequestState::PendingApproval {
        return Err(ServiceError::Refused(
            transition(state, Event::Denied)
                .err()
                .unwrap_or_else(|| "The request was already decided.".into()),
        ));
    }
    let stage = r.current_stage;
    if !requests::stage_approvers(&mut tx, request_id, stage)
        .await?
        .iter()
        .any(|u| *u == approver.id.as_str())
    {
        return Err(ServiceError::Refused(
            "You are not an approver of this request's current stage.".into(),
        ));
    }
    let package = AccessPackageId::from_stored(r.access_package_id.clone());
    let policy = policies::get(&mut tx, &package, &r.policy_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let stage_settings = policy.approval.stages.get((stage - 1) as usize).cloned();
    let justification = justification.map(str::trim).filter(|j| !j.is_empty());
    if stage_settings
        .as_ref()
        .is_some_and(|s| s.is_approver_justification_required)
        && justification.is_none()
    {
        return Err(super::invalid(
            "justification",
            "Give a reason for your decision.",
        ));
    }
    if !requests::record_decision(
        &mut tx,
        request_id,
        stage,
        approve,
        &approver.id,
        justification,
        now,
    )
    .await?
    {
        return Err(ServiceError::Refused(
            "The request was already decided by another approver.".into(),
        ));
    }
    let has_next = (stage as usize) < policy.approval.stages.len();
    let ev = if approve {
        Event::StageApproved {
            has_next_stage: has_next,
        }
    } else {
        Event::Denied
    };
    let to = transition(state, ev).map_err(ServiceError::Refused)?;
    let new_stage = if approve && has_next {
        stage + 1
    } else {
        stage
    };
    if approve && has_next {
        let target = match &r.target_id {
            Some(t) => users::get(&mut tx, &UserId::from_stored(t.clone())).await?,
            None => None,
        };
        let next = &policy.approval.stages[stage as usize];
        let approvers = resolve_stage(
            &mut tx,
            next,
            target.as_ref(),
            r.connected_organization_id.as_deref(),
        )
        .await?;
        if approvers.is_empty() {
            return Err(ServiceError::Refused(
                "No approver can be found for the next stage. Ask an administrator.".into(),
            ));
        }
        requests::add_stage_approvers(&mut tx, request_id, new_stage, &approvers, false).await?;
        notify_approvers(&mut tx, request_id, &approvers, next, now).await?;
    }
    if !requests::move_state(&mut tx, request_id, state, stage, to, new_stage, now).await? {
        return Err(ServiceError::Refused(
            "The request was already decided by another approver.".into(),
        ));
    }
    let to = if to == RequestState::Approved {
        deliver(&mut tx, request_id, &policy, now).await?
    } else {
        to
    };
    if to == RequestState::Denied {
        notify_requestor(
            &mut tx,
            request_id,
            crate::notify::kind::REQUEST_DENIED,
            justification,
            now,
        )
        .await?;
    }
    let action = if approve {
        "Approve access package assignment request"
    } else {
        "Deny access package assignment request"
    };
    let details = json!({"stage": stage, "justification": justification, "state": to.as_str()});
    let name = packages::get(&mut tx, &package)
        .await?
        .map(|p| p.display_name)
        .unwrap_or_default();
    audit::record(
        &mut tx,
        &actor_of(approver),
        &event(action, request_id, &name, details),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(to)
}

/// When an approved request's access ends, from its policy's lifecycle.
fn end_of(policy: &Policy, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use crate::domain::policy::Expiration;
    match policy.expiration {
        Expiration::NoExpiration => None,
        Expiration::AfterDateTime(t) => Some(t),
        Expiration::AfterDays(d) => Some(now + chrono::Duration::days(i64::from(d))),
        Expiration::AfterHours(h) => Some(now + chrono::Duration::hours(i64::from(h))),
    }
}

/// Delivers an approved request in the same transaction: the assignment, each
/// resource role (once, however many packages grant it), and the attribute
/// values written to the user.
async fn deliver(
    conn: &mut Conn,
    id: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<RequestState, ServiceError> {
    use crate::domain::catalog::OriginSystem;
    use crate::domain::directory::{GroupRole, SiteRole};
    use crate::domain::ids::{GroupId, SiteId};

    let r = requests::get(conn, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let Some(target) = r.target_id.clone().map(UserId::from_stored) else {
        // People not yet in the directory become guests with the request flow.
        return Ok(RequestState::Approved);
    };
    let delivering =
        transition(RequestState::Approved, Event::StartDelivery).map_err(ServiceError::Refused)?;
    requests::move_state(
        conn,
        id,
        RequestState::Approved,
        r.current_stage,
        delivering,
        r.current_stage,
        now,
    )
    .await?;
    let package = AccessPackageId::from_stored(r.access_package_id.clone());
    let assignment = uuid::Uuid::new_v4().to_string();
    requests::insert_assignment(
        conn,
        &assignment,
        package.as_str(),
        &r.policy_id,
        target.as_str(),
        end_of(policy, now),
        now,
    )
    .await?;
    requests::set_assignment(conn, id, &assignment).await?;
    for scope in packages::role_scopes(conn, &package).await? {
        match OriginSystem::parse(&scope.origin_system) {
            Some(OriginSystem::AadGroup) => {
                let role = GroupRole::parse(&scope.role_origin_id).unwrap_or(GroupRole::Member);
                store::directory::add_group_role(
                    conn,
                    &GroupId::from_stored(scope.origin_id.clone()),
                    &target,
                    role,
                    now,
                )
                .await?;
            }
            Some(OriginSystem::SharePointOnline) => {
                let role = SiteRole::parse(&scope.role_origin_id).unwrap_or(SiteRole::Member);
                store::directory::add_site_role(
                    conn,
                    &SiteId::from_stored(scope.origin_id.clone()),
                    &target,
                    role,
                    now,
                )
                .await?;
            }
            Some(OriginSystem::AadApplication) => {
                store::directory::add_app_role_by_id(conn, &scope.role_origin_id, &target, now)
                    .await?;
            }
            None => {}
        }
    }
    let attributes: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&r.attributes).unwrap_or_default();
    if !attributes.is_empty() {
        users::write_attributes(conn, &target, &attributes, now).await?;
    }
    let delivered =
        transition(delivering, Event::Delivered { all: true }).map_err(ServiceError::Refused)?;
    requests::move_state(
        conn,
        id,
        delivering,
        r.current_stage,
        delivered,
        r.current_stage,
        now,
    )
    .await?;
    notify_requestor(conn, id, crate::notify::kind::ACCESS_DELIVERED, None, now).await?;
    Ok(delivered)
}

/// What policy choice needs to know about a directory user.
pub async fn requestor_of(conn: &mut Conn, user: &User) -> Result<Requestor, StoreError> {
    let organization = requests::organization_for_email(conn, &user.email).await?;
    Ok(Requestor {
        user_id: Some(user.id.to_string()),
        is_guest: user.is_guest(),
        group_ids: requests::group_ids_of(conn, &user.id).await?,
        connected_organization: organization.as_ref().map(|(id, _)| id.clone()),
        organization_configured: organization.as_ref().is_some_and(|(_, c)| *c),
    })
}

/// The packages My Access lists for this user (those they may request, and
/// those they hold), with whether they hold each. Three queries, whatever the count.
pub async fn requestable(
    conn: &mut Conn,
    user: &User,
    q: &str,
) -> Result<Vec<(requests::CandidateRow, bool)>, StoreError> {
    let requestor = requestor_of(conn, user).await?;
    let candidates = requests::candidates(conn, q).await?;
    let ids: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
    let all = policies::for_packages(conn, &ids).await?;
    let held = requests::held_packages(conn, &user.id).await?;
    Ok(candidates
        .into_iter()
        .filter_map(|c| {
            let mine: Vec<(String, Policy)> = all
                .iter()
                .filter(|(p, _, _)| *p == c.id)
                .map(|(_, id, p)| (id.clone(), p.clone()))
                .collect();
            let holds = held.contains(&c.id);
            let can = !eligible(&mine, &requestor, c.catalog_external).is_empty();
            (can || holds).then_some((c, holds))
        })
        .collect())
}

/// Whether, and under which policies, the user may request a package now.
pub enum Availability {
    /// The user may choose among these policies.
    Offer(Vec<(String, Policy)>),
    /// Not in any policy's scope, or no such package: said the same way, so
    /// that nobody learns of packages they may not see.
    Unavailable,
    RequestsOff,
    AlreadyHeld,
    OpenRequest,
    /// Separation of duties: what the user holds that the package excludes.
    Incompatible(String),
}

pub async fn availability(
    conn: &mut Conn,
    user: &User,
    package: &str,
) -> Result<(Option<requests::CandidateRow>, Availability), StoreError> {
    let Some((candidate, published)) = requests::candidate(conn, package).await? else {
        return Ok((None, Availability::Unavailable));
    };
    let requestor = requestor_of(conn, user).await?;
    let all =
        policies::for_package(conn, &AccessPackageId::from_stored(candidate.id.clone())).await?;
    // Scope is judged with requests on, so that "turned off" is said only to people in scope.
    let in_scope: Vec<(String, Policy)> = all
        .iter()
        .filter(|(_, p)| crate::domain::request::admits(p, &requestor, candidate.catalog_external))
        .cloned()
        .collect();
    if in_scope.is_empty() {
        return Ok((None, Availability::Unavailable));
    }
    let pkg = AccessPackageId::from_stored(candidate.id.clone());
    if requests::held_packages(conn, &user.id)
        .await?
        .contains(&candidate.id)
    {
        return Ok((Some(candidate), Availability::AlreadyHeld));
    }
    if requests::open_request_exists(conn, &user.id, &pkg).await? {
        return Ok((Some(candidate), Availability::OpenRequest));
    }
    if let Some(conflict) = incompatibility(conn, user, &pkg).await? {
        return Ok((Some(candidate), Availability::Incompatible(conflict)));
    }
    let offer: Vec<(String, Policy)> = eligible(&all, &requestor, candidate.catalog_external)
        .into_iter()
        .cloned()
        .collect();
    if !published || offer.is_empty() {
        return Ok((Some(candidate), Availability::RequestsOff));
    }
    Ok((Some(candidate), Availability::Offer(offer)))
}

/// The requestor withdraws a request that is still waiting.
pub async fn cancel(
    store: &Store,
    user: &User,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let r = requests::get(&mut tx, request_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if r.target_id.as_deref() != Some(user.id.as_str())
        && r.requestor_id.as_deref() != Some(user.id.as_str())
    {
        return Err(ServiceError::NotFound);
    }
    let state = r.state()?;
    let to = transition(state, Event::Canceled).map_err(ServiceError::Refused)?;
    if !matches!(
        state,
        RequestState::Submitted | RequestState::PendingApproval
    ) {
        return Err(ServiceError::Refused(
            "Only a request that is waiting for approval can be canceled here.".into(),
        ));
    }
    if !requests::move_state(
        &mut tx,
        request_id,
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
    let name = packages::get(
        &mut tx,
        &AccessPackageId::from_stored(r.access_package_id.clone()),
    )
    .await?
    .map(|p| p.display_name)
    .unwrap_or_default();
    audit::record(
        &mut tx,
        &actor_of(user),
        &event(
            "Cancel access package assignment request",
            request_id,
            &name,
            json!({}),
        ),
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

/// The access the user holds that the package's separation-of-duties settings
/// forbid, said as people read it; `None` when there is none.
pub async fn incompatibility(
    conn: &mut Conn,
    user: &User,
    package: &AccessPackageId,
) -> Result<Option<String>, StoreError> {
    let held = requests::held_packages(conn, &user.id).await?;
    let groups = requests::group_ids_of(conn, &user.id).await?;
    let mut found: Vec<String> = Vec::new();
    for (id, name) in packages::incompatible_packages(conn, package).await? {
        if held.contains(&id) {
            found.push(format!("the access package {name}"));
        }
    }
    for (id, name) in packages::incompatible_groups(conn, package).await? {
        if groups.contains(&id) {
            found.push(format!("membership of the group {name}"));
        }
    }
    Ok((!found.is_empty()).then(|| {
        format!(
            "You hold {}, which is incompatible with this access package.",
            found.join(" and ")
        )
    }))
}

/// Facts for the messages about a request.
async fn facts(conn: &mut Conn, request_id: &str) -> Result<serde_json::Value, StoreError> {
    let r = requests::get(conn, request_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let package = packages::get(
        conn,
        &AccessPackageId::from_stored(r.access_package_id.clone()),
    )
    .await?
    .map(|p| p.display_name)
    .unwrap_or_default();
    let organization = match &r.connected_organization_id {
        Some(o) => store::connected_orgs::get(
            conn,
            &crate::domain::ids::ConnectedOrgId::from_stored(o.clone()),
        )
        .await?
        .map(|o| o.display_name)
        .unwrap_or_default(),
        None => String::new(),
    };
    Ok(json!({
        "request_id": r.id,
        "package": package,
        "requestor": r.target_display_name,
        "requestor_email": r.target_email,
        "organization": organization,
        "justification": r.justification.unwrap_or_default(),
        "stage": r.current_stage,
    }))
}

/// One approval email per approver of the stage that starts.
async fn notify_approvers(
    conn: &mut Conn,
    request_id: &str,
    approvers: &[String],
    stage: &ApprovalStage,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut data = facts(conn, request_id).await?;
    let decide_by =
        now + chrono::Duration::days(i64::from(stage.duration_before_automatic_denial_days));
    data["decide_by"] = json!(decide_by.format("%Y-%m-%d").to_string());
    for a in approvers {
        if let Some(u) = users::get(conn, &UserId::from_stored(a.clone())).await? {
            store::outbox::enqueue(
                conn,
                crate::notify::kind::APPROVAL_REQUEST,
                &u.email,
                &u.display_name,
                &data,
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// Tells the requestor the outcome.
async fn notify_requestor(
    conn: &mut Conn,
    request_id: &str,
    kind: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut data = facts(conn, request_id).await?;
    data["reason"] = json!(reason.unwrap_or_default());
    let to = data["requestor_email"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = data["requestor"].as_str().unwrap_or_default().to_string();
    store::outbox::enqueue(conn, kind, &to, &name, &data, now).await
}
