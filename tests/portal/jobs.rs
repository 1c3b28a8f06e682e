//! The lifecycle jobs with a clock the tests move: escalation, automatic
//! denial, reminders, expiration, extension, the guest lifecycle; two
//! instances on one PostgreSQL database; and an SMTP server that goes away.

use chrono::Duration;
use gatehouse::clock::Clock;
use gatehouse::domain::audit::Actor;
use gatehouse::domain::ids::{AccessPackageId, AssignmentId, PolicyId, RequestId, UserId};
use gatehouse::domain::message::Message;
use gatehouse::domain::policy::{
    AllowedTargetScope, ApprovalSettings, ApprovalStage, Approver, Expiration, Policy,
    RequestorSettings,
};
use gatehouse::domain::request::PeriodInput;
use gatehouse::domain::request::RequestState;
use gatehouse::domain::user::{ExternalIdentity, Person, User};
use gatehouse::jobs::Report;
use gatehouse::routes;
use gatehouse::service::requests::{RequestInput, Submitted, decide, submit};

use crate::both;
use crate::helpers::*;

async fn user(app: &TestApp, email: &str) -> User {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::users::find_by_email(&mut c, email)
        .await
        .unwrap()
        .unwrap()
}

async fn package(app: &TestApp, name: &str) -> AccessPackageId {
    let mut c = app.store.read().await.unwrap();
    AccessPackageId::from_stored(
        gatehouse::store::packages::ids_by_name(&mut c, name)
            .await
            .unwrap()
            .remove(0),
    )
}

async fn run(app: &TestApp, clock: &Clock) -> Report {
    gatehouse::jobs::run_once(&app.store, clock).await.unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut c = app.store.read().await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut *c).await.unwrap()
}

/// The message of `kind` queued for `to` (one only).
async fn queued(app: &TestApp, kind: &str, to: &str) -> Message {
    let mut c = app.store.read().await.unwrap();
    let data: String =
        sqlx::query_scalar("SELECT data FROM mail_outbox WHERE kind = $1 AND to_address = $2")
            .bind(kind)
            .bind(to)
            .fetch_one(&mut *c)
            .await
            .unwrap();
    Message::from_stored(kind, &data).unwrap()
}

async fn request_state(app: &TestApp, id: &str) -> String {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::requests::get(&mut c, &RequestId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .state
        .as_str()
        .to_string()
}

fn input(policy: &str) -> RequestInput<'_> {
    RequestInput {
        policy: PolicyId::parse(policy),
        justification: Some("Needed for the launch"),
        answers: Default::default(),
        attributes: Default::default(),
        period: PeriodInput::NONE,
    }
}

/// A policy on "Slack administration": Maria decides within 5 days, Ada
/// gets undecided requests after 2, and access lasts 20 days.
async fn escalating_policy(app: &TestApp, clock: &Clock) -> (AccessPackageId, String) {
    let policy = escalating(app).await;
    let hidden = package(app, "Slack administration").await;
    let id = gatehouse::service::packages::add_policy(
        &app.store,
        &Actor::system(),
        &hidden,
        &policy,
        clock.now(),
    )
    .await
    .unwrap();
    (hidden, id.to_string())
}

/// A demo app on a manual clock with `escalating_policy`.
struct Slack {
    app: TestApp,
    clock: Clock,
    hidden: AccessPackageId,
    pid: String,
}

impl Slack {
    async fn new(backend: Backend) -> Slack {
        let clock = Clock::manual(chrono::Utc::now());
        let mut opts = Options::new(backend).demo();
        opts.clock = Some(clock.clone());
        let app = spawn(opts).await;
        let (hidden, pid) = escalating_policy(&app, &clock).await;
        Slack {
            app,
            clock,
            hidden,
            pid,
        }
    }

    /// `who` asks for Slack administration, now.
    async fn ask(&self, who: &User) -> Submitted {
        let person = Person::User(who.clone());
        let at = self.clock.now();
        submit(
            &self.app.store,
            &person,
            &self.hidden,
            &input(&self.pid),
            at,
        )
        .await
        .unwrap()
    }
}

/// `escalating_policy`'s settings.
async fn escalating(app: &TestApp) -> Policy {
    let maria = user(app, "maria.manager@gatehouse.demo").await;
    let ada = user(app, "ada.admin@gatehouse.demo").await;
    Policy {
        display_name: "Escalating policy".into(),
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
                duration_before_automatic_denial_days: 5,
                is_approver_justification_required: false,
                primary_approvers: vec![Approver::SingleUser(maria.id.clone())],
                fallback_primary_approvers: vec![],
                is_escalation_enabled: true,
                duration_before_escalation_days: 2,
                escalation_approvers: vec![Approver::SingleUser(ada.id.clone())],
                fallback_escalation_approvers: vec![],
            }],
        },
        questions: vec![],
        expiration: Expiration::AfterDays(20),
        assignment_notifications: true,
        automatic: None,
    }
}

