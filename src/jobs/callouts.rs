//! The custom extension calls' worker: sends each queued call to its
//! endpoint, with retries and backoff, and records how it went.
//!
//! A call is claimed in one transaction (by one instance only), sent outside
//! any transaction (an endpoint may be slow), and its outcome written in one
//! more. An instance that dies between the two leaves its claim to run out
//! (twice the call's timeout and a little); the call is then sent again,
//! with the same body and the same `webhook-id`, so the receiver can tell it
//! is a repeat.

use crate::clock::Clock;
use crate::connectors::webhook::{self, Auth, Call};
use crate::domain::custom_extension::with_callback;
use crate::domain::secret::Secret;
use crate::service::ServiceError;
use crate::service::custom_extensions as svc;
use crate::store::custom_extensions::Claimed;
use crate::store::{Store, StoreError};

/// How often an idle worker looks for due calls; a change on this instance
/// wakes it at once (`Store::wake_workers`).
pub const IDLE_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Sends due calls whenever there are some, until the process ends.
/// `base_url`: this instance's public address, for callback URLs.
#[tracing::instrument(skip_all)]
pub async fn work(store: Store, clock: Clock, base_url: String) {
    loop {
        match svc::any_due(&store, clock.now()).await {
            Ok(true) => {
                if let Err(e) = run_once(&store, &clock, &base_url).await {
                    tracing::error!(error = %format!("{e:#}"), "custom extension calls");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "custom extension calls"),
        }
        tokio::select! {
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = store.callouts_woken() => {}
        }
    }
}

/// One pass over what is due; returns how many calls were tried. Each call
/// is claimed on its own, for as long as sending it can take.
#[tracing::instrument(skip_all)]
pub async fn run_once(store: &Store, clock: &Clock, base_url: &str) -> Result<usize, ServiceError> {
    let mut total = 0;
    while let Some(call) = svc::claim(store, clock.now()).await? {
        send_one(store, clock, base_url, &call).await?;
        total += 1;
    }
    Ok(total)
}

#[tracing::instrument(skip_all)]
async fn send_one(
    store: &Store,
    clock: &Clock,
    base_url: &str,
    call: &Claimed,
) -> Result<(), ServiceError> {
    let body = match svc::body_of(store, call).await {
        Ok(body) => body,
        // Its request or assignment is gone, or its facts cannot be read:
        // failed at once, not claimed again and again.
        Err(ServiceError::NotFound) => {
            let why = "The request or assignment the call was for no longer exists.";
            return svc::give_up(store, call, why.into(), clock.now()).await;
        }
        Err(ServiceError::Store(StoreError::Corrupt(what))) => {
            let why = format!("What the call is about cannot be read: {what}.");
            return svc::give_up(store, call, why, clock.now()).await;
        }
        Err(e) => return Err(e),
    };
    let body = match (&call.callback_token, &call.request_id) {
        (Some(token), Some(request)) => {
            let path = crate::routes::REQUEST_RESUME.id(request);
            let url = format!("{}{path}", base_url.trim_end_matches('/'));
            match serde_json::from_str(&body) {
                Ok(v) => with_callback(v, &url, &path, token).to_string(),
                Err(_) => body,
            }
        }
        _ => body,
    };
    // Reading the body may have waited (for a connection, say): a send that
    // could outlast the claim is left for the next, not made twice.
    if !call.ends_in_time(clock.now()) {
        tracing::warn!(call = %call.id, "custom extension call left for a later claim: this one runs out before it could end");
        return Ok(());
    }
    let secret = Secret::new(call.secret.clone());
    let auth = match (
        call.authentication.as_str(),
        &call.token_url,
        &call.client_id,
    ) {
        ("oauth", Some(token_url), Some(client_id)) => Auth::OAuth {
            token_url,
            client_id,
            client_secret: &secret,
            scope: call.scope.as_deref(),
        },
        _ => Auth::Signature(&secret),
    };
    let (sent, took) = webhook::send(
        &Call {
            url: &call.endpoint_url,
            auth,
            id: &call.id,
            body: &body,
            timeout: std::time::Duration::from_secs(call.timeout_seconds.clamp(1, 120) as u64),
        },
        // The wall clock, not the job clock: receivers check the signed
        // timestamp against theirs (a moved test clock would look forged).
        chrono::Utc::now().timestamp(),
    )
    .await;
    if let Err((status, why)) = &sent {
        tracing::warn!(call = %call.id, status = ?status, error = %why, "custom extension call not accepted");
    }
    svc::finish(store, call, sent, took.as_millis() as i64, clock.now()).await
}
