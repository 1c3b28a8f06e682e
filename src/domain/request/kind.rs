//! What a request asks for, and why an assignment ended: Graph's
//! `accessPackageRequestType`, and the end reasons Gatehouse records.

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

/// Why an assignment ended. In messages' facts it is its Graph name
/// (`as_str`), which serde's camelCase names are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EndReason {
    /// Its end date came.
    Expired,
    /// An administrator removed it.
    Removed,
    /// Its holder gave it up (where the policy lets them).
    GivenUp,
    /// Its holder was deactivated or deleted where people come from (the
    /// identity provider).
    RemovedFromDirectory,
    /// An access review denied it (or its reviewers did not respond and the
    /// review's setting removes access then).
    AccessReview,
    /// An approver took back the approval that gave it.
    Revoked,
    /// Its holder no longer matches the rule of the automatic assignment
    /// policy that gave it (after the policy's grace period).
    OutOfScope,
}

impl EndReason {
    /// The ways access is taken away before its end date (all but expiry):
    /// what the Assignments tab's "Removed" filter shows.
    pub const REMOVALS: [EndReason; 6] = [
        EndReason::Removed,
        EndReason::GivenUp,
        EndReason::RemovedFromDirectory,
        EndReason::AccessReview,
        EndReason::Revoked,
        EndReason::OutOfScope,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Expired => "expired",
            EndReason::Removed => "removed",
            EndReason::GivenUp => "givenUp",
            EndReason::RemovedFromDirectory => "removedFromDirectory",
            EndReason::AccessReview => "accessReview",
            EndReason::Revoked => "revoked",
            EndReason::OutOfScope => "outOfScope",
        }
    }

    pub fn parse(s: &str) -> Option<EndReason> {
        std::iter::once(EndReason::Expired)
            .chain(EndReason::REMOVALS)
            .find(|r| r.as_str() == s)
    }

    /// As people read it, for an assignment that ended this way.
    pub fn label(self) -> &'static str {
        match self {
            EndReason::Expired => "Expired",
            EndReason::Removed => "Removed by an administrator",
            EndReason::GivenUp => "Given up",
            EndReason::RemovedFromDirectory => "Removed from the directory",
            EndReason::AccessReview => "Removed by an access review",
            EndReason::Revoked => "Revoked by an approver",
            EndReason::OutOfScope => "No longer matches the automatic assignment rule",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in RequestType::ALL {
            assert_eq!(RequestType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EndReason::parse("removed"), Some(EndReason::Removed));
        assert_eq!(EndReason::parse("revoked"), Some(EndReason::Revoked));
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
