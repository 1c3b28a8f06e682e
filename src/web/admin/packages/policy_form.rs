//! The policy form: named text fields as a browser sends them, read into a
//! `PolicyDraft` (people by email, groups and organizations by name, looked
//! up by the service) and written back from a stored policy.
//!
//! Field names: `policy_name`, `policy_description`, `enabled`; `scope`,
//! `target_users`, `target_groups`, `target_orgs`; `approval_required`,
//! `approval_update_required`, `requestor_justification`, `stage_count`, and per
//! stage `s{n}_manager|internal|external|users|groups|fallback_users|fallback_groups|
//! justification|days|escalation|escalation_days|alt_manager|alt_users|alt_groups|
//! alt_fallback_users|alt_fallback_groups`;
//! `show_approvers` (default|yes|no);
//! `enable_requests`, `on_behalf`, `allow_extension`, `custom_schedule`, `notifications_off`; `q_count` and per
//! question `q{i}_text|kind|regex|choices|multi|required|editable|order|localizations|remove`;
//! `expiration_type` (never|date|days|hours), `expiration_date`, `expiration_days`,
//! `expiration_hours`; `expiration_kept`, the stored last moment the date shows.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::catalog::{format_localizations, parse_localizations};
use crate::domain::custom_extension::Stage;
use crate::domain::policy::{
    AllowedTargetScope, ApprovalSettings, ApprovalStage, Approver, Choice, Expiration, MAX_STAGES,
    Policy, Question, QuestionKind, RequestorSettings, SubjectSet,
};
use crate::domain::policy_draft::{Name, Names, PolicyDraft, Slot};
use crate::domain::request::local_to_utc;
use crate::domain::review::{ReviewInput, ReviewSettings};
use crate::domain::validation::FieldErrors;

pub type Fields = BTreeMap<String, String>;

/// What a policy form's pickers search: people, groups, organizations.
pub const POLICY_PICKS: &[crate::service::lookup::Kind] = &[
    crate::service::lookup::Kind::User,
    crate::service::lookup::Kind::Group,
    crate::service::lookup::Kind::Organization,
];

pub fn get<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(|s| s.as_str()).unwrap_or("")
}

pub fn on(f: &Fields, k: &str) -> bool {
    f.contains_key(k)
}

/// The fields of a new policy: the walkthrough's defaults.
/// A new policy's fields; `today` is the day in the organization's time
/// zone, which a first access review starts on unless changed.
pub fn defaults(name: &str, today: NaiveDate) -> Fields {
    let mut f = Fields::new();
    for (k, v) in [
        ("policy_name", name),
        ("enabled", "on"),
        ("scope", "allMemberUsers"),
        ("approval_required", "on"),
        ("stage_count", "1"),
        ("s1_days", "14"),
        ("s2_days", "14"),
        ("s3_days", "14"),
        ("enable_requests", "on"),
        ("expiration_type", "days"),
        ("expiration_days", "365"),
        ("q_count", "0"),
    ] {
        f.insert(k.into(), v.into());
    }
    review_defaults(&mut f, today);
    f
}

/// The access review fields a policy without reviews starts from: the
/// first review today (`today`, in the organization's time zone, whose
/// days reviews count), as Entra's.
pub fn review_defaults(f: &mut Fields, today: NaiveDate) {
    f.entry("rv_start".to_string())
        .or_insert_with(|| today.format("%Y-%m-%d").to_string());
    for (k, v) in [
        ("rv_recurrence", "quarterly"),
        ("rv_duration", "14"),
        ("rv_reviewers", "manager"),
        ("rv_no_response", "keepAccess"),
        ("rv_recommendations", "on"),
        ("rv_auto_apply", "on"),
    ] {
        f.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
}

/// Renumbers the question rows so that only filled, kept rows remain, as
/// `q0_..q{n-1}_` with `q_count = n`: the form then shows them in order plus one
/// blank row, and errors name the row they belong to.
pub fn compact_questions(f: &mut Fields) {
    let count: usize = get(f, "q_count").parse().unwrap_or(0).min(60);
    let mut kept: Vec<Fields> = Vec::new();
    for i in 0..count {
        let prefix = format!("q{i}_");
        let mut row: Fields = f
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|s| (s.to_string(), v.clone())))
            .collect();
        fold_choices(&mut row);
        let blank = get(&row, "text").trim().is_empty() && get(&row, "choices").trim().is_empty();
        if !blank && !row.contains_key("remove") {
            kept.push(row);
        }
    }
    f.retain(|k, _| !(k.starts_with('q') && k[1..].starts_with(|c: char| c.is_ascii_digit())));
    for (i, row) in kept.iter().enumerate() {
        for (k, v) in row {
            f.insert(format!("q{i}_{k}"), v.clone());
        }
    }
    f.insert("q_count".into(), kept.len().min(50).to_string());
}

