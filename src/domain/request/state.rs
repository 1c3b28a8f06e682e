//! The states of an assignment request and the transitions between them
//! (Graph `accessPackageAssignmentRequest.state`). Each transition is decided
//! here and refused with a reason when it does not apply.

use crate::domain::named::{named_values, stored_by_name};

/// Graph `accessPackageAssignmentRequest.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestState {
    /// Made; approval has not begun (it may wait for an extension).
    Submitted,
    /// Waiting for the current stage's approvers.
    PendingApproval,
    /// Approved; delivery follows (it may wait for an extension).
    Approved,
    /// Approved for a period that has not begun.
    Scheduled,
    /// Granted, with roles still on their way to a connected system.
    Delivering,
    Delivered,
    /// Granted, but a connected system did not take every role.
    PartiallyDelivered,
    /// Not granted; an administrator may deliver it again.
    DeliveryFailed,
    /// By an approver or an extension, or because no approver can be found
    /// for its stage, or what it asks for can no longer be given.
    Denied,
    /// By its requestor, an administrator or an extension, or because its
    /// person left the directory.
    Canceled,
    /// No approver decided its stage in time.
    Expired,
}

impl RequestState {
    pub const ALL: [RequestState; 11] = [
        RequestState::Submitted,
        RequestState::PendingApproval,
        RequestState::Approved,
        RequestState::Scheduled,
        RequestState::Delivering,
        RequestState::Delivered,
        RequestState::PartiallyDelivered,
        RequestState::DeliveryFailed,
        RequestState::Denied,
        RequestState::Canceled,
        RequestState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::PendingApproval => "pendingApproval",
            RequestState::Approved => "approved",
            RequestState::Scheduled => "scheduled",
            RequestState::Delivering => "delivering",
            RequestState::Delivered => "delivered",
            RequestState::PartiallyDelivered => "partiallyDelivered",
            RequestState::DeliveryFailed => "deliveryFailed",
            RequestState::Denied => "denied",
            RequestState::Canceled => "canceled",
            RequestState::Expired => "expired",
        }
    }

    /// The state as a sentence reads it, in lower case ("the request is
    /// pending approval"); not a label, which other enums capitalize.
    pub fn phrase(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::PendingApproval => "pending approval",
            RequestState::Approved => "approved",
            RequestState::Scheduled => "scheduled",
            RequestState::Delivering => "being delivered",
            RequestState::Delivered => "delivered",
            RequestState::PartiallyDelivered => "partially delivered",
            RequestState::DeliveryFailed => "undelivered",
            RequestState::Denied => "denied",
            RequestState::Canceled => "canceled",
            RequestState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Waiting for its requestor's change of mind: only these can be canceled
    /// by them.
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            RequestState::Submitted | RequestState::PendingApproval
        )
    }

    /// Still open: a second request for the same package is refused meanwhile.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestState::Submitted
                | RequestState::PendingApproval
                | RequestState::Approved
                | RequestState::Scheduled
                | RequestState::Delivering
        )
    }

    /// Delivery did not give everything: an administrator may deliver it
    /// again.
    pub fn is_failed(self) -> bool {
        matches!(
            self,
            RequestState::DeliveryFailed | RequestState::PartiallyDelivered
        )
    }

    /// Over for good: neither open nor failed (which an administrator may
    /// deliver again).
    pub fn is_completed(self) -> bool {
        !self.is_open() && !self.is_failed()
    }
}

stored_by_name!(RequestState);

named_values! {
    /// The groups of states the console's request lists filter by.
    pub enum RequestFilter {
        /// `RequestState::is_open`.
        Open = ("open", "Open"),
        /// Delivered, or partially.
        Delivered = ("delivered", "Delivered"),
        /// `RequestState::is_failed`: undelivered, or partially.
        Failed = ("failed", "Failed or partial"),
        Denied = ("denied", "Denied"),
        Canceled = ("canceled", "Canceled"),
        Expired = ("expired", "Expired"),
    }
}

/// What can happen to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Approval is needed: the first stage starts.
    AwaitApproval,
    /// A stage approved and another stage follows.
    StageApproved {
        has_next_stage: bool,
    },
    Denied,
    /// The requestor, or an administrator.
    Canceled,
    /// No decision within the stage's limit.
    TimedOut,
    /// Approved (or needing no approval) with a start in the future.
    Schedule,
    StartDelivery,
    Delivered {
        all: bool,
    },
    DeliveryFailed,
    /// An administrator re-runs delivery of a failed or partial request.
    Reprocess,
    /// Approved, but what it asks for can no longer be given (its period
    /// has ended, the person holds the package already or something it
    /// excludes): nothing is granted.
    DeliveryRefused,
    /// A custom extension the request waited for denied it (or it did not
    /// answer in time, and its setting says deny) or canceled it.
    StoppedByExtension {
        cancel: bool,
    },
}

