//! What people read: times in their own time zone (UTC on hover), and
//! changes as "field: old → new" instead of stored JSON.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::domain::catalog::OriginSystem;
use crate::domain::directory::GroupType;
use crate::domain::policy::AllowedTargetScope;
use crate::domain::request::{RequestState, RequestType, human};
use crate::domain::user::LinkClaim;

/// A stored time (RFC 3339) as HTML: the date and time in `tz`, with its
/// zone, and the UTC time on hover. Anything else is shown as it is.
pub fn when(stored: &str, tz: Tz) -> String {
    tag(stored, tz, "%-d %b %Y, %H:%M %Z")
}

/// A stored time as its date in `tz`, the UTC time on hover.
pub fn day(stored: &str, tz: Tz) -> String {
    tag(stored, tz, "%-d %b %Y")
}

fn tag(stored: &str, tz: Tz, format: &str) -> String {
    let Some(t) = parse(stored) else {
        return escape(stored);
    };
    format!(
        "<time datetime=\"{}\" title=\"{} UTC\">{}</time>",
        t.to_rfc3339_opts(SecondsFormat::Secs, true),
        t.format("%Y-%m-%d %H:%M"),
        t.with_timezone(&tz).format(format)
    )
}

/// A reason kept with a request as HTML: its words escaped, each moment it
/// names as `when` shows one (see `domain::request::reason`).
pub fn reason(kept: &str, tz: Tz) -> String {
    use crate::domain::request::reason::{Piece, pieces};
    pieces(kept)
        .into_iter()
        .map(|p| match p {
            Piece::Text(words) => escape(words),
            Piece::Moment(t) => when(&t.to_rfc3339_opts(SecondsFormat::Secs, true), tz),
        })
        .collect()
}

fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// HTML-escapes text for the few places that build markup here.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The time zone a browser named (`Europe/Paris`), or UTC.
pub fn time_zone(name: &str) -> Tz {
    name.trim().parse().unwrap_or(chrono_tz::UTC)
}

/// One line of what an audit event says: a field and its value, or what it
/// was and what it became.
pub struct Change {
    pub field: String,
    pub from: Option<String>,
    pub to: String,
}

/// An audit event's details as lines people read: `{"field": {"from": a,
/// "to": b}}` becomes "field: a → b", anything else "field: value".
pub fn changes(details: &str) -> Vec<Change> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(details) else {
        return if details.trim().is_empty() || details == "null" {
            vec![]
        } else {
            vec![Change {
                field: String::new(),
                from: None,
                to: details.to_string(),
            }]
        };
    };
    let mut out = Vec::new();
    for (field, value) in map {
        match &value {
            Value::Object(o) if o.contains_key("from") && o.contains_key("to") => {
                out.extend(Change::between(&field, &o["from"], &o["to"]))
            }
            // Nested changes ("changes": {...}) are flattened into the list.
            Value::Object(o)
                if field == "changes" && o.values().all(|v| v.get("from").is_some()) =>
            {
                for (f, v) in o {
                    out.extend(Change::between(f, &v["from"], &v["to"]));
                }
            }
            _ => out.push(Change {
                from: None,
                to: value_text(&field, &value),
                field: field_label(&field),
            }),
        }
    }
    out
}

impl Change {
    /// What became of `field`. Two documents (a policy's settings) read as
    /// the lines that differ, each named by its path ("Settings › Expiration
    /// › Duration: P30D → P90D"), instead of as two unreadable wholes.
    fn between(field: &str, from: &Value, to: &Value) -> Vec<Change> {
        if let (Value::Object(_), Value::Object(_)) = (from, to) {
            let (mut before, mut after) = (BTreeMap::new(), BTreeMap::new());
            leaves(&field_label(field), from, &mut before);
            leaves(&field_label(field), to, &mut after);
            let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
            return paths
                .into_iter()
                .filter(|p| before.get(*p) != after.get(*p))
                .map(|p| Change {
                    field: p.clone(),
                    from: Some(text(before.get(p).unwrap_or(&Value::Null))),
                    to: text(after.get(p).unwrap_or(&Value::Null)),
                })
                .collect();
        }
        vec![Change {
            field: field_label(field),
            from: Some(value_text(field, from)),
            to: value_text(field, to),
        }]
    }
}

/// A detail's key as the pages name it: the form's label where it has one,
/// else the words of the key ("requestsCancelled": "Requests cancelled").
fn field_label(key: &str) -> String {
    let label = match key {
        "displayName" => "Name",
        "isExternallyVisible" => "Enabled for external users",
        "allowedTargetScope" => "Who can request",
        "isHidden" => "Hidden",
        "groupType" => "Type",
        "mail" => "Email",
        "externalId" => "External ID",
        "originSystem" => "Kind of resource",
        "oidcIssuer" => "Identity provider",
        "oidcClientId" => "Client ID",
        "reviewSettings" => "Access reviews",
        "userType" => "User type",
        _ => return words(key),
    };
    label.into()
}

/// `camelCase` as a phrase: "Camel case".
fn words(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for (i, c) in key.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else if c.is_ascii_uppercase() {
            out.push(' ');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The leaves of a document by their path of labels from `path`; lists are
/// leaves, read whole.
fn leaves(path: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                leaves(&format!("{path} › {}", words(k)), x, out);
            }
        }
        other => {
            out.insert(path.to_string(), other.clone());
        }
    }
}

