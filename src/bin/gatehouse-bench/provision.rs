//! Provisioning into a local slapd: reconciliation of many linked groups,
//! the worker's throughput, and "approve and provision" latency (from an
//! approver's decision to the membership visible in the directory).
//!
//! It needs an empty database and an LDAP server whose bind account may
//! write under the base (`tests/bench.sh` starts both). The directory's
//! people and groups are written over LDAP; the Gatehouse side of a tenant
//! that has been running for a while (people, groups, a million memberships,
//! the links, who each person is in the directory) is written in bulk; what
//! is measured runs through the product: the reconciliation service, the
//! provisioning worker, and the approval service with the worker running
//! beside it as in the server.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use gatehouse::clock::Clock;
use gatehouse::domain::audit::Actor;
use gatehouse::domain::catalog::{CatalogProfile, CatalogState, OriginSystem};
use gatehouse::domain::connected_system::{SystemInput, SystemProfile};
use gatehouse::domain::directory::{GroupProfile, Named};
use gatehouse::domain::ids::{ConnectedSystemId, GroupId, RequestId, UserId};
use gatehouse::domain::policy::{
    AllowedTargetScope, ApprovalSettings, ApprovalStage, Approver, Expiration, Policy,
    RequestorSettings,
};
use gatehouse::domain::user::{Email, UserProfile, UserState, UserType};
use gatehouse::service::{catalogs, connected_systems, packages, requests};
use gatehouse::store::directory::Write;
use gatehouse::store::{self, Store, ts};
use ldap3::{Ldap, LdapConnAsync, Scope, ldap_escape};

use crate::bulk::{Val, insert};

#[derive(clap::Args)]
pub struct Options {
    #[arg(long)]
    pub database_url: String,
    #[arg(long)]
    pub ldap_url: String,
    #[arg(long)]
    pub bind_dn: String,
    #[arg(long)]
    pub password: String,
    /// Where the benchmark makes its subtree.
    #[arg(long)]
    pub base: String,
    /// People in the directory and in Gatehouse.
    #[arg(long, default_value_t = 10_000)]
    pub people: usize,
    /// Linked groups, and members in each.
    #[arg(long, default_value_t = 10_000)]
    pub groups: usize,
    #[arg(long, default_value_t = 100)]
    pub members: usize,
    /// Operations for the throughput runs.
    #[arg(long, default_value_t = 5_000)]
    pub operations: usize,
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    pub clients: Vec<usize>,
    /// Approvals per client in the latency runs.
    #[arg(long, default_value_t = 50)]
    pub per_client: usize,
    /// The Gatehouse binary (a release build), for the SCIM run over HTTP.
    #[arg(long, default_value = "target/release/gatehouse")]
    pub binary: std::path::PathBuf,
    /// How long the SCIM run lasts at each client count.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// People in the directory the import reads (and a tenth as many groups).
    #[arg(long, default_value_t = 100_000)]
    pub import_people: usize,
    /// Only the LDAP import (a quicker look at it alone).
    #[arg(long)]
    pub only_import: bool,
}

/// One line of the results.
pub struct Row {
    pub what: String,
    pub clients: usize,
    pub count: usize,
    pub seconds: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub note: String,
}

async fn ldap(o: &Options) -> anyhow::Result<Ldap> {
    let (conn, mut l) = LdapConnAsync::new(&o.ldap_url).await?;
    ldap3::drive!(conn);
    l.simple_bind(&o.bind_dn, &o.password).await?.success()?;
    Ok(l)
}

/// An entry to add: its DN and attributes.
type Entry = (String, Vec<(String, HashSet<String>)>);

fn set(values: &[&str]) -> HashSet<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// Adds entries over `LANES` connections at once.
async fn add_all(o: &Options, entries: Vec<Entry>) -> anyhow::Result<()> {
    const LANES: usize = 4;
    let queue = Arc::new(Mutex::new(entries));
    let mut lanes = Vec::new();
    for _ in 0..LANES {
        let mut l = ldap(o).await?;
        let queue = queue.clone();
        lanes.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().expect("queue").pop();
                let Some((dn, attrs)) = next else {
                    return anyhow::Ok(());
                };
                l.add(&dn, attrs).await?.success()?;
            }
        }));
    }
    for lane in lanes {
        lane.await??;
    }
    Ok(())
}

