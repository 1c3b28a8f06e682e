//! Typed access to the session cookie's contents.

use std::collections::BTreeMap;

use actix_session::Session;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::domain::ids::UserId;
use crate::domain::user::ExternalIdentity;
use crate::web::oidc::PendingSignIn;

const USER_ID: &str = "uid";
const CSRF: &str = "csrf";
const PENDING_SIGN_IN: &str = "oidc";
const FLASH: &str = "flash";
const SIGNED_IN_AT: &str = "at";
const EXTERNAL: &str = "ext";
const CODE_EMAIL: &str = "code_email";
/// The time zone the person chose (their profile); else the browser's.
const TIME_ZONE: &str = "tz";
/// The server-side session's id (`service::sessions`).
const SESSION_ID: &str = "sid";
const REFUSED: &str = "refused";

/// A session ends this long after sign-in, whatever happens: the cookie holds the
/// whole session, so a copied cookie must not stay valid for ever.
pub const MAX_SESSION_AGE: chrono::Duration = chrono::Duration::hours(12);

/// A form refused by a handler that redirects back to the page the form is
/// on (a panel of a larger page): where it posts, what was typed and why it
/// was refused, for that page to show beside the fields, once.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RefusedForm {
    pub action: String,
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
}

/// A one-time message shown on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: String,
    pub message: String,
}

pub struct TypedSession(pub Session);

impl actix_web::FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<TypedSession, actix_web::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_session::SessionExt;
        std::future::ready(Ok(TypedSession(req.get_session())))
    }
}

impl TypedSession {
    pub fn user_id(&self) -> Option<UserId> {
        self.0
            .get::<String>(USER_ID)
            .ok()
            .flatten()
            .and_then(|s| UserId::parse(&s))
    }

    /// Signs the user in: a new session id, so a token planted before sign-in
    /// is useless. `sid` is the server-side session just started for them.
    pub fn sign_in(&self, user: &UserId, sid: &str, now: chrono::DateTime<chrono::Utc>) {
        self.0.renew();
        self.0.remove(PENDING_SIGN_IN);
        self.0.remove(CODE_EMAIL);
        self.0.remove(EXTERNAL);
        let _ = self.0.insert(SESSION_ID, sid);
        let _ = self.0.insert(USER_ID, user.as_str());
        let _ = self.0.insert(SIGNED_IN_AT, now.timestamp());
        let _ = self.0.insert(CSRF, new_token());
    }

    /// Signs in someone who is not in the directory (yet).
    pub fn sign_in_external(
        &self,
        who: &ExternalIdentity,
        sid: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        self.0.renew();
        self.0.remove(PENDING_SIGN_IN);
        self.0.remove(CODE_EMAIL);
        self.0.remove(USER_ID);
        let _ = self.0.insert(SESSION_ID, sid);
        let _ = self.0.insert(EXTERNAL, who);
        let _ = self.0.insert(SIGNED_IN_AT, now.timestamp());
        let _ = self.0.insert(CSRF, new_token());
    }

    /// The server-side session's id.
    pub fn sid(&self) -> Option<String> {
        self.0.get::<String>(SESSION_ID).ok().flatten()
    }

    pub fn external(&self) -> Option<ExternalIdentity> {
        self.0.get::<ExternalIdentity>(EXTERNAL).ok().flatten()
    }

    /// The external identity has become a directory user (its request was
    /// delivered): the same sign-in continues as that user.
    pub fn promote(&self, user: &UserId) {
        self.0.remove(EXTERNAL);
        let _ = self.0.insert(USER_ID, user.as_str());
    }

    /// The address a sign-in code was sent to from this browser.
    pub fn set_code_email(&self, email: &str) {
        let _ = self.0.insert(CODE_EMAIL, email);
    }

    pub fn code_email(&self) -> Option<String> {
        self.0.get::<String>(CODE_EMAIL).ok().flatten()
    }

    pub fn set_time_zone(&self, tz: &str) {
        let _ = self.0.insert(TIME_ZONE, tz);
    }

    pub fn time_zone(&self) -> Option<String> {
        self.0.get::<String>(TIME_ZONE).ok().flatten()
    }

    /// Whether the session was signed in within `MAX_SESSION_AGE` of `now`.
    pub fn is_fresh(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        match self.0.get::<i64>(SIGNED_IN_AT).ok().flatten() {
            Some(at) => now.timestamp() - at <= MAX_SESSION_AGE.num_seconds(),
            None => false,
        }
    }

    pub fn sign_out(&self) {
        self.0.purge();
    }

    /// The CSRF token of this session, created on first use.
    pub fn csrf_token(&self) -> String {
        if let Ok(Some(t)) = self.0.get::<String>(CSRF) {
            return t;
        }
        let t = new_token();
        let _ = self.0.insert(CSRF, &t);
        t
    }

    pub fn existing_csrf_token(&self) -> Option<String> {
        self.0.get::<String>(CSRF).ok().flatten()
    }

    pub fn set_pending_sign_in(&self, p: &PendingSignIn) {
        let _ = self.0.insert(PENDING_SIGN_IN, p);
    }

    /// Takes the pending sign-in out: a callback can use it once only.
    pub fn take_pending_sign_in(&self) -> Option<PendingSignIn> {
        let p = self.0.get::<PendingSignIn>(PENDING_SIGN_IN).ok().flatten();
        self.0.remove(PENDING_SIGN_IN);
        p
    }

    pub fn flash(&self, kind: &str, message: impl Into<String>) {
        let _ = self.0.insert(
            FLASH,
            Flash {
                kind: kind.into(),
                message: message.into(),
            },
        );
    }

    pub fn keep_refused(&self, form: &RefusedForm) {
        let _ = self.0.insert(REFUSED, form);
    }

    /// The refused form that posts to `action`, once; another page leaves it.
    pub fn take_refused(&self, action: &str) -> Option<RefusedForm> {
        let f = self.0.get::<RefusedForm>(REFUSED).ok().flatten()?;
        if f.action != action {
            return None;
        }
        self.0.remove(REFUSED);
        Some(f)
    }

    pub fn take_flash(&self) -> Option<Flash> {
        let f = self.0.get::<Flash>(FLASH).ok().flatten();
        if f.is_some() {
            self.0.remove(FLASH);
        }
        f
    }
}

/// A fresh CSRF token: 32 random bytes.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
