//! Two changes to what one person holds at the same moment, on PostgreSQL.
//! A delivery against an expiry, against a role taken out of a package (of
//! another package, or of the one delivered), against a role added to it,
//! and against a membership taken away by hand; an expiry against a role
//! added. Each pair is put in a known order by a lock the test holds on the
//! audit log, which each change writes last (`in_turn`). Neither side may
//! undo the other.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Duration;
use gatehouse::clock::Clock;
use gatehouse::domain::catalog::OriginSystem;
use gatehouse::domain::ids::AccessPackageId;
use gatehouse::domain::policy::Expiration;
use gatehouse::routes;

use crate::correctness::{
    assign_directly, catalog, demo, maria_approves, member_policy, package_with, request,
    request_of, signed_in,
};
use crate::helpers::*;

const ERIC: &str = "eric.employee@gatehouse.demo";
const MARIA: &str = "maria.manager@gatehouse.demo";
const ADA: &str = "ada.admin@gatehouse.demo";
pub(crate) const TEAM: &str = "Group Marketing Team member";
const TEAM_ROLE: (&str, &str) = ("Marketing Team", "member");

/// Two packages granting the Marketing Team: "Day pass", for a day to any
/// member without approval, which Eric holds, and "Team seat" (`team_seat`),
/// for which he waits for Maria's approval.
async fn day_pass_and_seat(app: &TestApp, clock: &Clock) -> (AccessPackageId, AccessPackageId) {
    let cat = catalog(
        app,
        clock,
        "Raced",
        false,
        &[
            (OriginSystem::AadGroup, "Marketing Team"),
            (
                OriginSystem::AadGroup,
                "SG-Marketing-Department-InternalUsers",
            ),
        ],
    )
    .await;
    let day = member_policy("Anyone", vec![], Expiration::AfterDays(1));
    let pass = package_with(app, clock, &cat, "Day pass", &[TEAM_ROLE], &day).await;
    let eric = signed_in(app, ERIC).await;
    let asked = request(app, &eric, &pass, &[]).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert!(has(&held_by(app, ERIC).await, TEAM));
    (pass, team_seat(app, clock).await)
}

/// "Team seat": the Marketing Team, approved by Maria, in a catalog of its
/// own that also holds the Slack application. Eric asks for it.
pub(crate) async fn team_seat(app: &TestApp, clock: &Clock) -> AccessPackageId {
    let objects = [
        (OriginSystem::AadGroup, "Marketing Team"),
        (OriginSystem::AadApplication, "Slack"),
    ];
    let cat = catalog(app, clock, "Seats", false, &objects).await;
    let maria = user_named(app, MARIA).await.id;
    let approved = maria_approves(&maria, Expiration::NoExpiration);
    let seat = package_with(app, clock, &cat, "Team seat", &[TEAM_ROLE], &approved).await;
    let eric = signed_in(app, ERIC).await;
    let asked = request(app, &eric, &seat, &[]).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    seat
}

/// Runs `first`, then `second` once `first` waits for the audit log, which
/// the test holds meanwhile: every change writes it last, so `first` waits
/// there with its roles granted or taken back. Lets the log go once `second`
/// waits too (for it, or for something `first` holds), or has returned
/// without waiting.
pub(crate) async fn in_turn<A, B>(
    app: &TestApp,
    first: impl Future<Output = A>,
    second: impl Future<Output = B>,
) -> (A, B) {
    let mut hold = app.store.begin().await.unwrap();
    sqlx::query("LOCK TABLE audit_events IN SHARE MODE")
        .execute(&mut *hold)
        .await
        .unwrap();
    let returned = AtomicBool::new(false);
    let second = async {
        until_lock_waiters(app, 1).await;
        let out = second.await;
        returned.store(true, Ordering::SeqCst);
        out
    };
    let release = async {
        until_lock_waiters_or(app, 2, &returned).await;
        hold.commit().await.unwrap();
    };
    let (a, b, ()) = tokio::join!(first, second, release);
    (a, b)
}

/// Maria, signed in on her approval of Eric's seat, ready to approve it.
pub(crate) struct SeatApproval {
    maria: Browser,
    url: String,
    csrf: String,
}

impl SeatApproval {
    pub(crate) async fn open(app: &TestApp, seat: &AccessPackageId) -> Self {
        let maria = signed_in(app, MARIA).await;
        let (pending, state, _) = request_of(app, seat, ERIC).await;
        assert_eq!(state, "pendingApproval");
        let url = app.url(routes::APPROVAL.id(&pending));
        let csrf = maria.get(&url).await.csrf();
        Self { maria, url, csrf }
    }

