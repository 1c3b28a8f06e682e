//! What a request asks for, and why an assignment ended: Graph's
//! `accessPackageRequestType`, and the end reasons Gatehouse records.

use crate::domain::named::stored_by_name;

/// Graph `accessPackageRequestType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestType {
    UserAdd,
    UserExtend,
    UserRemove,
    AdminAdd,
    AdminRemove,
    SystemAdd,
    SystemRemove,
}

impl RequestType {
    pub const ALL: [RequestType; 7] = [
        RequestType::UserAdd,
        RequestType::UserExtend,
        RequestType::UserRemove,
        RequestType::AdminAdd,
        RequestType::AdminRemove,
        RequestType::SystemAdd,
        RequestType::SystemRemove,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestType::UserAdd => "userAdd",
            RequestType::UserExtend => "userExtend",
            RequestType::UserRemove => "userRemove",
            RequestType::AdminAdd => "adminAdd",
            RequestType::AdminRemove => "adminRemove",
            RequestType::SystemAdd => "systemAdd",
            RequestType::SystemRemove => "systemRemove",
        }
    }

    pub fn parse(s: &str) -> Option<RequestType> {
        RequestType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            RequestType::UserAdd => "Request",
            RequestType::UserExtend => "Extension",
            RequestType::UserRemove => "Removal by the holder",
            RequestType::AdminAdd => "Direct assignment",
            RequestType::AdminRemove => "Removal by an administrator",
            RequestType::SystemAdd => "Assignment by Gatehouse",
            RequestType::SystemRemove => "Removal by Gatehouse",
        }
    }

    /// Whether it extends an assignment the target already holds.
    pub fn is_extension(self) -> bool {
        self == RequestType::UserExtend
    }
}

stored_by_name!(RequestType);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in RequestType::ALL {
            assert_eq!(RequestType::parse(t.as_str()), Some(t));
        }
        assert_eq!(RequestType::parse("userFoo"), None);
    }

    #[test]
    fn a_stored_type_no_value_has_is_refused() {
        assert_eq!(
            RequestType::try_from("adminAdd".to_string()).ok(),
            Some(RequestType::AdminAdd)
        );
        let err = RequestType::try_from("userFoo".to_string()).unwrap_err();
        assert_eq!(err.to_string(), "no RequestType is named \"userFoo\"");
    }
}
