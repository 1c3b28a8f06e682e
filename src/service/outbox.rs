//! The mail outbox: as administrators read it (every message queued, sent or
//! not, and sending one again), and as the sender works through it (what is
//! due, a claim, and how an attempt went).

use chrono::{DateTime, Utc};
use serde_json::json;

use super::error::ServiceError;
use super::transaction::{read, write};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::MailId;
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
    id: &MailId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let Some(to) = outbox::send_again(tx, id, now).await? else {
            return Err(ServiceError::Refused(
                "Only a message that was given up can be sent again.".into(),
            ));
        };
        let details = json!({"message": id.as_str(), "to": to});
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

/// The mail due at `now`, `limit` at most, for the sender's pass.
#[tracing::instrument(skip_all)]
pub async fn due(
    store: &Store,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<MailRow>, ServiceError> {
    read(store, async |c| Ok(outbox::due(c, now, limit).await?)).await
}

/// Claims a due message for this instance until `lease`, once its turn
/// comes; false when another instance claimed or sent it meanwhile.
#[tracing::instrument(skip_all)]
pub async fn claim(
    store: &Store,
    mail: &MailRow,
    lease: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let mut tx = store.begin().await?;
    let claimed = outbox::claim(&mut tx, &mail.id, &mail.next_attempt_at, lease).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// How a claimed message's attempt ended.
pub enum Attempt {
    Sent,
    /// Never to be sent (why): given up.
    Refused(String),
    /// Not sent this time (why): tried again later, a little later each time.
    Failed(String),
}

/// Records how the attempt under the claim that ends at `lease` went
/// (nothing, should the claim have been taken meanwhile): sent, given up,
/// or tried again after 1, 2, 4 … minutes, at most an hour apart.
#[tracing::instrument(skip_all)]
pub async fn record(
    store: &Store,
    mail: &MailRow,
    lease: DateTime<Utc>,
    attempt: Attempt,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    match attempt {
        Attempt::Sent => outbox::mark_sent(&mut tx, &mail.id, lease, now).await?,
        Attempt::Refused(why) => {
            let then = outbox::AfterFailure::GiveUp(now);
            outbox::mark_failed(&mut tx, &mail.id, lease, &why, then).await?
        }
        Attempt::Failed(why) => {
            let wait = 2i64.pow(mail.attempts.clamp(0, 6) as u32).min(60);
            let then = outbox::AfterFailure::RetryAt(now + chrono::Duration::minutes(wait));
            outbox::mark_failed(&mut tx, &mail.id, lease, &why, then).await?
        }
    }
    tx.commit().await?;
    Ok(())
}
