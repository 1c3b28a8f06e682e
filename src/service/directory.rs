//! Changes to the directory made by administrators (and by the demo seed).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::error::{Saved, ServiceError, found, invalid};
use super::transaction::{fetch, read, write};
use crate::domain::audit::{Actor, NewAuditEvent, diff, object_type};
use crate::domain::catalog::OriginSystem;
use crate::domain::directory::{DEFAULT_ACCESS_ROLE, GroupRole, Named, ResourceRef, SiteRole};
use crate::domain::ids::{ApplicationId, GroupId, SiteId, UserId};
use crate::domain::user::User;
use crate::domain::user::{UserProfile, format_custom_attributes};
use crate::store::directory::{AppRoleRow, Held, HeldRole, Holder, ResourceSummary, Write};
use crate::store::users::{IdentityRow, UserSummary};
use crate::store::{self, Page, PageAt, Store, StoreError, audit, directory as dir, users};

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

#[tracing::instrument(skip_all)]
pub async fn create_user(
    store: &Store,
    actor: &Actor,
    profile: &UserProfile,
    manager_email: &str,
    now: DateTime<Utc>,
) -> Result<UserId, ServiceError> {
    write(store, actor, now, async |tx| {
        let manager = resolve_manager(tx, manager_email, None).await?;
        let id = UserId::new();
        users::insert(tx, &id, profile, manager.as_ref(), now)
            .await
            .map_err(email_taken)?;
        let details = json!({
            "userType": profile.user_type.as_str(),
            "mail": profile.email.as_str(),
            "manager": manager.as_ref().map(|m| m.to_string()),
        });
        let event = NewAuditEvent::new(
            "Create user",
            object_type::USER,
            &id,
            &profile.display_name,
            details,
        );
        Ok((id, event))
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update_user(
    store: &Store,
    actor: &Actor,
    id: &UserId,
    profile: &UserProfile,
    manager_email: &str,
    now: DateTime<Utc>,
) -> Result<Saved<(), UserView>, ServiceError> {
    let saved = write(store, actor, now, async |tx| {
        let before = found(users::get(tx, id).await?)?;
        let manager = resolve_manager(tx, manager_email, Some(id)).await?;
        if crate::store::scim::origin_of(tx, id).await?.synced() {
            let e = crate::domain::user::synced_changes(&before, profile, manager.as_ref());
            if !e.is_empty() {
                return Err(ServiceError::Invalid(e));
            }
        }
        users::update(tx, id, profile, manager.as_ref(), now)
            .await
            .map_err(email_taken)?;
        // Blocking signs the user out of every browser at once, and what
        // waits on their decision goes to someone who can still sign in.
        if profile.state == crate::domain::user::UserState::Blocked {
            store::sessions::delete_for_user(tx, id).await?;
            if !before.is_blocked() {
                super::requests::leavers::hand_over_approvals(
                    store,
                    tx,
                    actor,
                    id,
                    crate::domain::request::BlockedBy::Administrator,
                    now,
                )
                .await?;
            }
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
        let event = NewAuditEvent::new(
            "Update user",
            object_type::USER,
            id,
            &profile.display_name,
            changes,
        );
        Ok(((), event))
    })
    .await;
    Saved::or_page(saved, async || user(store, id).await).await
}

/// The users list, searched by name or email.
#[tracing::instrument(skip_all)]
pub async fn users(store: &Store, q: &str, at: PageAt) -> Result<Page<UserSummary>, ServiceError> {
    fetch(store, async |c| users::search(c, q, at).await).await
}

/// A user's page: who they are, their manager's address, how they sign
/// in, who reports to them and the roles they hold.
pub struct UserView {
    pub user: User,
    /// Where the person comes from (an identity provider keeps synced ones).
    pub origin: crate::store::scim::Origin,
    pub manager_email: String,
    /// A guest's connected organization, by name.
    pub organization: Option<String>,
    pub identities: Vec<IdentityRow>,
    pub reports: Vec<UserSummary>,
    pub held: Vec<HeldRole>,
    pub packages: PackagesOfUser,
    /// When the guest lifecycle blocked them and removes them, if it did.
    pub lifecycle_block: Option<users::LifecycleBlock>,
    /// The catalog roles they hold (delegation).
    pub catalog_roles: Vec<crate::store::catalog_roles::HeldCatalogRole>,
    /// Whether they may create catalogs.
    pub creates_catalogs: bool,
}

/// Entra's "Access packages for a user" report: what the person was
/// assigned (newest first, ended ones too) and what they may request now.
#[derive(Default)]
pub struct PackagesOfUser {
    pub assigned: Vec<crate::store::assignments::AssignmentRow>,
    pub can_request: Vec<crate::store::requests::CandidateRow>,
    /// Packages the listing of what they may request (or hold) left out.
    pub more: usize,
}

/// How many requestable packages the report lists.
const CAN_REQUEST_LISTED: usize = 50;

#[tracing::instrument(skip_all)]
pub async fn user(store: &Store, id: &UserId) -> Result<UserView, ServiceError> {
    let mut view = read(store, async |c| {
        let user = found(users::get(c, id).await?)?;
        let manager_email = match &user.manager_id {
            Some(m) => users::get(c, m).await?.map(|m| m.email).unwrap_or_default(),
            None => String::new(),
        };
        let organization = match &user.connected_organization_id {
            Some(o) => crate::store::connected_orgs::ORG_NAMES
                .names(c, std::slice::from_ref(o))
                .await?
                .into_values()
                .next(),
            None => None,
        };
        Ok(UserView {
            origin: crate::store::scim::origin_of(c, id).await?,
            organization,
            manager_email,
            identities: users::identities(c, id).await?,
            reports: users::direct_reports(c, id).await?,
            held: dir::roles_held_by(c, id).await?,
            lifecycle_block: users::lifecycle_block(c, id).await?,
            catalog_roles: crate::store::catalog_roles::held_by(c, id).await?,
            creates_catalogs: crate::store::catalog_roles::is_creator(c, id).await?,
            packages: PackagesOfUser {
                assigned: crate::store::assignments::of_target(c, id).await?,
                ..PackagesOfUser::default()
            },
            user,
        })
    })
    .await?;
    // What they may request, as My Access would list it for them.
    let who = crate::domain::user::Person::User(view.user.clone());
    let listing =
        super::requests::availability::requestable(store, &who, "", 1, CAN_REQUEST_LISTED).await?;
    view.packages.more = listing.total.saturating_sub(listing.packages.len());
    view.packages.can_request = listing
        .packages
        .into_iter()
        .filter(|(_, held)| !held)
        .map(|(p, _)| p)
        .collect();
    Ok(view)
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

/// How the audit log names a group, application or site, and the fields an
/// administrator sets besides its name.
struct Audited<'a> {
    what: &'static str,
    object: &'static str,
    id: String,
    name: &'a str,
    fields: Vec<(&'static str, Value)>,
}

fn audited(named: Named<'_>) -> Audited<'_> {
    let (what, object, id, name, description, own) = match named {
        Named::Group(id, p) => (
            "group",
            object_type::GROUP,
            id.to_string(),
            &p.display_name,
            &p.description,
            ("groupType", json!(p.group_type.as_str())),
        ),
        Named::Application(id, p) => (
            "application",
            object_type::APPLICATION,
            id.to_string(),
            &p.display_name,
            &p.description,
            ("appRoles", json!(p.roles)),
        ),
        Named::Site(id, p) => (
            "site",
            object_type::SITE,
            id.to_string(),
            &p.display_name,
            &p.description,
            ("url", json!(p.url)),
        ),
    };
    Audited {
        what,
        object,
        id,
        name,
        fields: vec![("description", opt(description)), own],
    }
}

/// Creates a group, application or site, under the id `named` gives it.
#[tracing::instrument(skip_all)]
pub async fn create(
    store: &Store,
    actor: &Actor,
    named: Named<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let a = audited(named);
    write(store, actor, now, async |tx| {
        dir::save(tx, Write::Insert, named, now)
            .await
            .map_err(name_taken(a.what))?;
        let details = Value::Object(a.fields.into_iter().map(|(k, v)| (k.into(), v)).collect());
        let action = format!("Create {}", a.what);
        Ok((
            (),
            NewAuditEvent::new(action, a.object, a.id, a.name, details),
        ))
    })
    .await
}

/// Saves a group, application or site; the audit event lists what changed.
#[tracing::instrument(skip_all)]
pub async fn update(
    store: &Store,
    actor: &Actor,
    named: Named<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let a = audited(named);
    write(store, actor, now, async |tx| {
        let (name, before) = stored(tx, named).await?;
        dir::save(tx, Write::Update, named, now)
            .await
            .map_err(name_taken(a.what))?;
        let mut changes = vec![("displayName", json!(name), json!(a.name))];
        let after = a.fields.into_iter().map(|(_, v)| v);
        changes.extend(before.into_iter().zip(after).map(|((k, b), v)| (k, b, v)));
        let action = format!("Update {}", a.what);
        Ok((
            (),
            NewAuditEvent::new(action, a.object, a.id, a.name, diff(&changes)),
        ))
    })
    .await
}

/// What is stored of the object `named` is about to change: its name and
/// the fields `audited` lists, in the same order. An application's role that
/// someone holds cannot be removed: that would silently take it from them.
async fn stored(
    tx: &mut store::Conn,
    named: Named<'_>,
) -> Result<(String, Vec<(&'static str, Value)>), ServiceError> {
    Ok(match named {
        Named::Group(id, _) => {
            let g = found(dir::get_group(tx, id).await?)?;
            let own = ("groupType", json!(g.group_type));
            (
                g.display_name,
                vec![("description", opt(&g.description)), own],
            )
        }
        Named::Application(id, p) => {
            let app = found(dir::get_application(tx, id).await?)?;
            let roles = dir::app_roles(tx, id).await?;
            let kept = |r: &&AppRoleRow| {
                let name = &r.display_name;
                r.holders == 0 || p.roles.iter().any(|n| n.eq_ignore_ascii_case(name))
            };
            if let Some(r) = roles.iter().find(|r| !kept(r)) {
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
            let names: Vec<String> = roles.into_iter().map(|r| r.display_name).collect();
            let own = ("appRoles", json!(names));
            (
                app.display_name,
                vec![("description", opt(&app.description)), own],
            )
        }
        Named::Site(id, _) => {
            let site = found(dir::get_site(tx, id).await?)?;
            let own = ("url", json!(site.url));
            (
                site.display_name,
                vec![("description", opt(&site.description)), own],
            )
        }
    })
}

/// One page of groups, applications or sites, searched by name.
#[tracing::instrument(skip_all)]
pub async fn resources(
    store: &Store,
    origin: OriginSystem,
    q: &str,
    at: PageAt,
) -> Result<Page<ResourceSummary>, ServiceError> {
    fetch(store, async |c| dir::search(c, origin, q, at).await).await
}

/// A group, application or site, what only its kind has, and who holds its
/// roles.
pub struct ResourceView {
    pub display_name: String,
    pub description: Option<String>,
    pub detail: Detail,
    pub holders: Vec<Holder>,
}

impl ResourceView {
    /// The roles it offers, as (value, label): a group's membership, an
    /// application's roles (its default access when it declares none), a
    /// site's roles.
    pub fn roles(&self) -> Vec<(String, String)> {
        match &self.detail {
            Detail::Group { .. } => vec![("member".into(), "Member".into())],
            Detail::Application { roles } if roles.is_empty() => {
                vec![("defaultAccess".into(), DEFAULT_ACCESS_ROLE.into())]
            }
            Detail::Application { roles } => roles
                .iter()
                .map(|r| (r.id.clone(), r.display_name.clone()))
                .collect(),
            Detail::Site { .. } => SiteRole::ALL
                .iter()
                .map(|r| (r.as_str().to_string(), r.label().to_string()))
                .collect(),
        }
    }
}

/// What a resource has that only its kind has.
pub enum Detail {
    Group {
        group_type: String,
    },
    /// Its roles, each with how many hold it.
    Application {
        roles: Vec<AppRoleRow>,
    },
    Site {
        url: String,
    },
}

/// The group, application or site `r` names.
#[tracing::instrument(skip_all)]
pub async fn resource(store: &Store, r: &ResourceRef) -> Result<ResourceView, ServiceError> {
    read(store, async |c| resource_in(c, r).await).await
}

/// `resource`, read in the caller's connection.
#[tracing::instrument(skip_all)]
pub(super) async fn resource_in(
    c: &mut store::Conn,
    r: &ResourceRef,
) -> Result<ResourceView, ServiceError> {
    // From `ResourceRef::new` or `parse`: a canonical UUID, as stored ids are.
    let id = r.id().to_string();
    Ok(match r.origin() {
        OriginSystem::AadGroup => {
            let id = GroupId::from_stored(id);
            let g = found(dir::get_group(c, &id).await?)?;
            let detail = Detail::Group {
                group_type: g.group_type,
            };
            let holders = dir::group_holders(c, &id).await?;
            view(g.display_name, g.description, detail, holders)
        }
        OriginSystem::AadApplication => {
            let id = ApplicationId::from_stored(id);
            let app = found(dir::get_application(c, &id).await?)?;
            let detail = Detail::Application {
                roles: dir::app_roles(c, &id).await?,
            };
            let holders = dir::application_holders(c, &id).await?;
            view(app.display_name, app.description, detail, holders)
        }
        OriginSystem::SharePointOnline => {
            let id = SiteId::from_stored(id);
            let site = found(dir::get_site(c, &id).await?)?;
            let detail = Detail::Site { url: site.url };
            let holders = dir::site_holders(c, &id).await?;
            view(site.display_name, site.description, detail, holders)
        }
    })
}

fn view(
    display_name: String,
    description: Option<String>,
    detail: Detail,
    holders: Vec<Holder>,
) -> ResourceView {
    ResourceView {
        display_name,
        description,
        detail,
        holders,
    }
}

/// Adds (or removes) a member or owner by hand, by the person's email. A
/// removal that access packages still grant keeps the role and returns what
/// to tell the administrator.
#[tracing::instrument(skip_all)]
pub async fn change_group_role(
    store: &Store,
    actor: &Actor,
    group: &GroupId,
    email: &str,
    role: GroupRole,
    add: bool,
    now: DateTime<Utc>,
) -> Result<Option<String>, ServiceError> {
    write(store, actor, now, async |tx| {
    let g = found(dir::get_group(tx, group).await?)?;
    let email = email.trim();
    if email.is_empty() {
        return Err(invalid("email", "Enter the email of a user."));
    }
    let user = users::find_by_email(tx, email)
        .await?
        .ok_or_else(|| invalid("email", format!("No user has the email {email}.")))?;
    // Held so that a package delivered to them at this moment is seen below.
    users::lock(tx, &user.id).await?;
    // Access packages may grant the role too: removing it by hand then only
    // ends the hand-made part, and the packages' grant stays.
    let granting = store::grants::granting_packages(
        tx,
        "AadGroup",
        group.as_str(),
        role.as_str(),
        &user.id,
    )
    .await?;
    let mut outcome = None;
    let changed = if add {
        dir::add_by_hand(tx, Held::Group(group, role), &user.id, now).await?
    } else if granting.is_empty() {
        dir::remove_held(tx, Held::Group(group, role), &user.id).await?
    } else {
        let cleared = dir::clear_group_role_by_hand(tx, group, &user.id, role).await?;
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
    let event = NewAuditEvent::new(
        format!("{} {}", if add { "Add" } else { "Remove" }, role.as_str()),
        object_type::GROUP,
        group,
        g.display_name,
        json!({"user": user.id.to_string(), "userName": user.display_name, "role": role.as_str()}),
    );
    Ok((outcome, event))
    })
    .await
}

fn role_article(role: GroupRole) -> &'static str {
    match role {
        GroupRole::Member => "a member",
        GroupRole::Owner => "an owner",
    }
}

/// Grants a site role (used by the demo seed; delivery of access packages comes later).
#[tracing::instrument(skip_all)]
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
    if dir::add_by_hand(&mut tx, Held::Site(site, role), user, now).await? {
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
    tx.commit().await?;
    Ok(())
}

/// What someone's profile shows beside who they are: a guest's connected
/// organization, and the groups, application roles and site roles they hold
/// now, however they came to hold them.
pub struct ProfileFacts {
    pub organization: Option<String>,
    pub held: Vec<HeldRole>,
}

/// Someone's profile facts (none before they are in the directory), read on
/// one connection.
#[tracing::instrument(skip_all)]
pub async fn profile(store: &Store, user: Option<&User>) -> Result<ProfileFacts, ServiceError> {
    let Some(user) = user else {
        return Ok(ProfileFacts {
            organization: None,
            held: vec![],
        });
    };
    read(store, async |c| {
        let organization = match &user.connected_organization_id {
            Some(id) if user.is_guest() => store::connected_orgs::ORG_NAMES
                .names(c, &[id.to_string()])
                .await?
                .into_values()
                .next(),
            _ => None,
        };
        let held = dir::roles_held_by(c, &user.id).await?;
        Ok(ProfileFacts { organization, held })
    })
    .await
}
