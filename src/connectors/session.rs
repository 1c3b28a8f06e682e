//! An open session with one target, whichever kind it is: each operation is
//! passed to that kind's connector.

use super::entries::{Account, FoundGroup, Person};
use super::remote::OpError;
use super::{ldap, scim};
use crate::domain::connected_system::SystemSettings;
use crate::domain::secret::Secret;

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

    /// Finds the person; creates them where the system allows it and
    /// `create` asks for it. `None`: not there (and not created).
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
