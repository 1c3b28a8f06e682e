//! Connected systems: their administration, connection tests, group search,
//! links from Gatehouse's resources to their groups, and reconciliation.
//!
//! Calls to a target are made outside any transaction: a slow target never
//! holds the database. The connection test, group search and linking call
//! the target from the page (an administrator waits for the answer); the
//! provisioning itself runs only in the worker (`jobs::provisioning`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::error::{Saved, ServiceError, found, invalid};
use super::transaction::{fetch, read, write};
pub use crate::connectors::FoundGroup;
use crate::connectors::{OpError, Session};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::catalog::OriginSystem;
use crate::domain::connected_system::{
    ReconcileMode, SystemProfile, SystemRun, SystemSettings, TestOutcome, dn,
};
use crate::domain::directory::{GroupProfile, Named};
use crate::domain::ids::{CatalogId, ConnectedSystemId, GroupId, ResourceLinkId, UserId};
use crate::domain::validation::FieldErrors;
use crate::store::connected_systems::{LinkRow, SystemRow, TakenRun};
use crate::store::{self, Page, PageAt, Store, StoreError, audit, connected_systems, provisioning};

fn event(action: &str, id: &str, name: &str, details: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent {
        action: action.into(),
        object_type: object_type::CONNECTED_SYSTEM,
        object_id: id.into(),
        object_name: name.into(),
        details,
    }
}

#[tracing::instrument(skip_all)]
pub async fn search(store: &Store, q: &str, at: PageAt) -> Result<Page<SystemRow>, ServiceError> {
    fetch(store, async |c| connected_systems::search(c, q, at).await).await
}

#[tracing::instrument(skip_all)]
pub async fn all(store: &Store) -> Result<Vec<SystemRow>, ServiceError> {
    read(store, async |c| Ok(connected_systems::all(c).await?)).await
}

/// A system as its page shows it.
pub struct SystemView {
    pub system: SystemRow,
    /// The resources linked to it.
    pub links: Vec<LinkRow>,
    /// Its last import: when, and what it did.
    pub import: Option<(String, crate::domain::directory_import::Summary)>,
}

/// A system, the resources linked to it and its last import.
#[tracing::instrument(skip_all)]
pub async fn system(store: &Store, id: &ConnectedSystemId) -> Result<SystemView, ServiceError> {
    read(store, async |c| {
        let (system, links) = with_links(c, id).await?;
        Ok(SystemView {
            system,
            links,
            import: store::imports::last_run(c, id).await?,
        })
    })
    .await
}

/// A system and the resources linked to it.
async fn with_links(
    c: &mut store::Conn,
    id: &ConnectedSystemId,
) -> Result<(SystemRow, Vec<LinkRow>), ServiceError> {
    let s = found(connected_systems::get(c, id).await?)?;
    let links = connected_systems::links_of_system(c, s.id.as_str()).await?;
    Ok((s, links))
}

/// Creates (`id` none) or updates a system. A new one needs its secret; an
/// edit without one keeps the stored secret.
#[tracing::instrument(skip_all)]
pub async fn save(
    store: &Store,
    actor: &Actor,
    id: Option<&ConnectedSystemId>,
    profile: Result<SystemProfile, FieldErrors>,
    now: DateTime<Utc>,
) -> Result<ConnectedSystemId, ServiceError> {
    let mut profile = profile?;
    let new_id = id.cloned().unwrap_or_default();
    write(store, actor, now, async |c| {
        let before = match id {
            Some(id) => Some(found(connected_systems::get(c, id).await?)?),
            None => None,
        };
        let conflict = |e: StoreError| match e {
            StoreError::Conflict(_) => invalid("display_name", "Another connected system already has this name."),
            e => e.into(),
        };
        match &before {
            Some(b) => {
                if b.settings.kind() != profile.settings.kind() {
                    return Err(invalid("kind", "A connected system's kind cannot change; create another one."));
                }
                if !connected_systems::update(c, &new_id, &profile, now).await.map_err(conflict)? {
                    return Err(ServiceError::NotFound);
                }
            }
            None => {
                let Some(secret) = profile.secret.take() else {
                    return Err(invalid(
                        "secret",
                        match profile.settings {
                            SystemSettings::Ldap(_) => "Enter the bind password.",
                            SystemSettings::Scim(_) => "Enter the bearer token.",
                        },
                    ));
                };
                connected_systems::insert(c, &new_id, &profile, secret.expose(), now).await.map_err(conflict)?;
            }
        }
        let details = json!({
            "kind": profile.settings.kind().as_str(),
            "settings": serde_json::from_str::<serde_json::Value>(&profile.settings.to_json()).unwrap_or_default(),
            "reconcile": profile.reconcile.as_str(),
            // Whether it changed; never the secret itself.
            "secretChanged": profile.secret.is_some() || before.is_none(),
        });
        let importing = matches!(&profile.settings, SystemSettings::Ldap(l) if l.import.enabled);
        store::imports::set_enabled(c, &new_id, importing).await?;
        let action = if before.is_some() { "Update connected system" } else { "Create connected system" };
        Ok((new_id.clone(), event(action, new_id.as_str(), &profile.display_name, details)))
    })
    .await
}

