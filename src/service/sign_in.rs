//! Finding or creating the directory user behind a verified sign-in.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::error::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::UserId;
use crate::domain::message::{Code, Mail, Message};
use crate::domain::user::{
    EMAIL_CODE_ISSUER, Email, ExternalIdentity, LinkClaim, User, UserProfile, UserType,
};
use crate::store::{self, Store, audit, users};

/// What a verified ID token says about the person.
#[derive(Debug, Clone, Default)]
pub struct VerifiedClaims {
    pub issuer: String,
    pub subject: String,
    /// `preferred_username`, and Entra ID's `oid`, when sent: what a first
    /// sign-in may be matched on (`LinkClaim`).
    pub preferred_username: Option<String>,
    pub oid: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

/// Refuses an address the provider does not vouch for: one it says is
/// unverified, or, with `require_verified`, one it says nothing about.
/// Administrators are recognised by email and a user an administrator
/// created beforehand is linked by email, so an unverified address could
/// take over their account.
fn check_verified(
    claims: &VerifiedClaims,
    email: &Email,
    require_verified: bool,
) -> Result<(), ServiceError> {
    match claims.email_verified {
        Some(true) => Ok(()),
        Some(false) => Err(ServiceError::Refused(format!(
            "Your identity provider says the email address {email} is not verified. Verify it there, then sign in again."
        ))),
        None if require_verified => Err(ServiceError::Refused(format!(
            "Your identity provider did not say whether the email address {email} is verified, and Gatehouse accepts only verified addresses. Ask your administrator to release the `email_verified` claim."
        ))),
        None => Ok(()),
    }
}

/// Links a sign-in identity (issuer, subject) to the person it proved to
/// be, recorded as their own act.
async fn link_identity(
    conn: &mut crate::store::Conn,
    user: &User,
    (issuer, subject): (&str, &str),
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    users::insert_identity(conn, issuer, subject, &user.id, now).await?;
    let actor = Actor {
        user_id: Some(user.id.to_string()),
        display_name: user.display_name.clone(),
    };
    let details = json!({"issuer": issuer, "subject": subject});
    let name = &user.display_name;
    let event = NewAuditEvent::new(
        "Link sign-in identity",
        object_type::USER,
        &user.id,
        name,
        details,
    );
    audit::record(conn, &actor, &event, now).await?;
    Ok(())
}

/// Returns the user for (issuer, subject), creating it on first sign-in.
/// The address must be verified (see `check_verified`).
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    store: &Store,
    claims: &VerifiedClaims,
    user_type: UserType,
    require_verified: bool,
    now: DateTime<Utc>,
) -> Result<User, ServiceError> {
    sign_in_linked(
        store,
        claims,
        user_type,
        require_verified,
        LinkClaim::Email,
        now,
    )
    .await
}