both!(
    a_policy_edit_applies_to_new_requests_only,
    |backend| async move {
        let slack = Slack::new(backend).await;
        let (app, clock, hidden, pid) = (&slack.app, &slack.clock, &slack.hidden, &slack.pid);
        let emma = user(app, "emma.employee@gatehouse.demo").await;
        let eric = user(app, "eric.employee@gatehouse.demo").await;
        let maria = user(app, "maria.manager@gatehouse.demo").await;
        let ada = user(app, "ada.admin@gatehouse.demo").await;
        let before = slack.ask(&emma).await;

        // The policy then asks Ada too, in a second stage, and gives 5 days.
        let mut edited = escalating(app).await;
        let first = edited.approval.stages[0].clone();
        edited.approval.stages.push(ApprovalStage {
            primary_approvers: vec![Approver::SingleUser(ada.id.clone())],
            is_escalation_enabled: false,
            escalation_approvers: vec![],
            ..first
        });
        edited.expiration = Expiration::AfterDays(5);
        gatehouse::service::packages::update_policy(
            &app.store,
            &Actor::system(),
            hidden,
            &gatehouse::domain::ids::PolicyId::from_stored(pid.clone()),
            &edited,
            clock.now(),
        )
        .await
        .unwrap();
        let after = slack.ask(&eric).await;
        // Whole days from now (stored times keep microseconds, not nanoseconds).
        let days = |end: String| {
            let left = gatehouse::store::parse_ts(&end).unwrap() - clock.now();
            (left + Duration::seconds(1)).num_days()
        };

        // Emma's request, made before the edit, is held to the policy as it
        // was: Maria's approval is the last, and access lasts 20 days.
        let decided = decide(&app.store, &maria, &before.id, true, None, clock.now()).await;
        assert_eq!(decided.unwrap(), RequestState::Delivered);
        assert_eq!(days(end_of(app, &emma.id, hidden).await), 20);

        // Eric's, made after, waits for Ada at a second stage, and lasts 5 days.
        let decided = decide(&app.store, &maria, &after.id, true, None, clock.now()).await;
        assert_eq!(decided.unwrap(), RequestState::PendingApproval);
        let decided = decide(&app.store, &ada, &after.id, true, None, clock.now()).await;
        assert_eq!(decided.unwrap(), RequestState::Delivered);
        assert_eq!(days(end_of(app, &eric.id, hidden).await), 5);
    }
);

both!(
    needs_attention_lists_a_request_near_its_deadline_until_it_is_decided,
    |backend| async move {
        let slack = Slack::new(backend).await;
        let (app, clock) = (&slack.app, &slack.clock);
        let emma = user(app, "emma.employee@gatehouse.demo").await;
        let eric = user(app, "eric.employee@gatehouse.demo").await;
        let maria = user(app, "maria.manager@gatehouse.demo").await;
        let approved = slack.ask(&emma).await;
        let undecided = slack.ask(&eric).await;
        let home = || async {
            let admin = Browser::new();
            app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
            admin.get(&app.url(routes::ADMIN)).await
        };
        // Made today, neither needs attention yet.
        let page = home().await;
        assert!(!page.has("Emma Employee") && !page.has("Eric Employee"));

        // A day before Maria's 5 days run out, both do.
        clock.advance(Duration::days(4));
        let page = home().await;
        assert!(
            page.has("Emma Employee")
                && page.has("Eric Employee")
                && page.has("Expires within two days without a decision"),
            "{}",
            page.body
        );

        // Maria approves Emma's: delivered, it needs nobody any more.
        let decided = decide(&app.store, &maria, &approved.id, true, None, clock.now()).await;
        assert_eq!(decided.unwrap(), RequestState::Delivered);
        let page = home().await;
        assert!(!page.has("Emma Employee") && page.has("Eric Employee"));

        // At the deadline the jobs expire Eric's only, and it leaves the list.
        clock.advance(Duration::days(1) + Duration::minutes(1));
        assert_eq!(run(app, clock).await.denied, 1);
        assert_eq!(request_state(app, approved.id.as_str()).await, "delivered");
        assert_eq!(request_state(app, undecided.id.as_str()).await, "expired");
        let page = home().await;
        assert!(!page.has("Emma Employee") && !page.has("Eric Employee"));
    }
);

both!(
    a_blocked_approver_hands_over_and_is_not_reminded,
    |backend| async move {
        let slack = Slack::new(backend).await;
        let (app, clock) = (&slack.app, &slack.clock);
        // A policy Maria decides, with Ada as its fallback approver.
        let ada = user(app, "ada.admin@gatehouse.demo").await;
        let mut policy = escalating(app).await;
        policy.display_name = "Maria, else Ada".into();
        let first = &mut policy.approval.stages[0];
        first.fallback_primary_approvers = vec![Approver::SingleUser(ada.id.clone())];
        first.is_escalation_enabled = false;
        first.escalation_approvers = vec![];
        let pid = gatehouse::service::packages::add_policy(
            &app.store,
            &Actor::system(),
            &slack.hidden,
            &policy,
            clock.now(),
        )
        .await
        .unwrap();
        let emma = user(app, "emma.employee@gatehouse.demo").await;
        let person = Person::User(emma);
        submit(
            &app.store,
            &person,
            &slack.hidden,
            &input(pid.as_str()),
            clock.now(),
        )
        .await
        .unwrap();
        // An administrator blocks Maria on her page: Ada is asked instead.
        let maria = user(app, "maria.manager@gatehouse.demo").await;
        let admin = Browser::new();
        app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
        let page_url = app.url(routes::ADMIN_USERS.item.id(&maria.id));
        let page = admin.get(&page_url).await;
        let blocked = admin
            .post(
                &page_url,
                &[
                    ("csrf_token", &page.csrf()),
                    ("user_type", "member"),
                    ("display_name", "Maria Manager"),
                    ("email", "maria.manager@gatehouse.demo"),
                    ("job_title", "Marketing manager"),
                    ("department", "Marketing"),
                    ("manager_email", ""),
                    ("state", "blocked"),
                ],
            )
            .await;
        assert_eq!(blocked.status, 303, "{}", blocked.body);
        let asked = "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'approvalRequest' AND to_address = 'ada.admin@gatehouse.demo'";
        assert_eq!(count(app, asked).await, 1);
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM audit_events WHERE action = 'Hand over approval (approver blocked by an administrator)'").await,
            1
        );
        // Halfway to the deadline, Ada is reminded; Maria, blocked, is not.
        clock.advance(Duration::days(3));
        assert_eq!(run(app, clock).await.approvals_reminded, 1);
        let reminded = |to: &str| {
            format!(
                "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'approvalReminder' AND to_address = '{to}'"
            )
        };
        assert_eq!(count(app, &reminded("ada.admin@gatehouse.demo")).await, 1);
        assert_eq!(
            count(app, &reminded("maria.manager@gatehouse.demo")).await,
            0
        );
    }
);

