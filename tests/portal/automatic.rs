//! Automatic assignment policies: an administrator writes a rule, checks
//! whom it matches, and the lifecycle jobs assign the package to the people
//! it matches and take it back, after the grace period, from those who stop
//! matching.

use chrono::Duration;
use gatehouse::routes;

use crate::both;
use crate::helpers::*;

const PACKAGE: &str = "Marketing resources for employees";
const RULE: &str = r#"user.department -eq "Marketing" -and user.jobTitle -ne "Marketing manager""#;
const EMMA: &str = "emma.employee@gatehouse.demo";

/// Posts the automatic policy form (new, or the policy at `url`); the answer.
async fn post_policy(b: &Browser, url: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = b.get(url).await.csrf();
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(url, &form).await
}

/// An administrator signed in now (the test clock moves past sessions' ends).
async fn ada(app: &TestApp) -> Browser {
    let b = Browser::new();
    app.demo_sign_in(&b, "ada.admin@gatehouse.demo").await;
    b
}

/// Saves `email`'s user page with `fields`, as an administrator does.
async fn edit_user(app: &TestApp, email: &str, fields: &[(&str, &str)]) {
    let admin = ada(app).await;
    let url = app.url(routes::ADMIN_USERS.item.id(user_named(app, email).await.id));
    let csrf = admin.get(&url).await.csrf();
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let saved = admin.post(&url, &form).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
}

/// Moves Emma to `department` through her user page.
async fn move_emma(app: &TestApp, department: &str) {
    let fields = [
        ("user_type", "member"),
        ("display_name", "Emma Employee"),
        ("given_name", "Emma"),
        ("surname", "Employee"),
        ("email", EMMA),
        ("job_title", "Content writer"),
        ("department", department),
        ("manager_email", "maria.manager@gatehouse.demo"),
        ("state", "active"),
    ];
    edit_user(app, EMMA, &fields).await;
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut c = app.store.read().await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut *c).await.unwrap()
}

