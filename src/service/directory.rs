//! Changes to the directory made by administrators (and by the demo seed).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{ServiceError, invalid};
use crate::domain::audit::{Actor, NewAuditEvent, diff, object_type};
use crate::domain::directory::{
    ApplicationProfile, GroupProfile, GroupRole, SiteProfile, SiteRole,
};
use crate::domain::ids::{ApplicationId, GroupId, SiteId, UserId};
use crate::domain::user::{UserProfile, format_custom_attributes};
use crate::store::{self, Store, StoreError, audit, directory as dir, users};

fn opt(v: &Option<String>) -> Value {
    v.clone().map(Value::String).unwrap_or(Value::Null)
}

/// Resolves a manager given by email; empty means none.
async fn resolve_manager(
    conn: &mut store::Conn,
    manager_email: &str,
    user: Option<&UserId>,
) -> Result<Option<UserId>, ServiceError> {
    let email = manager_email.trim();
    if email.is_empty() {
        return Ok(None);
    }
    match users::find_by_email(conn, email).await? {
        None => Err(invalid(
            "manager",
            format!("No user has the email {email}."),
        )),
        Some(m) if Some(&m.id) == user => {
            Err(invalid("manager", "A user cannot be their own manager."))
        }
        Some(m) => Ok(Some(m.id)),
    }
}

fn email_taken(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict(_) => invalid("email", "Another user already has this email."),
        other => other.into(),
    }
}

pub async fn create_user(
    store: &Store,
    actor: &Actor,
    profile: &UserProfile,
    manager_email: &str,
    now: DateTime<Utc>,
) -> Result<UserId, ServiceError> {
    let mut tx = store.begin().await?;
    let manager = resolve_manager(&mut tx, manager_email, None).await?;
    let id = UserId::new();
    users::insert(&mut tx, &id, profile, manager.as_ref(), now)
        .await
        .map_err(email_taken)?;
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Create user".into(),
            object_type: object_type::USER,
            object_id: id.to_string(),
            object_name: profile.display_name.clone(),
            details: json!({
                "userType": profile.user_type.as_str(),
                "mail": profile.email.as_str(),
                "manager": manager.as_ref().map(|m| m.to_string()),
            }),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(id)
}

pub async fn update_user(
    store: &Store,
    actor: &Actor,
    id: &UserId,
    profile: &UserProfile,
    manager_email: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let before = users::get(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let manager = resolve_manager(&mut tx, manager_email, Some(id)).await?;
    users::update(&mut tx, id, profile, manager.as_ref(), now)
        .await
        .map_err(email_taken)?;
    // Blocking signs the user out of every browser at once.
    if profile.state == crate::domain::user::UserState::Blocked {
        store::sessions::delete_for_user(&mut tx, id).await?;
    }
    let changes = diff(&[
        (
            "userType",
            json!(before.user_type.as_str()),
            json!(profile.user_type.as_str()),
        ),
        (
            "displayName",
            json!(before.display_name),
            json!(profile.display_name),
        ),
        (
            "givenName",
            opt(&before.given_name),
            opt(&profile.given_name),
        ),
        ("surname", opt(&before.surname), opt(&profile.surname)),
        ("mail", json!(before.email), json!(profile.email.as_str())),
        ("jobTitle", opt(&before.job_title), opt(&profile.job_title)),
        (
            "department",
            opt(&before.department),
            opt(&profile.department),
        ),
        (
            "manager",
            opt(&before.manager_id.map(|m| m.to_string())),
            opt(&manager.map(|m| m.to_string())),
        ),
        (
            "customAttributes",
            json!(format_custom_attributes(&before.custom_attributes)),
            json!(format_custom_attributes(&profile.custom_attributes)),
        ),
        (
            "state",
            json!(before.state.as_str()),
            json!(profile.state.as_str()),
        ),
    ]);
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Update user".into(),
            object_type: object_type::USER,
            object_id: id.to_string(),
            object_name: profile.display_name.clone(),
            details: changes,
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

fn name_taken(what: &str) -> impl FnOnce(StoreError) -> ServiceError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => invalid(
            "display_name",
            format!("Another {what} already has this name."),
        ),
        other => other.into(),
    }
}

