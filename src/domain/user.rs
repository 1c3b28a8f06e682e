//! Users of the directory: members and guests.

use crate::domain::named::named_values;

use std::collections::BTreeMap;
use std::fmt;

use super::ids::UserId;
use super::validation::{FieldErrors, optional_text, required_text};

/// A mail address, lower-cased for comparison but kept as typed for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let v = raw.trim();
        if v.is_empty() {
            return Err("Email is required.".into());
        }
        if v.len() > 254 {
            return Err("Email must be at most 254 characters.".into());
        }
        let Some((local, domain)) = v.rsplit_once('@') else {
            return Err("Email must look like name@example.com.".into());
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',');
        if !domain_ok || !local_ok {
            return Err("Email must look like name@example.com.".into());
        }
        Ok(Email(v.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
    pub fn domain(&self) -> String {
        self.0
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .unwrap_or_default()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

named_values! {
    /// Graph `userType`.
    pub enum UserType {
        Member = ("member", "Member"),
        Guest = ("guest", "Guest"),
    }
}

named_values! {
    /// Whether the user may sign in.
    pub enum UserState {
        Active = ("active", "Active"),
        /// Cannot sign in or request access.
        Blocked = ("blocked", "Blocked"),
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    pub user_type: UserType,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub email: String,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<UserId>,
    pub custom_attributes: BTreeMap<String, String>,
    pub state: UserState,
    /// Created by Gatehouse for a request, so the guest lifecycle governs it.
    pub governed: bool,
    pub connected_organization_id: Option<String>,
}

impl User {
    pub fn is_guest(&self) -> bool {
        self.user_type == UserType::Guest
    }
    pub fn is_blocked(&self) -> bool {
        self.state == UserState::Blocked
    }
    /// The value of a built-in or custom attribute, empty when unset.
    pub fn attribute(&self, name: &str) -> String {
        match name {
            "givenName" => self.given_name.clone(),
            "surname" => self.surname.clone(),
            "jobTitle" => self.job_title.clone(),
            "department" => self.department.clone(),
            "displayName" => Some(self.display_name.clone()),
            other => self.custom_attributes.get(other).cloned(),
        }
        .unwrap_or_default()
    }
}

/// The editable profile of a user, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct UserProfile {
    pub user_type: UserType,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub email: Email,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub custom_attributes: BTreeMap<String, String>,
    pub state: UserState,
}

/// What a user form sends, before validation.
#[derive(Clone, Debug, Default)]
pub struct UserInput {
    pub user_type: String,
    pub display_name: String,
    pub given_name: String,
    pub surname: String,
    pub email: String,
    pub job_title: String,
    pub department: String,
    pub custom_attributes: String,
    pub state: String,
}

pub const NAME_MAX: usize = 256;

/// Built-in attribute names; a custom attribute may not reuse them.
pub const BUILT_IN_ATTRIBUTES: &[&str] = &[
    "displayName",
    "givenName",
    "surname",
    "mail",
    "jobTitle",
    "department",
    "manager",
    "userType",
];

impl UserProfile {
    /// A new active user with a name and an address and nothing else yet (a
    /// guest made for an assignment; sign-in adds the given and family
    /// names): the name trimmed, at most 256 characters.
    pub fn named(user_type: UserType, display_name: &str, email: Email) -> UserProfile {
        UserProfile {
            user_type,
            display_name: display_name.trim().chars().take(256).collect(),
            given_name: None,
            surname: None,
            email,
            job_title: None,
            department: None,
            custom_attributes: Default::default(),
            state: UserState::Active,
        }
    }

    pub fn parse(input: &UserInput) -> Result<UserProfile, FieldErrors> {
        let mut errors = FieldErrors::new();
        let user_type = UserType::parse(&input.user_type);
        if user_type.is_none() {
            errors.add("user_type", "Choose member or guest.");
        }
        let state = if input.state.is_empty() {
            Some(UserState::Active)
        } else {
            UserState::parse(&input.state)
        };
        if state.is_none() {
            errors.add("state", "Choose active or blocked.");
        }
        let display_name = errors.check(
            "display_name",
            required_text(&input.display_name, "Display name", NAME_MAX),
        );
        let given_name = errors.check(
            "given_name",
            optional_text(&input.given_name, "First name", NAME_MAX),
        );
        let surname = errors.check(
            "surname",
            optional_text(&input.surname, "Last name", NAME_MAX),
        );
        let email = errors.check("email", Email::parse(&input.email));
        let job_title = errors.check(
            "job_title",
            optional_text(&input.job_title, "Job title", NAME_MAX),
        );
        let department = errors.check(
            "department",
            optional_text(&input.department, "Department", NAME_MAX),
        );
        let custom_attributes = errors.check(
            "custom_attributes",
            parse_custom_attributes(&input.custom_attributes),
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        // Every Option is Some when no error was recorded.
        match (
            user_type,
            state,
            display_name,
            given_name,
            surname,
            email,
            job_title,
            department,
            custom_attributes,
        ) {
            (
                Some(user_type),
                Some(state),
                Some(display_name),
                Some(given_name),
                Some(surname),
                Some(email),
                Some(job_title),
                Some(department),
                Some(custom_attributes),
            ) => Ok(UserProfile {
                user_type,
                display_name,
                given_name,
                surname,
                email,
                job_title,
                department,
                custom_attributes,
                state,
            }),
            _ => Err(errors),
        }
    }
}

/// `name=value` per line; names are letters, digits and `_`, start with a letter.
pub fn parse_custom_attributes(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!(
                "Line {}: write each attribute as name=value.",
                n + 1
            ));
        };
        let name = name.trim();
        validate_attribute_name(name).map_err(|m| format!("Line {}: {m}", n + 1))?;
        if BUILT_IN_ATTRIBUTES
            .iter()
            .any(|b| b.eq_ignore_ascii_case(name))
        {
            return Err(format!(
                "Line {}: `{name}` is a built-in attribute; use its own field.",
                n + 1
            ));
        }
        let value = unescape_value(value.trim()).map_err(|m| format!("Line {}: {m}", n + 1))?;
        if out.insert(name.to_string(), value).is_some() {
            return Err(format!("Line {}: `{name}` is given twice.", n + 1));
        }
    }
    Ok(out)
}

pub fn validate_attribute_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!(
            "`{name}` is not an attribute name (letters, digits and _, starting with a letter, at most 64)."
        ));
    }
    Ok(())
}