both!(
    an_automatic_policy_assigns_whom_its_rule_matches_and_removes_who_leaves,
    |backend| async move {
        let (app, admin, clock) = crate::correctness::demo(backend).await;
        let package = package_named(&app, PACKAGE).await;
        let tab = app.url(routes::ADMIN_PACKAGE_POLICIES.id(&package));
        let new = app.url(routes::ADMIN_PACKAGE_AUTOMATIC_NEW.id(&package));
        assert!(
            admin
                .get(&tab)
                .await
                .has("+ Add automatic assignment policy")
        );

        // A broken rule and a missing name are answered beside their fields;
        // nothing is saved.
        let wrong = post_policy(
            &admin,
            &new,
            &[
                ("display_name", ""),
                ("rule", r#"user.office -eq "Paris""#),
                ("assign", "on"),
                ("grace_days", "2"),
            ],
        )
        .await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.has(r#"id="rule-error""#) && wrong.has("Unknown property “user.office”"));
        assert!(wrong.has(r#"id="display_name-error""#));
        let grace = post_policy(
            &admin,
            &new,
            &[
                ("display_name", "Marketing staff"),
                ("rule", RULE),
                ("grace_days", "400"),
            ],
        )
        .await;
        assert_eq!(grace.status, 422);
        assert!(grace.has(r#"id="grace_days-error""#));
        assert!(!admin.get(&tab).await.has("Marketing staff"));

        // "Check rule" lists whom the rule matches now, and saves nothing.
        let checked = post_policy(
            &admin,
            &new,
            &[
                ("display_name", "Marketing staff"),
                ("rule", RULE),
                ("preview", "1"),
            ],
        )
        .await;
        assert_eq!(checked.status, 200);
        assert!(
            checked.has("2 people match this rule now"),
            "{}",
            checked.body
        );
        assert!(checked.has("Eric Employee") && checked.has("Emma Employee"));
        assert!(!checked.has("Maria Manager"));
        assert!(!admin.get(&tab).await.has("Marketing staff"));

        // Patterns too: found anywhere, without regard to case; one that is
        // not a regular expression is answered beside the rule.
        let pattern = |rule: &'static str| {
            let fields = [
                ("display_name", "Writers and specialists"),
                ("rule", rule),
                ("preview", "1"),
            ];
            let admin = &admin;
            let new = &new;
            async move { post_policy(admin, new, &fields).await }
        };
        let checked = pattern(r#"user.jobTitle -match "(WRITER|specialist)$""#).await;
        assert!(
            checked.has("2 people match this rule now"),
            "{}",
            checked.body
        );
        assert!(checked.has("Eric Employee") && checked.has("Emma Employee"));
        let checked = pattern(r#"user.jobTitle -notMatch "^marketing""#).await;
        assert!(checked.has("Emma Employee") && !checked.has("Eric Employee"));
        let broken = pattern(r#"user.jobTitle -match "(writer""#).await;
        assert_eq!(broken.status, 422);
        assert!(
            broken.has(r#"id="rule-error""#) && broken.has("unclosed group"),
            "{}",
            broken.body
        );

        let made = post_policy(
            &admin,
            &new,
            &[
                ("display_name", "Marketing staff"),
                ("rule", RULE),
                ("assign", "on"),
                ("remove", "on"),
                ("grace_days", "2"),
            ],
        )
        .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let listed = admin.get(&tab).await;
        assert!(listed.has("Automatic assignment policy Marketing staff created"));
        assert!(listed.has("Automatic: people matching a rule"));
        assert!(
            !listed.has("+ Add automatic assignment policy"),
            "one per package"
        );
        let again = post_policy(
            &admin,
            &new,
            &[("display_name", "Second"), ("rule", RULE), ("assign", "on")],
        )
        .await;
        assert_eq!(again.status, 422);
        assert!(again.has("already has an automatic assignment policy"));

        // Nobody picks it for a direct assignment: it assigns by its rule only.
        let assign = admin
            .get(&app.url(routes::ADMIN_PACKAGE_ASSIGN.id(&package)))
            .await;
        assert!(assign.has("Initial policy") && !assign.has("Marketing staff"));

        // The jobs assign Eric and Emma (not Maria, a manager; not Ada, in
        // IT), each once, even with two instances applying the rule at once.
        let now = clock.now();
        let (a, b) = tokio::join!(
            gatehouse::service::requests::automatic::apply_rules(&app.store, now),
            gatehouse::service::requests::automatic::apply_rules(&app.store, now)
        );
        assert_eq!(a.unwrap().assigned + b.unwrap().assigned, 2);
        assert_eq!(run_jobs(&app, &clock).await.auto_assigned, 0, "once");
        let assignments = app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&package));
        let holders = admin.get(&format!("{assignments}?state=active")).await;
        assert!(holders.has("2 assignments"), "{}", holders.body);
        assert!(holders.has("eric.employee@gatehouse.demo") && holders.has(EMMA));
        assert!(!holders.has("maria.manager@gatehouse.demo"));
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM assignment_requests WHERE request_type = 'systemAdd' AND state = 'delivered'").await,
            2
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessDelivered' AND to_address = 'emma.employee@gatehouse.demo'").await,
            1
        );

        // Emma holds it without a way to extend it; the request says who made it.
        let emma = Browser::new();
        app.demo_sign_in(&emma, EMMA).await;
        let held = emma.get(&app.url(routes::PACKAGE.id(&package))).await;
        assert_eq!(held.status, 200);
        assert!(held.has("Your access does not expire.") && !held.has("Request extension"));
        let requests = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUESTS.id(&package)))
            .await;
        assert!(requests.has("Assignment by Gatehouse"), "{}", requests.body);

        // Emma moves to Sales: she keeps access through the grace period,
        // and keeps it for good when she comes back in time.
        move_emma(&app, "Sales").await;
        assert_eq!(run_jobs(&app, &clock).await.auto_removed, 0);
        clock.advance(Duration::days(1));
        assert_eq!(run_jobs(&app, &clock).await.auto_removed, 0);
        move_emma(&app, "Marketing").await;
        clock.advance(Duration::days(3));
        let report = run_jobs(&app, &clock).await;
        assert_eq!((report.auto_removed, report.auto_assigned), (0, 0));

        // She leaves again: two days later her access ends, with the reason.
        move_emma(&app, "Sales").await;
        assert_eq!(run_jobs(&app, &clock).await.auto_removed, 0);
        clock.advance(Duration::days(2) - Duration::minutes(1));
        assert_eq!(run_jobs(&app, &clock).await.auto_removed, 0);
        clock.advance(Duration::minutes(1));
        assert_eq!(run_jobs(&app, &clock).await.auto_removed, 1);
        let admin = ada(&app).await;
        let removed = admin.get(&format!("{assignments}?state=removed")).await;
        assert!(removed.has(EMMA), "{}", removed.body);
        assert!(removed.has("No longer matches the automatic assignment rule"));
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessEnded' AND to_address = 'emma.employee@gatehouse.demo'").await,
            1
        );
        let audit = admin.get(&app.url(routes::ADMIN_AUDIT)).await;
        assert!(audit.has("Create access package assignment (automatic assignment policy)"));
        assert!(audit.has("no longer matches the automatic assignment rule"));

        // Changing the rule to one Emma matches again assigns her again;
        // turning removal off keeps Eric when he no longer matches.
        let policy = policy_named(&app, &package, "Marketing staff").await;
        let edit = app.url(routes::ADMIN_PACKAGE_AUTOMATIC.ids(&package, &policy));
        let page = admin.get(&edit).await;
        // Emma is in Sales now: the stored rule matches Eric alone.
        assert!(page.has("1 person matches this rule now"), "{}", page.body);
        let saved = post_policy(
            &admin,
            &edit,
            &[
                ("display_name", "Content and sales"),
                ("rule", r#"user.department -in ["Sales", "Nowhere"]"#),
                ("assign", "on"),
                ("grace_days", "0"),
            ],
        )
        .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let report = run_jobs(&app, &clock).await;
        assert_eq!(
            (report.auto_assigned, report.auto_removed),
            (1, 0),
            "{report:?}"
        );
        let holders = admin.get(&format!("{assignments}?state=active")).await;
        assert!(holders.has("eric.employee@gatehouse.demo") && holders.has(EMMA));

        // Used, it cannot be deleted; disabled, its rule does nothing.
        let state = app.url(routes::ADMIN_PACKAGE_POLICY_STATE.ids(&package, &policy));
        let csrf = admin.get(&edit).await.csrf();
        let delete = [("csrf_token", csrf.as_str()), ("action", "delete")];
        assert_eq!(admin.post(&state, &delete).await.status, 303);
        let tab = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&package)))
            .await;
        assert!(
            tab.has("Disable it instead, so that its rule assigns and removes nobody any more.")
        );
        let disable = [("csrf_token", csrf.as_str()), ("action", "disable")];
        assert_eq!(admin.post(&state, &disable).await.status, 303);
        // A rule that now takes Maria too assigns nobody while disabled,
        // and her once enabled again.
        let saved = post_policy(
            &admin,
            &edit,
            &[
                ("display_name", "Content and sales"),
                ("rule", r#"user.department -eq "Marketing""#),
                ("assign", "on"),
            ],
        )
        .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(run_jobs(&app, &clock).await.auto_assigned, 0, "disabled");
        let csrf = admin.get(&edit).await.csrf();
        let enable = [("csrf_token", csrf.as_str()), ("action", "enable")];
        assert_eq!(admin.post(&state, &enable).await.status, 303);
        assert_eq!(run_jobs(&app, &clock).await.auto_assigned, 1, "Maria");
    }
);

both!(
    only_administrators_make_or_change_automatic_policies,
    |backend| async move {
        let (app, admin, _clock) = crate::correctness::demo(backend).await;
        let package = package_named(&app, PACKAGE).await;
        let made = post_policy(
            &admin,
            &app.url(routes::ADMIN_PACKAGE_AUTOMATIC_NEW.id(&package)),
            &[
                ("display_name", "Marketing staff"),
                ("rule", RULE),
                ("assign", "on"),
            ],
        )
        .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let policy = policy_named(&app, &package, "Marketing staff").await;
        // The normal policy form sends an automatic policy to its own.
        let normal = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICY.ids(&package, &policy)))
            .await;
        assert_eq!(normal.status, 303);

        // Maria owns the Marketing catalog: she reads the policy, and may
        // neither make, change, disable nor delete one.
        let marketing = catalog_id(&app.store, "Marketing").await.to_string();
        let url = app.url(routes::ADMIN_CATALOG_ROLES.id(&marketing));
        let csrf = admin.get(&url).await.csrf();
        let given = admin
            .post(
                &url,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("email", "maria.manager@gatehouse.demo"),
                    ("role", "catalogOwner"),
                ],
            )
            .await;
        assert_eq!(given.status, 303);
        let maria = Browser::new();
        app.demo_sign_in(&maria, "maria.manager@gatehouse.demo")
            .await;
        let tab = maria
            .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&package)))
            .await;
        assert!(tab.has("Marketing staff") && tab.has("+ Add policy"));
        assert!(!tab.has("+ Add automatic assignment policy"));
        let edit = app.url(routes::ADMIN_PACKAGE_AUTOMATIC.ids(&package, &policy));
        let page = maria.get(&edit).await;
        assert_eq!(page.status, 200);
        assert!(page.has("<fieldset class=\"plain\" disabled>") && !page.has("Check rule"));
        // Whom the rule matches is directory data, for administrators.
        assert!(!page.has("match this rule now") && !page.has("Eric Employee"));
        let new = app.url(routes::ADMIN_PACKAGE_AUTOMATIC_NEW.id(&package));
        assert_eq!(maria.get(&new).await.status, 403);
        let csrf = page.csrf();
        let changed = maria
            .post(
                &edit,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("display_name", "Mine"),
                    ("rule", RULE),
                ],
            )
            .await;
        assert_eq!(changed.status, 403);
        let state = app.url(routes::ADMIN_PACKAGE_POLICY_STATE.ids(&package, &policy));
        let disabled = maria
            .post(
                &state,
                &[("csrf_token", csrf.as_str()), ("action", "disable")],
            )
            .await;
        assert_eq!(disabled.status, 303);
        let refused = maria
            .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&package)))
            .await;
        assert!(refused.has("Only administrators change automatic assignment policies."));
        let after = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&package)))
            .await;
        assert!(after.has("Marketing staff") && after.has(">Enabled<"));
    }
);

