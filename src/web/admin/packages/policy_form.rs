//! The policy form read into a `PolicyDraft` (people by email, groups and
//! organizations by name, looked up by the service), and written back from
//! a stored policy. The form's fields are typed in `policy_fields`.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use super::policy_fields::{
    BasicsFields, ExtensionFields, LifecycleFields, MAX_QUESTIONS, PolicyForm, Posted,
    QuestionFields, RequestorFields, RequestsFields, StageFields, TranslationFields,
    review_defaults,
};
use crate::domain::catalog::{parse_localizations, translations};
use crate::domain::custom_extension::Stage;
use crate::domain::policy::{
    AllowedTargetScope, ApprovalSettings, ApprovalStage, Approver, Choice, Expiration, MAX_STAGES,
    Policy, Question, QuestionKind, RequestorSettings, SubjectSet,
};
use crate::domain::policy_draft::{Name, Names, PolicyDraft, Slot};
use crate::domain::request::local_to_utc;
use crate::domain::review::{ReviewInput, ReviewSettings};
use crate::domain::validation::FieldErrors;
use crate::service::packages::ReviewForForm;

/// What a policy form's pickers search: people, groups, organizations.
pub const POLICY_PICKS: &[crate::service::lookup::Kind] = &[
    crate::service::lookup::Kind::User,
    crate::service::lookup::Kind::Group,
    crate::service::lookup::Kind::Organization,
];

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The names a field lists, one per line.
pub(super) fn names_in(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|s| !s.is_empty())
}

/// Each address and name two fields list, for `slot`: emails split on
/// line breaks, commas or semicolons, group names one per line.
fn named(slot: Slot, users: &str, groups: &str, out: &mut Vec<(Slot, Name)>) {
    out.extend(lines(users).map(|e| (slot, Name::User(e.to_string()))));
    out.extend(names_in(groups).map(|g| (slot, Name::Group(g.to_string()))));
}

fn number(raw: &str, what: &str, field: &str, e: &mut FieldErrors) -> u32 {
    match raw.trim().parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            e.add(field, format!("{what} must be a whole number."));
            0
        }
    }
}

/// Reads the form into a draft: what the fields say, the names they give
/// (looked up by the service, which also applies `Policy::validate`), and
/// the errors of the fields themselves.
///
/// A fixed last day is the administrator's (`tz`): access ends as that day
/// ends where they are.
pub fn draft(f: &PolicyForm, tz: Tz) -> PolicyDraft {
    let mut e = FieldErrors::new();
    let mut names = Vec::new();
    let r = &f.requests;
    let scope = AllowedTargetScope::parse(&r.scope).unwrap_or_else(|| {
        e.add("allowed_target_scope", "Choose who can request.");
        AllowedTargetScope::NotSpecified
    });
    match scope {
        AllowedTargetScope::SpecificDirectoryUsers => {
            named(Slot::Target, &r.target_users, &r.target_groups, &mut names);
        }
        AllowedTargetScope::SpecificConnectedOrganizationUsers => {
            names.extend(
                names_in(&r.target_orgs).map(|o| (Slot::Target, Name::Organization(o.to_string()))),
            );
        }
        _ => {}
    }

    let l = &f.lifecycle;
    let mut stages = Vec::new();
    if r.approval_required || l.approval_update_required {
        let count: usize = r.stage_count.trim().parse().unwrap_or(0);
        if !(1..=MAX_STAGES).contains(&count) {
            e.add(
                "stages",
                format!("Approval takes 1 to {MAX_STAGES} stages."),
            );
        }
        for n in 1..=count.min(MAX_STAGES) {
            stages.push(stage(f.stage(n), n, &mut names, &mut e));
        }
    }

    let mut questions = Vec::new();
    let asked = f.requestor.questions.iter().filter(|q| !q.is_blank());
    for q in asked.take(MAX_QUESTIONS) {
        let n = questions.len() + 1;
        questions.push(question(q, n, &mut e));
    }

    let policy = Policy {
        display_name: f.basics.name.trim().to_string(),
        description: Some(f.basics.description.trim().to_string()).filter(|d| !d.is_empty()),
        enabled: f.basics.enabled,
        allowed_target_scope: scope,
        specific_allowed_targets: vec![],
        requestor: RequestorSettings {
            enable_targets_to_self_add_access: r.enable_requests,
            enable_targets_to_self_update_access: l.allow_extension,
            enable_targets_to_self_remove_access: r.enable_requests,
            allow_custom_assignment_schedule: l.custom_schedule,
            enable_on_behalf_requestors_to_add_access: r.on_behalf,
        },
        approval: ApprovalSettings {
            show_approvers: match r.show_approvers.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            is_approval_required_for_add: r.approval_required,
            is_approval_required_for_update: l.approval_update_required,
            is_requestor_justification_required: r.requestor_justification,
            stages,
        },
        questions,
        expiration: expiration(l, tz, &mut e),
        // Off only when asked: a form without the switch mails as before.
        assignment_notifications: !l.notifications_off,
        automatic: None,
    };
    let review = l.review_posted.then(|| {
        l.review.parse().unwrap_or_else(|errors| {
            e.merge(&errors);
            None
        })
    });
    PolicyDraft {
        policy,
        named: names,
        errors: e,
        extensions: Some(extensions(f)),
        review,
    }
}

