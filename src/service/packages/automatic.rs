//! A package's automatic assignment policy (Entra's auto-assignment
//! policy): at most one per package, made and changed by administrators,
//! with a look at whom its rule matches before it is saved.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::record::{event, package_row};
use crate::domain::audit::{Actor, diff};
use crate::domain::ids::{AccessPackageId, PolicyId};
use crate::domain::membership_rule::MembershipRule;
use crate::domain::policy::{AutomaticInput, Policy};
use crate::domain::user::User;
use crate::domain::validation::FieldErrors;
use crate::service::error::{Saved, ServiceError, found, invalid};
use crate::service::transaction::{read, write};
use crate::store::packages::PackageRow;
use crate::store::{self, StoreError, policies, users};

const ONE_PER_PACKAGE: &str = "This package already has an automatic assignment policy, and a package has one at most: change that one instead.";

/// Whether a broken rule is the one-per-package index (named on PostgreSQL,
/// described by its column on SQLite), not another constraint.
fn one_per_package(constraint: &str) -> bool {
    constraint.contains("assignment_policies_one_automatic")
        || (constraint.starts_with("UNIQUE") && constraint.contains("access_package_id"))
}

/// How many of the people a rule matches are named on the form.
pub const MATCHES_LISTED: usize = 20;

/// Whom a rule matches now, among the people not blocked.
#[derive(Debug, Default)]
pub struct Matching {
    pub count: usize,
    /// (name, email) of the first `MATCHES_LISTED`, by name.
    pub first: Vec<(String, String)>,
}

/// Whose matches the automatic policy's page lists.
pub enum Listed<'a> {
    Nobody,
    /// Those the saved policy's rule matches.
    SavedRule,
    Rule(&'a MembershipRule),
}

/// The automatic policy's page: the package, its automatic policy when one
/// is given, and whom the rule `listed` names matches.
pub struct AutomaticView {
    pub package: PackageRow,
    pub policy: Option<Policy>,
    pub matching: Option<Matching>,
}

/// The package, its automatic policy `policy_id` when one is given
/// (`NotFound` for any other policy), and whom the rule `listed` names
/// matches now.
#[tracing::instrument(skip_all)]
pub async fn automatic_policy(
    store: &store::Store,
    package: &AccessPackageId,
    policy_id: Option<&PolicyId>,
    listed: Listed<'_>,
) -> Result<AutomaticView, ServiceError> {
    let wanted = !matches!(listed, Listed::Nobody);
    let (row, policy, people) = read(store, async |c| {
        let row = package_row(c, package).await?;
        let policy = match policy_id {
            Some(id) => {
                let p = found(policies::get(c, package, id).await?)?;
                if p.automatic.is_none() {
                    return Err(ServiceError::NotFound);
                }
                Some(p)
            }
            None => None,
        };
        // Rules are evaluated here, not in SQL: everyone is read, and
        // matched once the connection is back in the pool.
        let people = if wanted {
            users::active_all(c).await?
        } else {
            vec![]
        };
        Ok((row, policy, people))
    })
    .await?;
    let saved = policy.as_ref().and_then(|p| p.automatic.as_ref());
    let rule = match listed {
        Listed::Nobody => None,
        Listed::SavedRule => saved.map(|a| &a.rule),
        Listed::Rule(r) => Some(r),
    };
    Ok(AutomaticView {
        matching: rule.map(|r| matching(people, r)),
        package: row,
        policy,
    })
}

/// Those of `people` whom `rule` matches.
fn matching(people: Vec<User>, rule: &MembershipRule) -> Matching {
    let mut hits: Vec<(String, String)> = people
        .into_iter()
        .filter(|u| rule.matches(u))
        .map(|u| (u.display_name, u.email))
        .collect();
    hits.sort_by_key(|(name, _)| name.to_lowercase());
    let count = hits.len();
    hits.truncate(MATCHES_LISTED);
    Matching { count, first: hits }
}