both!(
    people_without_a_required_value_wait_and_removal_can_be_off,
    |backend| async move {
        let (app, admin, clock) = crate::correctness::demo(backend).await;
        // The guests' package grants a group that requires a job title,
        // which Gary, a guest, has not given.
        let package = package_named(&app, "Marketing resources for guests").await;
        let made = post_policy(
            &admin,
            &app.url(routes::ADMIN_PACKAGE_AUTOMATIC_NEW.id(&package)),
            &[
                ("display_name", "All guests"),
                ("rule", r#"user.userType eq "guest""#),
                ("assign", "on"),
                ("grace_days", "0"),
            ],
        )
        .await;
        assert_eq!(made.status, 303, "{}", made.body);
        assert_eq!(run_jobs(&app, &clock).await.auto_assigned, 0);

        let gary = [
            ("user_type", "guest"),
            ("display_name", "Gary Guest"),
            ("given_name", "Gary"),
            ("surname", "Guest"),
            ("email", "gary.guest@contoso.com"),
            ("job_title", "Consultant"),
            ("state", "active"),
        ];
        edit_user(&app, "gary.guest@contoso.com", &gary).await;
        assert_eq!(run_jobs(&app, &clock).await.auto_assigned, 1);

        // Removal off: Gary keeps access when the rule no longer takes him.
        let policy = policy_named(&app, &package, "All guests").await;
        let edit = app.url(routes::ADMIN_PACKAGE_AUTOMATIC.ids(&package, &policy));
        let changed = post_policy(
            &admin,
            &edit,
            &[
                ("display_name", "All guests"),
                (
                    "rule",
                    r#"user.userType -eq "Member" -and user.department -eq "Nowhere""#,
                ),
                ("assign", "on"),
                ("grace_days", "0"),
            ],
        )
        .await;
        assert_eq!(changed.status, 303, "{}", changed.body);
        let report = run_jobs(&app, &clock).await;
        assert_eq!((report.auto_assigned, report.auto_removed), (0, 0));
        let holders = admin
            .get(&app.url(format!(
                "{}?state=active",
                routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&package)
            )))
            .await;
        assert!(holders.has("gary.guest@contoso.com"), "{}", holders.body);

        // Separation of duties: the employees' package excludes the guests'
        // package Gary holds, so its rule assigns everyone it matches but him.
        let employees = package_named(&app, PACKAGE).await;
        let settings = app.url(routes::ADMIN_PACKAGE_SETTINGS.id(&employees));
        let csrf = admin.get(&settings).await.csrf();
        let excluded = admin
            .post(
                &settings,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("name", PACKAGE),
                    ("incompatible_packages", "Marketing resources for guests"),
                ],
            )
            .await;
        assert_eq!(excluded.status, 303, "{}", excluded.body);
        let made = post_policy(
            &admin,
            &app.url(routes::ADMIN_PACKAGE_AUTOMATIC_NEW.id(&employees)),
            &[
                ("display_name", "Marketing and guests"),
                (
                    "rule",
                    r#"user.department -eq "Marketing" -or user.userType -eq "Guest""#,
                ),
                ("assign", "on"),
            ],
        )
        .await;
        assert_eq!(made.status, 303, "{}", made.body);
        assert_eq!(
            run_jobs(&app, &clock).await.auto_assigned,
            3,
            "Maria, Eric, Emma"
        );
        let holders = admin
            .get(&app.url(format!(
                "{}?state=active",
                routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&employees)
            )))
            .await;
        assert!(holders.has(EMMA) && !holders.has("gary.guest@contoso.com"));
    }
);
