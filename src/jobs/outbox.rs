//! The outbox worker: sends queued mail, retrying with backoff.
//!
//! Each message is claimed with a conditional update before sending, so two
//! instances never send it at the same time. Delivery is at least once: a
//! message the SMTP server accepted just before a crash is sent again when
//! its claim runs out (within a minute), with the same Message-ID, so that
//! mail systems drop the copy. A message that can never be sent is given up
//! with its reason, and the rest keep flowing.

use std::time::Duration;

use crate::clock::Clock;
use crate::notify::mailer::{Mailer, SEND_SECONDS, SendError};
use crate::notify::render;
use crate::store::{Store, outbox};

/// How long a claimed message is left to its sender: longer than a send may
/// take (`SEND_SECONDS`, 30 s), short enough that a message a crashed
/// instance claimed goes out within about a minute. The claim is taken when
/// the message's turn comes, not when the pass began.
const CLAIM_SECONDS: i64 = SEND_SECONDS as i64 + 20;

/// One pass: sends what is due; returns how many were sent.
#[tracing::instrument(skip_all)]
pub async fn run_once(
    store: &Store,
    mailer: &Mailer,
    base: &str,
    clock: &Clock,
) -> anyhow::Result<usize> {
    let due = {
        let mut conn = store.read().await?;
        outbox::due(&mut conn, clock.now(), 50).await?
    };
    let mut sent = 0;
    for m in due {
        let lease = clock.now() + chrono::Duration::seconds(CLAIM_SECONDS);
        {
            let mut tx = store.begin().await?;
            let claimed = outbox::claim(&mut tx, &m.id, &m.next_attempt_at, lease).await?;
            tx.commit().await?;
            if !claimed {
                continue;
            }
        }
        let result = match m
            .message
            .as_ref()
            .map_err(String::clone)
            .and_then(|msg| render(msg, base))
        {
            Ok(r) => match mailer.build(&m.id, &m.to_address, &m.to_name, &r) {
                Ok(message) => mailer.send(message).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(SendError::Permanent(format!("cannot render: {e}"))),
        };
        let mut tx = store.begin().await?;
        match result {
            Ok(()) => {
                outbox::mark_sent(&mut tx, &m.id, lease, clock.now()).await?;
                sent += 1;
            }
            Err(SendError::Permanent(e)) => {
                tracing::warn!(message = %m.id, error = %e, "mail cannot be sent; given up");
                let then = outbox::AfterFailure::GiveUp(clock.now());
                outbox::mark_failed(&mut tx, &m.id, lease, &e, then).await?;
            }
            Err(SendError::Temporary(e)) => {
                // 1, 2, 4 ... minutes, at most an hour apart.
                let wait = 2i64.pow(m.attempts.clamp(0, 6) as u32).min(60);
                tracing::warn!(message = %m.id, error = %e, "mail not sent; will retry");
                let then =
                    outbox::AfterFailure::RetryAt(clock.now() + chrono::Duration::minutes(wait));
                outbox::mark_failed(&mut tx, &m.id, lease, &e, then).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(sent)
}

/// Runs the worker until the process ends. Each pass runs as its own task, so
/// that nothing one message does can stop the worker.
pub fn spawn(store: Store, mailer: Mailer, base: String, clock: Clock, every: Duration) {
    let mailer = std::sync::Arc::new(mailer);
    tokio::spawn(async move {
        loop {
            let (store, mailer, base, clock) =
                (store.clone(), mailer.clone(), base.clone(), clock.clone());
            let pass = tokio::spawn(async move { run_once(&store, &mailer, &base, &clock).await });
            match pass.await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "outbox worker"),
                Err(e) => tracing::error!(error = %e, "outbox worker pass stopped"),
            }
            tokio::time::sleep(every).await;
        }
    });
}
