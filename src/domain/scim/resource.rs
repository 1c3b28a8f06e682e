//! Users and groups as SCIM carries them: read from what providers send
//! (attribute names in any case, booleans as strings, a manager as a bare
//! id), changed by PATCH operations, and written back as resources.

use serde_json::{Map, Value, json};

use super::filter::{Filter, Op, Value as FilterValue};
use super::patch::{Kind, Operation, Path};
use super::protocol::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, Problem, USER_SCHEMA};

/// The attributes of a user Gatehouse keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScimUser {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub employee_number: Option<String>,
    pub department: Option<String>,
    /// The manager's id.
    pub manager: Option<String>,
}

/// The attributes of a group Gatehouse keeps; members by user id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScimGroup {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<String>,
}

/// Core attributes Gatehouse does not keep: accepted and left out, so that a
/// provider's default mappings (phone numbers, addresses ...) do not fail.
const IGNORED: &[&str] = &[
    "id",
    "meta",
    "schemas",
    "groups",
    "password",
    "usertype",
    "nickname",
    "profileurl",
    "preferredlanguage",
    "locale",
    "timezone",
    "phonenumbers",
    "addresses",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "x509certificates",
    "name.formatted",
    "name.middlename",
    "name.honorificprefix",
    "name.honorificsuffix",
    "costcenter",
    "organization",
    "division",
    "manager.displayname",
    "manager.$ref",
];

/// A member of an object, its name in any case (SCIM names are case-insensitive).
fn field<'v>(o: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn text(v: &Value, name: &str) -> Result<Option<String>, Problem> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => {
            if s.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
            {
                return Err(Problem::invalid_value(format!(
                    "{name} contains a control character."
                )));
            }
            // Bytes, not characters: an indexed value (userName,
            // externalId) must fit PostgreSQL's index entries (2,704 bytes).
            if s.len() > 1024 {
                return Err(Problem::invalid_value(format!(
                    "{name} is longer than 1,024 bytes (UTF-8)."
                )));
            }
            Ok(Some(s.trim().to_string()))
        }
        _ => Err(Problem::invalid_value(format!("{name} must be a string."))),
    }
}

/// A boolean, or the strings "true"/"false" in any case (as Entra ID and
/// Keycloak send them).
fn boolean(v: &Value, name: &str) -> Result<bool, Problem> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(Problem::invalid_value(format!(
            "{name} must be true or false."
        ))),
    }
}

