//! Provisioning into connected systems: a real OpenLDAP server (slapd) and
//! a real SCIM 2.0 server (`scim2-server`), both started by
//! `tests/run-all.sh`. Each test works in a subtree (LDAP) or under names
//! (SCIM) of its own, so tests run side by side on one server.

use chrono::Duration;
use gatehouse::clock::Clock;
use gatehouse::domain::catalog::OriginSystem;
use gatehouse::domain::ids::AccessPackageId;
use gatehouse::domain::policy::Expiration;
use gatehouse::routes;
use ldap3::{Ldap, LdapConnAsync, Scope, SearchEntry};

use crate::both;
use crate::correctness::{assign_directly, demo, package_role, remove_assignment};
use crate::helpers::*;

const EMPLOYEES: &str = "Marketing resources for employees";
const INTERNAL: &str = "SG-Marketing-Department-InternalUsers";
const ERIC: &str = "eric.employee@gatehouse.demo";
const EMMA: &str = "emma.employee@gatehouse.demo";

/// An attribute and its values, as `ldap3` adds them.
type Attribute = (String, std::collections::HashSet<String>);

async fn ldap() -> Ldap {
    let (conn, mut ldap) = LdapConnAsync::new(&required_env("GATEHOUSE_TEST_LDAP_URL"))
        .await
        .unwrap();
    ldap3::drive!(conn);
    ldap.simple_bind(
        &required_env("GATEHOUSE_TEST_LDAP_BIND_DN"),
        &required_env("GATEHOUSE_TEST_LDAP_PASSWORD"),
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap
}

/// A subtree of its own: people (Eric), groups (one groupOfNames holding
/// only the placeholder) and a place for guests. Returns the subtree's DN.
async fn ldap_tree() -> String {
    let base = required_env("GATEHOUSE_TEST_LDAP_BASE");
    let ou = format!(
        "ou=t{},{base}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    );
    let mut l = ldap().await;
    let set = |v: &[&str]| {
        v.iter()
            .map(|s| s.to_string())
            .collect::<std::collections::HashSet<String>>()
    };
    let entries: Vec<(String, Vec<Attribute>)> = vec![
        (
            ou.clone(),
            vec![("objectClass".into(), set(&["organizationalUnit"]))],
        ),
        (
            format!("ou=people,{ou}"),
            vec![("objectClass".into(), set(&["organizationalUnit"]))],
        ),
        (
            format!("ou=groups,{ou}"),
            vec![("objectClass".into(), set(&["organizationalUnit"]))],
        ),
        (
            format!("ou=guests,{ou}"),
            vec![("objectClass".into(), set(&["organizationalUnit"]))],
        ),
        (
            format!("cn=nobody,{ou}"),
            vec![
                ("objectClass".into(), set(&["organizationalRole"])),
                ("cn".into(), set(&["nobody"])),
            ],
        ),
        (
            format!("uid=eric,ou=people,{ou}"),
            vec![
                ("objectClass".into(), set(&["inetOrgPerson"])),
                ("cn".into(), set(&["Eric Employee"])),
                ("sn".into(), set(&["Employee"])),
                ("uid".into(), set(&["eric"])),
                ("mail".into(), set(&[ERIC])),
            ],
        ),
        (
            format!("cn=marketing,ou=groups,{ou}"),
            vec![
                ("objectClass".into(), set(&["groupOfNames"])),
                ("cn".into(), set(&["marketing"])),
                ("member".into(), set(&[&format!("cn=nobody,{ou}")])),
            ],
        ),
    ];
    for (dn, attrs) in entries {
        l.add(&dn, attrs).await.unwrap().success().unwrap();
    }
    ou
}

async fn ldap_members(group: &str) -> Vec<String> {
    let mut l = ldap().await;
    let (entries, _) = l
        .search(group, Scope::Base, "(objectClass=*)", vec!["member"])
        .await
        .unwrap()
        .success()
        .unwrap();
    let mut m = SearchEntry::construct(entries.into_iter().next().unwrap())
        .attrs
        .remove("member")
        .unwrap_or_default();
    m.sort();
    m
}

/// Creates a connected system through the console; returns its page's path.
async fn create_system(app: &TestApp, admin: &Browser, fields: &[(&str, &str)]) -> String {
    let form = admin
        .get(&app.url(routes::ADMIN_SYSTEMS.new.as_str()))
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    let mut all = vec![("csrf_token", csrf.as_str()), ("reconcile", "report")];
    all.extend_from_slice(fields);
    let r = admin
        .post(&app.url(routes::ADMIN_SYSTEMS.list.as_str()), &all)
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    r.location.clone().unwrap()
}

fn ldap_fields(ou: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "ldap".into()),
        ("display_name", format!("Directory {ou}")),
        ("secret", required_env("GATEHOUSE_TEST_LDAP_PASSWORD")),
        ("ldap_url", required_env("GATEHOUSE_TEST_LDAP_URL")),
        ("ldap_bind_dn", required_env("GATEHOUSE_TEST_LDAP_BIND_DN")),
        ("ldap_users_base", format!("ou=people,{ou}")),
        ("ldap_match_attribute", "mail".into()),
        ("ldap_groups_base", format!("ou=groups,{ou}")),
        ("ldap_member_attribute", "member".into()),
        ("ldap_guest_rdn", "cn".into()),
        ("ldap_placeholder", format!("cn=nobody,{ou}")),
    ]
}