/// The page with a rule as typed (`rule`) and what was said against the
/// form: whom the rule matches is listed when it is one and nothing is said
/// against it. Only administrators save or check rules, and whom a rule
/// matches is theirs to see.
async fn with_rule(
    store: &store::Store,
    package: &AccessPackageId,
    policy_id: Option<&PolicyId>,
    rule: &str,
    errors: &FieldErrors,
) -> Result<AutomaticView, ServiceError> {
    let parsed = MembershipRule::parse(rule).ok();
    let listed = match &parsed {
        Some(r) if errors.get("rule").is_none() => Listed::Rule(r),
        _ => Listed::Nobody,
    };
    automatic_policy(store, package, policy_id, listed).await
}

/// "Check rule": the page with whom `rule` matches, or its error.
#[tracing::instrument(skip_all)]
pub async fn check_rule(
    store: &store::Store,
    package: &AccessPackageId,
    policy_id: Option<&PolicyId>,
    rule: &str,
) -> Result<(AutomaticView, FieldErrors), ServiceError> {
    let mut errors = FieldErrors::new();
    errors.check("rule", MembershipRule::parse(rule));
    let view = with_rule(store, package, policy_id, rule, &errors).await?;
    Ok((view, errors))
}

/// `saved`, or when its form was refused, the page to show it again on.
async fn or_again(
    saved: Result<String, ServiceError>,
    store: &store::Store,
    package: &AccessPackageId,
    policy_id: Option<&PolicyId>,
    input: &AutomaticInput<'_>,
) -> Result<Saved<String, AutomaticView>, ServiceError> {
    match saved {
        Err(ServiceError::Invalid(errors)) => {
            let view = with_rule(store, package, policy_id, input.rule, &errors).await?;
            Ok(Saved::Again(view, errors))
        }
        other => other.map(Saved::Done),
    }
}

/// Adds the package's automatic assignment policy, enabled; returns its
/// name, or the page to show the refused form again on.
#[tracing::instrument(skip_all)]
pub async fn add_automatic_policy(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    input: &AutomaticInput<'_>,
    now: DateTime<Utc>,
) -> Result<Saved<String, AutomaticView>, ServiceError> {
    let added = add(store, actor, package, input, now).await;
    or_again(added, store, package, None, input).await
}

async fn add(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    input: &AutomaticInput<'_>,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let policy = input.policy(true, now).map_err(ServiceError::Invalid)?;
    write(store, actor, now, async |tx| {
        let p = package_row(tx, package).await?;
        let existing = policies::for_package(tx, package).await?;
        if existing.iter().any(|(_, e)| e.automatic.is_some()) {
            return Err(invalid("rule", ONE_PER_PACKAGE));
        }
        let policy_id = PolicyId::new();
        // Another administrator's policy saved since the check above.
        match policies::insert(tx, &policy_id, package, &policy, now).await {
            Err(StoreError::Conflict(c)) if one_per_package(&c) => {
                return Err(invalid("rule", ONE_PER_PACKAGE));
            }
            other => other?,
        }
        let details = json!({"policy": policy_id, "displayName": policy.display_name,
            "settings": policies::settings_json(&policy)});
        let event = event(
            "Create automatic assignment policy",
            package,
            &p.display_name,
            details,
        );
        Ok((policy.display_name, event))
    })
    .await
}

/// Saves new settings of the package's automatic policy `policy_id`, which
/// stays enabled or disabled as it was; returns its name, or the page to
/// show the refused form again on.
#[tracing::instrument(skip_all)]
pub async fn update_automatic_policy(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    policy_id: &PolicyId,
    input: &AutomaticInput<'_>,
    now: DateTime<Utc>,
) -> Result<Saved<String, AutomaticView>, ServiceError> {
    let saved = write(store, actor, now, async |tx| {
        let p = package_row(tx, package).await?;
        let before = found(policies::get(tx, package, policy_id).await?)?;
        if before.automatic.is_none() {
            return Err(ServiceError::NotFound);
        }
        let policy = input
            .policy(before.enabled, now)
            .map_err(ServiceError::Invalid)?;
        policies::update(tx, policy_id, &policy, now).await?;
        let details = json!({
            "policy": policy_id,
            "changes": diff(&[
                ("displayName", json!(before.display_name), json!(policy.display_name)),
                ("settings", policies::settings_json(&before), policies::settings_json(&policy)),
            ]),
        });
        let event = event(
            "Update automatic assignment policy",
            package,
            &p.display_name,
            details,
        );
        Ok((policy.display_name, event))
    })
    .await;
    or_again(saved, store, package, Some(policy_id), input).await
}