/// `sign_in`, finding a person an identity provider pushed (SCIM) by the
/// `link` claim first: their first sign-in joins the account the provider
/// made, whatever address the token carries.
#[tracing::instrument(skip_all)]
pub async fn sign_in_linked(
    store: &Store,
    claims: &VerifiedClaims,
    user_type: UserType,
    require_verified: bool,
    link: LinkClaim,
    now: DateTime<Utc>,
) -> Result<User, ServiceError> {
    let mut tx = store.begin().await?;
    if let Some(user) = users::find_by_identity(&mut tx, &claims.issuer, &claims.subject).await? {
        return refuse_blocked(user);
    }
    let by_claim = match link {
        LinkClaim::Email => None,
        LinkClaim::Sub => Some((true, claims.subject.clone())),
        LinkClaim::Oid => claims.oid.clone().map(|o| (true, o)),
        LinkClaim::PreferredUsername => claims.preferred_username.clone().map(|p| (false, p)),
    };
    if let Some((external, value)) = by_claim {
        if let Some(id) = crate::store::scim::synced_user_by(&mut tx, external, &value).await? {
            let user = refuse_blocked(
                users::get(&mut tx, &id)
                    .await?
                    .ok_or(ServiceError::NotFound)?,
            )?;
            users::insert_identity(&mut tx, &claims.issuer, &claims.subject, &user.id, now).await?;
            let actor = Actor {
                user_id: Some(user.id.to_string()),
                display_name: user.display_name.clone(),
            };
            let event = NewAuditEvent {
                action: "Link sign-in identity".into(),
                object_type: object_type::USER,
                object_id: user.id.to_string(),
                object_name: user.display_name.clone(),
                details: json!({"issuer": claims.issuer, "subject": claims.subject, "matchedBy": link.as_str()}),
            };
            audit::record(&mut tx, &actor, &event, now).await?;
            tx.commit().await?;
            return Ok(user);
        }
    }
    let raw_email = claims.email.as_deref().unwrap_or_default();
    let email = Email::parse(raw_email).map_err(|_| {
        ServiceError::Refused(
            "Your identity provider did not send an email address, which Gatehouse needs to know who you are. \
             Ask your administrator to release the `email` claim to Gatehouse."
                .into(),
        )
    })?;
    check_verified(claims, &email, require_verified)?;
    let existing = users::find_by_email(&mut tx, email.as_str()).await?;
    let user = match existing {
        // A guest account belongs to whoever proved the address elsewhere
        // (a code, their organization); the home provider does not take it over.
        Some(user) if user.is_guest() => {
            return Err(ServiceError::Refused(format!(
                "{email} belongs to a guest account. Sign in the way the guest does: with a code sent by email, or through their organization."
            )));
        }
        Some(user) => {
            let user = refuse_blocked(user)?;
            link_identity(&mut tx, &user, (&claims.issuer, &claims.subject), now).await?;
            user
        }
        None => {
            let display_name = display_name_of(claims, &email);
            let profile = UserProfile {
                given_name: claims.given_name.clone(),
                surname: claims.family_name.clone(),
                ..UserProfile::named(user_type, &display_name, email)
            };
            let id = UserId::new();
            users::insert(&mut tx, &id, &profile, None, now).await?;
            users::insert_identity(&mut tx, &claims.issuer, &claims.subject, &id, now).await?;
            audit::record(
                &mut tx,
                &Actor::system(),
                &NewAuditEvent {
                    action: "Create user on first sign-in".into(),
                    object_type: object_type::USER,
                    object_id: id.to_string(),
                    object_name: profile.display_name.clone(),
                    details: json!({"issuer": claims.issuer, "subject": claims.subject, "mail": profile.email.as_str()}),
                },
                now,
            )
            .await?;
            users::get(&mut tx, &id)
                .await?
                .ok_or(ServiceError::NotFound)?
        }
    };
    tx.commit().await?;
    Ok(user)
}

/// Someone signed in, and the server-side session started for them: its id
/// goes in the cookie, and signing out ends it.
pub struct Started<T> {
    pub who: T,
    pub session: String,
}

async fn start<T>(
    store: &Store,
    who: T,
    user: Option<&UserId>,
    now: DateTime<Utc>,
) -> Result<Started<T>, ServiceError> {
    let session = super::sessions::start(store, user, now).await?;
    Ok(Started { who, session })
}

/// Runs `sign_in`, turning a race with a simultaneous first sign-in of the same
/// person (a unique-key conflict) into a clear message instead of an error
/// page, and starts the user's session.
#[tracing::instrument(skip_all)]
pub async fn sign_in_once(
    store: &Store,
    claims: &VerifiedClaims,
    user_type: UserType,
    require_verified: bool,
    link: LinkClaim,
    now: DateTime<Utc>,
) -> Result<Started<User>, ServiceError> {
    let user = match sign_in_linked(store, claims, user_type, require_verified, link, now).await {
        Err(ServiceError::Store(crate::store::StoreError::Conflict(_))) => Err(ServiceError::Refused(
            "Another sign-in for this account was completing at the same moment. Sign in again.".into(),
        )),
        other => other,
    }?;
    let id = user.id.clone();
    start(store, user, Some(&id), now).await
}

