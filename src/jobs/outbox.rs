//! The outbox worker: sends queued mail, retrying with backoff. Each message is
//! claimed with a conditional update before sending, so two instances never send
//! the same message twice.

use std::time::Duration;

use crate::clock::Clock;
use crate::notify::{mailer::Mailer, render};
use crate::store::{Store, outbox};

/// One pass: sends what is due; returns how many were sent.
pub async fn run_once(
    store: &Store,
    mailer: &Mailer,
    base: &str,
    clock: &Clock,
) -> anyhow::Result<usize> {
    let now = clock.now();
    let due = {
        let mut conn = store.read().await?;
        outbox::due(&mut conn, now, 50).await?
    };
    let mut sent = 0;
    for m in due {
        {
            let mut tx = store.begin().await?;
            let claimed = outbox::claim(
                &mut tx,
                &m.id,
                &m.next_attempt_at,
                now + chrono::Duration::minutes(5),
            )
            .await?;
            tx.commit().await?;
            if !claimed {
                continue;
            }
        }
        let result = match render(&m.kind, &m.data, base) {
            Ok(r) => mailer.send(&m.to_address, &m.to_name, &r).await,
            Err(e) => Err(format!("cannot render: {e}")),
        };
        let mut tx = store.begin().await?;
        match result {
            Ok(()) => {
                outbox::mark_sent(&mut tx, &m.id, clock.now()).await?;
                sent += 1;
            }
            Err(e) => {
                // 1, 2, 4 ... minutes, at most an hour apart.
                let wait = 2i64.pow(m.attempts.clamp(0, 6) as u32).min(60);
                tracing::warn!(message = %m.id, error = %e, "mail not sent; will retry");
                outbox::mark_failed(
                    &mut tx,
                    &m.id,
                    &e,
                    clock.now() + chrono::Duration::minutes(wait),
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(sent)
}

/// Runs the worker until the process ends.
pub fn spawn(store: Store, mailer: Mailer, base: String, clock: Clock, every: Duration) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_once(&store, &mailer, &base, &clock).await {
                tracing::error!(error = %format!("{e:#}"), "outbox worker");
            }
            tokio::time::sleep(every).await;
        }
    });
}
