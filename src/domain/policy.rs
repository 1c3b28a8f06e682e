//! Assignment policies: who may request an access package, who approves, what the
//! requestor answers, and how long access lasts. Names follow Microsoft Graph's
//! `accessPackageAssignmentPolicy`.

use chrono::{DateTime, Utc};

use super::catalog::{Localization, parse_localizations};
use super::ids::{ConnectedOrgId, GroupId, UserId};
use super::membership_rule::MembershipRule;
use super::validation::{FieldErrors, optional_long_text, required_text};

/// Graph `allowedTargetScope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllowedTargetScope {
    SpecificDirectoryUsers,
    AllMemberUsers,
    AllDirectoryUsers,
    SpecificConnectedOrganizationUsers,
    AllConfiguredConnectedOrganizationUsers,
    AllExternalUsers,
    /// None: administrator direct assignments only.
    NotSpecified,
}

impl AllowedTargetScope {
    pub const ALL: [AllowedTargetScope; 7] = [
        AllowedTargetScope::SpecificDirectoryUsers,
        AllowedTargetScope::AllMemberUsers,
        AllowedTargetScope::AllDirectoryUsers,
        AllowedTargetScope::SpecificConnectedOrganizationUsers,
        AllowedTargetScope::AllConfiguredConnectedOrganizationUsers,
        AllowedTargetScope::AllExternalUsers,
        AllowedTargetScope::NotSpecified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AllowedTargetScope::SpecificDirectoryUsers => "specificDirectoryUsers",
            AllowedTargetScope::AllMemberUsers => "allMemberUsers",
            AllowedTargetScope::AllDirectoryUsers => "allDirectoryUsers",
            AllowedTargetScope::SpecificConnectedOrganizationUsers => {
                "specificConnectedOrganizationUsers"
            }
            AllowedTargetScope::AllConfiguredConnectedOrganizationUsers => {
                "allConfiguredConnectedOrganizationUsers"
            }
            AllowedTargetScope::AllExternalUsers => "allExternalUsers",
            AllowedTargetScope::NotSpecified => "notSpecified",
        }
    }

    pub fn parse(s: &str) -> Option<AllowedTargetScope> {
        AllowedTargetScope::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            AllowedTargetScope::SpecificDirectoryUsers => "Specific users and groups",
            AllowedTargetScope::AllMemberUsers => "All members (excluding guests)",
            AllowedTargetScope::AllDirectoryUsers => "All users (including guests)",
            AllowedTargetScope::SpecificConnectedOrganizationUsers => {
                "Specific connected organizations"
            }
            AllowedTargetScope::AllConfiguredConnectedOrganizationUsers => {
                "All configured connected organizations"
            }
            AllowedTargetScope::AllExternalUsers => {
                "All users (all connected organizations + any new external users)"
            }
            AllowedTargetScope::NotSpecified => "None (administrator direct assignments only)",
        }
    }

    /// Users already in the directory (members and guests).
    pub fn is_for_directory_users(self) -> bool {
        matches!(
            self,
            AllowedTargetScope::SpecificDirectoryUsers
                | AllowedTargetScope::AllMemberUsers
                | AllowedTargetScope::AllDirectoryUsers
        )
    }

    /// Users not in the directory: connected organizations and new external users.
    pub fn is_for_external_users(self) -> bool {
        matches!(
            self,
            AllowedTargetScope::SpecificConnectedOrganizationUsers
                | AllowedTargetScope::AllConfiguredConnectedOrganizationUsers
                | AllowedTargetScope::AllExternalUsers
        )
    }

    /// The priority tier when several policies admit a user: 1 is the strictest
    /// and wins. `None` for administrator-only policies, which admit nobody.
    pub fn tier(self) -> Option<u8> {
        match self {
            AllowedTargetScope::SpecificDirectoryUsers
            | AllowedTargetScope::SpecificConnectedOrganizationUsers => Some(1),
            AllowedTargetScope::AllMemberUsers => Some(2),
            AllowedTargetScope::AllDirectoryUsers => Some(3),
            AllowedTargetScope::AllConfiguredConnectedOrganizationUsers
            | AllowedTargetScope::AllExternalUsers => Some(4),
            AllowedTargetScope::NotSpecified => None,
        }
    }
}

/// Graph `subjectSet` used in `specificAllowedTargets`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectSet {
    SingleUser(UserId),
    GroupMembers(GroupId),
    ConnectedOrganizationMembers(ConnectedOrgId),
}

