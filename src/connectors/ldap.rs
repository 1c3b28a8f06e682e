//! LDAP directories (OpenLDAP, Active Directory, FreeIPA): people found by
//! the match attribute, membership in the group's member attribute.
//!
//! Every value put into a DN is escaped per RFC 4514 and every value put
//! into a filter per RFC 4515, so a name such as `*)(uid=*` or
//! `cn=x,ou=admins` is only ever text.

use std::collections::HashSet;

use ldap3::adapters::{EntriesOnly, PagedResults};
use ldap3::result::LdapError;
use ldap3::{
    Ldap, LdapConnAsync, LdapConnSettings, Mod, Scope, SearchEntry, dn_escape, ldap_escape,
};

use super::entries::{Account, FoundGroup, Person};
use super::remote::{OpError, TIMEOUT};
use crate::domain::connected_system::LdapSettings;
use crate::domain::secret::Secret;
use crate::domain::validation::thousands;

/// The object classes a group entry may have.
const GROUP_FILTER: &str = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)(objectClass=group))";

// LDAP result codes (RFC 4511 appendix A) the connector acts on.
const NO_SUCH_ATTRIBUTE: u32 = 16;
const ATTRIBUTE_OR_VALUE_EXISTS: u32 = 20;
const NO_SUCH_OBJECT: u32 = 32;
const INVALID_CREDENTIALS: u32 = 49;
/// Active Directory answers an absent member with this code.
const UNWILLING_TO_PERFORM: u32 = 53;
const OBJECT_CLASS_VIOLATION: u32 = 65;
/// Active Directory answers a member already present with this code.
const ENTRY_ALREADY_EXISTS: u32 = 68;

pub struct LdapSession {
    ldap: Ldap,
    settings: LdapSettings,
}

fn fail(what: &str, e: LdapError) -> OpError {
    match e {
        LdapError::Timeout { .. } => {
            OpError::Temporary(format!("{what}: no answer within {} s", TIMEOUT.as_secs()))
        }
        LdapError::Io { source } => OpError::Temporary(format!("{what}: {source}")),
        LdapError::Rustls { source } => OpError::Temporary(format!("{what}: TLS failed: {source}")),
        LdapError::DNSName { source } => {
            OpError::Temporary(format!("{what}: TLS failed: {source}"))
        }
        LdapError::LdapResult { result } => rc_error(what, result.rc, &result.text),
        e => OpError::Temporary(format!(
            "{what}: {}",
            super::remote::remote_text(&e.to_string())
        )),
    }
}

/// An entry of a search's answer, read. ldap3 panics on an entry it cannot
/// read (a DN or an attribute name that is not UTF-8), which would stop the
/// worker that asked, so such an entry is left out and logged. NULs are
/// dropped from what is kept (see `without_nul`).
fn entry(raw: ldap3::ResultEntry) -> Option<SearchEntry> {
    let read =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SearchEntry::construct(raw)));
    let Ok(mut e) = read else {
        tracing::warn!("an LDAP entry that could not be read was left out");
        return None;
    };
    e.dn = super::remote::without_nul(&e.dn).into_owned();
    for values in e.attrs.values_mut() {
        for v in values.iter_mut() {
            if let std::borrow::Cow::Owned(clean) = super::remote::without_nul(v) {
                *v = clean;
            }
        }
    }
    Some(e)
}

fn rc_error(what: &str, rc: u32, text: &str) -> OpError {
    let text = if text.is_empty() {
        String::new()
    } else {
        format!(": {}", super::remote::remote_text(text))
    };
    match rc {
        INVALID_CREDENTIALS => OpError::Temporary(format!(
            "{what}: bind refused, invalid credentials (49){text}"
        )),
        NO_SUCH_OBJECT => OpError::Permanent(format!("{what}: no such entry (32){text}")),
        // Busy, unavailable, unwilling: the server may answer later.
        51 | 52 | 80 => OpError::Temporary(format!(
            "{what}: the server is busy or unavailable ({rc}){text}"
        )),
        _ => OpError::Permanent(format!("{what}: LDAP error {rc}{text}")),
    }
}

/// The part of an address before the `@`, as a uid.
fn local_part(email: &str) -> &str {
    email.split('@').next().unwrap_or(email)
}

fn attr<'e>(entry: &'e SearchEntry, name: &str) -> Option<&'e Vec<String>> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn set(values: &[&str]) -> HashSet<String> {
    values.iter().map(|v| v.to_string()).collect()
}

