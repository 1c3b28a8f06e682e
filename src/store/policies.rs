//! Access packages' assignment policies, stored with their settings as
//! Graph-shaped JSON (`requestorSettings`, `requestApprovalSettings`,
//! `questions`, `expiration`) and their targets as rows.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::columns::{Flag, parse_ts, ts};
use super::error::{Result, StoreError};
use super::sql::{Conn, Rows, Statement};
use crate::domain::catalog::Localization;
use crate::domain::ids::{AccessPackageId, ConnectedOrgId, GroupId, PolicyId, UserId};
use crate::domain::membership_rule::MembershipRule;
use crate::domain::policy::{
    AllowedTargetScope, ApprovalSettings, ApprovalStage, Approver, AutomaticAssignment, Choice,
    Expiration, Policy, Question, QuestionKind, RequestorSettings, SubjectSet,
};

fn approver_json(a: &Approver) -> Value {
    match a {
        Approver::SingleUser(u) => {
            json!({"@odata.type": "#microsoft.graph.singleUser", "userId": u.as_str()})
        }
        Approver::GroupMembers(g) => {
            json!({"@odata.type": "#microsoft.graph.groupMembers", "groupId": g.as_str()})
        }
        Approver::RequestorManager => {
            json!({"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 1})
        }
        Approver::SecondLevelManager => {
            json!({"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 2})
        }
        Approver::InternalSponsors => json!({"@odata.type": "#microsoft.graph.internalSponsors"}),
        Approver::ExternalSponsors => json!({"@odata.type": "#microsoft.graph.externalSponsors"}),
    }
}

fn approver_from(v: &Value) -> Result<Approver> {
    let id = |k: &str| text_of(v, k);
    Ok(
        match v
            .get("@odata.type")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "#microsoft.graph.singleUser" => {
                Approver::SingleUser(UserId::from_stored(id("userId")?))
            }
            "#microsoft.graph.groupMembers" => {
                Approver::GroupMembers(GroupId::from_stored(id("groupId")?))
            }
            "#microsoft.graph.requestorManager" => {
                match v.get("managerLevel").and_then(Value::as_i64) {
                    None | Some(1) => Approver::RequestorManager,
                    Some(2) => Approver::SecondLevelManager,
                    Some(n) => return Err(StoreError::Corrupt(format!("manager level {n}"))),
                }
            }
            "#microsoft.graph.internalSponsors" => Approver::InternalSponsors,
            "#microsoft.graph.externalSponsors" => Approver::ExternalSponsors,
            other => return Err(StoreError::Corrupt(format!("approver type {other}"))),
        },
    )
}

fn approvers_json(list: &[Approver]) -> Value {
    Value::Array(list.iter().map(approver_json).collect())
}

fn approvers_from(v: Option<&Value>) -> Result<Vec<Approver>> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(approver_from).collect())
        .unwrap_or_else(|| Ok(vec![]))
}

fn localizations_json(l: &[Localization]) -> Value {
    serde_json::to_value(l).unwrap_or(Value::Array(vec![]))
}

/// A text's translations; none when the document has none.
fn localizations_from(v: Option<&Value>) -> Result<Vec<Localization>> {
    match v {
        None | Some(Value::Null) => Ok(vec![]),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| StoreError::Corrupt(format!("localizations: {e}"))),
    }
}