/// The address a list of emails gives: the primary one, else the work one,
/// else the first.
fn pick_email(v: &Value) -> Result<Option<String>, Problem> {
    let list = match v {
        Value::Null => return Ok(None),
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![v.clone()],
        _ => {
            return Err(Problem::invalid_value(
                "emails must be a list of addresses.",
            ));
        }
    };
    let entry = |pred: &dyn Fn(&Map<String, Value>) -> bool| {
        list.iter()
            .filter_map(Value::as_object)
            .find(|o| pred(o))
            .and_then(|o| field(o, "value").cloned())
    };
    let chosen =
        entry(&|o| field(o, "primary").is_some_and(|p| boolean(p, "primary").unwrap_or(false)))
            .or_else(|| {
                entry(&|o| {
                    field(o, "type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.eq_ignore_ascii_case("work"))
                })
            })
            .or_else(|| entry(&|_| true));
    match chosen {
        Some(v) => text(&v, "emails.value"),
        None => Ok(None),
    }
}

/// A manager as RFC 7643 has it (`{"value": id}`) or as Entra ID sends it
/// (the id alone).
fn manager(v: &Value) -> Result<Option<String>, Problem> {
    match v {
        Value::Object(o) => field(o, "value").map_or(Ok(None), |v| text(v, "manager.value")),
        other => text(other, "manager"),
    }
}

impl ScimUser {
    /// A user from a POST or PUT body. Unknown attributes are ignored.
    pub fn from_json(body: &Value) -> Result<ScimUser, Problem> {
        let o = body
            .as_object()
            .ok_or_else(|| Problem::invalid_syntax("The body must be a JSON object."))?;
        let mut u = ScimUser {
            active: true,
            ..Default::default()
        };
        for (k, v) in o {
            if k.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
                let ext = v.as_object().ok_or_else(|| {
                    Problem::invalid_value("The enterprise extension must be an object.")
                })?;
                for (k2, v2) in ext {
                    u.set(&k2.to_ascii_lowercase(), v2, true)?;
                }
            } else {
                u.set(&k.to_ascii_lowercase(), v, true)?;
            }
        }
        if u.user_name.trim().is_empty() {
            return Err(Problem::invalid_value("userName is required."));
        }
        Ok(u)
    }

    /// Sets one attribute (`key` in lower case, without a schema URN).
    /// `lenient`: an attribute Gatehouse does not know is ignored rather
    /// than refused (bodies are lenient; PATCH paths are not).
    fn set(&mut self, key: &str, v: &Value, lenient: bool) -> Result<(), Problem> {
        match key {
            "username" => {
                self.user_name = text(v, "userName")?
                    .ok_or_else(|| Problem::invalid_value("userName is required."))?
            }
            "externalid" => self.external_id = text(v, "externalId")?,
            "displayname" => self.display_name = text(v, "displayName")?,
            "title" => self.title = text(v, "title")?,
            "active" => self.active = boolean(v, "active")?,
            "name" => match v {
                Value::Object(o) => {
                    for (k, v) in o {
                        self.set(&format!("name.{}", k.to_ascii_lowercase()), v, lenient)?;
                    }
                }
                Value::Null => {
                    self.given_name = None;
                    self.family_name = None;
                }
                _ => return Err(Problem::invalid_value("name must be an object.")),
            },
            "name.givenname" => self.given_name = text(v, "name.givenName")?,
            "name.familyname" => self.family_name = text(v, "name.familyName")?,
            "emails" => self.email = pick_email(v)?,
            "emails.value" => self.email = text(v, "emails.value")?,
            "employeenumber" => self.employee_number = text(v, "employeeNumber")?,
            "department" => self.department = text(v, "department")?,
            "manager" => self.manager = manager(v)?,
            "manager.value" => self.manager = text(v, "manager.value")?,
            // A part of an attribute Gatehouse keeps nothing of is as good
            // as the whole: Entra ID's defaults patch `phoneNumbers[type eq
            // "work"].value` and `addresses[type eq "work"].streetAddress`.
            k if IGNORED.contains(&k)
                || IGNORED.contains(&k.split('.').next().unwrap_or(k))
                || k.starts_with("urn:") => {}
            k if lenient => {
                let _ = k;
            }
            k => {
                return Err(Problem::invalid_path(format!(
                    "Users have no attribute {k}."
                )));
            }
        }
        Ok(())
    }

    fn clear(&mut self, key: &str) -> Result<(), Problem> {
        match key {
            "username" => return Err(Problem::mutability("userName cannot be removed.")),
            "active" => self.active = false,
            "name" => {
                self.given_name = None;
                self.family_name = None;
            }
            "emails" | "emails.value" => self.email = None,
            _ => self.set(key, &Value::Null, false)?,
        }
        Ok(())
    }

    /// Applies PATCH operations in order; any error leaves the caller's
    /// copy to be thrown away (nothing is saved).
    pub fn apply(&mut self, ops: &[Operation]) -> Result<(), Problem> {
        for op in ops {
            match &op.path {
                None => {
                    let o = op.value.as_object().ok_or_else(|| {
                        Problem::invalid_value("An operation without a path needs an object.")
                    })?;
                    for (k, v) in o {
                        if k.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
                            let ext = v.as_object().ok_or_else(|| {
                                Problem::invalid_value(
                                    "The enterprise extension must be an object.",
                                )
                            })?;
                            for (k2, v2) in ext {
                                self.set(&k2.to_ascii_lowercase(), v2, false)?;
                            }
                            continue;
                        }
                        // `urn:…:enterprise:2.0:User:employeeNumber` as a key.
                        let key = match Path::parse(k) {
                            Ok(p) if is_other_email(&p) || of_other_schema(&p) => continue,
                            Ok(p) => p.attr.key(),
                            Err(_) => k.to_ascii_lowercase(),
                        };
                        self.set(&key, v, false)?;
                    }
                }
                Some(path)
                    if path.attr.sub.is_none()
                        && path.attr.uri.as_deref().is_some_and(|u| {
                            format!("{u}:{}", path.attr.name)
                                .eq_ignore_ascii_case(ENTERPRISE_SCHEMA)
                        }) =>
                {
                    // The whole enterprise extension.
                    if op.kind == Kind::Remove {
                        self.employee_number = None;
                        self.department = None;
                        self.manager = None;
                    } else {
                        let ext = op.value.as_object().ok_or_else(|| {
                            Problem::invalid_value("The enterprise extension must be an object.")
                        })?;
                        for (k, v) in ext {
                            self.set(&k.to_ascii_lowercase(), v, false)?;
                        }
                    }
                }
                // Gatehouse keeps one address, the work one: a path to
                // another (`emails[type eq "home"].value`) leaves it alone.
                Some(path) if is_other_email(path) || of_other_schema(path) => {}
                Some(path) => {
                    let key = path.attr.key();
                    if op.kind == Kind::Remove {
                        self.clear(&key)?;
                    } else {
                        self.set(&key, &op.value, false)?;
                    }
                }
            }
        }
        if self.user_name.trim().is_empty() {
            return Err(Problem::mutability("userName cannot be removed."));
        }
        Ok(())
    }

    /// The name people see: displayName, else the given and family names,
    /// else userName.
    pub fn shown_name(&self) -> String {
        if let Some(d) = &self.display_name {
            return d.clone();
        }
        let parts: Vec<&str> = [&self.given_name, &self.family_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if parts.is_empty() {
            self.user_name.clone()
        } else {
            parts.join(" ")
        }
    }

    /// The resource (`meta` given: created, lastModified, location).
    pub fn to_json(&self, id: &str, meta: &Meta) -> Value {
        let mut o = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "id": id,
            "userName": self.user_name,
            "displayName": self.shown_name(),
            "active": self.active,
            "meta": meta.json("User"),
        });
        let m = o.as_object_mut().expect("an object");
        if let Some(x) = &self.external_id {
            m.insert("externalId".into(), json!(x));
        }
        let mut name = Map::new();
        if let Some(g) = &self.given_name {
            name.insert("givenName".into(), json!(g));
        }
        if let Some(f) = &self.family_name {
            name.insert("familyName".into(), json!(f));
        }
        if !name.is_empty() {
            m.insert("name".into(), Value::Object(name));
        }
        if let Some(t) = &self.title {
            m.insert("title".into(), json!(t));
        }
        if let Some(e) = &self.email {
            m.insert("emails".into(), json!([{"value": e, "type": "work"}]));
        }
        let mut ext = Map::new();
        if let Some(n) = &self.employee_number {
            ext.insert("employeeNumber".into(), json!(n));
        }
        if let Some(d) = &self.department {
            ext.insert("department".into(), json!(d));
        }
        if let Some(mgr) = &self.manager {
            ext.insert(
                "manager".into(),
                json!({"value": mgr, "$ref": meta.sibling("Users", mgr)}),
            );
        }
        if !ext.is_empty() {
            m.insert(ENTERPRISE_SCHEMA.into(), Value::Object(ext));
        }
        o
    }
}

