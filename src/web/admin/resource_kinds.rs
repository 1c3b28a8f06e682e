//! The three kinds of directory resource the console lists and edits alike
//! (groups, applications and sites): what each is called and where it
//! lives, one row each.

use crate::domain::catalog::OriginSystem;
use crate::domain::directory::ResourceRef;
use crate::routes::{self, Collection};

/// What a kind is called and where it lives.
pub struct Kind {
    pub origin: OriginSystem,
    /// "group": in headings, buttons and messages.
    pub noun: &'static str,
    /// The list page's heading and title.
    pub title: &'static str,
    /// The list's search box's placeholder.
    pub placeholder: &'static str,
    /// The list's headings for what sets each one apart (its type, roles or
    /// address) and for how many people hold its roles.
    pub columns: [&'static str; 2],
    pub paths: Collection,
    /// Its segment in `/admin/{segment}/{id}` (the last of `paths.list`),
    /// by which the links panel's routes know it.
    pub segment: &'static str,
}

/// A kind chosen at compile time, so that one generic handler serves each
/// kind's routes.
pub trait OfKind: 'static {
    const KIND: Kind;
}

/// Declares each kind's marker type and row, and `ALL`.
macro_rules! kinds {
    ($($marker:ident = $origin:ident, $noun:literal, $title:literal, $placeholder:literal,
        [$detail:literal, $holders:literal], $paths:ident, $segment:literal;)+) => {
        $(
            pub struct $marker;

            impl OfKind for $marker {
                const KIND: Kind = Kind {
                    origin: OriginSystem::$origin,
                    noun: $noun,
                    title: $title,
                    placeholder: $placeholder,
                    columns: [$detail, $holders],
                    paths: routes::$paths,
                    segment: $segment,
                };
            }
        )+

        const ALL: &[Kind] = &[$(<$marker as OfKind>::KIND),+];
    };
}

kinds! {
    Groups = AadGroup, "group", "Groups and teams", "Group name", ["Type", "Members"], ADMIN_GROUPS, "groups";
    Applications = AadApplication, "application", "Applications", "Application name", ["App roles", "Role holders"], ADMIN_APPLICATIONS, "applications";
    Sites = SharePointOnline, "site", "Sites", "Site name", ["Address", "People with a role"], ADMIN_SITES, "sites";
}

impl Kind {
    /// The kind whose pages are at `/admin/{segment}`.
    pub fn at(segment: &str) -> Option<&'static Kind> {
        ALL.iter().find(|k| k.segment == segment)
    }

    /// One of this kind, by the id in a URL; `None` when it is no id.
    pub fn parse_id(&self, raw: &str) -> Option<ResourceRef> {
        ResourceRef::parse(self.origin, raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_at_its_own_segment() {
        for kind in ALL {
            let list = kind.paths.list.as_str();
            assert_eq!(list, format!("/admin/{}", kind.segment), "{}", kind.noun);
            assert_eq!(Kind::at(kind.segment).map(|k| k.noun), Some(kind.noun));
        }
        assert!(Kind::at("users").is_none());
    }
}
