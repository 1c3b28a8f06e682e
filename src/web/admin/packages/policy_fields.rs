//! The policy form as typed: one struct per part of the form (the wizard's
//! steps and the policy page's tabs), one per approval stage and one per
//! question, read by name from the fields a browser sends. The wizard keeps
//! the parts typed so far as its draft (JSON); each step replaces its own.
//!
//! Field names: `policy_name`, `policy_description`, `enabled` (Basics);
//! `scope`, `target_users`, `target_groups`, `target_orgs`,
//! `approval_required`, `requestor_justification`, `show_approvers`
//! (default|yes|no), `stage_count`, and per stage `s{n}_manager|internal|
//! external|users|groups|fallback_users|fallback_groups|justification|days|
//! escalation|escalation_days|alt_manager|alt_users|alt_groups|
//! alt_fallback_users|alt_fallback_groups` and the extension that approves
//! it, `ext_assignmentRequestApprovalStage{n}`; `enable_requests`,
//! `on_behalf` (Requests); `q_count` and per question `q{i}_text|kind|regex|
//! choices|choice{j}|multi|required|editable|order|lang{j}|loc{j}|remove` (a
//! translation is a language `lang{j}` and its text `loc{j}`)
//! (Requestor information); `expiration_type` (never|date|days|hours),
//! `expiration_date`, `expiration_days`, `expiration_hours`,
//! `expiration_kept` (the stored last moment the date shows),
//! `custom_schedule`, `allow_extension`, `approval_update_required`,
//! `notifications_off` and the access review's `rv_*` with `rv_posted`
//! (Lifecycle); `ext_{stage}` (Custom extensions). A box is ticked when its field is
//! sent at all.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::catalog::MAX_TRANSLATIONS;
use crate::domain::custom_extension::Stage;
use crate::domain::policy::MAX_STAGES;
use crate::domain::review::ReviewInput;
use crate::web::extract::numbered::numbers;

/// The most question rows a form keeps.
pub const MAX_QUESTIONS: usize = 50;

/// The fields a browser sent, by name.
pub struct Posted<'a>(pub &'a HashMap<String, String>);

impl Posted<'_> {
    pub fn text(&self, k: &str) -> String {
        self.0.get(k).cloned().unwrap_or_default()
    }

    pub fn on(&self, k: &str) -> bool {
        self.0.contains_key(k)
    }
}

/// A whole policy form.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyForm {
    pub basics: BasicsFields,
    pub requests: RequestsFields,
    pub requestor: RequestorFields,
    pub lifecycle: LifecycleFields,
    pub extensions: ExtensionFields,
}

/// The policy's name, description and whether it is enabled.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BasicsFields {
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

/// Who can request, approval and its stages, and whether requests are on.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestsFields {
    pub scope: String,
    pub target_users: String,
    pub target_groups: String,
    pub target_orgs: String,
    pub approval_required: bool,
    pub requestor_justification: bool,
    pub show_approvers: String,
    pub stage_count: String,
    /// Stage 1, 2, … (`PolicyForm::stage`): the form shows `MAX_STAGES`
    /// of them, and `stage_count` says how many count.
    pub stages: Vec<StageFields>,
    pub enable_requests: bool,
    pub on_behalf: bool,
}

/// One approval stage.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StageFields {
    pub manager: bool,
    pub internal: bool,
    pub external: bool,
    pub users: String,
    pub groups: String,
    pub fallback_users: String,
    pub fallback_groups: String,
    pub justification: bool,
    pub days: String,
    pub escalation: bool,
    pub escalation_days: String,
    pub alt_manager: bool,
    pub alt_users: String,
    pub alt_groups: String,
    pub alt_fallback_users: String,
    pub alt_fallback_groups: String,
    /// The custom extension that approves or denies the stage (an id).
    pub extension: String,
}

/// The questions asked of requestors: the filled rows, in order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestorFields {
    pub questions: Vec<QuestionFields>,
}