/// Approval stage `n` (from 1) as its fields say; the people and groups
/// it names go to `names`.
fn stage(
    s: &StageFields,
    n: usize,
    names: &mut Vec<(Slot, Name)>,
    e: &mut FieldErrors,
) -> ApprovalStage {
    let mut primary = Vec::new();
    for (ticked, approver) in [
        (s.manager, Approver::RequestorManager),
        (s.internal, Approver::InternalSponsors),
        (s.external, Approver::ExternalSponsors),
    ] {
        if ticked {
            primary.push(approver);
        }
    }
    let at = n - 1;
    named(Slot::Primary(at), &s.users, &s.groups, names);
    named(
        Slot::Fallback(at),
        &s.fallback_users,
        &s.fallback_groups,
        names,
    );
    let mut alternates = Vec::new();
    if s.escalation {
        if s.alt_manager {
            alternates.push(Approver::SecondLevelManager);
        }
        named(Slot::Escalation(at), &s.alt_users, &s.alt_groups, names);
        let (users, groups) = (&s.alt_fallback_users, &s.alt_fallback_groups);
        named(Slot::EscalationFallback(at), users, groups, names);
    }
    ApprovalStage {
        duration_before_automatic_denial_days: number(
            &s.days,
            "Days to decide",
            &format!("stage{n}.decision_days"),
            e,
        ),
        is_approver_justification_required: s.justification,
        primary_approvers: primary,
        fallback_primary_approvers: vec![],
        is_escalation_enabled: s.escalation,
        duration_before_escalation_days: if s.escalation {
            number(
                &s.escalation_days,
                "Days before forwarding",
                &format!("stage{n}.escalation_days"),
                e,
            )
        } else {
            0
        },
        escalation_approvers: alternates,
        fallback_escalation_approvers: vec![],
    }
}

/// Question `n` (from 1) as its row says.
fn question(q: &QuestionFields, n: usize, e: &mut FieldErrors) -> Question {
    let rows: Vec<(&str, &str)> = q
        .translations
        .iter()
        .map(|t| (t.language.as_str(), t.text.as_str()))
        .collect();
    let localizations = translations(&rows).unwrap_or_else(|m| {
        e.add(&format!("question{n}.translations"), m);
        vec![]
    });
    let kind = match q.kind.as_str() {
        "choice" => QuestionKind::MultipleChoice {
            choices: parse_choices(&q.choices).unwrap_or_else(|m| {
                e.add(&format!("question{n}.choices"), m);
                vec![]
            }),
            is_multiple_selection_allowed: q.multi,
        },
        kind => QuestionKind::Text {
            is_single_line: kind != "long",
            regex_pattern: Some(q.regex.trim().to_string()).filter(|r| !r.is_empty()),
        },
    };
    let sequence = if q.order.trim().is_empty() {
        n as u32
    } else {
        number(&q.order, "The order", &format!("question{n}.sequence"), e)
    };
    Question {
        sequence,
        text: q.text.trim().to_string(),
        localizations,
        is_required: q.required,
        is_answer_editable: q.editable,
        kind,
    }
}

