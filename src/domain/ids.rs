//! Object identifiers: UUIDs, as Graph uses, kept as their canonical text
//! (and queued mail's, which are made of them).

use std::fmt;

use uuid::Uuid;

/// What every id type can do: be read from the text of a URL or form.
pub trait Id: Sized {
    /// `None` unless `s` is an id of the type, kept as ids are stored. For
    /// the UUID ids: any spelling `uuid` reads (hyphenated or not, either
    /// case, surrounding spaces aside), kept hyphenated and lowercase.
    fn parse(s: &str) -> Option<Self>;
}

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new() -> Self {
                $name(Uuid::new_v4().to_string())
            }
            /// Parses text from a URL or form; only canonical UUIDs are ids.
            pub fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s.trim()).ok().map(|u| $name(u.to_string()))
            }
            /// Wraps a value read back from storage.
            pub fn from_stored(s: String) -> Self {
                $name(s)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Id for $name {
            fn parse(s: &str) -> Option<Self> {
                $name::parse(s)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        /// Unchecked, like `from_stored`: only for values read back from
        /// storage (rows decode their ids through it); text from a request
        /// goes through `parse`.
        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(UserId);
id_type!(GroupId);
id_type!(ApplicationId);
id_type!(AppRoleId);
id_type!(SiteId);
id_type!(CatalogId);
id_type!(CatalogResourceId);
id_type!(AccessPackageId);
id_type!(ConnectedOrgId);
id_type!(RequestId);
id_type!(PolicyId);
id_type!(AssignmentId);
id_type!(ConnectedSystemId);
id_type!(ResourceLinkId);
id_type!(ReviewId);
id_type!(CustomExtensionId);
id_type!(ApiTokenId);
id_type!(CatalogRoleAssignmentId);
id_type!(RoleScopeId);
id_type!(CalloutId);

/// A queued mail's id, as the outbox wrote it: the UUID of the change that
/// queued it, a dot, and its place among that change's mails (digits) or
/// the id of the assignment it is about; or, for mail queued by earlier
/// versions, one UUID (hyphenated, or 32 hex digits). Matched as stored, so
/// it is read as written, in lowercase: one or two parts, each hex digits
/// and hyphens.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MailId(String);

impl MailId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Id for MailId {
    fn parse(s: &str) -> Option<MailId> {
        let s = s.trim().to_ascii_lowercase();
        let part = |p: &str| {
            (1..=36).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        };
        let parts: Vec<&str> = s.split('.').collect();
        ((1..=2).contains(&parts.len()) && parts.iter().all(|p| part(p))).then_some(MailId(s))
    }
}

impl fmt::Display for MailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_id_is_read_as_the_outbox_wrote_it() {
        let change = "6F1C2A9E-0B4D-4E8A-9C3F-2D5E7A1B3C4D";
        let placed = MailId::parse(&format!("{change}.000042")).unwrap();
        assert_eq!(
            placed.as_str(),
            "6f1c2a9e-0b4d-4e8a-9c3f-2d5e7a1b3c4d.000042"
        );
        let about = format!("{change}.{}", AssignmentId::new());
        assert_eq!(
            MailId::parse(&about).unwrap().as_str(),
            about.to_lowercase()
        );
        // A millionth mail of one change, and mail of earlier versions.
        for kept in [
            &format!("{change}.1000000"),
            change,
            "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        ] {
            assert!(MailId::parse(kept).is_some(), "{kept}");
        }
        for bad in [
            "",
            "x.000001",
            "a.b.c",
            &format!("{change}."),
            "' OR 1=1",
            "../x",
        ] {
            assert!(MailId::parse(bad).is_none(), "{bad}");
        }
    }
}
