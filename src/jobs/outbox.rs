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
use crate::service::outbox::{self, Attempt};
use crate::store::Store;

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
    let due = outbox::due(store, clock.now(), 50).await?;
    let mut sent = 0;
    for m in due {
        let lease = clock.now() + chrono::Duration::seconds(CLAIM_SECONDS);
        if !outbox::claim(store, &m, lease).await? {
            continue;
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
        let attempt = match result {
            Ok(()) => {
                sent += 1;
                Attempt::Sent
            }
            Err(SendError::Permanent(e)) => {
                tracing::warn!(message = %m.id, error = %e, "mail cannot be sent; given up");
                Attempt::Refused(e)
            }
            Err(SendError::Temporary(e)) => {
                tracing::warn!(message = %m.id, error = %e, "mail not sent; will retry");
                Attempt::Failed(e)
            }
        };
        outbox::record(store, &m, lease, attempt, clock.now()).await?;
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