/// Starts the session of someone signed in from outside the home provider.
async fn start_signed_in(
    store: &Store,
    who: SignedIn,
    now: DateTime<Utc>,
) -> Result<Started<SignedIn>, ServiceError> {
    let user = match &who {
        SignedIn::User(u) => Some(u.id.clone()),
        SignedIn::External(_) => None,
    };
    start(store, who, user.as_ref(), now).await
}

fn refuse_blocked(user: User) -> Result<User, ServiceError> {
    if user.is_blocked() {
        Err(ServiceError::Refused(
            "Your account is blocked from signing in to Gatehouse. Contact your administrator."
                .into(),
        ))
    } else {
        Ok(user)
    }
}

/// Who a sign-in from outside the home identity provider turned out to be.
#[derive(Debug)]
pub enum SignedIn {
    User(User),
    /// Not in the directory: may request packages open to external users.
    External(ExternalIdentity),
}

/// Finds the user behind an identity proven elsewhere than the home provider,
/// linking a guest found by address; anyone else stays an external identity
/// until a request delivers them a guest account. Members are sent to the
/// home provider: a foreign provider never speaks for a member.
///
/// Linking a guest by address is sound because the caller has proven the
/// address: a code was sent to it, or the connected organization whose
/// provider signed the person in owns the address's domain (checked before
/// this is called), whatever organization the guest was first recorded under.
async fn resolve_external(
    conn: &mut crate::store::Conn,
    identity: ExternalIdentity,
    now: DateTime<Utc>,
) -> Result<SignedIn, ServiceError> {
    if let Some(user) = users::find_by_identity(conn, &identity.issuer, &identity.subject).await? {
        // A foreign identity never speaks for a member, and a code proves only
        // the address the user has now.
        let stale_code =
            identity.issuer == EMAIL_CODE_ISSUER && identity.subject != user.email.to_lowercase();
        if !user.is_guest() || stale_code {
            return Err(ServiceError::Refused(
                "This sign-in no longer belongs to a guest account here. Ask an administrator."
                    .into(),
            ));
        }
        return refuse_blocked(user).map(SignedIn::User);
    }
    match users::find_by_email(conn, &identity.email).await? {
        Some(user) if !user.is_guest() => Err(ServiceError::Refused(
            "This address belongs to a member of the organization. Sign in with your organization's account instead."
                .into(),
        )),
        Some(user) => {
            let user = refuse_blocked(user)?;
            link_identity(conn, &user, (&identity.issuer, &identity.subject), now).await?;
            Ok(SignedIn::User(user))
        }
        None => Ok(SignedIn::External(identity)),
    }
}

/// Sign-in through a connected organization's own OpenID Connect provider,
/// with the session started.
#[tracing::instrument(skip_all)]
pub async fn sign_in_connected(
    store: &Store,
    claims: &VerifiedClaims,
    organization: &str,
    require_verified: bool,
    now: DateTime<Utc>,
) -> Result<Started<SignedIn>, ServiceError> {
    let who = connected_identity(store, claims, organization, require_verified, now).await?;
    start_signed_in(store, who, now).await
}

async fn connected_identity(
    store: &Store,
    claims: &VerifiedClaims,
    organization: &str,
    require_verified: bool,
    now: DateTime<Utc>,
) -> Result<SignedIn, ServiceError> {
    let email = Email::parse(claims.email.as_deref().unwrap_or_default()).map_err(|_| {
        ServiceError::Refused(
            "Your organization's identity provider did not send an email address, which Gatehouse needs. \
             Ask its administrator to release the `email` claim."
                .into(),
        )
    })?;
    check_verified(claims, &email, require_verified)?;
    let mut tx = store.begin().await?;
    // An organization's provider speaks for its own people only: addresses
    // in the organization's own domains.
    let domain_org = store::requests::organization_for_email(&mut tx, email.as_str())
        .await?
        .map(|(id, _)| id);
    if domain_org.as_deref() != Some(organization) {
        return Err(ServiceError::Refused(format!(
            "Your organization's identity provider signed you in as {email}, but that address is not in one of the organization's domains. Ask the administrator to add the domain to the connected organization."
        )));
    }
    let identity = ExternalIdentity {
        issuer: claims.issuer.clone(),
        subject: claims.subject.clone(),
        email: email.as_str().to_string(),
        display_name: display_name_of(claims, &email),
        connected_organization: Some(organization.to_string()),
    };
    let out = resolve_external(&mut tx, identity, now).await?;
    tx.commit().await?;
    Ok(out)
}

