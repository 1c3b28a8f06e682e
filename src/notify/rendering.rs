//! A message rendered from its templates: subject, text and HTML, with the
//! public URL its links start with.

use crate::domain::ids::RequestId;
use crate::domain::message::{Code, Message};
use crate::routes;

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub link: String,
}

/// Each kind's template pair, in a module named for the kind: the text
/// (subject first) and the HTML, over the same facts. A module per kind
/// gives each pair its own `Text` and `Html` without pasting names.
macro_rules! pairs {
    ($($kind:ident: $facts:ident = $txt_path:literal, $html_path:literal;)*) => {$(
        mod $kind {
            use askama::Template;

            use crate::notify::rendering::{Rendered, split_subject};
            use crate::domain::message::$facts;

            #[derive(Template)]
            #[template(path = $txt_path)]
            struct Text<'a> {
                f: &'a $facts,
                link: &'a str,
            }

            #[derive(Template)]
            #[template(path = $html_path)]
            struct Html<'a> {
                f: &'a $facts,
                link: &'a str,
                subject: &'a str,
            }

            pub(super) fn both(f: &$facts, link: String) -> Result<Rendered, String> {
                let text = Text { f, link: &link }
                    .render()
                    .map_err(|e| e.to_string())?;
                let (subject, body) = split_subject(&text)?;
                let html = Html {
                    f,
                    link: &link,
                    subject: &subject,
                }
                .render()
                .map_err(|e| e.to_string())?;
                Ok(Rendered {
                    subject,
                    text: body,
                    html,
                    link,
                })
            }
        }
    )*};
}

pairs! {
    // To approvers; the link opens the approval page.
    approval_request: Approval = "email/approval_request.txt", "email/approval_request.html";
    approval_forwarded: Approval = "email/approval_forwarded.txt", "email/approval_forwarded.html";
    approval_reminder: Approval = "email/approval_reminder.txt", "email/approval_reminder.html";
    stage_decided: Decided = "email/stage_decided.txt", "email/stage_decided.html";
    approval_canceled: Outcome = "email/approval_canceled.txt", "email/approval_canceled.html";
    approval_expired: Outcome = "email/approval_expired.txt", "email/approval_expired.html";

    // To requestors and the people access is for; the link opens My Access.
    request_denied: Outcome = "email/request_denied.txt", "email/request_denied.html";
    access_delivered: Outcome = "email/access_delivered.txt", "email/access_delivered.html";
    request_scheduled: Outcome = "email/request_scheduled.txt", "email/request_scheduled.html";
    request_expired: Outcome = "email/request_expired.txt", "email/request_expired.html";
    request_continued: Outcome = "email/request_continued.txt", "email/request_continued.html";
    access_extended: Outcome = "email/access_extended.txt", "email/access_extended.html";
    access_expiring: Expiring = "email/access_expiring.txt", "email/access_expiring.html";
    access_ended: Ended = "email/access_ended.txt", "email/access_ended.html";

    // To reviewers; the link opens the review.
    review_request: Review = "email/review_request.txt", "email/review_request.html";
    review_reminder: Review = "email/review_reminder.txt", "email/review_reminder.html";

    // To someone signing in with a code by mail.
    sign_in_code: Code = "email/sign_in_code.txt", "email/sign_in_code.html";
}

/// The text template's first line is the subject; a blank line follows.
fn split_subject(text: &str) -> Result<(String, String), String> {
    let (subject, body) = text
        .split_once('\n')
        .ok_or_else(|| "a mail template without a body".to_string())?;
    let subject = subject.trim();
    if subject.is_empty() {
        return Err("a mail template without a subject".into());
    }
    Ok((
        subject.to_string(),
        body.trim_start_matches('\n').to_string(),
    ))
}