    /// Approves: the seat is delivered, and waits for the audit log if it is held.
    pub(crate) async fn approve(&self) -> Page {
        let form = [
            ("csrf_token", self.csrf.as_str()),
            ("decision", "approve"),
            ("justification", "Checked"),
        ];
        self.maria.post(&self.url, &form).await
    }
}

/// The day pass ends while Maria's approval delivers the seat, which holds
/// Eric: the expiry leaves his day pass for its next run instead of taking
/// the team back under the delivery, which grants it too.
#[tokio::test]
async fn an_expiry_never_takes_back_what_a_delivery_grants_at_that_moment() {
    let (app, _admin, clock) = demo(Backend::Postgres).await;
    let (pass, seat) = day_pass_and_seat(&app, &clock).await;
    clock.advance(Duration::days(2));
    let approval = SeatApproval::open(&app, &seat).await;
    // The expiry returns at once when it leaves Eric alone; had it ended his
    // day pass, it would wait for the audit log too, the team taken back.
    let expire = gatehouse::jobs::expiry::run(&app.store, clock.now());
    let (approved, expired) = in_turn(&app, approval.approve(), expire).await;
    expired.unwrap();
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(request_of(&app, &seat, ERIC).await.1, "delivered");
    assert!(has(&held_by(&app, ERIC).await, TEAM), "the seat grants it");

    // The next run ends the day pass; the seat keeps the team.
    run_jobs(&app, &clock).await;
    let held = held_by(&app, ERIC).await;
    assert!(has(&held, TEAM), "{held:?}");
    let left = format!(
        "SELECT COUNT(*) FROM access_package_assignments WHERE access_package_id = '{pass}' \
         AND state <> 'expired'"
    );
    assert_eq!(count(&app, &left).await, 0, "the day pass ended");
}

/// An administrator takes the team out of the day pass while Maria's
/// approval delivers Eric's seat: Eric keeps the team, which the seat grants.
#[tokio::test]
async fn a_role_taken_out_of_one_package_stays_where_another_delivers_it() {
    let (app, _admin, clock) = demo(Backend::Postgres).await;
    let (pass, seat) = day_pass_and_seat(&app, &clock).await;
    let admin = signed_in(&app, ADA).await;
    let roles = admin
        .get(&app.url(routes::ADMIN_PACKAGE_ROLES.id(&pass)))
        .await;
    let remove = app.url(form_action(
        &roles,
        "<td>Marketing Team</td>",
        routes::ADMIN_PACKAGE_ROLE_REMOVE,
    ));
    let csrf = roles.csrf();
    let approval = SeatApproval::open(&app, &seat).await;
    let form = [("csrf_token", csrf.as_str())];
    let (approved, removed) = in_turn(&app, approval.approve(), admin.post(&remove, &form)).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(removed.status, 303, "{}", removed.body);
    let roles = admin
        .get(&app.url(routes::ADMIN_PACKAGE_ROLES.id(&pass)))
        .await;
    assert!(
        !roles.has("<td>Marketing Team</td>"),
        "the role was taken out"
    );
    let held = held_by(&app, ERIC).await;
    assert!(has(&held, TEAM), "the seat grants it: {held:?}");
}

/// An administrator takes the team out of the day pass while another
/// reprocesses Eric's day pass: the reprocessing waits for Eric, whom the
/// role change holds, then grants what the package grants by then, so Eric
/// is not put back in the team.
#[tokio::test]
async fn a_role_taken_out_of_a_package_as_it_is_reprocessed_is_not_put_back() {
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let (pass, _) = day_pass_and_seat(&app, &clock).await;
    let roles = admin
        .get(&app.url(routes::ADMIN_PACKAGE_ROLES.id(&pass)))
        .await;
    let remove = app.url(form_action(
        &roles,
        "<td>Marketing Team</td>",
        routes::ADMIN_PACKAGE_ROLE_REMOVE,
    ));
    let remove_csrf = roles.csrf();
    let remove_form = [("csrf_token", remove_csrf.as_str())];
    let other = signed_in(&app, ADA).await;
    let tab = other
        .get(&app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&pass)))
        .await;
    let reprocess = app.url(form_action(
        &tab,
        "Eric Employee",
        routes::ADMIN_PACKAGE_ASSIGNMENT_REPROCESS,
    ));
    let reprocess_csrf = tab.csrf();
    let reprocess_form = [("csrf_token", reprocess_csrf.as_str())];
    let (removed, reprocessed) = in_turn(
        &app,
        admin.post(&remove, &remove_form),
        other.post(&reprocess, &reprocess_form),
    )
    .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(reprocessed.status, 303, "{}", reprocessed.body);
    let held = held_by(&app, ERIC).await;
    assert!(
        !has(&held, TEAM),
        "the day pass no longer grants it: {held:?}"
    );
}

