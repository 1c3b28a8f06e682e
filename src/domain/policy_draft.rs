//! A policy as an administrator writes it: people by email, groups and
//! connected organizations by name. The names are looked up all at once
//! (one query per kind, by the service), then put in place here.

use super::custom_extension::Stage;
use super::review::ReviewDraft;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::ids::{ConnectedOrgId, GroupId, UserId};
use super::policy::{Approver, Policy, SubjectSet};
use super::validation::FieldErrors;

/// Where a named subject goes once found. Stages count from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Who may request (specific users, groups or organizations).
    Target,
    Primary(usize),
    Fallback(usize),
    Escalation(usize),
    /// Who stands in for missing alternate approvers.
    EscalationFallback(usize),
}

impl Slot {
    /// The form field an unknown name is reported beside.
    pub fn field(self) -> String {
        match self {
            Slot::Target => "targets".into(),
            Slot::Primary(n) => format!("stage{}.primary", n + 1),
            Slot::Fallback(n) => format!("stage{}.fallback", n + 1),
            Slot::Escalation(n) => format!("stage{}.escalation", n + 1),
            Slot::EscalationFallback(n) => format!("stage{}.escalation_fallback", n + 1),
        }
    }
}

/// A subject by the name people know it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    /// A user, by email address.
    User(String),
    Group(String),
    Organization(String),
}

impl Name {
    /// Names are matched without regard to case.
    fn key(&self) -> String {
        match self {
            Name::User(s) | Name::Group(s) | Name::Organization(s) => s.trim().to_lowercase(),
        }
    }
}

/// The ids found for names (keys in lower case); a name not found is absent.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub users: HashMap<String, UserId>,
    pub groups: HashMap<String, GroupId>,
    pub organizations: HashMap<String, ConnectedOrgId>,
}

/// The names of the subjects a stored policy refers to, for showing it.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// User id → email address.
    pub users: HashMap<UserId, String>,
    pub groups: HashMap<GroupId, String>,
    pub organizations: HashMap<ConnectedOrgId, String>,
}

/// A policy whose named subjects are not yet looked up, with the errors the
/// form already had (numbers, dates, choices).
#[derive(Clone, Debug)]
pub struct PolicyDraft {
    /// The policy without the subjects in `named`.
    pub policy: Policy,
    /// In the order written: each goes after the subjects already in its slot.
    pub named: Vec<(Slot, Name)>,
    pub errors: FieldErrors,
    /// The custom extension (id) chosen for each stage, when the draft says
    /// (`None`: the policy's choices stay as they are).
    pub extensions: Option<Vec<(Stage, String)>>,
    /// The access review settings, when the draft says (`None`: they stay
    /// as they are; `Some(None)`: reviews off).
    pub review: Option<Option<ReviewDraft>>,
}

impl From<Policy> for PolicyDraft {
    fn from(policy: Policy) -> PolicyDraft {
        PolicyDraft::new(policy)
    }
}

impl From<&Policy> for PolicyDraft {
    fn from(policy: &Policy) -> PolicyDraft {
        PolicyDraft::new(policy.clone())
    }
}

impl PolicyDraft {
    pub fn new(policy: Policy) -> PolicyDraft {
        PolicyDraft {
            policy,
            named: Vec::new(),
            errors: FieldErrors::new(),
            extensions: None,
            review: None,
        }
    }

    /// The names of one kind, to look up at once.
    pub fn emails(&self) -> Vec<String> {
        self.keys(|n| matches!(n, Name::User(_)))
    }

    pub fn group_names(&self) -> Vec<String> {
        self.keys(|n| matches!(n, Name::Group(_)))
    }

    pub fn organization_names(&self) -> Vec<String> {
        self.keys(|n| matches!(n, Name::Organization(_)))
    }

