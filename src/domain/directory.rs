//! Groups, applications and sites: the built-in resources people get access to.

use crate::domain::named::named_values;

use uuid::Uuid;

use super::catalog::OriginSystem;
use super::ids::{ApplicationId, GroupId, SiteId};
use super::validation::{FieldErrors, optional_long_text, optional_text, required_text};

pub const NAME_MAX: usize = 256;
pub const DESCRIPTION_MAX: usize = 2000;

named_values! {
    /// The kind of group. Teams are Microsoft 365 groups with a team; all three
    /// have the roles Member and Owner.
    pub enum GroupType {
        Security = ("security", "Security group"),
        Microsoft365 = ("microsoft365", "Microsoft 365 group"),
        Team = ("team", "Team"),
    }
}

/// A group role a person can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupRole {
    Member,
    Owner,
}

impl GroupRole {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupRole::Member => "member",
            GroupRole::Owner => "owner",
        }
    }
    pub fn parse(s: &str) -> Option<GroupRole> {
        match s {
            "member" => Some(GroupRole::Member),
            "owner" => Some(GroupRole::Owner),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            GroupRole::Member => "Member",
            GroupRole::Owner => "Owner",
        }
    }
}

/// The fixed roles of a site, as SharePoint names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteRole {
    Member,
    Owner,
    Visitor,
}

impl SiteRole {
    pub const ALL: [SiteRole; 3] = [SiteRole::Member, SiteRole::Owner, SiteRole::Visitor];
    pub fn as_str(self) -> &'static str {
        match self {
            SiteRole::Member => "member",
            SiteRole::Owner => "owner",
            SiteRole::Visitor => "visitor",
        }
    }
    pub fn parse(s: &str) -> Option<SiteRole> {
        SiteRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            SiteRole::Member => "SharePoint Member",
            SiteRole::Owner => "SharePoint Owner",
            SiteRole::Visitor => "SharePoint Visitor",
        }
    }
}

/// The role an application without roles of its own grants.
pub const DEFAULT_ACCESS_ROLE: &str = "Default Access";

#[derive(Clone, Debug, PartialEq)]
pub struct GroupProfile {
    pub display_name: String,
    pub description: Option<String>,
    pub group_type: GroupType,
}

impl GroupProfile {
    pub fn parse(
        name: &str,
        description: &str,
        group_type: &str,
    ) -> Result<GroupProfile, FieldErrors> {
        let group_type = GroupType::parse(group_type).ok_or_else(|| "Choose a group type.".into());
        parse_named(name, description, ("group_type", group_type), |n, d, t| {
            GroupProfile {
                display_name: n,
                description: d,
                group_type: t,
            }
        })
    }
}

