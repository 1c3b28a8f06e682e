//! A policy form summed up, a line per setting, for the review steps.

use super::policy_fields::{PolicyForm, StageFields};
use super::policy_form;
use crate::domain::policy::{AllowedTargetScope, MAX_STAGES};
use crate::domain::review::ReviewInput;
use crate::store::custom_extensions::ExtensionRow;

/// What a policy's form says, as the review steps list it (the wizard's
/// Review + create, and the policy page's Review): one line per setting,
/// people and groups by the names typed, and the chosen `extensions` by
/// their names.
pub fn summary(f: &PolicyForm, extensions: &[ExtensionRow]) -> Vec<(String, String)> {
    let yes_no = |on: bool| if on { "Yes" } else { "No" }.to_string();
    let mut r = Vec::new();
    let q = &f.requests;
    let scope = AllowedTargetScope::parse(&q.scope).map(|s| s.label());
    r.push(("Policy".into(), f.basics.name.clone()));
    if !f.basics.description.trim().is_empty() {
        r.push(("Policy description".into(), f.basics.description.clone()));
    }
    r.push((
        "Who can request".into(),
        scope.unwrap_or_default().to_string(),
    ));
    for (text, label) in [
        (&q.target_users, "Specific users"),
        (&q.target_groups, "Members of groups"),
        (&q.target_orgs, "Connected organizations"),
    ] {
        let names = listed(text, "");
        if !names.is_empty() {
            r.push((label.into(), names.join(", ")));
        }
    }
    r.push(("Enable new requests".into(), yes_no(q.enable_requests)));
    r.push(("Policy enabled".into(), yes_no(f.basics.enabled)));
    r.push((
        "Require requestor justification".into(),
        yes_no(q.requestor_justification),
    ));
    let l = &f.lifecycle;
    if q.approval_required || l.approval_update_required {
        if !q.approval_required {
            // The stages still decide extensions.
            r.push(("Approval".into(), "Only to extend access".into()));
        }
        let stages: usize = q.stage_count.trim().parse().unwrap_or(1);
        for n in 1..=stages.clamp(1, MAX_STAGES) {
            let s = f.stage(n);
            r.push((format!("Stage {n} approvers"), approvers(s)));
            let justification = if s.justification {
                "approvers give a justification"
            } else {
                "no justification asked"
            };
            r.push((
                format!("Stage {n} decision"),
                format!("Within {} days; {justification}", s.days),
            ));
        }
        let shown = match q.show_approvers.as_str() {
            "yes" => "Yes",
            "no" => "No",
            _ => "As the organization's settings say",
        };
        r.push(("Approver details shown to requestors".into(), shown.into()));
    } else {
        r.push(("Approval".into(), "Not required".into()));
    }
    if q.on_behalf {
        r.push((
            "Managers can request for their direct reports".into(),
            "Yes".into(),
        ));
    }
    let questions: Vec<&str> = f
        .requestor
        .questions
        .iter()
        .map(|q| q.text.as_str())
        .filter(|t| !t.trim().is_empty())
        .collect();
    r.push((
        "Questions".into(),
        if questions.is_empty() {
            "None".into()
        } else {
            questions.join("; ")
        },
    ));
    let expiration = match l.expiration_type.as_str() {
        "never" => "Never".to_string(),
        "date" => format!("On {}", l.expiration_date),
        "hours" => format!("After {} hours", l.expiration_hours),
        _ => format!("After {} days", l.expiration_days),
    };
    r.push(("Expiration".into(), expiration));
    r.push((
        "Requestors can choose a specific period".into(),
        yes_no(l.custom_schedule),
    ));
    r.push((
        "Allow users to extend access".into(),
        yes_no(l.allow_extension),
    ));
    if l.allow_extension {
        r.push((
            "Require approval to grant extension".into(),
            yes_no(l.approval_update_required),
        ));
    }
    r.push(("Access reviews".into(), access_reviews(&l.review)));
    if l.notifications_off {
        r.push((
            "Mails about assignments".into(),
            "None: holders are not mailed about their access".into(),
        ));
    }
    for (stage, id) in policy_form::extensions(f) {
        if let Some(e) = extensions.iter().find(|e| e.id == id) {
            r.push((
                format!("Custom extension: {}", stage.label()),
                e.display_name.clone(),
            ));
        }
    }
    r
}