/// Whether a member (known by its id) matches a filter on `value`, as in
/// `members[value eq "…"]`.
fn member_matches(f: &Filter, id: &str) -> Result<bool, Problem> {
    Ok(match f {
        Filter::And(a, b) => member_matches(a, id)? && member_matches(b, id)?,
        Filter::Or(a, b) => member_matches(a, id)? || member_matches(b, id)?,
        Filter::Not(a) => !member_matches(a, id)?,
        Filter::Compare(p, op, FilterValue::Str(v)) if p.key() == "value" => match op {
            Op::Eq => v == id,
            Op::Ne => v != id,
            _ => {
                return Err(Problem::invalid_filter(
                    "Members are matched by value with eq or ne.",
                ));
            }
        },
        _ => {
            return Err(Problem::invalid_filter(
                "Members are matched by value with eq or ne.",
            ));
        }
    })
}

/// A path into a schema extension other than the enterprise one (a
/// provider's own, `urn:…:extension:acme:2.0:User:costCode`): ignored, as
/// in a body, rather than read as a core attribute of the same name.
fn of_other_schema(p: &Path) -> bool {
    p.attr.uri.as_deref().is_some_and(|uri| {
        let schema = |s: &str| uri.eq_ignore_ascii_case(s);
        !schema(USER_SCHEMA) && !schema(ENTERPRISE_SCHEMA)
    })
}

