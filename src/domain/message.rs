//! The messages Gatehouse sends: one kind each, with the facts it tells.
//!
//! A message is queued in the outbox as its kind and its facts (JSON), in
//! the same transaction as the change it tells about, and rendered when it
//! is sent or shown (`notify`), each kind from its own template pair.

use serde::{Deserialize, Serialize};

use super::end_reason::EndReason;
use super::ids::{AccessPackageId, RequestId, ReviewId};

/// The kinds of message, as the outbox stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MailKind {
    ApprovalRequest,
    /// An undecided stage went to its alternate approvers.
    ApprovalForwarded,
    RequestDenied,
    AccessDelivered,
    /// Approved for a period that starts later.
    RequestScheduled,
    /// No decision in time: the request expired.
    RequestExpired,
    AccessEnded,
    AccessExtended,
    /// A reminder that access ends soon.
    AccessExpiring,
    SignInCode,
    /// A custom extension the request waited for did not answer in time,
    /// and the request goes on.
    RequestContinued,
    /// An access review waits for a reviewer.
    ReviewRequest,
    /// A reminder of an access review not finished.
    ReviewReminder,
    /// To a stage's other approvers: it was decided, nothing waits for them.
    StageDecided,
    /// To a stage's approvers: nobody decided in time, the request expired.
    ApprovalExpired,
    /// To a stage's approvers, halfway to its escalation or deadline.
    ApprovalReminder,
    /// To a stage's approvers: the request was canceled while it waited.
    ApprovalCanceled,
}

impl MailKind {
    pub const ALL: [MailKind; 17] = [
        MailKind::ApprovalRequest,
        MailKind::ApprovalForwarded,
        MailKind::RequestDenied,
        MailKind::AccessDelivered,
        MailKind::RequestScheduled,
        MailKind::RequestExpired,
        MailKind::AccessEnded,
        MailKind::AccessExtended,
        MailKind::AccessExpiring,
        MailKind::SignInCode,
        MailKind::RequestContinued,
        MailKind::ReviewRequest,
        MailKind::ReviewReminder,
        MailKind::StageDecided,
        MailKind::ApprovalExpired,
        MailKind::ApprovalReminder,
        MailKind::ApprovalCanceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::ApprovalRequest => "approvalRequest",
            MailKind::ApprovalForwarded => "approvalForwarded",
            MailKind::RequestDenied => "requestDenied",
            MailKind::AccessDelivered => "accessDelivered",
            MailKind::RequestScheduled => "requestScheduled",
            MailKind::RequestExpired => "requestExpired",
            MailKind::AccessEnded => "accessEnded",
            MailKind::AccessExtended => "accessExtended",
            MailKind::AccessExpiring => "accessExpiring",
            MailKind::SignInCode => "signInCode",
            MailKind::RequestContinued => "requestContinued",
            MailKind::ReviewRequest => "reviewRequest",
            MailKind::ReviewReminder => "reviewReminder",
            MailKind::StageDecided => "stageDecided",
            MailKind::ApprovalExpired => "approvalExpired",
            MailKind::ApprovalReminder => "approvalReminder",
            MailKind::ApprovalCanceled => "approvalCanceled",
        }
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What every message about a request tells.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestFacts {
    pub request_id: RequestId,
    pub package: String,
    /// The person the request is for, and their address.
    pub requestor: String,
    pub requestor_email: String,
    /// Their connected organization's name, if any.
    pub organization: String,
    /// The manager who asked for them, by name, where one did.
    pub asked_by: String,
    pub justification: String,
    pub stage: i64,
    /// When access starts, for a request for a period ("2027-01-04 00:00 UTC").
    pub starts: String,
    /// When that period ends: the moment after its last day.
    pub period_ends: String,
}

/// An approval request (or one forwarded on escalation), to one approver.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Approval {
    #[serde(flatten)]
    pub request: RequestFacts,
    /// The last day to decide.
    pub decide_by: String,
    /// How long access lasts once given ("365 days from when it is given");
    /// empty for a request for a period.
    pub access_lasts: String,
}

