//! Importing people and groups from an LDAP directory: which entries, how
//! their attributes map to a person, and what one entry becomes (or why it
//! cannot be imported). The import itself runs in the service.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::user::Email;
use super::validation::FieldErrors;

/// What an import reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportSettings {
    /// Import on a schedule (daily) and on "Sync now".
    pub enabled: bool,
    /// An LDAP filter (RFC 4515) for people under the users' base.
    pub users_filter: String,
    /// An LDAP filter for groups under the groups' base.
    pub groups_filter: String,
    pub map: AttributeMap,
}

impl Default for ImportSettings {
    fn default() -> Self {
        ImportSettings {
            enabled: false,
            users_filter: "(objectClass=inetOrgPerson)".into(),
            groups_filter: "(objectClass=groupOfNames)".into(),
            map: AttributeMap::default(),
        }
    }
}

/// Which LDAP attribute fills each of a person's fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttributeMap {
    pub email: String,
    pub given_name: String,
    pub surname: String,
    pub display_name: String,
    pub job_title: String,
    pub department: String,
    pub employee_number: String,
    /// A DN: the manager's entry, resolved to the manager link.
    pub manager: String,
}

impl Default for AttributeMap {
    fn default() -> Self {
        AttributeMap {
            email: "mail".into(),
            given_name: "givenName".into(),
            surname: "sn".into(),
            display_name: "displayName".into(),
            job_title: "title".into(),
            department: "department".into(),
            employee_number: "employeeNumber".into(),
            manager: "manager".into(),
        }
    }
}

const FIELDS: [&str; 8] = [
    "email",
    "given_name",
    "surname",
    "display_name",
    "job_title",
    "department",
    "employee_number",
    "manager",
];

impl AttributeMap {
    fn slot(&mut self, field: &str) -> Option<&mut String> {
        Some(match field {
            "email" => &mut self.email,
            "given_name" => &mut self.given_name,
            "surname" => &mut self.surname,
            "display_name" => &mut self.display_name,
            "job_title" => &mut self.job_title,
            "department" => &mut self.department,
            "employee_number" => &mut self.employee_number,
            "manager" => &mut self.manager,
            _ => return None,
        })
    }

    /// The mapping as it is typed: `field=attribute` per line.
    pub fn to_text(&self) -> String {
        let mut m = self.clone();
        FIELDS
            .iter()
            .map(|f| format!("{f}={}", m.slot(f).map(|s| s.as_str()).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// From `field=attribute` lines; fields not named keep their default.
    pub fn parse(text: &str) -> Result<AttributeMap, String> {
        let mut m = AttributeMap::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some((field, attr)) = line.split_once('=') else {
                return Err(format!(
                    "Write each line as field=attribute, e.g. email=mail (not “{line}”)."
                ));
            };
            let (field, attr) = (field.trim(), attr.trim());
            let valid = !attr.is_empty()
                && attr.len() <= 64
                && attr.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && attr
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ';');
            if !valid {
                return Err(format!("“{attr}” is not an LDAP attribute name."));
            }
            let slot = m.slot(field).ok_or_else(|| {
                format!(
                    "“{field}” is not a field; use one of {}.",
                    FIELDS.join(", ")
                )
            })?;
            *slot = attr.to_string();
        }
        Ok(m)
    }

    /// Every attribute an import reads.
    pub fn attributes(&self) -> Vec<String> {
        let mut m = self.clone();
        let mut a: Vec<String> = FIELDS
            .iter()
            .filter_map(|f| m.slot(f).map(|s| s.clone()))
            .collect();
        a.push("cn".into());
        a.sort();
        a.dedup();
        a
    }
}

/// A filter as RFC 4515 has it, checked for its shape: in parentheses,
/// balanced, not empty. The directory says what else is wrong.
pub fn filter(raw: &str, what: &str) -> Result<String, String> {
    let f = raw.trim();
    let mut depth = 0i32;
    let mut balanced = f.starts_with('(') && f.ends_with(')');
    for c in f.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    balanced = false;
                }
            }
            _ => {}
        }
    }
    if f.len() < 3 || !balanced || depth != 0 || f.len() > 1024 {
        return Err(format!(
            "{what} must be an LDAP filter in parentheses, such as (objectClass=inetOrgPerson)."
        ));
    }
    Ok(f.to_string())
}