both!(
    escalation_denial_reminders_and_expiry_follow_the_clock,
    |backend| async move {
        let slack = Slack::new(backend).await;
        let (app, clock, hidden) = (&slack.app, &slack.clock, &slack.hidden);
        let emma = user(app, "emma.employee@gatehouse.demo").await;
        let eric = user(app, "eric.employee@gatehouse.demo").await;
        let ada = user(app, "ada.admin@gatehouse.demo").await;
        let for_emma = slack.ask(&emma).await;
        let for_eric = slack.ask(&eric).await;
        assert_eq!(for_emma.state, RequestState::PendingApproval);

        // A day on, halfway to the escalation, Maria is reminded of each
        // request, once. Ada is not an approver before the escalation.
        clock.advance(Duration::days(1) - Duration::minutes(1));
        assert_eq!(run(app, clock).await, Report::default());
        clock.advance(Duration::minutes(1));
        let reminded = Report {
            approvals_reminded: 2,
            ..Report::default()
        };
        assert_eq!(run(app, clock).await, reminded);
        assert_eq!(run(app, clock).await, Report::default(), "reminded once");
        // The audit log says so, once for each request.
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM audit_events WHERE action = 'Remind approvers of access package assignment request'").await,
            2
        );
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'approvalReminder' AND to_address = 'maria.manager@gatehouse.demo'").await,
            2
        );
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'approvalReminder'"
            )
            .await,
            2
        );
        assert!(
            decide(&app.store, &ada, &for_emma.id, true, None, clock.now())
                .await
                .is_err()
        );

        // Two days on, both requests go to Ada, with a forwarded mail.
        clock.advance(Duration::days(1) + Duration::hours(1));
        assert_eq!(run(app, clock).await.escalated, 2);
        assert_eq!(run(app, clock).await.escalated, 0, "escalated once only");
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'approvalForwarded' AND to_address = 'ada.admin@gatehouse.demo'").await,
            2
        );
        let delivered = decide(&app.store, &ada, &for_emma.id, true, None, clock.now())
            .await
            .unwrap();
        assert_eq!(delivered, RequestState::Delivered);
        // Maria, still an approver of the stage, hears that it no longer waits
        // for her; Ada, who decided, does not.
        let told = queued(app, "stageDecided", "maria.manager@gatehouse.demo").await;
        let told = gatehouse::notify::render(&told, "https://gh.example").unwrap();
        assert_eq!(
            told.subject,
            "Request approved for Emma Employee to Slack administration"
        );
        assert!(
            told.text
                .starts_with("Ada Admin approved Emma Employee's request"),
            "{}",
            told.text
        );
        assert_eq!(
            told.link,
            format!("https://gh.example/approvals/{}", for_emma.id)
        );
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'stageDecided'"
            )
            .await,
            1
        );

        // Nobody decides Eric's request: it expires after five days.
        clock.advance(Duration::days(2));
        assert_eq!(run(app, clock).await.denied, 0);
        clock.advance(Duration::days(1));
        assert_eq!(run(app, clock).await.denied, 1);
        assert_eq!(request_state(app, for_eric.id.as_str()).await, "expired");
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'requestExpired' AND to_address = 'eric.employee@gatehouse.demo'").await,
            1
        );
        // Both of the stage's approvers, Maria and Ada after the escalation,
        // are told that it expired undecided.
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'approvalExpired' AND to_address IN ('maria.manager@gatehouse.demo', 'ada.admin@gatehouse.demo')").await,
            2
        );
        assert!(
            decide(
                &app.store,
                &user(app, "maria.manager@gatehouse.demo").await,
                &for_eric.id,
                true,
                None,
                clock.now()
            )
            .await
            .is_err(),
            "an expired request cannot be approved"
        );

        // Emma's access lasts 20 days from delivery (day 2): reminders at
        // 14 days and 1 day before, then it ends.
        clock.advance(Duration::days(3) - Duration::hours(1)); // day 8: 14 days and an hour left
        assert_eq!(run(app, clock).await.reminded, 0);
        clock.advance(Duration::hours(1));
        assert_eq!(run(app, clock).await.reminded, 1);
        assert_eq!(run(app, clock).await.reminded, 0, "one reminder per window");
        let message = queued(app, "accessExpiring", "emma.employee@gatehouse.demo").await;
        assert!(
            matches!(&message, Message::AccessExpiring(e) if e.days == 14 && e.can_extend),
            "{message:?}"
        );
        let rendered = gatehouse::notify::render(&message, "https://gh.example").unwrap();
        assert_eq!(
            rendered.link,
            format!("https://gh.example/access-packages/{hidden}")
        );
        assert!(
            rendered.subject.starts_with("Extend access for ")
                && rendered.subject.ends_with(" UTC")
                && rendered.text.contains("in 14 days"),
            "{}",
            rendered.subject
        );
        clock.advance(Duration::days(13));
        assert_eq!(run(app, clock).await.reminded, 1, "the one-day reminder");
        assert!(
            gatehouse::store::directory::roles_held_by(
                &mut app.store.read().await.unwrap(),
                &emma.id
            )
            .await
            .unwrap()
            .iter()
            .any(|h| h.role == "Owner")
        );
        clock.advance(Duration::days(1));
        let r = run(app, clock).await;
        assert_eq!(r.expired, 1);
        assert!(
            !gatehouse::store::directory::roles_held_by(
                &mut app.store.read().await.unwrap(),
                &emma.id
            )
            .await
            .unwrap()
            .iter()
            .any(|h| h.role == "Owner"),
            "the Slack Owner role is taken back"
        );
        assert_eq!(run(app, clock).await.expired, 0, "expired once only");
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessEnded' AND to_address = 'emma.employee@gatehouse.demo'").await,
            1
        );
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM audit_events WHERE action = 'Access package assignment expired'").await,
            1
        );
    }
);

