//! The SCIM service provider's use cases: identity providers create, read,
//! replace, patch and delete users and groups. Each change is one
//! transaction with its audit event, made in the name of the token's
//! provider. A user deactivated or deleted at the source is blocked at once
//! and signed out everywhere.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::error::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::directory::{GroupProfile, Named};
use crate::domain::ids::{GroupId, UserId};
use crate::domain::scim::filter;
use crate::domain::scim::patch;
use crate::domain::scim::resource::{ScimGroup, ScimUser};
use crate::domain::scim::{Edit, Problem, paging};
use crate::domain::user::{UserInput, UserProfile, UserState, UserType, format_custom_attributes};
use crate::store::scim::{self as db, GroupRow, Resource, UserRow, Where};
use crate::store::{self, Store, StoreError, audit, users};

/// A SCIM call's failure: what the provider is told (a SCIM error), or an
/// error of Gatehouse's own (a 500).
#[derive(Debug)]
pub enum ScimError {
    Problem(Problem),
    Internal(ServiceError),
}

impl From<Problem> for ScimError {
    fn from(p: Problem) -> Self {
        ScimError::Problem(p)
    }
}

impl From<ServiceError> for ScimError {
    fn from(e: ServiceError) -> Self {
        ScimError::Internal(e)
    }
}

/// A change that lost a race to another (two creates of one userName at once
/// both pass the uniqueness check, and the database keeps one; a member
/// deleted while being added) is the client's to retry: a 409, as the check
/// would have said had it come second. Anything else is ours.
impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => ScimError::Problem(Problem::uniqueness(
                "A concurrent change took one of these unique values (userName, externalId, email, displayName) or removed a member: read the resource again and retry.",
            )),
            e => ScimError::Internal(e.into()),
        }
    }
}

type Result<T> = std::result::Result<T, ScimError>;

fn commit_err(e: sqlx::Error) -> ScimError {
    store::map_err(e).into()
}

/// A page of resources and how many match.
pub struct Listed<T> {
    pub total: i64,
    pub start: i64,
    pub items: Vec<T>,
}

fn parsed_filter(raw: Option<&str>) -> Result<Option<filter::Filter>> {
    match raw.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => Ok(Some(
            filter::parse(f).map_err(|e| Problem::invalid_filter(e.to_string()))?,
        )),
        None => Ok(None),
    }
}

#[tracing::instrument(skip_all)]
pub async fn list_users(
    store: &Store,
    filter: Option<&str>,
    start_index: Option<i64>,
    count: Option<i64>,
) -> Result<Listed<UserRow>> {
    let f = parsed_filter(filter)?;
    let w = Where::new(Resource::Users, f.as_ref()).map_err(Problem::invalid_filter)?;
    let (start, count) = paging(start_index, count);
    let mut c = store.read().await?;
    let (total, items) = db::users(&mut c, &w, start, count).await?;
    Ok(Listed {
        total,
        start,
        items,
    })
}

#[tracing::instrument(skip_all)]
pub async fn user(store: &Store, id: &UserId) -> Result<UserRow> {
    let mut c = store.read().await?;
    db::user(&mut c, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("user", id.as_str()).into())
}

/// The profile Gatehouse keeps for a SCIM user; the address is the primary
/// email, or the userName when it is one.
fn profile(
    u: &ScimUser,
    user_type: UserType,
    custom: &BTreeMap<String, String>,
) -> std::result::Result<UserProfile, Problem> {
    let email = u
        .email
        .clone()
        .or_else(|| u.user_name.contains('@').then(|| u.user_name.clone()))
        .ok_or_else(|| {
            Problem::invalid_value(
                "A user needs an email address: send emails, or a userName that is one.",
            )
        })?;
    let input = UserInput {
        user_type: user_type.as_str().into(),
        display_name: u.shown_name(),
        given_name: u.given_name.clone().unwrap_or_default(),
        surname: u.family_name.clone().unwrap_or_default(),
        email,
        job_title: u.title.clone().unwrap_or_default(),
        department: u.department.clone().unwrap_or_default(),
        custom_attributes: format_custom_attributes(custom),
        state: if u.active { "active" } else { "blocked" }.into(),
    };
    UserProfile::parse(&input).map_err(|e| Problem::invalid_value(e.messages()))
}

fn user_event(action: &str, id: &UserId, name: &str, details: Value) -> NewAuditEvent {
    NewAuditEvent::new(action, object_type::USER, id, name, details)
}