/// A path to an address other than the work one, which is the one
/// Gatehouse keeps: `emails[type eq "home"].value`.
fn is_other_email(p: &Path) -> bool {
    p.attr.name.eq_ignore_ascii_case("emails") && p.filter.as_ref().is_some_and(|f| !names_work(f))
}

/// Whether a filter on `emails` picks the work address (or the primary one,
/// which is the same here).
fn names_work(f: &Filter) -> bool {
    match f {
        Filter::Compare(a, Op::Eq, FilterValue::Str(v)) => {
            a.name.eq_ignore_ascii_case("type") && v.eq_ignore_ascii_case("work")
        }
        Filter::Compare(a, Op::Eq, FilterValue::Bool(true)) => {
            a.name.eq_ignore_ascii_case("primary")
        }
        Filter::And(a, b) | Filter::Or(a, b) => names_work(a) || names_work(b),
        _ => false,
    }
}

/// The member ids a `members` value lists, each once, in the order given.
fn member_ids(v: &Value) -> Result<Vec<String>, Problem> {
    let mut seen = std::collections::HashSet::new();
    let mut ids = listed_ids(v)?;
    ids.retain(|id| seen.insert(id.clone()));
    Ok(ids)
}

fn listed_ids(v: &Value) -> Result<Vec<String>, Problem> {
    let list = match v {
        Value::Null => return Ok(vec![]),
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![v.clone()],
        _ => return Err(Problem::invalid_value("members must be a list.")),
    };
    list.iter()
        .map(|m| {
            m.as_object()
                .and_then(|o| field(o, "value"))
                .and_then(Value::as_str)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| Problem::invalid_value("Each member needs a value: a user's id."))
                .and_then(|s| match s.chars().any(char::is_control) {
                    true => Err(Problem::invalid_value(
                        "A member's value contains a control character.",
                    )),
                    false => Ok(s),
                })
        })
        .collect()
}

impl ScimGroup {
    pub fn from_json(body: &Value) -> Result<ScimGroup, Problem> {
        let o = body
            .as_object()
            .ok_or_else(|| Problem::invalid_syntax("The body must be a JSON object."))?;
        let display_name = field(o, "displayName")
            .map(|v| text(v, "displayName"))
            .transpose()?
            .flatten()
            .ok_or_else(|| Problem::invalid_value("displayName is required."))?;
        let external_id = field(o, "externalId")
            .map(|v| text(v, "externalId"))
            .transpose()?
            .flatten();
        let members = field(o, "members").map_or(Ok(vec![]), member_ids)?;
        Ok(ScimGroup {
            display_name,
            external_id,
            members,
        })
    }

    fn add_members(&mut self, ids: Vec<String>) {
        let mut held: std::collections::HashSet<String> = self.members.iter().cloned().collect();
        self.members
            .extend(ids.into_iter().filter(|id| held.insert(id.clone())));
    }