/// A stage decided, to its other approvers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Decided {
    #[serde(flatten)]
    pub request: RequestFacts,
    pub approved: bool,
    /// Who decided: an approver's name, or a custom extension's.
    pub decided_by: String,
}

/// The outcome of a request, to its requestor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Outcome {
    #[serde(flatten)]
    pub request: RequestFacts,
    /// Why it was denied, or why it ended as it did.
    pub reason: String,
    /// The new last day, for an extension.
    pub ends: String,
}

/// Access that ended, to its holder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ended {
    #[serde(default)]
    pub package: String,
    #[serde(default)]
    pub requestor: String,
    #[serde(default)]
    pub requestor_email: String,
    /// Why it ended; facts without one are corrupt.
    pub reason: EndReason,
}

/// A reminder that access ends soon.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Expiring {
    pub package: String,
    pub package_id: AccessPackageId,
    pub requestor: String,
    pub requestor_email: String,
    pub ends: String,
    pub days: i64,
    pub can_extend: bool,
}

/// An access review, to one of its reviewers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Review {
    pub review_id: ReviewId,
    pub package: String,
    /// The last day to decide.
    pub ends: String,
    /// A self-review: the reviewer reviews their own access.
    pub self_review: bool,
}

/// A one-time sign-in code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Code {
    pub code: String,
    pub minutes: i64,
}

/// A message, typed by kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    ApprovalRequest(Approval),
    ApprovalForwarded(Approval),
    RequestDenied(Outcome),
    AccessDelivered(Outcome),
    RequestScheduled(Outcome),
    RequestExpired(Outcome),
    AccessEnded(Ended),
    AccessExtended(Outcome),
    AccessExpiring(Expiring),
    SignInCode(Code),
    RequestContinued(Outcome),
    ReviewRequest(Review),
    ReviewReminder(Review),
    StageDecided(Decided),
    ApprovalExpired(Outcome),
    ApprovalReminder(Approval),
    ApprovalCanceled(Outcome),
}

impl Message {
    pub fn kind(&self) -> MailKind {
        match self {
            Message::ApprovalRequest(_) => MailKind::ApprovalRequest,
            Message::ApprovalForwarded(_) => MailKind::ApprovalForwarded,
            Message::RequestDenied(_) => MailKind::RequestDenied,
            Message::AccessDelivered(_) => MailKind::AccessDelivered,
            Message::RequestScheduled(_) => MailKind::RequestScheduled,
            Message::RequestExpired(_) => MailKind::RequestExpired,
            Message::AccessEnded(_) => MailKind::AccessEnded,
            Message::AccessExtended(_) => MailKind::AccessExtended,
            Message::AccessExpiring(_) => MailKind::AccessExpiring,
            Message::SignInCode(_) => MailKind::SignInCode,
            Message::RequestContinued(_) => MailKind::RequestContinued,
            Message::ReviewRequest(_) => MailKind::ReviewRequest,
            Message::ReviewReminder(_) => MailKind::ReviewReminder,
            Message::StageDecided(_) => MailKind::StageDecided,
            Message::ApprovalExpired(_) => MailKind::ApprovalExpired,
            Message::ApprovalReminder(_) => MailKind::ApprovalReminder,
            Message::ApprovalCanceled(_) => MailKind::ApprovalCanceled,
        }
    }

    /// The facts, as the outbox keeps them.
    pub fn data(&self) -> serde_json::Value {
        let value = match self {
            Message::ApprovalRequest(a)
            | Message::ApprovalForwarded(a)
            | Message::ApprovalReminder(a) => serde_json::to_value(a),
            Message::RequestDenied(o)
            | Message::AccessDelivered(o)
            | Message::RequestScheduled(o)
            | Message::RequestExpired(o)
            | Message::AccessExtended(o)
            | Message::RequestContinued(o)
            | Message::ApprovalExpired(o)
            | Message::ApprovalCanceled(o) => serde_json::to_value(o),
            Message::StageDecided(d) => serde_json::to_value(d),
            Message::AccessEnded(e) => serde_json::to_value(e),
            Message::AccessExpiring(e) => serde_json::to_value(e),
            Message::SignInCode(c) => serde_json::to_value(c),
            Message::ReviewRequest(r) | Message::ReviewReminder(r) => serde_json::to_value(r),
        };
        value.unwrap_or_default()
    }