impl ImportSettings {
    pub fn parse(
        enabled: bool,
        users_filter: &str,
        groups_filter: &str,
        map: &str,
        e: &mut FieldErrors,
    ) -> Option<ImportSettings> {
        // Empty: the default filter.
        let d = ImportSettings::default();
        let or = |v: &str, default: String| {
            if v.trim().is_empty() {
                default
            } else {
                v.to_string()
            }
        };
        let users_filter = e.check(
            "ldap_import_users_filter",
            filter(&or(users_filter, d.users_filter), "The people filter"),
        );
        let groups_filter = e.check(
            "ldap_import_groups_filter",
            filter(&or(groups_filter, d.groups_filter), "The groups filter"),
        );
        let map = e.check("ldap_import_map", AttributeMap::parse(map));
        Some(ImportSettings {
            enabled,
            users_filter: users_filter?,
            groups_filter: groups_filter?,
            map: map?,
        })
    }
}

/// A person as an entry describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedPerson {
    /// The entry's DN, lower-cased: the person's external id.
    pub dn: String,
    pub email: Email,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub employee_number: Option<String>,
    /// The manager's DN, lower-cased.
    pub manager: Option<String>,
}

/// What an entry (its attributes by lower-cased name) becomes, or why it
/// cannot be imported.
pub fn person(
    map: &AttributeMap,
    dn: &str,
    attrs: &HashMap<String, Vec<String>>,
) -> Result<ImportedPerson, String> {
    let get = |name: &str| -> Option<String> {
        attrs
            .get(&name.to_ascii_lowercase())
            .and_then(|v| v.first())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
            .map(|s| s.chars().take(256).collect())
    };
    let raw = get(&map.email).ok_or_else(|| format!("it has no {} (the address)", map.email))?;
    let email =
        Email::parse(&raw).map_err(|_| format!("its {} “{raw}” is not an address", map.email))?;
    let given_name = get(&map.given_name);
    let surname = get(&map.surname);
    let display_name = get(&map.display_name)
        .or_else(|| get("cn"))
        .or_else(|| match (&given_name, &surname) {
            (Some(g), Some(s)) => Some(format!("{g} {s}")),
            _ => None,
        })
        .unwrap_or_else(|| {
            email
                .as_str()
                .split('@')
                .next()
                .unwrap_or_default()
                .to_string()
        });
    Ok(ImportedPerson {
        dn: dn.to_lowercase(),
        email,
        display_name,
        given_name,
        surname,
        job_title: get(&map.job_title),
        department: get(&map.department),
        employee_number: get(&map.employee_number),
        manager: get(&map.manager).map(|m| m.to_lowercase()),
    })
}

/// How many things a run created, changed, left as they were, and found gone.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// What a run found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The run could not read the directory: why.
    pub error: Option<String>,
    pub people: Counts,
    pub groups: Counts,
    /// Entries not imported: (DN, why).
    pub skipped: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_defaults_overrides_and_errors() {
        let m = AttributeMap::parse("department=departmentNumber\n\nemail = userPrincipalName")
            .unwrap();
        assert_eq!(m.department, "departmentNumber");
        assert_eq!(m.email, "userPrincipalName");
        assert_eq!(m.surname, "sn");
        assert!(AttributeMap::parse("shoe=size").is_err());
        assert!(AttributeMap::parse("email").is_err());
        assert!(AttributeMap::parse("email=ma il").is_err());
        assert_eq!(AttributeMap::parse(&m.to_text()).unwrap(), m);
    }

    #[test]
    fn filters_must_be_balanced() {
        assert!(filter("(objectClass=person)", "x").is_ok());
        assert!(filter("(&(a=b)(c=d))", "x").is_ok());
        for bad in ["", "objectClass=person", "(a=b", "(a=b))(", "()"] {
            assert!(filter(bad, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn entries_become_people_or_say_why_not() {
        let attrs = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), vec![v.to_string()]))
                .collect::<HashMap<_, _>>()
        };
        let m = AttributeMap::default();
        let p = person(
            &m,
            "UID=Ann,ou=People",
            &attrs(&[
                ("mail", "ann@example.com"),
                ("cn", "Ann Lee"),
                ("manager", "UID=Bob,ou=People"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (p.dn.as_str(), p.display_name.as_str()),
            ("uid=ann,ou=people", "Ann Lee")
        );
        assert_eq!(p.manager.as_deref(), Some("uid=bob,ou=people"));
        assert!(
            person(&m, "uid=x", &attrs(&[("cn", "X")]))
                .unwrap_err()
                .contains("no mail")
        );
        assert!(
            person(&m, "uid=x", &attrs(&[("mail", "not mail")]))
                .unwrap_err()
                .contains("not an address")
        );
    }
}
