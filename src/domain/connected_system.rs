//! Connected systems: LDAP directories and SCIM 2.0 applications that
//! Gatehouse provisions the memberships it grants into.
//!
//! The settings are checked here, field by field; the secret (bind password
//! or bearer token) travels apart from them so that it is never shown again
//! and never logged.

use crate::domain::named::named_values;

use serde::{Deserialize, Serialize};

use super::secret::Secret;
use super::validation::{FieldErrors, optional_text, required_text};

named_values! {
    /// What kind of system it is, and so which connector reaches it.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum SystemKind {
        Ldap = ("ldap", "LDAP directory"),
        Scim = ("scim", "SCIM 2.0 application"),
    }
}

named_values! {
    /// What reconciliation does with the differences it finds.
    pub enum ReconcileMode {
        /// Shows them and changes nothing (the default).
        Report = ("report", "Report only"),
        /// Adds the members Gatehouse grants that the target lacks.
        AddMissing = ("addMissing", "Add what is missing"),
        /// Also removes members Gatehouse did not grant.
        AddAndRemove = ("addAndRemove", "Add what is missing and remove members Gatehouse did not grant"),
    }
}

named_values! {
    /// A run of a system's daily work that an administrator asked for now:
    /// a job runs it, since it reads the whole target.
    pub enum SystemRun {
        /// "Reconcile now": linked groups compared with what Gatehouse grants.
        Reconcile = ("reconcile", "Reconciliation"),
        /// "Sync now": people and groups imported from an LDAP directory.
        Import = ("import", "Import"),
    }
}