/// A value as the pages show it: for the keys whose values are stored names
/// of a kind (a scope, a group type, a request state), the kind's label.
fn value_text(key: &str, v: &Value) -> String {
    let label = v.as_str().and_then(|s| match key {
        "allowedTargetScope" => AllowedTargetScope::parse(s).map(|x| x.label()),
        "groupType" => GroupType::parse(s).map(GroupType::label),
        "originSystem" => OriginSystem::parse(s).map(OriginSystem::label),
        "state" | "from" | "to" => RequestState::parse(s).map(human),
        "requestType" => RequestType::parse(s).map(|x| x.label()),
        "matchedBy" => LinkClaim::parse(s).map(LinkClaim::label),
        _ => None,
    });
    label.map_or_else(|| text(v), str::to_string)
}

/// A JSON value as text: strings bare, lists joined, nothing as "—".
fn text(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) if s.is_empty() => "—".into(),
        Value::String(s) => stored_text(s),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Array(items) if items.is_empty() => "—".into(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(o) => object_text(o),
        other => other.to_string(),
    }
}

/// A stored string as people read it: Graph's durations (`P30D`, `PT8H`)
/// as days or hours, times as UTC minutes, Graph's expiration kinds by the
/// names the policy form gives them; anything else as it is.
fn stored_text(s: &str) -> String {
    let count = |digits: &str, unit: &str| {
        digits.parse::<u64>().ok().map(|n| {
            if n == 1 {
                format!("1 {unit}")
            } else {
                format!("{n} {unit}s")
            }
        })
    };
    let duration = if let Some(h) = s.strip_prefix("PT").and_then(|r| r.strip_suffix('H')) {
        count(h, "hour")
    } else {
        s.strip_prefix('P')
            .and_then(|r| r.strip_suffix('D'))
            .and_then(|d| count(d, "day"))
    };
    if let Some(d) = duration {
        return d;
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string();
    }
    match s {
        "afterDuration" => "after a number of days or hours".into(),
        "afterDateTime" => "on a date".into(),
        "noExpiration" => "never".into(),
        other => other.to_string(),
    }
}

/// An object in a change (a policy, a question, a role) by the name a person
/// knows it by; only an object without one is spelled out, one level deep.
fn object_text(o: &serde_json::Map<String, Value>) -> String {
    for key in ["displayName", "text", "role", "name"] {
        if let Some(Value::String(s)) = o.get(key) {
            return s.clone();
        }
    }
    o.iter()
        .filter(|(k, v)| !v.is_object() && !v.is_array() && !k.starts_with('@'))
        .map(|(k, v)| format!("{}: {}", words(k), text(v)))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_the_viewers_zone_with_utc_on_hover() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let html = when("2026-12-01T02:09:39.625266Z", paris);
        assert!(html.contains(">1 Dec 2026, 03:09 CET</time>"), "{html}");
        assert!(html.contains("title=\"2026-12-01 02:09 UTC\""), "{html}");
        assert_eq!(when("<b>", paris), "&lt;b&gt;");
        assert!(day("2026-12-01T23:30:00Z", paris).contains(">2 Dec 2026<"));
    }

    #[test]
    fn changes_read_as_field_old_new() {
        let c = changes(r#"{"displayName": {"from": "A", "to": "B"}, "roles": ["x", "y"]}"#);
        assert_eq!(c[0].field, "Name");
        assert_eq!((c[0].from.as_deref(), c[0].to.as_str()), (Some("A"), "B"));
        assert_eq!(c[1].to, "x, y");
        let named = changes(r#"{"policy": {"displayName": "Initial policy", "settings": {}}}"#);
        assert_eq!(named[0].to, "Initial policy");
        let nested =
            changes(r#"{"policy": "p1", "changes": {"enabled": {"from": true, "to": false}}}"#);
        assert!(nested.iter().any(|c| c.field == "Enabled" && c.to == "no"));
        // Keys read as words, and stored names of a kind as its labels.
        let scope = changes(
            r#"{"requestsCancelled": 2, "changes": {"allowedTargetScope": {"from": "allMemberUsers", "to": "specificDirectoryUsers"}}}"#,
        );
        // (Keys come in order: "changes" before "requestsCancelled".)
        assert_eq!(scope[1].field, "Requests cancelled");
        assert_eq!(scope[0].field, "Who can request");
        assert_eq!(
            (scope[0].from.as_deref(), scope[0].to.as_str()),
            (
                Some(AllowedTargetScope::AllMemberUsers.label()),
                AllowedTargetScope::SpecificDirectoryUsers.label()
            )
        );
        let state = changes(r#"{"state": {"from": "pendingApproval", "to": "delivered"}}"#);
        assert_eq!(state[0].from.as_deref(), Some("pending approval"));
        // Two settings documents read as the lines that differ.
        let settings = changes(
            r#"{"changes": {"settings": {"from": {"expiration": {"type": "afterDuration", "duration": "P30D"}, "notificationSettings": {"isAssignmentNotificationDisabled": false}}, "to": {"expiration": {"type": "afterDuration", "duration": "P90D"}, "notificationSettings": {"isAssignmentNotificationDisabled": true}}}}}"#,
        );
        let lines: Vec<(String, Option<String>, String)> = settings
            .into_iter()
            .map(|c| (c.field, c.from, c.to))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "Settings › Expiration › Duration".to_string(),
                    Some("30 days".to_string()),
                    "90 days".to_string()
                ),
                (
                    "Settings › Notification settings › Is assignment notification disabled"
                        .to_string(),
                    Some("no".to_string()),
                    "yes".to_string()
                ),
            ]
        );
    }
}
