//! Importing people and groups from a connected LDAP directory, daily and on
//! "Sync now". The directory is read first, outside any transaction; then
//! one transaction makes Gatehouse match it: people created, changed or taken
//! over (a person made in Gatehouse with the same address), managers linked
//! by DN, people gone from the directory treated as leavers, groups and their
//! members set. An entry that cannot be imported is listed with why, and the
//! rest proceed. The run's summary is kept for the system's page.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;

use super::error::{ServiceError, found};
use crate::connectors::Session;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::connected_system::SystemSettings;
use crate::domain::directory::GroupProfile;
use crate::domain::directory_import::{ImportedPerson, person};
use crate::domain::ids::{ConnectedSystemId, GroupId, UserId};
use crate::domain::user::{UserProfile, UserState, UserType};
use crate::store::imports::{self, ImportedUser, NewPerson};
use crate::store::{self, Store, audit, connected_systems, users};

pub use crate::domain::directory_import::{Counts, Summary};

type Entries = Vec<(String, HashMap<String, Vec<String>>)>;

/// Reads the system's people and groups.
async fn read(
    settings: &SystemSettings,
    secret: &crate::domain::secret::Secret<String>,
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
    u.state == UserState::Active
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
#[tracing::instrument(skip_all)]
pub async fn import(
    store: &Store,
    actor: &Actor,
    system: &ConnectedSystemId,
    now: DateTime<Utc>,
) -> Result<Summary, ServiceError> {
    let (settings, secret) = {
        let mut c = store.read().await?;
        found(connected_systems::credentials(&mut c, system).await?)?
    };
    let mut summary = Summary::default();
    let (people, groups, member_attr) = match read(&settings, &secret).await {
        Ok(r) => r,
        Err(why) => {
            summary.error = Some(why);
            let mut tx = store.begin().await?;
            imports::record(&mut tx, system, &summary, now).await?;
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
            imports::record(&mut tx, system, &summary, now).await?;
            tx.commit().await?;
            return Ok(summary);
        }
    }
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

    let started = std::time::Instant::now();
    let mut tx = store.begin().await?;
    let existing: HashMap<String, ImportedUser> = imports::users_of(&mut tx, system)
        .await?
        .into_iter()
        .filter_map(|u| Some((u.external_id.clone()?, u)))
        .collect();
    let people_plan = plan_people(&mut tx, &mapped, &existing, &mut summary).await?;
    let ids = &people_plan.ids;
    // Managers, by DN, among everyone imported (new people included).
    let mut managers = Vec::new();
    for p in &mapped {
        let Some(id) = ids.get(&p.dn) else { continue };
        let want = p
            .manager
            .as_ref()
            .and_then(|m| ids.get(m))
            .filter(|m| *m != id);
        let had = existing
            .get(&p.dn)
            .and_then(|u| u.manager_id.as_ref())
            .or_else(|| people_plan.managers_before.get(id));
        if want != had && (want.is_some() || had.is_some()) {
            managers.push((id.clone(), want.cloned()));
        }
    }
    // Gone from the directory: leavers.
    let leavers: Vec<UserId> = existing
        .iter()
        .filter(|(dn, u)| !present.contains(*dn) && u.state == UserState::Active)
        .map(|(_, u)| UserId::from_stored(u.id.clone()))
        .collect();
    let finder = Members {
        attribute: &member_attr,
        ids,
        by_uid: &by_uid,
    };
    let groups_plan = plan_groups(&mut tx, system, &groups, &finder, &mut summary).await?;
    // Everyone already in Gatehouse whose row or memberships the run
    // changes is held first, all in the order of their ids, as every change
    // to what people hold takes them: a package delivered to one of them at
    // this moment then keeps the membership it grants, and the run never
    // waits in a circle with another change. Those new to Gatehouse are
    // seen by nobody else yet. (What was read before they were held may
    // have changed meanwhile, a membership removed by hand, say: the next
    // run puts it right.)
    let fresh: HashSet<&str> = people_plan.fresh.iter().map(|p| p.id.as_str()).collect();
    let changed: Vec<UserId> = people_plan
        .kept
        .iter()
        .map(|(id, _)| id.to_string())
        .chain(managers.iter().map(|(id, _)| id.clone()))
        .chain(groups_plan.people())
        .filter(|id| !fresh.contains(id.as_str()))
        .map(UserId::from_stored)
        .chain(leavers.iter().cloned())
        .collect();
    users::lock_each(&mut tx, &changed.iter().collect::<Vec<_>>()).await?;
    let held_at = std::time::Instant::now();
    for (id, p) in &people_plan.kept {
        keep(&mut tx, system, id, p, now).await?;
    }
    imports::insert_people(&mut tx, system, &people_plan.fresh, now).await?;
    let people_at = std::time::Instant::now();
    imports::set_managers(&mut tx, &managers, now).await?;
    let managers_at = std::time::Instant::now();
    for id in &leavers {
        super::requests::leavers::leave(store, &mut tx, actor, id, now).await?;
        summary.people.removed += 1;
    }
    apply_groups(&mut tx, system, groups_plan, &mut summary, now).await?;
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
    imports::record(&mut tx, system, &summary, now).await?;
    tx.commit().await?;
    tracing::info!(
        planned_ms = (held_at - started).as_millis() as u64,
        people_ms = (people_at - held_at).as_millis() as u64,
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

/// What a run changes about people, worked out before anything is written.
struct PeoplePlan<'a> {
    /// Every imported person's id, by DN.
    ids: HashMap<String, String>,
    /// People in Gatehouse whose entry changed, or whom the directory takes over.
    kept: Vec<(UserId, &'a ImportedPerson)>,
    /// The managers of those taken over, by id: the directory's replace them.
    managers_before: HashMap<String, String>,
    /// People new to Gatehouse.
    fresh: Vec<NewPerson>,
}

/// How Gatehouse's people come to match the directory's: who is updated
/// (one by one) and who is inserted (together).
async fn plan_people<'a>(
    tx: &mut store::Tx,
    mapped: &'a [ImportedPerson],
    existing: &HashMap<String, ImportedUser>,
    summary: &mut Summary,
) -> Result<PeoplePlan<'a>, ServiceError> {
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
    let holders: HashMap<String, (String, String, Option<String>)> = imports::holders(tx, &wanted)
        .await?
        .into_iter()
        .map(|(email, id, source, manager)| (email, (id, source, manager)))
        .collect();
    let ours: HashSet<&str> = existing.values().map(|u| u.id.as_str()).collect();
    let mut taken: HashSet<String> = HashSet::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut fresh = Vec::new();
    let mut kept = Vec::new();
    let mut managers_before = HashMap::new();
    for p in mapped {
        let email = p.email.normalized();
        let holder = holders.get(&email);
        if let Some(u) = existing.get(&p.dn) {
            ids.insert(p.dn.clone(), u.id.clone());
            if unchanged(u, p) {
                summary.people.unchanged += 1;
                continue;
            }
            let clash = holder.is_some_and(|(id, ..)| *id != u.id) || !taken.insert(email);
            if clash {
                summary.skipped.push((
                    p.dn.clone(),
                    format!("not updated: another person has the address {}", p.email),
                ));
                continue;
            }
            kept.push((UserId::from_stored(u.id.clone()), p));
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
            Some((id, ..)) if ours.contains(id.as_str()) => summary.skipped.push((
                p.dn.clone(),
                format!("not imported: another entry has the address {}", p.email),
            )),
            Some((_, source, _)) if source != "local" => summary.skipped.push((
                p.dn.clone(),
                format!("not imported: {} is a person another source keeps", p.email),
            )),
            Some((id, _, manager)) => {
                // Made in Gatehouse (or at first sign-in): the directory keeps them from now on.
                ids.insert(p.dn.clone(), id.clone());
                kept.push((UserId::from_stored(id.clone()), p));
                if let Some(m) = manager {
                    managers_before.insert(id.clone(), m.clone());
                }
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
    Ok(PeoplePlan {
        ids,
        kept,
        managers_before,
        fresh,
    })
}

/// What a run changes about the system's groups, worked out before anything
/// is written.
struct GroupsPlan {
    /// Groups new to Gatehouse: (id, profile, DN).
    fresh: Vec<(GroupId, GroupProfile, String)>,
    /// Memberships to add: (group id, user id).
    additions: Vec<(String, String)>,
    /// Each group already imported: its id, how many join it, and who leaves
    /// it. (Those only a package makes members are neither: the directory
    /// listing one of them makes them a member by the directory too.)
    known: Vec<(GroupId, usize, Vec<String>)>,
    /// Groups gone from the directory, with the members it held.
    vanished: Vec<(GroupId, Vec<String>)>,
}

impl GroupsPlan {
    /// Everyone whose memberships change.
    fn people(&self) -> impl Iterator<Item = String> + '_ {
        let joining = self.additions.iter().map(|(_, u)| u);
        let leaving = self.known.iter().flat_map(|(_, _, gone)| gone);
        let emptied = self.vanished.iter().flat_map(|(_, members)| members);
        joining.chain(leaving).chain(emptied).cloned()
    }
}

/// How the system's groups and their members (DN member values) come to
/// match the directory's.
async fn plan_groups(
    tx: &mut store::Tx,
    system: &ConnectedSystemId,
    groups: &Entries,
    finder: &Members<'_>,
    summary: &mut Summary,
) -> Result<GroupsPlan, ServiceError> {
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
    let mut changed = Vec::new();
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
        changed.push((GroupId::from_stored(gid), new.len(), gone));
    }
    // Gone from the directory: nobody holds it through the directory any
    // more. (No group found at all leaves the groups as they are.)
    let mut vanished = Vec::new();
    if !groups.is_empty() {
        for (dn, id) in known {
            if !seen.contains(&dn) {
                let members = current.remove(&id).unwrap_or_default();
                vanished.push((GroupId::from_stored(id), members.into_iter().collect()));
            }
        }
    }
    Ok(GroupsPlan {
        fresh,
        additions,
        known: changed,
        vanished,
    })
}

/// Makes the groups match the directory's as planned: new groups inserted
/// together, memberships added together, the few removals one by one (a
/// package may still grant them).
async fn apply_groups(
    tx: &mut store::Tx,
    system: &ConnectedSystemId,
    plan: GroupsPlan,
    summary: &mut Summary,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    for (gid, joining, gone) in &plan.known {
        let removed = store::scim::remove_members(tx, gid, gone).await?;
        if *joining > 0 || removed > 0 {
            summary.groups.updated += 1;
        } else {
            summary.groups.unchanged += 1;
        }
    }
    imports::insert_groups(tx, system, &plan.fresh, now).await?;
    store::scim::add_members(tx, &plan.additions, now).await?;
    // Only those held when the run was planned: anyone added since was not
    // held first, and leaves on the next run.
    for (gid, members) in &plan.vanished {
        store::scim::remove_members(tx, gid, members).await?;
        summary.groups.removed += 1;
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

/// Systems whose daily import is due, each claimed by one instance.
#[tracing::instrument(skip_all)]
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