/// Saves an edit of system `id`; refused, returns the system's page, to
/// show the form again on it.
#[tracing::instrument(skip_all, fields(system = %id))]
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: &ConnectedSystemId,
    profile: Result<SystemProfile, FieldErrors>,
    now: DateTime<Utc>,
) -> Result<Saved<(), SystemView>, ServiceError> {
    let saved = save(store, actor, Some(id), profile, now).await.map(|_| ());
    Saved::or_page(saved, async || system(store, id).await).await
}

/// Deletes a system nothing is linked to; returns its name.
#[tracing::instrument(skip_all, fields(system = %id))]
pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: &ConnectedSystemId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |c| {
        let s = found(connected_systems::get(c, id).await?)?;
        if s.links > 0 {
            return Err(ServiceError::Refused(format!(
                "{} cannot be deleted while {} resource{} linked to it; unlink them first.",
                s.display_name,
                s.links,
                if s.links == 1 { " is" } else { "s are" }
            )));
        }
        connected_systems::delete(c, id).await?;
        Ok((
            s.display_name.clone(),
            event(
                "Delete connected system",
                id.as_str(),
                &s.display_name,
                json!({}),
            ),
        ))
    })
    .await
}

async fn open(
    store: &Store,
    id: &ConnectedSystemId,
) -> Result<Result<Session, OpError>, ServiceError> {
    let (settings, secret) = {
        let mut conn = store.read().await?;
        found(connected_systems::credentials(&mut conn, id).await?)?
    };
    Ok(Session::open(&settings, &secret).await)
}

/// "Test connection": connects, binds or authenticates, and says what it
/// found or exactly what failed; the answer is kept for the page.
#[tracing::instrument(skip_all)]
pub async fn test(
    store: &Store,
    actor: &Actor,
    id: &ConnectedSystemId,
    now: DateTime<Utc>,
) -> Result<TestOutcome, ServiceError> {
    let result = match open(store, id).await? {
        Ok(mut s) => {
            let r = s.describe().await;
            s.close().await;
            r
        }
        Err(e) => Err(e),
    };
    let outcome = match result {
        Ok(note) => TestOutcome { ok: true, note },
        Err(e) => TestOutcome {
            ok: false,
            note: e.message().to_string(),
        },
    };
    write(store, actor, now, async |c| {
        let s = found(connected_systems::get(c, id).await?)?;
        connected_systems::record_test(c, id, outcome.ok, &outcome.note, now).await?;
        let details = json!({"ok": outcome.ok, "result": outcome.note});
        Ok((
            (),
            event(
                "Test connected system",
                id.as_str(),
                &s.display_name,
                details,
            ),
        ))
    })
    .await?;
    Ok(outcome)
}

/// "Reconcile now" and "Sync now": asks the jobs for the run, which reads
/// the whole target (a minute for a large directory) and so does not run
/// inside the administrator's request; the system's page shows what it
/// found once it is done.
#[tracing::instrument(skip_all)]
pub async fn request_run(
    store: &Store,
    actor: &Actor,
    id: &ConnectedSystemId,
    run: SystemRun,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |c| {
        let s = found(connected_systems::get(c, id).await?)?;
        if !connected_systems::request_run(c, id, run, now).await? {
            // Only an import is ever refused: a system is always reconciled.
            return Err(ServiceError::Refused(
                "Nothing was imported: the import is turned off for this system. Turn it on below and save first."
                    .into(),
            ));
        }
        let action = match run {
            SystemRun::Reconcile => "Request reconciliation of connected system",
            SystemRun::Import => "Request import from connected system",
        };
        let details = json!({"run": run.as_str()});
        Ok(((), event(action, id.as_str(), &s.display_name, details)))
    })
    .await?;
    store.wake_system_runs();
    Ok(())
}

