//! Server-side sessions: started at sign-in, checked on every request, ended
//! by signing out, by blocking, by an administrator's "sign out everywhere",
//! and after a time unused.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::error::{ServiceError, found};
use super::transaction::write;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::UserId;
use crate::domain::user::User;
use crate::store::{self, Store, StoreError, sessions, users};

/// A session is written back as used at most this often: a write per page
/// would cost more than the idle limit gains in precision.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// 32 random bytes: an id nobody can guess.
fn new_id() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Starts a session for a user (or for someone not yet in the directory)
/// and returns its id, which the cookie carries.
#[tracing::instrument(skip_all)]
pub async fn start(
    store: &Store,
    user: Option<&UserId>,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let id = new_id();
    let mut tx = store.begin().await?;
    sessions::insert(&mut tx, &id, user, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Whether the session still holds for `user` (`None`: someone not yet in
/// the directory): it exists, belongs to them, and was used within `idle`.
/// A session used a while ago is marked as used now.
async fn check(
    store: &Store,
    id: &str,
    user: Option<&UserId>,
    idle: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let found = {
        let mut conn = store.read().await?;
        sessions::get(&mut conn, id).await?
    };
    let Some((owner, seen)) = found else {
        return Ok(false);
    };
    // An external identity's session may since have become the user's.
    let belongs = match (user, owner.as_deref()) {
        (Some(u), Some(o)) => u.as_str() == o,
        (None, None) => true,
        _ => false,
    };
    Ok(belongs && fresh(store, id, &seen, idle, now).await?)
}

/// The session of someone not yet in the directory continues as the user
/// their request made them.
#[tracing::instrument(skip_all)]
pub async fn promote(store: &Store, id: &str, user: &UserId) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    sessions::set_user(&mut tx, id, user).await?;
    tx.commit().await.map_err(store::map_err)
}

/// Ends one session (signing out).
#[tracing::instrument(skip_all)]
pub async fn end(store: &Store, id: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    sessions::delete(&mut tx, id).await?;
    tx.commit().await.map_err(store::map_err)
}

/// An administrator signs a user out of every browser.
#[tracing::instrument(skip_all)]
pub async fn end_all(
    store: &Store,
    actor: &Actor,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    write(store, actor, now, async |tx| {
        let u = found(users::get(tx, user).await?)?;
        let n = sessions::delete_for_user(tx, user).await?;
        let action = "Sign user out everywhere";
        let details = json!({"sessionsEnded": n});
        let event = NewAuditEvent::new(action, object_type::USER, user, u.display_name, details);
        Ok((n, event))
    })
    .await
}

/// Whom a browser's session belongs to now.
pub enum Identified {
    /// A user who may go on; `promoted` when their session began before
    /// they were in the directory and is theirs from now on.
    /// `delegated` when they hold a role in some catalog or create catalogs;
    /// `organization_time_zone` for pages whose viewer gives no zone.
    User {
        user: Box<User>,
        promoted: bool,
        delegated: bool,
        /// The organization's time zone, empty for none.
        organization_time_zone: String,
    },
    /// The session no longer holds (signed out elsewhere, idle too long,
    /// blocked or deleted): the browser must sign in again.
    Ended,
    /// Nobody in the directory (yet).
    Nobody,
}

/// Checks session `id`, as the cookie names it with the user it was for, or
/// for someone who signed in from outside the directory, their identity
/// (issuer, subject), which may since have become a user.
#[tracing::instrument(skip_all)]
pub async fn identify(
    store: &Store,
    id: &str,
    user: Option<UserId>,
    external: Option<(&str, &str)>,
    idle: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Identified, ServiceError> {
    // Reads first, on a connection given back before any write: a page
    // never holds two connections at once, which under load would leave
    // every request of a full pool waiting for a second one.
    let (uid, promoted, session) = {
        let mut conn = store.read().await?;
        let (uid, promoted) = match (user, external) {
            (Some(uid), _) => (uid, false),
            (None, Some((issuer, subject))) => {
                match users::find_by_identity(&mut conn, issuer, subject).await? {
                    Some(u) => (u.id, true),
                    None => return Ok(Identified::Nobody),
                }
            }
            (None, None) => return Ok(Identified::Nobody),
        };
        // The session and its user, read together: one round trip a page.
        let session = if promoted {
            None
        } else {
            users::with_session(&mut conn, id).await?
        };
        (uid, promoted, session)
    };
    let session = if promoted {
        // The session continues as the user the identity has become.
        promote(store, id, &uid).await?;
        users::with_session(&mut *store.read().await?, id).await?
    } else {
        session
    };
    let Some(users::SessionUser {
        owner,
        seen,
        user,
        delegated,
        organization_time_zone,
    }) = session
    else {
        return Ok(Identified::Ended);
    };
    if owner.as_deref() != Some(uid.as_str()) || !fresh(store, id, &seen, idle, now).await? {
        return Ok(Identified::Ended);
    }
    if user.is_blocked() {
        // Blocked since signing in: the session ends here.
        end(store, id).await?;
        return Ok(Identified::Ended);
    }
    Ok(Identified::User {
        user: Box::new(user),
        promoted,
        delegated,
        organization_time_zone,
    })
}

/// Whether a session last used at `seen` is still within `idle`; one used a
/// while ago is marked as used now.
async fn fresh(
    store: &Store,
    id: &str,
    seen: &str,
    idle: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let seen = store::parse_ts(seen)?;
    if now - seen > idle {
        return Ok(false);
    }
    if (now - seen).num_seconds() >= TOUCH_EVERY_SECONDS {
        let mut conn = store.write_one().await?;
        sessions::touch(&mut conn, id, now).await?;
    }
    Ok(true)
}

/// Whether the session of someone not yet in the directory still holds.
#[tracing::instrument(skip_all)]
pub async fn holds(
    store: &Store,
    id: &str,
    idle: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    Ok(check(store, id, None, idle, now).await?)
}

/// Forgets what only counts for a while, in one transaction: sessions
/// unused past the longest idle limit a setting allows, and sign-in codes
/// and guesses older than a day. Returns how many.
#[tracing::instrument(skip_all)]
pub async fn forget_stale(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut tx = store.begin().await?;
    let sessions = sessions::delete_idle(&mut tx, now - chrono::Duration::hours(12)).await?;
    let codes =
        store::sign_in_codes::forget_before(&mut tx, now - chrono::Duration::days(1)).await?;
    tx.commit().await?;
    Ok(sessions + codes)
}
