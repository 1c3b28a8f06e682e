//! Automatic assignment policies at work (Entra's auto-assignment): the
//! people a policy's rule matches are assigned its package, each through a
//! `systemAdd` request delivered at once; the holders who no longer match
//! lose it once the policy's grace period has passed, unless they match
//! again first.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::availability::facts_of;
use super::{deliver, save};
use crate::domain::audit::Actor;
use crate::domain::ids::{AccessPackageId, ConnectedOrgId, PolicyId, UserId};
use crate::domain::policy::{AutomaticAssignment, Policy};
use crate::domain::request::{DirectAssignment, EndReason, Names, Request, attribute_values};
use crate::domain::user::{Person, User};
use crate::domain::validation::FieldErrors;
use crate::service::error::ServiceError;
use crate::service::transaction::read;
use crate::store::snapshot::PackageInfo;
use crate::store::{self, Conn, Store, Tx, parse_ts, users};

/// Assignments given or ended per transaction: a broad new rule is applied
/// in several, so that none holds its rows for long.
const CHANGES_PER_TRANSACTION: usize = 500;

/// What one run of the rules did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub assigned: usize,
    pub removed: usize,
    /// Policies whose run failed (each logged).
    pub failed: usize,
}

/// Applies every enabled automatic policy's rule to the directory as it is
/// at `now`, each policy on its own: one that fails is logged and counted,
/// and the others still run.
#[tracing::instrument(skip_all)]
pub async fn apply_rules(store: &Store, now: DateTime<Utc>) -> Result<Applied, ServiceError> {
    let (ids, people) = read(store, async |c| {
        let ids = store::policies::automatic_ids(c).await?;
        // Read once for all policies: rules are evaluated here, not in SQL.
        let people = if ids.is_empty() {
            vec![]
        } else {
            users::active_all(c).await?
        };
        Ok((ids, people))
    })
    .await?;
    let mut applied = Applied::default();
    for id in ids {
        match apply_policy(store, &id, &people, now).await {
            Ok(a) => {
                applied.assigned += a.assigned;
                applied.removed += a.removed;
            }
            // The others still run; what this one did before failing stays.
            Err(e) => {
                applied.failed += 1;
                tracing::error!(policy = %id, error = %e, "automatic assignment policy failed");
            }
        }
    }
    if applied.assigned + applied.removed > 0 {
        store.wake_workers();
    }
    Ok(applied)
}

/// Applies one policy, in transactions of at most
/// `CHANGES_PER_TRANSACTION` changes, each holding the policy so that
/// another instance skips it meanwhile.
async fn apply_policy(
    store: &Store,
    id: &PolicyId,
    people: &[User],
    now: DateTime<Utc>,
) -> Result<Applied, ServiceError> {
    let mut applied = Applied::default();
    loop {
        let mut tx = store.begin().await?;
        // Disabled or deleted meanwhile, or being applied by another instance.
        let Some((package, policy)) = store::policies::lock_automatic(&mut tx, id).await? else {
            break;
        };
        let Some(auto) = policy.automatic.clone() else {
            break;
        };
        let package = AccessPackageId::from_stored(package);
        let Some(info) = store.packages().current(&mut tx, &package).await? else {
            break;
        };
        let in_scope: Vec<&User> = people.iter().filter(|u| auto.rule.matches(u)).collect();
        let mut budget = CHANGES_PER_TRANSACTION;
        let (removed, held) =
            remove_out_of_scope(&mut tx, id, &auto, &in_scope, now, &mut budget).await?;
        let mut assigned = 0;
        // A transaction holds people in one order of their ids: one that
        // held those whose access ends leaves the assignments to the next.
        if auto.assign && !held {
            let rule = Rule {
                package: &package,
                info: &info,
                id,
                policy: &policy,
            };
            assigned = assign_in_scope(&mut tx, &rule, &in_scope, now, &mut budget).await?;
        }
        tx.commit().await?;
        applied.assigned += assigned;
        applied.removed += removed;
        // Each pass that held someone ended their assignments (or found them
        // ended), so the next finds fewer to end.
        if budget > 0 && !held {
            break;
        }
    }
    Ok(applied)
}

/// The policy being applied, with its package as it is now.
struct Rule<'a> {
    package: &'a AccessPackageId,
    info: &'a PackageInfo,
    id: &'a PolicyId,
    policy: &'a Policy,
}

