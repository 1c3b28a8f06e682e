//! Importing people and groups from a connected LDAP directory, daily and on
//! "Sync now". The directory is read first, outside any transaction; then
//! one transaction makes Gatehouse match it: people created, changed or taken
//! over (a person made in Gatehouse with the same address), managers linked
//! by DN, people gone from the directory treated as leavers, groups and their
//! members set. An entry that cannot be imported is listed with why, and the
//! rest proceed. The run's summary is kept for the system's page.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ServiceError, found};
use crate::connectors::Session;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::connected_system::SystemSettings;
use crate::domain::directory::GroupProfile;
use crate::domain::directory_import::{ImportedPerson, person};
use crate::domain::ids::{ConnectedSystemId, GroupId, UserId};
use crate::domain::user::{UserProfile, UserState, UserType};
use crate::store::imports::{self, ImportedUser, NewPerson};
use crate::store::{self, Store, audit, connected_systems, users};

/// How many things a run created, changed, left as they were, and found gone.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// What a run found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The run could not read the directory: why.
    pub error: Option<String>,
    pub people: Counts,
    pub groups: Counts,
    /// Entries not imported: (DN, why).
    pub skipped: Vec<(String, String)>,
}

impl Summary {
    pub fn parse(json: &str) -> Summary {
        serde_json::from_str(json).unwrap_or_default()
    }
}

type Entries = Vec<(String, HashMap<String, Vec<String>>)>;

/// Reads the system's people and groups.
async fn read(
    settings: &SystemSettings,
    secret: &crate::config::Secret<String>,
) -> Result<(Entries, Entries, String), String> {
    let SystemSettings::Ldap(l) = settings else {
        return Err("only LDAP directories are imported from".into());
    };
    let mut s = Session::open(settings, secret)
        .await
        .map_err(|e| e.message().to_string())?;
    // `uid` too: a posixGroup names its members by it (memberUid).
    let mut wanted = l.import.map.attributes();
    wanted.push("uid".into());
    let people = s
        .entries(&l.users_base, &l.import.users_filter, wanted)
        .await;
    let member = l.member_attribute.clone();
    let groups = s
        .entries(
            &l.groups_base,
            &l.import.groups_filter,
            vec!["cn".into(), member.clone()],
        )
        .await;
    s.close().await;
    Ok((
        people.map_err(|e| e.message().to_string())?,
        groups.map_err(|e| e.message().to_string())?,
        member.to_ascii_lowercase(),
    ))
}

fn unchanged(u: &ImportedUser, p: &ImportedPerson) -> bool {
    u.state == "active"
        && u.email.eq_ignore_ascii_case(p.email.as_str())
        && u.display_name == p.display_name
        && u.given_name == p.given_name
        && u.surname == p.surname
        && u.job_title == p.job_title
        && u.department == p.department
        && u.employee_number == p.employee_number
}

fn profile(
    p: &ImportedPerson,
    user_type: UserType,
    custom: std::collections::BTreeMap<String, String>,
) -> UserProfile {
    UserProfile {
        user_type,
        display_name: p.display_name.clone(),
        given_name: p.given_name.clone(),
        surname: p.surname.clone(),
        email: p.email.clone(),
        job_title: p.job_title.clone(),
        department: p.department.clone(),
        custom_attributes: custom,
        state: UserState::Active,
    }
}

