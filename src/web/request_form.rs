//! The request forms as posted: My Access's request and extension form, and
//! the console's assignment form. Each is a typed form: its own fields are
//! read by name; those a policy names are known only once the policy is, so
//! they are read by their prefix (`PolicyFields`): the answers to its
//! questions (`q{n}`, every value of a multiple choice) and the attributes
//! its package requires (`attr_…`). A form refused is shown again from it.

use std::collections::{HashMap, HashSet};

use chrono_tz::Tz;

use crate::domain::request::{PeriodInput, attribute_field};

/// The fields a request form has beside its own: the period asked for,
/// when the form has one (`start`, `end`, and the zone `tz` they were typed
/// in), the answers to the policy's questions and the required attributes'
/// values (the first of each).
#[derive(Debug, Default, Clone)]
pub struct PolicyFields {
    start: Option<String>,
    end: Option<String>,
    tz: Option<String>,
    answers: HashMap<String, Vec<String>>,
    attributes: HashMap<String, String>,
}

/// Keeps a field's first value (a field sent twice keeps what came first).
fn first(field: &mut Option<String>, v: String) {
    field.get_or_insert(v);
}

impl PolicyFields {
    /// Takes `(k, v)` when it is one of these fields; gives it back when not.
    fn take(&mut self, k: String, v: String) -> Option<(String, String)> {
        match k.as_str() {
            "start" => first(&mut self.start, v),
            "end" => first(&mut self.end, v),
            "tz" => first(&mut self.tz, v),
            _ if is_answer(&k) => self.answers.entry(k).or_default().push(v),
            _ if k.starts_with(&attribute_field("")) => {
                self.attributes.entry(k).or_insert(v);
            }
            _ => return Some((k, v)),
        }
        None
    }

    /// The asked-for period, in the zone the form was filled in, which the
    /// page writes into it: the viewer's (their profile's, else their
    /// browser's as the page script reported it, else UTC, as the form's
    /// legend says). A form without a known zone is read in `viewer`'s.
    pub fn period(&self, viewer: Tz) -> PeriodInput<'_> {
        PeriodInput {
            start: self.start.as_deref().unwrap_or_default(),
            end: self.end.as_deref().unwrap_or_default(),
            tz: self.zone(viewer),
        }
    }

    /// The zone a period form's dates are in: the one it was sent with, or
    /// `viewer`'s (the form's `tz` field, shown again).
    pub fn zone(&self, viewer: Tz) -> Tz {
        let sent = self.tz.as_deref().unwrap_or_default().trim();
        sent.parse().unwrap_or(viewer)
    }

    /// The start as typed, shown again.
    pub fn start(&self) -> &str {
        self.start.as_deref().unwrap_or_default()
    }

    /// The end as typed, shown again.
    pub fn end(&self) -> &str {
        self.end.as_deref().unwrap_or_default()
    }

    /// A question's (first) answer as typed, or empty.
    pub fn answer(&self, key: &str) -> &str {
        let values = self.answers.get(key).and_then(|v| v.first());
        values.map(String::as_str).unwrap_or_default()
    }

    /// Whether `v` is among a question's answers (a ticked choice).
    pub fn picked(&self, key: &str, v: &str) -> bool {
        self.answers
            .get(key)
            .is_some_and(|x| x.iter().any(|s| s == v))
    }

    /// A required attribute's value as typed, when it was sent.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// A required attribute's value as typed, or empty, shown again.
    pub fn attribute_shown(&self, key: &str) -> &str {
        self.attribute(key).unwrap_or_default()
    }

    /// The answers to the policy's questions, every value of each.
    pub fn answers(&self) -> HashMap<String, Vec<String>> {
        self.answers.clone()
    }

    /// The required attributes' values.
    pub fn attributes(&self) -> HashMap<String, String> {
        self.attributes.clone()
    }

    /// Puts in a question's answer (an earlier answer shown again).
    pub fn set_answer(&mut self, key: String, values: Vec<String>) {
        self.answers.insert(key, values);
    }

    /// Without the answers: another policy asks its own questions under
    /// the same names.
    pub fn forget_answers(&mut self) {
        self.answers.clear();
    }
}

/// Whether a field is an answer to a question: `q` and its number (the
/// domain's `answer_field`).
fn is_answer(k: &str) -> bool {
    k.strip_prefix('q')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The pairs as posted, the CSRF token left out.
fn posted(pairs: Vec<(String, String)>) -> impl Iterator<Item = (String, String)> {
    pairs
        .into_iter()
        .filter(|(k, _)| k != crate::web::extract::csrf::FIELD)
}

/// My Access's request form (and the holder's extension form, which sends
/// the justification and the answers only).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct RequestForm {
    /// The policy chosen, as sent.
    pub policy: String,
    /// `for`: the direct report a manager asks for, as sent.
    pub report: String,
    /// `None` when the form had no such field.
    pub justification: Option<String>,
    pub fields: PolicyFields,
    /// Whether anything was sent (a fresh form shows earlier answers).
    pub sent: bool,
}

impl From<Vec<(String, String)>> for RequestForm {
    fn from(pairs: Vec<(String, String)>) -> RequestForm {
        let mut form = RequestForm::default();
        let mut seen = HashSet::new();
        for (k, v) in posted(pairs) {
            form.sent = true;
            let Some((k, v)) = form.fields.take(k, v) else {
                continue;
            };
            let field = match k.as_str() {
                "policy" => &mut form.policy,
                "for" => &mut form.report,
                "justification" => {
                    first(&mut form.justification, v);
                    continue;
                }
                _ => continue,
            };
            if seen.insert(k) {
                *field = v;
            }
        }
        form
    }
}