fn person_dn(ou: &str, i: usize) -> String {
    format!("uid=u{i},ou=people,{ou}")
}

/// The members of group `g`: `members` people spread over everyone.
fn members_of(o: &Options, g: usize) -> Vec<usize> {
    let step = (o.people / o.members.max(1)).max(1);
    (0..o.members.min(o.people))
        .map(|k| (g + k * step) % o.people)
        .collect()
}

fn group_entry(ou: &str, cn: &str, members: &[String]) -> Entry {
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    (
        format!("cn={cn},ou=groups,{ou}"),
        vec![
            ("objectClass".into(), set(&["groupOfNames"])),
            ("cn".into(), set(&[cn])),
            ("member".into(), set(&refs)),
        ],
    )
}

pub async fn run(o: &Options) -> anyhow::Result<Vec<Row>> {
    let url =
        gatehouse::config::DatabaseUrl::parse(&o.database_url).map_err(|e| anyhow::anyhow!(e))?;
    let store = Store::connect(&url).await?;
    let now = Utc::now();
    let actor = Actor::system();
    let mut rows = Vec::new();
    if o.only_import {
        return directory_import(o, &store, &actor).await;
    }

    // ---- the directory: people, and groups holding them ----
    let t = Instant::now();
    let ou = format!("ou=bench{},{}", now.timestamp(), o.base);
    let placeholder = format!("cn=nobody,{ou}");
    let mut entries = vec![];
    for unit in ["people", "groups"] {
        entries.push((
            format!("ou={unit},{ou}"),
            vec![("objectClass".to_string(), set(&["organizationalUnit"]))],
        ));
    }
    {
        let mut l = ldap(o).await?;
        l.add(
            &ou,
            vec![("objectClass".into(), set(&["organizationalUnit"]))],
        )
        .await?
        .success()?;
        l.add(
            &placeholder,
            vec![
                ("objectClass".into(), set(&["organizationalRole"])),
                ("cn".into(), set(&["nobody"])),
            ],
        )
        .await?
        .success()?;
        for (dn, attrs) in entries.drain(..) {
            l.add(&dn, attrs).await?.success()?;
        }
    }
    for i in 0..o.people {
        let (uid, mail) = (format!("u{i}"), format!("u{i}@bench.test"));
        entries.push((
            person_dn(&ou, i),
            vec![
                ("objectClass".into(), set(&["inetOrgPerson"])),
                ("cn".into(), set(&[&format!("Person {i}")])),
                ("sn".into(), set(&[&format!("{i}")])),
                ("uid".into(), set(&[&uid])),
                ("mail".into(), set(&[&mail])),
            ],
        ));
    }
    for g in 0..o.groups {
        let members: Vec<String> = members_of(o, g)
            .into_iter()
            .map(|i| person_dn(&ou, i))
            .collect();
        entries.push(group_entry(&ou, &format!("g{g}"), &members));
    }
    for name in ["known", "first", "latency"] {
        entries.push(group_entry(&ou, name, std::slice::from_ref(&placeholder)));
    }
    add_all(o, entries).await?;
    println!(
        "  directory: {} people, {} groups of {} in {:.1} s",
        o.people,
        o.groups,
        o.members,
        t.elapsed().as_secs_f64()
    );

    // ---- Gatehouse: the same people and groups, linked, as after a while ----
    let t = Instant::now();
    let system = new_system(&store, &actor, o, &ou, &placeholder, "Bench directory").await?;
    let mut users = Vec::with_capacity(o.people);
    let mut tx = store.begin().await?;
    for i in 0..o.people {
        let id = UserId::new();
        let profile = UserProfile {
            user_type: UserType::Member,
            display_name: format!("Person {i}"),
            given_name: Some("Person".into()),
            surname: Some(format!("{i}")),
            email: Email::parse(&format!("u{i}@bench.test")).map_err(|e| anyhow::anyhow!(e))?,
            job_title: None,
            department: None,
            custom_attributes: Default::default(),
            state: UserState::Active,
        };
        store::users::insert(&mut tx, &id, &profile, None, now).await?;
        users.push(id);
    }
    let mut groups = Vec::with_capacity(o.groups);
    for g in 0..o.groups {
        let id = GroupId::new();
        let p = GroupProfile::parse(&format!("g{g}"), "", "security")
            .map_err(|e| anyhow::anyhow!(e.messages()))?;
        store::directory::save(&mut tx, Write::Insert, Named::Group(&id, &p), now).await?;
        groups.push(id);
    }
    let mut memberships = Vec::with_capacity(o.groups * o.members);
    for (g, gid) in groups.iter().enumerate() {
        for i in members_of(o, g) {
            memberships.push(vec![
                Val::from(gid.as_str()),
                Val::from(users[i].as_str()),
                "member".into(),
                ts(now).into(),
            ]);
        }
    }
    insert(
        &mut tx,
        "group_members",
        "group_id, user_id, role, added_at",
        &memberships,
    )
    .await?;
    let links: Vec<Vec<Val>> = groups
        .iter()
        .enumerate()
        .map(|(g, gid)| {
            vec![
                Val::from(uuid::Uuid::new_v4().to_string()),
                system.as_str().into(),
                "AadGroup".into(),
                gid.as_str().into(),
                "member".into(),
                format!("cn=g{g},ou=groups,{ou}").into(),
                format!("g{g}").into(),
                Val::from(placeholder.clone()),
                ts(now).into(),
            ]
        })
        .collect();
    insert(
        &mut tx,
        "resource_links",
        "id, system_id, origin_system, origin_id, role, external_id, external_name, placeholder, created_at",
        &links,
    )
    .await?;
    let accounts: Vec<Vec<Val>> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let dn = person_dn(&ou, i);
            vec![
                system.as_str().into(),
                u.as_str().into(),
                dn.clone().into(),
                dn.into(),
                ts(now).into(),
            ]
        })
        .collect();
    insert(
        &mut tx,
        "provisioned_accounts",
        "system_id, user_id, external_key, member_value, created_at",
        &accounts,
    )
    .await?;
    tx.commit().await?;
    {
        let mut conn = store.read().await?;
        crate::bulk::analyze(&mut conn).await?;
    }
    println!(
        "  gatehouse: {} memberships, {} links in {:.1} s",
        memberships.len(),
        links.len(),
        t.elapsed().as_secs_f64()
    );

    // ---- reconciliation of every linked group ----
    let t = Instant::now();
    let results = connected_systems::reconcile(&store, &actor, &system, Utc::now()).await?;
    let seconds = t.elapsed().as_secs_f64();
    let drifted = results
        .iter()
        .filter(|(_, r)| !matches!(r, Ok(r) if r.missing.is_empty() && r.unexpected.is_empty()))
        .count();
    rows.push(Row {
        what: format!(
            "reconcile {} groups, {} memberships",
            o.groups,
            memberships.len()
        ),
        clients: 1,
        count: results.len(),
        seconds,
        p50_ms: None,
        p99_ms: None,
        note: format!("{drifted} groups differ (expected 0)"),
    });
    println!(
        "  reconcile: {} links in {seconds:.1} s, {drifted} differ",
        results.len()
    );

    // ---- throughput: people already known in the directory, then new to it ----
    let worker = Clock::System;
    for (group, system, label) in [
        (
            "known",
            system.clone(),
            "people known in the directory (one modify each)",
        ),
        (
            "first",
            new_system(
                &store,
                &actor,
                o,
                &ou,
                &placeholder,
                "Bench directory, first time",
            )
            .await?,
            "people new to the system (a search and a modify each)",
        ),
    ] {
        let gid = linked_group(&store, &system, &ou, group, &placeholder).await?;
        let n = o.operations.min(o.people);
        let mut tx = store.begin().await?;
        let rows_in: Vec<Vec<Val>> = users[..n]
            .iter()
            .map(|u| {
                vec![
                    gid.as_str().into(),
                    u.as_str().into(),
                    "member".into(),
                    ts(Utc::now()).into(),
                ]
            })
            .collect();
        // The triggers queue one operation per new member, as any grant does.
        insert(
            &mut tx,
            "group_members",
            "group_id, user_id, role, added_at",
            &rows_in,
        )
        .await?;
        tx.commit().await?;
        let t = Instant::now();
        let mut done = 0;
        loop {
            let applied = gatehouse::jobs::provisioning::run_once(&store, &worker).await?;
            if applied == 0 {
                break;
            }
            done += applied;
        }
        let seconds = t.elapsed().as_secs_f64();
        let present = member_count(o, &format!("cn={group},ou=groups,{ou}")).await?;
        rows.push(Row {
            what: format!("provision: {label}"),
            clients: 1,
            count: done,
            seconds,
            p50_ms: None,
            p99_ms: None,
            note: format!(
                "{:.0} operations/s; {present} of {n} in the group",
                done as f64 / seconds
            ),
        });
        println!(
            "  provision {group}: {done} in {seconds:.1} s ({:.0}/s)",
            done as f64 / seconds
        );
    }

    // ---- approve and provision: the decision to the membership visible ----
    rows.extend(latency(o, &store, &actor, &system, &ou, &placeholder, &users).await?);

    // ---- LDAP import: a directory of its own, imported twice ----
    rows.extend(directory_import(o, &store, &actor).await?);

    // ---- SCIM: an identity provider creating users, over HTTP ----
    rows.extend(scim_creation(o, &store, &actor).await?);
    Ok(rows)
}