/// When access ends, as the Lifecycle fields say.
fn expiration(l: &LifecycleFields, tz: Tz, e: &mut FieldErrors) -> Expiration {
    let kept = DateTime::parse_from_rfc3339(&l.expiration_kept)
        .ok()
        .map(|t| t.with_timezone(&Utc));
    match l.expiration_type.as_str() {
        "never" => Expiration::NoExpiration,
        "date" => match NaiveDate::parse_from_str(l.expiration_date.trim(), "%Y-%m-%d") {
            Ok(d) if d.year() > 9999 => {
                e.add("expiration", "Give a date before the year 10000.");
                Expiration::NoExpiration
            }
            // The stored moment while the day is still the one it falls on
            // here: an administrator in another zone who saves the policy
            // again keeps the last moment the first one chose.
            Ok(d) => match kept
                .filter(|t| t.with_timezone(&tz).date_naive() == d)
                .or_else(|| d.and_hms_opt(23, 59, 59).and_then(|t| local_to_utc(tz, t)))
            {
                Some(end) => Expiration::AfterDateTime(end),
                None => {
                    e.add("expiration", "Give a date before the year 10000.");
                    Expiration::NoExpiration
                }
            },
            Err(_) => {
                e.add("expiration", "Give the date as YYYY-MM-DD.");
                Expiration::NoExpiration
            }
        },
        "hours" => Expiration::AfterHours(number(
            &l.expiration_hours,
            "The number of hours",
            "expiration",
            e,
        )),
        "days" => Expiration::AfterDays(number(
            &l.expiration_days,
            "The number of days",
            "expiration",
            e,
        )),
        _ => {
            e.add("expiration", "Choose when access expires.");
            Expiration::NoExpiration
        }
    }
}

/// The custom extension chosen for each stage (an id), approval's included.
pub fn extensions(f: &PolicyForm) -> Vec<(Stage, String)> {
    let approval = Stage::APPROVAL
        .into_iter()
        .enumerate()
        .map(|(i, s)| (s, f.stage(i + 1).extension.clone()));
    let others = Stage::ALL
        .into_iter()
        .map(|s| (s, f.extensions.of(&s).to_string()));
    others
        .chain(approval)
        .map(|(s, id)| (s, id.trim().to_string()))
        .filter(|(_, id)| !id.is_empty())
        .collect()
}

/// A stored policy's form: its fields, the extensions chosen for it
/// (`chosen`) and its access review (`review`, names from ids; none: the
/// defaults, first on `today`). A fixed last day shows as the
/// administrator's (`tz`) day.
pub fn of(
    p: &Policy,
    names: &Names,
    tz: Tz,
    chosen: &[(Stage, String)],
    review: Option<&ReviewForForm>,
    today: NaiveDate,
) -> PolicyForm {
    let mut f = PolicyForm {
        basics: BasicsFields {
            name: p.display_name.clone(),
            description: p.description.clone().unwrap_or_default(),
            enabled: p.enabled,
        },
        requests: requests_of(p, names),
        requestor: RequestorFields {
            questions: p.questions.iter().map(question_of).collect(),
        },
        lifecycle: lifecycle_of(p, tz, review, today),
        extensions: ExtensionFields::default(),
    };
    for (stage, id) in chosen {
        let approval = stage.approval_stage().and_then(|n| n.checked_sub(1));
        match approval {
            Some(at) => {
                if let Some(s) = f.requests.stages.get_mut(at as usize) {
                    s.extension = id.clone();
                }
            }
            None => {
                let name = stage.as_str().to_string();
                f.extensions.chosen.insert(name, id.clone());
            }
        }
    }
    f
}

