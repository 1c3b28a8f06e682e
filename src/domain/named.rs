//! Enums stored by name: a table of values gives each its stored name and
//! its label, and a row naming no value fails to read.

/// `TryFrom<String>` for an enum with `parse`, for rows: a stored name no
/// value has is an error, never a default.
macro_rules! stored_by_name {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = $crate::domain::named::UnknownValue;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s).ok_or($crate::domain::named::UnknownValue {
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

        $crate::domain::named::stored_by_name!($name);
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

pub(crate) use {named_values, stored_by_name};