/// An administrator adds a role to the day pass as Eric's expires: the
/// role never reaches him, since he no longer holds the package.
#[tokio::test]
async fn a_role_added_to_a_package_as_it_expires_is_not_left_behind() {
    let (app, _admin, clock) = demo(Backend::Postgres).await;
    let (pass, _) = day_pass_and_seat(&app, &clock).await;
    clock.advance(Duration::days(2));
    let admin = signed_in(&app, ADA).await;
    let roles = admin
        .get(&app.url(routes::ADMIN_PACKAGE_ROLES.id(&pass)))
        .await;
    let internal = option_value(&roles, "SG-Marketing-Department-InternalUsers: Member");
    let csrf = roles.csrf();
    let expire = gatehouse::jobs::expiry::run(&app.store, clock.now());
    let form = [
        ("csrf_token", csrf.as_str()),
        ("resource", internal.as_str()),
    ];
    let url = app.url(routes::ADMIN_PACKAGE_ROLES.id(&pass));
    let (expired, added) = in_turn(&app, expire, admin.post(&url, &form)).await;
    assert_eq!(expired.unwrap(), 1);
    assert_eq!(added.status, 303, "{}", added.body);
    let roles = admin
        .get(&app.url(routes::ADMIN_PACKAGE_ROLES.id(&pass)))
        .await;
    assert!(roles.has("<td>SG-Marketing-Department-InternalUsers</td>"));
    let held = held_by(&app, ERIC).await;
    assert!(
        !has(&held, "Group SG-Marketing-Department-InternalUsers member"),
        "{held:?}"
    );
}

/// An administrator takes Eric out of the Marketing Team, where he was put
/// by hand, while Maria's approval delivers his seat: he stays, now through
/// the seat.
#[tokio::test]
async fn a_member_taken_out_by_hand_stays_when_a_package_grants_it_at_that_moment() {
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let seat = team_seat(&app, &clock).await;
    let group = group_id(&app, "Marketing Team").await;
    let roles = app.url(routes::ADMIN_GROUP_ROLES.id(&group));
    let page = admin
        .get(&app.url(routes::ADMIN_GROUPS.item.id(&group)))
        .await;
    let csrf = page.csrf();
    let by_hand = |action| {
        [
            ("csrf_token", csrf.as_str()),
            ("email", ERIC),
            ("role", "member"),
            ("action", action),
        ]
    };
    let added = admin.post(&roles, &by_hand("add")).await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert!(has(&held_by(&app, ERIC).await, TEAM));
    let approval = SeatApproval::open(&app, &seat).await;
    let remove = by_hand("remove");
    let (approved, removed) = in_turn(&app, approval.approve(), admin.post(&roles, &remove)).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(removed.status, 303, "{}", removed.body);
    let held = held_by(&app, ERIC).await;
    assert!(has(&held, TEAM), "the seat grants it: {held:?}");
}

/// An administrator adds an application role to the seat as Maria's
/// approval delivers it to Eric, its first holder, in either order: the
/// role reaches him, though the seat granted no application role when the
/// delivery began.
#[tokio::test]
async fn a_role_added_to_a_package_as_it_is_delivered_reaches_the_new_holder() {
    for delivery_first in [true, false] {
        let (app, admin, clock) = demo(Backend::Postgres).await;
        let seat = team_seat(&app, &clock).await;
        let roles = app.url(routes::ADMIN_PACKAGE_ROLES.id(&seat));
        let page = admin.get(&roles).await;
        let user = option_value(&page, "Slack: User");
        let form = [("csrf_token", page.csrf()), ("resource", user)];
        let form = form.each_ref().map(|(k, v)| (*k, v.as_str()));
        let approval = SeatApproval::open(&app, &seat).await;
        let (approved, added) = if delivery_first {
            in_turn(&app, approval.approve(), admin.post(&roles, &form)).await
        } else {
            let (added, approved) =
                in_turn(&app, admin.post(&roles, &form), approval.approve()).await;
            (approved, added)
        };
        assert_eq!(approved.status, 303, "{}", approved.body);
        assert_eq!(added.status, 303, "{}", added.body);
        let held = held_by(&app, ERIC).await;
        assert!(has(&held, TEAM), "{held:?}");
        let slack = "Application Slack User";
        assert!(
            has(&held, slack),
            "delivery first: {delivery_first}: {held:?}"
        );
    }
}