/// The manager a user names must be a user SCIM can see.
async fn manager_of(c: &mut store::Conn, u: &ScimUser) -> Result<Option<UserId>> {
    let Some(m) = &u.manager else {
        return Ok(None);
    };
    let id = UserId::parse(m)
        .ok_or_else(|| Problem::invalid_value(format!("No user has the id {m} (the manager).")))?;
    if db::user(c, id.as_str()).await?.is_none() {
        return Err(
            Problem::invalid_value(format!("No user has the id {m} (the manager).")).into(),
        );
    }
    Ok(Some(id))
}

async fn check_unique(
    c: &mut store::Conn,
    u: &ScimUser,
    p: &UserProfile,
    except: Option<&str>,
) -> Result<()> {
    if let Some(what) = db::taken(c, &u.user_name, p.email.as_str(), except).await? {
        return Err(Problem::uniqueness(match what {
            "userName" => format!("Another user has the userName {}.", u.user_name),
            _ => format!("Another user has the address {}.", p.email.as_str()),
        })
        .into());
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn create_user(
    store: &Store,
    actor: &Actor,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<UserRow> {
    let u = ScimUser::from_json(body)?;
    let p = profile(&u, UserType::Member, &BTreeMap::new())?;
    let mut tx = store.begin().await?;
    check_unique(&mut tx, &u, &p, None).await?;
    let manager = manager_of(&mut tx, &u).await?;
    let id = UserId::new();
    users::insert(&mut tx, &id, &p, manager.as_ref(), now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ScimError::Problem(Problem::uniqueness(format!(
                "Another user has the address {}.",
                p.email.as_str()
            ))),
            e => e.into(),
        })?;
    db::set_scim_fields(&mut tx, &id, &u, "scim").await?;
    let details = json!({"source": "scim", "userName": u.user_name, "externalId": u.external_id, "active": u.active});
    audit::record(
        &mut tx,
        actor,
        &user_event("Create user (SCIM)", &id, &p.display_name, details),
        now,
    )
    .await?;
    let row = db::user(&mut tx, id.as_str())
        .await?
        .ok_or(StoreError::NotFound)?;
    tx.commit().await.map_err(commit_err)?;
    Ok(row)
}

/// Saves a user's new SCIM state (a PUT, or a PATCH applied to the old one).
async fn save_user(
    store: &Store,
    actor: &Actor,
    id: &UserId,
    change: impl FnOnce(ScimUser) -> std::result::Result<ScimUser, Problem>,
    action: &str,
    now: DateTime<Utc>,
) -> Result<UserRow> {
    let mut tx = store.begin().await?;
    // Locked before it is read: a PATCH applies to the user as the change
    // before it left them (a deactivation stays), never to an older copy.
    users::lock(&mut tx, id).await?;
    let before = db::user(&mut tx, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("user", id.as_str()))?;
    let u = change(before.resource())?;
    let existing = users::get(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
    let p = profile(&u, existing.user_type, &existing.custom_attributes)?;
    check_unique(&mut tx, &u, &p, Some(id.as_str())).await?;
    let manager = manager_of(&mut tx, &u).await?;
    if manager.as_ref().is_some_and(|m| m == id) {
        return Err(Problem::invalid_value("A user cannot be their own manager.").into());
    }
    users::update(&mut tx, id, &p, manager.as_ref(), now).await?;
    db::set_scim_fields(&mut tx, id, &u, "scim").await?;
    let left = before.state == UserState::Active && p.state == UserState::Blocked;
    let mut gone = None;
    if left {
        // Deactivated at the source: signed out everywhere at once, their
        // open requests cancelled and their access taken back.
        gone = Some(super::requests::leavers::leave(store, &mut tx, actor, id, now).await?);
    }
    let old = before.resource();
    let mut changed = serde_json::Map::new();
    let mut note = |k: &str, a: Value, b: Value| {
        if a != b {
            changed.insert(k.into(), json!({"from": a, "to": b}));
        }
    };
    note("userName", json!(old.user_name), json!(u.user_name));
    note("active", json!(old.active), json!(u.active));
    note(
        "displayName",
        json!(before.display_name),
        json!(p.display_name),
    );
    note("mail", json!(before.email), json!(p.email.as_str()));
    note("department", json!(old.department), json!(u.department));
    note("manager", json!(old.manager), json!(u.manager));
    note("externalId", json!(old.external_id), json!(u.external_id));
    if let Some(g) = gone {
        changed.insert(
            "left".into(),
            json!({"requestsCancelled": g.requests, "assignmentsEnded": g.assignments, "approvalsHandedOver": g.handed_over}),
        );
    }
    audit::record(
        &mut tx,
        actor,
        &user_event(action, id, &p.display_name, Value::Object(changed)),
        now,
    )
    .await?;
    let row = db::user(&mut tx, id.as_str())
        .await?
        .ok_or(StoreError::NotFound)?;
    tx.commit().await.map_err(commit_err)?;
    if left {
        store.wake_workers();
    }
    Ok(row)
}

/// PUT replaces a user; PATCH applies operations to the stored one.
#[tracing::instrument(skip_all)]
pub async fn edit_user(
    store: &Store,
    actor: &Actor,
    id: &UserId,
    body: &Value,
    how: Edit,
    now: DateTime<Utc>,
) -> Result<UserRow> {
    let action = "Update user (SCIM)";
    match how {
        Edit::Replace => {
            let new = ScimUser::from_json(body)?;
            save_user(store, actor, id, |_| Ok(new), action, now).await
        }
        Edit::Patch => {
            let ops = patch::parse(body)?;
            let apply = |mut u: ScimUser| u.apply(&ops).map(|()| u);
            save_user(store, actor, id, apply, action, now).await
        }
    }
}

/// Deleted at the source: blocked, signed out, and gone from SCIM.
#[tracing::instrument(skip_all)]
pub async fn delete_user(
    store: &Store,
    actor: &Actor,
    id: &UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = store.begin().await?;
    users::lock_with_reports(&mut tx, id).await?;
    let before = db::user(&mut tx, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("user", id.as_str()))?;
    db::mark_deleted(&mut tx, id, now).await?;
    let g = super::requests::leavers::leave(store, &mut tx, actor, id, now).await?;
    db::forget_deleted(&mut tx, id).await?;
    let details = json!({
        "userName": before.user_name.unwrap_or(before.email),
        "requestsCancelled": g.requests,
        "assignmentsEnded": g.assignments,
        "approvalsHandedOver": g.handed_over,
    });
    audit::record(
        &mut tx,
        actor,
        &user_event("Delete user (SCIM)", id, &before.display_name, details),
        now,
    )
    .await?;
    tx.commit().await.map_err(commit_err)?;
    Ok(())
}

// ---- groups ----

/// A page of groups, and their members as (group id, user id, display name).
pub type GroupsPage = (Listed<GroupRow>, Vec<(String, String, String)>);

/// A page of groups and, with `with_members`, their members as (group id,
/// user id, display name).
#[tracing::instrument(skip_all)]
pub async fn list_groups(
    store: &Store,
    filter: Option<&str>,
    start_index: Option<i64>,
    count: Option<i64>,
    with_members: bool,
) -> Result<GroupsPage> {
    let f = parsed_filter(filter)?;
    let w = Where::new(Resource::Groups, f.as_ref()).map_err(Problem::invalid_filter)?;
    let (start, count) = paging(start_index, count);
    let mut c = store.read().await?;
    let (total, items, members) = groups_window(&mut c, &w, start, count, with_members).await?;
    Ok((
        Listed {
            total,
            start,
            items,
        },
        members,
    ))
}

/// How many groups match, a window of them, and with `with_members` their
/// members (group id, user id, display name).
async fn groups_window(
    c: &mut store::Conn,
    w: &Where,
    start: i64,
    count: i64,
    with_members: bool,
) -> Result<(i64, Vec<GroupRow>, Vec<(String, String, String)>)> {
    let (total, items) = db::groups(c, w, start, count).await?;
    let members = if with_members && !items.is_empty() {
        let ids: Vec<String> = items.iter().map(|g| g.id.clone()).collect();
        db::members_of(c, &ids).await?
    } else {
        vec![]
    };
    Ok((total, items, members))
}

/// What a search over users and groups at once finds: one window over the
/// users, then the groups, and how many of both match.
pub struct Everything {
    pub total: i64,
    pub start: i64,
    pub users: Vec<UserRow>,
    pub groups: Vec<GroupRow>,
    /// With `with_members`, the groups' members as (group id, user id,
    /// display name).
    pub members: Vec<(String, String, String)>,
}

/// Searches users and groups at once: each type the filter can apply to,
/// users first; the window runs over the two lists one after the other.
/// Read in one connection.
#[tracing::instrument(skip_all)]
pub async fn search_all(
    store: &Store,
    filter: Option<&str>,
    start_index: Option<i64>,
    count: Option<i64>,
    with_members: bool,
) -> Result<Everything> {
    let f = parsed_filter(filter)?;
    // A filter on an attribute one type lacks leaves that type out.
    let users = Where::new(Resource::Users, f.as_ref()).ok();
    let groups = Where::new(Resource::Groups, f.as_ref()).ok();
    if users.is_none() && groups.is_none() {
        return Err(
            Problem::invalid_filter("The filter applies to neither users nor groups.").into(),
        );
    }
    let (start, count) = paging(start_index, count);
    let mut c = store.read().await?;
    let (user_total, users) = match &users {
        Some(w) => db::users(&mut c, w, start, count).await?,
        None => (0, vec![]),
    };
    // The groups' part of the window: what the users left of it, from where
    // the window stands past the last user.
    let (group_start, left) = paging(Some(start - user_total), Some(count - users.len() as i64));
    let (group_total, groups, members) = match &groups {
        Some(w) => groups_window(&mut c, w, group_start, left, with_members).await?,
        None => (0, vec![], vec![]),
    };
    Ok(Everything {
        total: user_total + group_total,
        start,
        users,
        groups,
        members,
    })
}

/// A group and, with `with_members`, its members as (user id, display name).
#[tracing::instrument(skip_all)]
pub async fn group(
    store: &Store,
    id: &GroupId,
    with_members: bool,
) -> Result<(GroupRow, Vec<(String, String)>)> {
    let mut c = store.read().await?;
    if with_members {
        return group_in(&mut c, id).await;
    }
    let g = db::group(&mut c, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("group", id.as_str()))?;
    Ok((g, vec![]))
}

async fn group_in(c: &mut store::Conn, id: &GroupId) -> Result<(GroupRow, Vec<(String, String)>)> {
    let g = db::group(c, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("group", id.as_str()))?;
    let members = db::members_of(c, std::slice::from_ref(&g.id))
        .await?
        .into_iter()
        .map(|(_, u, n)| (u, n))
        .collect();
    Ok((g, members))
}

async fn check_members(c: &mut store::Conn, g: &ScimGroup) -> Result<()> {
    let found: std::collections::HashSet<String> = db::existing_users(c, &g.members)
        .await?
        .into_iter()
        .collect();
    if let Some(missing) = g.members.iter().find(|m| !found.contains(*m)) {
        return Err(
            Problem::invalid_value(format!("No user has the id {missing} (a member).")).into(),
        );
    }
    Ok(())
}

fn name_conflict(name: &str) -> impl FnOnce(StoreError) -> ScimError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => ScimError::Problem(Problem::uniqueness(format!(
            "Another group is named {name}."
        ))),
        e => e.into(),
    }
}

fn group_event(action: &str, id: &GroupId, name: &str, details: Value) -> NewAuditEvent {
    NewAuditEvent::new(action, object_type::GROUP, id, name, details)
}

#[tracing::instrument(skip_all)]
pub async fn create_group(
    store: &Store,
    actor: &Actor,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<(GroupRow, Vec<(String, String)>)> {
    let g = ScimGroup::from_json(body)?;
    let p = GroupProfile::parse(&g.display_name, "", "security")
        .map_err(|e| Problem::invalid_value(e.messages()))?;
    let mut tx = store.begin().await?;
    check_members(&mut tx, &g).await?;
    let id = GroupId::new();
    store::directory::save(
        &mut tx,
        store::directory::Write::Insert,
        Named::Group(&id, &p),
        now,
    )
    .await
    .map_err(name_conflict(&g.display_name))?;
    db::set_group_fields(&mut tx, &id, &g, "scim", now).await?;
    db::set_members(&mut tx, &id, &g.members, now).await?;
    let details =
        json!({"source": "scim", "externalId": g.external_id, "members": g.members.len()});
    audit::record(
        &mut tx,
        actor,
        &group_event("Create group (SCIM)", &id, &p.display_name, details),
        now,
    )
    .await?;
    let out = group_in(&mut tx, &id).await?;
    tx.commit().await.map_err(commit_err)?;
    store.wake_workers();
    Ok(out)
}

async fn save_group(
    store: &Store,
    actor: &Actor,
    id: &GroupId,
    change: impl Fn(ScimGroup) -> std::result::Result<ScimGroup, Problem>,
    may_take_out: bool,
    now: DateTime<Utc>,
) -> Result<(GroupRow, Vec<(String, String)>)> {
    let mut tx = store.begin().await?;
    // The people the change takes out are held first, as every change to
    // what people hold holds them, and before the group (whose lock bumps
    // the catalog generation, which a role change takes after its holders):
    // a package granting one of them the membership at this moment is then
    // seen, and the membership kept. A change that only adds (most PATCHes
    // from Entra ID) takes nobody out, and the group is not read for it.
    if may_take_out {
        let before = scim_group(group_in(&mut tx, id).await?);
        hold_leaving(&mut tx, &before, change(before.clone())).await?;
    }
    // Locked before it is read: a PATCH applies to the members as the one
    // before it left them, never to a copy another PATCH is changing.
    store::directory::lock_group(&mut tx, id).await?;
    let before = scim_group(group_in(&mut tx, id).await?);
    let g = change(before)?;
    check_members(&mut tx, &g).await?;
    let existing = store::directory::get_group(&mut tx, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let p = GroupProfile::parse(
        &g.display_name,
        existing.description.as_deref().unwrap_or(""),
        &existing.group_type,
    )
    .map_err(|e| Problem::invalid_value(e.messages()))?;
    store::directory::save(
        &mut tx,
        store::directory::Write::Update,
        Named::Group(id, &p),
        now,
    )
    .await
    .map_err(name_conflict(&g.display_name))?;
    db::set_group_fields(&mut tx, id, &g, "scim", now).await?;
    let (added, removed) = db::set_members(&mut tx, id, &g.members, now).await?;
    let details = json!({"displayName": g.display_name, "externalId": g.external_id, "membersAdded": added, "membersRemoved": removed});
    audit::record(
        &mut tx,
        actor,
        &group_event("Update group (SCIM)", id, &p.display_name, details),
        now,
    )
    .await?;
    let out = group_in(&mut tx, id).await?;
    tx.commit().await.map_err(commit_err)?;
    store.wake_workers();
    Ok(out)
}

/// Holds the members `before` has and the changed group (if the change
/// applies) has not.
async fn hold_leaving(
    tx: &mut store::Conn,
    before: &ScimGroup,
    after: std::result::Result<ScimGroup, Problem>,
) -> Result<()> {
    let Ok(after) = after else {
        return Ok(());
    };
    let staying: std::collections::HashSet<&String> = after.members.iter().collect();
    let leaving: Vec<UserId> = before
        .members
        .iter()
        .filter(|m| !staying.contains(m))
        .cloned()
        .map(UserId::from_stored)
        .collect();
    store::users::lock_each(tx, &leaving.iter().collect::<Vec<_>>()).await?;
    Ok(())
}

/// A group as stored, as SCIM changes it.
fn scim_group((row, members): (GroupRow, Vec<(String, String)>)) -> ScimGroup {
    ScimGroup {
        display_name: row.display_name,
        external_id: row.external_id,
        members: members.into_iter().map(|(u, _)| u).collect(),
    }
}

/// PUT replaces a group; PATCH applies operations (its members, often).
#[tracing::instrument(skip_all)]
pub async fn edit_group(
    store: &Store,
    actor: &Actor,
    id: &GroupId,
    body: &Value,
    how: Edit,
    now: DateTime<Utc>,
) -> Result<(GroupRow, Vec<(String, String)>)> {
    match how {
        Edit::Replace => {
            let new = ScimGroup::from_json(body)?;
            save_group(store, actor, id, |_| Ok(new.clone()), true, now).await
        }
        Edit::Patch => {
            let ops = patch::parse(body)?;
            let apply = |mut g: ScimGroup| g.apply(&ops).map(|()| g);
            let may_take_out = ops.iter().any(|op| op.kind != patch::Kind::Add);
            save_group(store, actor, id, apply, may_take_out, now).await
        }
    }
}

/// Deletes a group nothing in Gatehouse uses (no catalog holds it, no
/// connected system is linked to it); its members lose it.
#[tracing::instrument(skip_all)]
pub async fn delete_group(
    store: &Store,
    actor: &Actor,
    id: &GroupId,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let (row, _) = group_in(&mut tx, id).await?;
    if !db::delete_group(&mut tx, id).await? {
        return Err(Problem::new(
            409,
            None,
            format!(
                "{} is used in Gatehouse (a catalog holds it or a connected system is linked to it); remove it there first.",
                row.display_name
            ),
        )
        .into());
    }
    audit::record(
        &mut tx,
        actor,
        &group_event("Delete group (SCIM)", id, &row.display_name, json!({})),
        now,
    )
    .await?;
    tx.commit().await.map_err(commit_err)?;
    store.wake_workers();
    Ok(())
}
