//! What the audit log records of a request: each operation of the request
//! returns its note among its changes (`Change::Audit`, made by
//! `aggregate::note`), and the service writes it with them, in the same
//! transaction, naming who acted.

use serde_json::{Value, json};

/// Why an approver was replaced on a stage: who blocked them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockedBy {
    /// Deactivated or deleted where people come from.
    Directory,
    GuestLifecycle,
    Administrator,
}

/// Who cancels a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanceledBy {
    /// The person who asked, or whom it is for.
    Requestor,
    Administrator,
    /// The person it is for left the directory.
    Directory,
}

/// An operation on a request, as the audit log names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestAction {
    Request,
    Extend,
    DirectAssign,
    AutomaticAssign,
    Approve,
    Deny,
    ExtensionApproves,
    ExtensionDenies,
    ExtensionCancels,
    ExtensionContinues,
    Cancel(CanceledBy),
    Remind,
    Escalate,
    HandOver(BlockedBy),
    TimedOut,
    Fulfill,
    DeliveryFailed,
    Reprocess,
    Revoke,
    GiveUp,
}

impl RequestAction {
    /// The audit log's words for it (Entra's, where it has them).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Request => "User requests access package assignment",
            RequestAction::Extend => "User requests to extend access package assignment",
            RequestAction::DirectAssign => "Administrator directly assigns user to access package",
            RequestAction::AutomaticAssign => {
                "Create access package assignment (automatic assignment policy)"
            }
            RequestAction::Approve => "Approve access package assignment request",
            RequestAction::Deny => "Deny access package assignment request",
            RequestAction::ExtensionApproves => {
                "Custom extension approves access package assignment request"
            }
            RequestAction::ExtensionDenies => {
                "Custom extension denies access package assignment request"
            }
            RequestAction::ExtensionCancels => {
                "Custom extension cancels access package assignment request"
            }
            RequestAction::ExtensionContinues => {
                "Custom extension lets access package assignment request continue"
            }
            RequestAction::Cancel(CanceledBy::Administrator) => {
                "Administrator cancels access package assignment request"
            }
            RequestAction::Cancel(_) => "Cancel access package assignment request",
            RequestAction::Remind => "Remind approvers of access package assignment request",
            RequestAction::Escalate => "Escalate access package assignment request",
            RequestAction::HandOver(BlockedBy::Directory) => {
                "Hand over approval (approver removed from the directory)"
            }
            RequestAction::HandOver(BlockedBy::GuestLifecycle) => {
                "Hand over approval (approver blocked by the guest lifecycle)"
            }
            RequestAction::HandOver(BlockedBy::Administrator) => {
                "Hand over approval (approver blocked by an administrator)"
            }
            RequestAction::TimedOut => {
                "Access package assignment request timed out (no approver action taken)"
            }
            RequestAction::Fulfill => "Fulfill access package assignment request",
            RequestAction::DeliveryFailed => "Access package assignment request delivery failed",
            RequestAction::Reprocess => "Reprocess access package assignment request",
            RequestAction::Revoke => "Approver revokes access package assignment request",
            RequestAction::GiveUp => "User removes access package assignment",
        }
    }
}

/// What an audit event about a request is recorded against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum About {
    /// The request, with its id and the state its changes leave it in
    /// beside the details.
    RequestAndState,
    /// The request, the details as they are.
    Request,
    /// The package whose assignment the request ended (the request's id is
    /// in the details).
    Package,
}

/// The audit event of an operation, before it is known who acted.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditNote {
    pub action: RequestAction,
    pub about: About,
    /// A JSON object.
    pub details: Value,
}

impl AuditNote {
    /// The details the log keeps: the request's id and state first where
    /// it is about the request and its state, then the note's own.
    pub fn details_for(&self, request: &str, state: &str) -> Value {
        if self.about != About::RequestAndState {
            return self.details.clone();
        }
        let mut d = json!({"request": request, "state": state});
        if let (Some(d), Some(extra)) = (d.as_object_mut(), self.details.as_object()) {
            for (k, v) in extra {
                d.insert(k.clone(), v.clone());
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_and_its_state_come_first_and_the_notes_own_details_win() {
        let note = AuditNote {
            action: RequestAction::Approve,
            about: About::RequestAndState,
            details: json!({"stage": 1, "state": "kept"}),
        };
        assert_eq!(
            note.details_for("r1", "delivered"),
            json!({"request": "r1", "state": "kept", "stage": 1})
        );
        let plain = AuditNote {
            about: About::Request,
            ..note
        };
        assert_eq!(
            plain.details_for("r1", "delivered"),
            json!({"stage": 1, "state": "kept"})
        );
    }

    #[test]
    fn who_cancels_and_who_blocked_are_named() {
        assert_eq!(
            RequestAction::Cancel(CanceledBy::Administrator).as_str(),
            "Administrator cancels access package assignment request"
        );
        assert_eq!(
            RequestAction::Cancel(CanceledBy::Directory).as_str(),
            RequestAction::Cancel(CanceledBy::Requestor).as_str()
        );
        assert_ne!(
            RequestAction::HandOver(BlockedBy::Directory).as_str(),
            RequestAction::HandOver(BlockedBy::Administrator).as_str()
        );
    }
}