    pub fn apply(&mut self, ops: &[Operation]) -> Result<(), Problem> {
        for op in ops {
            match (&op.path, op.kind) {
                (None, kind) => {
                    let o = op.value.as_object().ok_or_else(|| {
                        Problem::invalid_value("An operation without a path needs an object.")
                    })?;
                    for (k, v) in o {
                        match k.to_ascii_lowercase().as_str() {
                            "displayname" => {
                                self.display_name = text(v, "displayName")?.ok_or_else(|| {
                                    Problem::invalid_value("displayName is required.")
                                })?
                            }
                            "externalid" => self.external_id = text(v, "externalId")?,
                            "members" if kind == Kind::Replace => self.members = member_ids(v)?,
                            "members" => self.add_members(member_ids(v)?),
                            // Okta repeats the group's id and name with every change.
                            "id" | "schemas" | "meta" => {}
                            other => {
                                return Err(Problem::invalid_path(format!(
                                    "Groups have no attribute {other}."
                                )));
                            }
                        }
                    }
                }
                (Some(path), kind) => match (path.attr.key().as_str(), kind) {
                    ("members", Kind::Remove) => match &path.filter {
                        Some(f) => {
                            let mut kept = Vec::new();
                            for m in &self.members {
                                if !member_matches(f, m)? {
                                    kept.push(m.clone());
                                }
                            }
                            self.members = kept;
                        }
                        // Entra ID lists the members to remove as the value.
                        None if !op.value.is_null() => {
                            let gone: std::collections::HashSet<String> =
                                member_ids(&op.value)?.into_iter().collect();
                            self.members.retain(|m| !gone.contains(m));
                        }
                        None => self.members.clear(),
                    },
                    ("members", Kind::Replace) => self.members = member_ids(&op.value)?,
                    ("members", Kind::Add) => self.add_members(member_ids(&op.value)?),
                    ("displayname", Kind::Remove) => {
                        return Err(Problem::mutability("displayName cannot be removed."));
                    }
                    ("displayname", _) => {
                        self.display_name = text(&op.value, "displayName")?
                            .ok_or_else(|| Problem::invalid_value("displayName is required."))?
                    }
                    ("externalid", Kind::Remove) => self.external_id = None,
                    ("externalid", _) => self.external_id = text(&op.value, "externalId")?,
                    (other, _) => {
                        return Err(Problem::invalid_path(format!(
                            "Groups have no attribute {other}."
                        )));
                    }
                },
            }
        }
        Ok(())
    }

    /// The resource.
    pub fn to_json(&self, id: &str, meta: &Meta) -> Value {
        let mut o = json!({
            "schemas": [GROUP_SCHEMA],
            "id": id,
            "displayName": self.display_name,
            "members": self.members
                .iter()
                .map(|m| json!({"value": m, "$ref": meta.sibling("Users", m), "type": "User"}))
                .collect::<Vec<_>>(),
            "meta": meta.json("Group"),
        });
        if let Some(x) = &self.external_id {
            o.as_object_mut()
                .expect("an object")
                .insert("externalId".into(), json!(x));
        }
        o
    }
}

/// A resource's `meta`: when it was made and last changed, and where it is.
pub struct Meta {
    pub created: String,
    pub last_modified: String,
    /// The resource's own URL.
    pub location: String,
    /// The base URL of the SCIM endpoints (for references to other resources).
    pub base: String,
}

impl Meta {
    fn json(&self, resource_type: &str) -> Value {
        json!({
            "resourceType": resource_type,
            "created": self.created,
            "lastModified": self.last_modified,
            "location": self.location,
            "version": format!("W/\"{}\"", self.last_modified),
        })
    }