/// Renders a message; `base` is the public URL without trailing slash.
pub fn render(message: &Message, base: &str) -> Result<Rendered, String> {
    let requests = || format!("{base}{}", routes::REQUESTS);
    let approval = |request: &RequestId| format!("{base}{}", routes::APPROVAL.id(request));
    match message {
        Message::ApprovalRequest(a) => approval_request::both(a, approval(&a.request.request_id)),
        Message::ApprovalForwarded(a) => {
            approval_forwarded::both(a, approval(&a.request.request_id))
        }
        Message::ApprovalReminder(a) => approval_reminder::both(a, approval(&a.request.request_id)),
        Message::StageDecided(d) => stage_decided::both(d, approval(&d.request.request_id)),
        Message::ApprovalCanceled(o) => approval_canceled::both(o, approval(&o.request.request_id)),
        Message::ApprovalExpired(o) => approval_expired::both(o, approval(&o.request.request_id)),
        Message::RequestDenied(o) => request_denied::both(o, requests()),
        Message::AccessDelivered(o) => access_delivered::both(o, requests()),
        Message::RequestScheduled(o) => request_scheduled::both(o, requests()),
        Message::RequestExpired(o) => request_expired::both(o, requests()),
        Message::AccessEnded(e) => access_ended::both(e, requests()),
        Message::AccessExtended(o) => access_extended::both(o, requests()),
        Message::AccessExpiring(e) => {
            let link = if e.can_extend {
                format!("{base}{}", routes::PACKAGE.id(&e.package_id))
            } else {
                requests()
            };
            access_expiring::both(e, link)
        }
        Message::SignInCode(c) => sign_in_code::both(c, format!("{base}{}", routes::CODE)),
        Message::RequestContinued(o) => request_continued::both(o, requests()),
        Message::ReviewRequest(r) => review_request::both(
            r,
            format!("{base}{}", routes::ACCESS_REVIEW.id(&r.review_id)),
        ),
        Message::ReviewReminder(r) => review_reminder::both(
            r,
            format!("{base}{}", routes::ACCESS_REVIEW.id(&r.review_id)),
        ),
    }
}

