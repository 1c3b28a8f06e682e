//! Object identifiers: UUIDs, as Graph uses, kept as their canonical text.

use std::fmt;

use uuid::Uuid;

/// What every id type can do: be read from the text of a URL or form.
pub trait Id: Sized {
    /// `None` unless `s` is a UUID (any spelling `uuid` reads: hyphenated
    /// or not, either case, surrounding spaces aside), kept canonical:
    /// hyphenated and lowercase, as ids are stored.
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