/// A question's choices come one per field (`choice0`, `choice1`, …, so
/// "+ Add choice" is one more field); they are kept as the lines of
/// `choices`, which is what the form parses and shows again.
fn fold_choices(row: &mut Fields) {
    let mut numbered: Vec<(usize, String)> = row
        .iter()
        .filter_map(|(k, v)| {
            let j = k.strip_prefix("choice")?.parse().ok()?;
            Some((j, v.trim().to_string()))
        })
        .collect();
    if numbered.is_empty() {
        return;
    }
    numbered.sort();
    row.retain(|k, _| !(k.starts_with("choice") && k != "choices"));
    let lines: Vec<String> = numbered
        .into_iter()
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
        .collect();
    row.insert("choices".into(), lines.join("\n"));
}

/// The lines of a question's choices, each shown as its own field, and one
/// blank field for the next.
pub fn choice_lines(f: &Fields, i: usize) -> Vec<String> {
    let mut lines: Vec<String> = get(f, &format!("q{i}_choices"))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    lines.push(String::new());
    lines
}

/// One more blank question row on the form (after `compact_questions`).
pub fn add_question_row(f: &mut Fields) {
    let n: usize = get(f, "q_count").parse().unwrap_or(0);
    f.insert("q_count".into(), (n + 1).min(50).to_string());
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Each address and name a field lists, for `slot`: emails split on line
/// breaks, commas or semicolons, names one per line.
fn named(f: &Fields, slot: Slot, users: &str, groups: &str, out: &mut Vec<(Slot, Name)>) {
    out.extend(lines(get(f, users)).map(|e| (slot, Name::User(e.to_string()))));
    out.extend(
        get(f, groups)
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|g| (slot, Name::Group(g.to_string()))),
    );
}

