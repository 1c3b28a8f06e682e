//! Finding or creating the directory user behind a verified sign-in.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::ids::UserId;
use crate::domain::user::{Email, User, UserProfile, UserState, UserType};
use crate::store::{self, Store, audit, users};

/// What a verified ID token says about the person.
#[derive(Debug, Clone)]
pub struct VerifiedClaims {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

/// Returns the user for (issuer, subject), creating it on first sign-in.
///
/// The provider is trusted for the addresses it sends, except where it says
/// itself that an address is unverified (`email_verified: false`): such a
/// sign-in is refused, because administrators are recognised by email and a
/// user an administrator created beforehand is linked by email.
pub async fn sign_in(
    store: &Store,
    claims: &VerifiedClaims,
    user_type: UserType,
    now: DateTime<Utc>,
) -> Result<User, ServiceError> {
    let mut tx = store.begin().await?;
    if let Some(user) = users::find_by_identity(&mut tx, &claims.issuer, &claims.subject).await? {
        return refuse_blocked(user);
    }
    let raw_email = claims.email.as_deref().unwrap_or_default();
    let email = Email::parse(raw_email).map_err(|_| {
        ServiceError::Refused(
            "Your identity provider did not send an email address, which Gatehouse needs to know who you are. \
             Ask your administrator to release the `email` claim to Gatehouse."
                .into(),
        )
    })?;
    if claims.email_verified == Some(false) {
        return Err(ServiceError::Refused(format!(
            "Your identity provider says the email address {email} is not verified. Verify it there, then sign in again."
        )));
    }
    let existing = users::find_by_email(&mut tx, email.as_str()).await?;
    let user = match existing {
        Some(user) => {
            let user = refuse_blocked(user)?;
            users::insert_identity(&mut tx, &claims.issuer, &claims.subject, &user.id, now).await?;
            audit::record(
                &mut tx,
                &Actor {
                    user_id: Some(user.id.to_string()),
                    display_name: user.display_name.clone(),
                },
                &NewAuditEvent {
                    action: "Link sign-in identity".into(),
                    object_type: object_type::USER,
                    object_id: user.id.to_string(),
                    object_name: user.display_name.clone(),
                    details: json!({"issuer": claims.issuer, "subject": claims.subject}),
                },
                now,
            )
            .await?;
            user
        }
        None => {
            let local = email
                .as_str()
                .split('@')
                .next()
                .unwrap_or_default()
                .to_string();
            let display_name = claims
                .name
                .clone()
                .or_else(|| match (&claims.given_name, &claims.family_name) {
                    (Some(g), Some(f)) => Some(format!("{g} {f}")),
                    (Some(g), None) => Some(g.clone()),
                    _ => None,
                })
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(local);
            let profile = UserProfile {
                user_type,
                display_name: display_name.trim().chars().take(256).collect(),
                given_name: claims.given_name.clone(),
                surname: claims.family_name.clone(),
                email,
                job_title: None,
                department: None,
                custom_attributes: Default::default(),
                state: UserState::Active,
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
    tx.commit().await.map_err(store::map_err)?;
    Ok(user)
}

/// Runs `sign_in`, turning a race with a simultaneous first sign-in of the same
/// person (a unique-key conflict) into a clear message instead of an error page.
pub async fn sign_in_once(
    store: &Store,
    claims: &VerifiedClaims,
    user_type: UserType,
    now: DateTime<Utc>,
) -> Result<User, ServiceError> {
    match sign_in(store, claims, user_type, now).await {
        Err(ServiceError::Store(crate::store::StoreError::Conflict(_))) => Err(ServiceError::Refused(
            "Another sign-in for this account was completing at the same moment. Sign in again.".into(),
        )),
        other => other,
    }
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
