//! Sending through SMTP with lettre.

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::rendering::Rendered;
use crate::config::{SmtpSecurity, SmtpSettings};

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of Message-IDs: the sender's domain.
    id_domain: String,
}

/// Why a message was not sent.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// The message itself cannot be sent (its address or headers cannot be
    /// built): trying again would fail the same way.
    Permanent(String),
    /// The server is away or refused for now: try again later.
    Temporary(String),
}

/// Text that goes into a header: control characters (a line break would
/// start a new header) become spaces. Input is refused with them at the
/// boundary; this keeps a message that slipped through from breaking mail.
fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

impl Mailer {
    pub fn new(s: &SmtpSettings, from: &str) -> anyhow::Result<Mailer> {
        let tls = |host: &str| TlsParameters::new(host.to_string());
        let mut builder = match s.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
                .tls(Tls::Wrapper(tls(&s.host)?)),
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
                    .tls(Tls::Required(tls(&s.host)?))
            }
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        }
        .port(s.port)
        .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(user), Some(password)) = (&s.username, &s.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().clone()));
        }
        let from: Mailbox = from.parse()?;
        Ok(Mailer {
            transport: builder.build(),
            id_domain: from.email.domain().to_string(),
            from,
        })
    }

    /// Builds the message for outbox row `id`. Its Message-ID comes from the
    /// row, so a message sent again after a crash is the same message, and
    /// mail systems drop the copy.
    pub fn build(
        &self,
        id: &str,
        to_address: &str,
        to_name: &str,
        m: &Rendered,
    ) -> Result<Message, SendError> {
        let address: Address = to_address.trim().parse().map_err(|e| {
            SendError::Permanent(format!("the address `{to_address}` cannot be used: {e}"))
        })?;
        let name = header_text(to_name);
        let to = Mailbox::new((!name.is_empty()).then_some(name), address);
        let message_id = format!("<{}@{}>", header_text(id).replace(' ', ""), self.id_domain);
        let (from, subject) = (self.from.clone(), header_text(&m.subject));
        let (text, html) = (m.text.clone(), m.html.clone());
        // lettre's builder is not meant to panic; should it do so on some
        // input all the same, that message is given up, not the worker.
        std::panic::catch_unwind(move || {
            Message::builder()
                .from(from)
                .to(to)
                .subject(subject)
                .message_id(Some(message_id))
                .multipart(MultiPart::alternative_plain_html(text, html))
        })
        .map_err(|_| SendError::Permanent("the message could not be built".into()))?
        .map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))
    }

    /// Sends the message, within `SEND_SECONDS` in all (lettre's timeout
    /// covers connecting only; a server that stalls mid-message must not hold
    /// the message past its claim).
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        let limit = std::time::Duration::from_secs(SEND_SECONDS);
        match tokio::time::timeout(limit, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(classify(&e)),
            Err(_) => Err(SendError::Temporary(format!(
                "the SMTP server did not finish within {SEND_SECONDS} seconds"
            ))),
        }
    }
}

/// The longest one message may take to send.
pub const SEND_SECONDS: u64 = 30;

/// Whether a refusal is the message's (given up) or the server's or ours (tried
/// again). A 5xx about signing in (530, 534, 535, 538: an expired relay
/// password, say) refuses every message alike, so it is tried again: giving up
/// would throw the whole queue away.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    if e.is_permanent() && !code.starts_with("53") {
        SendError::Permanent(e.to_string())
    } else {
        SendError::Temporary(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SmtpSecurity, SmtpSettings};

    fn mailer() -> Mailer {
        Mailer::new(
            &SmtpSettings {
                host: "127.0.0.1".into(),
                port: 25,
                security: SmtpSecurity::None,
                username: None,
                password: None,
            },
            "Gatehouse <gatehouse@access.example>",
        )
        .unwrap()
    }

    fn rendered(subject: &str) -> Rendered {
        Rendered {
            subject: subject.into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            link: String::new(),
        }
    }

    #[tokio::test]
    async fn names_and_subjects_with_line_breaks_never_break_a_message() {
        let m = mailer()
            .build(
                "outbox-1",
                "eve@example.com",
                "Eve\nBcc: victim@example.com",
                &rendered("Hello\r\nBcc: x@example.com"),
            )
            .unwrap();
        let text = String::from_utf8(m.formatted()).unwrap();
        assert!(!text.contains("\nBcc:"), "{text}");
        assert!(
            text.contains("Message-ID: <outbox-1@access.example>"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_bad_address_is_a_permanent_failure() {
        let e = mailer()
            .build("outbox-2", "not an address", "Eve", &rendered("Hi"))
            .unwrap_err();
        assert!(matches!(e, SendError::Permanent(m) if m.contains("cannot be used")));
    }
}