/// An administrator takes the team out of the seat while Maria's approval
/// delivers it to Eric, its first holder: the seat no longer grants it, and
/// Eric is not left in the team.
#[tokio::test]
async fn a_role_taken_out_of_a_package_as_it_is_delivered_is_not_left_behind() {
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let seat = team_seat(&app, &clock).await;
    let page = admin
        .get(&app.url(routes::ADMIN_PACKAGE_ROLES.id(&seat)))
        .await;
    let remove = app.url(form_action(
        &page,
        "<td>Marketing Team</td>",
        routes::ADMIN_PACKAGE_ROLE_REMOVE,
    ));
    let form = [("csrf_token", page.csrf())];
    let form = form.each_ref().map(|(k, v)| (*k, v.as_str()));
    let approval = SeatApproval::open(&app, &seat).await;
    let (approved, removed) = in_turn(&app, approval.approve(), admin.post(&remove, &form)).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(request_of(&app, &seat, ERIC).await.1, "delivered");
    let held = held_by(&app, ERIC).await;
    assert!(!has(&held, TEAM), "{held:?}");
}

/// An administrator takes the team out of the seat while Maria's approval
/// delivers it to Eric, and Eric then asks for another package granting
/// the team, all at once. The role change, which began before Eric held
/// the seat, holds him once the seat is delivered, so his second delivery
/// waits for it and grants the team after it is taken back: he keeps it.
/// The test holds the audit log (which every change writes last) and the
/// seat's role row (which the role change deletes) to put the steps in
/// this order.
#[tokio::test]
async fn a_holder_delivered_while_a_role_change_waits_is_held_by_it() {
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let seat = team_seat(&app, &clock).await;
    let cat = catalog(
        &app,
        &clock,
        "Passes",
        false,
        &[(OriginSystem::AadGroup, "Marketing Team")],
    )
    .await;
    let day = member_policy("Anyone", vec![], Expiration::AfterDays(1));
    let pass = package_with(&app, &clock, &cat, "Day pass", &[TEAM_ROLE], &day).await;
    let page = admin
        .get(&app.url(routes::ADMIN_PACKAGE_ROLES.id(&seat)))
        .await;
    let remove = app.url(form_action(
        &page,
        "<td>Marketing Team</td>",
        routes::ADMIN_PACKAGE_ROLE_REMOVE,
    ));
    let csrf = page.csrf();
    let form = [("csrf_token", csrf.as_str())];
    let approval = SeatApproval::open(&app, &seat).await;
    let eric = signed_in(&app, ERIC).await;
    let audit_waiters = "SELECT COUNT(*) FROM pg_locks WHERE NOT granted \
                         AND relation = 'audit_events'::regclass";

    let mut audit = app.store.begin().await.unwrap();
    sqlx::query("LOCK TABLE audit_events IN SHARE MODE")
        .execute(&mut *audit)
        .await
        .unwrap();
    let mut scope = app.store.begin().await.unwrap();
    sqlx::query(
        "SELECT 1 FROM access_package_resource_role_scopes WHERE access_package_id = $1 FOR UPDATE",
    )
    .bind(seat.as_str())
    .execute(&mut *scope)
    .await
    .unwrap();
    let (approved_flag, second_pass) = (AtomicBool::new(false), AtomicBool::new(false));
    // The seat's delivery waits for the audit log.
    let approve = async {
        let page = approval.approve().await;
        approved_flag.store(true, Ordering::SeqCst);
        page
    };
    // The role change starts once it does, and waits for the seat.
    let change = async {
        until_lock_waiters(&app, 1).await;
        admin.post(&remove, &form).await
    };
    // Eric's day pass, once the role change waits for the role row.
    let ask = async {
        while !second_pass.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        request(&app, &eric, &pass, &[]).await
    };
    let steps = async {
        until_lock_waiters(&app, 2).await;
        // The seat is delivered; the role change goes on to the role row.
        audit.commit().await.unwrap();
        while !approved_flag.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        until_lock_waiters(&app, 1).await;
        let mut audit = app.store.begin().await.unwrap();
        sqlx::query("LOCK TABLE audit_events IN SHARE MODE")
            .execute(&mut *audit)
            .await
            .unwrap();
        second_pass.store(true, Ordering::SeqCst);
        // The day pass waits: for Eric, or (were he not held) for the log.
        until_lock_waiters(&app, 2).await;
        let before = count(&app, audit_waiters).await;
        scope.rollback().await.unwrap();
        // The role change takes the team back and waits for the log.
        for _ in 0..1200 {
            if count(&app, audit_waiters).await > before {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(count(&app, audit_waiters).await, before + 1);
        audit.commit().await.unwrap();
    };
    let (approved, removed, asked, ()) = tokio::join!(approve, change, ask, steps);
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert_eq!(request_of(&app, &pass, ERIC).await.1, "delivered");
    let held = held_by(&app, ERIC).await;
    assert!(has(&held, TEAM), "the day pass grants it: {held:?}");
}

/// An administrator blocks Emma while another assigns a package to the
/// Launch crew, her group (the block first, waiting for the audit log the
/// test holds): the assignment, which found her active, waits for her and
/// leaves her out, as it leaves out a member blocked before it began.
#[tokio::test]
async fn a_member_blocked_while_the_group_is_assigned_is_left_out() {
    use crate::administration::launch_crew;
    use crate::correctness::open_package;
    let (app, admin, clock) = demo(Backend::Postgres).await;
    launch_crew(&app, &admin).await;
    let (kit, policy) = open_package(&app, &clock, "Launch", "Marketing Team", "Launch kit").await;
    let emma = user_named(&app, "emma.employee@gatehouse.demo").await;
    let page = app.url(routes::ADMIN_USERS.item.id(&emma.id));
    let csrf = admin.get(&page).await.csrf();
    let blocked = [
        ("csrf_token", csrf.as_str()),
        ("user_type", "member"),
        ("display_name", emma.display_name.as_str()),
        ("email", emma.email.as_str()),
        ("job_title", emma.job_title.as_deref().unwrap_or_default()),
        ("department", emma.department.as_deref().unwrap_or_default()),
        ("manager_email", ""),
        ("state", "blocked"),
    ];
    let block = admin.post(&page, &blocked);
    let other = signed_in(&app, ADA).await;
    let crew = [("groups", "Launch crew")];
    let assign = assign_directly(&app, &other, &kit, &policy, &[], &crew);
    let (block, assigned) = in_turn(&app, block, assign).await;
    assert_eq!(block.status, 303, "{}", block.body);
    assert_eq!(assigned.status, 303, "{}", assigned.body);
    let tab = admin
        .get(&app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&kit)))
        .await;
    for assigned in ["Eric Employee", "Maria Manager"] {
        assert!(tab.has(assigned), "{assigned}: {}", tab.body);
    }
    assert!(!tab.has("Emma Employee"), "blocked, left out: {}", tab.body);
    assert!(
        user_named(&app, "emma.employee@gatehouse.demo")
            .await
            .is_blocked()
    );
}