/// The attribute that finds a person's entry in an LDAP directory.
pub const LDAP_MATCH_ATTRIBUTES: [&str; 3] = ["mail", "uid", "userPrincipalName"];
/// The attribute that lists a group's members.
pub const LDAP_MEMBER_ATTRIBUTES: [&str; 3] = ["member", "uniqueMember", "memberUid"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapSettings {
    /// `ldap://host[:port]` or `ldaps://host[:port]`.
    pub url: String,
    /// StartTLS on an `ldap://` URL before binding.
    pub starttls: bool,
    pub bind_dn: String,
    pub users_base: String,
    /// `mail`, `uid` or `userPrincipalName`.
    pub match_attribute: String,
    pub groups_base: String,
    /// `member`, `uniqueMember` (values are DNs) or `memberUid` (uids).
    pub member_attribute: String,
    /// Where entries for people not found are created; none: they are not.
    pub guests_base: Option<String>,
    /// The naming attribute of created entries: `cn`, `uid` or `mail`.
    pub guest_rdn: String,
    /// Kept as the member of a group whose schema requires one
    /// (`groupOfNames`) when the last person leaves.
    pub placeholder: Option<String>,
    /// Importing people and groups from the directory into Gatehouse.
    /// (Boxed: it is larger than everything else the settings hold.)
    #[serde(default)]
    pub import: Box<super::directory_import::ImportSettings>,
}

impl LdapSettings {
    /// Whether member values are DNs (else bare uids).
    pub fn members_are_dns(&self) -> bool {
        self.member_attribute != "memberUid"
    }
}

/// How a person is found in a SCIM application.
pub const SCIM_MATCH: [&str; 2] = ["userName", "email"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimSettings {
    /// The base URL under which `/Users` and `/Groups` live.
    pub base_url: String,
    /// `userName` or `email` (the primary email).
    pub match_by: String,
    /// Whether a person not found is created (`POST /Users`).
    pub create_users: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SystemSettings {
    Ldap(LdapSettings),
    Scim(ScimSettings),
}

impl SystemSettings {
    pub fn kind(&self) -> SystemKind {
        match self {
            SystemSettings::Ldap(_) => SystemKind::Ldap,
            SystemSettings::Scim(_) => SystemKind::Scim,
        }
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    pub fn from_json(s: &str) -> Result<SystemSettings, String> {
        serde_json::from_str(s).map_err(|e| format!("unreadable settings: {e}"))
    }
}

/// A connected system as the form describes it. Not `Debug`: it holds the
/// typed secret.
#[derive(Clone)]
pub struct SystemProfile {
    pub display_name: String,
    pub settings: SystemSettings,
    pub reconcile: ReconcileMode,
    /// `None` keeps the stored one (on edit).
    pub secret: Option<Secret<String>>,
}

/// The form's fields, as typed.
#[derive(Clone, Default)]
pub struct SystemInput {
    pub kind: String,
    pub display_name: String,
    pub reconcile: String,
    pub secret: String,
    pub ldap_url: String,
    pub ldap_starttls: bool,
    pub ldap_bind_dn: String,
    pub ldap_users_base: String,
    pub ldap_match_attribute: String,
    pub ldap_groups_base: String,
    pub ldap_member_attribute: String,
    pub ldap_guests_base: String,
    pub ldap_guest_rdn: String,
    pub ldap_placeholder: String,
    pub ldap_import: bool,
    pub ldap_import_users_filter: String,
    pub ldap_import_groups_filter: String,
    pub ldap_import_map: String,
    pub scim_base_url: String,
    pub scim_match_by: String,
    pub scim_create_users: bool,
}

impl SystemProfile {
    pub fn parse(input: &SystemInput) -> Result<SystemProfile, FieldErrors> {
        let mut e = FieldErrors::new();
        let display_name = e.check(
            "display_name",
            required_text(&input.display_name, "Name", 256),
        );
        let reconcile = ReconcileMode::parse(&input.reconcile);
        if reconcile.is_none() {
            e.add("reconcile", "Choose what reconciliation does.");
        }
        let secret = e
            .check("secret", optional_text(&input.secret, "The secret", 2000))
            .flatten();
        let settings = match SystemKind::parse(&input.kind) {
            Some(SystemKind::Ldap) => parse_ldap(input, &mut e).map(SystemSettings::Ldap),
            Some(SystemKind::Scim) => parse_scim(input, &mut e).map(SystemSettings::Scim),
            None => {
                e.add("kind", "Choose LDAP or SCIM 2.0.");
                None
            }
        };
        match (display_name, reconcile, settings) {
            (Some(display_name), Some(reconcile), Some(settings)) if e.is_empty() => {
                Ok(SystemProfile {
                    display_name,
                    settings,
                    reconcile,
                    secret: secret.map(Secret::new),
                })
            }
            _ => Err(e),
        }
    }
}

fn parse_ldap(i: &SystemInput, e: &mut FieldErrors) -> Option<LdapSettings> {
    let url = e.check("ldap_url", ldap_url(&i.ldap_url));
    if let Some(u) = &url {
        if u.starts_with("ldaps://") && i.ldap_starttls {
            e.add(
                "ldap_starttls",
                "StartTLS is for ldap:// URLs; an ldaps:// URL is TLS from the start.",
            );
        }
    }
    let bind_dn = e.check("ldap_bind_dn", dn(&i.ldap_bind_dn, "The bind DN"));
    let users_base = e.check(
        "ldap_users_base",
        dn(&i.ldap_users_base, "The users' base DN"),
    );
    let groups_base = e.check(
        "ldap_groups_base",
        dn(&i.ldap_groups_base, "The groups' base DN"),
    );
    let match_attribute = one_of(
        e,
        "ldap_match_attribute",
        &i.ldap_match_attribute,
        &LDAP_MATCH_ATTRIBUTES,
    );
    let member_attribute = one_of(
        e,
        "ldap_member_attribute",
        &i.ldap_member_attribute,
        &LDAP_MEMBER_ATTRIBUTES,
    );
    let guests_base = if i.ldap_guests_base.trim().is_empty() {
        Some(None)
    } else {
        e.check(
            "ldap_guests_base",
            dn(&i.ldap_guests_base, "Where guests are created"),
        )
        .map(Some)
    };
    let guest_rdn = one_of(
        e,
        "ldap_guest_rdn",
        &i.ldap_guest_rdn,
        &["cn", "uid", "mail"],
    );
    let placeholder = if i.ldap_placeholder.trim().is_empty() {
        Some(None)
    } else if i.ldap_member_attribute == "memberUid" {
        // memberUid groups (posixGroup) may be empty.
        e.add(
            "ldap_placeholder",
            "Groups listing memberUid may be empty; leave the placeholder empty.",
        );
        None
    } else {
        e.check(
            "ldap_placeholder",
            dn(&i.ldap_placeholder, "The placeholder member"),
        )
        .map(Some)
    };
    let import = super::directory_import::ImportSettings::parse(
        i.ldap_import,
        &i.ldap_import_users_filter,
        &i.ldap_import_groups_filter,
        &i.ldap_import_map,
        e,
    );
    Some(LdapSettings {
        import: Box::new(import?),
        url: url?,
        starttls: i.ldap_starttls,
        bind_dn: bind_dn?,
        users_base: users_base?,
        match_attribute: match_attribute?,
        groups_base: groups_base?,
        member_attribute: member_attribute?,
        guests_base: guests_base?,
        guest_rdn: guest_rdn?,
        placeholder: placeholder?,
    })
}

fn parse_scim(i: &SystemInput, e: &mut FieldErrors) -> Option<ScimSettings> {
    let base_url = e.check("scim_base_url", scim_url(&i.scim_base_url));
    let match_by = one_of(e, "scim_match_by", &i.scim_match_by, &SCIM_MATCH);
    Some(ScimSettings {
        base_url: base_url?,
        match_by: match_by?,
        create_users: i.scim_create_users,
    })
}

fn one_of(e: &mut FieldErrors, field: &str, value: &str, allowed: &[&str]) -> Option<String> {
    match allowed.iter().find(|a| **a == value.trim()) {
        Some(a) => Some(a.to_string()),
        None => {
            e.add(field, format!("Choose one of {}.", allowed.join(", ")));
            None
        }
    }
}

/// An `ldap://` or `ldaps://` URL with a host and nothing after it.
pub fn ldap_url(raw: &str) -> Result<String, String> {
    let raw = required_text(raw, "The URL", 2000)?;
    let u = url::Url::parse(&raw)
        .map_err(|_| "Enter a URL such as ldaps://ldap.example.com:636.".to_string())?;
    if !matches!(u.scheme(), "ldap" | "ldaps") {
        return Err("The URL must start with ldap:// or ldaps://.".into());
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("The URL needs a host name.".into());
    }
    if !matches!(u.path(), "" | "/") || u.query().is_some() {
        return Err(
            "Give only the server, e.g. ldaps://ldap.example.com; base DNs have their own fields."
                .into(),
        );
    }
    Ok(raw.trim_end_matches('/').to_string())
}

/// An `https://` URL, or `http://` to a loopback address (a test server on
/// the same machine); a bearer token never crosses a network in the clear.
pub fn scim_url(raw: &str) -> Result<String, String> {
    let raw = required_text(raw, "The base URL", 2000)?;
    let u = url::Url::parse(&raw)
        .map_err(|_| "Enter a URL such as https://app.example.com/scim/v2.".to_string())?;
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    };
    match u.scheme() {
        "https" if u.host().is_some() => {}
        "http" if loopback => {}
        "http" => {
            return Err("Use https://; plain http:// only to this machine (localhost).".into());
        }
        _ => return Err("The base URL must start with https://.".into()),
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err("The base URL cannot have a query or fragment.".into());
    }
    Ok(raw.trim_end_matches('/').to_string())
}

/// A distinguished name (RFC 4514): attribute=value pairs separated by
/// unescaped commas, each value with its special characters escaped.
pub fn dn(raw: &str, what: &str) -> Result<String, String> {
    let raw = required_text(raw, what, 2000)?;
    let rdns =
        split_unescaped(&raw, ',').ok_or_else(|| format!("{what} ends in a lone backslash."))?;
    for rdn in &rdns {
        for ava in split_unescaped(rdn, '+').unwrap_or_default() {
            let Some((attr, value)) = ava.split_once('=') else {
                return Err(format!(
                    "{what} must be attribute=value pairs separated by commas, e.g. ou=groups,dc=example,dc=com."
                ));
            };
            let attr = attr.trim();
            let valid_attr = !attr.is_empty()
                && (attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && attr.starts_with(|c: char| c.is_ascii_alphabetic())
                    || attr.chars().all(|c| c.is_ascii_digit() || c == '.'));
            if !valid_attr {
                return Err(format!("{what}: \"{attr}\" is not an attribute name."));
            }
            if value.trim().is_empty() {
                return Err(format!("{what}: {attr}= needs a value."));
            }
            if has_unescaped(value, &['"', '<', '>', ';', '=']) {
                return Err(format!(
                    "{what}: the value of {attr} has a special character; escape it with a backslash (RFC 4514)."
                ));
            }
        }
    }
    Ok(raw)
}

/// Splits at `sep` where it is not escaped by a backslash; `None` when the
/// text ends in a lone backslash.
fn split_unescaped(s: &str, sep: char) -> Option<Vec<String>> {
    let mut parts = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let next = chars.next()?;
            let last = parts.last_mut()?;
            last.push(c);
            last.push(next);
        } else if c == sep {
            parts.push(String::new());
        } else {
            parts.last_mut()?.push(c);
        }
    }
    Some(parts)
}

fn has_unescaped(s: &str, specials: &[char]) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if specials.contains(&c) {
            return true;
        }
    }
    false
}