/// The runs of `run` asked for, each taken by this instance alone until
/// `until` (the job's claim; another instance takes it again after that).
#[tracing::instrument(skip_all)]
pub async fn take_requested(
    store: &Store,
    run: SystemRun,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<TakenRun>, ServiceError> {
    let mut tx = store.begin().await?;
    let taken = connected_systems::take_requested(&mut tx, run, now, until).await?;
    tx.commit().await?;
    Ok(taken)
}

/// A taken run is over, whatever came of it.
#[tracing::instrument(skip_all)]
pub async fn finish_requested(
    store: &Store,
    run: SystemRun,
    taken: &TakenRun,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    connected_systems::finish_requested(&mut tx, run, taken).await?;
    tx.commit().await?;
    Ok(())
}

/// Groups of the system whose name contains `text`; the error is the
/// target's, in words.
#[tracing::instrument(skip_all)]
pub(super) async fn search_groups(
    store: &Store,
    id: &ConnectedSystemId,
    text: &str,
) -> Result<Result<Vec<FoundGroup>, String>, ServiceError> {
    Ok(match open(store, id).await? {
        Ok(mut s) => {
            let r = s
                .search_groups(text, 25)
                .await
                .map_err(|e| e.message().to_string());
            s.close().await;
            r
        }
        Err(e) => Err(e.message().to_string()),
    })
}

/// A Gatehouse resource role: (origin system, origin id, role).
#[derive(Debug, Clone)]
pub struct Origin {
    pub system: String,
    pub id: String,
    pub role: String,
    /// The resource's name, for the audit log.
    pub name: String,
}

/// Links a resource role to a group of a connected system (a DN, or a SCIM
/// Group id), checked in the target; its current holders are queued for
/// addition. Errors go beside `external` (or `system`).
#[tracing::instrument(skip_all)]
pub async fn link(
    store: &Store,
    actor: &Actor,
    system: Option<&ConnectedSystemId>,
    origin: &Origin,
    external: &str,
    now: DateTime<Utc>,
) -> Result<ResourceLinkId, ServiceError> {
    let system = system.ok_or_else(|| invalid("system", "Choose a connected system."))?;
    let (settings, secret) = {
        let mut conn = store.read().await?;
        connected_systems::credentials(&mut conn, system)
            .await?
            .ok_or_else(|| invalid("system", "Choose a connected system."))?
    };
    let external = external.trim();
    if external.is_empty() {
        return Err(invalid(
            "external",
            "Choose or enter the group in the connected system.",
        ));
    }
    let placeholder = match &settings {
        SystemSettings::Ldap(l) => {
            dn(external, "The group's DN").map_err(|m| invalid("external", m))?;
            l.placeholder.clone()
        }
        SystemSettings::Scim(_) => None,
    };
    let group = match Session::open(&settings, &secret).await {
        Ok(mut s) => {
            let g = s.group(external).await;
            s.close().await;
            g
        }
        Err(e) => Err(e),
    };
    let group = match group {
        Ok(Some(g)) => g,
        Ok(None) => {
            return Err(invalid(
                "external",
                format!("The connected system has no group {external}."),
            ));
        }
        Err(e) => {
            return Err(invalid(
                "external",
                format!("The group could not be checked: {}", e.message()),
            ));
        }
    };
    let id = ResourceLinkId::new();
    write(store, actor, now, async |c| {
        connected_systems::insert_link(
            c,
            &id,
            system,
            (&origin.system, &origin.id, &origin.role),
            &group.id,
            &group.name,
            placeholder.as_deref(),
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => invalid("external", "This role is already linked; unlink it first."),
            e => e.into(),
        })?;
        let details = json!({"system": system.as_str(), "role": origin.role, "group": group.id, "groupName": group.name});
        Ok((id.clone(), resource_event("Link resource to connected system", origin, details)))
    })
    .await
}

