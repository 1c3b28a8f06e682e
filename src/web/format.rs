//! What people read: times in their own time zone (UTC on hover), and
//! changes as "field: old → new" instead of stored JSON.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::domain::api_token::Purpose;
use crate::domain::catalog::OriginSystem;
use crate::domain::catalog_role::CatalogRole;
use crate::domain::connected_system::{ReconcileMode, SystemKind};
use crate::domain::custom_extension::Stage;
use crate::domain::directory::GroupType;
use crate::domain::lifecycle::GuestAction;
use crate::domain::policy::AllowedTargetScope;
use crate::domain::request::{EndReason, RequestState, RequestType};
use crate::domain::review::{NoResponse, Recurrence, ReviewerKind};
use crate::domain::tenant::Collaboration;
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
/// "to": b}}` becomes "field: a → b", anything else "field: value"; times
/// in `tz`, stored names of a kind by their labels.
pub fn changes(details: &Value, tz: Tz) -> Vec<Change> {
    let map = match details {
        Value::Object(map) => map,
        Value::Null => return vec![],
        other => {
            return vec![Change {
                field: String::new(),
                from: None,
                to: value_text("", other, tz),
            }];
        }
    };
    // A settings document saved whole: the lines that changed.
    if let (2, Some(before), Some(after)) = (map.len(), map.get("before"), map.get("after")) {
        return Change::between("", before, after, tz);
    }
    let mut out = Vec::new();
    for (field, value) in map {
        match value {
            Value::Object(o) if o.contains_key("from") && o.contains_key("to") => {
                out.extend(Change::between(field, &o["from"], &o["to"], tz))
            }
            // Nested changes ("changes": {...}) are flattened into the list.
            Value::Object(o)
                if field == "changes" && o.values().all(|v| v.get("from").is_some()) =>
            {
                for (f, v) in o {
                    out.extend(Change::between(f, &v["from"], &v["to"], tz));
                }
            }
            _ => out.push(Change {
                from: None,
                to: value_text(field, value, tz),
                field: field_label(field),
            }),
        }
    }
    out
}

impl Change {
    /// What became of `field`. Two documents (a policy's settings) read as
    /// the lines that differ, each named by its path ("Settings › Expiration
    /// › Duration: P30D → P90D"), instead of as two unreadable wholes.
    fn between(field: &str, from: &Value, to: &Value, tz: Tz) -> Vec<Change> {
        if let (Value::Object(_), Value::Object(_)) = (from, to) {
            // A document saved whole ("") has no root: its lines start at its keys.
            let root = field_label(field);
            let (mut before, mut after) = (BTreeMap::new(), BTreeMap::new());
            leaves(&root, field, from, &mut before);
            leaves(&root, field, to, &mut after);
            let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
            let read = |leaf: Option<&(String, Value)>| match leaf {
                Some((key, v)) => value_text(key, v, tz),
                None => text(&Value::Null, tz),
            };
            return paths
                .into_iter()
                .filter(|p| before.get(*p) != after.get(*p))
                .map(|p| Change {
                    field: p.clone(),
                    from: Some(read(before.get(p))),
                    to: read(after.get(p)),
                })
                .collect();
        }
        vec![Change {
            field: field_label(field),
            from: Some(value_text(field, from, tz)),
            to: value_text(field, to, tz),
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

/// The leaves of a document by their path of labels from `path`, each with
/// its own key (which says how its value reads); lists are leaves, read
/// whole.
fn leaves(path: &str, key: &str, v: &Value, out: &mut BTreeMap<String, (String, Value)>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let below = if path.is_empty() {
                    words(k)
                } else {
                    format!("{path} › {}", words(k))
                };
                leaves(&below, k, x, out);
            }
        }
        other => {
            out.insert(path.to_string(), (key.to_string(), other.clone()));
        }
    }
}

/// A value as the pages show it: for the keys whose values are stored names
/// of a kind (a scope, a group type, a request state), the kind's label.
fn value_text(key: &str, v: &Value, tz: Tz) -> String {
    let label = v.as_str().and_then(|s| match key {
        "allowedTargetScope" => AllowedTargetScope::parse(s).map(|x| x.label()),
        "groupType" => GroupType::parse(s).map(GroupType::label),
        "originSystem" => OriginSystem::parse(s).map(OriginSystem::label),
        "state" | "from" | "to" => RequestState::parse(s).map(RequestState::phrase),
        "requestType" => RequestType::parse(s).map(|x| x.label()),
        "matchedBy" => LinkClaim::parse(s).map(LinkClaim::label),
        "noResponse" | "ifNoResponse" => NoResponse::parse(s).map(NoResponse::label),
        "recurrence" => Recurrence::parse(s).map(Recurrence::label),
        // Kept as its serialized name ("selfReview"), not the form's.
        "reviewers" => serde_json::from_value::<ReviewerKind>(v.clone())
            .ok()
            .map(ReviewerKind::label),
        "stage" => Stage::parse(s).map(Stage::label),
        "role" => CatalogRole::parse(s).map(CatalogRole::label),
        // Not "reason": people's own words go by that name.
        "endReason" => EndReason::parse(s).map(EndReason::label),
        "kind" => SystemKind::parse(s).map(SystemKind::label),
        "reconcile" => ReconcileMode::parse(s).map(ReconcileMode::label),
        "purpose" => Purpose::parse(s).map(Purpose::label),
        "collaboration" => Collaboration::parse(s).map(Collaboration::label),
        "action" => GuestAction::parse(s).map(GuestAction::label),
        _ => None,
    });
    label.map_or_else(|| text(v, tz), str::to_string)
}

/// A JSON value as text: strings bare, lists joined, nothing as "—".
fn text(v: &Value, tz: Tz) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) if s.is_empty() => "—".into(),
        Value::String(s) => stored_text(s, tz),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Array(items) if items.is_empty() => "—".into(),
        Value::Array(items) => items
            .iter()
            .map(|i| text(i, tz))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(o) => object_text(o, tz),
        other => other.to_string(),
    }
}