/// The settings document of a policy, in Graph's shape.
pub fn settings_json(p: &Policy) -> Value {
    let r = &p.requestor;
    let a = &p.approval;
    let expiration = match &p.expiration {
        Expiration::NoExpiration => json!({"type": "noExpiration"}),
        Expiration::AfterDateTime(t) => json!({"type": "afterDateTime", "endDateTime": ts(*t)}),
        Expiration::AfterDays(d) => json!({"type": "afterDuration", "duration": format!("P{d}D")}),
        Expiration::AfterHours(h) => {
            json!({"type": "afterDuration", "duration": format!("PT{h}H")})
        }
    };
    let mut doc = json!({
        "requestorSettings": {
            "enableTargetsToSelfAddAccess": r.enable_targets_to_self_add_access,
            "enableTargetsToSelfUpdateAccess": r.enable_targets_to_self_update_access,
            "enableTargetsToSelfRemoveAccess": r.enable_targets_to_self_remove_access,
            "allowCustomAssignmentSchedule": r.allow_custom_assignment_schedule,
            "enableOnBehalfRequestorsToAddAccess": r.enable_on_behalf_requestors_to_add_access,
            // Managers are the only on-behalf requestors there are.
            "onBehalfRequestors": if r.enable_on_behalf_requestors_to_add_access {
                json!([{"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 1}])
            } else {
                json!([])
            },
        },
        "requestApprovalSettings": {
            "isApprovalRequiredForAdd": a.is_approval_required_for_add,
            "isApprovalRequiredForUpdate": a.is_approval_required_for_update,
            "isRequestorJustificationRequired": a.is_requestor_justification_required,
            "showApproverDetails": a.show_approvers,
            "stages": a.stages.iter().map(|s| json!({
                "durationBeforeAutomaticDenial": format!("P{}D", s.duration_before_automatic_denial_days),
                "isApproverJustificationRequired": s.is_approver_justification_required,
                "isEscalationEnabled": s.is_escalation_enabled,
                "durationBeforeEscalation": format!("P{}D", s.duration_before_escalation_days),
                "primaryApprovers": approvers_json(&s.primary_approvers),
                "fallbackPrimaryApprovers": approvers_json(&s.fallback_primary_approvers),
                "escalationApprovers": approvers_json(&s.escalation_approvers),
                "fallbackEscalationApprovers": approvers_json(&s.fallback_escalation_approvers),
            })).collect::<Vec<_>>(),
        },
        "questions": p.questions.iter().map(|q| {
            let mut v = json!({
                "sequence": q.sequence,
                "text": q.text,
                "localizations": localizations_json(&q.localizations),
                "isRequired": q.is_required,
                "isAnswerEditable": q.is_answer_editable,
            });
            match &q.kind {
                QuestionKind::Text { is_single_line, regex_pattern } => {
                    v["@odata.type"] = json!("#microsoft.graph.accessPackageTextInputQuestion");
                    v["isSingleLineQuestion"] = json!(is_single_line);
                    v["regexPattern"] = json!(regex_pattern);
                }
                QuestionKind::MultipleChoice { choices, is_multiple_selection_allowed } => {
                    v["@odata.type"] = json!("#microsoft.graph.accessPackageMultipleChoiceQuestion");
                    v["isMultipleSelectionAllowed"] = json!(is_multiple_selection_allowed);
                    v["choices"] = Value::Array(choices.iter().map(|c| json!({
                        "actualValue": c.actual_value,
                        "text": c.text,
                        "localizations": localizations_json(&c.localizations),
                    })).collect());
                }
            }
            v
        }).collect::<Vec<_>>(),
        "expiration": expiration,
        // Read back from its own column (`assignment_notifications`); here so
        // that the document says all a policy does, as Graph's does.
        "notificationSettings": {
            "isAssignmentNotificationDisabled": !p.assignment_notifications,
        },
    });
    if let Some(a) = &p.automatic {
        doc["automaticRequestSettings"] = json!({
            "requestAccessForAllowedTargets": a.assign,
            "removeAccessWhenTargetLeavesAllowedTargets": a.remove_when_out_of_scope,
            "gracePeriodBeforeAccessRemoval": format!("P{}D", a.grace_period_days),
        });
        // The rule, as Graph gives it: the policy's one allowed target (the
        // other kinds of target live in `assignment_policy_targets`).
        doc["specificAllowedTargets"] = json!([{
            "@odata.type": "#microsoft.graph.attributeRuleMembers",
            "membershipRule": a.rule.as_str(),
        }]);
    }
    doc
}

/// The automatic assignment settings of a settings document, if it has
/// them; a rule that no longer reads is a corrupt row.
fn automatic_from(v: &Value) -> Result<Option<AutomaticAssignment>> {
    let Some(a) = v.get("automaticRequestSettings").filter(|a| a.is_object()) else {
        return Ok(None);
    };
    let text = v["specificAllowedTargets"][0]["membershipRule"]
        .as_str()
        .ok_or_else(|| StoreError::Corrupt("automatic policy without a rule".into()))?;
    let rule = MembershipRule::parse(text)
        .map_err(|e| StoreError::Corrupt(format!("membership rule: {e}")))?;
    Ok(Some(AutomaticAssignment {
        rule,
        assign: flag(a, "requestAccessForAllowedTargets")?,
        remove_when_out_of_scope: flag(a, "removeAccessWhenTargetLeavesAllowedTargets")?,
        grace_period_days: days(a, "gracePeriodBeforeAccessRemoval")?,
    }))
}

/// `P{n}D` / `PT{n}H` to a number of days / hours.
fn duration_number(s: &str, prefix: &str, suffix: char) -> Option<u32> {
    s.strip_prefix(prefix)?.strip_suffix(suffix)?.parse().ok()
}

/// A setting every document has had since policies were first stored: one
/// missing or not true/false is a corrupt row, never a silent `false` (a
/// damaged row must not read as "no approval required").
fn flag(v: &Value, k: &str) -> Result<bool> {
    v.get(k)
        .and_then(Value::as_bool)
        .ok_or_else(|| StoreError::Corrupt(format!("{k} is not true or false")))
}

/// A setting added after policies were first stored: a document written
/// before it has none, which reads as off; one that is there must be
/// true or false.
fn flag_added_later(v: &Value, k: &str) -> Result<bool> {
    match v.get(k) {
        None => Ok(false),
        Some(_) => flag(v, k),
    }
}

/// A list the document must have (it may be empty).
fn list<'a>(v: &'a Value, k: &str) -> Result<&'a Vec<Value>> {
    v.get(k)
        .and_then(Value::as_array)
        .ok_or_else(|| StoreError::Corrupt(format!("{k} is not a list")))
}

/// A text field the document must have.
fn text_of(v: &Value, k: &str) -> Result<String> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| StoreError::Corrupt(format!("without {k}")))
}