/// The state after `event`, or why the event does not apply.
pub fn transition(from: RequestState, event: Event) -> Result<RequestState, String> {
    use RequestState as S;
    let to = match (from, event) {
        (S::Submitted, Event::AwaitApproval) => S::PendingApproval,
        (
            S::PendingApproval,
            Event::StageApproved {
                has_next_stage: true,
            },
        ) => S::PendingApproval,
        (
            S::PendingApproval,
            Event::StageApproved {
                has_next_stage: false,
            },
        ) => S::Approved,
        (S::Submitted, Event::StageApproved { .. }) => S::Approved,
        (S::PendingApproval, Event::Denied) => S::Denied,
        (S::Submitted | S::PendingApproval | S::Approved | S::Scheduled, Event::Canceled) => {
            S::Canceled
        }
        (S::DeliveryFailed, Event::Canceled) => S::Canceled,
        (S::PendingApproval, Event::TimedOut) => S::Expired,
        (S::Approved, Event::Schedule) => S::Scheduled,
        (S::Approved | S::Scheduled, Event::StartDelivery) => S::Delivering,
        (S::Delivering, Event::Delivered { all: true }) => S::Delivered,
        (S::Delivering, Event::Delivered { all: false }) => S::PartiallyDelivered,
        (S::Delivering, Event::DeliveryFailed) => S::DeliveryFailed,
        (S::DeliveryFailed | S::PartiallyDelivered, Event::Reprocess) => S::Delivering,
        (S::Approved | S::Scheduled, Event::DeliveryRefused) => S::Denied,
        (S::Submitted | S::Approved, Event::StoppedByExtension { cancel: false }) => S::Denied,
        (S::Submitted | S::Approved, Event::StoppedByExtension { cancel: true }) => S::Canceled,
        (from, event) => return Err(refusal(from, event)),
    };
    Ok(to)
}

fn refusal(from: RequestState, event: Event) -> String {
    use RequestState as S;
    match (from, event) {
        (S::Denied | S::Canceled | S::Expired, _) => {
            format!("The request is already {}.", from.phrase())
        }
        (_, Event::StageApproved { .. } | Event::Denied) => {
            format!("The request was already decided: it is {}.", from.phrase())
        }
        (_, Event::Canceled) => format!(
            "A request that is {} can no longer be canceled.",
            from.phrase()
        ),
        (_, Event::Reprocess) => {
            "Only requests whose delivery failed or was partial can be reprocessed.".into()
        }
        _ => format!(
            "This does not apply to a request that is {}.",
            from.phrase()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_state_machine() {
        use RequestState as S;
        assert_eq!(
            transition(S::Submitted, Event::AwaitApproval),
            Ok(S::PendingApproval)
        );
        assert_eq!(
            transition(
                S::PendingApproval,
                Event::StageApproved {
                    has_next_stage: true
                }
            ),
            Ok(S::PendingApproval)
        );
        assert_eq!(
            transition(
                S::PendingApproval,
                Event::StageApproved {
                    has_next_stage: false
                }
            ),
            Ok(S::Approved)
        );
        assert_eq!(
            transition(S::Approved, Event::StartDelivery),
            Ok(S::Delivering)
        );
        assert_eq!(
            transition(S::Delivering, Event::Delivered { all: false }),
            Ok(S::PartiallyDelivered)
        );
        assert_eq!(
            transition(S::PartiallyDelivered, Event::Reprocess),
            Ok(S::Delivering)
        );
        assert_eq!(
            transition(S::PendingApproval, Event::TimedOut),
            Ok(S::Expired)
        );
        let late = transition(
            S::Denied,
            Event::StageApproved {
                has_next_stage: false,
            },
        )
        .unwrap_err();
        assert_eq!(late, "The request is already denied.");
        let decided = transition(S::Approved, Event::Denied).unwrap_err();
        assert!(decided.contains("already decided"));
        assert!(transition(S::Delivered, Event::Canceled).is_err());
        assert!(transition(S::Delivered, Event::Reprocess).is_err());
        assert!(S::PendingApproval.is_open() && !S::Delivered.is_open());
    }
}
