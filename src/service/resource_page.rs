//! A directory resource's page: the group, application or site with who
//! holds its roles, its links to groups in connected systems (and the
//! groups a search found there), and linking and unlinking it, each one
//! call for its handler.

use chrono::{DateTime, Utc};

use super::connected_systems::{self, FoundGroup, Origin, ResourceLinks};
use super::directory::{self, ResourceView};
use super::error::{Saved, ServiceError, invalid};
use super::transaction::read;
use crate::domain::audit::Actor;
use crate::domain::catalog::OriginSystem;
use crate::domain::directory::{GroupRole, Named, ResourceRef};
use crate::domain::ids::{ConnectedSystemId, GroupId, ResourceLinkId};
use crate::store::Store;

/// The resource with its links; `found`, the groups a search asked for
/// (the target's error, in words, when it could not answer).
pub struct ResourcePage {
    pub view: ResourceView,
    pub links: ResourceLinks,
    pub found: Option<Result<Vec<FoundGroup>, String>>,
}

/// A search of one connected system's groups by name.
pub struct GroupSearch<'a> {
    pub system: ConnectedSystemId,
    pub text: &'a str,
}

/// The resource `r` names, with its links, read in one connection; the
/// search, if asked, is made afterwards (a slow target never holds the
/// database).
#[tracing::instrument(skip_all)]
pub async fn page(
    store: &Store,
    r: &ResourceRef,
    search: Option<GroupSearch<'_>>,
) -> Result<ResourcePage, ServiceError> {
    let (view, links) = read(store, async |c| {
        let view = directory::resource_in(c, r).await?;
        let links = connected_systems::links_in(c, r.origin().as_str(), r.id()).await?;
        Ok((view, links))
    })
    .await?;
    let found = match search {
        Some(s) => Some(connected_systems::search_groups(store, &s.system, s.text).await?),
        None => None,
    };
    Ok(ResourcePage { view, links, found })
}

/// Saves the resource's profile (`named` is `r`'s); refused, returns its
/// page, to show the form again on.
#[tracing::instrument(skip_all)]
pub async fn update(
    store: &Store,
    actor: &Actor,
    r: &ResourceRef,
    named: Named<'_>,
    now: DateTime<Utc>,
) -> Result<Saved<(), ResourcePage>, ServiceError> {
    let saved = directory::update(store, actor, named, now).await;
    Saved::or_page(saved, async || page(store, r, None).await).await
}

/// Adds (`add`) or removes the person with `email` as a member or owner of
/// the group `r` names; returns what `directory::change_group_role` says,
/// or refused for the email, the group's page to show the form again on.
#[tracing::instrument(skip_all)]
pub async fn change_group_role(
    store: &Store,
    actor: &Actor,
    r: &ResourceRef,
    email: &str,
    role: GroupRole,
    add: bool,
    now: DateTime<Utc>,
) -> Result<Saved<Option<String>, ResourcePage>, ServiceError> {
    let group = GroupId::parse(r.id()).ok_or(ServiceError::NotFound)?;
    let changed = directory::change_group_role(store, actor, &group, email, role, add, now).await;
    Saved::or_page(changed, async || page(store, r, None).await).await
}

/// Links one of the resource's roles (`role`; may be empty when it has only
/// one) to a group of a connected system; returns the name the link gives
/// the resource role. Errors go beside `role`, `system` or `external`.
#[tracing::instrument(skip_all)]
pub async fn link(
    store: &Store,
    actor: &Actor,
    r: &ResourceRef,
    role: &str,
    system: Option<&ConnectedSystemId>,
    external: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let view = directory::resource(store, r).await?;
    let origin =
        origin(r, &view, role).ok_or_else(|| invalid("role", "Choose one of the roles."))?;
    connected_systems::link(store, actor, system, &origin, external, now).await?;
    Ok(origin.name)
}

/// Removes a link of the resource; the group in the connected system is
/// left as it is.
#[tracing::instrument(skip_all)]
pub async fn unlink(
    store: &Store,
    actor: &Actor,
    r: &ResourceRef,
    link: &ResourceLinkId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let view = directory::resource(store, r).await?;
    // The audit names the resource; the link removed says which role.
    let origin = Origin {
        system: r.origin().as_str().into(),
        id: r.id().to_string(),
        role: String::new(),
        name: view.display_name,
    };
    connected_systems::unlink(store, actor, link, &origin, now).await
}

/// The resource role `role` names (the only one when `role` is empty and
/// the resource has one), as links store it; `None` when it has no such
/// role. A group's is named as the group, others' with the role's label.
fn origin(r: &ResourceRef, view: &ResourceView, role: &str) -> Option<Origin> {
    let roles = view.roles();
    let (value, label) = match role {
        "" if roles.len() == 1 => &roles[0],
        role => roles.iter().find(|(v, _)| v == role)?,
    };
    let name = if r.origin() == OriginSystem::AadGroup {
        view.display_name.clone()
    } else {
        format!("{} ({label})", view.display_name)
    };
    Some(Origin {
        system: r.origin().as_str().into(),
        id: r.id().to_string(),
        role: value.clone(),
        name,
    })
}