/// Each line of a field that is not blank, after `each`.
fn listed(text: &str, each: &str) -> Vec<String> {
    policy_form::names_in(text)
        .map(|s| format!("{each}{s}"))
        .collect()
}

/// Who approves a stage, as the review step names them.
fn approvers(s: &StageFields) -> String {
    let mut names: Vec<String> = Vec::new();
    for (ticked, label) in [
        (s.manager, "the requestor's manager"),
        (s.internal, "internal sponsors"),
        (s.external, "external sponsors"),
    ] {
        if ticked {
            names.push(label.into());
        }
    }
    names.extend(listed(&s.users, ""));
    names.extend(listed(&s.groups, "members of "));
    let fallback: Vec<String> = [
        listed(&s.fallback_users, ""),
        listed(&s.fallback_groups, "members of "),
    ]
    .concat();
    let mut text = if names.is_empty() {
        "nobody yet".to_string()
    } else {
        names.join(", ")
    };
    if !fallback.is_empty() {
        text.push_str(&format!("; fallback: {}", fallback.join(", ")));
    }
    if s.escalation {
        let mut alternates = Vec::new();
        if s.alt_manager {
            alternates.push("the second level manager".to_string());
        }
        alternates.extend(listed(&s.alt_users, ""));
        alternates.extend(listed(&s.alt_groups, "members of "));
        alternates.extend(
            [
                listed(&s.alt_fallback_users, ""),
                listed(&s.alt_fallback_groups, "members of "),
            ]
            .concat()
            .into_iter()
            .map(|s| format!("{s} (fallback)")),
        );
        text.push_str(&format!(
            "; forwarded after {} days to {}",
            s.escalation_days.trim(),
            if alternates.is_empty() {
                "nobody yet".to_string()
            } else {
                alternates.join(", ")
            }
        ));
    }
    text
}

/// The access reviews as the review step sums them up.
fn access_reviews(r: &ReviewInput) -> String {
    use crate::domain::review::{NoResponse, Recurrence, ReviewerKind};
    if !r.enabled {
        return "Not required".into();
    }
    let every = Recurrence::parse(&r.recurrence).map_or("", |r| r.label());
    let reviewers = match ReviewerKind::parse(&r.reviewers) {
        Some(ReviewerKind::Specific) => {
            let named = [listed(&r.users, ""), listed(&r.groups, "")].concat();
            format!("Specific reviewers ({})", named.join(", "))
        }
        Some(kind) => kind.label().to_string(),
        None => String::new(),
    };
    let unanswered = NoResponse::parse(&r.no_response).map_or("", |r| r.label());
    format!(
        "{every} from {}, {} days each; reviewed by {reviewers}; if reviewers don't respond: {unanswered}",
        r.start, r.duration,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_that_decide_only_extensions_are_summed_up() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let mut f = PolicyForm::defaults("Partners", today);
        f.requests.approval_required = false;
        let line = |f: &PolicyForm, key: &str| {
            let lines = summary(f, &[]);
            lines.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
        };
        assert_eq!(line(&f, "Approval").as_deref(), Some("Not required"));
        assert_eq!(line(&f, "Stage 1 approvers"), None);
        f.lifecycle.approval_update_required = true;
        assert_eq!(
            line(&f, "Approval").as_deref(),
            Some("Only to extend access")
        );
        assert_eq!(line(&f, "Stage 1 approvers").as_deref(), Some("nobody yet"));
    }

    #[test]
    fn access_reviews_are_summed_up_for_the_review_step() {
        let mut r = ReviewInput {
            start: "2027-01-04".into(),
            recurrence: "quarterly".into(),
            duration: "14".into(),
            reviewers: "specific".into(),
            users: "maria@example.test\n\nada@example.test".into(),
            no_response: "removeAccess".into(),
            ..ReviewInput::default()
        };
        assert_eq!(access_reviews(&r), "Not required");
        r.enabled = true;
        assert_eq!(
            access_reviews(&r),
            "Quarterly from 2027-01-04, 14 days each; reviewed by Specific reviewers \
             (maria@example.test, ada@example.test); if reviewers don't respond: Remove access"
        );
        r.reviewers = "manager".into();
        assert!(access_reviews(&r).contains("reviewed by Manager;"));
    }
}