    /// A message read back from the outbox; an unknown kind or facts that
    /// do not fit it are an error, never a default.
    pub fn from_stored(kind: &str, data: &str) -> Result<Message, String> {
        fn facts<T: serde::de::DeserializeOwned>(data: &str) -> Result<T, String> {
            serde_json::from_str(data).map_err(|e| format!("the message's facts: {e}"))
        }
        let kind = MailKind::parse(kind).ok_or_else(|| format!("unknown message kind {kind}"))?;
        Ok(match kind {
            MailKind::ApprovalRequest => Message::ApprovalRequest(facts(data)?),
            MailKind::ApprovalForwarded => Message::ApprovalForwarded(facts(data)?),
            MailKind::RequestDenied => Message::RequestDenied(facts(data)?),
            MailKind::AccessDelivered => Message::AccessDelivered(facts(data)?),
            MailKind::RequestScheduled => Message::RequestScheduled(facts(data)?),
            MailKind::RequestExpired => Message::RequestExpired(facts(data)?),
            MailKind::AccessEnded => Message::AccessEnded(facts(data)?),
            MailKind::AccessExtended => Message::AccessExtended(facts(data)?),
            MailKind::AccessExpiring => Message::AccessExpiring(facts(data)?),
            MailKind::SignInCode => Message::SignInCode(facts(data)?),
            MailKind::RequestContinued => Message::RequestContinued(facts(data)?),
            MailKind::ReviewRequest => Message::ReviewRequest(facts(data)?),
            MailKind::ReviewReminder => Message::ReviewReminder(facts(data)?),
            MailKind::StageDecided => Message::StageDecided(facts(data)?),
            MailKind::ApprovalExpired => Message::ApprovalExpired(facts(data)?),
            MailKind::ApprovalReminder => Message::ApprovalReminder(facts(data)?),
            MailKind::ApprovalCanceled => Message::ApprovalCanceled(facts(data)?),
        })
    }
}

/// A message and who it goes to.
#[derive(Clone, Debug, PartialEq)]
pub struct Mail {
    pub to_address: String,
    pub to_name: String,
    pub message: Message,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_messages_come_back_as_they_were() {
        let m = Message::ApprovalForwarded(Approval {
            request: RequestFacts {
                request_id: "r1".to_string().into(),
                package: "Sales".into(),
                ..Default::default()
            },
            decide_by: "2026-12-14".into(),
            access_lasts: "30 days from when it is given".into(),
        });
        let back = Message::from_stored(m.kind().as_str(), &m.data().to_string()).unwrap();
        assert_eq!(back, m);
        assert!(Message::from_stored("nonsense", "{}").is_err());
        assert!(Message::from_stored("signInCode", "[1]").is_err());
        // Rows the expiration job builds in SQL carry these keys.
        let ended = Message::from_stored(
            "accessEnded",
            r#"{"package":"P","requestor":"R","requestor_email":"r@x","reason":"expired"}"#,
        )
        .unwrap();
        assert!(matches!(ended, Message::AccessEnded(e) if e.reason == EndReason::Expired));
        // Each end reason reads back as itself; facts with none, or an
        // unknown one, are corrupt rather than read as some default.
        for r in std::iter::once(EndReason::Expired).chain(EndReason::REMOVALS) {
            let data = format!(r#"{{"package":"P","reason":"{}"}}"#, r.as_str());
            let back = Message::from_stored("accessEnded", &data).unwrap();
            assert!(matches!(back, Message::AccessEnded(e) if e.reason == r));
        }
        assert!(Message::from_stored("accessEnded", r#"{"package":"P"}"#).is_err());
        assert!(Message::from_stored("accessEnded", r#"{"reason":"vanished"}"#).is_err());
    }
}