    fn sibling(&self, kind: &str, id: &str) -> String {
        format!("{}/{kind}/{id}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::super::patch;
    use super::*;

    #[test]
    fn users_as_entra_and_okta_send_them() {
        let u = ScimUser::from_json(&json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "USERNAME": "ann@example.com",
            "active": "True",
            "name": {"givenName": "Ann", "familyName": "Lee", "formatted": "Ann Lee"},
            "emails": [{"value": "ann.home@example.net", "type": "home"}, {"value": "ann@example.com", "type": "work"}],
            "phoneNumbers": [{"value": "1"}],
            "nonsense": 3,
            ENTERPRISE_SCHEMA: {"employeeNumber": "701", "manager": "42"}
        }))
        .unwrap();
        assert_eq!(u.user_name, "ann@example.com");
        assert!(u.active);
        assert_eq!(u.email.as_deref(), Some("ann@example.com"));
        assert_eq!(u.manager.as_deref(), Some("42"));
        assert_eq!(u.shown_name(), "Ann Lee");
        assert!(ScimUser::from_json(&json!({"userName": 7})).is_err());
        assert!(ScimUser::from_json(&json!({"displayName": "x"})).is_err());
        assert!(ScimUser::from_json(&json!({"userName": "a", "active": "maybe"})).is_err());
    }

    #[test]
    fn patches_in_both_forms() {
        let mut u = ScimUser::from_json(&json!({"userName": "bob"})).unwrap();
        let ops = patch::parse(&json!({"Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "replace", "value": {"name.givenName": "Bob", format!("{ENTERPRISE_SCHEMA}:department"): "Sales"}},
            {"op": "add", "path": "emails[type eq \"work\"].value", "value": "bob@example.com"},
            {"op": "replace", "path": format!("{ENTERPRISE_SCHEMA}:manager"), "value": "9"}
        ]}))
        .unwrap();
        u.apply(&ops).unwrap();
        assert!(!u.active);
        assert_eq!(u.given_name.as_deref(), Some("Bob"));
        assert_eq!(u.department.as_deref(), Some("Sales"));
        assert_eq!(u.email.as_deref(), Some("bob@example.com"));
        assert_eq!(u.manager.as_deref(), Some("9"));
        // Another address than the work one leaves the work one alone.
        let home = patch::parse(&json!({"Operations": [
            {"op": "replace", "path": "emails[type eq \"home\"].value", "value": "bob@home.example"},
            {"op": "remove", "path": "emails[type eq \"other\"]"},
            {"op": "replace", "value": {"emails[type eq \"home\"].value": "bob@home.example"}}
        ]}))
        .unwrap();
        u.apply(&home).unwrap();
        assert_eq!(u.email.as_deref(), Some("bob@example.com"));
        // A provider's own extension is not the enterprise one.
        let acme = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
        let own = patch::parse(&json!({"Operations": [
            {"op": "replace", "path": format!("{acme}:department"), "value": "Acme dept"},
            {"op": "replace", "value": {format!("{acme}:costCode"): "7"}}
        ]}))
        .unwrap();
        u.apply(&own).unwrap();
        assert_eq!(u.department.as_deref(), Some("Sales"));
        let bad =
            patch::parse(&json!({"Operations": [{"op": "add", "path": "shoeSize", "value": 9}]}))
                .unwrap();
        assert_eq!(
            u.clone().apply(&bad).unwrap_err().scim_type,
            Some("invalidPath")
        );
        let bad =
            patch::parse(&json!({"Operations": [{"op": "remove", "path": "userName"}]})).unwrap();
        assert!(u.clone().apply(&bad).is_err());
    }

    #[test]
    fn group_membership_in_every_form() {
        let mut g =
            ScimGroup::from_json(&json!({"displayName": "Sales", "members": [{"value": "1"}]}))
                .unwrap();
        let ops = patch::parse(&json!({"Operations": [
            {"op": "Add", "path": "members", "value": [{"value": "2"}, {"value": "3"}]},
            {"op": "remove", "path": "members[value eq \"1\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "3"}]},
            {"op": "replace", "value": {"id": "g", "displayName": "Sales EU"}}
        ]}))
        .unwrap();
        g.apply(&ops).unwrap();
        assert_eq!(g.members, vec!["2".to_string()]);
        assert_eq!(g.display_name, "Sales EU");
        let clear =
            patch::parse(&json!({"Operations": [{"op": "remove", "path": "members"}]})).unwrap();
        g.apply(&clear).unwrap();
        assert!(g.members.is_empty());
    }
}
