//! Connectors to the systems Gatehouse provisions into: an LDAP directory or
//! a SCIM 2.0 application. Each opens a session with a system's settings and
//! secret, and then finds people, changes a group's members, lists them,
//! searches groups by name and says what a connection test found.
//!
//! Every change is idempotent: adding a member already present or removing
//! one already absent succeeds, so an operation repeated after a crash
//! changes nothing twice. Errors say whether trying again may help.

pub mod ldap;
pub mod scim;
pub mod webhook;

use std::time::Duration;

use crate::domain::connected_system::SystemSettings;
use crate::domain::provisioning::Failure;
use crate::domain::secret::Secret;

/// How long one call to a target may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Why an operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpError {
    /// The target is down, slow or refused for now: try again later.
    Temporary(String),
    /// Trying again cannot help until something changes (a person missing,
    /// a group gone).
    Permanent(String),
    /// The target asked to be left alone this long (`429` or `503` with
    /// `Retry-After`): the next try waits at least that.
    Wait(String, std::time::Duration),
}

impl OpError {
    pub fn message(&self) -> &str {
        match self {
            OpError::Temporary(m) | OpError::Permanent(m) | OpError::Wait(m, _) => m,
        }
    }
}

/// What the domain's retry rule reads of a target's refusal.
impl From<OpError> for Failure {
    fn from(e: OpError) -> Failure {
        match e {
            OpError::Temporary(reason) => Failure::Passing { reason, wait: None },
            OpError::Wait(reason, wait) => Failure::Passing {
                reason,
                wait: Some(wait),
            },
            OpError::Permanent(reason) => Failure::Lasting(reason),
        }
    }
}

/// How long a `Retry-After` value (RFC 9110 §10.2.3) asks to wait: seconds,
/// or an HTTP date; at most an hour, so that a bad value cannot park the
/// queue.
pub fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<std::time::Duration> {
    let value = value.trim();
    let secs = match value.parse::<u64>() {
        Ok(s) => s,
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            (at.with_timezone(&chrono::Utc) - now).num_seconds().max(0) as u64
        }
    };
    Some(std::time::Duration::from_secs(secs.min(3600)))
}

/// Words a remote system wrote, fit to keep and show: its control
/// characters (a NUL, which PostgreSQL refuses in text and would roll back the
/// batch that records it, or line breaks) become spaces, and at most 500
/// characters are kept.
pub fn remote_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(500)
        .collect()
}

/// Drops the NULs from a remote value's strings: no text column takes one,
/// and no name or id Gatehouse sends back holds one.
pub fn without_nul(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        s.replace('\0', "").into()
    } else {
        s.into()
    }
}

/// The most of a target's answer Gatehouse reads: a larger one is refused
/// rather than held in memory.
pub const MAX_ANSWER: usize = 64 << 20;

/// A response's body up to `limit` bytes, and whether that was all of it.
pub async fn body_at_most(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = limit - out.len();
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, false));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, true))
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// A person as Gatehouse knows them, to find or create in a target.
#[derive(Debug, Clone)]
pub struct Person {
    pub email: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    /// A guest: their address's local part says nothing of who they are in
    /// the target, where an employee may have it as their uid.
    pub guest: bool,
}

/// Who a person is in a target: `key` names their entry (a DN or a SCIM
/// User id), `member` is the value a group lists them by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub key: String,
    pub member: String,
}

/// A group found in a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundGroup {
    /// A DN, or a SCIM Group id.
    pub id: String,
    pub name: String,
}

/// An open session with one target.
pub enum Session {
    Ldap(Box<ldap::LdapSession>),
    Scim(scim::ScimSession),
}

impl Session {
    pub async fn open(
        settings: &SystemSettings,
        secret: &Secret<String>,
    ) -> Result<Session, OpError> {
        match settings {
            SystemSettings::Ldap(s) => Ok(Session::Ldap(Box::new(
                ldap::LdapSession::open(s, secret).await?,
            ))),
            SystemSettings::Scim(s) => Ok(Session::Scim(scim::ScimSession::open(s, secret)?)),
        }
    }

