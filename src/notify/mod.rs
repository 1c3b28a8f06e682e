//! Email: messages rendered from askama `.html` + `.txt` pairs, and the SMTP
//! sender. Messages are queued in the outbox with the change they tell about
//! (see `store::outbox`) and rendered when sent or shown, with the public URL.

pub mod mailer;

use askama::Template;
use serde::Deserialize;
use serde_json::Value;

/// Message kinds stored in the outbox.
pub mod kind {
    pub const APPROVAL_REQUEST: &str = "approvalRequest";
    pub const REQUEST_DENIED: &str = "requestDenied";
    pub const ACCESS_DELIVERED: &str = "accessDelivered";
    pub const SIGN_IN_CODE: &str = "signInCode";
    /// Approved for a period that starts later.
    pub const REQUEST_SCHEDULED: &str = "requestScheduled";
    /// No decision in time: the request expired.
    pub const REQUEST_EXPIRED: &str = "requestExpired";
    /// An undecided stage went to its alternate approvers.
    pub const APPROVAL_FORWARDED: &str = "approvalForwarded";
    pub const ACCESS_ENDED: &str = "accessEnded";
    pub const ACCESS_EXTENDED: &str = "accessExtended";
    /// A reminder that access ends soon.
    pub const ACCESS_EXPIRING: &str = "accessExpiring";
}

/// A one-time sign-in code.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CodeFacts {
    pub code: String,
    pub minutes: i64,
}

#[derive(Template)]
#[template(path = "email/sign_in_code.txt")]
struct CodeText<'a> {
    f: &'a CodeFacts,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/sign_in_code.html")]
struct CodeHtml<'a> {
    f: &'a CodeFacts,
    link: &'a str,
}

/// Renders a message for an administrator's eyes: a sign-in code is hidden,
/// so that reading the outbox does not let anyone sign in as its recipient.
pub fn render_for_admin(kind_: &str, data: &str, base: &str) -> Result<Rendered, String> {
    if kind_ == kind::SIGN_IN_CODE {
        let mut value: Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
        value["code"] = Value::String("(hidden)".into());
        return render(kind_, &value.to_string(), base);
    }
    render(kind_, data, base)
}

/// What every message about a request carries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RequestFacts {
    pub request_id: String,
    pub package: String,
    pub requestor: String,
    pub requestor_email: String,
    pub organization: String,
    pub justification: String,
    pub decide_by: String,
    pub stage: i64,
    pub reason: String,
    /// The first day of access, for a scheduled request.
    pub starts: String,
    /// The last day of access (expiry reminders, extensions).
    pub ends: String,
    /// Days left, for a reminder.
    pub days: i64,
    /// The package, for the link to extend.
    pub package_id: String,
    pub can_extend: bool,
    /// An escalated request, sent to alternate approvers.
    pub forwarded: bool,
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "email/approval_request.txt")]
struct ApprovalText<'a> {
    f: &'a RequestFacts,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/approval_request.html")]
struct ApprovalHtml<'a> {
    f: &'a RequestFacts,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/request_outcome.txt")]
struct OutcomeText<'a> {
    f: &'a RequestFacts,
    link: &'a str,
    outcome: &'a str,
}

#[derive(Template)]
#[template(path = "email/request_outcome.html")]
struct OutcomeHtml<'a> {
    f: &'a RequestFacts,
    link: &'a str,
    outcome: &'a str,
}

/// Renders a queued message; `base` is the public URL without trailing slash.
pub fn render(kind: &str, data: &str, base: &str) -> Result<Rendered, String> {
    let value: Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
    if kind == kind::SIGN_IN_CODE {
        let f: CodeFacts = serde_json::from_value(value).map_err(|e| e.to_string())?;
        let link = format!("{base}/auth/code");
        return Ok(Rendered {
            subject: "Your Gatehouse sign-in code".into(),
            text: CodeText { f: &f, link: &link }
                .render()
                .map_err(|e| e.to_string())?,
            html: CodeHtml { f: &f, link: &link }
                .render()
                .map_err(|e| e.to_string())?,
            link,
        });
    }
    let f: RequestFacts = serde_json::from_value(value).map_err(|e| e.to_string())?;
    match kind {
        kind::APPROVAL_REQUEST | kind::APPROVAL_FORWARDED => {
            let link = format!("{base}/approvals/{}", f.request_id);
            let forwarded = if kind == kind::APPROVAL_FORWARDED {
                "Forwarded: "
            } else {
                ""
            };
            Ok(Rendered {
                subject: format!(
                    "{forwarded}Action required: Approve or deny request by {}",
                    f.decide_by
                ),
                text: ApprovalText { f: &f, link: &link }
                    .render()
                    .map_err(|e| e.to_string())?,
                html: ApprovalHtml { f: &f, link: &link }
                    .render()
                    .map_err(|e| e.to_string())?,
                link,
            })
        }
        kind::REQUEST_DENIED
        | kind::ACCESS_DELIVERED
        | kind::REQUEST_SCHEDULED
        | kind::REQUEST_EXPIRED
        | kind::ACCESS_ENDED
        | kind::ACCESS_EXTENDED
        | kind::ACCESS_EXPIRING => {
            let link = if kind == kind::ACCESS_EXPIRING && f.can_extend {
                format!("{base}/access-packages/{}", f.package_id)
            } else {
                format!("{base}/requests")
            };
            let subject = match kind {
                kind::ACCESS_DELIVERED => format!("You now have access to {}", f.package),
                kind::REQUEST_SCHEDULED => format!("Request approved: {}", f.package),
                kind::REQUEST_EXPIRED => format!("Request expired: {}", f.package),
                kind::ACCESS_ENDED => format!("Your access to {} has ended", f.package),
                kind::ACCESS_EXTENDED => format!("Your access to {} was extended", f.package),
                kind::ACCESS_EXPIRING => format!(
                    "Your access to {} ends in {} day{}",
                    f.package,
                    f.days,
                    if f.days == 1 { "" } else { "s" }
                ),
                _ => format!("Request denied: {}", f.package),
            };
            Ok(Rendered {
                subject,
                text: OutcomeText {
                    f: &f,
                    link: &link,
                    outcome: kind,
                }
                .render()
                .map_err(|e| e.to_string())?,
                html: OutcomeHtml {
                    f: &f,
                    link: &link,
                    outcome: kind,
                }
                .render()
                .map_err(|e| e.to_string())?,
                link,
            })
        }
        other => Err(format!("unknown message kind {other}")),
    }
}