/// When access ends, extension, mails and reviews, as a stored policy has
/// them (its `review`, or the defaults of one first on `today`).
fn lifecycle_of(
    p: &Policy,
    tz: Tz,
    review: Option<&ReviewForForm>,
    today: NaiveDate,
) -> LifecycleFields {
    let mut l = LifecycleFields {
        custom_schedule: p.requestor.allow_custom_assignment_schedule,
        allow_extension: p.requestor.enable_targets_to_self_update_access,
        approval_update_required: p.approval.is_approval_required_for_update,
        notifications_off: !p.assignment_notifications,
        review_posted: false,
        review: match review {
            Some((settings, emails, groups)) => review_of(settings, emails, groups),
            None => review_defaults(today),
        },
        ..LifecycleFields::default()
    };
    l.expiration_type = match &p.expiration {
        Expiration::NoExpiration => "never",
        Expiration::AfterDateTime(t) => {
            l.expiration_date = t.with_timezone(&tz).format("%Y-%m-%d").to_string();
            l.expiration_kept = t.to_rfc3339();
            "date"
        }
        Expiration::AfterDays(d) => {
            l.expiration_days = d.to_string();
            "days"
        }
        Expiration::AfterHours(h) => {
            l.expiration_hours = h.to_string();
            "hours"
        }
    }
    .into();
    l
}

/// Who can request and approval, as a stored policy has them.
fn requests_of(p: &Policy, names: &Names) -> RequestsFields {
    let (mut tu, mut tg, mut to) = (Vec::new(), Vec::new(), Vec::new());
    for t in &p.specific_allowed_targets {
        match t {
            SubjectSet::SingleUser(u) => tu.extend(names.users.get(u).cloned()),
            SubjectSet::GroupMembers(g) => tg.extend(names.groups.get(g).cloned()),
            SubjectSet::ConnectedOrganizationMembers(o) => {
                to.extend(names.organizations.get(o).cloned())
            }
        }
    }
    let a = &p.approval;
    let mut stages: Vec<StageFields> = a.stages.iter().map(|s| stage_of(s, names)).collect();
    stages.resize_with(MAX_STAGES.max(stages.len()), StageFields::unused);
    RequestsFields {
        scope: p.allowed_target_scope.as_str().into(),
        target_users: tu.join("\n"),
        target_groups: tg.join("\n"),
        target_orgs: to.join("\n"),
        approval_required: a.is_approval_required_for_add,
        requestor_justification: a.is_requestor_justification_required,
        show_approvers: match a.show_approvers {
            Some(true) => "yes",
            Some(false) => "no",
            None => "default",
        }
        .into(),
        stage_count: a.stages.len().max(1).to_string(),
        stages,
        enable_requests: p.requestor.enable_targets_to_self_add_access,
        on_behalf: p.requestor.enable_on_behalf_requestors_to_add_access,
    }
}

/// A stored approval stage's fields.
fn stage_of(s: &ApprovalStage, names: &Names) -> StageFields {
    let mut f = StageFields {
        justification: s.is_approver_justification_required,
        days: s.duration_before_automatic_denial_days.to_string(),
        escalation: s.is_escalation_enabled,
        ..StageFields::default()
    };
    if s.is_escalation_enabled {
        f.escalation_days = s.duration_before_escalation_days.to_string();
    }
    // The people and groups of each list, one per line.
    let listed = |list: &[Approver], f: &mut StageFields| {
        let (mut us, mut gs) = (Vec::new(), Vec::new());
        for ap in list {
            match ap {
                Approver::SingleUser(u) => us.extend(names.users.get(u).cloned()),
                Approver::GroupMembers(g) => gs.extend(names.groups.get(g).cloned()),
                Approver::RequestorManager => f.manager = true,
                Approver::SecondLevelManager => f.alt_manager = true,
                Approver::InternalSponsors => f.internal = true,
                Approver::ExternalSponsors => f.external = true,
            }
        }
        (us.join("\n"), gs.join("\n"))
    };
    (f.users, f.groups) = listed(&s.primary_approvers, &mut f);
    (f.fallback_users, f.fallback_groups) = listed(&s.fallback_primary_approvers, &mut f);
    (f.alt_users, f.alt_groups) = listed(&s.escalation_approvers, &mut f);
    (f.alt_fallback_users, f.alt_fallback_groups) =
        listed(&s.fallback_escalation_approvers, &mut f);
    f
}