pub async fn create_group(
    store: &Store,
    actor: &Actor,
    p: &GroupProfile,
    now: DateTime<Utc>,
) -> Result<GroupId, ServiceError> {
    let mut tx = store.begin().await?;
    let id = GroupId::new();
    dir::insert_group(&mut tx, &id, p, now)
        .await
        .map_err(name_taken("group"))?;
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Create group".into(),
            object_type: object_type::GROUP,
            object_id: id.to_string(),
            object_name: p.display_name.clone(),
            details: json!({"groupType": p.group_type.as_str(), "description": p.description}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(id)
}

pub async fn update_group(
    store: &Store,
    actor: &Actor,
    id: &GroupId,
    p: &GroupProfile,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let before = dir::get_group(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    dir::update_group(&mut tx, id, p, now)
        .await
        .map_err(name_taken("group"))?;
    let changes = diff(&[
        (
            "displayName",
            json!(before.display_name),
            json!(p.display_name),
        ),
        ("description", opt(&before.description), opt(&p.description)),
        (
            "groupType",
            json!(before.group_type),
            json!(p.group_type.as_str()),
        ),
    ]);
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Update group".into(),
            object_type: object_type::GROUP,
            object_id: id.to_string(),
            object_name: p.display_name.clone(),
            details: changes,
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

/// Adds (or removes) a member or owner by hand, by the person's email. A
/// removal that access packages still grant keeps the role and returns what
/// to tell the administrator.
pub async fn change_group_role(
    store: &Store,
    actor: &Actor,
    group: &GroupId,
    email: &str,
    role: GroupRole,
    add: bool,
    now: DateTime<Utc>,
) -> Result<Option<String>, ServiceError> {
    let mut tx = store.begin().await?;
    let g = dir::get_group(&mut tx, group)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let email = email.trim();
    if email.is_empty() {
        return Err(invalid("email", "Enter the email of a user."));
    }
    let user = users::find_by_email(&mut tx, email)
        .await?
        .ok_or_else(|| invalid("email", format!("No user has the email {email}.")))?;
    // Access packages may grant the role too: removing it by hand then only
    // ends the hand-made part, and the packages' grant stays.
    let granting = store::grants::granting_packages(
        &mut tx,
        "AadGroup",
        group.as_str(),
        role.as_str(),
        &user.id,
    )
    .await?;
    let mut outcome = None;
    let changed = if add {
        dir::add_group_role(&mut tx, group, &user.id, role, now).await?
    } else if granting.is_empty() {
        dir::remove_group_role(&mut tx, group, &user.id, role).await?
    } else {
        let cleared = dir::clear_group_role_by_hand(&mut tx, group, &user.id, role).await?;
        outcome = Some(format!(
            "{} stays {} of {} through the access package{} {}; remove that assignment to take it away.",
            user.display_name,
            role_article(role),
            g.display_name,
            if granting.len() == 1 { "" } else { "s" },
            granting.join(", ")
        ));
        if !cleared {
            return Err(ServiceError::Refused(outcome.unwrap_or_default()));
        }
        true
    };
    if !changed {
        let msg = if add {
            format!(
                "{} is already {} of {}.",
                user.display_name,
                role_article(role),
                g.display_name
            )
        } else {
            format!(
                "{} is not {} of {}.",
                user.display_name,
                role_article(role),
                g.display_name
            )
        };
        return Err(ServiceError::Refused(msg));
    }
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: format!("{} {}", if add { "Add" } else { "Remove" }, role.as_str()),
            object_type: object_type::GROUP,
            object_id: group.to_string(),
            object_name: g.display_name,
            details: json!({"user": user.id.to_string(), "userName": user.display_name, "role": role.as_str()}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(outcome)
}

fn role_article(role: GroupRole) -> &'static str {
    match role {
        GroupRole::Member => "a member",
        GroupRole::Owner => "an owner",
    }
}

pub async fn create_application(
    store: &Store,
    actor: &Actor,
    p: &ApplicationProfile,
    now: DateTime<Utc>,
) -> Result<ApplicationId, ServiceError> {
    let mut tx = store.begin().await?;
    let id = ApplicationId::new();
    dir::insert_application(&mut tx, &id, p, now)
        .await
        .map_err(name_taken("application"))?;
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Create application".into(),
            object_type: object_type::APPLICATION,
            object_id: id.to_string(),
            object_name: p.display_name.clone(),
            details: json!({"appRoles": p.roles, "description": p.description}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(id)
}

pub async fn update_application(
    store: &Store,
    actor: &Actor,
    id: &ApplicationId,
    p: &ApplicationProfile,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let before = dir::get_application(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let current_roles = dir::app_roles(&mut tx, id).await?;
    // Removing a role would silently take it from everyone who holds it.
    for r in &current_roles {
        if r.holders > 0
            && !p
                .roles
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&r.display_name))
        {
            return Err(invalid(
                "roles",
                format!(
                    "The role {} is held by {} user{}; it cannot be removed while anyone holds it.",
                    r.display_name,
                    r.holders,
                    if r.holders == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    let before_roles: Vec<String> = current_roles.into_iter().map(|r| r.display_name).collect();
    dir::update_application(&mut tx, id, p, now)
        .await
        .map_err(name_taken("application"))?;
    let changes = diff(&[
        (
            "displayName",
            json!(before.display_name),
            json!(p.display_name),
        ),
        ("description", opt(&before.description), opt(&p.description)),
        ("appRoles", json!(before_roles), json!(p.roles)),
    ]);
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Update application".into(),
            object_type: object_type::APPLICATION,
            object_id: id.to_string(),
            object_name: p.display_name.clone(),
            details: changes,
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

pub async fn create_site(
    store: &Store,
    actor: &Actor,
    p: &SiteProfile,
    now: DateTime<Utc>,
) -> Result<SiteId, ServiceError> {
    let mut tx = store.begin().await?;
    let id = SiteId::new();
    dir::insert_site(&mut tx, &id, p, now)
        .await
        .map_err(name_taken("site"))?;
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Create site".into(),
            object_type: object_type::SITE,
            object_id: id.to_string(),
            object_name: p.display_name.clone(),
            details: json!({"url": p.url, "description": p.description}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(id)
}

pub async fn update_site(
    store: &Store,
    actor: &Actor,
    id: &SiteId,
    p: &SiteProfile,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let before = dir::get_site(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    dir::update_site(&mut tx, id, p, now)
        .await
        .map_err(name_taken("site"))?;
    let changes = diff(&[
        (
            "displayName",
            json!(before.display_name),
            json!(p.display_name),
        ),
        ("description", opt(&before.description), opt(&p.description)),
        ("url", json!(before.url), json!(p.url)),
    ]);
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Update site".into(),
            object_type: object_type::SITE,
            object_id: id.to_string(),
            object_name: p.display_name.clone(),
            details: changes,
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}

/// Grants a site role (used by the demo seed; delivery of access packages comes later).
pub async fn grant_site_role(
    store: &Store,
    actor: &Actor,
    site: &SiteId,
    user: &UserId,
    role: SiteRole,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let s = dir::get_site(&mut tx, site)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if dir::add_site_role(&mut tx, site, user, role, now).await? {
        audit::record(
            &mut tx,
            actor,
            &NewAuditEvent {
                action: "Add site role".into(),
                object_type: object_type::SITE,
                object_id: site.to_string(),
                object_name: s.display_name,
                details: json!({"user": user.to_string(), "role": role.as_str()}),
            },
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}
