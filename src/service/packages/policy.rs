//! A package's policies: added, changed, enabled or disabled, deleted; the
//! people, groups and organizations they name looked up all at once.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::draft::resolve;
use super::record::{event, package_row, plural};
use crate::domain::audit::{Actor, diff};
use crate::domain::custom_extension::Stage;
use crate::domain::ids::{AccessPackageId, CatalogId, PolicyId};
use crate::domain::policy::{Approver, Policy, SubjectSet};
use crate::domain::policy_draft::{Names, PolicyDraft};
use crate::service::error::{Saved, ServiceError, found};
use crate::service::lookup::{Lookup, Suggestion, suggest_in};
use crate::service::transaction::{read, write};
use crate::store::packages::PackageRow;
use crate::store::{self, Conn, Store, connected_orgs, directory, packages, policies, users};

/// The names of the people, groups and organizations a policy refers to.
async fn names(conn: &mut Conn, p: &Policy) -> Result<Names, ServiceError> {
    let (mut user_ids, mut group_ids, mut org_ids) = (Vec::new(), Vec::new(), Vec::new());
    for t in &p.specific_allowed_targets {
        match t {
            SubjectSet::SingleUser(u) => user_ids.push(u.to_string()),
            SubjectSet::GroupMembers(g) => group_ids.push(g.to_string()),
            SubjectSet::ConnectedOrganizationMembers(o) => org_ids.push(o.to_string()),
        }
    }
    for s in &p.approval.stages {
        let lists = [
            &s.primary_approvers,
            &s.fallback_primary_approvers,
            &s.escalation_approvers,
            &s.fallback_escalation_approvers,
        ];
        for a in lists.into_iter().flatten() {
            match a {
                Approver::SingleUser(u) => user_ids.push(u.to_string()),
                Approver::GroupMembers(g) => group_ids.push(g.to_string()),
                _ => {}
            }
        }
    }
    Ok(Names {
        users: users::emails_of(conn, &user_ids).await?,
        groups: directory::GROUP_NAMES.names(conn, &group_ids).await?,
        organizations: connected_orgs::ORG_NAMES.names(conn, &org_ids).await?,
    })
}

/// What the policy form shows beside the policy: the package, the
/// attributes its resources require of requestors, and the catalog's custom
/// extensions with the ones the policy (when saved) calls; with `stored`,
/// the policy itself, as saved, with the names of whom it refers to.
#[tracing::instrument(skip_all)]
pub async fn policy_form_context(
    store: &Store,
    id: &AccessPackageId,
    policy: Option<&PolicyId>,
    stored: bool,
    lookup: Option<Lookup<'_>>,
) -> Result<PolicyFormContext, ServiceError> {
    let context = read(store, async |c| {
        let package = package_row(c, id).await?;
        // A policy is read beside its own package only.
        let saved = match policy {
            Some(p) => Some(found(policies::get(c, id, p).await?)?),
            None => None,
        };
        let saved = match saved {
            Some(p) if stored => {
                let names = names(c, &p).await?;
                Some((p, names))
            }
            _ => None,
        };
        let catalog = package.catalog_id.clone();
        let used: Vec<String> = packages::role_scopes(c, id)
            .await?
            .into_iter()
            .map(|s| s.catalog_resource_id)
            .collect();
        let attributes = super::views::required_attributes(c, &catalog, &used).await?;
        let found = suggest_in(c, lookup).await?;
        Ok((package, attributes, saved, found))
    })
    .await?;
    // An automatic policy is changed on its own form, to which the page
    // sends the administrator: nothing more is read for it.
    if context
        .2
        .as_ref()
        .is_some_and(|(p, _)| p.automatic.is_some())
    {
        return Ok(PolicyFormContext {
            package: context.0,
            attributes: context.1,
            stored: context.2,
            extensions: vec![],
            chosen: vec![],
            review: None,
            found: context.3,
        });
    }
    let (extensions, chosen) =
        crate::service::custom_extensions::for_policy(store, &context.0.catalog_id, policy).await?;
    let review = match policy {
        Some(p) => crate::service::reviews::settings_for_form(store, p).await?,
        None => None,
    };
    Ok(PolicyFormContext {
        package: context.0,
        attributes: context.1,
        stored: context.2,
        extensions,
        chosen,
        review,
        found: context.3,
    })
}