/// Imports now; returns what the run did (also kept for the page).
pub async fn import(
    store: &Store,
    actor: &Actor,
    system: &ConnectedSystemId,
    now: DateTime<Utc>,
) -> Result<Summary, ServiceError> {
    let (settings, secret) = {
        let mut c = store.read().await?;
        found(connected_systems::credentials(&mut c, system.as_str()).await?)?
    };
    let mut summary = Summary::default();
    let (people, groups, member_attr) = match read(&settings, &secret).await {
        Ok(r) => r,
        Err(why) => {
            summary.error = Some(why);
            let mut tx = store.begin().await?;
            imports::record(&mut tx, system, &json!(summary).to_string(), now).await?;
            tx.commit().await?;
            return Ok(summary);
        }
    };
    let SystemSettings::Ldap(l) = &settings else {
        return Err(ServiceError::Refused(
            "Only LDAP directories are imported from.".into(),
        ));
    };
    // A filter or base that finds nobody would make everyone a leaver: such
    // a run changes nothing and says why.
    if people.is_empty() {
        let mut c = store.read().await?;
        if !imports::users_of(&mut c, system).await?.is_empty() {
            drop(c);
            summary.error = Some(
                "the people filter found nobody under the users' base, so nothing was changed \
                 (everyone imported before would have left); check the base and the filter"
                    .into(),
            );
            let mut tx = store.begin().await?;
            imports::record(&mut tx, system, &json!(summary).to_string(), now).await?;
            tx.commit().await?;
            return Ok(summary);
        }
    }
    let read_at = std::time::Instant::now();
    let present: HashSet<String> = people.iter().map(|(dn, _)| dn.to_lowercase()).collect();
    // Each person's DN by uid, for groups that name members by uid.
    let by_uid: HashMap<String, String> = people
        .iter()
        .filter_map(|(dn, attrs)| {
            let uid = attrs.get("uid")?.first()?;
            Some((uid.to_lowercase(), dn.to_lowercase()))
        })
        .collect();
    let mut mapped = Vec::new();
    for (dn, attrs) in &people {
        match person(&l.import.map, dn, attrs) {
            Ok(p) => mapped.push(p),
            Err(why) => summary
                .skipped
                .push((dn.clone(), format!("not imported: {why}"))),
        }
    }

    let mut tx = store.begin().await?;
    let existing: HashMap<String, ImportedUser> = imports::users_of(&mut tx, system)
        .await?
        .into_iter()
        .filter_map(|u| Some((u.external_id.clone()?, u)))
        .collect();
    let ids = people_in(&mut tx, system, &mapped, &existing, &mut summary, now).await?;
    let people_at = std::time::Instant::now();
    // Managers, by DN, once everyone is in.
    let mut managers = Vec::new();
    for p in &mapped {
        let Some(id) = ids.get(&p.dn) else { continue };
        let want = p
            .manager
            .as_ref()
            .and_then(|m| ids.get(m))
            .filter(|m| *m != id);
        let had = existing.get(&p.dn).and_then(|u| u.manager_id.as_ref());
        if want != had && (want.is_some() || had.is_some()) {
            managers.push((id.clone(), want.cloned()));
        }
    }
    imports::set_managers(&mut tx, &managers, now).await?;
    let managers_at = std::time::Instant::now();
    // Gone from the directory: leavers.
    for (dn, u) in &existing {
        if present.contains(dn) || u.state != "active" {
            continue;
        }
        let id = UserId::from_stored(u.id.clone());
        super::requests::leavers::leave(store, &mut tx, actor, &id, now).await?;
        summary.people.removed += 1;
    }
    let finder = Members {
        attribute: &member_attr,
        ids: &ids,
        by_uid: &by_uid,
    };
    groups_in(&mut tx, system, &groups, &finder, &mut summary, now).await?;
    let groups_at = std::time::Instant::now();

    let details = json!(summary);
    let name = connected_systems::get(&mut tx, system)
        .await?
        .map(|s| s.display_name)
        .unwrap_or_default();
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent::new(
            "Import from connected system",
            object_type::CONNECTED_SYSTEM,
            system,
            name,
            details.clone(),
        ),
        now,
    )
    .await?;
    imports::record(&mut tx, system, &details.to_string(), now).await?;
    tx.commit().await?;
    tracing::info!(
        people_ms = (people_at - read_at).as_millis() as u64,
        managers_ms = (managers_at - people_at).as_millis() as u64,
        groups_ms = (groups_at - managers_at).as_millis() as u64,
        commit_ms = groups_at.elapsed().as_millis() as u64,
        "directory import written"
    );
    store.wake_workers();
    Ok(summary)
}

/// Updates a person from their entry and marks them as the system's (their
/// type and custom attributes stay, the directory keeps the rest).
async fn keep(
    tx: &mut store::Tx,
    system: &ConnectedSystemId,
    id: &UserId,
    p: &ImportedPerson,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let u = found(users::get(tx, id).await?)?;
    let prof = profile(p, u.user_type, u.custom_attributes.clone());
    users::update(tx, id, &prof, u.manager_id.as_ref(), now).await?;
    imports::claim_user(tx, id, system, &p.dn, p.employee_number.as_deref()).await?;
    Ok(())
}