/// A stored question's row.
fn question_of(q: &Question) -> QuestionFields {
    let mut row = QuestionFields {
        text: q.text.clone(),
        order: q.sequence.to_string(),
        translations: q
            .localizations
            .iter()
            .map(|l| TranslationFields {
                language: l.language_code.clone(),
                text: l.text.clone(),
            })
            .collect(),
        required: q.is_required,
        editable: q.is_answer_editable,
        ..QuestionFields::default()
    };
    match &q.kind {
        QuestionKind::Text {
            is_single_line,
            regex_pattern,
        } => {
            row.kind = if *is_single_line { "short" } else { "long" }.into();
            row.regex = regex_pattern.clone().unwrap_or_default();
        }
        QuestionKind::MultipleChoice {
            choices,
            is_multiple_selection_allowed,
        } => {
            row.kind = "choice".into();
            let shown: Vec<String> = choices.iter().map(format_choice).collect();
            row.choices = shown.join("\n");
            row.multi = *is_multiple_selection_allowed;
        }
    }
    row
}

/// Stored review settings as the Lifecycle fields show them (names from
/// ids: `emails` of people, `groups`' names).
fn review_of(
    s: &ReviewSettings,
    emails: &HashMap<String, String>,
    groups: &HashMap<String, String>,
) -> ReviewInput {
    let names = |ids: &[String], by: &HashMap<String, String>| {
        let known: Vec<String> = ids.iter().filter_map(|i| by.get(i).cloned()).collect();
        known.join("\n")
    };
    ReviewInput {
        enabled: true,
        start: s.start.format("%Y-%m-%d").to_string(),
        recurrence: s.recurrence.as_str().into(),
        duration: s.duration_days.to_string(),
        reviewers: s.reviewers.as_str().into(),
        users: names(&s.users, emails),
        groups: names(&s.groups, groups),
        sponsors: s.sponsors,
        fallback_users: names(&s.fallback_users, emails),
        fallback_groups: names(&s.fallback_groups, groups),
        no_response: s.no_response.as_str().into(),
        justification: s.justification_required,
        recommendations: s.show_recommendations,
        auto_apply: s.apply_automatically,
    }
}

/// The choices of a multiple-choice question, one per line: `value: text`,
/// then translations of the text, each after a `|` as `languageCode: text`
/// (`fr: texte`).
fn parse_choices(text: &str) -> Result<Vec<Choice>, String> {
    let mut out: Vec<Choice> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut parts = line.split('|').map(str::trim);
        let first = parts.next().unwrap_or_default();
        let (value, shown) = first
            .split_once(':')
            .map(|(v, t)| (v.trim(), t.trim()))
            .unwrap_or((first, first));
        if value.is_empty() || shown.is_empty() {
            return Err(format!(
                "`{line}`: write each choice as value: text, e.g. marketing: Marketing."
            ));
        }
        let translations: Vec<&str> = parts.collect();
        let localizations = parse_localizations(&translations.join("\n"))
            .map_err(|m| format!("The translations of `{value}`: {m}"))?;
        if out.iter().any(|c| c.actual_value == value) {
            return Err(format!("The value `{value}` is given twice."));
        }
        out.push(Choice {
            actual_value: value.to_string(),
            text: shown.to_string(),
            localizations,
        });
    }
    Ok(out)
}

/// A choice as `parse_choices` reads it back.
fn format_choice(c: &Choice) -> String {
    let mut line = format!("{}: {}", c.actual_value, c.text);
    for l in &c.localizations {
        line.push_str(&format!(" | {}: {}", l.language_code, l.text));
    }
    line
}

/// A policy form as posted on the policy page, and whether "+ Add question",
/// "+ Add choice" or "+ Add translation" (without the page script: the form
/// comes back with one more blank row) or Review (it comes back summed up)
/// was pressed: then nothing is saved.
#[derive(serde::Deserialize)]
#[serde(from = "HashMap<String, String>")]
pub struct PostedPolicy {
    pub form: PolicyForm,
    pub add: bool,
    pub review: bool,
}

impl From<HashMap<String, String>> for PostedPolicy {
    fn from(posted: HashMap<String, String>) -> PostedPolicy {
        let mut form = PolicyForm::read(&Posted(&posted));
        if posted.get("add").is_some_and(|v| v == "question") {
            form.requestor.add_row();
        }
        PostedPolicy {
            form,
            add: posted.contains_key("add"),
            review: posted.get("add").is_some_and(|v| v == "review"),
        }
    }
}

