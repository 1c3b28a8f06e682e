//! Audit events: who did what to which object, when. Append-only.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::request::local_to_utc;
use super::validation::FieldErrors;

/// The acting principal: a signed-in user, or the system (jobs, first sign-in).
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Option<String>,
    pub display_name: String,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            display_name: "Gatehouse".into(),
        }
    }
}

/// A change to record, before it is stored.
#[derive(Clone, Debug)]
pub struct NewAuditEvent {
    pub action: String,
    pub object_type: &'static str,
    pub object_id: String,
    pub object_name: String,
    /// What changed: `{"field": {"from": .., "to": ..}}` or other details.
    pub details: Value,
}

impl NewAuditEvent {
    pub fn new(
        action: impl Into<String>,
        object_type: &'static str,
        object_id: impl ToString,
        object_name: impl Into<String>,
        details: Value,
    ) -> NewAuditEvent {
        NewAuditEvent {
            action: action.into(),
            object_type,
            object_id: object_id.to_string(),
            object_name: object_name.into(),
            details,
        }
    }
}

/// Object type names used in the audit log and its filter.
pub mod object_type {
    pub const USER: &str = "user";
    pub const GROUP: &str = "group";
    pub const APPLICATION: &str = "application";
    pub const SITE: &str = "site";
    pub const SETTINGS: &str = "settings";
    pub const CATALOG: &str = "catalog";
    pub const CONNECTED_ORGANIZATION: &str = "connectedOrganization";
    pub const ACCESS_PACKAGE: &str = "accessPackage";
    pub const CONNECTED_SYSTEM: &str = "connectedSystem";
    pub const API_TOKEN: &str = "apiToken";

    /// As people read it.
    pub fn label(t: &str) -> &'static str {
        match t {
            USER => "User",
            GROUP => "Group",
            APPLICATION => "Application",
            SITE => "Site",
            SETTINGS => "Settings",
            CATALOG => "Catalog",
            CONNECTED_ORGANIZATION => "Connected organization",
            ACCESS_PACKAGE => "Access package",
            CONNECTED_SYSTEM => "Connected system",
            API_TOKEN => "API token",
            _ => "Other",
        }
    }

    /// All object types, for the audit log filter.
    pub const ALL: &[&str] = &[
        USER,
        GROUP,
        APPLICATION,
        SITE,
        CATALOG,
        ACCESS_PACKAGE,
        CONNECTED_ORGANIZATION,
        CONNECTED_SYSTEM,
        API_TOKEN,
        SETTINGS,
    ];
}

/// What the audit log is searched for beside its object and actor: words
/// of the activity, and a span of the reader's days.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Search {
    /// Words the activity holds, in any case ("approve").
    pub activity: Option<String>,
    /// From this moment on: the first day's start.
    pub from: Option<DateTime<Utc>>,
    /// Before this moment: the day after the last day starts.
    pub before: Option<DateTime<Utc>>,
}

impl Search {
    /// Reads the filter's `activity`, `from` and `to` (days as YYYY-MM-DD
    /// in `tz`, the reader's zone); each may be left empty.
    pub fn parse(activity: &str, from: &str, to: &str, tz: Tz) -> Result<Search, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut day = |field: &str, text: &str| -> Option<NaiveDate> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let parsed = crate::domain::validation::calendar_day(text);
            if parsed.is_none() {
                e.add(field, "Give the day as YYYY-MM-DD.");
            }
            parsed
        };
        let (first, last) = (day("from", from), day("to", to));
        if let (Some(first), Some(last)) = (first, last)
            && last < first
        {
            e.add("to", "The last day comes before the first.");
        }
        let activity = activity.trim();
        if activity.chars().count() > 200 {
            e.add("activity", "Give at most 200 characters.");
        }
        e.into_result()?;
        let start = |d: NaiveDate| local_to_utc(tz, d.and_time(chrono::NaiveTime::MIN));
        Ok(Search {
            activity: Some(activity.to_string()).filter(|a| !a.is_empty()),
            from: first.and_then(start),
            // After the last day of year 9999 there is no end: stored times
            // have four-digit years.
            before: last
                .and_then(|d| d.succ_opt())
                .filter(|d| d.year() <= 9999)
                .and_then(start),
        })
    }
}

/// `{"field": {"from": a, "to": b}}` for each field that differs.
pub fn diff(fields: &[(&str, Value, Value)]) -> Value {
    let mut map = serde_json::Map::new();
    for (name, from, to) in fields {
        if from != to {
            map.insert(
                (*name).to_string(),
                serde_json::json!({ "from": from, "to": to }),
            );
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_search_reads_days_in_the_readers_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let s = Search::parse(" Approve ", "2026-06-01", "2026-06-01", tokyo).unwrap();
        assert_eq!(s.activity.as_deref(), Some("Approve"));
        assert_eq!(
            s.from.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-05-31T15:00:00+00:00")
        );
        assert_eq!(
            s.before.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-06-01T15:00:00+00:00")
        );
        assert_eq!(Search::parse("", "", "", tokyo).unwrap(), Search::default());
        let bad = Search::parse("", "1 June", "2026-05-01", tokyo).unwrap_err();
        assert_eq!(bad.get("from"), Some("Give the day as YYYY-MM-DD."));
        let backwards = Search::parse("", "2026-06-02", "2026-06-01", tokyo).unwrap_err();
        assert_eq!(
            backwards.get("to"),
            Some("The last day comes before the first.")
        );
        assert!(Search::parse(&"x".repeat(201), "", "", tokyo).is_err());
        let end = Search::parse("", "", "9999-12-31", chrono_tz::UTC).unwrap();
        assert_eq!(end.before, None, "to the end of time");
    }

    #[test]
    fn diff_keeps_only_changed_fields() {
        let d = diff(&[("a", json!(1), json!(1)), ("b", json!("x"), json!("y"))]);
        assert_eq!(d, json!({"b": {"from": "x", "to": "y"}}));
    }
}