fn display_name_of(claims: &VerifiedClaims, email: &Email) -> String {
    claims
        .name
        .clone()
        .or_else(|| match (&claims.given_name, &claims.family_name) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (Some(g), None) => Some(g.clone()),
            _ => None,
        })
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| local_part(email))
        .trim()
        .chars()
        .take(256)
        .collect()
}

fn local_part(email: &Email) -> String {
    email
        .as_str()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// How long a code works, how many may be sent to one address per window, and
/// how many wrong guesses one client may make at one code: eight digits and
/// five guesses give a guesser one chance in twenty million.
pub const CODE_MINUTES: i64 = 10;
const CODES_PER_WINDOW: i64 = 3;
const CODE_WINDOW_MINUTES: i64 = 15;
const MAX_ATTEMPTS: i64 = 5;
/// Wrong guesses one client may make at one address in a window, whatever the
/// number of codes. Counted per client, so that nobody else can use up a
/// guest's guesses and lock them out.
const MAX_ATTEMPTS_PER_WINDOW: i64 = 10;
/// Guesses one client may make at all addresses together in a window.
const MAX_CLIENT_ATTEMPTS_PER_WINDOW: i64 = 30;
/// Guesses at one code from everyone together, after which it stops working:
/// without it, a guesser with many addresses (an IPv6 network has billions)
/// would have no limit. One client's own limit stops it first (its refused
/// guesses are not counted against the code), so one client cannot spoil a
/// guest's code; several together can, and the guest then asks for a new
/// one, within the codes an address may be sent in a window.
const MAX_GUESSES_PER_CODE: i64 = 25;
/// Code mails one client may ask for, to any addresses, per minute and per hour:
/// enough for a typo or two, too few to flood mailboxes.
const CLIENT_CODES_PER_MINUTE: i64 = 5;
const CLIENT_CODES_PER_HOUR: i64 = 30;

fn code_hash(id: &str, code: &str) -> String {
    crate::domain::digest::sha256_hex(&format!("{id}:{code}"))
}

/// Sends a one-time sign-in code to the address. Whether anyone with the
/// address is known is not said: the answer is the same for every address.
/// `client` is the address the request came from: one client may ask for a
/// handful of codes per minute, whatever the addresses.
#[tracing::instrument(skip_all)]
pub async fn send_code(
    store: &Store,
    email: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use rand::Rng;
    let email = Email::parse(email).map_err(|_| {
        super::error::invalid("email", "Enter your email address, like name@example.com.")
    })?;
    let mut tx = store.begin().await?;
    // The organization's own people sign in with its provider: a code never
    // makes an outsider of an address at its own domains.
    if super::settings::tenant(&mut tx)
        .await?
        .owns_domain(&email.domain())
    {
        return Err(super::error::invalid(
            "email",
            super::requests::own_domain_refusal(&email.domain()),
        ));
    }
    let minute = now - chrono::Duration::minutes(1);
    let hour = now - chrono::Duration::hours(1);
    if store::sign_in_codes::sent_to_client_since(&mut tx, client, minute).await?
        >= CLIENT_CODES_PER_MINUTE
        || store::sign_in_codes::sent_to_client_since(&mut tx, client, hour).await?
            >= CLIENT_CODES_PER_HOUR
    {
        return Err(ServiceError::Refused(
            "Codes were asked for from your network too often. Wait a minute and ask again.".into(),
        ));
    }
    let window = now - chrono::Duration::minutes(CODE_WINDOW_MINUTES);
    if store::sign_in_codes::sent_since(&mut tx, &email.normalized(), window).await?
        >= CODES_PER_WINDOW
    {
        return Err(ServiceError::Refused(format!(
            "Several codes were sent to this address in the last {CODE_WINDOW_MINUTES} minutes. Use the newest one, or wait and ask again."
        )));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let code = format!("{:08}", rand::rng().random_range(0..100_000_000u32));
    store::sign_in_codes::insert(
        &mut tx,
        &id,
        &email.normalized(),
        &code_hash(&id, &code),
        client,
        now,
        now + chrono::Duration::minutes(CODE_MINUTES),
    )
    .await?;
    let mail = Mail {
        to_address: email.as_str().into(),
        to_name: String::new(),
        message: Message::SignInCode(Code {
            code,
            minutes: CODE_MINUTES,
        }),
    };
    store::outbox::enqueue(&mut tx, &[mail], now).await?;
    tx.commit().await?;
    Ok(())
}

/// Signs in with the newest code sent to the address: once, before it
/// expires, within `MAX_ATTEMPTS` guesses of this client (`client`: the
/// address the request came from); the session is started.
#[tracing::instrument(skip_all)]
pub async fn redeem_code(
    store: &Store,
    email: &str,
    code: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<Started<SignedIn>, ServiceError> {
    let who = redeem(store, email, code, client, now).await?;
    start_signed_in(store, who, now).await
}

async fn redeem(
    store: &Store,
    email: &str,
    code: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<SignedIn, ServiceError> {
    let wrong = || {
        ServiceError::Invalid({
            let mut e = crate::domain::validation::FieldErrors::new();
            e.add(
                "code",
                "That code is wrong or no longer works. Check the newest message, or ask for a new code.",
            );
            e
        })
    };
    let email = Email::parse(email).map_err(|_| wrong())?;
    let address = email.normalized();
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let mut tx = store.begin().await?;
    let window = store::ts(now - chrono::Duration::minutes(CODE_WINDOW_MINUTES));
    if store::sign_in_codes::guesses_since(&mut tx, Some(&address), client, &window).await?
        >= MAX_ATTEMPTS_PER_WINDOW
        || store::sign_in_codes::guesses_since(&mut tx, None, client, &window).await?
            >= MAX_CLIENT_ATTEMPTS_PER_WINDOW
    {
        return Err(wrong());
    }
    // A client past its guesses at the newest code is refused before the
    // code counts the guess: its refused guesses spoil nothing for others.
    if let Some(created) = store::sign_in_codes::newest_created(&mut tx, &address).await? {
        if store::sign_in_codes::guesses_since(&mut tx, Some(&address), client, &created).await?
            >= MAX_ATTEMPTS
        {
            store::sign_in_codes::record_guess(&mut tx, &address, client, now).await?;
            tx.commit().await?;
            return Err(wrong());
        }
    }
    // Taking the code holds its row, so the counts below see every earlier
    // guess at this address: parallel guesses cannot all pass the limit.
    let open =
        store::sign_in_codes::claim_attempt(&mut tx, &address, MAX_GUESSES_PER_CODE, now).await?;
    store::sign_in_codes::record_guess(&mut tx, &address, client, now).await?;
    let Some(open) = open else {
        tx.commit().await?;
        return Err(wrong());
    };
    if store::sign_in_codes::guesses_since(&mut tx, Some(&address), client, &open.created_at)
        .await?
        > MAX_ATTEMPTS
    {
        tx.commit().await?;
        return Err(wrong());
    }
    if code_hash(&open.id, &code) != open.code_hash {
        tx.commit().await?;
        return Err(wrong());
    }
    if !store::sign_in_codes::use_up(&mut tx, &open.id, now).await? {
        return Err(wrong());
    }
    let identity = ExternalIdentity {
        issuer: EMAIL_CODE_ISSUER.into(),
        subject: address.clone(),
        email: email.as_str().to_string(),
        display_name: local_part(&email),
        connected_organization: None,
    };
    // The code proves the address, so a guest with it is that person.
    let out = resolve_external(&mut tx, identity, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// One connected organization's provider, by the organization's id.
#[tracing::instrument(skip_all)]
pub async fn organization_provider(
    store: &Store,
    id: &str,
) -> Result<Option<store::connected_orgs::SignInProvider>, ServiceError> {
    let mut conn = store.read().await?;
    Ok(store::connected_orgs::sign_in_provider(&mut conn, id).await?)
}