/// One question.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QuestionFields {
    pub text: String,
    /// short, long or choice.
    pub kind: String,
    pub regex: String,
    /// The choices, one per line (`value: text | fr: texte`).
    pub choices: String,
    pub multi: bool,
    pub required: bool,
    pub editable: bool,
    pub order: String,
    /// The question in other languages, in order.
    pub translations: Vec<TranslationFields>,
}

/// A question's text in another language.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TranslationFields {
    /// A language code (`fr-FR`).
    pub language: String,
    pub text: String,
}

/// When access ends, extension, mails and access reviews.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LifecycleFields {
    /// never, date, days or hours.
    pub expiration_type: String,
    pub expiration_date: String,
    pub expiration_days: String,
    pub expiration_hours: String,
    /// The stored last moment (RFC 3339) while the date shows it.
    pub expiration_kept: String,
    pub custom_schedule: bool,
    pub allow_extension: bool,
    pub approval_update_required: bool,
    pub notifications_off: bool,
    /// Whether the form had the access review fields (a form without them
    /// leaves the policy's reviews as they are).
    pub review_posted: bool,
    pub review: ReviewInput,
}

/// The custom extension chosen for each stage but approval's (by the
/// stage's name; an id).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ExtensionFields {
    pub chosen: BTreeMap<String, String>,
}

impl PolicyForm {
    /// A new policy's form: the walkthrough's defaults, and a first access
    /// review on `today` (in the organization's time zone) should reviews
    /// be turned on.
    pub fn defaults(name: &str, today: NaiveDate) -> PolicyForm {
        let stage = StageFields::unused();
        PolicyForm {
            basics: BasicsFields {
                name: name.into(),
                description: String::new(),
                enabled: true,
            },
            requests: RequestsFields {
                scope: "allMemberUsers".into(),
                approval_required: true,
                stage_count: "1".into(),
                stages: vec![stage; MAX_STAGES],
                enable_requests: true,
                ..RequestsFields::default()
            },
            requestor: RequestorFields::default(),
            lifecycle: LifecycleFields {
                expiration_type: "days".into(),
                expiration_days: "365".into(),
                review: review_defaults(today),
                ..LifecycleFields::default()
            },
            extensions: ExtensionFields::default(),
        }
    }

    /// Every part of the form, as posted.
    pub fn read(p: &Posted) -> PolicyForm {
        PolicyForm {
            basics: BasicsFields::read(p),
            requests: RequestsFields::read(p),
            requestor: RequestorFields::read(p),
            lifecycle: LifecycleFields::read(p),
            extensions: ExtensionFields::read(p),
        }
    }

    /// The stage `n` (from 1), blank past those the form has (a draft
    /// may carry fewer).
    pub fn stage(&self, n: usize) -> &StageFields {
        static BLANK: LazyLock<StageFields> = LazyLock::new(StageFields::default);
        let at = n.checked_sub(1).and_then(|i| self.requests.stages.get(i));
        at.unwrap_or(&BLANK)
    }
}

/// The access review a policy without reviews starts from: the first
/// review today (`today`, in the organization's time zone, whose days
/// reviews count), as Entra's, not yet required.
pub fn review_defaults(today: NaiveDate) -> ReviewInput {
    ReviewInput {
        enabled: false,
        start: today.format("%Y-%m-%d").to_string(),
        recurrence: "quarterly".into(),
        duration: "14".into(),
        reviewers: "manager".into(),
        no_response: "keepAccess".into(),
        recommendations: true,
        auto_apply: true,
        ..ReviewInput::default()
    }
}

impl BasicsFields {
    pub fn read(p: &Posted) -> BasicsFields {
        BasicsFields {
            name: p.text("policy_name"),
            description: p.text("policy_description"),
            enabled: p.on("enabled"),
        }
    }
}