#[tokio::test]
async fn holders_extend_their_access_from_my_access_in_its_last_days() {
    let clock = Clock::manual(chrono::Utc::now());
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.clock = Some(clock.clone());
    let app = spawn(opts).await;
    let employees = package(&app, "Marketing resources for employees").await;
    let eric = user(&app, "eric.employee@gatehouse.demo").await;
    let policy = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::policies::for_package(&mut c, &employees)
            .await
            .unwrap()
            .remove(0)
            .0
    };
    let r = submit(
        &app.store,
        &Person::User(eric.clone()),
        &employees,
        &input(&policy),
        clock.now(),
    )
    .await
    .unwrap();
    decide(
        &app.store,
        &user(&app, "maria.manager@gatehouse.demo").await,
        &r.id,
        true,
        Some("Welcome"),
        clock.now(),
    )
    .await
    .unwrap();
    let first_end = end_of(&app, &eric.id, &employees).await;
    let link = app.url(routes::PACKAGE.id(&employees));

    clock.advance(Duration::days(100));
    let browser = Browser::new();
    app.demo_sign_in(&browser, "eric.employee@gatehouse.demo")
        .await;
    let early = browser.get(&link).await;
    assert!(early.has("You already have this access package."));
    let ends = chrono::DateTime::parse_from_rfc3339(&first_end).unwrap();
    assert!(
        early.has(&format!(
            "Your access ends on <strong><time datetime=\"{}\"",
            ends.to_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )),
        "the end, in the holder's zone: {}",
        early.body
    );
    assert!(early.has("You can ask to extend your access in its last 14 days"));
    assert!(!early.has("Request extension"));

    clock.advance(Duration::days(252)); // 13 days left
    assert_eq!(run(&app, &clock).await.reminded, 1);
    let browser = Browser::new();
    app.demo_sign_in(&browser, "eric.employee@gatehouse.demo")
        .await;
    let form = browser.get(&link).await;
    assert!(form.has("Request extension"), "{}", form.body);
    let missing = browser
        .post(&format!("{link}/extend"), &[("csrf_token", &form.csrf())])
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing.has("A business justification is required."));
    let done = browser
        .post(
            &format!("{link}/extend"),
            &[
                ("csrf_token", &form.csrf()),
                ("justification", "Next season too"),
            ],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some(routes::REQUESTS.as_str()),
        "{}",
        done.body
    );
    let requests = browser.get(&app.url(routes::REQUESTS)).await;
    assert!(requests.has("Your access was extended."));
    let new_end = end_of(&app, &eric.id, &employees).await;
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    assert_eq!(parse(&new_end) - parse(&first_end), Duration::days(365));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessExtended'"
        )
        .await,
        1
    );
    // The reminders start over for the new end.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM access_package_assignments WHERE reminded_days IS NOT NULL"
        )
        .await,
        0
    );
}

async fn end_of(app: &TestApp, user: &UserId, package: &AccessPackageId) -> String {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::assignments::active_for(&mut c, user, package)
        .await
        .unwrap()
        .unwrap()
        .end_at
        .unwrap()
}

fn guest(n: u32) -> ExternalIdentity {
    ExternalIdentity {
        issuer: "urn:test-provider".into(),
        subject: format!("guest-{n}"),
        email: format!(
            "guest{n}.{}@partner.example",
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        ),
        display_name: format!("Guest {n}"),
        connected_organization: None,
    }
}

/// A new guest requests the guests' package and Maria approves: the governed guest.
async fn onboard(app: &TestApp, clock: &Clock, who: &ExternalIdentity) -> User {
    let package = package(app, "Marketing resources for guests").await;
    let policy = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::policies::for_package(&mut c, &package)
            .await
            .unwrap()
            .into_iter()
            .find(|(_, p)| p.display_name == "Policy for regular guest and new guest users")
            .unwrap()
            .0
    };
    let mut i = input(&policy);
    i.attributes = guest_attributes("Gia", "Partner", "Agent");
    i.answers = guest_answers();
    let r = submit(
        &app.store,
        &Person::External(who.clone()),
        &package,
        &i,
        clock.now(),
    )
    .await
    .unwrap();
    let maria = user(app, "maria.manager@gatehouse.demo").await;
    assert_eq!(
        decide(&app.store, &maria, &r.id, true, Some("ok"), clock.now())
            .await
            .unwrap(),
        RequestState::Delivered
    );
    user(app, &who.email).await
}

#[tokio::test]
async fn a_guest_the_lifecycle_blocks_hands_over_what_waits_on_them() {
    let clock = Clock::manual(chrono::Utc::now());
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.clock = Some(clock.clone());
    let app = spawn(opts).await;
    let gia = onboard(&app, &clock, &guest(2)).await;
    // Gia, a governed guest, decides Slack administration requests; Ada
    // when nobody else can.
    let ada = user(&app, "ada.admin@gatehouse.demo").await;
    let mut policy = escalating(&app).await;
    let first = &mut policy.approval.stages[0];
    first.primary_approvers = vec![Approver::SingleUser(gia.id.clone())];
    first.fallback_primary_approvers = vec![Approver::SingleUser(ada.id.clone())];
    first.is_escalation_enabled = false;
    first.escalation_approvers = vec![];
    let slack = package(&app, "Slack administration").await;
    let pid = gatehouse::service::packages::add_policy(
        &app.store,
        &Actor::system(),
        &slack,
        &policy,
        clock.now(),
    )
    .await
    .unwrap();
    let emma = user(&app, "emma.employee@gatehouse.demo").await;
    let asked = submit(
        &app.store,
        &Person::User(emma),
        &slack,
        &input(pid.as_str()),
        clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(asked.state, RequestState::PendingApproval);

    // Gia's access is removed; the guest lifecycle blocks her, and Emma's
    // request goes to Ada, who is asked and decides it.
    let guests = package(&app, "Marketing resources for guests").await;
    let held = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::assignments::active_for(&mut c, &gia.id, &guests)
            .await
            .unwrap()
            .unwrap()
    };
    gatehouse::service::assignments::remove(
        &app.store,
        &Actor::system(),
        &guests,
        &AssignmentId::parse(held.id.as_str()).expect("an id"),
        clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(run(&app, &clock).await.blocked, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'approvalRequest' AND to_address = 'ada.admin@gatehouse.demo'").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events WHERE action = 'Hand over approval (approver blocked by the guest lifecycle)'").await,
        1
    );
    let decided = decide(&app.store, &ada, &asked.id, true, None, clock.now()).await;
    assert_eq!(decided.unwrap(), RequestState::Delivered);
}

