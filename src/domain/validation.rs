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
    if has_refused_control(v) {
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

/// Whether text holds a control character other than a line break or a
/// tab: what no text field takes (a NUL, which PostgreSQL refuses).
pub fn has_refused_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !is_line_break_or_tab(c))
}

/// A day typed as `YYYY-MM-DD`, in the years 1 to 9999. chrono alone also
/// reads `+262142-12-31`, a day so far out that adding to it overflows.
pub fn calendar_day(text: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    let text = text.trim();
    // Four digits, a dash: no sign, no longer year.
    if !text
        .as_bytes()
        .get(..5)
        .is_some_and(|y| y[..4].iter().all(u8::is_ascii_digit) && y[4] == b'-')
    {
        return None;
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| (1..=9999).contains(&d.year()))
}

/// A count as people read it in English: 1,000, 25,000.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_grouped_by_thousands() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (25_000, "25,000"),
            (1_234_567, "1,234,567"),
        ];
        for (n, text) in cases {
            assert_eq!(super::thousands(n), text);
        }
    }

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

    #[test]
    fn a_calendar_day_has_a_four_digit_year() {
        assert_eq!(
            calendar_day(" 2027-01-31 "),
            chrono::NaiveDate::from_ymd_opt(2027, 1, 31)
        );
        for bad in [
            "+262142-12-31",
            "262142-12-31",
            "0000-01-01",
            "27-01-31",
            "2027-02-30",
            "",
            "2027",
        ] {
            assert_eq!(calendar_day(bad), None, "{bad}");
        }
    }
}