/// Marks the holders who stopped matching (with removal on), clears the
/// mark of those who match again or whom the policy no longer removes
/// (both in bulk), and ends (as "no longer matches the rule") the
/// assignments whose grace period has passed, within `budget`; returns how
/// many ended, and whether it held anyone (whose access was to end).
async fn remove_out_of_scope(
    tx: &mut Tx,
    policy: &PolicyId,
    auto: &AutomaticAssignment,
    in_scope: &[&User],
    now: DateTime<Utc>,
    budget: &mut usize,
) -> Result<(usize, bool), ServiceError> {
    let matching: HashSet<&UserId> = in_scope.iter().map(|u| &u.id).collect();
    let grace = Duration::days(i64::from(auto.grace_period_days));
    let (mut clear, mut mark, mut due) = (vec![], vec![], vec![]);
    for (assignment, holder, since) in store::assignments::active_of_policy(tx, policy).await? {
        if matching.contains(&holder) || !auto.remove_when_out_of_scope {
            if since.is_some() {
                clear.push(assignment);
            }
            continue;
        }
        let since = since.map(|s| parse_ts(&s)).transpose()?;
        if since.unwrap_or(now) + grace <= now {
            due.push((assignment, holder));
        } else if since.is_none() {
            mark.push(assignment);
        }
    }
    // The people whose access ends are held before any assignment row is
    // changed, all at once in the order of their ids, as every change
    // holding several people takes them.
    due.truncate(*budget);
    let holders: Vec<&UserId> = due.iter().map(|(_, holder)| holder).collect();
    users::lock_each(tx, &holders).await?;
    let held = !holders.is_empty();
    store::assignments::set_out_of_scope(tx, &clear, None).await?;
    store::assignments::set_out_of_scope(tx, &mark, Some(now)).await?;
    // Ended together, as an expiry ends its batch: roles taken back, values
    // not kept cleared, holders told and each ending audited, in a handful
    // of statements.
    let ids: Vec<String> = due.into_iter().map(|(assignment, _)| assignment).collect();
    let batch = uuid::Uuid::new_v4().to_string();
    let reason = EndReason::OutOfScope;
    let removed = store::batch::end_listed(tx, &batch, &ids, reason.as_str(), now).await? as usize;
    if removed > 0 {
        crate::service::access::finish_ended(
            tx,
            &batch,
            reason,
            Some("Remove access package assignment (no longer matches the automatic assignment rule)"),
            now,
        )
        .await?;
    }
    *budget -= removed;
    Ok((removed, held))
}

/// Assigns the package to the people in scope who neither hold it nor have
/// asked for it, each through a `systemAdd` request delivered at once,
/// within `budget`. Someone without a value the package's resources
/// require, or whom it would put in conflict with what they hold
/// (separation of duties), is left out, found without a statement per
/// person; one whose assignment fails is logged and left out, the others
/// still assigned. Returns how many were assigned.
async fn assign_in_scope(
    tx: &mut Tx,
    rule: &Rule<'_>,
    in_scope: &[&User],
    now: DateTime<Utc>,
    budget: &mut usize,
) -> Result<usize, ServiceError> {
    let taken = store::assignments::holders_or_requesting(tx, rule.package).await?;
    let mut candidates: Vec<(&User, BTreeMap<String, String>)> = Vec::new();
    for user in in_scope.iter().filter(|u| !taken.contains(&u.id)) {
        // Their own values only: nobody answers for them.
        let mut missing = FieldErrors::new();
        let attributes = attribute_values(
            &rule.info.attributes,
            Some(user),
            &HashMap::new(),
            str::to_string,
            &mut missing,
        );
        if missing.is_empty() {
            candidates.push((user, attributes));
        } else {
            tracing::debug!(user = %user.id, "automatic assignment left out: a required attribute has no value");
        }
    }
    let conflicting = in_conflict(tx, rule.info, &candidates).await?;
    // Held one by one below, in the order of their ids, as every change
    // holding several people takes them.
    candidates.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let mut assigned = 0;
    for (user, attributes) in candidates {
        if *budget == 0 {
            break;
        }
        if conflicting.contains(&user.id) {
            continue;
        }
        // Held, then checked again: a request delivered at this moment
        // for the same person is seen, never doubled.
        let mut one = Store::savepoint(tx).await?;
        users::lock(&mut one, &user.id).await?;
        match assign_one(&mut one, rule, user, attributes, now).await {
            Ok(true) => {
                one.commit().await?;
                assigned += 1;
                *budget -= 1;
            }
            Ok(false) => one.commit().await?,
            // Rolled back to before this person (a savepoint).
            Err(e) => tracing::warn!(user = %user.id, error = %e, "automatic assignment failed"),
        }
    }
    Ok(assigned)
}

/// The candidates the package would put in conflict with what they hold
/// (separation of duties), from their holdings read in bulk; nobody when
/// the package excludes nothing.
async fn in_conflict(
    conn: &mut Conn,
    info: &PackageInfo,
    candidates: &[(&User, BTreeMap<String, String>)],
) -> Result<HashSet<UserId>, ServiceError> {
    if info.incompatible_packages.is_empty() && info.incompatible_groups.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<String> = candidates.iter().map(|(u, _)| u.id.to_string()).collect();
    let (packages, groups) = store::assignments::holdings_of(conn, &ids).await?;
    let mut held: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
    for (user, package) in packages {
        held.entry(user).or_default().0.push(package);
    }
    for (user, group) in groups {
        held.entry(user).or_default().1.push(group);
    }
    Ok(held
        .into_iter()
        .filter(|(_, (packages, groups))| info.conflict(packages, groups).is_some())
        .map(|(user, _)| UserId::from_stored(user))
        .collect())
}

async fn assign_one(
    conn: &mut Conn,
    rule: &Rule<'_>,
    user: &User,
    attributes: BTreeMap<String, String>,
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
    let (request, audit) = Request::assign(DirectAssignment {
        by: None,
        target: user,
        package: rule.package,
        policy: (rule.id, rule.policy),
        organization: facts
            .organization
            .as_ref()
            .map(|(o, _)| ConnectedOrgId::from_stored(o.clone())),
        justification: None,
        answers: vec![],
        attributes,
        schedule: None,
        approval_bypassed: false,
    });
    let names = Names {
        package: info.facts.display_name.clone(),
        organization: facts.organization_name.clone(),
        asked_by: String::new(),
    };
    let (request, mut changes) =
        deliver::start(conn, info, rule.policy, request, &names, now).await?;
    changes.push(audit);
    save::persist(
        conn,
        &request,
        &changes,
        &Actor::system(),
        &names.package,
        now,
    )
    .await?;
    Ok(true)
}