/// A scheduled delivery that another change holds Eric against (PostgreSQL
/// ends their circle by giving the delivery up) waits for the next run
/// instead of failing for good, and Emma's, due after it, is still delivered
/// in that run; delivered, each is in the audit log.
#[tokio::test]
async fn a_scheduled_delivery_given_up_for_another_change_is_tried_again() {
    use crate::correctness::request_of;
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let employees = package_named(&app, "Marketing resources for employees").await;
    let initial = policy_named(&app, &employees, "Initial policy").await;
    let day = |n| {
        (clock.now() + Duration::days(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    let emma = "emma.employee@gatehouse.demo";
    for (who, start) in [(ERIC, day(7)), (emma, day(8))] {
        let end = day(37);
        let period = [("start", start.as_str()), ("end", end.as_str())];
        let r = assign_directly(&app, &admin, &employees, &initial, &[who], &period).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(request_of(&app, &employees, who).await.1, "scheduled");
    }
    let (rid, _, _) = request_of(&app, &employees, ERIC).await;
    clock.advance(Duration::days(9));

    let eric = user_named(&app, ERIC).await.id.to_string();
    let mut other = app.store.begin().await.unwrap();
    sqlx::query("SET LOCAL deadlock_timeout = '60s'")
        .execute(&mut *other)
        .await
        .unwrap();
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE")
        .bind(&eric)
        .execute(&mut *other)
        .await
        .unwrap();
    let deliveries = gatehouse::jobs::scheduled::run(&app.store, clock.now());
    let circle = async {
        until_lock_waiters(&app, 1).await;
        sqlx::query("SELECT 1 FROM assignment_requests WHERE id = $1 FOR UPDATE")
            .bind(&rid)
            .execute(&mut *other)
            .await
            .unwrap();
        other.rollback().await.unwrap();
    };
    let (delivered, ()) = tokio::join!(deliveries, circle);
    assert_eq!(delivered.unwrap(), 1, "Emma's");
    assert_eq!(request_of(&app, &employees, emma).await.1, "delivered");
    let (_, state, _) = request_of(&app, &employees, ERIC).await;
    assert_eq!(state, "scheduled", "left for the next run");

    let delivered = gatehouse::jobs::scheduled::run(&app.store, clock.now()).await;
    assert_eq!(delivered.unwrap(), 1);
    let (_, state, _) = request_of(&app, &employees, ERIC).await;
    assert_eq!(state, "delivered");
    let fulfilled = format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'Fulfill access package assignment request' AND object_id = '{rid}'"
    );
    assert_eq!(count(&app, &fulfilled).await, 1);
}

/// An administrator assigns a package to Eric and Emma while another change
/// holds them in the other order, so each waits for the other. PostgreSQL
/// gives the assignment up to end the circle: the administrator reads that
/// nothing was changed and may try again (a 503 asking to retry, not the
/// error page of a fault), nobody was assigned, and trying again assigns both.
#[tokio::test]
async fn a_change_given_up_for_another_says_so_and_changes_nothing() {
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let (pass, policy) =
        crate::correctness::open_package(&app, &clock, "Contended", TEAM_ROLE.0, "Open pass").await;
    let emma = "emma.employee@gatehouse.demo";
    let people = [ERIC, emma];
    let assign = assign_directly(&app, &admin, &pass, &policy, &people, &[]);
    let given_up = in_circle(&app, &people, assign).await;
    assert_eq!(given_up.status, 503, "{}", given_up.body);
    assert!(
        given_up.has("so nothing was changed. Try again."),
        "{}",
        given_up.body
    );
    assert_eq!(given_up.retry_after.as_deref(), Some("1"));
    let tab = app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&pass));
    let assigned = admin.get(&tab).await;
    assert!(
        !assigned.has("Eric Employee") && !assigned.has("Emma"),
        "{}",
        assigned.body
    );
    let again = assign_directly(&app, &admin, &pass, &policy, &people, &[]).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let assigned = admin.get(&tab).await;
    assert!(
        assigned.has("Eric Employee") && assigned.has("Emma"),
        "{}",
        assigned.body
    );
}

