//! PATCH requests (RFC 7644 §3.5.2) in the forms providers send: a `path`
//! (`active`, `name.givenName`, `members[value eq "…"]`, a URN-qualified
//! enterprise attribute) or none with an object of attributes to set;
//! `op` in any case (Entra ID sends `Replace`).

use serde_json::Value;

use super::filter::{self, AttrPath, Filter};
use super::protocol::{PATCH_SCHEMA, Problem};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Add,
    Replace,
    Remove,
}

/// Where an operation applies: an attribute, perhaps only its values that
/// match a filter (`members[value eq "…"]`), perhaps one sub-attribute of
/// those (`emails[type eq "work"].value`).
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
}

impl Path {
    pub fn parse(raw: &str) -> Result<Path, Problem> {
        let raw = raw.trim();
        let bad = || Problem::invalid_path(format!("`{raw}` is not an attribute path."));
        match raw.find('[') {
            None => Ok(Path {
                attr: AttrPath::parse(raw).ok_or_else(bad)?,
                filter: None,
            }),
            Some(open) => {
                let close = raw.rfind(']').ok_or_else(bad)?;
                if close < open {
                    return Err(bad());
                }
                let mut attr = AttrPath::parse(&raw[..open]).ok_or_else(bad)?;
                let filter = filter::parse(&raw[open + 1..close])
                    .map_err(|e| Problem::invalid_path(format!("`{raw}`: {e}")))?;
                let rest = &raw[close + 1..];
                if let Some(sub) = rest.strip_prefix('.') {
                    attr.sub = Some(sub.to_string());
                } else if !rest.is_empty() {
                    return Err(bad());
                }
                Ok(Path {
                    attr,
                    filter: Some(filter),
                })
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub kind: Kind,
    pub path: Option<Path>,
    pub value: Value,
}

/// The operations of a PATCH body, or why it cannot be applied.
pub fn parse(body: &Value) -> Result<Vec<Operation>, Problem> {
    let schemas_ok = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_none_or(|s| s.iter().any(|v| v.as_str() == Some(PATCH_SCHEMA)));
    if !schemas_ok {
        return Err(Problem::invalid_syntax(format!(
            "A PATCH body's schemas must include {PATCH_SCHEMA}."
        )));
    }
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| Problem::invalid_syntax("A PATCH body needs a list of Operations."))?;
    if ops.is_empty() {
        return Err(Problem::invalid_syntax(
            "A PATCH body needs at least one operation.",
        ));
    }
    ops.iter()
        .map(|op| {
            let kind = match op
                .get("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(k) if k == "add" => Kind::Add,
                Some(k) if k == "replace" => Kind::Replace,
                Some(k) if k == "remove" => Kind::Remove,
                _ => {
                    return Err(Problem::invalid_syntax(
                        "Each operation's op must be add, replace or remove.",
                    ));
                }
            };
            let path = match op.get("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(Path::parse(p)?),
                Some(_) => return Err(Problem::invalid_path("A path must be a string.")),
            };
            let value = op.get("value").cloned().unwrap_or(Value::Null);
            if kind == Kind::Remove && path.is_none() {
                return Err(Problem::new(
                    400,
                    Some("noTarget"),
                    "A remove operation needs a path.",
                ));
            }
            if kind != Kind::Remove && path.is_none() && !value.is_object() {
                return Err(Problem::invalid_value(
                    "An operation without a path needs an object of attributes as its value.",
                ));
            }
            Ok(Operation { kind, path, value })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_forms_providers_send() {
        let ops = parse(&json!({
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "replace", "value": {"active": false, "name.givenName": "Ann"}},
                {"op": "remove", "path": "members[value eq \"42\"]"},
                {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@b.c"}
            ]
        }))
        .unwrap();
        assert_eq!(ops.len(), 4);
        assert_eq!(ops[0].kind, Kind::Replace);
        assert!(ops[1].path.is_none());
        let p = ops[2].path.as_ref().unwrap();
        assert_eq!(p.attr.name, "members");
        assert!(p.filter.is_some());
        let p = ops[3].path.as_ref().unwrap();
        assert_eq!(p.attr.key(), "emails.value");
    }

    #[test]
    fn malformed_bodies_are_refused() {
        assert!(parse(&json!({"Operations": []})).is_err());
        assert!(parse(&json!({"Operations": [{"op": "move", "path": "a"}]})).is_err());
        assert!(parse(&json!({"Operations": [{"op": "remove"}]})).is_err());
        assert!(parse(&json!({"Operations": [{"op": "add", "value": 3}]})).is_err());
        assert!(
            parse(&json!({"schemas": ["x"], "Operations": [{"op": "add", "value": {}}]})).is_err()
        );
        assert!(parse(&json!({"Operations": [{"op": "add", "path": "a[", "value": 1}]})).is_err());
    }
}
