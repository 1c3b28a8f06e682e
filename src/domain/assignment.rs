//! The states of an access package assignment (Graph
//! `accessPackageAssignment.state`): which of them grant access, and how an
//! administrator reads them.

use super::request::EndReason;

named_values! {
    /// Graph `accessPackageAssignment.state`.
    pub enum AssignmentState {
        /// Granted, with roles still on their way to a connected system.
        Delivering = ("delivering", "Delivering"),
        Delivered = ("delivered", "Delivered"),
        /// Granted, with a role a connected system refused.
        PartiallyDelivered = ("partiallyDelivered", "Partially delivered"),
        DeliveryFailed = ("deliveryFailed", "Undelivered"),
        /// Ended, for the reason kept beside it.
        Expired = ("expired", "Expired"),
    }
}

impl AssignmentState {
    /// Grants access (`store::states::ACTIVE` is this list in SQL; a test
    /// there keeps the two alike).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            AssignmentState::Delivering
                | AssignmentState::Delivered
                | AssignmentState::PartiallyDelivered
        )
    }

    /// As an administrator reads it: an ended assignment says why it ended.
    pub fn label_ended(self, reason: Option<EndReason>) -> &'static str {
        match (self, reason) {
            (AssignmentState::Expired, Some(r)) => r.label(),
            (state, _) => state.label(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_name_no_state_has_is_refused() {
        assert_eq!(
            AssignmentState::try_from("partiallyDelivered".to_string()).ok(),
            Some(AssignmentState::PartiallyDelivered)
        );
        let err = AssignmentState::try_from("granted".to_string()).unwrap_err();
        assert_eq!(err.to_string(), "no AssignmentState is named \"granted\"");
    }

    #[test]
    fn an_ended_assignment_reads_as_why_it_ended() {
        assert_eq!(
            AssignmentState::Expired.label_ended(Some(EndReason::GivenUp)),
            "Given up"
        );
        assert_eq!(AssignmentState::Expired.label_ended(None), "Expired");
        assert_eq!(
            AssignmentState::DeliveryFailed.label_ended(None),
            "Undelivered"
        );
    }
}
