//! Why an assignment ended: a module of its own because requests (which
//! end assignments) and messages (which tell people why) both name it.

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
        assert_eq!(EndReason::parse("removed"), Some(EndReason::Removed));
        assert_eq!(EndReason::parse("revoked"), Some(EndReason::Revoked));
        assert_eq!(EndReason::parse("expired"), Some(EndReason::Expired));
        assert_eq!(EndReason::parse("gone"), None);
    }
}
