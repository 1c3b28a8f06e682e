//! Calling a custom extension's endpoint: one `POST` of the call's body,
//! signed (Standard Webhooks headers) or with a bearer token from the
//! extension's OAuth 2.0 token endpoint (client credentials). Every try of
//! a call carries the same `webhook-id` and `Idempotency-Key` (the call's
//! id), so a receiver can tell a repeat from a new call.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};

use crate::domain::custom_extension::signature;
use crate::domain::secret::Secret;

/// How Gatehouse proves itself to the endpoint.
pub enum Auth<'a> {
    /// The extension's `whsec_` secret.
    Signature(&'a Secret<String>),
    OAuth {
        token_url: &'a str,
        client_id: &'a str,
        client_secret: &'a Secret<String>,
        scope: Option<&'a str>,
    },
}

/// One call to send.
pub struct Call<'a> {
    pub url: &'a str,
    pub auth: Auth<'a>,
    /// The call's id: `webhook-id` and `Idempotency-Key`.
    pub id: &'a str,
    pub body: &'a str,
    pub timeout: Duration,
}

/// How a try went: the status of an accepted call, or the status (when
/// there was one) and why it was not accepted. Messages never carry a
/// secret.
pub type Sent = Result<u16, (Option<u16>, String)>;

fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))
}

/// Why a request did not get an answer, without the URL's query.
fn failed(e: reqwest::Error, what: &str) -> String {
    if e.is_timeout() {
        format!("{what} did not answer in time")
    } else if e.is_connect() {
        format!("{what} could not be reached")
    } else {
        format!("{what} failed: {}", e.without_url())
    }
}

/// Tokens from token endpoints, kept until shortly before they expire:
/// (token URL, client, scope) → (token, when it stops being used).
type Tokens = HashMap<(String, String, String), (String, Instant)>;
static TOKENS: LazyLock<Mutex<Tokens>> = LazyLock::new(Default::default);

fn token_key(token_url: &str, client_id: &str, scope: Option<&str>) -> (String, String, String) {
    (
        token_url.to_string(),
        client_id.to_string(),
        scope.unwrap_or_default().to_string(),
    )
}

/// A bearer token for the extension: the one kept, or a new one from its
/// token endpoint (client credentials), kept until a minute before it
/// expires (five minutes when the endpoint does not say).
async fn bearer_token(
    http: &reqwest::Client,
    token_url: &str,
    client_id: &str,
    secret: &Secret<String>,
    scope: Option<&str>,
) -> Result<String, String> {
    let key = token_key(token_url, client_id, scope);
    if let Some((token, until)) = TOKENS.lock().ok().and_then(|t| t.get(&key).cloned()) {
        if until > Instant::now() {
            return Ok(token);
        }
    }
    let (token, lifetime) = fetch_token(http, token_url, client_id, secret, scope).await?;
    let keep = lifetime
        .unwrap_or(Duration::from_secs(360))
        .saturating_sub(Duration::from_secs(60));
    if let Ok(mut t) = TOKENS.lock() {
        t.insert(key, (token.clone(), Instant::now() + keep));
    }
    Ok(token)
}

/// Forgets a kept token the endpoint refused (it may have been revoked).
fn forget_token(token_url: &str, client_id: &str, scope: Option<&str>) {
    if let Ok(mut t) = TOKENS.lock() {
        t.remove(&token_key(token_url, client_id, scope));
    }
}

async fn fetch_token(
    http: &reqwest::Client,
    token_url: &str,
    client_id: &str,
    secret: &Secret<String>,
    scope: Option<&str>,
) -> Result<(String, Option<Duration>), String> {
    let url = TokenUrl::new(token_url.to_string()).map_err(|_| "the token URL is not valid")?;
    let client = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_client_secret(ClientSecret::new(secret.expose().clone()))
        .set_token_uri(url);
    let mut request = client.exchange_client_credentials();
    for s in scope.unwrap_or_default().split_whitespace() {
        request = request.add_scope(Scope::new(s.to_string()));
    }
    let token = request.request_async(http).await.map_err(|e| match e {
        oauth2::RequestTokenError::ServerResponse(r) => {
            format!(
                "the token endpoint refused: {}",
                super::remote::remote_text(r.error().as_ref())
            )
        }
        oauth2::RequestTokenError::Request(_) => "the token endpoint could not be reached".into(),
        _ => "the token endpoint's answer could not be read".into(),
    })?;
    Ok((token.access_token().secret().clone(), token.expires_in()))
}

/// Sends one try of a call; returns how it went and how long it took.
pub async fn send(call: &Call<'_>, now_unix: i64) -> (Sent, Duration) {
    let started = Instant::now();
    let result = try_send(call, now_unix).await;
    (result, started.elapsed())
}

async fn try_send(call: &Call<'_>, now_unix: i64) -> Sent {
    let http = client(call.timeout).map_err(|e| (None, e))?;
    let mut request = http
        .post(call.url)
        .header("content-type", "application/json")
        .header("webhook-id", call.id)
        .header("webhook-timestamp", now_unix.to_string())
        .header("idempotency-key", call.id);
    match &call.auth {
        Auth::Signature(secret) => {
            let sig = signature(secret.expose(), call.id, now_unix, call.body)
                .ok_or((None, "the signing secret is not valid".to_string()))?;
            request = request.header("webhook-signature", sig);
        }
        Auth::OAuth {
            token_url,
            client_id,
            client_secret,
            scope,
        } => {
            let token = bearer_token(&http, token_url, client_id, client_secret, *scope)
                .await
                .map_err(|e| (None, e))?;
            request = request.bearer_auth(token);
        }
    }
    let response = request
        .body(call.body.to_string())
        .send()
        .await
        .map_err(|e| (None, failed(e, "the endpoint")))?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Ok(status);
    }
    if let (
        401,
        Auth::OAuth {
            token_url,
            client_id,
            scope,
            ..
        },
    ) = (status, &call.auth)
    {
        forget_token(token_url, client_id, *scope);
    }
    // A little of what it said, for the administrator (never echoed secrets:
    // the body is the receiver's own).
    // Only the start is read: a receiver may answer with any amount.
    let (start, _) = super::remote::body_at_most(response, 4096)
        .await
        .unwrap_or_default();
    let said: String = String::from_utf8_lossy(&start)
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    Err((
        Some(status),
        if said.trim().is_empty() {
            format!("the endpoint answered {status}")
        } else {
            format!("the endpoint answered {status}: {}", said.trim())
        },
    ))
}