/// Renders a message for an administrator's eyes: a sign-in code is hidden,
/// so that reading the outbox does not let anyone sign in as its recipient.
pub fn render_for_admin(message: &Message, base: &str) -> Result<Rendered, String> {
    match message {
        Message::SignInCode(c) => render(
            &Message::SignInCode(Code {
                code: "(hidden)".into(),
                ..c.clone()
            }),
            base,
        ),
        other => render(other, base),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{
        Approval, Decided, Ended, Expiring, MailKind, Outcome, RequestFacts, Review,
    };
    use crate::domain::request::EndReason;

    fn facts() -> RequestFacts {
        RequestFacts {
            request_id: "r1".to_string().into(),
            package: "Sales <b>".into(),
            requestor: "Maria".into(),
            requestor_email: "maria@example.com".into(),
            ..Default::default()
        }
    }

    /// One message of each kind, as the domain makes them.
    fn every_kind() -> Vec<Message> {
        let outcome = Outcome {
            request: facts(),
            reason: "Not needed".into(),
            ends: "2027-01-31".into(),
        };
        let approval = Approval {
            request: facts(),
            decide_by: "2026-12-14".into(),
            access_lasts: "365 days from when it is given".into(),
        };
        vec![
            Message::ApprovalRequest(approval.clone()),
            Message::ApprovalForwarded(approval.clone()),
            Message::ApprovalReminder(approval),
            Message::RequestDenied(outcome.clone()),
            Message::AccessDelivered(outcome.clone()),
            Message::RequestScheduled(outcome.clone()),
            Message::RequestExpired(outcome.clone()),
            Message::AccessEnded(Ended {
                package: "Sales <b>".into(),
                requestor: String::new(),
                requestor_email: String::new(),
                reason: EndReason::Removed,
            }),
            Message::AccessExtended(outcome.clone()),
            Message::RequestContinued(outcome.clone()),
            Message::StageDecided(Decided {
                request: facts(),
                approved: true,
                decided_by: "Ada".into(),
            }),
            Message::ApprovalExpired(outcome.clone()),
            Message::ApprovalCanceled(outcome),
            Message::ReviewRequest(Review {
                review_id: "v1".to_string().into(),
                package: "Sales <b>".into(),
                ends: "2026-12-14".into(),
                self_review: false,
            }),
            Message::ReviewReminder(Review {
                review_id: "v1".to_string().into(),
                package: "Sales <b>".into(),
                ends: "2026-12-14".into(),
                self_review: true,
            }),
            Message::AccessExpiring(Expiring {
                package: "Sales <b>".into(),
                package_id: "p1".to_string().into(),
                days: 1,
                ends: "2026-12-14".into(),
                can_extend: true,
                ..Default::default()
            }),
            Message::SignInCode(Code {
                code: "12345678".into(),
                minutes: 10,
            }),
        ]
    }

    #[test]
    fn every_kind_has_a_subject_a_text_and_an_escaped_html_body() {
        let all = every_kind();
        assert_eq!(all.len(), MailKind::ALL.len());
        for m in &all {
            let r = render(m, "https://gh.example").unwrap();
            assert!(
                !r.subject.is_empty() && !r.subject.contains('\n'),
                "{:?}",
                m.kind()
            );
            assert!(!r.text.trim().is_empty(), "{:?}", m.kind());
            assert!(r.text.contains(&r.link), "{:?}: {}", m.kind(), r.text);
            assert!(r.html.contains("<title>"), "{:?}", m.kind());
            assert!(!r.html.contains("Sales <b>"), "{:?}: {}", m.kind(), r.html);
            assert!(r.link.starts_with("https://gh.example/"), "{}", r.link);
        }
    }

    #[test]
    fn subjects_say_what_happened() {
        let subjects: Vec<String> = every_kind()
            .iter()
            .map(|m| render(m, "").unwrap().subject)
            .collect();
        assert_eq!(
            subjects,
            [
                "Action required: approve or deny Maria's request for Sales <b> by 2026-12-14",
                "Forwarded: approve or deny Maria's request for Sales <b> by 2026-12-14",
                "Reminder: approve or deny Maria's request for Sales <b> by 2026-12-14",
                "Request denied: Sales <b>",
                "You now have access to Sales <b>",
                "Request approved: Sales <b>",
                "Your request for Sales <b> has expired",
                "Access has ended for Sales <b>",
                "Your access to Sales <b> was extended",
                "Request goes on: Sales <b>",
                "Request approved for Maria to Sales <b>",
                "Request has expired: Maria's request for Sales <b>",
                "Request canceled: Maria's request for Sales <b>",
                "Review who holds Sales <b> by 2026-12-14",
                "Reminder: do you still need Sales <b>? Answer by 2026-12-14",
                "Extend access for Sales <b> by 2026-12-14",
                "Your Gatehouse sign-in code",
            ]
        );
    }

    #[test]
    fn an_ending_that_cannot_be_extended_is_not_offered_as_one() {
        let ending = Message::AccessExpiring(Expiring {
            package: "Sales".into(),
            days: 14,
            ends: "2026-12-14".into(),
            can_extend: false,
            ..Default::default()
        });
        let r = render(&ending, "").unwrap();
        assert_eq!(r.subject, "Your access to Sales ends in 14 days");
        assert!(!r.text.contains("Extend it here"), "{}", r.text);
    }

    #[test]
    fn an_approval_mail_gives_the_period_asked_for() {
        let mut request = facts();
        request.starts = "2027-01-04".into();
        request.period_ends = "2027-02-26".into();
        let approval = Message::ApprovalRequest(Approval {
            request,
            decide_by: "2026-12-14 09:00 UTC".into(),
            access_lasts: String::new(),
        });
        let r = render(&approval, "").unwrap();
        assert!(
            r.text
                .contains("Requested period: from 2027-01-04 until 2027-02-26"),
            "{}",
            r.text
        );
        assert!(
            r.html.contains("from 2027-01-04 until 2027-02-26"),
            "{}",
            r.html
        );
        assert!(!r.text.contains("Access lasts"), "{}", r.text);
        let plain = render(&every_kind()[0], "").unwrap();
        assert!(!plain.text.contains("Requested period"), "{}", plain.text);
        assert!(
            plain
                .text
                .contains("Access lasts: 365 days from when it is given"),
            "{}",
            plain.text
        );
    }

    #[test]
    fn an_administrator_never_sees_a_code() {
        let code = Message::SignInCode(Code {
            code: "12345678".into(),
            minutes: 10,
        });
        let r = render_for_admin(&code, "").unwrap();
        assert!(!r.text.contains("12345678") && !r.html.contains("12345678"));
    }
}
