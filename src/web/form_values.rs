//! The fields of a form whose names repeat (a request's or an assignment's:
//! several ticked answers to one question), kept to show the form again.

use std::collections::HashMap;

use chrono_tz::Tz;

use crate::domain::request::{PeriodInput, attribute_field};

/// Each field's values, in the order sent. A handler takes it as its typed
/// form (`Form<FormValues>`): the fields a policy's questions name are known
/// only once the policy is, so they are read by name (`answers`,
/// `attributes`, `period`).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct FormValues(HashMap<String, Vec<String>>);

/// The fields as posted, the CSRF token left out.
impl From<Vec<(String, String)>> for FormValues {
    fn from(pairs: Vec<(String, String)>) -> FormValues {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            if k != crate::web::extract::csrf::FIELD {
                values.entry(k).or_default().push(v);
            }
        }
        FormValues(values)
    }
}

impl FormValues {
    /// The field's (first) value, or empty when it was not sent.
    pub fn value(&self, k: &str) -> String {
        self.sent(k).map(str::to_string).unwrap_or_default()
    }

    /// The field's (first) value, when it was sent.
    pub fn sent(&self, k: &str) -> Option<&str> {
        self.0.get(k).and_then(|v| v.first()).map(String::as_str)
    }

    /// The asked-for period: `start`, `end` and the time zone `tz` the form
    /// was filled in, which the page writes into it: the viewer's (their
    /// profile's, else their browser's as the page script reported it, else
    /// UTC, as the form's legend says). A form without a known zone is read
    /// in `viewer`'s.
    pub fn period(&self, viewer: Tz) -> PeriodInput<'_> {
        PeriodInput {
            start: self.sent("start").unwrap_or_default(),
            end: self.sent("end").unwrap_or_default(),
            tz: self.zone(viewer),
        }
    }

    /// The zone a period form's dates are in: the one it was sent with, or
    /// `viewer`'s (the form's `tz` field, shown again).
    pub fn zone(&self, viewer: Tz) -> Tz {
        let sent = self.sent("tz").unwrap_or_default().trim();
        sent.parse().unwrap_or(viewer)
    }

    /// Whether `v` is among the field's values (a ticked choice).
    pub fn picked(&self, k: &str, v: &str) -> bool {
        self.0.get(k).is_some_and(|x| x.iter().any(|s| s == v))
    }

    /// The answers to a policy's questions (`q{sequence}`), every value of each.
    pub fn answers(&self) -> HashMap<String, Vec<String>> {
        self.0
            .iter()
            .filter(|(k, _)| is_answer(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The same fields without the answers to questions (`q…`): another
    /// policy asks its own questions under the same names.
    pub fn without_answers(mut self) -> FormValues {
        self.0.retain(|k, _| !is_answer(k));
        self
    }

    /// The required attributes' values (`attr_…`), the first of each.
    pub fn attributes(&self) -> HashMap<String, String> {
        self.0
            .iter()
            .filter(|(k, _)| k.starts_with(&attribute_field("")))
            .filter_map(|(k, v)| v.first().map(|x| (k.clone(), x.clone())))
            .collect()
    }

    /// Whether nothing was sent (a fresh form).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Puts in a field's values (an earlier answer shown again).
    pub fn set(&mut self, k: String, values: Vec<String>) {
        self.0.insert(k, values);
    }
}

/// Whether a field is an answer to a question: `q` and its number (the
/// domain's `answer_field`).
fn is_answer(k: &str) -> bool {
    k.strip_prefix('q')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