/// What the policy form shows beside the policy, and the policy as saved
/// when asked.
pub struct PolicyFormContext {
    pub package: PackageRow,
    pub attributes: Vec<super::views::AttributeInfo>,
    /// The policy as saved, with the names of whom it refers to, when asked.
    pub stored: Option<(Policy, Names)>,
    /// The catalog's custom extensions.
    pub extensions: Vec<crate::store::custom_extensions::ExtensionRow>,
    /// The one the policy calls at each stage.
    pub chosen: Vec<(Stage, String)>,
    /// Its access review settings, with the names of whom they name.
    pub review: Option<ReviewForForm>,
    /// What a picker's search found.
    pub found: Vec<Suggestion>,
}

/// Access review settings with reviewers' addresses and groups' names by id.
pub type ReviewForForm = (
    crate::domain::review::ReviewSettings,
    std::collections::HashMap<String, String>,
    std::collections::HashMap<String, String>,
);

/// Makes the policy call the chosen extensions (each of the package's
/// catalog), when the draft chose; returns the choices by stage name.
#[tracing::instrument(skip_all)]
pub(super) async fn save_extensions(
    conn: &mut Conn,
    catalog: &CatalogId,
    policy: &PolicyId,
    chosen: Option<Vec<(Stage, String)>>,
) -> Result<Option<serde_json::Value>, ServiceError> {
    let Some(chosen) = chosen else {
        return Ok(None);
    };
    let chosen = crate::service::custom_extensions::check_choices(conn, catalog, &chosen).await?;
    crate::service::custom_extensions::save_for_policy(conn, policy, &chosen).await?;
    Ok(Some(json!(
        chosen
            .iter()
            .map(|(s, e)| (s.as_str().to_string(), json!(e)))
            .collect::<serde_json::Map<_, _>>()
    )))
}

/// Saves the policy's access review settings, when the draft says; returns
/// them as the audit log keeps them.
#[tracing::instrument(skip_all)]
pub(super) async fn save_review(
    conn: &mut Conn,
    policy: &PolicyId,
    review: Option<Option<crate::domain::review::ReviewDraft>>,
) -> Result<Option<serde_json::Value>, ServiceError> {
    let Some(review) = review else {
        return Ok(None);
    };
    let saved = crate::service::reviews::save_settings(conn, policy, review).await?;
    Ok(Some(json!(saved)))
}

#[tracing::instrument(skip_all)]
pub async fn add_policy(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    draft: impl Into<PolicyDraft>,
    now: DateTime<Utc>,
) -> Result<PolicyId, ServiceError> {
    let draft = draft.into();
    write(store, actor, now, async |tx| {
        let p = package_row(tx, id).await?;
        let chosen = draft.extensions.clone();
        let review = draft.review.clone();
        let policy = resolve(tx, draft, now).await?;
        let policy_id = PolicyId::new();
        policies::insert(tx, &policy_id, id, &policy, now).await?;
        let calls = save_extensions(tx, &p.catalog_id, &policy_id, chosen).await?;
        let review = save_review(tx, &policy_id, review).await?;
        let details = json!({"policy": policy_id, "displayName": policy.display_name, "settings": store::policies::settings_json(&policy), "customExtensions": calls, "reviewSettings": review});
        let event = event("Create policy", id, &p.display_name, details);
        Ok((policy_id, event))
    })
    .await
}

/// Saves a policy's new settings; returns its name.
#[tracing::instrument(skip_all)]
pub async fn update_policy(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    policy_id: &PolicyId,
    draft: impl Into<PolicyDraft>,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let draft = draft.into();
    write(store, actor, now, async |tx| {
        let p = package_row(tx, id).await?;
        let before = found(policies::get(tx, id, policy_id).await?)?;
        // An automatic policy is changed on its own form only.
        if before.automatic.is_some() {
            return Err(ServiceError::NotFound);
        }
        let chosen = draft.extensions.clone();
        let review = draft.review.clone();
        let policy = resolve(tx, draft, now).await?;
        policies::update(tx, policy_id, &policy, now).await?;
        let calls = save_extensions(tx, &p.catalog_id, policy_id, chosen).await?;
        let review = save_review(tx, policy_id, review).await?;
        let details = json!({
            "policy": policy_id,
            "customExtensions": calls,
            "reviewSettings": review,
            "changes": diff(&[
                ("displayName", json!(before.display_name), json!(policy.display_name)),
                ("allowedTargetScope", json!(before.allowed_target_scope.as_str()), json!(policy.allowed_target_scope.as_str())),
                ("enabled", json!(before.enabled), json!(policy.enabled)),
                ("settings", store::policies::settings_json(&before), store::policies::settings_json(&policy)),
            ]),
        });
        let event = event("Update policy", id, &p.display_name, details);
        Ok((policy.display_name, event))
    })
    .await
}