/// Ada, signed in afresh, saves the guest lifecycle settings; the answer.
async fn save_lifecycle(app: &TestApp, action: &str, days: &str) -> Page {
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let page = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    let form = [
        ("csrf_token", page.csrf()),
        ("action", action.to_string()),
        ("days", days.to_string()),
    ];
    let form = form.each_ref().map(|(k, v)| (*k, v.as_str()));
    admin.post(&app.url(routes::ADMIN_SETTINGS), &form).await
}

#[tokio::test]
async fn the_guest_lifecycle_blocks_then_deletes_governed_guests() {
    let clock = Clock::manual(chrono::Utc::now());
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.clock = Some(clock.clone());
    let app = spawn(opts).await;
    let first = guest(1);
    let gia = onboard(&app, &clock, &first).await;
    assert!(gia.governed && !gia.is_blocked());
    // Gary, a guest an administrator created, is not governed: never touched.
    let gary = user(&app, "gary.guest@contoso.com").await;
    assert!(!gary.governed);

    // The guests' policy gives 180 days; then the access ends and Gia is blocked.
    clock.advance(Duration::days(181));
    let r = run(&app, &clock).await;
    assert_eq!((r.expired, r.blocked, r.deleted), (1, 1, 0));
    let gia = user(&app, &first.email).await;
    assert!(gia.is_blocked());
    // Her page says so, and when she goes: 30 days on (the default).
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let page = admin
        .get(&app.url(routes::ADMIN_USERS.item.id(&gia.id)))
        .await;
    let removal = (clock.now() + Duration::days(30)).format("%Y-%m-%d %H:%M UTC");
    assert!(
        page.has("Guest lifecycle: governed.")
            && page.has("Blocked by the guest lifecycle on")
            && page.has(&format!(
                r#"to be removed from the directory on <time datetime="{}"#,
                (clock.now() + Duration::days(30)).format("%Y-%m-%dT%H:%M")
            ))
            && page.has(&removal.to_string()),
        "{}",
        page.body
    );
    let page = admin
        .get(&app.url(routes::ADMIN_USERS.item.id(&gary.id)))
        .await;
    assert!(page.has("Guest lifecycle: not governed."), "{}", page.body);
    let claims = gatehouse::service::sign_in::VerifiedClaims {
        issuer: first.issuer.clone(),
        subject: first.subject.clone(),
        email: Some(first.email.clone()),
        email_verified: Some(true),
        name: None,
        given_name: None,
        family_name: None,
        ..Default::default()
    };
    let refused = gatehouse::service::sign_in::sign_in(
        &app.store,
        &claims,
        gatehouse::domain::user::UserType::Guest,
        true,
        clock.now(),
    )
    .await;
    assert!(
        matches!(refused, Err(gatehouse::service::ServiceError::Refused(m)) if m.contains("blocked"))
    );
    let package = package(&app, "Marketing resources for guests").await;
    let policy = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::policies::for_package(&mut c, &package)
            .await
            .unwrap()
            .remove(0)
            .0
    };
    assert!(
        submit(
            &app.store,
            &Person::User(gia.clone()),
            &package,
            &input(&policy),
            clock.now()
        )
        .await
        .is_err(),
        "a blocked guest cannot request"
    );

    // Thirty days later (the default), Gia is deleted; her request stays as history.
    clock.advance(Duration::days(29));
    assert_eq!(run(&app, &clock).await.deleted, 0);
    clock.advance(Duration::days(2));
    assert_eq!(run(&app, &clock).await.deleted, 1);
    let mut c = app.store.read().await.unwrap();
    assert!(
        gatehouse::store::users::get(&mut c, &gia.id)
            .await
            .unwrap()
            .is_none()
    );
    drop(c);
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM assignment_requests WHERE target_email = '{}' AND target_id IS NULL", first.email)).await,
        1
    );
    assert!(!user(&app, "gary.guest@contoso.com").await.is_blocked());
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events WHERE action LIKE 'Block guest user%' OR action LIKE 'Delete guest user%'").await,
        2
    );

    // The settings page: "block only" keeps blocked guests; "do nothing" keeps them active.
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let page = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    assert!(page.has("value=\"blockSignInAndDelete\" checked"));
    let bad = save_lifecycle(&app, "blockSignInAndDelete", "366").await;
    assert_eq!(bad.status, 422);
    assert!(bad.has("Enter a number of days from 0 to 365."));
    // No days: a guest whose last access ends is removed at once.
    let saved = save_lifecycle(&app, "blockSignInAndDelete", "0").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let at_once = guest(4);
    onboard(&app, &clock, &at_once).await;
    clock.advance(Duration::days(181));
    let r = run(&app, &clock).await;
    assert_eq!((r.blocked, r.deleted), (1, 1));
    let mut c = app.store.read().await.unwrap();
    let gone = gatehouse::store::users::find_by_email(&mut c, &at_once.email)
        .await
        .unwrap();
    assert!(gone.is_none(), "{gone:?}");
    drop(c);

    // Half a year on, the administrator signs in again.
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let saved = save_lifecycle(&app, "blockSignIn", "30").await;
    assert_eq!(saved.status, 303);
    let page = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    assert!(page.has("value=\"blockSignIn\" checked"), "{}", page.body);
    let second = guest(2);
    onboard(&app, &clock, &second).await;
    clock.advance(Duration::days(181));
    assert_eq!(run(&app, &clock).await.blocked, 1);
    clock.advance(Duration::days(60));
    assert_eq!(run(&app, &clock).await.deleted, 0, "block only: kept");
    let second_user = user(&app, &second.email).await;
    assert!(second_user.is_blocked());
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let page = admin
        .get(&app.url(routes::ADMIN_USERS.item.id(&second_user.id)))
        .await;
    assert!(page.has("kept in the directory."), "{}", page.body);
    // A change of the settings applies to guests blocked from then on: the
    // guest blocked to be kept is kept, even with removal at once now.
    let page = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    assert!(page.has("Changes apply to guests blocked from then on"));
    let saved = save_lifecycle(&app, "blockSignInAndDelete", "0").await;
    assert_eq!(saved.status, 303);
    assert_eq!(run(&app, &clock).await.deleted, 0, "kept as blocked before");
    assert!(user(&app, &second.email).await.is_blocked());

    save_lifecycle(&app, "none", "").await;
    let third = guest(3);
    onboard(&app, &clock, &third).await;
    clock.advance(Duration::days(181));
    let r = run(&app, &clock).await;
    assert_eq!((r.expired, r.blocked), (1, 0));
    assert!(!user(&app, &third.email).await.is_blocked());
}