    fn keys(&self, kind: impl Fn(&Name) -> bool) -> Vec<String> {
        let mut keys: Vec<String> = self
            .named
            .iter()
            .filter(|(_, n)| kind(n))
            .map(|(_, n)| n.key())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The policy with what was found in place. Names not found, the form's
    /// own errors and every rule of `Policy::validate` come back together.
    pub fn complete(self, found: &Found, now: DateTime<Utc>) -> Result<Policy, FieldErrors> {
        let PolicyDraft {
            mut policy,
            named,
            mut errors,
            extensions,
            ..
        } = self;
        for (slot, name) in named {
            let key = name.key();
            let subject = match &name {
                Name::User(email) => found
                    .users
                    .get(&key)
                    .map(|id| Subject::User(id.clone()))
                    .ok_or_else(|| format!("No user has the email {}.", email.trim())),
                Name::Group(n) => found
                    .groups
                    .get(&key)
                    .map(|id| Subject::Group(id.clone()))
                    .ok_or_else(|| format!("No group is named {}.", n.trim())),
                Name::Organization(n) => found
                    .organizations
                    .get(&key)
                    .map(|id| Subject::Organization(id.clone()))
                    .ok_or_else(|| format!("No connected organization is named {}.", n.trim())),
            };
            match subject {
                Ok(s) => place(&mut policy, slot, s),
                Err(m) => errors.add(&slot.field(), m),
            }
        }
        // Validated in form order, so that question errors name the row shown.
        if let Err(mut rules) = policy.validate(now) {
            // A stage a custom extension decides needs no person to, nor
            // anyone standing in for missing ones.
            for stage in extensions
                .iter()
                .flatten()
                .filter_map(|(s, _)| s.approval_stage())
            {
                rules.remove(&format!("stage{stage}.primary"));
                rules.remove(&format!("stage{stage}.fallback"));
            }
            errors.merge(&rules);
        }
        policy.questions.sort_by_key(|q| q.sequence);
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }
}

enum Subject {
    User(UserId),
    Group(GroupId),
    Organization(ConnectedOrgId),
}

/// Puts a found subject in its slot, once.
fn place(policy: &mut Policy, slot: Slot, subject: Subject) {
    if slot == Slot::Target {
        let s = match subject {
            Subject::User(u) => SubjectSet::SingleUser(u),
            Subject::Group(g) => SubjectSet::GroupMembers(g),
            Subject::Organization(o) => SubjectSet::ConnectedOrganizationMembers(o),
        };
        if !policy.specific_allowed_targets.contains(&s) {
            policy.specific_allowed_targets.push(s);
        }
        return;
    }
    let approver = match subject {
        Subject::User(u) => Approver::SingleUser(u),
        Subject::Group(g) => Approver::GroupMembers(g),
        // The form offers organizations only as targets.
        Subject::Organization(_) => return,
    };
    let stages = &mut policy.approval.stages;
    let list = match slot {
        Slot::Primary(n) => stages.get_mut(n).map(|s| &mut s.primary_approvers),
        Slot::Fallback(n) => stages.get_mut(n).map(|s| &mut s.fallback_primary_approvers),
        Slot::Escalation(n) => stages.get_mut(n).map(|s| &mut s.escalation_approvers),
        Slot::EscalationFallback(n) => stages
            .get_mut(n)
            .map(|s| &mut s.fallback_escalation_approvers),
        Slot::Target => None,
    };
    if let Some(list) = list.filter(|l| !l.contains(&approver)) {
        list.push(approver);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::{
        AllowedTargetScope, ApprovalSettings, ApprovalStage, Expiration, RequestorSettings,
    };

    fn draft() -> PolicyDraft {
        let mut d = PolicyDraft::new(Policy {
            display_name: "Employees".into(),
            description: None,
            enabled: true,
            allowed_target_scope: AllowedTargetScope::SpecificDirectoryUsers,
            specific_allowed_targets: vec![],
            requestor: RequestorSettings {
                enable_targets_to_self_add_access: true,
                enable_targets_to_self_update_access: false,
                enable_targets_to_self_remove_access: true,
                allow_custom_assignment_schedule: false,
                enable_on_behalf_requestors_to_add_access: false,
            },
            approval: ApprovalSettings {
                show_approvers: None,
                is_approval_required_for_add: true,
                is_approval_required_for_update: false,
                is_requestor_justification_required: false,
                stages: vec![ApprovalStage {
                    duration_before_automatic_denial_days: 14,
                    is_approver_justification_required: false,
                    primary_approvers: vec![Approver::RequestorManager],
                    fallback_primary_approvers: vec![],
                    is_escalation_enabled: false,
                    duration_before_escalation_days: 0,
                    escalation_approvers: vec![],
                    fallback_escalation_approvers: vec![],
                }],
            },
            questions: vec![],
            expiration: Expiration::AfterDays(365),
            assignment_notifications: true,
            automatic: None,
        });
        d.named = vec![
            (Slot::Target, Name::User("Ada@Example.com".into())),
            (Slot::Target, Name::Group("Sales".into())),
            (Slot::Fallback(0), Name::User("ada@example.com".into())),
            (Slot::Fallback(0), Name::User("ADA@example.com ".into())),
        ];
        d
    }

    #[test]
    fn names_are_looked_up_once_and_put_in_their_slot_in_order() {
        let d = draft();
        assert_eq!(d.emails(), vec!["ada@example.com"]);
        assert_eq!(d.group_names(), vec!["sales"]);
        let (ada, sales) = (UserId::new(), GroupId::new());
        let found = Found {
            users: HashMap::from([("ada@example.com".to_string(), ada.clone())]),
            groups: HashMap::from([("sales".to_string(), sales.clone())]),
            ..Default::default()
        };
        let p = d.complete(&found, Utc::now()).unwrap();
        assert_eq!(
            p.specific_allowed_targets,
            vec![
                SubjectSet::SingleUser(ada.clone()),
                SubjectSet::GroupMembers(sales)
            ]
        );
        assert_eq!(
            p.approval.stages[0].fallback_primary_approvers,
            vec![Approver::SingleUser(ada)],
            "the same person once"
        );
    }

    #[test]
    fn names_not_found_are_errors_beside_their_field() {
        let e = draft().complete(&Found::default(), Utc::now()).unwrap_err();
        assert_eq!(
            e.get("targets"),
            Some("No user has the email Ada@Example.com.")
        );
        assert!(e.get("stage1.fallback").is_some());
    }
}
