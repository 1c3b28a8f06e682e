//! API tokens: made (shown once), listed, revoked, and checked when a
//! machine interface is called.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::error::{ServiceError, found};
use super::transaction::{read, write};
use crate::domain::api_token::{self, NewToken, PREFIX, Purpose};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::ApiTokenId;
use crate::store::Store;
use crate::store::api_tokens::{self as tokens, TokenKey, TokenRow};

fn event(action: &str, id: &ApiTokenId, name: &str, details: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent::new(action, object_type::API_TOKEN, id, name, details)
}

/// 256 random bits, URL-safe.
fn random_part() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tracing::instrument(skip_all)]
pub async fn list(store: &Store) -> Result<Vec<TokenRow>, ServiceError> {
    read(store, async |c| Ok(tokens::all(c).await?)).await
}

/// Makes a token; returns it, the only time it is seen, with every token
/// as the page lists them now.
#[tracing::instrument(skip_all)]
pub async fn create(
    store: &Store,
    actor: &Actor,
    t: &NewToken,
    now: DateTime<Utc>,
) -> Result<(String, Vec<TokenRow>), ServiceError> {
    let token = format!("{PREFIX}{}", random_part());
    let id = ApiTokenId::new();
    let by = actor.display_name.clone();
    write(store, actor, now, async |c| {
        tokens::insert(
            c,
            &id,
            t,
            &api_token::hash(&token),
            &api_token::hint(&token),
            &by,
            now,
        )
        .await?;
        let details = json!({
            "purpose": t.purpose.as_str(),
            "expires": t.expires_at.map(|e| e.to_rfc3339()),
        });
        let listed = tokens::all(c).await?;
        Ok((listed, event("Create API token", &id, &t.name, details)))
    })
    .await
    .map(|listed| (token, listed))
}

#[tracing::instrument(skip_all)]
pub async fn revoke(
    store: &Store,
    actor: &Actor,
    id: &ApiTokenId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |c| {
        let t = found(tokens::find(c, TokenKey::Id(id)).await?)?;
        if !tokens::revoke(c, id, now).await? {
            return Err(ServiceError::Refused(format!(
                "{} was already revoked.",
                t.name
            )));
        }
        Ok((
            t.name.clone(),
            event("Revoke API token", id, &t.name, json!({})),
        ))
    })
    .await
}

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No token, an unknown one, or one expired or revoked (401).
    Unauthorized(&'static str),
    /// A good token for something else (403).
    Forbidden(&'static str),
}

/// Checks a bearer token for `purpose`; records its use (at most once a
/// minute, so that busy clients do not write on every call).
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    store: &Store,
    bearer: Option<&str>,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Result<TokenRow, Refusal>, ServiceError> {
    let Some(token) = bearer.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Err(Refusal::Unauthorized(
            "Send an API token as a bearer token.",
        )));
    };
    let row = {
        let mut c = store.read().await?;
        tokens::find(&mut c, TokenKey::Hash(&api_token::hash(token))).await?
    };
    let Some(row) = row else {
        return Ok(Err(Refusal::Unauthorized("The token is not valid.")));
    };
    if row.revoked_at.is_some() {
        return Ok(Err(Refusal::Unauthorized("The token was revoked.")));
    }
    let expired = row
        .expires_at
        .as_deref()
        .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        .is_some_and(|e| e <= now);
    if expired {
        return Ok(Err(Refusal::Unauthorized("The token has expired.")));
    }
    if row.purpose != purpose.as_str() {
        return Ok(Err(Refusal::Forbidden(
            "The token is not for this interface.",
        )));
    }
    let stale = row
        .last_used_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_none_or(|t| now - t.with_timezone(&Utc) > Duration::minutes(1));
    if stale {
        let mut tx = store.begin().await?;
        tokens::touch(&mut tx, &row.id, now).await?;
        tx.commit().await?;
    }
    Ok(Ok(row))
}