#[tokio::test]
async fn two_instances_on_one_postgres_database_do_each_job_once() {
    use gatehouse::domain::user::{Email, UserProfile, UserState, UserType};
    let start = chrono::Utc::now();
    let clock = Clock::manual(start);
    let mut opts = Options::new(Backend::Postgres).demo();
    opts.clock = Some(clock.clone());
    let first = spawn(opts).await;
    let mut opts = Options::new(Backend::Postgres).demo();
    opts.database = Some(first.database.clone());
    opts.clock = Some(clock.clone());
    let second = spawn(opts).await;
    // Sixty people and thirty packages, through the product: 1,800
    // assignments, of which 1,200 end tomorrow and 600 in six days.
    let ada = user(&first, "ada.admin@gatehouse.demo").await;
    let mut people = vec![];
    for n in 0..60 {
        let profile = UserProfile {
            user_type: UserType::Member,
            display_name: format!("Person {n}"),
            given_name: None,
            surname: None,
            email: Email::parse(&format!("person{n}@gatehouse.demo")).unwrap(),
            job_title: None,
            department: None,
            custom_attributes: Default::default(),
            state: UserState::Active,
        };
        people.push(
            gatehouse::service::directory::create_user(
                &first.store,
                &Actor::system(),
                &profile,
                "",
                clock.now(),
            )
            .await
            .unwrap(),
        );
    }
    let catalog = catalog_id(&first.store, "Marketing").await;
    let admin_only = Policy {
        display_name: "Administrators assign".into(),
        description: None,
        enabled: true,
        allowed_target_scope: AllowedTargetScope::NotSpecified,
        specific_allowed_targets: vec![],
        requestor: RequestorSettings::default(),
        approval: ApprovalSettings::default(),
        questions: vec![],
        expiration: Expiration::AfterDays(30),
        assignment_notifications: true,
        automatic: None,
    };
    let day = |d: i64| (start + Duration::days(d)).format("%Y-%m-%d").to_string();
    for k in 0..30 {
        let package = gatehouse::service::packages::create(
            &first.store,
            &Actor::system(),
            &gatehouse::domain::catalog_role::CatalogScope::All,
            &catalog,
            &gatehouse::service::packages::Basics {
                name: format!("Campaign {k}"),
                description: None,
            },
            false,
            &[],
            &admin_only,
            clock.now(),
        )
        .await
        .unwrap();
        let policy = {
            let mut c = first.store.read().await.unwrap();
            gatehouse::store::policies::for_package(&mut c, &package)
                .await
                .unwrap()
                .remove(0)
                .0
        };
        let end = if k < 20 { day(1) } else { day(6) };
        gatehouse::service::requests::assign(
            &first.store,
            &ada,
            &package,
            &gatehouse::service::requests::NewAssignment {
                policy: gatehouse::domain::ids::PolicyId::parse(&policy),
                users: (0..60)
                    .map(|n| format!("person{n}@gatehouse.demo"))
                    .collect(),
                groups: vec![],
                new_guest: None,
                period: PeriodInput {
                    start: &day(0),
                    end: &end,
                    tz: chrono_tz::UTC,
                },
                answers: Default::default(),
                attributes: Default::default(),
                bypass_approval: true,
                justification: Some("The campaign"),
            },
            clock.now(),
        )
        .await
        .unwrap();
    }
    // The day after tomorrow: the first 1,200 have ended, the rest end within 14 days.
    clock.advance(Duration::days(2) + Duration::hours(1));
    let (a, b) = tokio::join!(
        gatehouse::jobs::run_once(&first.store, &clock),
        gatehouse::jobs::run_once(&second.store, &clock),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.expired + b.expired > 0,
        "the two did the work: {a:?} {b:?}"
    );
    // Each instance skips the rows and people the other holds at that
    // moment, which a later run takes: the runs after finish the day's work,
    // and none of it is done twice.
    let mut runs = vec![a, b];
    for _ in 0..3 {
        let r = gatehouse::jobs::run_once(&first.store, &clock)
            .await
            .unwrap();
        if r.expired + r.reminded == 0 {
            break;
        }
        runs.push(r);
    }
    let expired: usize = runs.iter().map(|r| r.expired).sum();
    let reminded: usize = runs.iter().map(|r| r.reminded).sum();
    assert_eq!(expired, 1200, "{runs:?}");
    assert_eq!(reminded, 600, "{runs:?}");
    assert_eq!(
        count(
            &first,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessEnded'"
        )
        .await,
        1200
    );
    assert_eq!(
        count(
            &first,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessExpiring'"
        )
        .await,
        600
    );
    assert_eq!(
        count(
            &first,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'Access package assignment expired'"
        )
        .await,
        1200
    );
    // Run again on both: nothing is left to do.
    let again = gatehouse::jobs::run_once(&second.store, &clock)
        .await
        .unwrap();
    assert_eq!((again.expired, again.reminded), (0, 0));
}