impl RequestsFields {
    pub fn read(p: &Posted) -> RequestsFields {
        RequestsFields {
            scope: p.text("scope"),
            target_users: p.text("target_users"),
            target_groups: p.text("target_groups"),
            target_orgs: p.text("target_orgs"),
            approval_required: p.on("approval_required"),
            requestor_justification: p.on("requestor_justification"),
            show_approvers: p.text("show_approvers"),
            stage_count: p.text("stage_count"),
            stages: (1..=MAX_STAGES).map(|n| StageFields::read(p, n)).collect(),
            enable_requests: p.on("enable_requests"),
            on_behalf: p.on("on_behalf"),
        }
    }
}

impl StageFields {
    /// A stage not set yet: decided within 14 days, as a new policy's.
    pub fn unused() -> StageFields {
        StageFields {
            days: "14".into(),
            ..StageFields::default()
        }
    }

    /// The fields of stage `n` (from 1).
    fn read(p: &Posted, n: usize) -> StageFields {
        let text = |k: &str| p.text(&format!("s{n}_{k}"));
        let on = |k: &str| p.on(&format!("s{n}_{k}"));
        let extension = Stage::APPROVAL.get(n - 1).map(|s| s.as_str());
        StageFields {
            manager: on("manager"),
            internal: on("internal"),
            external: on("external"),
            users: text("users"),
            groups: text("groups"),
            fallback_users: text("fallback_users"),
            fallback_groups: text("fallback_groups"),
            justification: on("justification"),
            days: text("days"),
            escalation: on("escalation"),
            escalation_days: text("escalation_days"),
            alt_manager: on("alt_manager"),
            alt_users: text("alt_users"),
            alt_groups: text("alt_groups"),
            alt_fallback_users: text("alt_fallback_users"),
            alt_fallback_groups: text("alt_fallback_groups"),
            extension: extension
                .map(|s| p.text(&format!("ext_{s}")))
                .unwrap_or_default(),
        }
    }
}

impl RequestorFields {
    /// The filled rows not marked for removal, in the order sent: the form
    /// then shows them in order plus a blank row, and errors name the row
    /// they belong to.
    pub fn read(p: &Posted) -> RequestorFields {
        let count: usize = p.text("q_count").trim().parse().unwrap_or(0);
        let questions = (0..count.min(MAX_QUESTIONS + 10))
            .filter_map(|i| QuestionFields::read(p, i))
            .take(MAX_QUESTIONS)
            .collect();
        RequestorFields { questions }
    }

    /// The rows the form shows: the questions (as many as a form keeps,
    /// whatever a draft carries) and one blank row.
    pub fn rows(&self) -> Vec<&QuestionFields> {
        static BLANK: LazyLock<QuestionFields> = LazyLock::new(QuestionFields::default);
        let kept = self.questions.iter().take(MAX_QUESTIONS);
        kept.chain(std::iter::once(&*BLANK)).collect()
    }

    /// One more blank row ("+ Add question" without the page script).
    pub fn add_row(&mut self) {
        if self.questions.len() < MAX_QUESTIONS {
            self.questions.push(QuestionFields::default());
        }
    }
}

impl QuestionFields {
    /// Row `i`, unless it is blank or marked for removal: its choices come
    /// one per field (`q{i}_choice0`, …, so "+ Add choice" is one more
    /// field) and are kept as the lines of `choices`.
    fn read(p: &Posted, i: usize) -> Option<QuestionFields> {
        let k = |s: &str| format!("q{i}_{s}");
        let prefix = k("choice");
        let mut numbered: Vec<(usize, &str)> =
            p.0.iter()
                .filter_map(|(name, v)| {
                    let j = name.strip_prefix(&prefix)?.parse().ok()?;
                    Some((j, v.trim()))
                })
                .collect();
        numbered.sort();
        let choices = if numbered.is_empty() {
            p.text(&k("choices"))
        } else {
            let lines: Vec<&str> = numbered
                .into_iter()
                .map(|(_, v)| v)
                .filter(|v| !v.is_empty())
                .collect();
            lines.join("\n")
        };
        let row = QuestionFields {
            text: p.text(&k("text")),
            kind: p.text(&k("kind")),
            regex: p.text(&k("regex")),
            choices,
            multi: p.on(&k("multi")),
            required: p.on(&k("required")),
            editable: p.on(&k("editable")),
            order: p.text(&k("order")),
            translations: TranslationFields::read(p, i),
        };
        (!row.is_blank() && !p.on(&k("remove"))).then_some(row)
    }

