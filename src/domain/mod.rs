//! Pure types and rules. No SQL, no HTTP.

/// `TryFrom<String>` for an enum with `parse`, for rows: a stored name no
/// value has is an error, never a default.
macro_rules! stored_by_name {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = $crate::domain::UnknownValue;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s).ok_or($crate::domain::UnknownValue {
                    of: stringify!($name),
                    value: s,
                })
            }
        }
    };
}

/// An enum of values that are stored by name and shown to people by label:
/// one table gives `ALL`, `as_str`, `parse` (of the stored name) and `label`.
macro_rules! named_values {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = ($value:literal, $label:literal),)+
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: [$name; [$($value),+].len()] = [$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value,)+
                }
            }
            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.into_iter().find(|v| v.as_str() == s)
            }
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        stored_by_name!($name);
    };
}

/// Stored text that no value of an enum is named (a corrupt row).
#[derive(Debug)]
pub struct UnknownValue {
    pub of: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no {} is named {:?}", self.of, self.value)
    }
}

impl std::error::Error for UnknownValue {}

pub mod api_token;
pub mod assignment;
pub mod audit;
pub mod catalog;
pub mod catalog_role;
pub mod connected_org;
pub mod connected_system;
pub mod custom_extension;
pub mod digest;
pub mod directory;
pub mod directory_import;
pub mod end_reason;
pub mod ids;
pub mod lifecycle;
pub mod membership_rule;
pub mod message;
pub mod policy;
pub mod policy_draft;
pub mod provisioning;
pub mod request;
pub mod retry;
pub mod review;
pub mod scim;
pub mod secret;
pub mod tenant;
pub mod user;
pub mod validation;