/// A TCP relay to the test SMTP sink that can be switched off: while off it
/// refuses every connection, as a server that is down would.
async fn smtp_relay(up: std::sync::Arc<std::sync::atomic::AtomicBool>) -> u16 {
    let target = std::env::var("GATEHOUSE_TEST_SMTP_URL").unwrap();
    let target = url::Url::parse(&target.replace("smtp+insecure", "http")).unwrap();
    let target = format!("{}:{}", target.host_str().unwrap(), target.port().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            if !up.load(std::sync::atomic::Ordering::SeqCst) {
                drop(inbound);
                continue;
            }
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_goes_once_when_it_is_back() {
    let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let port = smtp_relay(up.clone()).await;
    let clock = Clock::manual(chrono::Utc::now());
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.clock = Some(clock.clone());
    opts.smtp_url = Some(format!("smtp+insecure://127.0.0.1:{port}"));
    let app = spawn(opts).await;
    let eric = user(&app, "eric.employee@gatehouse.demo").await;
    let employees = package(&app, "Marketing resources for employees").await;
    let policy = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::policies::for_package(&mut c, &employees)
            .await
            .unwrap()
            .remove(0)
            .0
    };
    let marker = format!("Outage drill {}", uuid::Uuid::new_v4().simple());
    let mut i = input(&policy);
    i.justification = Some(&marker);
    submit(&app.store, &Person::User(eric), &employees, &i, clock.now())
        .await
        .unwrap();

    // The worker tries, fails, and keeps the message with the reason.
    let mut tries = 0;
    while count(&app, "SELECT COUNT(*) FROM mail_outbox WHERE attempts > 0").await == 0 {
        tries += 1;
        assert!(tries < 100, "the worker never tried");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND last_error IS NOT NULL"
        )
        .await,
        1
    );
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    assert!(
        admin
            .get(&app.url(routes::ADMIN_MAIL))
            .await
            .has("Not sent after 1 attempt:")
    );

    // The server is back; once the retry is due, the mail goes, once.
    up.store(true, std::sync::atomic::Ordering::SeqCst);
    clock.advance(Duration::minutes(5));
    let mail = wait_for_mail(&[&marker]).await;
    assert!(mail.contains("maria.manager@gatehouse.demo"));
    // More worker rounds and a later clock send nothing again.
    clock.advance(Duration::hours(2));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NOT NULL"
        )
        .await,
        1
    );
    let dir =
        std::path::PathBuf::from(std::env::var("GATEHOUSE_TEST_MAILDIR").unwrap()).join("new");
    let copies = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .replace("=\r\n", "")
                .replace("=\n", "")
                .contains(&marker)
        })
        .count();
    assert_eq!(copies, 1, "sent exactly once");
}

#[tokio::test]
async fn an_extension_goes_through_approval_when_the_policy_asks() {
    let clock = Clock::manual(chrono::Utc::now());
    let mut opts = Options::new(Backend::Postgres).demo();
    opts.clock = Some(clock.clone());
    let app = spawn(opts).await;
    let (hidden, pid) = escalating_policy(&app, &clock).await;
    let emma = user(&app, "emma.employee@gatehouse.demo").await;
    let maria = user(&app, "maria.manager@gatehouse.demo").await;
    let r = submit(
        &app.store,
        &Person::User(emma.clone()),
        &hidden,
        &input(&pid),
        clock.now(),
    )
    .await
    .unwrap();
    decide(&app.store, &maria, &r.id, true, None, clock.now())
        .await
        .unwrap();
    let first_end = end_of(&app, &emma.id, &hidden).await;
    clock.advance(Duration::days(10));
    let answers = std::collections::HashMap::new();
    let state = gatehouse::service::requests::request_extension(
        &app.store,
        &emma,
        &hidden,
        &answers,
        None,
        clock.now(),
        chrono_tz::UTC,
    )
    .await
    .unwrap();
    assert_eq!(state, RequestState::PendingApproval);
    assert_eq!(
        end_of(&app, &emma.id, &hidden).await,
        first_end,
        "unchanged until approved"
    );
    let again = gatehouse::service::requests::request_extension(
        &app.store,
        &emma,
        &hidden,
        &answers,
        None,
        clock.now(),
        chrono_tz::UTC,
    )
    .await;
    assert!(
        matches!(again, Err(gatehouse::service::ServiceError::Refused(m)) if m.contains("already have a request"))
    );
    let extension: String = {
        let mut c = app.store.read().await.unwrap();
        sqlx::query_scalar("SELECT id FROM assignment_requests WHERE request_type = 'userExtend'")
            .fetch_one(&mut *c)
            .await
            .unwrap()
    };
    assert_eq!(
        decide(
            &app.store,
            &maria,
            &extension.into(),
            true,
            None,
            clock.now()
        )
        .await
        .unwrap(),
        RequestState::Delivered
    );
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    assert_eq!(
        parse(&end_of(&app, &emma.id, &hidden).await) - parse(&first_end),
        Duration::days(20)
    );
}