/// What "Test connection" found, or what failed, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutcome {
    pub ok: bool,
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ldap_input() -> SystemInput {
        SystemInput {
            kind: "ldap".into(),
            display_name: "Corporate LDAP".into(),
            reconcile: "report".into(),
            secret: "s3cret".into(),
            ldap_url: "ldaps://ldap.example.com:636".into(),
            ldap_bind_dn: "cn=gatehouse,ou=services,dc=example,dc=com".into(),
            ldap_users_base: "ou=people,dc=example,dc=com".into(),
            ldap_match_attribute: "mail".into(),
            ldap_groups_base: "ou=groups,dc=example,dc=com".into(),
            ldap_member_attribute: "member".into(),
            ldap_guest_rdn: "cn".into(),
            ..Default::default()
        }
    }

    #[test]
    fn ldap_settings_are_checked_field_by_field() {
        let p = SystemProfile::parse(&ldap_input()).ok().unwrap();
        assert_eq!(p.settings.kind(), SystemKind::Ldap);
        let mut bad = ldap_input();
        bad.ldap_url = "http://ldap.example.com".into();
        bad.ldap_users_base = "people".into();
        bad.ldap_groups_base = "ou=a;b,dc=x".into();
        bad.ldap_member_attribute = "members".into();
        let e = SystemProfile::parse(&bad).err().unwrap();
        assert!(e.get("ldap_url").unwrap().contains("ldap://"));
        assert!(
            e.get("ldap_users_base")
                .unwrap()
                .contains("attribute=value")
        );
        assert!(e.get("ldap_groups_base").unwrap().contains("escape"));
        assert!(e.get("ldap_member_attribute").is_some());
        let mut tls = ldap_input();
        tls.ldap_starttls = true;
        assert!(
            SystemProfile::parse(&tls)
                .err()
                .unwrap()
                .get("ldap_starttls")
                .is_some()
        );
    }

    #[test]
    fn escaped_dns_are_accepted() {
        assert!(dn(r"cn=Smith\, John,ou=Staff,dc=example,dc=com", "DN").is_ok());
        assert!(dn(r"cn=x\2a,dc=example", "DN").is_ok());
        assert!(dn(r"cn=x\", "DN").is_err());
    }

    #[test]
    fn scim_urls_are_https_or_loopback() {
        assert!(
            scim_url("https://app.example.com/scim/v2/").unwrap()
                == "https://app.example.com/scim/v2"
        );
        assert!(scim_url("http://127.0.0.1:8081").is_ok());
        assert!(scim_url("http://app.example.com/scim").is_err());
        assert!(scim_url("ftp://x").is_err());
    }
}
