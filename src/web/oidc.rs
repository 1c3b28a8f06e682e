//! OpenID Connect sign-in: authorization-code flow with PKCE, state and nonce.
//!
//! Discovery documents are fetched on first use and kept, so a provider that is
//! down at start-up does not stop Gatehouse; sign-in says so until it is back.

use std::collections::HashMap;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// Providers rotate their signing keys; an hour-old copy is fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

use crate::config::OidcProvider;
use crate::domain::validation::MAX_NAME;
use crate::service::sign_in::VerifiedClaims;

/// A sign-in started here and not yet finished: what the callback must match.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
}

/// Why a sign-in could not finish. The text is shown to the person.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error("The identity provider refused to complete the sign-in ({0}). Start again.")]
    Exchange(String),
    #[error(
        "The identity provider's answer could not be verified ({0}), so you were not signed in."
    )]
    Verification(String),
}

pub struct Oidc {
    providers: Vec<OidcProvider>,
    redirect_uri: String,
    http: openidconnect::reqwest::Client,
    /// Discovery documents (with the signing keys) and when they were fetched.
    metadata: RwLock<HashMap<String, (Instant, CoreProviderMetadata)>>,
}

impl Oidc {
    pub fn new(providers: Vec<OidcProvider>, redirect_uri: String) -> anyhow::Result<Oidc> {
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects from the token endpoint would open SSRF holes.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .build()?;
        Ok(Oidc {
            providers,
            redirect_uri,
            http,
            metadata: RwLock::new(HashMap::new()),
        })
    }

    pub fn providers(&self) -> &[OidcProvider] {
        &self.providers
    }

    pub fn provider(&self, name: &str) -> Option<&OidcProvider> {
        self.providers.iter().find(|p| p.name == name)
    }

    async fn client(
        &self,
        p: &OidcProvider,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        SignInError,
    > {
        let cached = self
            .metadata
            .read()
            .await
            .get(&cache_key(p))
            .filter(|(fetched, _)| fetched.elapsed() < METADATA_TTL)
            .map(|(_, m)| m.clone());
        let metadata = match cached {
            Some(m) => m,
            None => {
                // The issuer is compared exactly with the discovery document's,
                // so it is used as configured.
                let issuer = IssuerUrl::new(p.issuer.clone())
                    .map_err(|e| SignInError::Unreachable(e.to_string()))?;
                let m = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| SignInError::Unreachable(error_chain(&e)))?;
                self.metadata
                    .write()
                    .await
                    .insert(cache_key(p), (Instant::now(), m.clone()));
                m
            }
        };
        let redirect = RedirectUrl::new(self.redirect_uri.clone())
            .map_err(|e| SignInError::Unreachable(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(p.client_id.clone()),
            Some(ClientSecret::new(p.client_secret.expose().clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Builds the provider's authorization URL and what the callback must match.
    pub async fn start(
        &self,
        p: &OidcProvider,
        next: &str,
    ) -> Result<(String, PendingSignIn), SignInError> {
        let client = self.client(p).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            PendingSignIn {
                provider: p.name.clone(),
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                next: next.to_string(),
            },
        ))
    }

    /// Redeems the code and verifies the ID token (signature, issuer, audience, expiry, nonce).
    pub async fn finish(
        &self,
        p: &OidcProvider,
        pending: &PendingSignIn,
        code: &str,
    ) -> Result<VerifiedClaims, SignInError> {
        let client = self.client(p).await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| SignInError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| SignInError::Exchange(token_error_text(&e)))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| SignInError::Verification("no ID token was returned".into()))?;
        let verifier = client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &Nonce::new(pending.nonce.clone())) {
            Ok(c) => c,
            Err(e) => {
                // Perhaps the keys rotated: the next sign-in fetches them again.
                self.metadata.write().await.remove(&cache_key(p));
                return Err(SignInError::Verification(e.to_string()));
            }
        };
        let localized = |c: Option<&openidconnect::LocalizedClaim<_>>| -> Option<String> {
            c.and_then(|l: &openidconnect::LocalizedClaim<openidconnect::EndUserName>| l.get(None))
                .map(|v| v.as_str().to_string())
        };
        // A name with a line break or another control character would end up
        // in mail headers and pages, and one longer than any name or address
        // could not be kept: such a claim is dropped, not trusted.
        let printable = |v: Option<String>| {
            v.filter(|t| !t.chars().any(char::is_control) && t.chars().count() <= MAX_NAME)
        };
        // The subject is the account's key: one that cannot be stored (a NUL,
        // more than the 255 ASCII characters OpenID Connect allows) or shown
        // is refused, as a token that does not verify.
        let subject = claims.subject().as_str();
        if subject.chars().any(char::is_control) || subject.len() > 255 {
            return Err(SignInError::Verification(
                "the subject claim contains a control character or is longer than 255 characters"
                    .into(),
            ));
        }
        Ok(VerifiedClaims {
            issuer: claims.issuer().as_str().to_string(),
            subject: subject.to_string(),
            preferred_username: printable(
                claims.preferred_username().map(|u| u.as_str().to_string()),
            ),
            oid: printable(payload_claim(&id_token.to_string(), "oid")),
            email: printable(claims.email().map(|e| e.as_str().to_string())),
            email_verified: claims.email_verified(),
            name: printable(localized(claims.name())),
            given_name: printable(
                claims
                    .given_name()
                    .and_then(|l| l.get(None))
                    .map(|v| v.as_str().to_string()),
            ),
            family_name: printable(
                claims
                    .family_name()
                    .and_then(|l| l.get(None))
                    .map(|v| v.as_str().to_string()),
            ),
        })
    }
}

/// Connected organizations' providers can change issuer under the same name.
fn cache_key(p: &OidcProvider) -> String {
    format!("{}|{}", p.name, p.issuer)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn token_error_text<RE: std::error::Error + 'static, T: openidconnect::ErrorResponse + 'static>(
    e: &openidconnect::RequestTokenError<RE, T>,
) -> String {
    match e {
        openidconnect::RequestTokenError::ServerResponse(r) => r.to_string(),
        other => error_chain(other),
    }
}

/// A string claim of a verified ID token that the standard claims do not
/// name (Entra ID's `oid`), read from its payload. Only called once the
/// token's signature has been checked.
fn payload_claim(jwt: &str, name: &str) -> Option<String> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get(name)?.as_str().map(str::to_string)
}