impl RequestForm {
    /// The justification as typed, shown again.
    pub fn justification(&self) -> &str {
        self.justification.as_deref().unwrap_or_default()
    }
}

/// The console's assignment form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct AssignmentForm {
    /// The policy chosen.
    pub policy: String,
    /// The policy the page showed questions for.
    pub shown_policy: String,
    /// `policy` when "Use this policy" was pressed.
    pub switch: String,
    /// Addresses, one per line (or separated by commas).
    pub users: String,
    /// Group names, one per line.
    pub groups: String,
    pub guest_email: String,
    pub guest_name: String,
    pub justification: String,
    /// "Bypass approval", ticked.
    pub bypass: bool,
    pub fields: PolicyFields,
}

impl From<Vec<(String, String)>> for AssignmentForm {
    fn from(pairs: Vec<(String, String)>) -> AssignmentForm {
        let mut form = AssignmentForm::default();
        let mut seen = HashSet::new();
        for (k, v) in posted(pairs) {
            let Some((k, v)) = form.fields.take(k, v) else {
                continue;
            };
            if !seen.insert(k.clone()) {
                // A field sent twice keeps what came first.
                continue;
            }
            let field = match k.as_str() {
                "policy" => &mut form.policy,
                "shown_policy" => &mut form.shown_policy,
                "switch" => &mut form.switch,
                "users" => &mut form.users,
                "groups" => &mut form.groups,
                "guest_email" => &mut form.guest_email,
                "guest_name" => &mut form.guest_name,
                "justification" => &mut form.justification,
                "bypass" => {
                    form.bypass = v == "on";
                    continue;
                }
                _ => continue,
            };
            *field = v;
        }
        form
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_request_form_reads_its_own_fields_by_name_and_a_policys_by_prefix() {
        let form = RequestForm::from(pairs(&[
            ("csrf_token", "t"),
            ("policy", "p1"),
            ("for", "u1"),
            ("justification", "for the audit"),
            ("start", "2027-01-04"),
            ("tz", "Europe/Paris"),
            ("q1", "a"),
            ("q1", "b"),
            ("q12", "c"),
            ("qx", "not an answer"),
            ("attr_costCenter", "42"),
        ]));
        assert_eq!((form.policy.as_str(), form.report.as_str()), ("p1", "u1"));
        assert_eq!(form.justification(), "for the audit");
        assert!(form.sent);
        let f = &form.fields;
        assert_eq!((f.start(), f.end()), ("2027-01-04", ""));
        assert_eq!(f.zone(Tz::UTC), chrono_tz::Europe::Paris);
        assert!(f.picked("q1", "b") && !f.picked("q1", "c"));
        assert_eq!(f.answer("q12"), "c");
        assert_eq!(f.answers().len(), 2);
        assert_eq!(f.attribute("attr_costCenter"), Some("42"));
    }

    #[test]
    fn a_form_with_only_its_token_was_not_sent_and_names_no_zone() {
        let form = RequestForm::from(pairs(&[("csrf_token", "t")]));
        assert!(!form.sent);
        assert_eq!(form.justification, None);
        assert_eq!(
            form.fields.zone(chrono_tz::Asia::Tokyo),
            chrono_tz::Asia::Tokyo
        );
    }

    #[test]
    fn a_field_sent_twice_keeps_its_first_value_even_when_empty() {
        let form = RequestForm::from(pairs(&[
            ("justification", ""),
            ("justification", "second"),
            ("policy", ""),
            ("policy", "p2"),
            ("start", "2027-01-04"),
            ("start", "2027-02-01"),
            ("tz", "Nowhere/Else"),
            ("attr_dept", "Sales"),
            ("attr_dept", "Finance"),
        ]));
        assert_eq!(form.justification.as_deref(), Some(""));
        assert_eq!(form.policy, "");
        assert_eq!(form.fields.start(), "2027-01-04");
        assert_eq!(form.fields.attribute("attr_dept"), Some("Sales"));
        // A zone that is none is read in the viewer's.
        assert_eq!(
            form.fields.zone(chrono_tz::Asia::Tokyo),
            chrono_tz::Asia::Tokyo
        );
        // An extension form with only an empty reason was sent all the same.
        assert!(RequestForm::from(pairs(&[("justification", "")])).sent);
    }

    #[test]
    fn bypass_is_ticked_only_by_its_first_value_on() {
        let ticked = |p: &[(&str, &str)]| AssignmentForm::from(pairs(p)).bypass;
        assert!(!ticked(&[]));
        assert!(!ticked(&[("bypass", "off")]));
        assert!(!ticked(&[("bypass", ""), ("bypass", "on")]));
        assert!(ticked(&[("bypass", "on"), ("bypass", "off")]));
    }

    #[test]
    fn an_assignment_form_keeps_each_fields_first_value() {
        let form = AssignmentForm::from(pairs(&[
            ("users", "a@example.test\nb@example.test"),
            ("users", "ignored"),
            ("groups", ""),
            ("groups", "ignored too"),
            ("bypass", "on"),
            ("attr_dept.new", "Sales"),
            ("q3", "yes"),
        ]));
        assert_eq!(form.users, "a@example.test\nb@example.test");
        assert_eq!(form.groups, "");
        assert!(form.bypass);
        assert_eq!(form.fields.attribute("attr_dept.new"), Some("Sales"));
        assert_eq!(form.fields.answer("q3"), "yes");
    }
}