pub fn format_custom_attributes(attrs: &BTreeMap<String, String>) -> String {
    attrs
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_value(v)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A value on its one line: a line break (a long-text answer's) is written
/// `\n`, and a backslash `\\`, so that every value reads back as it was.
fn escape_value(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The longest custom attribute value (SCIM's longest text).
const MAX_CUSTOM_VALUE: usize = 1_024;

/// The value a line holds, its `\n` a line break and `\\` a backslash;
/// any other backslash is refused rather than read as something else, as
/// are control characters but line breaks and tabs.
fn unescape_value(v: &str) -> Result<String, String> {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('\\') => out.push('\\'),
                _ => return Err("write a backslash as \\\\ (and a line break as \\n).".into()),
            },
            c if c.is_control() && c != '\t' => {
                return Err("control characters are not allowed in a value.".into());
            }
            c => out.push(c),
        }
    }
    if out.chars().count() > MAX_CUSTOM_VALUE {
        return Err(format!(
            "a value has at most {MAX_CUSTOM_VALUE} characters."
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_needs_a_domain_with_a_dot() {
        assert!(Email::parse("a@b.test").is_ok());
        assert!(Email::parse("a@b").is_err());
        assert!(Email::parse("ab.test").is_err());
        assert!(Email::parse("a b@c.test").is_err());
        assert_eq!(
            Email::parse("A@Contoso.COM").unwrap().domain(),
            "contoso.com"
        );
    }

    #[test]
    fn custom_attributes_parse_line_by_line() {
        let a = parse_custom_attributes("costCenter=42\n\nbadge = B-7").unwrap();
        assert_eq!(a.get("costCenter").unwrap(), "42");
        assert_eq!(a.get("badge").unwrap(), "B-7");
        assert!(parse_custom_attributes("nonsense").is_err());
        // A long-text value's lines, and backslashes, read back as they were.
        let lines: BTreeMap<String, String> = [
            ("site".to_string(), "CC-7\nNorth wing".to_string()),
            ("share".to_string(), r"\\srv\new".to_string()),
        ]
        .into();
        let written = format_custom_attributes(&lines);
        assert_eq!(written.lines().count(), 2, "{written}");
        assert_eq!(parse_custom_attributes(&written).unwrap(), lines);
        // A lone backslash is refused, not read as something else.
        assert!(parse_custom_attributes(r"path=C:\temp").is_err());
        assert!(parse_custom_attributes(&format!("long={}", "x".repeat(1_025))).is_err());
        assert!(parse_custom_attributes("jobTitle=x").is_err());
        assert!(parse_custom_attributes("a=1\na=2").is_err());
        assert!(parse_custom_attributes("1a=1").is_err());
    }

    #[test]
    fn profile_reports_each_bad_field() {
        let e = UserProfile::parse(&UserInput {
            user_type: "robot".into(),
            email: "x".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.get("user_type").is_some());
        assert!(e.get("display_name").is_some());
        assert!(e.get("email").is_some());
    }
}

/// Someone signed in whose identity is not (yet) a directory user: a guest to
/// be, from a connected organization's identity provider or an emailed code.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExternalIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: String,
    pub display_name: String,
    /// The connected organization whose identity provider signed them in.
    pub connected_organization: Option<String>,
}

/// The issuer of identities proven by a one-time code sent by email; the
/// subject is the lower-cased address.
pub const EMAIL_CODE_ISSUER: &str = "urn:gatehouse:email-one-time-code";

/// The issuer of identities made up in demo mode; refused outside it.
pub const DEMO_GUEST_ISSUER: &str = "urn:gatehouse:demo-guest";

/// Whoever uses My Access: a directory user, or someone not yet in it.
#[derive(Clone, Debug)]
pub enum Person {
    User(User),
    External(ExternalIdentity),
}

impl Person {
    pub fn user(&self) -> Option<&User> {
        match self {
            Person::User(u) => Some(u),
            Person::External(_) => None,
        }
    }
    pub fn email(&self) -> &str {
        match self {
            Person::User(u) => &u.email,
            Person::External(e) => &e.email,
        }
    }
    pub fn display_name(&self) -> &str {
        match self {
            Person::User(u) => &u.display_name,
            Person::External(e) => &e.display_name,
        }
    }
}

/// A person an identity provider keeps is changed there: here only their
/// user type and custom attributes may change (the provider would undo the
/// rest at its next push). The fields that changed anyway, each with why.
pub fn synced_changes(before: &User, p: &UserProfile, manager: Option<&UserId>) -> FieldErrors {
    let mut e = FieldErrors::new();
    let said =
        "Kept where this person comes from (the identity provider or directory): change it there.";
    if before.display_name != p.display_name {
        e.add("display_name", said);
    }
    if before.given_name != p.given_name {
        e.add("given_name", said);
    }
    if before.surname != p.surname {
        e.add("surname", said);
    }
    if !before.email.eq_ignore_ascii_case(p.email.as_str()) {
        e.add("email", said);
    }
    if before.job_title != p.job_title {
        e.add("job_title", said);
    }
    if before.department != p.department {
        e.add("department", said);
    }
    if before.manager_id.as_ref() != manager {
        e.add("manager_email", said);
    }
    if before.state != p.state {
        e.add("state", said);
    }
    e
}

/// How a sign-in through the home identity provider finds a person an
/// identity provider pushed (SCIM) before their first sign-in: by a claim
/// of the ID token matched with what the provider sent, else by verified
/// email.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkClaim {
    /// The verified address only.
    #[default]
    Email,
    /// `sub`, matched with the user's externalId.
    Sub,
    /// Entra ID's `oid` (the object id), matched with the externalId.
    Oid,
    /// `preferred_username`, matched with the userName.
    PreferredUsername,
}

impl LinkClaim {
    pub fn parse(s: &str) -> Option<LinkClaim> {
        Some(match s.trim() {
            "email" => LinkClaim::Email,
            "sub" => LinkClaim::Sub,
            "oid" => LinkClaim::Oid,
            "preferred_username" => LinkClaim::PreferredUsername,
            _ => return None,
        })
    }
    /// The name `parse` reads, as the audit log stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkClaim::Email => "email",
            LinkClaim::Sub => "sub",
            LinkClaim::Oid => "oid",
            LinkClaim::PreferredUsername => "preferred_username",
        }
    }
    /// What matched, as the audit log shows it.
    pub fn label(self) -> &'static str {
        match self {
            LinkClaim::Email => "verified email address",
            LinkClaim::Sub => "subject (sub) and external id",
            LinkClaim::Oid => "object id (oid) and external id",
            LinkClaim::PreferredUsername => "preferred_username and user name",
        }
    }
}