impl SubjectSet {
    /// The id of the user, group or organization named.
    pub fn id(&self) -> &str {
        match self {
            SubjectSet::SingleUser(u) => u.as_str(),
            SubjectSet::GroupMembers(g) => g.as_str(),
            SubjectSet::ConnectedOrganizationMembers(o) => o.as_str(),
        }
    }
}

/// Who approves a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approver {
    SingleUser(UserId),
    GroupMembers(GroupId),
    RequestorManager,
    /// The requestor's manager's manager (Graph's `requestorManager` with
    /// `managerLevel` 2): an alternate approver only, with a fallback.
    SecondLevelManager,
    InternalSponsors,
    ExternalSponsors,
}

impl Approver {
    fn is_relative(&self) -> bool {
        matches!(
            self,
            Approver::RequestorManager
                | Approver::SecondLevelManager
                | Approver::InternalSponsors
                | Approver::ExternalSponsors
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApprovalStage {
    /// "Decision must be made in how many days?"
    pub duration_before_automatic_denial_days: u32,
    pub is_approver_justification_required: bool,
    pub primary_approvers: Vec<Approver>,
    /// Used when the manager or sponsors cannot be found.
    pub fallback_primary_approvers: Vec<Approver>,
    pub is_escalation_enabled: bool,
    pub duration_before_escalation_days: u32,
    pub escalation_approvers: Vec<Approver>,
    pub fallback_escalation_approvers: Vec<Approver>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ApprovalSettings {
    /// Whether requestors see who is asked to decide their pending request
    /// (Entra's "show approver details": Yes, No, or `None` for the
    /// organization's setting).
    pub show_approvers: Option<bool>,
    pub is_approval_required_for_add: bool,
    pub is_approval_required_for_update: bool,
    pub is_requestor_justification_required: bool,
    pub stages: Vec<ApprovalStage>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct RequestorSettings {
    /// "Enable new requests".
    pub enable_targets_to_self_add_access: bool,
    /// "Allow users to extend access".
    pub enable_targets_to_self_update_access: bool,
    pub enable_targets_to_self_remove_access: bool,
    /// "Users can request specific timeline".
    pub allow_custom_assignment_schedule: bool,
    /// Managers may request for their direct reports (Entra's on-behalf-of
    /// requests, `onBehalfRequestors` being the requestor's manager), with
    /// new requests on, for users in the directory only.
    pub enable_on_behalf_requestors_to_add_access: bool,
}

/// Graph `expirationPattern`.
#[derive(Clone, Debug, PartialEq)]
pub enum Expiration {
    NoExpiration,
    AfterDateTime(DateTime<Utc>),
    AfterDays(u32),
    AfterHours(u32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub actual_value: String,
    pub text: String,
    pub localizations: Vec<Localization>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum QuestionKind {
    Text {
        is_single_line: bool,
        regex_pattern: Option<String>,
    },
    MultipleChoice {
        choices: Vec<Choice>,
        is_multiple_selection_allowed: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    pub sequence: u32,
    pub text: String,
    pub localizations: Vec<Localization>,
    pub is_required: bool,
    pub is_answer_editable: bool,
    pub kind: QuestionKind,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub display_name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub allowed_target_scope: AllowedTargetScope,
    pub specific_allowed_targets: Vec<SubjectSet>,
    pub requestor: RequestorSettings,
    pub approval: ApprovalSettings,
    pub questions: Vec<Question>,
    pub expiration: Expiration,
    /// Whether the people who get access are mailed about it (access given
    /// or scheduled, extended, ending soon, ended). Graph's
    /// `notificationSettings.isAssignmentNotificationDisabled`, inverted.
    pub assignment_notifications: bool,
    /// Set on an automatic assignment policy (Entra's auto-assignment
    /// policy): people matching its rule are assigned, not requestors.
    pub automatic: Option<AutomaticAssignment>,
}

/// Graph `automaticRequestSettings`, with the rule of the policy's
/// `attributeRuleMembers` target.
#[derive(Clone, Debug, PartialEq)]
pub struct AutomaticAssignment {
    pub rule: MembershipRule,
    /// `requestAccessForAllowedTargets`: assign people when they come to
    /// match the rule.
    pub assign: bool,
    /// `removeAccessWhenTargetLeavesAllowedTargets`.
    pub remove_when_out_of_scope: bool,
    /// `gracePeriodBeforeAccessRemoval`, in days: how long someone who no
    /// longer matches keeps access (matching again in time keeps it).
    pub grace_period_days: u32,
}

/// The longest grace period before access is removed.
pub const MAX_GRACE_DAYS: u32 = 90;

/// What the automatic assignment policy form sends.
pub struct AutomaticInput<'a> {
    pub display_name: &'a str,
    pub description: &'a str,
    pub rule: &'a str,
    pub assign: bool,
    pub remove_when_out_of_scope: bool,
    pub grace_period_days: &'a str,
}

impl AutomaticInput<'_> {
    /// The policy the form describes (`enabled` as it is to be), or the
    /// errors by field.
    pub fn policy(&self, enabled: bool, now: DateTime<Utc>) -> Result<Policy, FieldErrors> {
        let mut e = FieldErrors::new();
        let rule = e.check("rule", MembershipRule::parse(self.rule));
        let grace = self.grace_period_days.trim();
        let grace_period_days = match grace.parse::<u32>() {
            Ok(d) => d,
            Err(_) if grace.is_empty() => 0,
            Err(_) => {
                e.add(
                    "grace_days",
                    format!("Enter a whole number of days from 0 to {MAX_GRACE_DAYS}."),
                );
                0
            }
        };
        let Some(rule) = rule else {
            // The name is checked too, so that both errors show at once.
            e.check(
                "display_name",
                required_text(self.display_name, "Name", 256),
            );
            return Err(e);
        };
        let p = self.with(rule, grace_period_days, enabled);
        if let Err(more) = p.validate(now) {
            e.merge(&more);
        }
        e.into_result().map(|()| p)
    }

    fn with(&self, rule: MembershipRule, grace_period_days: u32, enabled: bool) -> Policy {
        Policy::automatic(
            self.display_name,
            Some(self.description),
            enabled,
            AutomaticAssignment {
                rule,
                assign: self.assign,
                remove_when_out_of_scope: self.remove_when_out_of_scope,
                grace_period_days,
            },
        )
    }
}

pub const MAX_STAGES: usize = 3;
pub const MAX_DECISION_DAYS: u32 = 14;
pub const MAX_EXPIRATION_DAYS: u32 = 3660;
pub const MAX_EXPIRATION_HOURS: u32 = 24 * 3660;
/// Alternate approvers get a request at least a day after it was made.
pub const MIN_ESCALATION_DAYS: u32 = 1;
/// Escalation leaves the alternates time to decide.
pub const MIN_DECISION_DAYS_WITH_ESCALATION: u32 = 4;

impl Policy {
    /// The policy's fixed last moment, when it has passed: nothing can be
    /// requested under it any more.
    pub fn ended(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.expiration {
            Expiration::AfterDateTime(t) if t <= now => Some(t),
            _ => None,
        }
    }

    /// An automatic assignment policy: it assigns whom its rule matches,
    /// for as long as they match; nobody requests under it, nobody
    /// approves, and its assignments do not expire.
    pub fn automatic(
        display_name: &str,
        description: Option<&str>,
        enabled: bool,
        automatic: AutomaticAssignment,
    ) -> Policy {
        Policy {
            display_name: display_name.trim().to_string(),
            description: description
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            enabled,
            allowed_target_scope: AllowedTargetScope::SpecificDirectoryUsers,
            specific_allowed_targets: vec![],
            requestor: RequestorSettings::default(),
            approval: ApprovalSettings::default(),
            questions: vec![],
            expiration: Expiration::NoExpiration,
            assignment_notifications: true,
            automatic: Some(automatic),
        }
    }

    /// Who the policy is for, as the policies tab says it.
    pub fn audience(&self) -> &'static str {
        match self.automatic {
            Some(_) => "Automatic: people matching a rule",
            None => self.allowed_target_scope.label(),
        }
    }

    /// Checks the rules a stored policy must satisfy. Errors are keyed by the
    /// form field they belong to (`stage{n}.primary`, `question{n}.text`, ...).
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check(
            "display_name",
            required_text(&self.display_name, "Name", 256),
        );
        if let Some(d) = &self.description {
            e.check(
                "policy_description",
                optional_long_text(d, "Description", 2000),
            );
        }
        if let Some(auto) = &self.automatic {
            if auto.grace_period_days > MAX_GRACE_DAYS {
                e.add(
                    "grace_days",
                    format!("The grace period is 0 to {MAX_GRACE_DAYS} days."),
                );
            }
            let fixed = Policy::automatic(
                &self.display_name,
                self.description.as_deref(),
                self.enabled,
                auto.clone(),
            );
            if *self != fixed {
                e.add(
                    "rule",
                    "An automatic assignment policy takes a rule only: no requestors, approval, questions or expiration.",
                );
            }
            return e.into_result();
        }
        let scope = self.allowed_target_scope;
        let specific = matches!(
            scope,
            AllowedTargetScope::SpecificDirectoryUsers
                | AllowedTargetScope::SpecificConnectedOrganizationUsers
        );
        if specific && self.specific_allowed_targets.is_empty() {
            e.add(
                "targets",
                match scope {
                    AllowedTargetScope::SpecificDirectoryUsers => {
                        "Choose at least one user or group who can request."
                    }
                    _ => "Choose at least one connected organization whose users can request.",
                },
            );
        }
        if !specific && !self.specific_allowed_targets.is_empty() {
            e.add("targets", "Specific users, groups or organizations only apply to a \"specific\" choice of who can request.");
        }
        for t in &self.specific_allowed_targets {
            let fits = match t {
                SubjectSet::SingleUser(_) | SubjectSet::GroupMembers(_) => {
                    scope == AllowedTargetScope::SpecificDirectoryUsers
                }
                SubjectSet::ConnectedOrganizationMembers(_) => {
                    scope == AllowedTargetScope::SpecificConnectedOrganizationUsers
                }
            };
            if !fits {
                e.add("targets", "Users and groups go with users in your directory; connected organizations with users not in it.");
            }
        }

        if self.requestor.enable_on_behalf_requestors_to_add_access
            && !scope.is_for_directory_users()
        {
            e.add(
                "on_behalf",
                "Managers can request only for users in your directory: choose who can request among them, \
                 or turn this off.",
            );
        }
        if scope == AllowedTargetScope::NotSpecified {
            let r = &self.requestor;
            if r.enable_targets_to_self_add_access
                || r.enable_targets_to_self_update_access
                || r.allow_custom_assignment_schedule
                || self.approval.is_requestor_justification_required
                || !self.questions.is_empty()
            {
                e.add(
                    "allowed_target_scope",
                    "A policy for administrator direct assignments only takes no requestor settings: turn off new requests, \
                     extension, specific timelines, requestor justification and questions.",
                );
            }
        }

        let a = &self.approval;
        if a.is_approval_required_for_add || a.is_approval_required_for_update {
            if a.stages.is_empty() || a.stages.len() > MAX_STAGES {
                e.add(
                    "stages",
                    format!("Approval takes 1 to {MAX_STAGES} stages."),
                );
            }
            let mut relative_used_in: Option<usize> = None;
            for (i, s) in a.stages.iter().enumerate() {
                let n = i + 1;
                let key = |f: &str| format!("stage{n}.{f}");
                if s.primary_approvers.is_empty() {
                    e.add(
                        &key("primary"),
                        format!("Stage {n} needs at least one approver."),
                    );
                }
                // The manager, sponsors and a group's members may all be
                // missing when a request comes: someone must stand in.
                if !s.primary_approvers.is_empty()
                    && s.fallback_primary_approvers.is_empty()
                    && !s
                        .primary_approvers
                        .iter()
                        .any(|a| matches!(a, Approver::SingleUser(_)))
                {
                    e.add(
                        &key("fallback"),
                        format!(
                            "Stage {n}'s approvers can be missing (a requestor without a manager, an organization without sponsors, an empty group): add fallback approvers."
                        ),
                    );
                }
                let all: Vec<&Approver> = s
                    .primary_approvers
                    .iter()
                    .chain(&s.fallback_primary_approvers)
                    .chain(&s.escalation_approvers)
                    .chain(&s.fallback_escalation_approvers)
                    .collect();
                for ap in &all {
                    match ap {
                        Approver::RequestorManager if !scope.is_for_directory_users() => e.add(
                            &key("primary"),
                            "The requestor's manager can approve only for users in your directory.",
                        ),
                        Approver::SecondLevelManager if !scope.is_for_directory_users() => e.add(
                            &key("escalation"),
                            "The second level manager can approve only for users in your directory.",
                        ),
                        Approver::InternalSponsors | Approver::ExternalSponsors
                            if !scope.is_for_external_users() =>
                        {
                            e.add(
                                &key("primary"),
                                "Sponsors can approve only for users of connected organizations.",
                            )
                        }
                        _ => {}
                    }
                }
                if s.fallback_primary_approvers
                    .iter()
                    .chain(&s.fallback_escalation_approvers)
                    .any(Approver::is_relative)
                {
                    e.add(
                        &key("fallback"),
                        "Fallback approvers must be specific users or groups.",
                    );
                }
                if s.primary_approvers
                    .iter()
                    .chain(&s.fallback_primary_approvers)
                    .any(|a| *a == Approver::SecondLevelManager)
                {
                    e.add(
                        &key("primary"),
                        "The second level manager can be an alternate approver only.",
                    );
                }
                // As in Entra: the manager's manager may be missing too.
                if s.escalation_approvers
                    .contains(&Approver::SecondLevelManager)
                    && s.fallback_escalation_approvers.is_empty()
                {
                    e.add(
                        &key("escalation_fallback"),
                        "The second level manager can be missing: add fallback alternate approvers.",
                    );
                }
                if s.primary_approvers.iter().any(Approver::is_relative) {
                    if let Some(first) = relative_used_in {
                        e.add(
                            &key("primary"),
                            format!("The manager or sponsors can approve in one stage only; stage {} already uses them.", first + 1),
                        );
                    } else {
                        relative_used_in = Some(i);
                    }
                }
                if !(1..=MAX_DECISION_DAYS).contains(&s.duration_before_automatic_denial_days) {
                    e.add(
                        &key("decision_days"),
                        format!("The decision must be made within 1 to {MAX_DECISION_DAYS} days."),
                    );
                }
                if s.is_escalation_enabled {
                    if s.escalation_approvers.is_empty() {
                        e.add(
                            &key("escalation"),
                            format!(
                                "Stage {n} forwards to alternate approvers: choose at least one."
                            ),
                        );
                    }
                    if s.duration_before_escalation_days < MIN_ESCALATION_DAYS
                        || s.duration_before_escalation_days
                            >= s.duration_before_automatic_denial_days
                    {
                        e.add(
                            &key("escalation_days"),
                            "Forward to alternate approvers after at least 1 day and before the decision deadline.",
                        );
                    }
                    if s.duration_before_automatic_denial_days < MIN_DECISION_DAYS_WITH_ESCALATION {
                        e.add(
                            &key("decision_days"),
                            format!("With alternate approvers, allow at least {MIN_DECISION_DAYS_WITH_ESCALATION} days for a decision."),
                        );
                    }
                } else if !s.escalation_approvers.is_empty()
                    || !s.fallback_escalation_approvers.is_empty()
                {
                    e.add(
                        &key("escalation"),
                        "Alternate approvers need forwarding to be turned on.",
                    );
                }
            }
        } else if !a.stages.is_empty() {
            e.add(
                "stages",
                "Approval stages apply only when approval is required.",
            );
        }

        match &self.expiration {
            Expiration::NoExpiration => {}
            Expiration::AfterDateTime(t) if *t <= now => {
                e.add("expiration", "The expiration date must be in the future.")
            }
            Expiration::AfterDateTime(_) => {}
            Expiration::AfterDays(d) if !(1..=MAX_EXPIRATION_DAYS).contains(d) => e.add(
                "expiration",
                format!("Access lasts 1 to {MAX_EXPIRATION_DAYS} days."),
            ),
            Expiration::AfterHours(h) if !(1..=MAX_EXPIRATION_HOURS).contains(h) => e.add(
                "expiration",
                format!("Access lasts 1 to {MAX_EXPIRATION_HOURS} hours."),
            ),
            _ => {}
        }

        let mut sequences: Vec<u32> = Vec::new();
        for (i, q) in self.questions.iter().enumerate() {
            let n = i + 1;
            let key = |f: &str| format!("question{n}.{f}");
            e.check(&key("text"), required_text(&q.text, "The question", 500));
            if sequences.contains(&q.sequence) {
                e.add(
                    &key("sequence"),
                    format!("Two questions have the order number {}.", q.sequence),
                );
            }
            sequences.push(q.sequence);
            match &q.kind {
                QuestionKind::Text {
                    regex_pattern: Some(p),
                    ..
                } => {
                    // Compiled alone first: `a)|(?:.*` would otherwise slip past the anchors.
                    if let Err(err) =
                        regex::Regex::new(p).and_then(|_| regex::Regex::new(&format!("^(?:{p})$")))
                    {
                        e.add(
                            &key("regex"),
                            format!(
                                "The regular expression is not valid: {}",
                                first_line(&err.to_string())
                            ),
                        );
                    }
                }
                QuestionKind::MultipleChoice { choices, .. } => {
                    if choices.is_empty() {
                        e.add(
                            &key("choices"),
                            "A multiple-choice question needs at least one choice.",
                        );
                    }
                    let mut values: Vec<String> = Vec::new();
                    for c in choices {
                        if c.text.trim().is_empty() || c.actual_value.trim().is_empty() {
                            e.add(&key("choices"), "Every choice needs a text.");
                        }
                        if values
                            .iter()
                            .any(|v| v.eq_ignore_ascii_case(&c.actual_value))
                        {
                            e.add(
                                &key("choices"),
                                format!("The choice `{}` is listed twice.", c.actual_value),
                            );
                        }
                        values.push(c.actual_value.clone());
                    }
                }
                QuestionKind::Text { .. } => {}
            }
        }
        e.into_result()
    }

    /// The text of a question in the browser's language: for each language
    /// the browser asks for, in its order, the translation in it, else one
    /// in the language without region (fr-CA -> fr), else one in another
    /// region of it (fr-CA -> fr-FR); failing all, the default text.
    pub fn localized<'a>(
        text: &'a str,
        localizations: &'a [Localization],
        accept_language: &str,
    ) -> &'a str {
        for wanted in accept_language
            .split(',')
            .map(|l| l.split(';').next().unwrap_or("").trim())
        {
            if wanted.is_empty() {
                continue;
            }
            if let Some(l) = localizations
                .iter()
                .find(|l| l.language_code.eq_ignore_ascii_case(wanted))
            {
                return &l.text;
            }
            let base = |code: &'a str| code.split('-').next().unwrap_or(code);
            let wanted_base = wanted.split('-').next().unwrap_or(wanted);
            if let Some(l) = localizations
                .iter()
                .find(|l| l.language_code.eq_ignore_ascii_case(wanted_base))
                .or_else(|| {
                    localizations
                        .iter()
                        .find(|l| base(&l.language_code).eq_ignore_ascii_case(wanted_base))
                })
            {
                return &l.text;
            }
        }
        text
    }
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}

/// Parses "languageCode: text" lines; re-exported for question forms.
pub fn parse_question_localizations(text: &str) -> Result<Vec<Localization>, String> {
    parse_localizations(text)
}

#[cfg(test)]
impl Policy {
    /// A policy anyone in `scope` (and `targets`) may request, without
    /// approval or expiry: the tests' starting point.
    pub(crate) fn requestable(scope: AllowedTargetScope, targets: Vec<SubjectSet>) -> Policy {
        Policy {
            display_name: scope.as_str().into(),
            description: None,
            enabled: true,
            allowed_target_scope: scope,
            specific_allowed_targets: targets,
            requestor: RequestorSettings {
                enable_targets_to_self_add_access: true,
                ..Default::default()
            },
            approval: ApprovalSettings::default(),
            questions: vec![],
            expiration: Expiration::NoExpiration,
            assignment_notifications: true,
            automatic: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn automatic_form<'a>(rule: &'a str, grace: &'a str) -> AutomaticInput<'a> {
        AutomaticInput {
            display_name: " Sales staff ",
            description: "",
            rule,
            assign: true,
            remove_when_out_of_scope: true,
            grace_period_days: grace,
        }
    }

    #[test]
    fn an_automatic_policy_takes_a_rule_and_nothing_requestors_use() {
        let now = Utc::now();
        let p = automatic_form(r#"user.department -eq "Sales""#, "7")
            .policy(true, now)
            .unwrap();
        assert_eq!(p.display_name, "Sales staff");
        assert_eq!(p.description, None);
        assert_eq!(p.automatic.as_ref().unwrap().grace_period_days, 7);
        assert_eq!(p.audience(), "Automatic: people matching a rule");
        // Nobody requests under it: stored with requestor settings, it is refused.
        let mut requestable = p.clone();
        requestable.requestor.enable_targets_to_self_add_access = true;
        assert!(requestable.validate(now).unwrap_err().get("rule").is_some());

        let e = automatic_form("user.department", "x")
            .policy(true, now)
            .unwrap_err();
        assert!(e.get("rule").unwrap().contains("Expected an operator"));
        assert!(e.get("grace_days").unwrap().contains("whole number"));
        let e = automatic_form(r#"user.department -eq "Sales""#, "91")
            .policy(true, now)
            .unwrap_err();
        assert!(e.get("grace_days").unwrap().contains("0 to 90"));
        assert_eq!(
            automatic_form(r#"user.department -eq "Sales""#, "")
                .policy(false, now)
                .unwrap()
                .automatic
                .unwrap()
                .grace_period_days,
            0
        );
    }

    fn stage(approvers: Vec<Approver>) -> ApprovalStage {
        ApprovalStage {
            duration_before_automatic_denial_days: 14,
            is_approver_justification_required: true,
            primary_approvers: approvers,
            fallback_primary_approvers: vec![],
            is_escalation_enabled: false,
            duration_before_escalation_days: 0,
            escalation_approvers: vec![],
            fallback_escalation_approvers: vec![],
        }
    }

    fn policy(scope: AllowedTargetScope) -> Policy {
        Policy {
            display_name: "Initial policy".into(),
            description: None,
            enabled: true,
            allowed_target_scope: scope,
            specific_allowed_targets: vec![],
            requestor: RequestorSettings {
                enable_targets_to_self_add_access: true,
                ..Default::default()
            },
            approval: ApprovalSettings {
                show_approvers: None,
                is_approval_required_for_add: true,
                stages: vec![stage(vec![Approver::SingleUser(UserId::new())])],
                ..Default::default()
            },
            questions: vec![],
            expiration: Expiration::AfterDays(180),
            assignment_notifications: true,
            automatic: None,
        }
    }

    fn errors(p: &Policy) -> Vec<String> {
        match p.validate(Utc::now()) {
            Ok(()) => vec![],
            Err(e) => e.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
        }
    }

    #[test]
    fn the_walkthrough_policy_is_valid() {
        assert!(errors(&policy(AllowedTargetScope::AllExternalUsers)).is_empty());
    }

    #[test]
    fn a_stage_needs_an_approver_and_stages_are_one_to_three() {
        let mut p = policy(AllowedTargetScope::AllMemberUsers);
        p.approval.stages[0].primary_approvers.clear();
        assert!(
            errors(&p)
                .iter()
                .any(|e| e.contains("Stage 1 needs at least one approver"))
        );
        p.approval.stages = vec![];
        assert!(errors(&p).iter().any(|e| e.contains("1 to 3 stages")));
        p.approval.stages = (0..4)
            .map(|_| stage(vec![Approver::SingleUser(UserId::new())]))
            .collect();
        assert!(errors(&p).iter().any(|e| e.contains("1 to 3 stages")));
    }

    #[test]
    fn manager_only_in_directory_and_sponsors_only_for_organizations() {
        let mut p = policy(AllowedTargetScope::AllExternalUsers);
        p.approval.stages[0].primary_approvers = vec![Approver::RequestorManager];
        assert!(
            errors(&p)
                .iter()
                .any(|e| e.contains("manager can approve only for users in your directory"))
        );
        let mut p = policy(AllowedTargetScope::AllMemberUsers);
        p.approval.stages[0].primary_approvers = vec![Approver::ExternalSponsors];
        assert!(
            errors(&p)
                .iter()
                .any(|e| e.contains("Sponsors can approve only"))
        );
        let mut p = policy(AllowedTargetScope::AllMemberUsers);
        p.approval.stages = vec![
            stage(vec![Approver::RequestorManager]),
            stage(vec![Approver::RequestorManager]),
        ];
        assert!(errors(&p).iter().any(|e| e.contains("one stage only")));
    }

    #[test]
    fn approvers_that_can_be_missing_need_fallback_approvers() {
        let mut p = policy(AllowedTargetScope::AllMemberUsers);
        p.approval.stages = vec![stage(vec![Approver::RequestorManager])];
        assert!(
            errors(&p)
                .iter()
                .any(|e| e.starts_with("stage1.fallback") && e.contains("add fallback approvers"))
        );
        p.approval.stages[0].fallback_primary_approvers = vec![Approver::SingleUser(UserId::new())];
        assert!(errors(&p).is_empty(), "{:?}", errors(&p));
        p.approval.stages = vec![stage(vec![
            Approver::RequestorManager,
            Approver::SingleUser(UserId::new()),
        ])];
        assert!(
            errors(&p).is_empty(),
            "a named approver stands in: {:?}",
            errors(&p)
        );
    }

    #[test]
    fn the_second_level_manager_is_an_alternate_with_a_fallback_for_members_only() {
        let ada = Approver::SingleUser(UserId::new());
        let mut p = policy(AllowedTargetScope::AllMemberUsers);
        p.approval.stages = vec![ApprovalStage {
            is_escalation_enabled: true,
            duration_before_escalation_days: 2,
            escalation_approvers: vec![Approver::SecondLevelManager],
            ..stage(vec![ada.clone()])
        }];
        assert!(
            errors(&p)
                .iter()
                .any(|e| e.starts_with("stage1.escalation_fallback")),
            "{:?}",
            errors(&p)
        );
        p.approval.stages[0].fallback_escalation_approvers = vec![ada.clone()];
        assert!(errors(&p).is_empty(), "{:?}", errors(&p));
        let mut external = p.clone();
        external.allowed_target_scope = AllowedTargetScope::AllExternalUsers;
        assert!(
            errors(&external)
                .iter()
                .any(|e| e.contains("second level manager can approve only")),
            "{:?}",
            errors(&external)
        );
        p.approval.stages[0].primary_approvers = vec![Approver::SecondLevelManager];
        p.approval.stages[0].fallback_primary_approvers = vec![ada];
        assert!(
            errors(&p)
                .iter()
                .any(|e| e.contains("an alternate approver only")),
            "{:?}",
            errors(&p)
        );
    }

    #[test]
    fn specific_scopes_need_targets_of_their_kind() {
        let mut p = policy(AllowedTargetScope::SpecificDirectoryUsers);
        assert!(errors(&p).iter().any(|e| e.starts_with("targets")));
        p.specific_allowed_targets = vec![SubjectSet::ConnectedOrganizationMembers(
            ConnectedOrgId::new(),
        )];
        assert!(errors(&p).iter().any(|e| e.starts_with("targets")));
        p.specific_allowed_targets = vec![SubjectSet::GroupMembers(GroupId::new())];
        assert!(errors(&p).is_empty());
    }

    #[test]
    fn admin_only_policies_take_no_requestor_settings() {
        let mut p = policy(AllowedTargetScope::NotSpecified);
        assert!(
            errors(&p)
                .iter()
                .any(|e| e.contains("administrator direct assignments only"))
        );
        p.requestor = RequestorSettings::default();
        assert!(errors(&p).is_empty());
    }

    #[test]
    fn expiration_dates_are_in_the_future_and_durations_positive() {
        let mut p = policy(AllowedTargetScope::AllMemberUsers);
        p.expiration = Expiration::AfterDateTime(Utc::now() - Duration::days(1));
        assert!(errors(&p).iter().any(|e| e.contains("in the future")));
        p.expiration = Expiration::AfterDays(0);
        assert!(errors(&p).iter().any(|e| e.contains("1 to 3660 days")));
        p.expiration = Expiration::AfterHours(0);
        assert!(!errors(&p).is_empty());
        p.expiration = Expiration::AfterHours(8);
        assert!(errors(&p).is_empty());
    }

    #[test]
    fn escalation_needs_alternates_and_time() {
        let mut p = policy(AllowedTargetScope::AllMemberUsers);
        p.approval.stages[0].is_escalation_enabled = true;
        p.approval.stages[0].duration_before_escalation_days = 20;
        let errs = errors(&p);
        assert!(errs.iter().any(|e| e.contains("choose at least one")));
        assert!(
            errs.iter()
                .any(|e| e.contains("before the decision deadline"))
        );
    }

    #[test]
    fn questions_are_checked() {
        let mut p = policy(AllowedTargetScope::AllMemberUsers);
        p.questions = vec![
            Question {
                sequence: 1,
                text: "Why?".into(),
                localizations: vec![],
                is_required: true,
                is_answer_editable: true,
                kind: QuestionKind::Text {
                    is_single_line: false,
                    regex_pattern: Some("[a-z".into()),
                },
            },
            Question {
                sequence: 1,
                text: "Country?".into(),
                localizations: vec![],
                is_required: true,
                is_answer_editable: true,
                kind: QuestionKind::MultipleChoice {
                    choices: vec![],
                    is_multiple_selection_allowed: false,
                },
            },
        ];
        let errs = errors(&p);
        assert!(errs.iter().any(|e| e.starts_with("question1.regex")));
        assert!(errs.iter().any(|e| e.starts_with("question2.choices")));
        assert!(errs.iter().any(|e| e.starts_with("question2.sequence")));
    }

    #[test]
    fn tiers_order_the_scopes() {
        assert_eq!(
            AllowedTargetScope::SpecificConnectedOrganizationUsers.tier(),
            Some(1)
        );
        assert!(
            AllowedTargetScope::AllMemberUsers.tier()
                < AllowedTargetScope::AllDirectoryUsers.tier()
        );
        assert_eq!(AllowedTargetScope::NotSpecified.tier(), None);
    }

    #[test]
    fn localized_text_follows_the_browser_language() {
        let l = vec![
            Localization {
                language_code: "fr-CA".into(),
                text: "Pourquoi?".into(),
            },
            Localization {
                language_code: "de".into(),
                text: "Warum?".into(),
            },
        ];
        assert_eq!(Policy::localized("Why?", &l, "fr-CA,fr;q=0.9"), "Pourquoi?");
        assert_eq!(Policy::localized("Why?", &l, "de-AT"), "Warum?");
        assert_eq!(Policy::localized("Why?", &l, "nl"), "Why?");
        // Another region of the language asked for, when that is all there is.
        assert_eq!(Policy::localized("Why?", &l, "fr"), "Pourquoi?");
        assert_eq!(Policy::localized("Why?", &l, "fr-FR"), "Pourquoi?");
        assert_eq!(Policy::localized("Why?", &l, "nl,de-CH"), "Warum?");
    }
}