/// A catalog's "+ Add resources" from a connected system: each group picked
/// in the system (checked there again; the form's word is not taken for
/// it) becomes a Gatehouse group of the same name linked to it, or, when a
/// group is already linked to it, that group; and the catalog holds it.
/// Refused as a whole, with the reason, when a group is gone, the system
/// cannot be reached, or a different Gatehouse group already has the name.
#[tracing::instrument(skip_all)]
pub async fn add_to_catalog(
    store: &Store,
    actor: &Actor,
    catalog: &CatalogId,
    system: Option<&ConnectedSystemId>,
    externals: &[String],
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let refused = |m: String| ServiceError::Refused(m);
    if externals.is_empty() {
        return Err(refused("Select at least one group to add.".into()));
    }
    let system = system.ok_or_else(|| refused("Choose a connected system.".into()))?;
    let (settings, secret) = {
        let mut conn = store.read().await?;
        found(connected_systems::credentials(&mut conn, system).await?)?
    };
    let mut session = Session::open(&settings, &secret).await.map_err(|e| {
        refused(format!(
            "The connected system could not be reached: {}",
            e.message()
        ))
    })?;
    let mut groups = Vec::new();
    for external in externals {
        match session.group(external.trim()).await {
            Ok(Some(g)) => groups.push(g),
            Ok(None) => {
                session.close().await;
                return Err(refused(format!(
                    "The connected system has no group {external} any more. Search again."
                )));
            }
            Err(e) => {
                session.close().await;
                return Err(refused(format!(
                    "The group {external} could not be checked: {}",
                    e.message()
                )));
            }
        }
    }
    session.close().await;
    let placeholder = match &settings {
        SystemSettings::Ldap(l) => l.placeholder.clone(),
        SystemSettings::Scim(_) => None,
    };
    let mut tx = store.begin().await?;
    let c = found(store::catalogs::get(&mut tx, catalog).await?)?;
    let mut added = Vec::new();
    for g in &groups {
        let linked = connected_systems::group_linked_to(&mut tx, system, &g.id).await?;
        let group_id = match linked {
            Some(id) => id,
            None => {
                let description = format!("Provisioned into {}", g.id);
                let profile =
                    GroupProfile::parse(&g.name, &description, "security").map_err(|e| {
                        refused(format!(
                            "The group {} cannot be added: {}",
                            g.name,
                            e.messages()
                        ))
                    })?;
                let id = GroupId::new();
                store::directory::save(
                    &mut tx,
                    store::directory::Write::Insert,
                    Named::Group(&id, &profile),
                    now,
                )
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => refused(format!(
                        "Gatehouse already has a group named {}: link it from its page instead.",
                        g.name
                    )),
                    e => e.into(),
                })?;
                let origin = Origin {
                    system: "AadGroup".into(),
                    id: id.to_string(),
                    role: "member".into(),
                    name: g.name.clone(),
                };
                connected_systems::insert_link(
                    &mut tx,
                    &ResourceLinkId::new(),
                    system,
                    ("AadGroup", id.as_str(), "member"),
                    &g.id,
                    &g.name,
                    placeholder.as_deref(),
                    now,
                )
                .await?;
                let details = json!({"system": system.as_str(), "role": "member", "group": g.id, "groupName": g.name});
                let event =
                    resource_event("Create group linked to connected system", &origin, details);
                audit::record(&mut tx, actor, &event, now).await?;
                id.to_string()
            }
        };
        if store::catalogs::add_resource(&mut tx, catalog, OriginSystem::AadGroup, &group_id, now)
            .await?
        {
            added.push(
                json!({"originSystem": "AadGroup", "originId": group_id, "displayName": g.name}),
            );
        }
    }
    if !added.is_empty() {
        let event = NewAuditEvent::new(
            "Add resources to catalog",
            object_type::CATALOG,
            catalog,
            &c.display_name,
            json!({"added": added}),
        );
        audit::record(&mut tx, actor, &event, now).await?;
    }
    tx.commit().await?;
    Ok(added.len())
}

fn resource_event(action: &str, origin: &Origin, details: serde_json::Value) -> NewAuditEvent {
    let object_type = match origin.system.as_str() {
        "AadGroup" => object_type::GROUP,
        "SharePointOnline" => object_type::SITE,
        _ => object_type::APPLICATION,
    };
    NewAuditEvent {
        action: action.into(),
        object_type,
        object_id: origin.id.clone(),
        object_name: origin.name.clone(),
        details,
    }
}