/// A number of days written `P{n}D`; none written is 0.
fn days(v: &Value, k: &str) -> Result<u32> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(0),
        Some(d) => d
            .as_str()
            .and_then(|d| duration_number(d, "P", 'D'))
            .ok_or_else(|| StoreError::Corrupt(format!("{k}: {d}"))),
    }
}

/// Reads a settings document back; the inverse of `settings_json`.
pub fn settings_from(
    v: &Value,
) -> Result<(
    RequestorSettings,
    ApprovalSettings,
    Vec<Question>,
    Expiration,
)> {
    let r = &v["requestorSettings"];
    let requestor = RequestorSettings {
        enable_targets_to_self_add_access: flag(r, "enableTargetsToSelfAddAccess")?,
        enable_targets_to_self_update_access: flag(r, "enableTargetsToSelfUpdateAccess")?,
        enable_targets_to_self_remove_access: flag(r, "enableTargetsToSelfRemoveAccess")?,
        allow_custom_assignment_schedule: flag(r, "allowCustomAssignmentSchedule")?,
        enable_on_behalf_requestors_to_add_access: flag_added_later(
            r,
            "enableOnBehalfRequestorsToAddAccess",
        )?,
    };
    let a = &v["requestApprovalSettings"];
    let mut stages = Vec::new();
    for s in list(a, "stages")? {
        stages.push(ApprovalStage {
            duration_before_automatic_denial_days: days(s, "durationBeforeAutomaticDenial")?,
            is_approver_justification_required: flag(s, "isApproverJustificationRequired")?,
            is_escalation_enabled: flag(s, "isEscalationEnabled")?,
            duration_before_escalation_days: days(s, "durationBeforeEscalation")?,
            primary_approvers: approvers_from(s.get("primaryApprovers"))?,
            fallback_primary_approvers: approvers_from(s.get("fallbackPrimaryApprovers"))?,
            escalation_approvers: approvers_from(s.get("escalationApprovers"))?,
            fallback_escalation_approvers: approvers_from(s.get("fallbackEscalationApprovers"))?,
        });
    }
    let approval = ApprovalSettings {
        show_approvers: a.get("showApproverDetails").and_then(Value::as_bool),
        is_approval_required_for_add: flag(a, "isApprovalRequiredForAdd")?,
        is_approval_required_for_update: flag(a, "isApprovalRequiredForUpdate")?,
        is_requestor_justification_required: flag(a, "isRequestorJustificationRequired")?,
        stages,
    };
    let mut questions = Vec::new();
    for q in list(v, "questions")? {
        let kind = match q
            .get("@odata.type")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "#microsoft.graph.accessPackageMultipleChoiceQuestion" => {
                QuestionKind::MultipleChoice {
                    is_multiple_selection_allowed: flag(q, "isMultipleSelectionAllowed")?,
                    choices: list(q, "choices")?
                        .iter()
                        .map(|c| {
                            Ok(Choice {
                                actual_value: text_of(c, "actualValue")?,
                                text: text_of(c, "text")?,
                                localizations: localizations_from(c.get("localizations"))?,
                            })
                        })
                        .collect::<Result<_>>()?,
                }
            }
            "#microsoft.graph.accessPackageTextInputQuestion" => QuestionKind::Text {
                is_single_line: flag(q, "isSingleLineQuestion")?,
                regex_pattern: q
                    .get("regexPattern")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            },
            other => return Err(StoreError::Corrupt(format!("question type {other}"))),
        };
        questions.push(Question {
            sequence: q
                .get("sequence")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| StoreError::Corrupt("question without a sequence".into()))?,
            text: text_of(q, "text")?,
            localizations: localizations_from(q.get("localizations"))?,
            is_required: flag(q, "isRequired")?,
            is_answer_editable: flag(q, "isAnswerEditable")?,
            kind,
        });
    }
    let e = &v["expiration"];
    let expiration = match text_of(e, "type")?.as_str() {
        "afterDateTime" => Expiration::AfterDateTime(parse_ts(&text_of(e, "endDateTime")?)?),
        "afterDuration" => {
            let d = text_of(e, "duration")?;
            let d = d.as_str();
            match (duration_number(d, "P", 'D'), duration_number(d, "PT", 'H')) {
                (Some(n), _) => Expiration::AfterDays(n),
                (_, Some(n)) => Expiration::AfterHours(n),
                _ => return Err(StoreError::Corrupt(format!("expiration duration {d}"))),
            }
        }
        "noExpiration" => Expiration::NoExpiration,
        other => return Err(StoreError::Corrupt(format!("expiration type {other}"))),
    };
    Ok((requestor, approval, questions, expiration))
}