/// Adds a person through Admin › Users (`person`: the form's fields) and
/// assigns them the package under `policy`.
async fn add_and_assign(
    app: &TestApp,
    admin: &Browser,
    person: &[(&str, &str)],
    package: &AccessPackageId,
    policy: &str,
) {
    let form = admin.get(&app.url(routes::ADMIN_USERS.new)).await;
    let csrf = form.csrf();
    let mut fields = vec![("csrf_token", csrf.as_str())];
    fields.extend_from_slice(person);
    let r = admin
        .post(&app.url(routes::ADMIN_USERS.list), &fields)
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let email = person.iter().find(|(k, _)| *k == "email").unwrap().1;
    let r = assign_directly(app, admin, package, policy, &[email], &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Saves the LDAP system of subtree `ou` on its page, its secret kept, with
/// `extra` fields and reconciliation set to `reconcile`.
async fn save_ldap_system(
    app: &TestApp,
    admin: &Browser,
    system: &str,
    ou: &str,
    extra: &[(&'static str, String)],
    reconcile: &str,
) {
    let page = admin.get(&app.url(system)).await;
    let mut fields = ldap_fields(ou);
    fields.retain(|(k, _)| *k != "secret");
    fields.extend_from_slice(extra);
    fields.push(("csrf_token", page.csrf()));
    fields.push(("reconcile", reconcile.into()));
    let r = admin.post(&app.url(system), &borrowed(&fields)).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Links the demo group to the target's group by typing its id (a DN, or a SCIM id).
async fn link_group(
    app: &TestApp,
    admin: &Browser,
    group: &str,
    system_page: &str,
    external: &str,
) -> Page {
    let page = admin
        .get(&app.url(routes::ADMIN_GROUPS.item.id(group)))
        .await;
    let system = system_page.rsplit('/').next().unwrap().to_string();
    let r = admin
        .post(
            &app.url(routes::ADMIN_RESOURCE_LINK.ids("groups", group)),
            &[
                ("csrf_token", &page.csrf()),
                ("system", &system),
                ("typed", external),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    admin
        .get(&app.url(routes::ADMIN_GROUPS.item.id(group)))
        .await
}

async fn provision(app: &TestApp, clock: &Clock) -> usize {
    gatehouse::jobs::provisioning::run_once(&app.store, clock)
        .await
        .unwrap()
}

/// A subtree of its own with an LDAP system whose marketing group the demo's
/// internal users group is linked to, and Eric assigned the employees'
/// package (not yet provisioned): (subtree, group DN, system page).
async fn eric_assigned_through_ldap(app: &TestApp, admin: &Browser) -> (String, String, String) {
    let ou = ldap_tree().await;
    let group_dn = format!("cn=marketing,ou=groups,{ou}");
    let system = create_system(app, admin, &borrowed(&ldap_fields(&ou))).await;
    let internal = group_id(app, INTERNAL).await;
    link_group(app, admin, &internal, &system, &group_dn).await;
    assign_employees(app, admin, ERIC).await;
    (ou, group_dn, system)
}

/// Assigns `who` the employees' package directly, by its initial policy.
async fn assign_employees(app: &TestApp, admin: &Browser, who: &str) {
    let employees = package_named(app, EMPLOYEES).await;
    let policy = policy_named(app, &employees, "Initial policy").await;
    let r = assign_directly(app, admin, &employees, &policy, &[who], &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Presses "Reconcile now" on the system's page and asserts it was asked
/// for; the job that runs it is `run_asked`.
async fn ask_to_reconcile(app: &TestApp, admin: &Browser, system: &str) {
    let page = admin.get(&app.url(system)).await;
    let r = admin
        .post(
            &app.url(format!("{system}/reconcile")),
            &[("csrf_token", &page.csrf())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Runs what administrators asked for ("Reconcile now", "Sync now"), as
/// the server's worker does; returns how many runs there were.
async fn run_asked(app: &TestApp, clock: &Clock) -> usize {
    gatehouse::jobs::system_runs::run_once(&app.store, clock.now())
        .await
        .unwrap()
}

/// Presses "Reconcile now" and runs it.
async fn reconcile_now(app: &TestApp, admin: &Browser, system: &str, clock: &Clock) {
    ask_to_reconcile(app, admin, system).await;
    assert_eq!(run_asked(app, clock).await, 1);
}

/// How many operations wait for the system, as its page says.
async fn waiting(app: &TestApp, admin: &Browser, system: &str) -> String {
    let page = admin.get(&app.url(system)).await;
    let label = "<dt>Operations waiting</dt><dd>";
    let at = page.body.find(label).expect("the count") + label.len();
    page.body[at..].split('<').next().unwrap().to_string()
}

async fn assignments_tab(app: &TestApp, admin: &Browser) -> Page {
    let employees = package_named(app, EMPLOYEES).await;
    admin
        .get(&app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&employees)))
        .await
}

both!(
    ldap_delivery_and_removal_reach_the_directory,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let ou = ldap_tree().await;
        let group_dn = format!("cn=marketing,ou=groups,{ou}");

        // Bad input changes nothing and is explained beside the field.
        let form = admin
            .get(&app.url(routes::ADMIN_SYSTEMS.new.as_str()))
            .await;
        let mut bad = ldap_fields(&ou);
        bad.retain(|(k, _)| *k != "ldap_url" && *k != "ldap_groups_base");
        bad.push(("ldap_url", "http://ldap.example.com".into()));
        bad.push(("ldap_groups_base", "groups".into()));
        bad.push(("csrf_token", form.csrf()));
        bad.push(("reconcile", "report".into()));
        let r = admin
            .post(
                &app.url(routes::ADMIN_SYSTEMS.list.as_str()),
                &borrowed(&bad),
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(
            r.has("The URL must start with ldap:// or ldaps://."),
            "{}",
            r.body
        );
        assert!(r.has("attribute=value pairs"), "{}", r.body);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM connected_systems").await,
            0
        );

        let system = create_system(&app, &admin, &borrowed(&ldap_fields(&ou))).await;
        let page = admin.get(&app.url(&system)).await;
        assert!(
            !page.has(&required_env("GATEHOUSE_TEST_LDAP_PASSWORD")),
            "the password is never shown"
        );
        let csrf = page.csrf();
        let r = admin
            .post(&app.url(format!("{system}/test")), &[("csrf_token", &csrf)])
            .await;
        assert_eq!(r.status, 303);
        let page = admin.get(&app.url(&system)).await;
        assert!(
            page.has(&format!(
                "Connection works: bound as {}; 1 groups under ou=groups,{ou}",
                required_env("GATEHOUSE_TEST_LDAP_BIND_DN")
            )),
            "{}",
            page.body
        );

        let internal = group_id(&app, INTERNAL).await;
        // A group that is not a DN is refused beside the field, as typed.
        let group_page = app.url(routes::ADMIN_GROUPS.item.id(&internal));
        let page = admin.get(&group_page).await;
        let r = admin
            .post(
                &app.url(routes::ADMIN_RESOURCE_LINK.ids("groups", &internal)),
                &[
                    ("csrf_token", &page.csrf()),
                    ("system", system.rsplit('/').next().unwrap()),
                    ("typed", "marketing team"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let refused = admin.get(&group_page).await;
        assert!(
            refused.has(r#"name="typed" value="marketing team""#)
                && refused.has(
                    r#"aria-describedby="typed-hint typed-error" aria-invalid="true"><small class="field-error" id="typed-error">"#
                )
                && refused.has("must be attribute=value pairs"),
            "{}",
            refused.body
        );
        assert!(
            !admin.get(&group_page).await.has("marketing team"),
            "shown once"
        );
        let linked = link_group(&app, &admin, &internal, &system, &group_dn).await;
        assert!(
            linked.has("marketing") && linked.has(&group_dn),
            "{}",
            linked.body
        );

        let employees = package_named(&app, EMPLOYEES).await;
        let policy = policy_named(&app, &employees, "Initial policy").await;
        let r = assign_directly(&app, &admin, &employees, &policy, &[ERIC], &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        // Granted in Gatehouse, not yet in the directory: Delivering.
        assert!(assignments_tab(&app, &admin).await.has("Delivering"));
        assert_eq!(
            ldap_members(&group_dn).await,
            vec![format!("cn=nobody,{ou}")]
        );

        assert_eq!(provision(&app, &clock).await, 1);
        assert_eq!(
            ldap_members(&group_dn).await,
            vec![format!("uid=eric,ou=people,{ou}")],
            "Eric in, the placeholder out"
        );
        let tab = assignments_tab(&app, &admin).await;
        assert!(
            tab.has("Delivered") && !tab.has("Delivering"),
            "{}",
            tab.body
        );
        // Nothing more to do: applying again changes nothing.
        assert_eq!(provision(&app, &clock).await, 0);

        // Removal takes the membership back; the placeholder keeps the group valid.
        remove_assignment(&app, &admin, &employees, ERIC).await;
        assert_eq!(provision(&app, &clock).await, 1);
        assert_eq!(
            ldap_members(&group_dn).await,
            vec![format!("cn=nobody,{ou}")]
        );

        // A system with a linked resource cannot be deleted.
        let page = admin.get(&app.url(&system)).await;
        let r = admin
            .post(
                &app.url(format!("{system}/delete")),
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert_eq!(r.status, 303);
        assert!(
            admin
                .get(&app.url(&system))
                .await
                .has("cannot be deleted while 1 resource is linked")
        );

        // Unlinked from the group's page (through another resource's address,
        // nothing happens); then the system can go.
        let group_page = app.url(routes::ADMIN_GROUPS.item.id(&internal));
        let page = admin.get(&group_page).await;
        let marker = format!("{}/", routes::ADMIN_RESOURCE_LINK.ids("groups", &internal));
        let at = page.body.find(&marker).expect("an Unlink button");
        let end = at + page.body[at..].find('"').unwrap();
        let unlink = page.body[at..end].to_string();
        let sales = group_id(&app, "Marketing Team").await;
        let elsewhere = unlink.replace(&internal, &sales);
        let csrf = [("csrf_token", page.csrf())];
        let csrf = csrf.each_ref().map(|(k, v)| (*k, v.as_str()));
        assert_eq!(admin.post(&app.url(&elsewhere), &csrf).await.status, 404);
        assert!(admin.get(&group_page).await.has(&group_dn), "still linked");
        assert_eq!(admin.post(&app.url(&unlink), &csrf).await.status, 303);
        assert!(!admin.get(&group_page).await.has(&group_dn), "unlinked");
        let r = admin
            .post(&app.url(format!("{system}/delete")), &csrf)
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(admin.get(&app.url(&system)).await.status, 404);
        let _ = clock;
    }
);

both!(
    an_operation_another_instance_claimed_waits_for_its_claim,
    |backend| async move {
        use gatehouse::domain::provisioning::Outcome;
        use gatehouse::store::provisioning as ops;
        let (app, admin, clock) = demo(backend).await;
        let (ou, group_dn, _) = eric_assigned_through_ldap(&app, &admin).await;

        // Another instance claims Eric's operation, then stops (a crash).
        let lease = clock.now() + Duration::seconds(120);
        let mut tx = app.store.begin().await.unwrap();
        let theirs = ops::claim(&mut tx, clock.now(), lease, 200).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(theirs.len(), 1);
        // This instance leaves it alone while the claim holds.
        assert_eq!(provision(&app, &clock).await, 0);
        assert_eq!(
            ldap_members(&group_dn).await,
            vec![format!("cn=nobody,{ou}")]
        );
        assert!(assignments_tab(&app, &admin).await.has("Delivering"));
        // Once it has run out, another instance takes the operation over
        // and is at work on it when the first comes back with a late
        // answer: that answer changes nothing.
        clock.advance(Duration::seconds(121));
        let lease2 = clock.now() + Duration::seconds(120);
        let mut tx = app.store.begin().await.unwrap();
        let second = ops::claim(&mut tx, clock.now(), lease2, 200).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(second.len(), 1);
        let mut tx = app.store.begin().await.unwrap();
        ops::finish(
            &mut tx,
            theirs[0].seq,
            lease,
            &Outcome::Failed("a late answer".into()),
            clock.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let untouched = format!(
            "SELECT COUNT(*) FROM provisioning_operations WHERE seq = {} AND state = 'pending' \
             AND last_error IS NULL AND attempts = 0",
            theirs[0].seq
        );
        assert_eq!(count(&app, &untouched).await, 1);
        // The second stops too; once its claim has run out, this instance
        // applies the operation.
        clock.advance(Duration::seconds(121));
        assert_eq!(provision(&app, &clock).await, 1);
        assert_eq!(
            ldap_members(&group_dn).await,
            vec![format!("uid=eric,ou=people,{ou}")]
        );
        let tab = assignments_tab(&app, &admin).await;
        assert!(!tab.has("a late answer"), "{}", tab.body);
        assert!(
            tab.has("Delivered") && !tab.has("Delivering"),
            "{}",
            tab.body
        );
    }
);

both!(
    a_reconciliation_leaves_whom_the_worker_is_adding,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let (ou, group_dn, system) = eric_assigned_through_ldap(&app, &admin).await;
        save_ldap_system(&app, &admin, &system, &ou, &[], "addAndRemove").await;
        // The worker has added Eric to the group and not yet recorded it (as
        // between its change and its save): his operation still waits.
        let eric_dn = format!("uid=eric,ou=people,{ou}");
        let added = [eric_dn.clone()].into_iter().collect();
        let mut l = ldap().await;
        l.modify(
            &group_dn,
            vec![ldap3::Mod::Add("member".to_string(), added)],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
        reconcile_now(&app, &admin, &system, &clock).await;
        // Not taken for someone Gatehouse did not grant: he stays, and the
        // worker's save finds him there.
        assert!(ldap_members(&group_dn).await.contains(&eric_dn));
        provision(&app, &clock).await;
        assert!(ldap_members(&group_dn).await.contains(&eric_dn));
        let tab = assignments_tab(&app, &admin).await;
        assert!(tab.has("Delivered"), "{}", tab.body);
    }
);

both!(
    drift_is_found_and_repaired_when_chosen,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let (ou, group_dn, system) = eric_assigned_through_ldap(&app, &admin).await;
        provision(&app, &clock).await;

        // Someone edits the directory by hand: Eric out, an intruder in.
        let eric_dn = format!("uid=eric,ou=people,{ou}");
        let intruder = format!("cn=intruder,{ou}");
        let mut l = ldap().await;
        let one = |v: &str| {
            [v.to_string()]
                .into_iter()
                .collect::<std::collections::HashSet<String>>()
        };
        l.modify(
            &group_dn,
            vec![
                ldap3::Mod::Add("member".to_string(), one(&intruder)),
                ldap3::Mod::Delete("member".to_string(), one(&eric_dn)),
            ],
        )
        .await
        .unwrap()
        .success()
        .unwrap();

        // "Reconcile now" asks for a run in the background: the page says
        // so, and shows nothing of it until the job has run.
        ask_to_reconcile(&app, &admin, &system).await;
        let page = admin.get(&app.url(&system)).await;
        assert!(
            page.has("Reconciliation will run in the background in a moment."),
            "{}",
            page.body
        );
        assert!(page.has("Reconciliation asked for"), "{}", page.body);
        assert!(!page.has("differ from Gatehouse"), "{}", page.body);
        // Report only: the drift is shown, nothing changes.
        assert_eq!(run_asked(&app, &clock).await, 1);
        assert_eq!(run_asked(&app, &clock).await, 0, "run once");
        // A run whose instance stopped is taken again once its hold ends
        // (answering the ask made meanwhile too); the stopped run ending
        // late leaves nothing to run.
        use gatehouse::domain::connected_system::SystemRun;
        use gatehouse::service::connected_systems as systems;
        ask_to_reconcile(&app, &admin, &system).await;
        let (now, hold) = (clock.now(), clock.now() + Duration::minutes(10));
        let taken = systems::take_requested(&app.store, SystemRun::Reconcile, now, hold)
            .await
            .unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(run_asked(&app, &clock).await, 0, "held by the stopped run");
        ask_to_reconcile(&app, &admin, &system).await;
        clock.advance(Duration::minutes(11));
        assert_eq!(run_asked(&app, &clock).await, 1, "taken again");
        systems::finish_requested(&app.store, SystemRun::Reconcile, &taken[0])
            .await
            .unwrap();
        assert_eq!(run_asked(&app, &clock).await, 0, "no ask left");
        let page = admin.get(&app.url(&system)).await;
        assert!(!page.has("Reconciliation asked for"), "{}", page.body);
        assert!(
            page.has("1 linked group: 1 differ from Gatehouse"),
            "{}",
            page.body
        );
        // This directory does not import: "Sync now" is not offered, and
        // asking all the same is refused, with nothing asked of the jobs.
        assert!(!page.has(">Sync now</button>"));
        let refused = admin
            .post(
                &app.url(format!("{system}/import")),
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert_eq!(refused.status, 303, "{}", refused.body);
        let page = admin.get(&app.url(&system)).await;
        assert!(
            page.has("Nothing was imported: the import is turned off for this system."),
            "{}",
            page.body
        );
        assert_eq!(run_asked(&app, &clock).await, 0);
        assert!(
            page.has(&format!("missing from the target: {eric_dn}")),
            "{}",
            page.body
        );
        assert!(
            page.has(&format!("not granted by Gatehouse: {intruder}")),
            "{}",
            page.body
        );
        assert_eq!(ldap_members(&group_dn).await, vec![intruder.clone()]);

        // Add and remove: both are queued for the worker with the audit
        // entry, and the worker puts the directory in line.
        save_ldap_system(&app, &admin, &system, &ou, &[], "addAndRemove").await;
        reconcile_now(&app, &admin, &system, &clock).await;
        assert_eq!(ldap_members(&group_dn).await, vec![intruder.clone()]);
        assert_eq!(waiting(&app, &admin, &system).await, "2");
        let audit = admin
            .get(&app.url(format!("{}?q=Reconcile", routes::ADMIN_AUDIT)))
            .await;
        assert!(audit.has("Members to remove"), "{}", audit.body);
        assert!(audit.has(&intruder), "{}", audit.body);
        provision(&app, &clock).await;
        assert_eq!(ldap_members(&group_dn).await, vec![eric_dn]);
        assert_eq!(waiting(&app, &admin, &system).await, "0");
    }
);

/// Eric provisioned through an LDAP system set to add and remove; Emma,
/// put in the directory and in its group by hand (nobody grants it to her
/// yet), and her removal queued by "Reconcile now": (subtree, group DN,
/// system page, Emma's DN).
async fn emma_removal_queued(
    app: &TestApp,
    admin: &Browser,
    clock: &Clock,
) -> (String, String, String, String) {
    let (ou, group_dn, system) = eric_assigned_through_ldap(app, admin).await;
    provision(app, clock).await;
    save_ldap_system(app, admin, &system, &ou, &[], "addAndRemove").await;
    let emma_dn = emma_in_the_group_by_hand(&ou, &group_dn).await;
    reconcile_now(app, admin, &system, clock).await;
    (ou, group_dn, system, emma_dn)
}

/// Emma, put in the directory and in its group `group_dn` by hand: her DN.
async fn emma_in_the_group_by_hand(ou: &str, group_dn: &str) -> String {
    let emma_dn = format!("uid=emma,ou=people,{ou}");
    let set = |v: &str| [v.to_string()].into_iter().collect();
    let mut l = ldap().await;
    let emma: Vec<Attribute> = vec![
        ("objectClass".into(), set("inetOrgPerson")),
        ("cn".into(), set("Emma Employee")),
        ("sn".into(), set("Employee")),
        ("uid".into(), set("emma")),
        ("mail".into(), set(EMMA)),
    ];
    l.add(&emma_dn, emma).await.unwrap().success().unwrap();
    l.modify(
        group_dn,
        vec![ldap3::Mod::Add("member".into(), set(&emma_dn))],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    emma_dn
}

both!(
    a_queued_removal_leaves_whom_gatehouse_grants_by_the_time_it_runs,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        // Emma is in the directory, and someone puts her in the group by
        // hand before Gatehouse grants it to her.
        let (_, group_dn, system, emma_dn) = emma_removal_queued(&app, &admin, &clock).await;
        // Her removal is queued; then she is granted the group, and the
        // worker adds her (the removal waiting while she is not yet known
        // in the directory).
        assign_employees(&app, &admin, EMMA).await;
        provision(&app, &clock).await;
        assert!(ldap_members(&group_dn).await.contains(&emma_dn));
        // When the removal's turn comes, Gatehouse grants her the group: it
        // is dropped, and she stays.
        clock.advance(Duration::minutes(2));
        provision(&app, &clock).await;
        assert!(ldap_members(&group_dn).await.contains(&emma_dn));
        assert_eq!(waiting(&app, &admin, &system).await, "0");
    }
);

both!(
    an_addition_waits_while_another_instance_applies_a_removal_of_its_person,
    |backend| async move {
        use gatehouse::domain::provisioning::Outcome;
        use gatehouse::store::provisioning as ops;
        let (app, admin, clock) = demo(backend).await;
        // Emma is put in the group by hand; the reconciliation queues her
        // removal, and another instance claims it (nobody grants her the
        // group yet) and is at work on it.
        let (_, group_dn, _, emma_dn) = emma_removal_queued(&app, &admin, &clock).await;
        let lease = clock.now() + Duration::seconds(120);
        let mut tx = app.store.begin().await.unwrap();
        let theirs = ops::claim(&mut tx, clock.now(), lease, 200).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(theirs.len(), 1, "her removal");

        // She is granted the group now: her addition waits for the removal,
        // which would otherwise take her out after it found her there.
        assign_employees(&app, &admin, EMMA).await;
        assert_eq!(provision(&app, &clock).await, 0, "the addition waits");
        assert!(assignments_tab(&app, &admin).await.has("Delivering"));

        // The other instance takes her out and records it; then her
        // addition puts her back, and her access is delivered.
        let out = [emma_dn.clone()].into_iter().collect();
        ldap()
            .await
            .modify(&group_dn, vec![ldap3::Mod::Delete("member".into(), out)])
            .await
            .unwrap()
            .success()
            .unwrap();
        let mut tx = app.store.begin().await.unwrap();
        ops::finish(&mut tx, theirs[0].seq, lease, &Outcome::Done, clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(provision(&app, &clock).await, 1);
        assert!(ldap_members(&group_dn).await.contains(&emma_dn));
        let tab = assignments_tab(&app, &admin).await;
        assert!(!tab.has("Delivering"), "{}", tab.body);
    }
);

/// An administrator removes Eric's assignment while a reconciliation finds
/// him missing from the directory group, on PostgreSQL: the removal is
/// first, and waits for the audit log the test holds, having taken him out
/// of the ledger; the reconciliation read the ledger before that. It does
/// not put him back.
#[tokio::test]
async fn a_reconciliation_never_puts_back_whom_a_removal_takes_out_at_that_moment() {
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let (ou, group_dn, system) = eric_assigned_through_ldap(&app, &admin).await;
    save_ldap_system(&app, &admin, &system, &ou, &[], "addMissing").await;
    provision(&app, &clock).await;
    let eric_dn = format!("uid=eric,ou=people,{ou}");
    assert_eq!(ldap_members(&group_dn).await, vec![eric_dn.clone()]);
    // Someone takes Eric out of the group by hand (leaving the placeholder,
    // since a group needs a member): he is missing.
    let one = |dn: String| [dn].into_iter().collect();
    let changes = vec![
        ldap3::Mod::Add("member".into(), one(format!("cn=nobody,{ou}"))),
        ldap3::Mod::Delete("member".into(), one(eric_dn.clone())),
    ];
    let mut l = ldap().await;
    l.modify(&group_dn, changes)
        .await
        .unwrap()
        .success()
        .unwrap();

    let employees = package_named(&app, EMPLOYEES).await;
    let tab = admin
        .get(&app.url(format!(
            "{}?state=active",
            routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&employees)
        )))
        .await;
    let remove = app.url(form_action(
        &tab,
        ERIC,
        routes::ADMIN_PACKAGE_ASSIGNMENT_REMOVE,
    ));
    let csrf = [("csrf_token", tab.csrf())];
    let form = csrf.each_ref().map(|(k, v)| (*k, v.as_str()));
    // "Reconcile now" was pressed; the job runs it as the removal waits.
    ask_to_reconcile(&app, &admin, &system).await;
    let (removed, reconciled) =
        crate::races::in_turn(&app, admin.post(&remove, &form), run_asked(&app, &clock)).await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(reconciled, 1, "the reconciliation ran");
    // Until nothing is left: an operation waits for the one before it.
    while provision(&app, &clock).await > 0 {}
    assert!(
        !ldap_members(&group_dn).await.contains(&eric_dn),
        "put back after his access ended"
    );
}

/// A SCIM Group of its own in the test server; returns its id.
async fn scim_group(name: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}/Groups", required_env("GATEHOUSE_TEST_SCIM_URL")))
        .bearer_auth(required_env("GATEHOUSE_TEST_SCIM_TOKEN"))
        .header("content-type", "application/scim+json")
        .body(serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "members": []}).to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn scim_get(path: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{}{path}", required_env("GATEHOUSE_TEST_SCIM_URL")))
        .bearer_auth(required_env("GATEHOUSE_TEST_SCIM_TOKEN"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

both!(
    scim_delivery_waits_out_an_outage_and_applies_once,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let name = format!("marketing-{}", uuid::Uuid::new_v4().simple());
        let group = scim_group(&name).await;
        let url = required_env("GATEHOUSE_TEST_SCIM_URL");
        let scim = |base: &str| {
            vec![
                ("kind", "scim".to_string()),
                ("display_name", format!("App {name}")),
                ("scim_base_url", base.to_string()),
                ("scim_match_by", "userName".into()),
                ("scim_create_users", "on".into()),
            ]
        };
        let mut fields = scim(&url);
        fields.push(("secret", required_env("GATEHOUSE_TEST_SCIM_TOKEN")));
        let system = create_system(&app, &admin, &borrowed(&fields)).await;
        let internal = group_id(&app, INTERNAL).await;
        let linked = link_group(&app, &admin, &internal, &system, &group).await;
        assert!(linked.has(&name), "{}", linked.body);

        // The application goes down (its address answers nothing).
        let page = admin.get(&app.url(&system)).await;
        let mut down = scim("http://127.0.0.1:9");
        down.push(("csrf_token", page.csrf()));
        down.push(("reconcile", "report".into()));
        assert_eq!(
            admin.post(&app.url(&system), &borrowed(&down)).await.status,
            303
        );

        let employees = package_named(&app, EMPLOYEES).await;
        let policy = policy_named(&app, &employees, "Initial policy").await;
        assign_directly(&app, &admin, &employees, &policy, &[ERIC], &[]).await;
        provision(&app, &clock).await;
        let page = admin.get(&app.url(&system)).await;
        assert!(
            page.has("Operations waiting</dt><dd>1"),
            "the operation waits: {}",
            page.body
        );
        assert!(
            page.has("Connection refused") || page.has("connect"),
            "{}",
            page.body
        );
        assert!(assignments_tab(&app, &admin).await.has("Delivering"));
        // Not due again before its backoff.
        assert_eq!(provision(&app, &clock).await, 0);

        // Back up: after the backoff the operation is applied, once.
        let mut up = scim(&url);
        up.push(("csrf_token", page.csrf()));
        up.push(("reconcile", "report".into()));
        assert_eq!(
            admin.post(&app.url(&system), &borrowed(&up)).await.status,
            303
        );
        clock.advance(Duration::minutes(2));
        assert_eq!(provision(&app, &clock).await, 1);
        assert_eq!(provision(&app, &clock).await, 0);
        let found = scim_get(&format!(
            "/Users?filter=userName%20eq%20%22{}%22",
            urlencode(ERIC)
        ))
        .await;
        assert_eq!(found["totalResults"], 1, "Eric was created once: {found}");
        let eric = found["Resources"][0]["id"].as_str().unwrap().to_string();
        let g = scim_get(&format!("/Groups/{group}")).await;
        let members: Vec<&str> = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap())
            .collect();
        assert_eq!(members, vec![eric.as_str()]);
        assert!(assignments_tab(&app, &admin).await.has("Delivered"));

        remove_assignment(&app, &admin, &employees, ERIC).await;
        provision(&app, &clock).await;
        let g = scim_get(&format!("/Groups/{group}")).await;
        assert!(g["members"].as_array().is_none_or(|m| m.is_empty()), "{g}");
    }
);

/// A groupOfNames of its own under the subtree's groups, holding only the
/// placeholder; returns its DN.
async fn ldap_group(ou: &str, cn: &str) -> String {
    let dn = format!("cn={cn},ou=groups,{ou}");
    let set = |v: &str| {
        [v.to_string()]
            .into_iter()
            .collect::<std::collections::HashSet<String>>()
    };
    ldap()
        .await
        .add(
            &dn,
            vec![
                ("objectClass".to_string(), set("groupOfNames")),
                ("cn".to_string(), set(cn)),
                ("member".to_string(), set(&format!("cn=nobody,{ou}"))),
            ],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    dn
}

async fn catalog_named(app: &TestApp, name: &str) -> String {
    let mut c = app.store.read().await.unwrap();
    sqlx::query_scalar("SELECT id FROM catalogs WHERE display_name = $1")
        .bind(name)
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

/// Runs the periodic jobs (expiry among them), then the provisioning worker.
async fn jobs_then_provision(app: &TestApp, clock: &Clock) -> usize {
    run_jobs(app, clock).await;
    provision(app, clock).await
}

both!(
    linked_roles_follow_the_ledger_into_the_directory,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let ou = ldap_tree().await;
        let placeholder = vec![format!("cn=nobody,{ou}")];
        let eric_dn = format!("uid=eric,ou=people,{ou}");
        let marketing_dn = format!("cn=marketing,ou=groups,{ou}");
        let team_dn = ldap_group(&ou, "team").await;
        let owners_dn = ldap_group(&ou, "owners").await;
        let system = create_system(&app, &admin, &borrowed(&ldap_fields(&ou))).await;
        let system_id = system.rsplit('/').next().unwrap().to_string();

        // A catalog's "+ Add resources" finds the directory's groups by name
        // (an injection-shaped search finds nothing) and adds one, linked.
        let catalog = catalog_named(&app, "Marketing").await;
        let add = app.url(routes::ADMIN_CATALOG_RESOURCES_ADD.id(&catalog));
        let found = admin.get(&format!("{add}?system={system_id}&sq=tea")).await;
        assert!(found.has(&team_dn), "{}", found.body);
        let injected = admin
            .get(&format!(
                "{add}?system={system_id}&sq={}",
                urlencode("*)(cn=*")
            ))
            .await;
        assert!(
            injected.has("No group&#x27;s name contains")
                || injected.has("No group's name contains"),
            "{}",
            injected.body
        );
        let r = admin
            .post(
                &app.url(routes::ADMIN_CATALOG_RESOURCES_FROM_SYSTEM.id(&catalog)),
                &[
                    ("csrf_token", &found.csrf()),
                    ("system", &system_id),
                    ("external", &team_dn),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let tab = admin
            .get(&app.url(routes::ADMIN_CATALOG_RESOURCES.id(&catalog)))
            .await;
        assert!(
            tab.has(&format!("Directory {ou}</a>: team")) && tab.has("Up to date"),
            "the resource list shows the link and its health: {}",
            tab.body
        );
        let team = group_id(&app, "team").await;
        let team_page = admin
            .get(&app.url(routes::ADMIN_GROUPS.item.id(&team)))
            .await;
        assert!(team_page.has(&team_dn), "{}", team_page.body);

        // A site role linked to a directory group, from the site's page.
        let site = {
            let mut c = app.store.read().await.unwrap();
            gatehouse::store::catalogs::origin_by_name(
                &mut c,
                OriginSystem::SharePointOnline,
                "Marketing",
            )
            .await
            .unwrap()
            .unwrap()
        };
        let site_page = admin
            .get(&app.url(routes::ADMIN_SITES.item.id(&site)))
            .await;
        let r = admin
            .post(
                &app.url(routes::ADMIN_RESOURCE_LINK.ids("sites", &site)),
                &[
                    ("csrf_token", &site_page.csrf()),
                    ("system", &system_id),
                    ("role", "owner"),
                    ("typed", &owners_dn),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let site_page = admin
            .get(&app.url(routes::ADMIN_SITES.item.id(&site)))
            .await;
        assert!(
            site_page.has("<td data-label=\"Role\">SharePoint Owner</td>")
                && site_page.has(&owners_dn),
            "{}",
            site_page.body
        );
        let system_page = admin
            .get(&app.url(routes::ADMIN_SYSTEMS.item.id(&system_id)))
            .await;
        assert!(
            system_page.has("Site</a> (SharePoint Owner)"),
            "the system's page names the site role as the site's page does: {}",
            system_page.body
        );

        // Eric's package grants the Marketing Team, linked to the directory.
        let marketing_team = group_id(&app, "Marketing Team").await;
        link_group(&app, &admin, &marketing_team, &system, &marketing_dn).await;
        let employees = package_named(&app, EMPLOYEES).await;
        let initial = policy_named(&app, &employees, "Initial policy").await;
        let r = assign_directly(&app, &admin, &employees, &initial, &[ERIC], &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        provision(&app, &clock).await;
        assert_eq!(ldap_members(&marketing_dn).await, vec![eric_dn.clone()]);

        // A role added to the package reaches Eric in the directory; removed,
        // it is taken back.
        let owner = "Marketing: SharePoint Owner";
        package_role(&app, &admin, &employees, owner, true).await;
        provision(&app, &clock).await;
        assert_eq!(ldap_members(&owners_dn).await, vec![eric_dn.clone()]);
        package_role(&app, &admin, &employees, "SharePoint Owner", false).await;
        provision(&app, &clock).await;
        assert_eq!(ldap_members(&owners_dn).await, placeholder);

        // The team held through a second catalog stays while that assignment
        // lasts, and goes when it expires.
        let sales = crate::correctness::catalog(
            &app,
            &clock,
            "Sales",
            false,
            &[(OriginSystem::AadGroup, "Marketing Team")],
        )
        .await;
        let tools = crate::correctness::package_with(
            &app,
            &clock,
            &sales,
            "Sales tools",
            &[("Marketing Team", "member")],
            &crate::correctness::member_policy(
                "Sales staff",
                vec![],
                gatehouse::domain::policy::Expiration::AfterDays(30),
            ),
        )
        .await;
        let tools_policy = policy_named(&app, &tools, "Sales staff").await;
        let r = assign_directly(&app, &admin, &tools, &tools_policy, &[ERIC], &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        remove_assignment(&app, &admin, &employees, ERIC).await;
        provision(&app, &clock).await;
        assert_eq!(
            ldap_members(&marketing_dn).await,
            vec![eric_dn.clone()],
            "Sales still grants the team"
        );
        clock.advance(Duration::days(31));
        jobs_then_provision(&app, &clock).await;
        assert_eq!(
            ldap_members(&marketing_dn).await,
            placeholder,
            "expiry takes the membership back"
        );

        // Injection-shaped names: the entry made for a new person is named
        // exactly as they are, and nothing else in the directory changes.
        // (A month later: signed in again.)
        let admin = Browser::new();
        app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
        // The directory is now set to create entries for people it lacks.
        let guests = [("ldap_guests_base", format!("ou=guests,{ou}"))];
        save_ldap_system(&app, &admin, &system, &ou, &guests, "report").await;
        let odd = "cn=x,ou=admins *)(uid=*";
        let ines = [
            ("user_type", "member"),
            ("display_name", odd),
            ("given_name", "Ines"),
            ("surname", "*)(uid=*"),
            ("email", "ines.odd@gatehouse.demo"),
        ];
        add_and_assign(&app, &admin, &ines, &employees, &initial).await;
        provision(&app, &clock).await;
        let mut l = ldap().await;
        let (entries, _) = l
            .search(
                &format!("ou=guests,{ou}"),
                Scope::OneLevel,
                "(objectClass=inetOrgPerson)",
                vec!["cn", "sn", "mail"],
            )
            .await
            .unwrap()
            .success()
            .unwrap();
        assert_eq!(entries.len(), 1);
        let entry = SearchEntry::construct(entries.into_iter().next().unwrap());
        assert_eq!(entry.attrs["cn"], vec![odd.to_string()]);
        assert_eq!(entry.attrs["sn"], vec!["*)(uid=*".to_string()]);
        assert!(
            entry.dn.ends_with(&format!(",ou=guests,{ou}")),
            "{}",
            entry.dn
        );
        assert_eq!(ldap_members(&marketing_dn).await, vec![entry.dn.clone()]);
        let (everything, _) = l
            .search(&ou, Scope::Subtree, "(objectClass=*)", vec!["dn"])
            .await
            .unwrap()
            .success()
            .unwrap();
        assert_eq!(
            everything.len(),
            10,
            "the subtree, its 3 units, the placeholder, Eric, 3 groups and the one new entry"
        );

        // Matched by uid, a guest whose address has an employee's local part
        // (eric@partner.example beside uid=eric) is never taken for the
        // employee: they get an entry of their own, found by their address.
        let page = admin.get(&app.url(&system)).await;
        let mut fields = ldap_fields(&ou);
        fields.retain(|(k, _)| *k != "secret" && *k != "ldap_match_attribute");
        fields.push(("ldap_match_attribute", "uid".into()));
        fields.push(("ldap_guests_base", format!("ou=guests,{ou}")));
        fields.push(("csrf_token", page.csrf()));
        fields.push(("reconcile", "report".into()));
        let r = admin.post(&app.url(&system), &borrowed(&fields)).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let partner = [
            ("user_type", "guest"),
            ("display_name", "Eric Partner"),
            ("given_name", "Eric"),
            ("surname", "Partner"),
            ("email", "eric@partner.example"),
        ];
        add_and_assign(&app, &admin, &partner, &employees, &initial).await;
        provision(&app, &clock).await;
        let members = ldap_members(&marketing_dn).await;
        assert!(
            !members.contains(&format!("uid=eric,ou=people,{ou}")),
            "the employee Eric was not given the guest's access: {members:?}"
        );
        let (guest, _) = l
            .search(
                &format!("ou=guests,{ou}"),
                Scope::OneLevel,
                "(mail=eric@partner.example)",
                vec!["uid"],
            )
            .await
            .unwrap()
            .success()
            .unwrap();
        assert_eq!(guest.len(), 1, "an entry made for the guest");
        let guest = SearchEntry::construct(guest.into_iter().next().unwrap());
        assert_eq!(guest.attrs["uid"], vec!["eric@partner.example".to_string()]);
        assert_eq!(members.len(), 2, "{members:?}");
        assert!(members.contains(&guest.dn), "{members:?}");
    }
);

/// What a SCIM application of a test's own answers: `body` as SCIM's JSON,
/// told to wait ten minutes when it is `429 Too Many Requests`.
fn scim_answer(status: actix_web::http::StatusCode, body: &'static str) -> actix_web::HttpResponse {
    let mut r = actix_web::HttpResponse::build(status);
    r.content_type("application/scim+json");
    if status == actix_web::http::StatusCode::TOO_MANY_REQUESTS {
        r.insert_header(("Retry-After", "600"));
    }
    r.body(body)
}

/// A look-up that finds Eric, as `u1`.
const ERIC_LISTED: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"id":"u1","userName":"eric.employee@gatehouse.demo"}]}"#;

/// Runs the application `factory` makes on a free port, one worker;
/// evaluates to its SCIM base URL.
macro_rules! serve_scim {
    ($factory:expr) => {{
        let server = actix_web::HttpServer::new($factory)
            .workers(1)
            .bind(("127.0.0.1", 0))
            .unwrap();
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        format!("http://127.0.0.1:{port}/v2")
    }};
}

/// A SCIM application of our own, as small as the test needs: it knows one
/// group (`g1`), finds everyone, and answers every membership change with
/// `429 Too Many Requests` and `Retry-After: 600`. Returns its base URL.
async fn slow_scim_application() -> String {
    use actix_web::{App, web};
    let scim = scim_answer;
    serve_scim!(move || {
        App::new()
            .route(
                "/v2/Groups/g1",
                web::get().to(move || async move {
                    scim(
                        actix_web::http::StatusCode::OK,
                        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Slow group","members":[]}"#,
                    )
                }),
            )
            .route(
                "/v2/Groups/g1",
                web::patch().to(move || async move {
                    scim(
                        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"429","detail":"Slow down"}"#,
                    )
                }),
            )
            .route(
                "/v2/Users",
                web::get().to(move || async move {
                    scim(actix_web::http::StatusCode::OK, ERIC_LISTED)
                }),
            )
    })
}

/// Another SCIM application of our own, whose changes keep failing: its
/// group `g1` holds Eric (`u1`) and `x9`, whom nobody granted; it finds
/// Eric but cannot look anyone else up (`GET /Users` answers 503); it
/// refuses every addition to the group (503) and takes every removal,
/// whose bodies it keeps. Returns its base URL and those bodies.
async fn failing_scim_application() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use actix_web::{App, HttpRequest, HttpResponse, web};
    let json = scim_answer;
    let unavailable = move || {
        json(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"503","detail":"Down for maintenance"}"#,
        )
    };
    let removals = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let kept = removals.clone();
    let url = serve_scim!(move || {
        let kept = kept.clone();
        App::new()
            .route(
                "/v2/Groups/g1",
                web::get().to(move || async move {
                    json(
                        actix_web::http::StatusCode::OK,
                        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Failing group","members":[{"value":"u1"},{"value":"x9"}]}"#,
                    )
                }),
            )
            .route(
                "/v2/Groups/g1",
                web::patch().to(move |body: String| {
                    let kept = kept.clone();
                    async move {
                        if body.contains(r#""op":"add""#) {
                            return unavailable();
                        }
                        kept.lock().unwrap().push(body);
                        HttpResponse::NoContent().finish()
                    }
                }),
            )
            .route(
                "/v2/Users",
                web::get().to(move |req: HttpRequest| async move {
                    if !req.query_string().contains("eric.employee") {
                        return unavailable();
                    }
                    json(actix_web::http::StatusCode::OK, ERIC_LISTED)
                }),
            )
    });
    (url, removals)
}

both!(
    additions_that_keep_failing_do_not_hold_back_removals,
    |backend| async move {
        use gatehouse::domain::provisioning::Outcome;
        use gatehouse::store::provisioning as ops;
        let (app, admin, clock) = demo(backend).await;
        let (url, removals) = failing_scim_application().await;
        let fields = vec![
            ("kind", "scim".to_string()),
            ("display_name", "Failing app".to_string()),
            ("scim_base_url", url),
            ("scim_match_by", "userName".into()),
        ];
        let mut created = fields.clone();
        created.push(("secret", "token".into()));
        let system = create_system(&app, &admin, &borrowed(&created)).await;
        let page = admin.get(&app.url(&system)).await;
        let mut edited = fields.clone();
        edited.push(("csrf_token", page.csrf()));
        edited.push(("reconcile", "addAndRemove".into()));
        let saved = admin.post(&app.url(&system), &borrowed(&edited)).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let internal = group_id(&app, INTERNAL).await;
        let linked = link_group(&app, &admin, &internal, &system, "g1").await;
        assert!(linked.has("Failing group"), "{}", linked.body);
        let employees = package_named(&app, EMPLOYEES).await;
        let policy = policy_named(&app, &employees, "Initial policy").await;
        assign_directly(&app, &admin, &employees, &policy, &[ERIC, EMMA], &[]).await;

        // Eric is found (u1) but not added; Emma cannot be looked up. Both
        // additions fail and wait to be tried again.
        assert_eq!(provision(&app, &clock).await, 2);
        let page = admin.get(&app.url(&system)).await;
        assert!(page.has("the application failed (503)"), "{}", page.body);

        // When they are tried again, another instance claims them: while
        // it is at work, Emma could be in the group under a value nobody
        // knows, so the reconciliation queues no removal.
        clock.advance(Duration::minutes(1));
        let lease = clock.now() + Duration::seconds(120);
        let mut tx = app.store.begin().await.unwrap();
        let theirs = ops::claim(&mut tx, clock.now(), lease, 200).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(theirs.len(), 2);
        reconcile_now(&app, &admin, &system, &clock).await;
        assert_eq!(
            waiting(&app, &admin, &system).await,
            "2",
            "no removal queued"
        );
        let mut tx = app.store.begin().await.unwrap();
        for op in &theirs {
            let again = Outcome::Retry("still down".into(), clock.now() + Duration::seconds(30));
            ops::finish(&mut tx, op.seq, lease, &again, clock.now())
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();

        // Failing, neither holds removals back: x9's is queued (Eric, known
        // as u1 since his lookup, is not taken for someone nobody granted).
        // Claimed with them when they are tried again, it waits for Emma's
        // (she could be x9), and is sent once it is claimed alone.
        reconcile_now(&app, &admin, &system, &clock).await;
        clock.advance(Duration::minutes(1));
        assert_eq!(provision(&app, &clock).await, 2, "the additions, failing");
        assert!(removals.lock().unwrap().is_empty());
        for round in 0.. {
            assert!(round < 5, "the removal never ran");
            clock.advance(Duration::seconds(61));
            provision(&app, &clock).await;
            if !removals.lock().unwrap().is_empty() {
                break;
            }
        }
        let sent = removals.lock().unwrap().clone();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(
            sent[0].contains("x9") && !sent[0].contains("u1"),
            "{sent:?}"
        );
        assert_eq!(
            waiting(&app, &admin, &system).await,
            "2",
            "the additions still wait"
        );
    }
);

both!(
    an_application_asking_to_wait_is_left_alone_that_long,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let url = slow_scim_application().await;
        let fields = vec![
            ("kind", "scim".to_string()),
            ("display_name", "Slow app".to_string()),
            ("scim_base_url", url),
            ("scim_match_by", "userName".into()),
            ("secret", "token".into()),
        ];
        let system = create_system(&app, &admin, &borrowed(&fields)).await;
        let internal = group_id(&app, INTERNAL).await;
        let linked = link_group(&app, &admin, &internal, &system, "g1").await;
        assert!(linked.has("Slow group"), "{}", linked.body);
        let employees = package_named(&app, EMPLOYEES).await;
        let policy = policy_named(&app, &employees, "Initial policy").await;
        assign_directly(&app, &admin, &employees, &policy, &[ERIC], &[]).await;

        // The application says 429, Retry-After 600: the operation waits ten minutes.
        assert_eq!(provision(&app, &clock).await, 1);
        let page = admin.get(&app.url(&system)).await;
        assert!(page.has("asked to wait (429)"), "{}", page.body);
        clock.advance(Duration::minutes(5));
        assert_eq!(
            provision(&app, &clock).await,
            0,
            "not before the time asked"
        );
        clock.advance(Duration::minutes(6));
        assert_eq!(provision(&app, &clock).await, 1, "tried again after it");
    }
);

both!(
    a_directory_import_brings_people_managers_and_groups,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let ou = ldap_tree().await;
        let set = |v: &[&str]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<std::collections::HashSet<String>>()
        };
        let person = |uid: &str, mail: Option<&str>, cn: &str, extra: Vec<Attribute>| {
            let mut attrs: Vec<Attribute> = vec![
                ("objectClass".into(), set(&["inetOrgPerson"])),
                ("uid".into(), set(&[uid])),
                ("cn".into(), set(&[cn])),
                ("sn".into(), set(&[cn.rsplit(' ').next().unwrap()])),
            ];
            if let Some(m) = mail {
                attrs.push(("mail".into(), set(&[m])));
            }
            attrs.extend(extra);
            (format!("uid={uid},ou=people,{ou}"), attrs)
        };
        let ann_dn = format!("uid=ann,ou=people,{ou}");
        let bob_dn = format!("uid=bob,ou=people,{ou}");
        let mut l = ldap().await;
        for (dn, attrs) in [
            person("bob", Some("bob@corp.test"), "Bob Boss", vec![]),
            person(
                "ann",
                Some("ann@corp.test"),
                "Ann Lee",
                vec![
                    ("title".into(), set(&["Buyer"])),
                    ("employeeNumber".into(), set(&["7"])),
                    ("manager".into(), set(&[&bob_dn])),
                ],
            ),
            person("nomail", None, "No Mail", vec![]),
            person("ann2", Some("ANN@corp.test"), "Ann Again", vec![]),
            (
                format!("cn=marketing team,ou=groups,{ou}"),
                vec![
                    ("objectClass".into(), set(&["groupOfNames"])),
                    ("cn".into(), set(&["Marketing Team"])),
                    ("member".into(), set(&[&ann_dn])),
                ],
            ),
            (
                format!("cn=buyers,ou=groups,{ou}"),
                vec![
                    ("objectClass".into(), set(&["groupOfNames"])),
                    ("cn".into(), set(&["buyers"])),
                    ("member".into(), set(&[&ann_dn, &bob_dn])),
                ],
            ),
        ] {
            l.add(&dn, attrs).await.unwrap().success().unwrap();
        }

        // A directory set to import; a bad filter is refused beside its field.
        let form = admin
            .get(&app.url(routes::ADMIN_SYSTEMS.new.as_str()))
            .await;
        let mut bad = ldap_fields(&ou);
        bad.push(("ldap_import", "on".into()));
        bad.push(("ldap_import_users_filter", "objectClass=person".into()));
        bad.push(("csrf_token", form.csrf()));
        bad.push(("reconcile", "report".into()));
        let r = admin
            .post(
                &app.url(routes::ADMIN_SYSTEMS.list.as_str()),
                &borrowed(&bad),
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.has("must be an LDAP filter in parentheses"), "{}", r.body);
        let mut fields = ldap_fields(&ou);
        fields.push(("ldap_import", "on".into()));
        let system = create_system(&app, &admin, &borrowed(&fields)).await;

        let sync = async || {
            let page = admin.get(&app.url(&system)).await;
            let r = admin
                .post(
                    &app.url(format!("{system}/import")),
                    &[("csrf_token", &page.csrf())],
                )
                .await;
            assert_eq!(r.status, 303, "{}", r.body);
            assert_eq!(run_asked(&app, &clock).await, 1);
            admin.get(&app.url(&system)).await
        };
        let page = sync().await;
        assert!(page.has("Last run"), "{}", page.body);
        assert!(
            page.has("<td data-label=\"Created\">2</td><td data-label=\"Changed\">1</td>"),
            "Ann and Bob made, Eric (made in Gatehouse) taken over: {}",
            page.body
        );
        assert!(
            page.has(&format!(
                "<code>uid=nomail,ou=people,{ou}</code>: not imported: it has no mail"
            )),
            "{}",
            page.body
        );
        assert!(
            page.has(&format!(
                "<code>uid=ann2,ou=people,{ou}</code>: not imported: another entry has the address ANN@corp.test"
            )),
            "two entries with one address: the first is imported, the other listed: {}",
            page.body
        );
        assert!(
            page.has("not imported: Gatehouse already has a group named Marketing Team"),
            "{}",
            page.body
        );
        let ann = user_named(&app, "ann@corp.test").await;
        let bob = user_named(&app, "bob@corp.test").await;
        assert_eq!(
            ann.manager_id.as_ref(),
            Some(&bob.id),
            "the manager's DN is linked"
        );
        assert_eq!(ann.job_title.as_deref(), Some("Buyer"));
        assert!(has(
            &held_by(&app, "ann@corp.test").await,
            "Group buyers member"
        ));
        let eric = user_named(&app, ERIC).await;
        assert_eq!(
            eric.manager_id, None,
            "taken over, at once as the directory has him: with no manager"
        );
        let eric_page = admin
            .get(&app.url(routes::ADMIN_USERS.item.id(&eric.id)))
            .await;
        assert!(
            eric_page.has("Directory (LDAP import)"),
            "{}",
            eric_page.body
        );

        // Nothing changed: nothing to do.
        let page = sync().await;
        assert!(
            page.has("<td data-label=\"Created\">0</td><td data-label=\"Changed\">0</td><td data-label=\"Unchanged\">3</td>"),
            "{}",
            page.body
        );

        // Ann's title changes at the source: the next run brings it.
        l.modify(
            &ann_dn,
            vec![ldap3::Mod::Replace(
                "title".to_string(),
                set(&["Head buyer"]),
            )],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
        let page = sync().await;
        assert!(
            page.has("<td data-label=\"Created\">0</td><td data-label=\"Changed\">1</td><td data-label=\"Unchanged\">2</td>"),
            "{}",
            page.body
        );
        let ann = user_named(&app, "ann@corp.test").await;
        assert_eq!(ann.job_title.as_deref(), Some("Head buyer"));
        assert_eq!(ann.manager_id.as_ref(), Some(&bob.id), "kept");

        // Bob leaves the directory: he is blocked at once.
        l.delete(&bob_dn).await.unwrap().success().unwrap();
        let page = sync().await;
        assert!(page.has("<td data-label=\"Gone\">1</td>"), "{}", page.body);
        assert!(user_named(&app, "bob@corp.test").await.is_blocked());
        assert!(!has(
            &held_by(&app, "bob@corp.test").await,
            "Group buyers member"
        ));

        // A filter that finds nobody changes nothing, and says why.
        let nobody = [
            ("ldap_import", "on".into()),
            ("ldap_import_users_filter", "(uid=nobody-at-all)".into()),
        ];
        save_ldap_system(&app, &admin, &system, &ou, &nobody, "report").await;
        let page = sync().await;
        assert!(page.has("the people filter found nobody"), "{}", page.body);
        assert!(!user_named(&app, "ann@corp.test").await.is_blocked());
    }
);

both!(
    a_posix_group_brings_its_members_by_uid,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let ou = ldap_tree().await;
        let set = |v: &[&str]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<std::collections::HashSet<String>>()
        };
        let mut l = ldap().await;
        for (uid, mail) in [("pat", "pat@posix.test"), ("lou", "lou@posix.test")] {
            l.add(
                &format!("uid={uid},ou=people,{ou}"),
                vec![
                    ("objectClass".into(), set(&["inetOrgPerson"])),
                    ("uid".into(), set(&[uid])),
                    ("cn".into(), set(&[&format!("{uid} Posix")])),
                    ("sn".into(), set(&["Posix"])),
                    ("mail".into(), set(&[mail])),
                ],
            )
            .await
            .unwrap()
            .success()
            .unwrap();
        }
        l.add(
            &format!("cn=engineers,ou=groups,{ou}"),
            vec![
                ("objectClass".into(), set(&["posixGroup"])),
                ("cn".into(), set(&["engineers"])),
                ("gidNumber".into(), set(&["5000"])),
                // Any case: uids compare without it.
                ("memberUid".into(), set(&["PAT", "nobody-here"])),
            ],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
        let mut fields = ldap_fields(&ou);
        fields.retain(|(k, _)| !matches!(*k, "ldap_member_attribute" | "ldap_placeholder"));
        fields.push(("ldap_member_attribute", "memberUid".into()));
        fields.push(("ldap_import", "on".into()));
        fields.push((
            "ldap_import_groups_filter",
            "(objectClass=posixGroup)".into(),
        ));
        let system = create_system(&app, &admin, &borrowed(&fields)).await;
        import_now(&app, &admin, &system, &clock).await;
        assert!(has(
            &held_by(&app, "pat@posix.test").await,
            "Group engineers member"
        ));
        assert!(!has(
            &held_by(&app, "lou@posix.test").await,
            "Group engineers member"
        ));
    }
);

/// A subtree (`ldap_tree`) with a "buyers" group listing Eric, or only the
/// placeholder, imported from by a connected system: (subtree, group DN,
/// system's console path).
async fn buyers_imported(
    app: &TestApp,
    admin: &Browser,
    clock: &Clock,
    eric: bool,
) -> (String, String, String) {
    let ou = ldap_tree().await;
    let group_dn = format!("cn=buyers,ou=groups,{ou}");
    let member = if eric {
        "uid=eric,ou=people"
    } else {
        "cn=nobody"
    };
    let values = [format!("{member},{ou}")].into();
    let group: Vec<Attribute> = vec![
        ("objectClass".into(), ["groupOfNames".to_string()].into()),
        ("cn".into(), ["buyers".to_string()].into()),
        ("member".into(), values),
    ];
    ldap()
        .await
        .add(&group_dn, group)
        .await
        .unwrap()
        .success()
        .unwrap();
    let mut fields = ldap_fields(&ou);
    fields.push(("ldap_import", "on".into()));
    let system = create_system(app, admin, &borrowed(&fields)).await;
    import_now(app, admin, &system, clock).await;
    (ou, group_dn, system)
}

/// Presses "Sync now" on the system's page; the job that runs it is
/// `run_asked`.
async fn ask_to_import(app: &TestApp, admin: &Browser, system: &str) {
    let page = admin.get(&app.url(system)).await;
    let import = app.url(format!("{system}/import"));
    let r = admin.post(&import, &[("csrf_token", &page.csrf())]).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Presses "Sync now" and runs the import.
async fn import_now(app: &TestApp, admin: &Browser, system: &str, clock: &Clock) {
    ask_to_import(app, admin, system).await;
    assert_eq!(run_asked(app, clock).await, 1);
}

/// Adds (`add`) or takes out a member of a directory group.
async fn change_member(group_dn: &str, member: &str, add: bool) {
    let one = [member.to_string()].into();
    let change = if add {
        ldap3::Mod::Add("member".into(), one)
    } else {
        ldap3::Mod::Delete("member".into(), one)
    };
    let mut l = ldap().await;
    l.modify(group_dn, vec![change])
        .await
        .unwrap()
        .success()
        .unwrap();
}

/// Eric leaves the directory's "buyers" group while Maria's approval
/// delivers his "Buyers seat", which grants it, on PostgreSQL: the delivery
/// is first and waits for the audit log the test holds; the import read
/// him among the group's members before that, so it would take him out.
/// It holds him first and waits: he stays in the group, through the seat.
#[tokio::test]
async fn an_import_never_takes_out_whom_a_delivery_grants_the_group_at_that_moment() {
    use crate::correctness::{catalog, maria_approves, package_with, request, signed_in};
    use crate::races::{SeatApproval, in_turn};
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let (ou, group_dn, system) = buyers_imported(&app, &admin, &clock, true).await;
    let buyer = "Group buyers member";
    assert!(has(&held_by(&app, ERIC).await, buyer));

    let objects = [(OriginSystem::AadGroup, "buyers")];
    let cat = catalog(&app, &clock, "Buying", false, &objects).await;
    let maria = user_named(&app, "maria.manager@gatehouse.demo").await.id;
    let approved = maria_approves(&maria, Expiration::NoExpiration);
    let roles = [("buyers", "member")];
    let seat = package_with(&app, &clock, &cat, "Buyers seat", &roles, &approved).await;
    let asked = request(&app, &signed_in(&app, ERIC).await, &seat, &[]).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    // Eric leaves the group in the directory (the placeholder joins it, as a
    // group needs a member).
    change_member(&group_dn, &format!("cn=nobody,{ou}"), true).await;
    change_member(&group_dn, &format!("uid=eric,ou=people,{ou}"), false).await;

    let approval = SeatApproval::open(&app, &seat).await;
    // "Sync now" was pressed; the job runs it as the delivery waits.
    ask_to_import(&app, &admin, &system).await;
    let (delivered, imported) = in_turn(&app, approval.approve(), run_asked(&app, &clock)).await;
    assert_eq!(delivered.status, 303, "{}", delivered.body);
    assert_eq!(imported, 1, "the import ran");
    let held = held_by(&app, ERIC).await;
    assert!(has(&held, buyer), "the seat grants it: {held:?}");
}

both!(
    a_membership_the_directory_lists_outlives_the_package_that_granted_it_first,
    |backend| async move {
        use crate::correctness::open_package;
        let (app, admin, clock) = demo(backend).await;
        let (ou, group_dn, system) = buyers_imported(&app, &admin, &clock, false).await;
        let (pass, policy) = open_package(&app, &clock, "Buying", "buyers", "Buyers pass").await;
        let r = assign_directly(&app, &admin, &pass, &policy, &[ERIC], &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let buyer = "Group buyers member";
        assert!(has(&held_by(&app, ERIC).await, buyer));

        // The directory lists him too, from the next run on: the membership
        // is the directory's as well, and stays when the pass ends.
        let eric_dn = format!("uid=eric,ou=people,{ou}");
        change_member(&group_dn, &eric_dn, true).await;
        import_now(&app, &admin, &system, &clock).await;
        remove_assignment(&app, &admin, &pass, ERIC).await;
        assert!(
            has(&held_by(&app, ERIC).await, buyer),
            "the directory lists him"
        );

        // Taken out of the directory's group, he leaves it on the next run.
        change_member(&group_dn, &eric_dn, false).await;
        import_now(&app, &admin, &system, &clock).await;
        assert!(!has(&held_by(&app, ERIC).await, buyer));
    }
);

/// A member Gatehouse did not grant, under a value longer than an index
/// entry may be (a DN of 3,200 random characters), is queued for removal and removed
/// like any other, on PostgreSQL, whose indexes have that limit.
#[tokio::test]
async fn a_member_with_a_very_long_value_is_removed_like_any_other() {
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let (ou, group_dn, system) = eric_assigned_through_ldap(&app, &admin).await;
    provision(&app, &clock).await;
    save_ldap_system(&app, &admin, &system, &ou, &[], "addAndRemove").await;
    // Random, so that no compression brings it under the limit.
    let random: String = (0..100)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    let long = format!("cn={random},{ou}");
    let mut l = ldap().await;
    let value = [long.clone()].into_iter().collect();
    l.modify(&group_dn, vec![ldap3::Mod::Add("member".into(), value)])
        .await
        .unwrap()
        .success()
        .unwrap();
    reconcile_now(&app, &admin, &system, &clock).await;
    assert_eq!(waiting(&app, &admin, &system).await, "1");
    provision(&app, &clock).await;
    assert_eq!(
        ldap_members(&group_dn).await,
        vec![format!("uid=eric,ou=people,{ou}")]
    );
}