/// Removes a link (nothing changes in the target); its waiting operations go with it.
#[tracing::instrument(skip_all)]
pub(super) async fn unlink(
    store: &Store,
    actor: &Actor,
    link: &ResourceLinkId,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |c| {
        let row = connected_systems::delete_link(c, link, &origin.system, &origin.id).await?;
        let row = found(row)?;
        let details = json!({"system": row.system_id, "role": row.role, "group": row.external_id, "groupName": row.external_name});
        Ok(((), resource_event("Unlink resource from connected system", origin, details)))
    })
    .await
}

/// What one link's reconciliation found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Member values the ledger grants that the target lacks.
    pub missing: Vec<String>,
    /// Member values in the target that Gatehouse did not grant.
    pub unexpected: Vec<String>,
    /// Additions queued for the worker.
    pub queued: u64,
    /// Removals queued for the worker (members of the unexpected whose
    /// removal did not wait already).
    pub removals: usize,
}

/// Each link's name, with what reconciling it found or why it failed.
pub type LinkResults = Vec<(String, Result<Reconciled, String>)>;

/// Compares each linked group of the system (or one link) with the ledger,
/// records what differs, and repairs it as the system is set to. Returns
/// the links' results; a link whose target fails records its error.
#[tracing::instrument(skip_all)]
pub async fn reconcile(
    store: &Store,
    actor: &Actor,
    system: &ConnectedSystemId,
    now: DateTime<Utc>,
) -> Result<LinkResults, ServiceError> {
    let (s, links) = read(store, async |c| with_links(c, system).await).await?;
    let mut session = match open(store, system).await? {
        Ok(session) => session,
        Err(e) => {
            let mut tx = store.begin().await?;
            for l in &links {
                connected_systems::record_reconciliation(&mut tx, &l.id, Err(e.message()), now)
                    .await?;
            }
            tx.commit().await?;
            return Ok(links
                .into_iter()
                .map(|l| (l.external_name, Err(e.message().to_string())))
                .collect());
        }
    };
    let mut out = Vec::new();
    for l in &links {
        // One link's failure (its transaction rolled back) leaves the
        // others to be reconciled.
        let r = match reconcile_link(store, actor, &s, l, &mut session, now).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(link = %l.id, error = %e, "reconciliation of a link failed");
                // Its own change rolled back: the link's page says it failed
                // rather than showing what an earlier run found.
                let why = "the link could not be reconciled; the log says why";
                let mut tx = store.begin().await?;
                connected_systems::record_reconciliation(&mut tx, &l.id, Err(why), now).await?;
                tx.commit().await?;
                Err(why.to_string())
            }
        };
        out.push((l.external_name.clone(), r));
    }
    session.close().await;
    let mut tx = store.begin().await?;
    connected_systems::mark_reconciled(&mut tx, system.as_str(), now).await?;
    tx.commit().await?;
    Ok(out)
}