fn target_row(t: &SubjectSet) -> (&'static str, &str) {
    match t {
        SubjectSet::SingleUser(u) => ("singleUser", u.as_str()),
        SubjectSet::GroupMembers(g) => ("groupMembers", g.as_str()),
        SubjectSet::ConnectedOrganizationMembers(o) => ("connectedOrganizationMembers", o.as_str()),
    }
}

async fn write_targets(conn: &mut Conn, policy: &str, targets: &[SubjectSet]) -> Result<()> {
    sqlx::query("DELETE FROM assignment_policy_targets WHERE policy_id = $1")
        .bind(policy)
        .execute(&mut *conn)
        .await?;
    for t in targets {
        let (kind, id) = target_row(t);
        sqlx::query(
            "INSERT INTO assignment_policy_targets (policy_id, target_type, target_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(policy)
        .bind(kind)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn insert(
    conn: &mut Conn,
    id: &PolicyId,
    package: &AccessPackageId,
    p: &Policy,
    now: DateTime<Utc>,
) -> Result<()> {
    let insert = sqlx::query(
        "INSERT INTO assignment_policies (id, access_package_id, display_name, description, allowed_target_scope, \
         enabled, settings, created_at, updated_at, assignment_notifications, automatic) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)",
    )
    .bind(id.as_str())
    .bind(package.as_str());
    bind_settings(insert, p, now).execute(&mut *conn).await?;
    write_targets(conn, id.as_str(), &p.specific_allowed_targets).await
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds what a policy row holds after its keys, in the order `insert` and
/// `update` both name them: its name, description, scope, whether it is
/// enabled, its settings, when it changed, notifications, automatic.
fn bind_settings<'q>(q: Query<'q>, p: &'q Policy, now: DateTime<Utc>) -> Query<'q> {
    q.bind(&p.display_name)
        .bind(p.description.clone())
        .bind(p.allowed_target_scope.as_str())
        .bind(p.enabled)
        .bind(settings_json(p).to_string())
        .bind(ts(now))
        .bind(p.assignment_notifications)
        .bind(p.automatic.is_some())
}

pub async fn update(conn: &mut Conn, id: &PolicyId, p: &Policy, now: DateTime<Utc>) -> Result<()> {
    let update = sqlx::query(
        "UPDATE assignment_policies SET display_name = $2, description = $3, allowed_target_scope = $4, enabled = $5, \
         settings = $6, updated_at = $7, assignment_notifications = $8, automatic = $9 WHERE id = $1",
    )
    .bind(id.as_str());
    let done = bind_settings(update, p, now).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    write_targets(conn, id.as_str(), &p.specific_allowed_targets).await
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    id: String,
    access_package_id: String,
    display_name: String,
    description: Option<String>,
    allowed_target_scope: String,
    #[sqlx(try_from = "Flag")]
    enabled: bool,
    settings: String,
    #[sqlx(try_from = "Flag")]
    assignment_notifications: bool,
}

/// The policies of a package, oldest first, with their ids.
pub async fn for_package(
    conn: &mut Conn,
    package: &AccessPackageId,
) -> Result<Vec<(String, Policy)>> {
    Ok(for_packages(conn, &[package.to_string()])
        .await?
        .into_iter()
        .map(|(_, id, p)| (id, p))
        .collect())
}

/// The policies of several packages in two queries: (package id, policy id, policy).
pub async fn for_packages(
    conn: &mut Conn,
    packages: &[String],
) -> Result<Vec<(String, String, Policy)>> {
    if packages.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (1..=packages.len()).map(|i| format!("${i}")).collect();
    let list = placeholders.join(", ");
    let sql = format!(
        "SELECT id, access_package_id, display_name, description, allowed_target_scope, enabled, settings, \
         assignment_notifications \
         FROM assignment_policies WHERE access_package_id IN ({list}) ORDER BY created_at, display_name, id"
    );
    let mut q = sqlx::query_as::<_, PolicyRow>(&sql);
    for p in packages {
        q = q.bind(p.clone());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let sql = format!(
        "SELECT t.policy_id, t.target_type, t.target_id FROM assignment_policy_targets t \
         JOIN assignment_policies p ON p.id = t.policy_id WHERE p.access_package_id IN ({list}) \
         ORDER BY t.target_type, t.target_id"
    );
    let mut q = sqlx::query_as::<_, (String, String, String)>(&sql);
    for p in packages {
        q = q.bind(p.clone());
    }
    let targets = q.fetch_all(&mut *conn).await?;
    assemble(rows, targets)
}

/// Every policy of every package: (package id, policy id, policy), oldest first.
pub async fn all(conn: &mut Conn) -> Result<Vec<(String, String, Policy)>> {
    let rows = sqlx::query_as::<_, PolicyRow>(
        "SELECT id, access_package_id, display_name, description, allowed_target_scope, enabled, settings, \
         assignment_notifications \
         FROM assignment_policies ORDER BY created_at, display_name, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let targets = sqlx::query_as::<_, (String, String, String)>(
        "SELECT policy_id, target_type, target_id FROM assignment_policy_targets ORDER BY target_type, target_id",
    )
    .fetch_all(conn)
    .await?;
    assemble(rows, targets)
}

fn assemble(
    rows: Vec<PolicyRow>,
    targets: Vec<(String, String, String)>,
) -> Result<Vec<(String, String, Policy)>> {
    let mut by_policy: std::collections::HashMap<String, Vec<(String, String)>> =
        std::collections::HashMap::new();
    for (policy, kind, id) in targets {
        by_policy.entry(policy).or_default().push((kind, id));
    }
    rows.into_iter()
        .map(|r| {
            let settings: Value = serde_json::from_str(&r.settings)
                .map_err(|e| StoreError::Corrupt(format!("policy settings: {e}")))?;
            let (requestor, approval, questions, expiration) = settings_from(&settings)
                .map_err(|e| StoreError::Corrupt(format!("policy {}: {e}", r.id)))?;
            let specific_allowed_targets = by_policy
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(kind, id)| match kind.as_str() {
                    "singleUser" => Ok(SubjectSet::SingleUser(UserId::from_stored(id))),
                    "groupMembers" => Ok(SubjectSet::GroupMembers(GroupId::from_stored(id))),
                    "connectedOrganizationMembers" => Ok(SubjectSet::ConnectedOrganizationMembers(
                        ConnectedOrgId::from_stored(id),
                    )),
                    other => Err(StoreError::Corrupt(format!("target type {other}"))),
                })
                .collect::<Result<Vec<_>>>()?;
            let policy = Policy {
                display_name: r.display_name,
                description: r.description,
                enabled: r.enabled,
                allowed_target_scope: AllowedTargetScope::parse(&r.allowed_target_scope)
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("scope {}", r.allowed_target_scope))
                    })?,
                specific_allowed_targets,
                requestor,
                approval,
                questions,
                expiration,
                assignment_notifications: r.assignment_notifications,
                automatic: automatic_from(&settings)?,
            };
            Ok((r.access_package_id, r.id, policy))
        })
        .collect()
}

/// The ids of the enabled automatic assignment policies, oldest first.
pub async fn automatic_ids(conn: &mut Conn) -> Result<Vec<PolicyId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM assignment_policies WHERE automatic = TRUE AND enabled = TRUE \
         ORDER BY created_at, id",
    )
    .all(conn)
    .await?;
    Ok(ids.into_iter().map(PolicyId::from_stored).collect())
}