fn number(f: &Fields, k: &str, what: &str, field: &str, e: &mut FieldErrors) -> u32 {
    let raw = get(f, k).trim();
    match raw.parse::<u32>() {
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
pub fn draft(f: &Fields, tz: Tz) -> PolicyDraft {
    let mut e = FieldErrors::new();
    let mut names = Vec::new();
    let scope = AllowedTargetScope::parse(get(f, "scope")).unwrap_or_else(|| {
        e.add("allowed_target_scope", "Choose who can request.");
        AllowedTargetScope::NotSpecified
    });
    match scope {
        AllowedTargetScope::SpecificDirectoryUsers => {
            named(f, Slot::Target, "target_users", "target_groups", &mut names);
        }
        AllowedTargetScope::SpecificConnectedOrganizationUsers => {
            names.extend(
                get(f, "target_orgs")
                    .lines()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|o| (Slot::Target, Name::Organization(o.to_string()))),
            );
        }
        _ => {}
    }

    let approval_required = on(f, "approval_required");
    let mut stages = Vec::new();
    if approval_required || on(f, "approval_update_required") {
        let count: usize = get(f, "stage_count").parse().unwrap_or(0);
        if !(1..=MAX_STAGES).contains(&count) {
            e.add(
                "stages",
                format!("Approval takes 1 to {MAX_STAGES} stages."),
            );
        }
        for n in 1..=count.min(MAX_STAGES) {
            let k = |s: &str| format!("s{n}_{s}");
            let mut primary = Vec::new();
            if on(f, &k("manager")) {
                primary.push(Approver::RequestorManager);
            }
            if on(f, &k("internal")) {
                primary.push(Approver::InternalSponsors);
            }
            if on(f, &k("external")) {
                primary.push(Approver::ExternalSponsors);
            }
            let stage = n - 1;
            named(
                f,
                Slot::Primary(stage),
                &k("users"),
                &k("groups"),
                &mut names,
            );
            named(
                f,
                Slot::Fallback(stage),
                &k("fallback_users"),
                &k("fallback_groups"),
                &mut names,
            );
            let escalation = on(f, &k("escalation"));
            let mut alternates = Vec::new();
            if escalation {
                if on(f, &k("alt_manager")) {
                    alternates.push(Approver::SecondLevelManager);
                }
                named(
                    f,
                    Slot::Escalation(stage),
                    &k("alt_users"),
                    &k("alt_groups"),
                    &mut names,
                );
                named(
                    f,
                    Slot::EscalationFallback(stage),
                    &k("alt_fallback_users"),
                    &k("alt_fallback_groups"),
                    &mut names,
                );
            }
            stages.push(ApprovalStage {
                duration_before_automatic_denial_days: number(
                    f,
                    &k("days"),
                    "Days to decide",
                    &format!("stage{n}.decision_days"),
                    &mut e,
                ),
                is_approver_justification_required: on(f, &k("justification")),
                primary_approvers: primary,
                fallback_primary_approvers: vec![],
                is_escalation_enabled: escalation,
                duration_before_escalation_days: if escalation {
                    number(
                        f,
                        &k("escalation_days"),
                        "Days before forwarding",
                        &format!("stage{n}.escalation_days"),
                        &mut e,
                    )
                } else {
                    0
                },
                escalation_approvers: alternates,
                fallback_escalation_approvers: vec![],
            });
        }
    }

    let q_count: usize = get(f, "q_count").parse().unwrap_or(0).min(50);
    let mut questions = Vec::new();
    for i in 0..q_count {
        let k = |s: &str| format!("q{i}_{s}");
        if on(f, &k("remove"))
            || get(f, &k("text")).trim().is_empty() && get(f, &k("choices")).trim().is_empty()
        {
            continue;
        }
        let n = questions.len() + 1;
        let localizations = match parse_localizations(get(f, &k("localizations"))) {
            Ok(l) => l,
            Err(m) => {
                e.add(&format!("question{n}.text"), m);
                vec![]
            }
        };
        let kind = match get(f, &k("kind")) {
            "choice" => QuestionKind::MultipleChoice {
                choices: match parse_choices(get(f, &k("choices"))) {
                    Ok(c) => c,
                    Err(m) => {
                        e.add(&format!("question{n}.choices"), m);
                        vec![]
                    }
                },
                is_multiple_selection_allowed: on(f, &k("multi")),
            },
            kind => QuestionKind::Text {
                is_single_line: kind != "long",
                regex_pattern: Some(get(f, &k("regex")).trim().to_string())
                    .filter(|r| !r.is_empty()),
            },
        };
        let order = get(f, &k("order")).trim();
        questions.push(Question {
            sequence: if order.is_empty() {
                n as u32
            } else {
                number(
                    f,
                    &k("order"),
                    "The order",
                    &format!("question{n}.sequence"),
                    &mut e,
                )
            },
            text: get(f, &k("text")).trim().to_string(),
            localizations,
            is_required: on(f, &k("required")),
            is_answer_editable: on(f, &k("editable")),
            kind,
        });
    }

    let kept = DateTime::parse_from_rfc3339(get(f, "expiration_kept"))
        .ok()
        .map(|t| t.with_timezone(&Utc));
    let expiration = match get(f, "expiration_type") {
        "never" => Expiration::NoExpiration,
        "date" => match NaiveDate::parse_from_str(get(f, "expiration_date").trim(), "%Y-%m-%d") {
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
            f,
            "expiration_hours",
            "The number of hours",
            "expiration",
            &mut e,
        )),
        "days" => Expiration::AfterDays(number(
            f,
            "expiration_days",
            "The number of days",
            "expiration",
            &mut e,
        )),
        _ => {
            e.add("expiration", "Choose when access expires.");
            Expiration::NoExpiration
        }
    };

    let policy = Policy {
        display_name: get(f, "policy_name").trim().to_string(),
        description: Some(get(f, "policy_description").trim().to_string())
            .filter(|d| !d.is_empty()),
        enabled: on(f, "enabled"),
        allowed_target_scope: scope,
        specific_allowed_targets: vec![],
        requestor: RequestorSettings {
            enable_targets_to_self_add_access: on(f, "enable_requests"),
            enable_targets_to_self_update_access: on(f, "allow_extension"),
            enable_targets_to_self_remove_access: on(f, "enable_requests"),
            allow_custom_assignment_schedule: on(f, "custom_schedule"),
            enable_on_behalf_requestors_to_add_access: on(f, "on_behalf"),
        },
        approval: ApprovalSettings {
            show_approvers: match get(f, "show_approvers") {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            is_approval_required_for_add: approval_required,
            is_approval_required_for_update: on(f, "approval_update_required"),
            is_requestor_justification_required: on(f, "requestor_justification"),
            stages,
        },
        questions,
        expiration,
        // Off only when asked: a form without the switch mails as before.
        assignment_notifications: !on(f, "notifications_off"),
        automatic: None,
    };
    let review = f.contains_key("rv_posted").then(|| {
        review_input(f).parse().unwrap_or_else(|errors| {
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

/// The Lifecycle step's access review fields.
fn review_input(f: &Fields) -> ReviewInput {
    ReviewInput {
        enabled: on(f, "rv_enabled"),
        start: get(f, "rv_start").into(),
        recurrence: get(f, "rv_recurrence").into(),
        duration: get(f, "rv_duration").into(),
        reviewers: get(f, "rv_reviewers").into(),
        users: get(f, "rv_users").into(),
        groups: get(f, "rv_groups").into(),
        sponsors: on(f, "rv_sponsors"),
        fallback_users: get(f, "rv_fallback_users").into(),
        fallback_groups: get(f, "rv_fallback_groups").into(),
        no_response: get(f, "rv_no_response").into(),
        justification: on(f, "rv_justification"),
        recommendations: on(f, "rv_recommendations"),
        auto_apply: on(f, "rv_auto_apply"),
    }
}

/// Shows a policy's stored review settings in the form (names from ids).
pub fn set_review(
    f: &mut Fields,
    s: &ReviewSettings,
    emails: &std::collections::HashMap<String, String>,
    groups: &std::collections::HashMap<String, String>,
) {
    let names = |ids: &[String], by: &std::collections::HashMap<String, String>| {
        ids.iter()
            .filter_map(|i| by.get(i).cloned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let on = |b: bool| if b { "on" } else { "" }.to_string();
    for (k, v) in [
        ("rv_enabled", "on".to_string()),
        ("rv_start", s.start.format("%Y-%m-%d").to_string()),
        ("rv_recurrence", s.recurrence.as_str().to_string()),
        ("rv_duration", s.duration_days.to_string()),
        ("rv_reviewers", s.reviewers.as_str().to_string()),
        ("rv_users", names(&s.users, emails)),
        ("rv_groups", names(&s.groups, groups)),
        ("rv_sponsors", on(s.sponsors)),
        ("rv_fallback_users", names(&s.fallback_users, emails)),
        ("rv_fallback_groups", names(&s.fallback_groups, groups)),
        ("rv_no_response", s.no_response.as_str().to_string()),
        ("rv_justification", on(s.justification_required)),
        ("rv_recommendations", on(s.show_recommendations)),
        ("rv_auto_apply", on(s.apply_automatically)),
    ] {
        f.insert(k.to_string(), v);
    }
}

/// The custom extension chosen for each stage (`ext_{stage}`, an id; empty
/// for none).
fn extensions(f: &Fields) -> Vec<(Stage, String)> {
    Stage::every()
        .map(|s| (s, get(f, &format!("ext_{}", s.as_str())).trim().to_string()))
        .filter(|(_, id)| !id.is_empty())
        .collect()
}

/// Shows the policy's chosen extensions in the form.
pub fn set_extensions(f: &mut Fields, chosen: &[(Stage, String)]) {
    for (stage, id) in chosen {
        f.insert(format!("ext_{}", stage.as_str()), id.clone());
    }
}

/// The form fields that show a stored policy.
/// The form for a stored policy; a fixed last day as the administrator's
/// (`tz`) day.
pub fn fields_of(p: &Policy, names: &Names, tz: Tz) -> Fields {
    let mut f = Fields::new();
    let mut set = |k: &str, v: String| {
        f.insert(k.to_string(), v);
    };
    set("policy_name", p.display_name.clone());
    set(
        "policy_description",
        p.description.clone().unwrap_or_default(),
    );
    set("scope", p.allowed_target_scope.as_str().into());
    let shown = match p.approval.show_approvers {
        Some(true) => "yes",
        Some(false) => "no",
        None => "default",
    };
    set("show_approvers", shown.into());
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
    let mut f2 = Fields::new();
    f2.insert("target_users".into(), tu.join("\n"));
    f2.insert("target_groups".into(), tg.join("\n"));
    f2.insert("target_orgs".into(), to.join("\n"));
    let a = &p.approval;
    f2.insert("stage_count".into(), a.stages.len().max(1).to_string());
    for (i, s) in a.stages.iter().enumerate() {
        let n = i + 1;
        let k = |x: &str| format!("s{n}_{x}");
        for (list, uk, gk) in [
            (&s.primary_approvers, k("users"), k("groups")),
            (
                &s.fallback_primary_approvers,
                k("fallback_users"),
                k("fallback_groups"),
            ),
            (&s.escalation_approvers, k("alt_users"), k("alt_groups")),
            (
                &s.fallback_escalation_approvers,
                k("alt_fallback_users"),
                k("alt_fallback_groups"),
            ),
        ] {
            let (mut us, mut gs) = (Vec::new(), Vec::new());
            for ap in list {
                match ap {
                    Approver::SingleUser(u) => us.extend(names.users.get(u).cloned()),
                    Approver::GroupMembers(g) => gs.extend(names.groups.get(g).cloned()),
                    Approver::RequestorManager => {
                        f2.insert(k("manager"), "on".into());
                    }
                    Approver::SecondLevelManager => {
                        f2.insert(k("alt_manager"), "on".into());
                    }
                    Approver::InternalSponsors => {
                        f2.insert(k("internal"), "on".into());
                    }
                    Approver::ExternalSponsors => {
                        f2.insert(k("external"), "on".into());
                    }
                }
            }
            f2.insert(uk, us.join("\n"));
            f2.insert(gk, gs.join("\n"));
        }
        f2.insert(
            k("days"),
            s.duration_before_automatic_denial_days.to_string(),
        );
        if s.is_approver_justification_required {
            f2.insert(k("justification"), "on".into());
        }
        if s.is_escalation_enabled {
            f2.insert(k("escalation"), "on".into());
            f2.insert(
                k("escalation_days"),
                s.duration_before_escalation_days.to_string(),
            );
        }
    }
    for (n, q) in p.questions.iter().enumerate() {
        let k = |x: &str| format!("q{n}_{x}");
        f2.insert(k("text"), q.text.clone());
        f2.insert(k("order"), q.sequence.to_string());
        f2.insert(k("localizations"), format_localizations(&q.localizations));
        if q.is_required {
            f2.insert(k("required"), "on".into());
        }
        if q.is_answer_editable {
            f2.insert(k("editable"), "on".into());
        }
        match &q.kind {
            QuestionKind::Text {
                is_single_line,
                regex_pattern,
            } => {
                f2.insert(
                    k("kind"),
                    if *is_single_line { "short" } else { "long" }.into(),
                );
                f2.insert(k("regex"), regex_pattern.clone().unwrap_or_default());
            }
            QuestionKind::MultipleChoice {
                choices,
                is_multiple_selection_allowed,
            } => {
                f2.insert(k("kind"), "choice".into());
                f2.insert(
                    k("choices"),
                    choices
                        .iter()
                        .map(format_choice)
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                if *is_multiple_selection_allowed {
                    f2.insert(k("multi"), "on".into());
                }
            }
        }
    }
    f2.insert("q_count".into(), p.questions.len().to_string());
    match &p.expiration {
        Expiration::NoExpiration => {
            f2.insert("expiration_type".into(), "never".into());
        }
        Expiration::AfterDateTime(t) => {
            f2.insert("expiration_type".into(), "date".into());
            let day = t.with_timezone(&tz).format("%Y-%m-%d");
            f2.insert("expiration_date".into(), day.to_string());
            f2.insert("expiration_kept".into(), t.to_rfc3339());
        }
        Expiration::AfterDays(d) => {
            f2.insert("expiration_type".into(), "days".into());
            f2.insert("expiration_days".into(), d.to_string());
        }
        Expiration::AfterHours(h) => {
            f2.insert("expiration_type".into(), "hours".into());
            f2.insert("expiration_hours".into(), h.to_string());
        }
    }
    for (flag, key) in [
        (p.enabled, "enabled"),
        (a.is_approval_required_for_add, "approval_required"),
        (
            a.is_approval_required_for_update,
            "approval_update_required",
        ),
        (
            a.is_requestor_justification_required,
            "requestor_justification",
        ),
        (
            p.requestor.enable_targets_to_self_add_access,
            "enable_requests",
        ),
        (
            p.requestor.enable_targets_to_self_update_access,
            "allow_extension",
        ),
        (
            p.requestor.allow_custom_assignment_schedule,
            "custom_schedule",
        ),
        (
            p.requestor.enable_on_behalf_requestors_to_add_access,
            "on_behalf",
        ),
        (!p.assignment_notifications, "notifications_off"),
    ] {
        if flag {
            f2.insert(key.into(), "on".into());
        }
    }
    f.extend(f2);
    f
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

/// A policy form as posted on the policy page: the fields, the CSRF token
/// left out and the question rows renumbered, and whether "+ Add question" or
/// "+ Add choice" was pressed (without the page script: the form comes back
/// with one more blank row, nothing saved).
#[derive(serde::Deserialize)]
#[serde(from = "HashMap<String, String>")]
pub struct PostedPolicy {
    pub fields: Fields,
    pub add: bool,
}

impl From<HashMap<String, String>> for PostedPolicy {
    fn from(posted: HashMap<String, String>) -> PostedPolicy {
        let add = posted.contains_key("add");
        let question = posted.get("add").is_some_and(|v| v == "question");
        let mut fields: Fields = posted
            .into_iter()
            .filter(|(k, _)| k != crate::web::extract::csrf::FIELD && k != "add")
            .collect();
        compact_questions(&mut fields);
        if question {
            add_question_row(&mut fields);
        }
        PostedPolicy { fields, add }
    }
}

/// Gives a page struct the accessors its policy-form templates use.
macro_rules! form_accessors {
    ($t:ty) => {
        // Each page uses the accessors its templates need.
        #[allow(dead_code)]
        impl $t {
            fn v(&self, k: &str) -> &str {
                super::policy_form::get(&self.f, k)
            }
            fn on(&self, k: &str) -> bool {
                super::policy_form::on(&self.f, k)
            }
            fn err(&self, k: &str) -> Option<&str> {
                self.errors.get(k)
            }
            fn has_err(&self, k: &str) -> bool {
                self.errors.get(k).is_some()
            }
            /// The filled rows (compacted by the handler) and one blank row.
            fn question_rows(&self) -> Vec<usize> {
                let n: usize = self.v("q_count").parse().unwrap_or(0);
                (0..=n.min(50)).collect()
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
            fn choice_lines(&self, i: &usize) -> Vec<String> {
                super::policy_form::choice_lines(&self.f, *i)
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
        }
    };
}
pub(crate) use form_accessors;

#[cfg(test)]
mod choice_tests {
    use super::*;

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