/// Gives a page struct (its form `f`, a `PolicyForm`, and its `errors`)
/// the accessors its policy-form templates use.
macro_rules! form_accessors {
    ($t:ty) => {
        // Each page uses the accessors its templates need.
        #[allow(dead_code)]
        impl $t {
            fn err(&self, k: &str) -> Option<&str> {
                self.errors.get(k)
            }
            fn has_err(&self, k: &str) -> bool {
                self.errors.get(k).is_some()
            }
            fn step_label(&self, k: &str) -> &'static str {
                super::steps::step_label(k)
            }
            /// Whether a step of the form has errors (its tab is marked).
            fn step_has_errors(&self, step: &str) -> bool {
                self.errors
                    .iter()
                    .any(|(k, _)| super::steps::step_of(k) == step)
            }
            /// As `step_has_errors`, on the policy page, whose Basics tab
            /// holds the name and description the wizard asks in Requests.
            fn policy_step_has_errors(&self, step: &str) -> bool {
                self.errors.iter().any(|(k, _)| {
                    let basics = matches!(k.as_str(), "display_name" | "policy_description");
                    let of = if basics {
                        "basics"
                    } else {
                        super::steps::step_of(k)
                    };
                    of == step
                })
            }
            fn qk(&self, i: &usize, k: &str) -> String {
                format!("q{i}_{k}")
            }
            fn sk(&self, n: &usize, k: &str) -> String {
                format!("s{n}_{k}")
            }
            fn stage_err(&self, n: &usize, k: &str) -> Option<&str> {
                self.errors.get(&format!("stage{n}.{k}"))
            }
            fn q_err(&self, n: &usize, k: &str) -> Option<&str> {
                self.errors.get(&format!("question{n}.{k}"))
            }
            /// Whether a translation's language is one the picker lists (a
            /// stored one it does not is offered as well).
            fn is_listed_language(&self, code: &str) -> bool {
                crate::domain::catalog::LANGUAGES
                    .iter()
                    .any(|(c, _)| *c == code)
            }
        }
    };
}
pub(crate) use form_accessors;

#[cfg(test)]
mod choice_tests {
    use super::*;
    use crate::domain::catalog::Localization;

    fn posted(fields: &[(&str, &str)]) -> PolicyForm {
        let map: HashMap<String, String> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        PolicyForm::read(&Posted(&map))
    }

    #[test]
    fn a_stored_policy_reads_back_from_its_form() {
        let stage = |days, escalation| ApprovalStage {
            duration_before_automatic_denial_days: days,
            is_approver_justification_required: escalation,
            primary_approvers: vec![Approver::RequestorManager, Approver::InternalSponsors],
            fallback_primary_approvers: vec![],
            is_escalation_enabled: escalation,
            duration_before_escalation_days: if escalation { 3 } else { 0 },
            escalation_approvers: if escalation {
                vec![Approver::SecondLevelManager]
            } else {
                vec![]
            },
            fallback_escalation_approvers: vec![],
        };
        let fr = |text: &str| Localization {
            language_code: "fr".into(),
            text: text.into(),
        };
        let policy = Policy {
            display_name: "Partners".into(),
            description: Some("For partners".into()),
            enabled: true,
            allowed_target_scope: AllowedTargetScope::AllDirectoryUsers,
            specific_allowed_targets: vec![],
            requestor: RequestorSettings {
                enable_targets_to_self_add_access: true,
                enable_targets_to_self_update_access: true,
                enable_targets_to_self_remove_access: true,
                allow_custom_assignment_schedule: true,
                enable_on_behalf_requestors_to_add_access: false,
            },
            approval: ApprovalSettings {
                show_approvers: Some(false),
                is_approval_required_for_add: true,
                is_approval_required_for_update: true,
                is_requestor_justification_required: true,
                stages: vec![stage(7, true), stage(14, false)],
            },
            questions: vec![
                Question {
                    sequence: 2,
                    text: "Why?".into(),
                    localizations: vec![fr("Pourquoi ?")],
                    is_required: true,
                    is_answer_editable: false,
                    kind: QuestionKind::Text {
                        is_single_line: false,
                        regex_pattern: Some("^.{3,}$".into()),
                    },
                },
                Question {
                    sequence: 1,
                    text: "Team".into(),
                    localizations: vec![],
                    is_required: false,
                    is_answer_editable: true,
                    kind: QuestionKind::MultipleChoice {
                        choices: vec![Choice {
                            actual_value: "mkt".into(),
                            text: "Marketing".into(),
                            localizations: vec![fr("Marketing FR")],
                        }],
                        is_multiple_selection_allowed: true,
                    },
                },
            ],
            expiration: Expiration::AfterHours(8),
            assignment_notifications: false,
            automatic: None,
        };
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let form = of(&policy, &Names::default(), Tz::UTC, &[], None, today);
        assert_eq!(
            form.stage(3).days,
            "14",
            "a stage not used starts at 14 days"
        );
        assert!(!form.lifecycle.review.enabled);
        let read = draft(&form, Tz::UTC);
        assert!(read.errors.is_empty(), "{:?}", read.errors);
        assert_eq!(read.policy, policy);
        assert!(
            read.review.is_none(),
            "reviews untouched without their fields"
        );
    }