/// The automatic policy `id` with its package id, if it is still enabled.
/// On PostgreSQL it is held for the caller's transaction, and `None` when
/// another instance holds it: one instance applies a rule at a time.
pub async fn lock_automatic(conn: &mut Conn, id: &PolicyId) -> Result<Option<(String, Policy)>> {
    let lock = super::sql::dialect(conn).skip_locked();
    let rows = sqlx::query_as::<_, PolicyRow>(&format!(
        "SELECT id, access_package_id, display_name, description, allowed_target_scope, enabled, settings, \
         assignment_notifications \
         FROM assignment_policies WHERE id = $1 AND automatic = TRUE AND enabled = TRUE{lock}"
    ))
    .bind(id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    // Automatic policies have no target rows: their rule is their target.
    Ok(assemble(rows, vec![])?
        .pop()
        .map(|(package, _, policy)| (package, policy)))
}

/// One policy with the package it belongs to.
pub async fn get(
    conn: &mut Conn,
    package: &AccessPackageId,
    id: &PolicyId,
) -> Result<Option<Policy>> {
    Ok(for_package(conn, package)
        .await?
        .into_iter()
        .find(|(p, _)| p == id.as_str())
        .map(|(_, p)| p))
}

pub async fn set_enabled(
    conn: &mut Conn,
    id: &PolicyId,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE assignment_policies SET enabled = $2, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(enabled)
        .bind(ts(now))
        .exec(conn)
        .await
}

/// How many requests and assignments were made under the policy, in any state.
pub async fn uses(conn: &mut Conn, id: &PolicyId) -> Result<(i64, i64)> {
    sqlx::query_as::<_, (i64, i64)>(
        "SELECT (SELECT COUNT(*) FROM assignment_requests WHERE policy_id = $1), \
         (SELECT COUNT(*) FROM access_package_assignments WHERE policy_id = $1)",
    )
    .bind(id.as_str())
    .one(conn)
    .await
}

pub async fn delete(conn: &mut Conn, id: &PolicyId) -> Result<()> {
    sqlx::query("DELETE FROM assignment_policies WHERE id = $1")
        .bind(id.as_str())
        .exec(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A settings document as `settings_json` writes one: a stage with one
    /// approver, a multiple-choice question, expiry after 30 days.
    fn document() -> Value {
        json!({
            "requestorSettings": {
                "enableTargetsToSelfAddAccess": true,
                "enableTargetsToSelfUpdateAccess": false,
                "enableTargetsToSelfRemoveAccess": true,
                "allowCustomAssignmentSchedule": false,
                "enableOnBehalfRequestorsToAddAccess": false,
            },
            "requestApprovalSettings": {
                "isApprovalRequiredForAdd": true,
                "isApprovalRequiredForUpdate": true,
                "isRequestorJustificationRequired": false,
                "stages": [{
                    "durationBeforeAutomaticDenial": "P14D",
                    "isApproverJustificationRequired": false,
                    "isEscalationEnabled": false,
                    "durationBeforeEscalation": "P7D",
                    "primaryApprovers": [
                        {"@odata.type": "#microsoft.graph.singleUser", "userId": "u1"}
                    ],
                }],
            },
            "questions": [{
                "@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion",
                "sequence": 1,
                "text": "Which team?",
                "localizations": [{"languageCode": "fr", "text": "Quelle équipe ?"}],
                "isRequired": true,
                "isAnswerEditable": false,
                "isMultipleSelectionAllowed": false,
                "choices": [{"actualValue": "a", "text": "A", "localizations": []}],
            }],
            "expiration": {"type": "afterDuration", "duration": "P30D"},
        })
    }

    #[test]
    fn a_document_reads_back_and_a_corrupt_one_is_an_error() {
        let (requestor, approval, questions, expiration) = settings_from(&document()).unwrap();
        assert!(approval.is_approval_required_for_add);
        assert_eq!(approval.stages[0].duration_before_automatic_denial_days, 14);
        // A document written before on-behalf requests existed reads as
        // not allowing them.
        let mut older = document();
        older["requestorSettings"]
            .as_object_mut()
            .unwrap()
            .remove("enableOnBehalfRequestorsToAddAccess");
        let (before, ..) = settings_from(&older).unwrap();
        assert!(!before.enable_on_behalf_requestors_to_add_access);
        assert!(requestor.enable_targets_to_self_add_access);
        assert_eq!(questions[0].localizations[0].text, "Quelle équipe ?");
        assert_eq!(expiration, Expiration::AfterDays(30));
        // Each of these once read as a default (no approver id, an empty
        // text, no translations, a text question, no expiry, 0 days).
        type Spoil = fn(&mut Value);
        let corrupt: [(&str, Spoil); 12] = [
            // A missing approval flag once read as "no approval required".
            ("approval required", |d| {
                d["requestApprovalSettings"]
                    .as_object_mut()
                    .unwrap()
                    .remove("isApprovalRequiredForAdd");
            }),
            ("self-add flag", |d| {
                d["requestorSettings"]["enableTargetsToSelfAddAccess"] = json!("yes")
            }),
            ("stages", |d| {
                d["requestApprovalSettings"]["stages"] = json!({})
            }),
            ("sequence", |d| d["questions"][0]["sequence"] = json!(-1)),
            ("no expiration", |d| d["expiration"] = json!({})),
            ("approver id", |d| {
                d["requestApprovalSettings"]["stages"][0]["primaryApprovers"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("userId");
            }),
            ("question text", |d| d["questions"][0]["text"] = Value::Null),
            ("choice value", |d| {
                d["questions"][0]["choices"][0]["actualValue"] = json!(3)
            }),
            ("translations", |d| {
                d["questions"][0]["localizations"] = json!("fr")
            }),
            ("question type", |d| {
                d["questions"][0]["@odata.type"] = json!("#x.rating")
            }),
            ("expiration type", |d| {
                d["expiration"]["type"] = json!("whenever")
            }),
            ("days", |d| {
                d["requestApprovalSettings"]["stages"][0]["durationBeforeEscalation"] =
                    json!("a week")
            }),
        ];
        for (what, spoil) in corrupt {
            let mut d = document();
            spoil(&mut d);
            assert!(
                matches!(settings_from(&d), Err(StoreError::Corrupt(_))),
                "{what}"
            );
        }
    }
}