impl LdapSession {
    pub async fn open(s: &LdapSettings, secret: &Secret<String>) -> Result<LdapSession, OpError> {
        let host = url::Url::parse(&s.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let settings = LdapConnSettings::new()
            .set_conn_timeout(TIMEOUT)
            .set_starttls(s.starttls);
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &s.url)
            .await
            .map_err(|e| fail(&format!("cannot connect to {host}"), e))?;
        ldap3::drive!(conn);
        let r = ldap
            .with_timeout(TIMEOUT)
            .simple_bind(&s.bind_dn, secret.expose())
            .await
            .map_err(|e| fail("bind failed", e))?;
        if r.rc != 0 {
            return Err(rc_error(
                &format!("bind as {} refused", s.bind_dn),
                r.rc,
                &r.text,
            ));
        }
        Ok(LdapSession {
            ldap,
            settings: s.clone(),
        })
    }

    pub async fn close(mut self) {
        let _ = self.ldap.unbind().await;
    }

    async fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: Vec<&str>,
    ) -> Result<Vec<SearchEntry>, OpError> {
        let r = self
            .ldap
            .with_timeout(TIMEOUT)
            .search(base, scope, filter, attrs)
            .await
            .map_err(|e| fail("search failed", e))?;
        let (entries, res) = (r.0, r.1);
        if res.rc == NO_SUCH_OBJECT {
            return Ok(vec![]);
        }
        // 4: size limit exceeded; the entries before it are still good.
        if res.rc != 0 && res.rc != 4 {
            return Err(rc_error(&format!("search under {base}"), res.rc, &res.text));
        }
        Ok(entries.into_iter().filter_map(entry).collect())
    }

    /// The filter that finds this person. A guest is found by their whole
    /// address: matched by a uid from its local part, alice@partner.example
    /// would be taken for the employee alice.
    fn match_filter(&self, p: &Person) -> String {
        let (attribute, value) = match self.settings.match_attribute.as_str() {
            _ if p.guest => ("mail", p.email.as_str()),
            "uid" => ("uid", local_part(&p.email)),
            other => (other, p.email.as_str()),
        };
        format!("({attribute}={})", ldap_escape(value))
    }

    /// The uid an entry made for this person gets: a guest's whole address,
    /// which no employee's uid (a local part) can be.
    fn new_uid(p: &Person) -> &str {
        if p.guest {
            &p.email
        } else {
            local_part(&p.email)
        }
    }

    fn account(&self, entry: &SearchEntry, fallback_uid: &str) -> Account {
        let member = if self.settings.members_are_dns() {
            entry.dn.clone()
        } else {
            attr(entry, "uid")
                .and_then(|v| v.first())
                .cloned()
                .unwrap_or_else(|| fallback_uid.to_string())
        };
        Account {
            key: entry.dn.clone(),
            member,
        }
    }

    pub async fn find_person(
        &mut self,
        p: &Person,
        create: bool,
    ) -> Result<Option<Account>, OpError> {
        let filter = self.match_filter(p);
        let base = self.settings.users_base.clone();
        let found = self
            .search(&base, Scope::Subtree, &filter, vec!["uid"])
            .await?;
        if let Some(e) = found.first() {
            return Ok(Some(self.account(e, Self::new_uid(p))));
        }
        // Created entries may live outside the users' base.
        if let Some(guests) = self.settings.guests_base.clone() {
            if guests != base {
                let found = self
                    .search(&guests, Scope::Subtree, &filter, vec!["uid"])
                    .await?;
                if let Some(e) = found.first() {
                    return Ok(Some(self.account(e, Self::new_uid(p))));
                }
            }
            if create {
                return self.create_person(p, &guests).await.map(Some);
            }
        }
        Ok(None)
    }

    async fn create_person(&mut self, p: &Person, base: &str) -> Result<Account, OpError> {
        let uid = Self::new_uid(p).to_string();
        let rdn_value = match self.settings.guest_rdn.as_str() {
            "uid" => uid.clone(),
            "mail" => p.email.clone(),
            _ => p.display_name.clone(),
        };
        let dn = format!(
            "{}={},{base}",
            self.settings.guest_rdn,
            dn_escape(rdn_value.as_str())
        );
        let sn = p.surname.clone().unwrap_or_else(|| p.display_name.clone());
        let mut attrs: Vec<(String, HashSet<String>)> = vec![
            (
                "objectClass".into(),
                set(&["top", "person", "organizationalPerson", "inetOrgPerson"]),
            ),
            ("cn".into(), set(&[&p.display_name])),
            ("sn".into(), set(&[&sn])),
            ("mail".into(), set(&[&p.email])),
            ("displayName".into(), set(&[&p.display_name])),
            ("uid".into(), set(&[&uid])),
        ];
        if let Some(g) = &p.given_name {
            attrs.push(("givenName".into(), set(&[g])));
        }
        let r = self
            .ldap
            .with_timeout(TIMEOUT)
            .add(&dn, attrs)
            .await
            .map_err(|e| fail("creating the entry failed", e))?;
        // 68: made meanwhile (by an earlier try): it is the same person.
        if r.rc != 0 && r.rc != ENTRY_ALREADY_EXISTS {
            return Err(rc_error(&format!("creating {dn}"), r.rc, &r.text));
        }
        let member = if self.settings.members_are_dns() {
            dn.clone()
        } else {
            uid
        };
        Ok(Account { key: dn, member })
    }

    async fn modify(&mut self, group: &str, mods: Vec<Mod<String>>) -> Result<u32, OpError> {
        let r = self
            .ldap
            .with_timeout(TIMEOUT)
            .modify(group, mods)
            .await
            .map_err(|e| fail(&format!("changing {group}"), e))?;
        if r.rc == NO_SUCH_OBJECT {
            return Err(OpError::Permanent(format!(
                "the group {group} does not exist"
            )));
        }
        Ok(r.rc)
    }

    pub async fn add_member(
        &mut self,
        group: &str,
        member: &str,
        placeholder: Option<&str>,
    ) -> Result<(), OpError> {
        let attr = self.settings.member_attribute.clone();
        let rc = self
            .modify(group, vec![Mod::Add(attr.clone(), set(&[member]))])
            .await?;
        if !matches!(rc, 0 | ATTRIBUTE_OR_VALUE_EXISTS | ENTRY_ALREADY_EXISTS) {
            return Err(rc_error(&format!("adding to {group}"), rc, ""));
        }
        if let Some(ph) = placeholder.filter(|ph| *ph != member) {
            let rc = self
                .modify(group, vec![Mod::Delete(attr, set(&[ph]))])
                .await?;
            if !matches!(rc, 0 | NO_SUCH_ATTRIBUTE | UNWILLING_TO_PERFORM) {
                return Err(rc_error(
                    &format!("taking the placeholder out of {group}"),
                    rc,
                    "",
                ));
            }
        }
        Ok(())
    }

    pub async fn remove_member(
        &mut self,
        group: &str,
        member: &str,
        placeholder: Option<&str>,
    ) -> Result<(), OpError> {
        let attr = self.settings.member_attribute.clone();
        let rc = self
            .modify(group, vec![Mod::Delete(attr.clone(), set(&[member]))])
            .await?;
        match rc {
            0 | NO_SUCH_ATTRIBUTE | UNWILLING_TO_PERFORM => Ok(()),
            OBJECT_CLASS_VIOLATION => match placeholder {
                // The last member: the placeholder takes its place in the same change.
                Some(ph) => {
                    let rc = self
                        .modify(
                            group,
                            vec![
                                Mod::Add(attr.clone(), set(&[ph])),
                                Mod::Delete(attr, set(&[member])),
                            ],
                        )
                        .await?;
                    match rc {
                        0 | NO_SUCH_ATTRIBUTE => Ok(()),
                        rc => Err(rc_error(&format!("removing from {group}"), rc, "")),
                    }
                }
                None => Err(OpError::Permanent(format!(
                    "{group} must keep a member (objectClassViolation, 65): set a placeholder member on the connected system"
                ))),
            },
            rc => Err(rc_error(&format!("removing from {group}"), rc, "")),
        }
    }

    pub async fn members(
        &mut self,
        group: &str,
        placeholder: Option<&str>,
    ) -> Result<Vec<String>, OpError> {
        let attr = self.settings.member_attribute.clone();
        let found = self
            .search(group, Scope::Base, "(objectClass=*)", vec![attr.as_str()])
            .await?;
        let Some(entry) = found.first() else {
            return Err(OpError::Permanent(format!(
                "the group {group} does not exist"
            )));
        };
        Ok(attr_values(entry, &attr)
            .into_iter()
            .filter(|m| Some(m.as_str()) != placeholder)
            .collect())
    }

    pub async fn search_groups(
        &mut self,
        text: &str,
        limit: usize,
    ) -> Result<Vec<FoundGroup>, OpError> {
        let filter = format!("(&{GROUP_FILTER}(cn=*{}*))", ldap_escape(text));
        let base = self.settings.groups_base.clone();
        let mut found: Vec<FoundGroup> = self
            .search(&base, Scope::Subtree, &filter, vec!["cn"])
            .await?
            .into_iter()
            .map(|e| FoundGroup {
                name: attr(&e, "cn")
                    .and_then(|v| v.first())
                    .cloned()
                    .unwrap_or_else(|| e.dn.clone()),
                id: e.dn,
            })
            .collect();
        found.sort_by_key(|g| g.name.to_lowercase());
        found.truncate(limit);
        Ok(found)
    }

    pub async fn group(&mut self, dn: &str) -> Result<Option<FoundGroup>, OpError> {
        let found = self
            .search(dn, Scope::Base, GROUP_FILTER, vec!["cn"])
            .await?;
        Ok(found.first().map(|e| FoundGroup {
            id: e.dn.clone(),
            name: attr(e, "cn")
                .and_then(|v| v.first())
                .cloned()
                .unwrap_or_else(|| e.dn.clone()),
        }))
    }

    /// Binds (done on open) and counts the groups under the groups' base,
    /// a page at a time as Active Directory requires.
    /// Every entry under `base` matching `filter`, a page at a time (as
    /// Active Directory requires), with the attributes asked for by
    /// lower-cased name.
    pub async fn entries(
        &mut self,
        base: &str,
        filter: &str,
        attrs: Vec<String>,
    ) -> Result<Vec<(String, std::collections::HashMap<String, Vec<String>>)>, OpError> {
        let mut stream = self
            .ldap
            .streaming_search_with(
                vec![
                    Box::new(EntriesOnly::new()) as Box<dyn ldap3::adapters::Adapter<_, _>>,
                    Box::new(PagedResults::new(500)),
                ],
                base,
                Scope::Subtree,
                filter,
                attrs,
            )
            .await
            .map_err(|e| fail("reading the directory failed", e))?;
        let mut out = Vec::new();
        while let Some(e) = stream
            .next()
            .await
            .map_err(|e| fail("reading the directory failed", e))?
        {
            let Some(e) = entry(e) else { continue };
            let attrs = e
                .attrs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
            out.push((e.dn, attrs));
        }
        let res = stream.finish().await;
        if res.rc == NO_SUCH_OBJECT {
            return Err(OpError::Permanent(format!("{base} does not exist")));
        }
        if res.rc != 0 {
            return Err(rc_error(
                &format!("reading {base} with {filter}"),
                res.rc,
                &res.text,
            ));
        }
        Ok(out)
    }

    pub async fn describe(&mut self) -> Result<String, OpError> {
        let base = self.settings.groups_base.clone();
        let mut stream = self
            .ldap
            .streaming_search_with(
                vec![
                    Box::new(EntriesOnly::new()) as Box<dyn ldap3::adapters::Adapter<_, _>>,
                    Box::new(PagedResults::new(500)),
                ],
                &base,
                Scope::Subtree,
                GROUP_FILTER,
                vec!["1.1"],
            )
            .await
            .map_err(|e| fail("counting groups failed", e))?;
        let mut n = 0usize;
        while let Some(_e) = stream
            .next()
            .await
            .map_err(|e| fail("counting groups failed", e))?
        {
            n += 1;
        }
        let res = stream.finish().await;
        if res.rc == NO_SUCH_OBJECT {
            return Err(OpError::Permanent(format!(
                "bound as {}, but the groups' base {base} does not exist",
                self.settings.bind_dn
            )));
        }
        if res.rc != 0 {
            return Err(rc_error(&format!("searching {base}"), res.rc, &res.text));
        }
        Ok(format!(
            "bound as {}; {} groups under {base}",
            self.settings.bind_dn,
            thousands(n)
        ))
    }
}

/// An attribute's values; Active Directory's ranged form (`member;range=0-1499`)
/// counts as the attribute.
fn attr_values(entry: &SearchEntry, name: &str) -> Vec<String> {
    entry
        .attrs
        .iter()
        .filter(|(k, _)| {
            k.eq_ignore_ascii_case(name)
                || k.to_ascii_lowercase()
                    .starts_with(&format!("{};range=", name.to_ascii_lowercase()))
        })
        .flat_map(|(_, v)| v.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn injection_shaped_values_are_escaped() {
        assert_eq!(ldap3::ldap_escape("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
        assert_eq!(
            ldap3::dn_escape("cn=x,ou=admins"),
            "cn\\3dx\\2cou\\3dadmins"
        );
    }
}
