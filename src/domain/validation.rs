//! Field-level validation messages, shown beside the field that caused them.

use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }
    /// Forgets the message of a field (a rule that does not apply after all).
    pub fn remove(&mut self, field: &str) {
        self.0.remove(field);
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(|s| s.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }
    /// Runs a parse, recording its message under `field` on failure.
    pub fn check<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.add(field, m);
                None
            }
        }
    }
    /// Adds another set's messages (keeping the first message of a field).
    pub fn merge(&mut self, other: &FieldErrors) {
        for (k, m) in other.iter() {
            self.add(k, m.clone());
        }
    }
    /// Keeps the messages of a part checked on its own; what it gave back, or
    /// the default when it failed.
    pub fn absorb<T: Default>(&mut self, r: Result<T, FieldErrors>) -> T {
        r.unwrap_or_else(|e| {
            self.merge(&e);
            T::default()
        })
    }
    /// For a check made in steps: an error carrying the messages so far
    /// (leaving this set empty) when there are any, so that `?` stops there.
    pub fn stop_if_any(&mut self) -> Result<(), FieldErrors> {
        std::mem::take(self).into_result()
    }
    /// All messages in one sentence list, for places without a field to point at.
    pub fn messages(&self) -> String {
        self.0.values().cloned().collect::<Vec<_>>().join(" ")
    }
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Trims; empty is an error naming `what`; longer than `max` characters is an error.
pub fn required_text(value: &str, what: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("{what} is required."));
    }
    if v.chars().count() > max {
        return Err(format!("{what} must be at most {max} characters."));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(format!("{what} cannot contain control characters."));
    }
    Ok(v.to_string())
}

/// Trims; empty becomes `None`.
pub fn optional_text(value: &str, what: &str, max: usize) -> Result<Option<String>, String> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        required_text(value, what, max).map(Some)
    }
}

/// Like `optional_text`, but allows line breaks (descriptions).
pub fn optional_long_text(value: &str, what: &str, max: usize) -> Result<Option<String>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > max {
        return Err(format!("{what} must be at most {max} characters."));
    }
    if v.chars()
        .any(|c| c.is_control() && !is_line_break_or_tab(c))
    {
        return Err(format!(
            "{what} cannot contain control characters other than line breaks."
        ));
    }
    Ok(Some(v.replace("\r\n", "\n")))
}

/// The longest name accepted (people, packages, catalogs, policies ...).
pub const MAX_NAME: usize = 256;
/// The longest justification or reason accepted.
pub const MAX_REASON: usize = 4000;

/// A justification or a decision's reason: several lines allowed, at most
/// `MAX_REASON` characters; empty is `None`.
pub fn reason_text(value: Option<&str>, what: &str) -> Result<Option<String>, String> {
    optional_long_text(value.unwrap_or_default(), what, MAX_REASON)
}

/// Characters a multi-line field keeps: everything else that is a control
/// character (NUL among them) is refused.
pub fn is_line_break_or_tab(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_trims_and_refuses_blank() {
        assert_eq!(required_text("  a ", "Name", 5).unwrap(), "a");
        assert_eq!(
            required_text("  ", "Name", 5).unwrap_err(),
            "Name is required."
        );
        assert!(required_text("abcdef", "Name", 5).is_err());
    }
}
