//! Automatic assignment policies at work (Entra's auto-assignment): the
//! people a policy's rule matches are assigned its package, each through a
//! `systemAdd` request delivered at once; the holders who no longer match
//! lose it once the policy's grace period has passed, unless they match
//! again first.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::availability::facts_of;
use super::{deliver, save};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::{AccessPackageId, ConnectedOrgId, PolicyId, RequestId};
use crate::domain::policy::{AutomaticAssignment, Policy};
use crate::domain::request::{EndReason, Names, Request, RequestState, RequestType, Target};
use crate::domain::user::{Person, User};
use crate::service::ServiceError;
use crate::store::snapshot::PackageInfo;
use crate::store::{self, Conn, Store, Tx, audit, parse_ts, users};

/// What one run of the rules did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub assigned: usize,
    pub removed: usize,
}

/// Applies every enabled automatic policy's rule to the directory as it is
/// at `now`, in one transaction.
#[tracing::instrument(skip_all)]
pub async fn apply_rules(store: &Store, now: DateTime<Utc>) -> Result<Applied, ServiceError> {
    let mut tx = store.begin().await?;
    let policies = store::policies::automatic(&mut tx).await?;
    let mut applied = Applied::default();
    if policies.is_empty() {
        return Ok(applied);
    }
    // Read once for all policies: the rules are evaluated here, not in SQL.
    let people = users::active_all(&mut tx).await?;
    for (package, policy_id, policy) in policies {
        let Some(auto) = policy.automatic.clone() else {
            continue;
        };
        let package = AccessPackageId::from_stored(package);
        let Some(info) = store.packages().current(&mut tx, package.as_str()).await? else {
            continue;
        };
        let in_scope: Vec<&User> = people.iter().filter(|u| auto.rule.matches(u)).collect();
        applied.removed += remove_out_of_scope(&mut tx, &policy_id, &auto, &in_scope, now).await?;
        if auto.assign {
            let policy = Rule {
                package: &package,
                info: &info,
                id: &policy_id,
                policy: &policy,
            };
            applied.assigned += assign_in_scope(&mut tx, &policy, &in_scope, now).await?;
        }
    }
    tx.commit().await?;
    if applied.assigned + applied.removed > 0 {
        store.wake_workers();
    }
    Ok(applied)
}

/// The policy being applied, with its package as it is now.
struct Rule<'a> {
    package: &'a AccessPackageId,
    info: &'a PackageInfo,
    id: &'a str,
    policy: &'a Policy,
}

/// Marks the holders who stopped matching, clears the mark of those who
/// match again, and ends (as "no longer matches the rule") the assignments
/// whose grace period has passed; returns how many ended.
async fn remove_out_of_scope(
    tx: &mut Tx,
    policy: &str,
    auto: &AutomaticAssignment,
    in_scope: &[&User],
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let grace = Duration::days(i64::from(auto.grace_period_days));
    let mut removed = 0;
    for (assignment, holder, since) in store::assignments::active_of_policy(tx, policy).await? {
        if in_scope.iter().any(|u| u.id == holder) {
            if since.is_some() {
                store::assignments::set_out_of_scope(tx, &assignment, None).await?;
            }
            continue;
        }
        if !auto.remove_when_out_of_scope {
            continue;
        }
        let since = since.map(|s| parse_ts(&s)).transpose()?.unwrap_or(now);
        if since + grace > now {
            store::assignments::set_out_of_scope(tx, &assignment, Some(since)).await?;
            continue;
        }
        users::lock(tx, &holder).await?;
        let reason = EndReason::OutOfScope;
        if let Some(details) =
            crate::service::access::end_assignment(tx, &assignment, reason, now).await?
        {
            let package = details["package"].as_str().unwrap_or_default().to_string();
            let event = NewAuditEvent::new(
                "Remove access package assignment (no longer matches the automatic assignment rule)",
                object_type::ACCESS_PACKAGE,
                &assignment,
                package,
                details,
            );
            audit::record(tx, &Actor::system(), &event, now).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Assigns the package to the people in scope who neither hold it nor have
/// asked for it, each through a `systemAdd` request delivered at once;
/// someone it would put in conflict with what they hold (separation of
/// duties) is left out. Returns how many were assigned.
async fn assign_in_scope(
    tx: &mut Tx,
    rule: &Rule<'_>,
    in_scope: &[&User],
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let taken = store::assignments::holders_or_requesting(tx, rule.package).await?;
    let mut assigned = 0;
    for user in in_scope.iter().filter(|u| !taken.contains(&u.id)) {
        // Held, then checked again: a request delivered at this moment
        // for the same person is seen, never doubled.
        users::lock(tx, &user.id).await?;
        if assign_one(tx, rule, user, now).await? {
            assigned += 1;
        }
    }
    Ok(assigned)
}

async fn assign_one(
    conn: &mut Conn,
    rule: &Rule<'_>,
    user: &User,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let info = rule.info;
    let facts = facts_of(conn, &Person::User(user.clone()), false).await?;
    if facts.held_packages.contains(&info.facts.id) || facts.open_requests.contains(&info.facts.id)
    {
        return Ok(false);
    }
    if let Some(conflict) = info.conflict(&facts.held_packages, &facts.group_ids) {
        tracing::info!(user = %user.id, %conflict, "automatic assignment left out: separation of duties");
        return Ok(false);
    }
    let request = Request {
        id: RequestId::new(),
        kind: RequestType::SystemAdd,
        state: RequestState::Submitted,
        stage: 0,
        package: rule.package.clone(),
        policy: PolicyId::from_stored(rule.id.to_string()),
        requestor: None,
        target: Target::User(user.id.clone()),
        email: user.email.clone(),
        name: user.display_name.clone(),
        organization: facts
            .organization
            .as_ref()
            .map(|(o, _)| ConnectedOrgId::from_stored(o.clone())),
        justification: None,
        answers: vec![],
        attributes: Default::default(),
        schedule: None,
        assignment: None,
        approval_bypassed: false,
        identity: None,
    };
    let names = Names {
        package: info.facts.display_name.clone(),
        organization: facts.organization_name.clone(),
        asked_by: String::new(),
    };
    let (request, changes) = deliver::start(conn, info, rule.policy, request, &names, now).await?;
    save::apply(conn, &request, &changes, now).await?;
    let event = save::request_event(
        "Create access package assignment (automatic assignment policy)",
        &request,
        &names,
        json!({"target": user.email, "policy": rule.policy.display_name}),
    );
    audit::record(conn, &Actor::system(), &event, now).await?;
    Ok(true)
}