/// A stored string as people read it: Graph's durations (`P30D`, `PT8H`)
/// as days or hours, times in `tz` to the minute, Graph's expiration kinds
/// by the names the policy form gives them; anything else as it is.
fn stored_text(s: &str, tz: Tz) -> String {
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
    if let Some(t) = parse(s) {
        return crate::domain::request::moment_in(t, tz);
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
fn object_text(o: &serde_json::Map<String, Value>, tz: Tz) -> String {
    for key in ["displayName", "text", "role", "name"] {
        if let Some(Value::String(s)) = o.get(key) {
            return s.clone();
        }
    }
    o.iter()
        .filter(|(k, v)| !v.is_object() && !v.is_array() && !k.starts_with('@'))
        .map(|(k, v)| format!("{}: {}", words(k), value_text(k, v, tz)))
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

    use chrono_tz::UTC;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn changes_read_as_field_old_new() {
        assert!(changes(&Value::Null, UTC).is_empty());
        assert_eq!(changes(&json(r#""all""#), UTC)[0].to, "all");
        let c = changes(
            &json(r#"{"displayName": {"from": "A", "to": "B"}, "roles": ["x", "y"]}"#),
            UTC,
        );
        assert_eq!(c[0].field, "Name");
        assert_eq!((c[0].from.as_deref(), c[0].to.as_str()), (Some("A"), "B"));
        assert_eq!(c[1].to, "x, y");
        let named = changes(
            &json(r#"{"policy": {"displayName": "Initial policy", "settings": {}}}"#),
            UTC,
        );
        assert_eq!(named[0].to, "Initial policy");
        let nested = changes(
            &json(r#"{"policy": "p1", "changes": {"enabled": {"from": true, "to": false}}}"#),
            UTC,
        );
        assert!(nested.iter().any(|c| c.field == "Enabled" && c.to == "no"));
        // Keys read as words, and stored names of a kind as its labels.
        let scope = changes(
            &json(
                r#"{"requestsCancelled": 2, "changes": {"allowedTargetScope": {"from": "allMemberUsers", "to": "specificDirectoryUsers"}}}"#,
            ),
            UTC,
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
        let state = changes(
            &json(r#"{"state": {"from": "pendingApproval", "to": "delivered"}}"#),
            UTC,
        );
        assert_eq!(state[0].from.as_deref(), Some("pending approval"));
        // Two settings documents read as the lines that differ.
        let settings = changes(
            &json(
                r#"{"changes": {"settings": {"from": {"expiration": {"type": "afterDuration", "duration": "P30D"}, "notificationSettings": {"isAssignmentNotificationDisabled": false}}, "to": {"expiration": {"type": "afterDuration", "duration": "P90D"}, "notificationSettings": {"isAssignmentNotificationDisabled": true}}}}}"#,
            ),
            UTC,
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

    /// Stored names of a kind read as their labels, and times in the
    /// reader's zone, wherever they stand: a document saved whole as its
    /// lines that changed, an object's fields.
    #[test]
    fn changes_name_kinds_and_times_as_people_read_them() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let settings = changes(
            &json(
                r#"{"before": {"collaboration": "anyDomain", "timeZone": ""}, "after": {"collaboration": "allowOnlyDomains", "timeZone": ""}}"#,
            ),
            paris,
        );
        assert_eq!(settings.len(), 1, "only what changed");
        assert_eq!(settings[0].field, "Collaboration");
        assert_eq!(
            (settings[0].from.as_deref(), settings[0].to.as_str()),
            (Some("Any domain"), "Only the domains listed")
        );
        let token = changes(
            &json(r#"{"purpose": "scim", "expires": "2027-01-31T22:59:59Z"}"#),
            paris,
        );
        assert_eq!(token[0].to, "31 Jan 2027, 23:59 CET");
        assert_eq!(token[1].to, Purpose::Scim.label());
        let review = changes(
            &json(
                r#"{"reviewSettings": {"recurrence": "semiAnnually", "reviewers": "selfReview", "noResponse": "keepAccess"}}"#,
            ),
            UTC,
        );
        assert!(
            review[0].to.contains("Recurrence: Semi-annually")
                || review[0].to.contains(Recurrence::SemiAnnually.label()),
            "{}",
            review[0].to
        );
        assert!(
            review[0].to.contains("Reviewers: Self-review"),
            "{}",
            review[0].to
        );
        assert!(
            review[0].to.contains(NoResponse::NoChange.label()),
            "{}",
            review[0].to
        );
        let role = changes(
            &json(
                r#"{"role": "catalogOwner", "endReason": "removedFromDirectory", "reason": "expired"}"#,
            ),
            UTC,
        );
        assert_eq!(role[0].to, "Removed from the directory");
        assert_eq!(role[1].to, "expired", "a reviewer's own words stay theirs");
        assert_eq!(role[2].to, "Catalog owner");
    }
}
