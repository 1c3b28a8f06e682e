//! Delegation: giving and taking roles in a catalog and the catalog creator
//! role, what a person may do in the catalog a console page belongs to, and
//! what they reach beyond any one catalog.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::error::{Saved, ServiceError, found, invalid};
use super::transaction::{fetch, read, write};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::catalog_role::{CatalogRights, CatalogRole, Reach, Within};
use crate::domain::ids::{CatalogId, CatalogRoleAssignmentId, UserId};
use crate::domain::user::User;
use crate::store::Store;
use crate::store::catalog_roles::{self as roles, RoleHolderRow};
use crate::store::catalogs::{self, CatalogRow};
use crate::store::{Conn, users};

/// What a person who is not an administrator may do in a catalog, or in
/// the catalog of an access package. Nothing, when they hold no role there
/// or the catalog does not exist.
#[tracing::instrument(skip_all)]
pub async fn rights(
    store: &Store,
    user: &UserId,
    within: Within<'_>,
) -> Result<CatalogRights, ServiceError> {
    let held = fetch(store, async |c| roles::held(c, user, within).await).await?;
    Ok(CatalogRights::of(&held))
}

/// What a person may do in at least one catalog, and whether they create
/// catalogs: whether the console offers them a new package or catalog, or
/// look-ups for the forms that need them.
#[tracing::instrument(skip_all)]
pub async fn anywhere(store: &Store, user: &UserId) -> Result<Reach, ServiceError> {
    let (held, creates_catalogs) = read(store, async |c| {
        Ok((
            roles::of_user(c, user).await?,
            roles::is_creator(c, user).await?,
        ))
    })
    .await?;
    let roles: Vec<CatalogRole> = held.into_iter().map(|(_, r)| r).collect();
    Ok(Reach {
        rights: CatalogRights::of(&roles),
        creates_catalogs,
    })
}

/// Lets the member with `email` create catalogs; refused (field
/// `creator_email`), returns the settings page's values, to show the form
/// again with.
#[tracing::instrument(skip_all)]
pub async fn add_creator(
    store: &Store,
    actor: &Actor,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Saved<String, super::settings::Current>, ServiceError> {
    const FIELD: &str = "creator_email";
    let added = write(store, actor, now, async |c| {
        let user = delegate_named(c, FIELD, email).await?;
        if !roles::add_creator(c, &user.id, now).await? {
            return Err(invalid(
                FIELD,
                format!("{} is already a catalog creator.", user.display_name),
            ));
        }
        let message = format!("{} may now create catalogs.", user.display_name);
        let event = NewAuditEvent::new(
            "Add catalog creator",
            object_type::USER,
            user.id.as_str(),
            &user.display_name,
            json!({ "email": user.email }),
        );
        Ok((message, event))
    })
    .await;
    Saved::or_page(added, async || super::settings::current(store).await).await
}

/// Takes the catalog creator role back; the catalogs they made stay theirs.
#[tracing::instrument(skip_all)]
pub async fn remove_creator(
    store: &Store,
    actor: &Actor,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |c| {
        let Some(gone) = roles::remove_creator(c, user).await? else {
            return Err(ServiceError::Refused(
                "That person was no longer a catalog creator.".into(),
            ));
        };
        let message = format!("{} may no longer create catalogs.", gone.display_name);
        let event = NewAuditEvent::new(
            "Remove catalog creator",
            object_type::USER,
            user.as_str(),
            &gone.display_name,
            json!({ "email": gone.email }),
        );
        Ok((message, event))
    })
    .await
}

/// The member of the directory with `email`, who can sign in: who may hold
/// delegated roles. Guests are kept out of the console as they are kept
/// from administering it. What is wrong goes beside `field`.
async fn delegate_named(c: &mut Conn, field: &str, email: &str) -> Result<User, ServiceError> {
    let email = email.trim();
    if email.is_empty() {
        return Err(invalid(field, "Enter the email address of the person."));
    }
    let Some(user) = users::find_by_email(c, email).await? else {
        return Err(invalid(
            field,
            format!("Nobody in the directory has the email address {email}."),
        ));
    };
    if user.is_guest() {
        return Err(invalid(
            field,
            format!(
                "{} is a guest; only members of the directory can hold delegated roles.",
                user.display_name
            ),
        ));
    }
    if user.is_blocked() {
        return Err(invalid(
            field,
            format!("{} is blocked from signing in.", user.display_name),
        ));
    }
    Ok(user)
}

/// A catalog with its role holders.
#[tracing::instrument(skip_all)]
pub async fn of_catalog(
    store: &Store,
    catalog: &CatalogId,
) -> Result<(CatalogRow, Vec<RoleHolderRow>), ServiceError> {
    read(store, async |c| {
        let found_catalog = found(catalogs::get(c, catalog).await?)?;
        Ok((found_catalog, roles::of_catalog(c, catalog).await?))
    })
    .await
}

/// Gives the member with `email` a role in the catalog (field `email`);
/// refused, returns the tab's catalog and holders to show the form again.
#[tracing::instrument(skip_all, fields(catalog = %catalog, role = role.as_str()))]
pub async fn add(
    store: &Store,
    actor: &Actor,
    catalog: &CatalogId,
    email: &str,
    role: CatalogRole,
    now: DateTime<Utc>,
) -> Result<Saved<String, (CatalogRow, Vec<RoleHolderRow>)>, ServiceError> {
    let added = write(store, actor, now, async |c| {
        let cat = found(catalogs::get(c, catalog).await?)?;
        let user = delegate_named(c, "email", email).await?;
        if !roles::insert(c, catalog, &user.id, role, now).await? {
            return Err(invalid(
                "email",
                format!(
                    "{} is already {} of this catalog.",
                    user.display_name,
                    article(role)
                ),
            ));
        }
        let message = format!(
            "{} is now {} of {}.",
            user.display_name,
            article(role),
            cat.display_name
        );
        let details = json!({ "user": user.email, "role": role.as_str() });
        Ok((
            message,
            event(
                "Add catalog role assignment",
                catalog,
                &cat.display_name,
                details,
            ),
        ))
    })
    .await;
    Saved::or_page(added, async || of_catalog(store, catalog).await).await
}

/// Takes a role assignment back; says whose it was.
#[tracing::instrument(skip_all, fields(catalog = %catalog, assignment = %id))]
pub async fn remove(
    store: &Store,
    actor: &Actor,
    catalog: &CatalogId,
    id: &CatalogRoleAssignmentId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |c| {
        let cat = found(catalogs::get(c, catalog).await?)?;
        let Some(gone) = roles::delete(c, catalog, id).await? else {
            return Err(ServiceError::Refused(
                "That role assignment was already removed.".into(),
            ));
        };
        let role = CatalogRole::parse(&gone.role).map_or_else(|| gone.role.clone(), article);
        let message = format!(
            "{} is no longer {role} of {}.",
            gone.display_name, cat.display_name
        );
        let details = json!({ "user": gone.email, "role": gone.role });
        Ok((
            message,
            event(
                "Remove catalog role assignment",
                catalog,
                &cat.display_name,
                details,
            ),
        ))
    })
    .await
}

/// "a catalog owner", "an access package manager".
fn article(role: CatalogRole) -> String {
    let label = role.label().to_lowercase();
    if label.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {label}")
    } else {
        format!("a {label}")
    }
}

fn event(
    action: &str,
    catalog: &CatalogId,
    name: &str,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent::new(
        action,
        object_type::CATALOG,
        catalog.as_str(),
        name,
        details,
    )
}