/// Makes Gatehouse's people match the directory's: changed ones updated one
/// by one, new ones inserted together. Returns every imported person's id by
/// DN.
async fn people_in(
    tx: &mut store::Tx,
    system: &ConnectedSystemId,
    mapped: &[ImportedPerson],
    existing: &HashMap<String, ImportedUser>,
    summary: &mut Summary,
    now: DateTime<Utc>,
) -> Result<HashMap<String, String>, ServiceError> {
    // Who holds each address someone would take (a new person, or a changed
    // address), read at once rather than person by person.
    let wanted: Vec<String> = mapped
        .iter()
        .filter(|p| {
            existing
                .get(&p.dn)
                .is_none_or(|u| !u.email.eq_ignore_ascii_case(p.email.as_str()))
        })
        .map(|p| p.email.normalized())
        .collect();
    let holders: HashMap<String, (String, String)> = imports::holders(tx, &wanted)
        .await?
        .into_iter()
        .map(|(email, id, source)| (email, (id, source)))
        .collect();
    let ours: HashSet<&str> = existing.values().map(|u| u.id.as_str()).collect();
    let mut taken: HashSet<String> = HashSet::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut fresh = Vec::new();
    for p in mapped {
        let email = p.email.normalized();
        let holder = holders.get(&email);
        if let Some(u) = existing.get(&p.dn) {
            ids.insert(p.dn.clone(), u.id.clone());
            if unchanged(u, p) {
                summary.people.unchanged += 1;
                continue;
            }
            let clash = holder.is_some_and(|(id, _)| *id != u.id) || !taken.insert(email);
            if clash {
                summary.skipped.push((
                    p.dn.clone(),
                    format!("not updated: another person has the address {}", p.email),
                ));
                continue;
            }
            let id = UserId::from_stored(u.id.clone());
            keep(tx, system, &id, p, now).await?;
            summary.people.updated += 1;
            continue;
        }
        if !taken.insert(email) {
            summary.skipped.push((
                p.dn.clone(),
                format!("not imported: another entry has the address {}", p.email),
            ));
            continue;
        }
        match holder {
            Some((id, _)) if ours.contains(id.as_str()) => summary.skipped.push((
                p.dn.clone(),
                format!("not imported: another entry has the address {}", p.email),
            )),
            Some((_, source)) if source != "local" => summary.skipped.push((
                p.dn.clone(),
                format!("not imported: {} is a person another source keeps", p.email),
            )),
            Some((id, _)) => {
                // Made in Gatehouse (or at first sign-in): the directory keeps them from now on.
                let id = UserId::from_stored(id.clone());
                keep(tx, system, &id, p, now).await?;
                ids.insert(p.dn.clone(), id.to_string());
                summary.people.updated += 1;
            }
            None => {
                let id = UserId::new();
                ids.insert(p.dn.clone(), id.to_string());
                fresh.push(NewPerson {
                    id,
                    profile: profile(p, UserType::Member, Default::default()),
                    dn: p.dn.clone(),
                    employee_number: p.employee_number.clone(),
                });
                summary.people.created += 1;
            }
        }
    }
    imports::insert_people(tx, system, &fresh, now).await?;
    Ok(ids)
}