/// Runs `change`, which holds these people in the order of their ids, while
/// another transaction holds them in the other order (`held_in_turn`), so
/// that PostgreSQL gives `change` up.
pub(crate) async fn in_circle<T>(
    app: &TestApp,
    emails: &[&str],
    change: impl Future<Output = T>,
) -> T {
    let mut ids = Vec::new();
    for email in emails {
        ids.push(user_named(app, email).await.id.to_string());
    }
    ids.sort();
    let turn = [ids.last().unwrap().as_str(), ids[0].as_str()];
    held_in_turn(app, turn, change).await
}

/// Runs `change` while another transaction holds the user `ids[0]` before
/// `change` starts and asks for `ids[1]` once `change` waits, then lets both
/// go. That transaction waits longer before looking for a circle, so that
/// PostgreSQL finds one, if `change` made it, from `change`'s side and gives
/// `change` up.
pub(crate) async fn held_in_turn<T>(
    app: &TestApp,
    ids: [&str; 2],
    change: impl Future<Output = T>,
) -> T {
    let hold = "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE";
    let mut other = app.store.begin().await.unwrap();
    sqlx::query("SET LOCAL deadlock_timeout = '60s'")
        .execute(&mut *other)
        .await
        .unwrap();
    sqlx::query(hold)
        .bind(ids[0])
        .execute(&mut *other)
        .await
        .unwrap();
    let turn = async {
        until_lock_waiters(app, 1).await;
        sqlx::query(hold)
            .bind(ids[1])
            .execute(&mut *other)
            .await
            .unwrap();
        other.rollback().await.unwrap();
    };
    tokio::join!(change, turn).0
}