/// `add_policy` from the policy form; refused, returns what the form shows
/// beside the policy, to show the form as sent again.
#[tracing::instrument(skip_all)]
pub async fn add_policy_from_form(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    draft: PolicyDraft,
    now: DateTime<Utc>,
) -> Result<Saved<PolicyId, PolicyFormContext>, ServiceError> {
    let added = add_policy(store, actor, id, draft, now).await;
    let form = async || policy_form_context(store, id, None, false, None).await;
    Saved::or_page(added, form).await
}

/// `update_policy` from the policy form; refused, as `add_policy_from_form`.
#[tracing::instrument(skip_all)]
pub async fn update_policy_from_form(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    policy_id: &PolicyId,
    draft: PolicyDraft,
    now: DateTime<Utc>,
) -> Result<Saved<String, PolicyFormContext>, ServiceError> {
    let saved = update_policy(store, actor, id, policy_id, draft, now).await;
    let form = async || policy_form_context(store, id, Some(policy_id), false, None).await;
    Saved::or_page(saved, form).await
}

/// Automatic assignment policies are administrators' alone, as in Entra;
/// catalog delegates manage the others.
fn may_change(policy: &Policy, administrator: bool) -> Result<(), ServiceError> {
    if policy.automatic.is_some() && !administrator {
        return Err(ServiceError::Refused(
            "Only administrators change automatic assignment policies.".into(),
        ));
    }
    Ok(())
}

/// Enables or disables a policy (an `administrator` may change an
/// automatic one); returns its name.
#[tracing::instrument(skip_all)]
pub async fn set_policy_enabled(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    policy_id: &PolicyId,
    enabled: bool,
    administrator: bool,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |tx| {
        let p = package_row(tx, id).await?;
        let policy = found(policies::get(tx, id, policy_id).await?)?;
        may_change(&policy, administrator)?;
        policies::set_enabled(tx, policy_id, enabled, now).await?;
        if enabled && !policy.enabled && policy.automatic.is_some() {
            // Grace periods run from now, not from before it was disabled.
            store::assignments::clear_out_of_scope(tx, policy_id).await?;
        }
        let action = if enabled {
            "Enable policy"
        } else {
            "Disable policy"
        };
        let details = json!({"policy": policy_id, "displayName": policy.display_name});
        Ok((
            policy.display_name,
            event(action, id, &p.display_name, details),
        ))
    })
    .await
}

/// Deletes a policy nothing was made under (an `administrator` may delete
/// an automatic one); returns its name.
#[tracing::instrument(skip_all, fields(package = %id, policy = %policy_id))]
pub async fn delete_policy(
    store: &Store,
    actor: &Actor,
    id: &AccessPackageId,
    policy_id: &PolicyId,
    administrator: bool,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |tx| {
        let p = package_row(tx, id).await?;
        let policy = found(policies::get(tx, id, policy_id).await?)?;
        may_change(&policy, administrator)?;
        let (requests, assignments) = policies::uses(tx, policy_id).await?;
        if requests + assignments > 0 {
            return Err(ServiceError::Refused(format!(
                "The policy {} cannot be deleted: {} made under it. Disable it instead, so that {}.",
                policy.display_name,
                match (requests, assignments) {
                    (r, 0) => plural(r, "request was", "requests were"),
                    (0, a) => plural(a, "assignment was", "assignments were"),
                    (r, a) => format!(
                        "{} and {}",
                        plural(r, "request", "requests"),
                        plural(a, "assignment were", "assignments were")
                    ),
                },
                match policy.automatic {
                    Some(_) => "its rule assigns and removes nobody any more",
                    None => "nobody can request under it any more",
                }
            )));
        }
        policies::delete(tx, policy_id).await?;
        let details = json!({"policy": policy_id, "displayName": policy.display_name});
        Ok((policy.display_name, event("Delete policy", id, &p.display_name, details)))
    })
    .await
}