both!(
    expiry_keeps_what_another_assignment_still_grants,
    |backend| async move {
        let app = spawn(Options::new(backend).demo()).await;
        let ada = user(&app, "ada.admin@gatehouse.demo").await;
        let eric = user(&app, "eric.employee@gatehouse.demo").await;
        let now = chrono::Utc::now();
        for name in [
            "Marketing resources for employees",
            "Marketing resources for guests",
        ] {
            let p = package(&app, name).await;
            let policy = {
                let mut c = app.store.read().await.unwrap();
                gatehouse::store::policies::for_package(&mut c, &p)
                    .await
                    .unwrap()
                    .remove(0)
                    .0
            };
            let attributes = [
                ("attr_givenName".to_string(), "Eric".to_string()),
                ("attr_surname".to_string(), "Employee".to_string()),
                ("attr_jobTitle".to_string(), "Planner".to_string()),
            ]
            .into();
            // The employees' access is for today and tomorrow only.
            let (start, end) = if name.ends_with("employees") {
                (
                    now.format("%Y-%m-%d").to_string(),
                    (now + Duration::days(1)).format("%Y-%m-%d").to_string(),
                )
            } else {
                (String::new(), String::new())
            };
            gatehouse::service::requests::assign(
                &app.store,
                &ada,
                &p,
                &gatehouse::service::requests::NewAssignment {
                    policy: gatehouse::domain::ids::PolicyId::parse(&policy),
                    users: vec![eric.email.clone()],
                    groups: vec![],
                    new_guest: None,
                    period: PeriodInput {
                        start: &start,
                        end: &end,
                        tz: chrono_tz::UTC,
                    },
                    answers: guest_answers(),
                    attributes,
                    bypass_approval: true,
                    justification: Some("Both teams"),
                },
                now,
            )
            .await
            .unwrap();
        }
        // Three days on, the employees' assignment has ended.
        let r = gatehouse::jobs::expiry::run(&app.store, now + Duration::days(3))
            .await
            .unwrap();
        assert_eq!(r, 1);
        let held: Vec<String> = {
            let mut c = app.store.read().await.unwrap();
            gatehouse::store::directory::roles_held_by(&mut c, &eric.id)
                .await
                .unwrap()
                .into_iter()
                .map(|h| format!("{} {}", h.resource_name, h.role))
                .collect()
        };
        assert!(
            held.contains(&"Marketing Team member".to_string()),
            "{held:?}"
        );
        assert!(held.contains(&"Slack User".to_string()), "{held:?}");
        assert!(
            !held
                .iter()
                .any(|h| h.starts_with("SG-Marketing-Department-InternalUsers")),
            "only the employees' package granted this: {held:?}"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessEnded' AND to_address = 'eric.employee@gatehouse.demo'").await,
            1
        );
    }
);

both!(
    a_stage_forwards_to_the_second_level_manager_else_its_fallback,
    |backend| async move {
        let slack = Slack::new(backend).await;
        let (app, clock, hidden) = (&slack.app, &slack.clock, &slack.hidden);
        let admin = Browser::new();
        app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
        // Maria, Emma's manager, reports to Ada (set on Maria's page).
        let maria = user(app, "maria.manager@gatehouse.demo").await;
        let url = app.url(routes::ADMIN_USERS.item.id(&maria.id));
        let page = admin.get(&url).await;
        let field = |k: &str| page.input(k).unwrap_or_default();
        let kept = [
            "display_name",
            "given_name",
            "surname",
            "email",
            "job_title",
            "department",
        ]
        .map(|k| (k, field(k)));
        let mut form: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let csrf = page.csrf();
        form.extend([
            ("csrf_token", csrf.as_str()),
            ("user_type", "member"),
            ("state", "active"),
            ("manager_email", "ada.admin@gatehouse.demo"),
        ]);
        let saved = admin.post(&url, &form).await;
        assert_eq!(saved.status, 303, "{}", saved.body);

        // A policy: the requestor's manager decides within 5 days; after 2
        // it goes to the second level manager as well, else to Eric.
        let new = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(hidden)))
            .await;
        let csrf = new.csrf();
        let policy_form = |fallback: &'static str| {
            vec![
                ("csrf_token", csrf.as_str()),
                ("policy_name", "Managers"),
                ("scope", "allMemberUsers"),
                ("enabled", "on"),
                ("enable_requests", "on"),
                ("approval_required", "on"),
                ("stage_count", "1"),
                ("s1_manager", "on"),
                ("s1_fallback_users", "ada.admin@gatehouse.demo"),
                ("s1_days", "5"),
                ("s1_escalation", "on"),
                ("s1_escalation_days", "2"),
                ("s1_alt_manager", "on"),
                ("s1_alt_fallback_users", fallback),
                ("expiration_type", "days"),
                ("expiration_days", "20"),
                ("q_count", "0"),
            ]
        };
        let policies = app.url(routes::ADMIN_PACKAGE_POLICIES.id(hidden));
        let refused = admin.post(&policies, &policy_form("")).await;
        assert_eq!(refused.status, 422);
        assert!(
            refused
                .has("The second level manager can be missing: add fallback alternate approvers."),
            "{}",
            refused.body
        );
        let created = admin
            .post(&policies, &policy_form("eric.employee@gatehouse.demo"))
            .await;
        assert_eq!(created.status, 303, "{}", created.body);
        let pid = policy_named(app, hidden, "Managers").await;
        let edit = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICY.ids(hidden, &pid)))
            .await;
        assert!(
            edit.has(r#"name="s1_alt_manager" value="on" checked"#)
                && edit.has(">eric.employee@gatehouse.demo</textarea>"),
            "{}",
            edit.body
        );

        // Emma asks: Maria is asked; two days on, Ada, Maria's manager, too,
        // and Ada decides.
        let ask = async |who: &User| {
            let person = Person::User(who.clone());
            submit(&app.store, &person, hidden, &input(&pid), clock.now())
                .await
                .unwrap()
        };
        let emma = user(app, "emma.employee@gatehouse.demo").await;
        let emmas = ask(&emma).await;
        clock.advance(Duration::days(2) + Duration::minutes(1));
        assert_eq!(run(app, clock).await.escalated, 1);
        let forwarded = queued(app, "approvalForwarded", "ada.admin@gatehouse.demo").await;
        assert!(
            matches!(forwarded, Message::ApprovalForwarded(_)),
            "{forwarded:?}"
        );
        let ada = user(app, "ada.admin@gatehouse.demo").await;
        let decided = decide(&app.store, &ada, &emmas.id, true, None, clock.now()).await;
        assert_eq!(decided.unwrap(), RequestState::Delivered);

        // Maria asks: Ada, her manager, is asked; Ada has no manager, so
        // two days on it goes to Eric, the fallback.
        let marias = ask(&maria).await;
        clock.advance(Duration::days(2) + Duration::minutes(1));
        assert_eq!(run(app, clock).await.escalated, 1);
        queued(app, "approvalForwarded", "eric.employee@gatehouse.demo").await;
        let eric = user(app, "eric.employee@gatehouse.demo").await;
        let decided = decide(&app.store, &eric, &marias.id, true, None, clock.now()).await;
        assert_eq!(decided.unwrap(), RequestState::Delivered);
    }
);
