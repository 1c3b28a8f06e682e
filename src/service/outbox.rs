//! The mail outbox as administrators read it: every message queued, sent
//! or not.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{ServiceError, read, write};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::store::outbox::{self, MailRow};
use crate::store::{Page, PageAt, Store};

/// One page of the outbox, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(store: &Store, at: PageAt) -> Result<Page<MailRow>, ServiceError> {
    read(store, async |c| Ok(outbox::list(c, at).await?)).await
}

/// An administrator sends a message that was given up once more (its
/// address was corrected, the SMTP server's password renewed): it takes its
/// turn in the queue again.
#[tracing::instrument(skip_all)]
pub async fn send_again(
    store: &Store,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let Some(to) = outbox::send_again(tx, id, now).await? else {
            return Err(ServiceError::Refused(
                "Only a message that was given up can be sent again.".into(),
            ));
        };
        let details = json!({"message": id, "to": to});
        let event = NewAuditEvent::new(
            "Send mail again",
            object_type::SETTINGS,
            id,
            format!("Mail to {to}"),
            details,
        );
        Ok(((), event))
    })
    .await
}