/// Makes the system's groups and their members (DN member values) match the
/// directory's: new groups inserted together, memberships added together,
/// the few removals one by one (a package may still grant them).
async fn groups_in(
    tx: &mut store::Tx,
    system: &ConnectedSystemId,
    groups: &Entries,
    finder: &Members<'_>,
    summary: &mut Summary,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let known: HashMap<String, String> = imports::groups_of(tx, system)
        .await?
        .into_iter()
        .map(|(id, dn, _)| (dn, id))
        .collect();
    let mut current: HashMap<String, HashSet<String>> = HashMap::new();
    for (g, u) in imports::members_of(tx, system).await? {
        current.entry(g).or_default().insert(u);
    }
    let names: Vec<String> = groups
        .iter()
        .filter(|(dn, _)| !known.contains_key(&dn.to_lowercase()))
        .map(|(dn, attrs)| group_name(dn, attrs).to_lowercase())
        .collect();
    let mut taken: HashSet<String> = imports::group_names_taken(tx, &names)
        .await?
        .into_iter()
        .collect();
    let mut fresh = Vec::new();
    let mut additions: Vec<(String, String)> = Vec::new();
    let mut seen = HashSet::new();
    for (dn, attrs) in groups {
        let dn = dn.to_lowercase();
        seen.insert(dn.clone());
        let mut members: Vec<String> = attrs
            .get(finder.attribute)
            .into_iter()
            .flatten()
            .filter_map(|m| finder.id_of(m))
            .collect();
        members.sort();
        members.dedup();
        let gid = match known.get(&dn) {
            Some(id) => id.clone(),
            None => {
                let name = group_name(&dn, attrs);
                let p = match GroupProfile::parse(&name, "Imported from the directory", "security")
                {
                    Ok(p) => p,
                    Err(e) => {
                        summary
                            .skipped
                            .push((dn.clone(), format!("not imported: {}", e.messages())));
                        continue;
                    }
                };
                if !taken.insert(name.to_lowercase()) {
                    summary.skipped.push((
                        dn.clone(),
                        format!("not imported: Gatehouse already has a group named {name}"),
                    ));
                    continue;
                }
                let gid = GroupId::new();
                additions.extend(members.iter().map(|u| (gid.to_string(), u.clone())));
                fresh.push((gid, p, dn));
                summary.groups.created += 1;
                continue;
            }
        };
        let had = current.remove(&gid).unwrap_or_default();
        let new: Vec<&String> = members.iter().filter(|u| !had.contains(*u)).collect();
        let gone: Vec<String> = had.into_iter().filter(|u| !members.contains(u)).collect();
        additions.extend(new.iter().map(|u| (gid.clone(), (*u).clone())));
        let removed =
            store::scim::remove_members(tx, &GroupId::from_stored(gid.clone()), &gone).await?;
        if !new.is_empty() || removed > 0 {
            summary.groups.updated += 1;
        } else {
            summary.groups.unchanged += 1;
        }
    }
    imports::insert_groups(tx, system, &fresh, now).await?;
    store::scim::add_members(tx, &additions, now).await?;
    // Gone from the directory: nobody holds it through the directory any
    // more. (No group found at all leaves the groups as they are.)
    if !groups.is_empty() {
        for (dn, id) in &known {
            if !seen.contains(dn) {
                let gid = GroupId::from_stored(id.clone());
                store::scim::set_members(tx, &gid, &[], now).await?;
                summary.groups.removed += 1;
            }
        }
    }
    Ok(())
}

/// How a group's member values find the people imported.
struct Members<'a> {
    /// The member attribute, lower-cased (`member`, `uniquemember`, `memberuid`).
    attribute: &'a str,
    /// Each person's id by DN.
    ids: &'a HashMap<String, String>,
    /// Each person's DN by uid.
    by_uid: &'a HashMap<String, String>,
}

impl Members<'_> {
    /// The person a member value names: by DN, or by uid (memberUid).
    fn id_of(&self, value: &str) -> Option<String> {
        let value = value.to_lowercase();
        self.ids
            .get(&value)
            .or_else(|| self.by_uid.get(&value).and_then(|dn| self.ids.get(dn)))
            .cloned()
    }
}

fn group_name(dn: &str, attrs: &HashMap<String, Vec<String>>) -> String {
    attrs
        .get("cn")
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_else(|| dn.to_string())
}

/// The last run of a system's import: when, and what it did.
pub async fn last_run(
    store: &Store,
    system: &ConnectedSystemId,
) -> Result<Option<(String, Summary)>, ServiceError> {
    let mut c = store.read().await?;
    Ok(imports::last_run(&mut c, system)
        .await?
        .map(|(at, s)| (at, Summary::parse(&s))))
}

/// Systems whose daily import is due, each claimed by one instance.
pub async fn due(
    store: &Store,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ConnectedSystemId>, ServiceError> {
    let mut tx = store.begin().await?;
    let due = imports::due(&mut tx, before, now).await?;
    tx.commit().await?;
    Ok(due)
}