/// Checks the name and description every group, application and site has
/// and `own`, the field of its own (the form's name for it, and it checked);
/// `make` builds the profile when all three are valid.
fn parse_named<T, P>(
    name: &str,
    description: &str,
    (field, own): (&str, Result<T, String>),
    make: impl FnOnce(String, Option<String>, T) -> P,
) -> Result<P, FieldErrors> {
    let mut e = FieldErrors::new();
    let display_name = e.check("display_name", required_text(name, "Name", NAME_MAX));
    let description = e.check(
        "description",
        optional_long_text(description, "Description", DESCRIPTION_MAX),
    );
    let own = e.check(field, own);
    match (display_name, description, own) {
        (Some(n), Some(d), Some(o)) if e.is_empty() => Ok(make(n, d, o)),
        _ => Err(e),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApplicationProfile {
    pub display_name: String,
    pub description: Option<String>,
    /// Role names in the order given; empty means the app grants "Default Access".
    pub roles: Vec<String>,
}

impl ApplicationProfile {
    /// Roles are one per line.
    pub fn parse(
        name: &str,
        description: &str,
        roles: &str,
    ) -> Result<ApplicationProfile, FieldErrors> {
        parse_named(
            name,
            description,
            ("roles", parse_role_lines(roles)),
            |n, d, r| ApplicationProfile {
                display_name: n,
                description: d,
                roles: r,
            },
        )
    }
}

fn parse_role_lines(text: &str) -> Result<Vec<String>, String> {
    let mut roles: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(role) = optional_text(line, "A role name", 120)? else {
            continue;
        };
        if roles.iter().any(|r| r.eq_ignore_ascii_case(&role)) {
            return Err(format!("The role `{role}` is listed twice."));
        }
        roles.push(role);
    }
    Ok(roles)
}

#[derive(Clone, Debug, PartialEq)]
pub struct SiteProfile {
    pub display_name: String,
    pub description: Option<String>,
    pub url: String,
}

impl SiteProfile {
    pub fn parse(name: &str, description: &str, url: &str) -> Result<SiteProfile, FieldErrors> {
        parse_named(
            name,
            description,
            ("url", parse_site_url(url)),
            |n, d, url| SiteProfile {
                display_name: n,
                description: d,
                url,
            },
        )
    }
}

fn parse_site_url(raw: &str) -> Result<String, String> {
    let v = required_text(raw, "Site address", 2000)?;
    match url::Url::parse(&v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(v),
        _ => Err("Site address must be an https:// address.".into()),
    }
}

/// "member" → "Member"; names that are already written stay as they are.
pub fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_roles_are_one_per_line_and_unique() {
        let p = ApplicationProfile::parse("Slack", "", "Owner\nUser\n\nmsiam_access").unwrap();
        assert_eq!(p.roles, vec!["Owner", "User", "msiam_access"]);
        let e = ApplicationProfile::parse("Slack", "", "User\nuser").unwrap_err();
        assert!(e.get("roles").unwrap().contains("twice"));
    }

    #[test]
    fn site_needs_a_web_address() {
        assert!(
            SiteProfile::parse(
                "Marketing",
                "",
                "https://contoso.sharepoint.com/sites/marketing"
            )
            .is_ok()
        );
        assert!(SiteProfile::parse("Marketing", "", "javascript:alert(1)").is_err());
    }

    #[test]
    fn a_resource_is_parsed_as_its_kind() {
        let upper = "6F9619FF-8B86-D011-B42D-00C04FC964FF";
        let r = ResourceRef::parse(OriginSystem::SharePointOnline, upper).unwrap();
        assert_eq!(r.id, upper.to_lowercase(), "ids are canonical");
        assert!(ResourceRef::parse(OriginSystem::AadGroup, "../groups").is_none());
        // The same field means a group's type, an application's roles, a
        // site's address; each kind's errors name its own field.
        let group = ResourceRef::new(OriginSystem::AadGroup);
        let e = Entered::parse(&group, "G", "", "https://x.test")
            .err()
            .unwrap();
        assert!(e.get("group_type").is_some());
        let site = ResourceRef::new(OriginSystem::SharePointOnline);
        let e = Entered::parse(&site, "S", "", "security").err().unwrap();
        assert!(e.get("url").is_some());
        let apps = ResourceRef::new(OriginSystem::AadApplication);
        match Entered::parse(&apps, "A", "", "Owner\nUser").unwrap() {
            Entered::Application(id, p) => {
                assert_eq!(id.as_str(), apps.id());
                assert_eq!(p.roles, vec!["Owner", "User"]);
            }
            _ => panic!("an application's form makes an application"),
        }
    }

    #[test]
    fn group_type_must_be_known() {
        assert!(
            GroupProfile::parse("G", "", "distribution")
                .unwrap_err()
                .get("group_type")
                .is_some()
        );
    }
}

/// Which of the named directory objects: a group, an application or a site,
/// with its id and profile.
#[derive(Clone, Copy)]
pub enum Named<'a> {
    Group(&'a GroupId, &'a GroupProfile),
    Application(&'a ApplicationId, &'a ApplicationProfile),
    Site(&'a SiteId, &'a SiteProfile),
}

/// Which group, application or site: its kind, named as a catalog names a
/// resource's origin, and its id. Made only by `new` and `parse`, so its id
/// is always a canonical UUID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceRef {
    origin: OriginSystem,
    id: String,
}

impl ResourceRef {
    /// A new one of the kind `origin` names.
    pub fn new(origin: OriginSystem) -> Self {
        let id = Uuid::new_v4().to_string();
        ResourceRef { origin, id }
    }

    /// Parses an id from a URL or form; only canonical UUIDs are ids.
    pub fn parse(origin: OriginSystem, raw: &str) -> Option<Self> {
        let id = Uuid::parse_str(raw.trim()).ok()?.to_string();
        Some(ResourceRef { origin, id })
    }

    pub fn origin(&self) -> OriginSystem {
        self.origin
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A group, an application or a site with its profile as entered, and the
/// id it is saved under.
pub enum Entered {
    Group(GroupId, GroupProfile),
    Application(ApplicationId, ApplicationProfile),
    Site(SiteId, SiteProfile),
}

impl Entered {
    /// Reads what was entered for `r`: the name and description all three
    /// kinds have, and `own`, the field of its kind: a group's type, an
    /// application's roles (one per line), a site's address.
    pub fn parse(
        r: &ResourceRef,
        name: &str,
        description: &str,
        own: &str,
    ) -> Result<Self, FieldErrors> {
        // From `new` or `parse`: a canonical UUID, as stored ids are.
        let id = r.id.clone();
        Ok(match r.origin {
            OriginSystem::AadGroup => {
                let p = GroupProfile::parse(name, description, own)?;
                Entered::Group(GroupId::from_stored(id), p)
            }
            OriginSystem::AadApplication => {
                let p = ApplicationProfile::parse(name, description, own)?;
                Entered::Application(ApplicationId::from_stored(id), p)
            }
            OriginSystem::SharePointOnline => {
                let p = SiteProfile::parse(name, description, own)?;
                Entered::Site(SiteId::from_stored(id), p)
            }
        })
    }

    /// What saving it writes.
    pub fn named(&self) -> Named<'_> {
        match self {
            Entered::Group(id, p) => Named::Group(id, p),
            Entered::Application(id, p) => Named::Application(id, p),
            Entered::Site(id, p) => Named::Site(id, p),
        }
    }
}