/// `import_people` people and a tenth as many groups of ten in a subtree of
/// their own, imported by a connected system (the product's service), then
/// imported again with nothing changed.
async fn directory_import(o: &Options, store: &Store, actor: &Actor) -> anyhow::Result<Vec<Row>> {
    let n = o.import_people;
    let groups = (n / 10).max(1);
    let t = Instant::now();
    let ou = format!("ou=import{},{}", Utc::now().timestamp(), o.base);
    {
        let mut l = ldap(o).await?;
        l.add(
            &ou,
            vec![("objectClass".into(), set(&["organizationalUnit"]))],
        )
        .await?
        .success()?;
        for unit in ["people", "groups"] {
            l.add(
                &format!("ou={unit},{ou}"),
                vec![("objectClass".to_string(), set(&["organizationalUnit"]))],
            )
            .await?
            .success()?;
        }
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(n + groups);
    for i in 0..n {
        entries.push((
            format!("uid=p{i},ou=people,{ou}"),
            vec![
                ("objectClass".into(), set(&["inetOrgPerson"])),
                ("cn".into(), set(&[&format!("Imported {i}")])),
                ("sn".into(), set(&[&format!("{i}")])),
                ("givenName".into(), set(&["Imported"])),
                ("uid".into(), set(&[&format!("p{i}")])),
                ("mail".into(), set(&[&format!("p{i}@import.bench.test")])),
                ("title".into(), set(&["Clerk"])),
                ("employeeNumber".into(), set(&[&format!("{i}")])),
                (
                    "manager".into(),
                    set(&[&format!("uid=p{},ou=people,{ou}", i / 100 * 100)]),
                ),
            ],
        ));
    }
    for g in 0..groups {
        let members: Vec<String> = (0..10)
            .map(|k| format!("uid=p{},ou=people,{ou}", (g * 10 + k) % n))
            .collect();
        entries.push(group_entry(&ou, &format!("ig{g}"), &members));
    }
    add_all(o, entries).await?;
    println!(
        "  import directory: {n} people, {groups} groups in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let input = SystemInput {
        kind: "ldap".into(),
        display_name: "Bench import".into(),
        reconcile: "report".into(),
        secret: o.password.clone(),
        ldap_url: o.ldap_url.clone(),
        ldap_bind_dn: o.bind_dn.clone(),
        ldap_users_base: format!("ou=people,{ou}"),
        ldap_match_attribute: "mail".into(),
        ldap_groups_base: format!("ou=groups,{ou}"),
        ldap_member_attribute: "member".into(),
        ldap_guest_rdn: "cn".into(),
        ldap_import: true,
        ..Default::default()
    };
    let system =
        connected_systems::save(store, actor, None, SystemProfile::parse(&input), Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut rows = Vec::new();
    for run in ["first import", "repeat, nothing changed"] {
        let t = Instant::now();
        let s = gatehouse::service::imports::import(store, actor, &system, Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let seconds = t.elapsed().as_secs_f64();
        anyhow::ensure!(s.error.is_none(), "the import failed: {:?}", s.error);
        println!(
            "  import, {run}: {seconds:.1} s; people {:?}, groups {:?}, {} skipped",
            s.people,
            s.groups,
            s.skipped.len()
        );
        rows.push(Row {
            what: format!("LDAP import of {n} people and {groups} groups: {run}"),
            clients: 1,
            count: n + groups,
            seconds,
            p50_ms: None,
            p99_ms: None,
            note: format!(
                "people {} created, {} unchanged; groups {} created, {} unchanged",
                s.people.created, s.people.unchanged, s.groups.created, s.groups.unchanged
            ),
        });
    }
    Ok(rows)
}

/// Users created through `POST /scim/v2/Users` by `wrk` against the release
/// server, each one new, with a token made as on the console.
async fn scim_creation(o: &Options, store: &Store, actor: &Actor) -> anyhow::Result<Vec<Row>> {
    let t = gatehouse::domain::api_token::NewToken {
        name: "Bench".into(),
        purpose: gatehouse::domain::api_token::Purpose::Scim,
        expires_at: None,
    };
    let (token, _) = gatehouse::service::api_tokens::create(store, actor, &t, Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let dir = std::env::temp_dir().join(format!("gatehouse-bench-scim-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("scim.lua");
    let body = format!(
        "{}\nlocal token = {:?}\nrequest = function()\n n = n + 1\n local body = string.format('{{\"userName\":\"scim%d@bench.test\",\"emails\":[{{\"value\":\"scim%d@bench.test\"}}],\"name\":{{\"givenName\":\"Scim\",\"familyName\":\"%d\"}}}}', n, n, n)\n return wrk.format(\"POST\", \"/scim/v2/Users\", {{[\"Authorization\"] = \"Bearer \" .. token, [\"Content-Type\"] = \"application/scim+json\"}}, body)\nend\nfunction response(status, headers, body)\n if status ~= 201 then odd = odd + 1; if sample == \"\" then sample = status .. \" \" .. body end end\nend\n",
        crate::load::PRELUDE,
        token
    );
    let port = crate::load::free_port();
    let load = crate::load::Options {
        database_url: o.database_url.clone(),
        binary: o.binary.clone(),
        seconds: o.seconds,
        clients: o.clients.clone(),
        label: String::new(),
        only: vec![],
    };
    let key: String = (0..64)
        .map(|i| format!("{:02x}", (i * 37 + 11) % 256))
        .collect();
    let mut server = crate::load::start_server(&load, port, &key)?;
    let url = format!("http://127.0.0.1:{port}");
    let mut rows = Vec::new();
    for (run, &clients) in o.clients.iter().enumerate() {
        std::fs::write(
            &script,
            body.replace("RUNBASE", &(run * 50_000_017 + 1).to_string()),
        )?;
        let before = count_users(store).await?;
        let (rps, p50, p99, errors, requests) =
            crate::load::run_wrk(&script, &url, clients, o.seconds)?;
        let made = count_users(store).await? - before;
        println!(
            "  SCIM create, {clients} clients: {rps:.0}/s, p50 {p50:.1} ms, p99 {p99:.1} ms, {made} made, {errors} errors"
        );
        rows.push(Row {
            what: "SCIM: create a user (POST /Users, HTTP)".into(),
            clients,
            count: requests as usize,
            seconds: o.seconds as f64,
            p50_ms: Some(p50),
            p99_ms: Some(p99),
            note: format!("{rps:.0} users/s; {made} made; {errors} errors"),
        });
    }
    let _ = server.kill();
    let _ = server.wait();
    std::fs::remove_dir_all(&dir).ok();
    Ok(rows)
}

async fn count_users(store: &Store) -> anyhow::Result<i64> {
    let mut c = store.read().await?;
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *c)
        .await?)
}

async fn new_system(
    store: &Store,
    actor: &Actor,
    o: &Options,
    ou: &str,
    placeholder: &str,
    name: &str,
) -> anyhow::Result<ConnectedSystemId> {
    let input = SystemInput {
        kind: "ldap".into(),
        display_name: name.into(),
        reconcile: "report".into(),
        secret: o.password.clone(),
        ldap_url: o.ldap_url.clone(),
        ldap_bind_dn: o.bind_dn.clone(),
        ldap_users_base: format!("ou=people,{ou}"),
        ldap_match_attribute: "mail".into(),
        ldap_groups_base: format!("ou=groups,{ou}"),
        ldap_member_attribute: "member".into(),
        ldap_guest_rdn: "cn".into(),
        ldap_placeholder: placeholder.into(),
        ..Default::default()
    };
    let id = connected_systems::save(store, actor, None, SystemProfile::parse(&input), Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(id)
}

/// A Gatehouse group linked to `cn={name}` (the link checks it in the directory).
async fn linked_group(
    store: &Store,
    system: &ConnectedSystemId,
    ou: &str,
    name: &str,
    _placeholder: &str,
) -> anyhow::Result<GroupId> {
    let actor = Actor::system();
    let p = GroupProfile::parse(&format!("{name} {}", system.as_str()), "", "security")
        .map_err(|e| anyhow::anyhow!(e.messages()))?;
    let id = GroupId::new();
    gatehouse::service::directory::create(store, &actor, Named::Group(&id, &p), Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let origin = connected_systems::Origin {
        system: "AadGroup".into(),
        id: id.to_string(),
        role: "member".into(),
        name: p.display_name.clone(),
    };
    connected_systems::link(
        store,
        &actor,
        Some(system),
        &origin,
        &format!("cn={name},ou=groups,{ou}"),
        Utc::now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(id)
}

async fn member_count(o: &Options, group: &str) -> anyhow::Result<usize> {
    let mut l = ldap(o).await?;
    let (entries, _) = l
        .search(group, Scope::Base, "(objectClass=*)", vec!["member"])
        .await?
        .success()?;
    Ok(entries
        .into_iter()
        .next()
        .map(|e| {
            ldap3::SearchEntry::construct(e)
                .attrs
                .remove("member")
                .unwrap_or_default()
                .len()
        })
        .unwrap_or(0))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Pending requests for a package granting a linked group, approved by `c`
/// approvers' sessions at once; each approval timed until the requestor is
/// a member in the directory.
async fn latency(
    o: &Options,
    store: &Store,
    actor: &Actor,
    system: &ConnectedSystemId,
    ou: &str,
    placeholder: &str,
    users: &[UserId],
) -> anyhow::Result<Vec<Row>> {
    let group = linked_group(store, system, ou, "latency", placeholder).await?;
    let catalog = catalogs::create(
        store,
        actor,
        &CatalogProfile {
            display_name: "Bench provisioning".into(),
            description: None,
            state: CatalogState::Published,
            is_externally_visible: false,
        },
        None,
        Utc::now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    catalogs::add_resources(
        store,
        actor,
        &catalog,
        None,
        &[(OriginSystem::AadGroup, group.to_string())],
        Utc::now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let resource = {
        let mut c = store.read().await?;
        store::catalogs::resources(&mut c, &catalog)
            .await?
            .remove(0)
            .id
    };
    // The approver is the last person, the administrator who asks on the
    // requestors' behalf the one before; the requestors are the others.
    let [.., admin_id, approver_id] = users else {
        anyhow::bail!("at least three people are needed");
    };
    let approver_id = approver_id.clone();
    let policy = Policy {
        display_name: "Approved by one person".into(),
        description: None,
        enabled: true,
        allowed_target_scope: AllowedTargetScope::AllMemberUsers,
        specific_allowed_targets: vec![],
        requestor: RequestorSettings {
            enable_targets_to_self_add_access: true,
            enable_targets_to_self_update_access: true,
            enable_targets_to_self_remove_access: true,
            allow_custom_assignment_schedule: false,
            enable_on_behalf_requestors_to_add_access: false,
        },
        approval: ApprovalSettings {
            show_approvers: None,
            is_approval_required_for_add: true,
            is_approval_required_for_update: true,
            is_requestor_justification_required: false,
            stages: vec![ApprovalStage {
                duration_before_automatic_denial_days: 14,
                is_approver_justification_required: false,
                primary_approvers: vec![Approver::SingleUser(approver_id.clone())],
                fallback_primary_approvers: vec![],
                is_escalation_enabled: false,
                duration_before_escalation_days: 0,
                escalation_approvers: vec![],
                fallback_escalation_approvers: vec![],
            }],
        },
        questions: vec![],
        expiration: Expiration::NoExpiration,
        assignment_notifications: true,
        automatic: None,
    };
    let package = packages::create(
        store,
        actor,
        &gatehouse::domain::catalog_role::CatalogScope::All,
        &catalog,
        &packages::Basics {
            name: "Bench provisioning".into(),
            description: None,
        },
        false,
        &[packages::RolePick {
            resource,
            role: "member".into(),
        }],
        &policy,
        Utc::now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (policy_id, approver) = {
        let mut c = store.read().await?;
        let p: String =
            sqlx::query_scalar("SELECT id FROM assignment_policies WHERE access_package_id = $1")
                .bind(package.as_str())
                .fetch_one(&mut *c)
                .await?;
        let a = store::users::get(&mut c, &approver_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no approver"))?;
        let admin = store::users::get(&mut c, admin_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no administrator"))?;
        (p, (a, admin))
    };
    let (approver, admin) = approver;

    // The worker runs beside the approvals, as in the server.
    let worker = tokio::spawn(gatehouse::jobs::provisioning::work(
        store.clone(),
        Clock::System,
    ));
    let mut rows = Vec::new();
    let mut next = 0usize;
    for &clients in &o.clients {
        let n = (clients * o.per_client).min(users.len().saturating_sub(2 + next));
        // Requests made by an administrator on the requestors' behalf, through
        // approval: they wait for the approver.
        let mut pending = Vec::with_capacity(n);
        for i in next..next + n {
            let input = requests::NewAssignment {
                policy: gatehouse::domain::ids::PolicyId::parse(&policy_id),
                users: vec![format!("u{i}@bench.test")],
                groups: vec![],
                new_guest: None,
                period: gatehouse::domain::request::PeriodInput::NONE,
                answers: Default::default(),
                attributes: Default::default(),
                bypass_approval: false,
                justification: None,
            };
            requests::assign(store, &admin, &package, &input, Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
        {
            let mut c = store.read().await?;
            let ids: Vec<(String, String)> = sqlx::query_as(
                "SELECT r.id, u.email FROM assignment_requests r JOIN users u ON u.id = r.target_id \
                 WHERE r.access_package_id = $1 AND r.state = 'pendingApproval'",
            )
            .bind(package.as_str())
            .fetch_all(&mut *c)
            .await?;
            pending.extend(ids);
        }
        next += n;
        let queue = Arc::new(Mutex::new(pending));
        let group_dn = format!("cn=latency,ou=groups,{ou}");
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (queue, store, approver, group_dn) = (
                queue.clone(),
                store.clone(),
                approver.clone(),
                group_dn.clone(),
            );
            let ou = ou.to_string();
            let mut l = ldap(o).await?;
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                loop {
                    let item = queue.lock().expect("queue").pop();
                    let Some((request, email)) = item else {
                        return anyhow::Ok(times);
                    };
                    let i: usize = email
                        .trim_start_matches('u')
                        .split('@')
                        .next()
                        .unwrap_or("0")
                        .parse()?;
                    let filter = format!("(member={})", ldap_escape(person_dn(&ou, i)));
                    let t = Instant::now();
                    requests::decide(
                        &store,
                        &approver,
                        &RequestId::from_stored(request),
                        true,
                        None,
                        Utc::now(),
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                    loop {
                        let (found, _) = l
                            .search(&group_dn, Scope::Base, &filter, vec!["1.1"])
                            .await?
                            .success()?;
                        if !found.is_empty() {
                            break;
                        }
                        if t.elapsed() > Duration::from_secs(60) {
                            anyhow::bail!("{email} never reached the directory");
                        }
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await??);
        }
        let seconds = started.elapsed().as_secs_f64();
        all.sort_by(|a, b| a.total_cmp(b));
        rows.push(Row {
            what: "approve and provision (decision to membership in slapd)".into(),
            clients,
            count: all.len(),
            seconds,
            p50_ms: Some(percentile(&all, 0.5)),
            p99_ms: Some(percentile(&all, 0.99)),
            note: format!("{:.0} approvals/s", all.len() as f64 / seconds),
        });
        println!(
            "  approve and provision, {clients} clients: {} in {seconds:.1} s, p50 {:.1} ms, p99 {:.1} ms",
            all.len(),
            percentile(&all, 0.5),
            percentile(&all, 0.99)
        );
    }
    worker.abort();
    Ok(rows)
}