    /// Finds the person; creates them where the system allows it and
    /// `create` asks for it. `None`: not there (and not created).
    /// The entries of an LDAP directory under `base` matching `filter`
    /// (for importing people and groups); SCIM applications have none.
    pub async fn entries(
        &mut self,
        base: &str,
        filter: &str,
        attrs: Vec<String>,
    ) -> Result<Vec<(String, std::collections::HashMap<String, Vec<String>>)>, OpError> {
        match self {
            Session::Ldap(s) => s.entries(base, filter, attrs).await,
            Session::Scim(_) => Err(OpError::Permanent(
                "only LDAP directories are imported from".into(),
            )),
        }
    }

    pub async fn find_person(
        &mut self,
        p: &Person,
        create: bool,
    ) -> Result<Option<Account>, OpError> {
        match self {
            Session::Ldap(s) => s.find_person(p, create).await,
            Session::Scim(s) => s.find_person(p, create).await,
        }
    }

    /// Adds `member` to the group; present already is success. `placeholder`
    /// (LDAP) is taken out once a real member is in.
    pub async fn add_member(
        &mut self,
        group: &str,
        member: &str,
        placeholder: Option<&str>,
    ) -> Result<(), OpError> {
        match self {
            Session::Ldap(s) => s.add_member(group, member, placeholder).await,
            Session::Scim(s) => s.add_member(group, member).await,
        }
    }

    /// Removes `member` from the group; absent already is success. Where the
    /// group's schema requires a member, `placeholder` takes the last one's
    /// place.
    pub async fn remove_member(
        &mut self,
        group: &str,
        member: &str,
        placeholder: Option<&str>,
    ) -> Result<(), OpError> {
        match self {
            Session::Ldap(s) => s.remove_member(group, member, placeholder).await,
            Session::Scim(s) => s.remove_member(group, member).await,
        }
    }

    /// The group's members as the target lists them (the placeholder left out).
    pub async fn members(
        &mut self,
        group: &str,
        placeholder: Option<&str>,
    ) -> Result<Vec<String>, OpError> {
        match self {
            Session::Ldap(s) => s.members(group, placeholder).await,
            Session::Scim(s) => s.members(group).await,
        }
    }

    /// Groups whose name contains `text`, at most `limit`.
    pub async fn search_groups(
        &mut self,
        text: &str,
        limit: usize,
    ) -> Result<Vec<FoundGroup>, OpError> {
        match self {
            Session::Ldap(s) => s.search_groups(text, limit).await,
            Session::Scim(s) => s.search_groups(text, limit).await,
        }
    }

    /// The group with this id (a DN, or a SCIM Group id), if it exists.
    pub async fn group(&mut self, id: &str) -> Result<Option<FoundGroup>, OpError> {
        match self {
            Session::Ldap(s) => s.group(id).await,
            Session::Scim(s) => s.group(id).await,
        }
    }

    /// What the connection found, in words.
    pub async fn describe(&mut self) -> Result<String, OpError> {
        match self {
            Session::Ldap(s) => s.describe().await,
            Session::Scim(s) => s.describe().await,
        }
    }

    pub async fn close(self) {
        if let Session::Ldap(s) = self {
            (*s).close().await
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_is_a_passing_or_lasting_failure() {
        use super::{Failure, OpError};
        let wait = std::time::Duration::from_secs(60);
        assert_eq!(
            Failure::from(OpError::Wait("busy".into(), wait)),
            Failure::Passing {
                reason: "busy".into(),
                wait: Some(wait)
            }
        );
        assert_eq!(
            Failure::from(OpError::Temporary("down".into())),
            Failure::Passing {
                reason: "down".into(),
                wait: None
            }
        );
        assert_eq!(
            Failure::from(OpError::Permanent("no such group".into())),
            Failure::Lasting("no such group".into())
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        use super::retry_after;
        let now = "2026-12-01T10:00:00Z".parse().unwrap();
        assert_eq!(
            retry_after("120", now),
            Some(std::time::Duration::from_secs(120))
        );
        assert_eq!(
            retry_after("Tue, 01 Dec 2026 10:05:00 GMT", now),
            Some(std::time::Duration::from_secs(300))
        );
        assert_eq!(
            retry_after("99999", now),
            Some(std::time::Duration::from_secs(3600))
        );
        assert_eq!(retry_after("soon", now), None);
    }
}