async fn reconcile_link(
    store: &Store,
    actor: &Actor,
    system: &SystemRow,
    link: &LinkRow,
    session: &mut Session,
    now: DateTime<Utc>,
) -> Result<Result<Reconciled, String>, ServiceError> {
    // The target first, then the ledger: someone the worker adds meanwhile
    // is then in the ledger's queue (in flight), never taken for unexpected.
    let in_target = match session
        .members(&link.external_id, link.placeholder.as_deref())
        .await
    {
        Ok(m) => m,
        Err(e) => {
            let mut tx = store.begin().await?;
            connected_systems::record_reconciliation(&mut tx, &link.id, Err(e.message()), now)
                .await?;
            tx.commit().await?;
            return Ok(Err(e.message().to_string()));
        }
    };
    let (ledger, in_flight, unknown_in_flight) = {
        let mut conn = store.read().await?;
        let ledger = provisioning::ledger_members(&mut conn, &link.id).await?;
        (
            ledger,
            provisioning::in_flight_members(&mut conn, &link.id).await?,
            provisioning::unknown_in_flight(&mut conn, &link.id).await?,
        )
    };
    let target: HashSet<String> = in_target.iter().map(|m| m.to_lowercase()).collect();
    let mut missing = Vec::new();
    let mut missing_users = Vec::new();
    let mut expected: HashSet<String> = in_flight.iter().map(|m| m.to_lowercase()).collect();
    for (user, email, member) in &ledger {
        match member {
            Some(m) if target.contains(&m.to_lowercase()) => {
                expected.insert(m.to_lowercase());
            }
            Some(m) => {
                expected.insert(m.to_lowercase());
                missing.push(m.clone());
                missing_users.push(user.clone());
            }
            // Never provisioned: not known in the target yet.
            None => {
                missing.push(email.clone());
                missing_users.push(user.clone());
            }
        }
    }
    let unexpected: Vec<String> = in_target
        .iter()
        .filter(|m| !expected.contains(&m.to_lowercase()))
        .cloned()
        .collect();
    let mut result = Reconciled {
        missing,
        unexpected,
        ..Default::default()
    };
    // Someone the worker is adding at this moment, under a member value not
    // yet recorded, could be any of the unexpected: removals wait for a run
    // with no such addition in flight (the differences are still shown).
    let removes = system.reconcile == ReconcileMode::AddAndRemove && !unknown_in_flight;
    if system.reconcile == ReconcileMode::AddAndRemove && unknown_in_flight {
        tracing::info!(link = %link.id, "reconciliation leaves removals for later: additions are in flight");
    }
    let mut tx = store.begin().await?;
    if system.reconcile != ReconcileMode::Report {
        // Held as every change to what they hold holds them: an end of
        // their access at this moment is then seen, not undone.
        let ids: Vec<UserId> = missing_users
            .iter()
            .cloned()
            .map(UserId::from_stored)
            .collect();
        store::users::lock_each(&mut tx, &ids.iter().collect::<Vec<_>>()).await?;
        result.queued =
            provisioning::queue_additions(&mut tx, &link.id, &missing_users, now).await?;
    }
    // Removals are queued with this run's record and audit, and the worker
    // applies them as it applies every removal; queued, they are on their
    // way out rather than unexpected.
    let (to_remove, still_unexpected) = if removes {
        let queued =
            provisioning::queue_removals(&mut tx, &link.id, &system.id, &result.unexpected, now)
                .await?;
        (queued, vec![])
    } else {
        (vec![], result.unexpected.clone())
    };
    result.removals = to_remove.len();
    connected_systems::record_reconciliation(
        &mut tx,
        &link.id,
        Ok((&result.missing, &still_unexpected)),
        now,
    )
    .await?;
    if result.queued > 0 || result.removals > 0 {
        audit::record(
            &mut tx,
            actor,
            &event(
                "Reconcile connected system",
                system.id.as_str(),
                &system.display_name,
                json!({"group": link.external_name, "added": result.queued, "addedMembers": result.missing, "membersToRemove": to_remove}),
            ),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(result))
}

/// Systems whose reconciliation is due, each claimed by one instance.
#[tracing::instrument(skip_all)]
pub async fn due_for_reconciliation(
    store: &Store,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ConnectedSystemId>, ServiceError> {
    let mut tx = store.begin().await?;
    let due = connected_systems::systems_to_reconcile(&mut tx, before, now).await?;
    tx.commit().await?;
    Ok(due)
}

/// A resource's links, the systems it may be linked to, and why each
/// holder holds it: (user id, role, package name) per granting package.
#[derive(Default)]
pub struct ResourceLinks {
    pub links: Vec<LinkRow>,
    pub systems: Vec<(String, String)>,
    pub reasons: Vec<(String, String, String)>,
}

/// A resource's links, the systems it may link to, and why its holders
/// hold its roles, read in the caller's connection.
#[tracing::instrument(skip_all)]
pub(super) async fn links_in(
    c: &mut store::Conn,
    origin_system: &str,
    origin_id: &str,
) -> Result<ResourceLinks, ServiceError> {
    let links = connected_systems::links_of(c, origin_system, origin_id).await?;
    let systems = connected_systems::all(c)
        .await?
        .into_iter()
        .map(|s| {
            (
                s.id.to_string(),
                format!("{} ({})", s.display_name, s.settings.kind().label()),
            )
        })
        .collect();
    let reasons = store::grants::reasons_for_resource(c, origin_system, origin_id).await?;
    Ok(ResourceLinks {
        links,
        systems,
        reasons,
    })
}
