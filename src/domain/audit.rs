//! Audit events: who did what to which object, when. Append-only.

use serde_json::Value;

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
    fn diff_keeps_only_changed_fields() {
        let d = diff(&[("a", json!(1), json!(1)), ("b", json!("x"), json!("y"))]);
        assert_eq!(d, json!({"b": {"from": "x", "to": "y"}}));
    }
}