    #[test]
    fn posted_fields_are_read_by_part() {
        let f = posted(&[
            ("policy_name", "P"),
            ("enabled", "on"),
            ("stage_count", "2"),
            ("s2_manager", "on"),
            ("s2_days", "5"),
            ("ext_assignmentRequestApprovalStage2", "x2"),
            ("ext_assignmentRequestCreated", "x0"),
            ("ext_assignmentRequestGranted", " "),
            ("q_count", "5"),
            ("q0_text", ""),
            ("q1_text", "Gone"),
            ("q1_remove", "on"),
            ("q2_text", "Team"),
            ("q2_kind", "choice"),
            ("q2_choice1", "b: B"),
            ("q2_choice0", "a: A"),
            ("q2_choice2", ""),
            ("q3_text", "Why"),
            ("q3_lang1", "fr-FR"),
            ("q3_loc1", "Pourquoi"),
            ("q3_lang02", "de-DE"),
            ("q3_loc+3", "Warum"),
            ("q4_lang0", "fr-FR"),
            ("q4_loc0", "Seulement traduite"),
            ("rv_enabled", "on"),
        ]);
        assert_eq!((f.basics.name.as_str(), f.basics.enabled), ("P", true));
        let s2 = f.stage(2);
        assert!(s2.manager && !s2.internal);
        assert_eq!((s2.days.as_str(), s2.extension.as_str()), ("5", "x2"));
        assert_eq!(f.stage(1).extension, "");
        let texts: Vec<&str> = f
            .requestor
            .questions
            .iter()
            .map(|q| q.text.as_str())
            .collect();
        assert_eq!(
            texts,
            ["Team", "Why", ""],
            "blank and removed rows are dropped, a translated one kept"
        );
        let why = &f.requestor.questions[1].translations;
        assert_eq!(why.len(), 1, "rows only as the form numbers them: {why:?}");
        assert_eq!(
            (why[0].language.as_str(), why[0].text.as_str()),
            ("fr-FR", "Pourquoi")
        );
        assert_eq!(f.requestor.questions[0].choices, "a: A\nb: B");
        assert_eq!(f.requestor.rows().len(), 4, "and one blank row shows");
        assert!(f.lifecycle.review.enabled && !f.lifecycle.review_posted);
        let chosen = extensions(&f);
        assert_eq!(
            chosen,
            [
                (Stage::RequestCreated, "x0".to_string()),
                (Stage::Approval(2), "x2".to_string())
            ]
        );
    }

    #[test]
    fn choices_carry_their_translations() {
        let c =
            parse_choices("mkt: Marketing | fr: Marketing FR | de-DE: Vertrieb\nsales").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].actual_value, "mkt");
        assert_eq!(c[0].localizations.len(), 2);
        assert_eq!(c[0].localizations[1].language_code, "de-DE");
        assert_eq!(
            (c[1].actual_value.as_str(), c[1].text.as_str()),
            ("sales", "sales")
        );
        assert_eq!(
            format_choice(&c[0]),
            "mkt: Marketing | fr: Marketing FR | de-DE: Vertrieb"
        );
        assert!(parse_choices("a: A | not a language: x").is_err());
        assert!(parse_choices("a: A\na: B").unwrap_err().contains("twice"));
    }
}
