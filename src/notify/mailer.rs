//! Sending through SMTP with lettre.

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Rendered;
use crate::config::{SmtpSecurity, SmtpSettings};

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
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
        Ok(Mailer {
            transport: builder.build(),
            from: from.parse()?,
        })
    }

    pub async fn send(&self, to_address: &str, to_name: &str, m: &Rendered) -> Result<(), String> {
        let to = Mailbox::new(
            Some(to_name.to_string()),
            to_address.parse().map_err(|e| format!("address: {e}"))?,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&m.subject)
            .multipart(MultiPart::alternative_plain_html(
                m.text.clone(),
                m.html.clone(),
            ))
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