    /// The translations, and one blank row for the next.
    pub fn translation_rows(&self) -> Vec<&TranslationFields> {
        static BLANK: LazyLock<TranslationFields> = LazyLock::new(TranslationFields::default);
        let given = self.translations.iter();
        given.chain(std::iter::once(&*BLANK)).collect()
    }

    /// A row left empty (no text, choices or translations).
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
            && self.choices.trim().is_empty()
            && self.translations.is_empty()
    }

    /// The choices, each shown as its own field, and one blank field for
    /// the next.
    pub fn choice_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .choices
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        lines.push(String::new());
        lines
    }
}

impl TranslationFields {
    /// Question `i`'s translations (`q{i}_lang{j}` and `q{i}_loc{j}`), in
    /// order, those left blank out.
    fn read(p: &Posted, i: usize) -> Vec<TranslationFields> {
        let (lang, loc) = (format!("q{i}_lang"), format!("q{i}_loc"));
        numbers(p.0, &[&lang, &loc], "")
            .into_iter()
            .map(|j| TranslationFields {
                language: p.text(&format!("{lang}{j}")).trim().to_string(),
                text: p.text(&format!("{loc}{j}")),
            })
            .filter(|t| !t.language.is_empty() || !t.text.trim().is_empty())
            // One more than a question keeps, for the check to refuse.
            .take(MAX_TRANSLATIONS + 1)
            .collect()
    }
}

impl LifecycleFields {
    pub fn read(p: &Posted) -> LifecycleFields {
        LifecycleFields {
            expiration_type: p.text("expiration_type"),
            expiration_date: p.text("expiration_date"),
            expiration_days: p.text("expiration_days"),
            expiration_hours: p.text("expiration_hours"),
            expiration_kept: p.text("expiration_kept"),
            custom_schedule: p.on("custom_schedule"),
            allow_extension: p.on("allow_extension"),
            approval_update_required: p.on("approval_update_required"),
            notifications_off: p.on("notifications_off"),
            review_posted: p.on("rv_posted"),
            review: ReviewInput {
                enabled: p.on("rv_enabled"),
                start: p.text("rv_start"),
                recurrence: p.text("rv_recurrence"),
                duration: p.text("rv_duration"),
                reviewers: p.text("rv_reviewers"),
                users: p.text("rv_users"),
                groups: p.text("rv_groups"),
                sponsors: p.on("rv_sponsors"),
                fallback_users: p.text("rv_fallback_users"),
                fallback_groups: p.text("rv_fallback_groups"),
                no_response: p.text("rv_no_response"),
                justification: p.on("rv_justification"),
                recommendations: p.on("rv_recommendations"),
                auto_apply: p.on("rv_auto_apply"),
            },
        }
    }
}

impl ExtensionFields {
    pub fn read(p: &Posted) -> ExtensionFields {
        let chosen = Stage::ALL
            .into_iter()
            .map(|s| {
                let id = p.text(&format!("ext_{}", s.as_str()));
                (s.as_str().to_string(), id.trim().to_string())
            })
            .filter(|(_, id)| !id.is_empty())
            .collect();
        ExtensionFields { chosen }
    }

    /// The extension chosen for `stage`, or empty.
    pub fn of(&self, stage: &Stage) -> &str {
        self.chosen.get(stage.as_str()).map_or("", String::as_str)
    }
}
