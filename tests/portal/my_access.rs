//! My Access and Approvals in the browser's terms: list, request, approve, cancel.

use crate::both;
use crate::helpers::*;
use gatehouse::routes;

fn package_link(page: &Page, name: &str) -> String {
    let at = page
        .body
        .find(&format!("<h3>{name}</h3>"))
        .unwrap_or_else(|| panic!("{name} listed"));
    let href = page.body[at..]
        .find(&format!("href=\"{}", routes::PACKAGE.id("")))
        .unwrap()
        + at
        + 6;
    page.body[href..page.body[href..].find('"').unwrap() + href].to_string()
}

both!(
    an_employee_requests_and_the_manager_approves,
    |backend| async move {
        let app = spawn(Options::new(backend).demo()).await;
        let eric = Browser::new();
        app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
            .await;
        let home = eric.get(&app.url(routes::HOME)).await;
        assert!(home.has("Marketing resources for employees"));
        assert!(
            !home.has("Marketing resources for guests"),
            "a guests-only package is not offered to members"
        );
        assert!(
            !home.has("Slack administration"),
            "hidden packages are not listed"
        );
        let search = eric
            .get(&app.url(format!("{}?q=internalusers", routes::HOME)))
            .await;
        assert!(
            search.has("Marketing resources for employees"),
            "search finds packages by resource"
        );
        assert!(
            eric.get(&app.url(format!("{}?q=nothing-like-this", routes::HOME)))
                .await
                .has("No access packages match your search.")
        );
        // Shorter than the search index's three letters, in capitals: still a
        // substring match, as is the same search made again.
        for _ in 0..2 {
            let short = eric.get(&app.url(format!("{}?q=KE", routes::HOME))).await;
            assert!(short.has("Marketing resources for employees"));
            assert!(!short.has("Marketing resources for guests"));
        }
        let again = eric
            .get(&app.url(format!("{}?q=internalusers", routes::HOME)))
            .await;
        assert!(again.has("Marketing resources for employees"));

        let link = package_link(&home, "Marketing resources for employees");
        let form = eric.get(&app.url(&link)).await;
        assert!(form.has("Business justification"));
        let policy = form.input("policy").unwrap();
        let missing = eric
            .post(
                &app.url(&link),
                &[("csrf_token", &form.csrf()), ("policy", &policy)],
            )
            .await;
        assert_eq!(missing.status, 422);
        assert!(missing.has("A business justification is required."));
        let sent = eric
            .post(
                &app.url(&link),
                &[
                    ("csrf_token", &form.csrf()),
                    ("policy", &policy),
                    ("justification", "Spring campaign"),
                ],
            )
            .await;
        assert_eq!(sent.location.as_deref(), Some(routes::REQUESTS.as_str()));
        let requests = eric.get(&app.url(routes::REQUESTS)).await;
        assert!(requests.has("Your request was sent for approval."));
        assert!(requests.has("pending approval"));
        assert!(eric.get(&app.url(&link)).await.has(
            "You already have a request for this access package waiting; see Request history."
        ));

        // The manager approves from the Approvals tab.
        let maria = Browser::new();
        app.demo_sign_in(&maria, "maria.manager@gatehouse.demo")
            .await;
        let inbox = maria.get(&app.url(routes::APPROVALS)).await;
        assert!(inbox.has("Eric Employee") && inbox.has("Marketing resources for employees"));
        let at = inbox
            .body
            .find(&format!("href=\"{}/", routes::APPROVALS))
            .unwrap()
            + 6;
        let approval = inbox.body[at..inbox.body[at..].find('"').unwrap() + at].to_string();
        let details = maria.get(&app.url(&approval)).await;
        assert!(details.has("Spring campaign"));
        assert!(details.has("Approve") && details.has("Deny"));
        // Someone else's approval is not shown to Emma.
        let emma = Browser::new();
        app.demo_sign_in(&emma, "emma.employee@gatehouse.demo")
            .await;
        assert_eq!(emma.get(&app.url(&approval)).await.status, 404);
        let emma_csrf = emma.get(&app.url(routes::HOME)).await.csrf();
        let forbidden = emma
            .post(
                &app.url(&approval),
                &[
                    ("csrf_token", &emma_csrf),
                    ("decision", "approve"),
                    ("justification", "x"),
                ],
            )
            .await;
        assert_eq!(forbidden.status, 303);
        assert!(
            emma.get(&app.url(routes::HOME))
                .await
                .has("not an approver")
        );
        // A reason is required by the policy.
        let no_reason = maria
            .post(
                &app.url(&approval),
                &[("csrf_token", &details.csrf()), ("decision", "approve")],
            )
            .await;
        assert_eq!(no_reason.status, 422);
        assert!(no_reason.has(
            "aria-invalid=\"true\"></textarea></label>\n  <small class=\"field-error\" id=\"justification-error\">Give a reason for your decision.</small>"
        ), "the error stands beside the reason: {}", no_reason.body);
        assert!(
            no_reason.has(r#"aria-describedby="justification-hint justification-error""#),
            "and the field names it: {}",
            no_reason.body
        );
        // A refused reason comes back as typed, with why beside it.
        let long = "Welcome aboard. ".repeat(300);
        let too_long = maria
            .post(
                &app.url(&approval),
                &[
                    ("csrf_token", &details.csrf()),
                    ("decision", "approve"),
                    ("justification", &long),
                ],
            )
            .await;
        assert_eq!(too_long.status, 422);
        assert!(
            too_long.has(&format!(">{long}</textarea>"))
                && too_long.has("The reason must be at most 4000 characters."),
            "{}",
            too_long.body
        );
        let approved = maria
            .post(
                &app.url(&approval),
                &[
                    ("csrf_token", &details.csrf()),
                    ("decision", "approve"),
                    ("justification", "Welcome"),
                ],
            )
            .await;
        assert_eq!(
            approved.location.as_deref(),
            Some(routes::APPROVALS.as_str())
        );
        let inbox = maria.get(&app.url(routes::APPROVALS)).await;
        assert!(inbox.has("Decision recorded: the request is delivered."));
        assert!(inbox.has("No requests are waiting for your decision."));
        assert!(inbox.has("Approved"), "the history shows the decision");
        // A second decision is refused.
        maria
            .post(
                &app.url(&approval),
                &[
                    ("csrf_token", &details.csrf()),
                    ("decision", "deny"),
                    ("justification", "No"),
                ],
            )
            .await;
        assert!(
            maria
                .get(&app.url(&approval))
                .await
                .has("The request was already decided: it is delivered.")
        );

        // Eric holds the package and its resources.
        let home = eric.get(&app.url(routes::HOME)).await;
        assert!(home.has("You have access"));
        assert!(home.has("SG-Marketing-Department-InternalUsers"));
        assert!(eric.get(&app.url(routes::REQUESTS)).await.has("delivered"));
    }
);

both!(hidden_packages_guests_and_cancel, |backend| async move {
    let app = spawn(Options::new(backend).demo()).await;
    let gary = Browser::new();
    app.demo_sign_in(&gary, "gary.guest@contoso.com").await;
    let home = gary.get(&app.url(routes::HOME)).await;
    assert!(home.has("Marketing resources for guests"));
    assert!(!home.has("Marketing resources for employees"));
    let employees = package_id(&app, "Marketing resources for employees").await;
    let refused = gary.get(&app.url(routes::PACKAGE.id(&employees))).await;
    assert_eq!(refused.status, 404);
    assert!(refused.has("does not exist, or you are not among the people who can request it"));
    assert!(
        !refused.has("Marketing resources for employees"),
        "nothing about the package is revealed"
    );
    assert_eq!(
        gary.get(&app.url(routes::PACKAGE.id("not-an-id")))
            .await
            .status,
        404
    );

    // Contoso's policy: no approval; the required attributes are asked and written.
    let link = package_link(&home, "Marketing resources for guests");
    let form = gary.get(&app.url(&link)).await;
    assert!(
        form.has("First name") && form.has("Job title"),
        "the guest group's required attributes"
    );
    let policy = form.input("policy").unwrap();
    let missing = gary
        .post(
            &app.url(&link),
            &[
                ("csrf_token", &form.csrf()),
                ("policy", &policy),
                ("attr_jobTitle", ""),
            ],
        )
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing.has("This attribute is required."));
    let done = gary
        .post(
            &app.url(&link),
            &[
                ("csrf_token", &form.csrf()),
                ("policy", &policy),
                ("attr_givenName", "Gary"),
                ("attr_surname", "Guest"),
                ("attr_jobTitle", "Art director"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some(routes::REQUESTS.as_str()));
    assert!(
        gary.get(&app.url(routes::REQUESTS))
            .await
            .has("Your request was approved and you now have access.")
    );
    let mut c = app.store.read().await.unwrap();
    let g = gatehouse::store::users::find_by_email(&mut c, "gary.guest@contoso.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(g.job_title.as_deref(), Some("Art director"));
    drop(c);

    // The hidden package opens by its link; Emma requests it and cancels.
    let emma = Browser::new();
    app.demo_sign_in(&emma, "emma.employee@gatehouse.demo")
        .await;
    let hidden = package_id(&app, "Slack administration").await;
    let form = emma.get(&app.url(routes::PACKAGE.id(&hidden))).await;
    assert_eq!(form.status, 200);
    assert!(form.has("Request access"));
    let policy = form.input("policy").unwrap();
    emma.post(
        &app.url(routes::PACKAGE.id(&hidden)),
        &[
            ("csrf_token", &form.csrf()),
            ("policy", &policy),
            ("justification", "I run Slack"),
        ],
    )
    .await;
    let requests = emma.get(&app.url(routes::REQUESTS)).await;
    let cancel = form_action(&requests, "", routes::REQUEST_CANCEL);
    let res = emma
        .post(&app.url(&cancel), &[("csrf_token", &requests.csrf())])
        .await;
    assert_eq!(res.status, 303);
    let after = emma.get(&app.url(routes::REQUESTS)).await;
    assert!(after.has("Request canceled.") && after.has("canceled"));
    // The approver asked to decide it hears that it no longer waits.
    let asked: Vec<String> = {
        let mut c = app.store.read().await.unwrap();
        sqlx::query_scalar("SELECT to_address FROM mail_outbox WHERE kind = 'approvalRequest'")
            .fetch_all(&mut *c)
            .await
            .unwrap()
    };
    assert_eq!(asked.len(), 1, "{asked:?}");
    let told = format!(
        "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'approvalCanceled' AND to_address = '{}'",
        asked[0]
    );
    assert_eq!(count(&app, &told).await, 1);
    // Without a token nothing is requested.
    let no_token = emma
        .post(
            &app.url(routes::PACKAGE.id(&hidden)),
            &[("policy", &policy), ("justification", "x")],
        )
        .await;
    assert_eq!(no_token.status, 403);
});

#[tokio::test]
async fn incompatible_access_is_refused_with_the_reason() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let hidden = package_id(&app, "Slack administration").await;
    let settings = admin
        .get(&app.url(routes::ADMIN_PACKAGE_SETTINGS.id(&hidden)))
        .await;
    let saved = admin
        .post(
            &app.url(routes::ADMIN_PACKAGE_SETTINGS.id(&hidden)),
            &[
                ("csrf_token", &settings.csrf()),
                ("name", "Slack administration"),
                ("hidden", "on"),
                ("incompatible_groups", "Marketing Team"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    // Emma joins the Marketing Team, then cannot ask for Slack administration.
    let group = admin
        .get(&app.url(format!("{}?q=marketing%20team", routes::ADMIN_GROUPS.list)))
        .await;
    let at = group.body.find(">Marketing Team</a>").unwrap();
    let start = group.body[..at]
        .rfind(&format!("{}/", routes::ADMIN_GROUPS.list))
        .unwrap();
    let group_url = group.body[start..at - 1].to_string();
    admin
        .post(
            &app.url(format!("{group_url}/roles")),
            &[
                ("csrf_token", &settings.csrf()),
                ("email", "emma.employee@gatehouse.demo"),
                ("role", "member"),
                ("action", "add"),
            ],
        )
        .await;
    let emma = Browser::new();
    app.demo_sign_in(&emma, "emma.employee@gatehouse.demo")
        .await;
    let page = emma.get(&app.url(routes::PACKAGE.id(&hidden))).await;
    assert!(page.has("You hold membership of the group Marketing Team, which is incompatible with this access package."), "{}", page.body);
    assert!(!page.has("Request access"));
}

/// My Access keeps its list in memory: an administrator's change shows on the
/// next page, on this instance and on another one sharing the database.
#[tokio::test]
async fn the_list_follows_administrators_changes_on_every_instance() {
    let first = spawn(Options::new(Backend::Postgres).demo()).await;
    let mut opts = Options::new(Backend::Postgres).demo();
    opts.database = Some(first.database.clone());
    let second = spawn(opts).await;
    let eric_one = Browser::new();
    first
        .demo_sign_in(&eric_one, "eric.employee@gatehouse.demo")
        .await;
    let eric_two = Browser::new();
    second
        .demo_sign_in(&eric_two, "eric.employee@gatehouse.demo")
        .await;
    assert!(
        eric_one
            .get(&first.url(routes::HOME))
            .await
            .has("Marketing resources for employees")
    );
    assert!(
        eric_two
            .get(&second.url(routes::HOME))
            .await
            .has("Marketing resources for employees")
    );

    // Renamed on the first instance.
    let admin = Browser::new();
    first.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let id = package_id(&first, "Marketing resources for employees").await;
    let settings = admin
        .get(&first.url(routes::ADMIN_PACKAGE_SETTINGS.id(&id)))
        .await;
    let saved = admin
        .post(
            &first.url(routes::ADMIN_PACKAGE_SETTINGS.id(&id)),
            &[
                ("csrf_token", &settings.csrf()),
                ("name", "Marketing for staff"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    for (app, eric) in [(&first, &eric_one), (&second, &eric_two)] {
        let home = eric.get(&app.url(routes::HOME)).await;
        assert!(home.has("Marketing for staff"), "{}", home.body);
        assert!(!home.has("Marketing resources for employees"));
        assert!(
            eric.get(&app.url(format!("{}?q=staff", routes::HOME)))
                .await
                .has("Marketing for staff")
        );
    }

    // Its only policy disabled: it is no longer offered anywhere.
    let policies = admin
        .get(&first.url(routes::ADMIN_PACKAGE_POLICIES.id(&id)))
        .await;
    let at = policies.body.find("/state\"").unwrap();
    let start = policies.body[..at].rfind("action=\"").unwrap() + 8;
    let action = policies.body[start..at + 6].to_string();
    let done = admin
        .post(
            &first.url(&action),
            &[("csrf_token", &policies.csrf()), ("action", "disable")],
        )
        .await;
    assert_eq!(done.status, 303);
    for (app, eric) in [(&first, &eric_one), (&second, &eric_two)] {
        assert!(
            !eric
                .get(&app.url(routes::HOME))
                .await
                .has("Marketing for staff")
        );
    }
}

// My Access in tabs: what one holds with its dates, giving it up where the
// policy allows, what one held with "Request again", the request history
// with each request's page, and making an ended request again.
both!(
    my_access_shows_held_access_and_lets_people_give_it_up_and_ask_again,
    |backend| async move {
        let app = spawn(Options::new(backend).demo()).await;
        let eric = Browser::new();
        app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
            .await;
        let package = package_id(&app, "Marketing resources for employees").await;
        let page = eric.get(&app.url(routes::PACKAGE.id(&package))).await;
        let asked = eric
            .post(
                &app.url(routes::PACKAGE.id(&package)),
                &[
                    ("csrf_token", page.csrf().as_str()),
                    ("policy", page.input("policy").unwrap().as_str()),
                    ("justification", "The spring campaign"),
                ],
            )
            .await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let first = request_id_for(&app, "eric.employee@gatehouse.demo").await;
        approve_as(&app, "maria.manager@gatehouse.demo", &first).await;

        // Active: the package, from when and until when, and how to give it up.
        let active = eric
            .get(&app.url(format!("{}?view=active", routes::HOME)))
            .await;
        assert!(
            active.has("Marketing resources for employees"),
            "{}",
            active.body
        );
        assert!(active.has("<time datetime=") && active.has("Remove my access"));
        // The tabs count what they list, whichever tab is shown.
        let home = eric.get(&app.url(routes::HOME)).await;
        for page in [&active, &home] {
            assert!(
                page.has(">Active (1)<") && page.has(">Expired<"),
                "{}",
                page.body
            );
        }
        assert!(has(
            &held_by(&app, "eric.employee@gatehouse.demo").await,
            "Site Marketing member"
        ));

        // Giving it up ends the access at once and takes the roles back.
        let removed = eric
            .post(
                &app.url(routes::PACKAGE_GIVE_UP.id(&package)),
                &[("csrf_token", active.csrf().as_str())],
            )
            .await;
        assert_eq!(removed.status, 303);
        let after = eric
            .get(&app.url(format!("{}?view=active", routes::HOME)))
            .await;
        assert!(after.has("was removed"), "{}", after.body);
        assert!(!has(
            &held_by(&app, "eric.employee@gatehouse.demo").await,
            "Site Marketing member"
        ));
        let expired = eric
            .get(&app.url(format!("{}?view=expired", routes::HOME)))
            .await;
        assert!(
            expired.has("Given up") && expired.has("Request again"),
            "{}",
            expired.body
        );
        let home = eric.get(&app.url(routes::HOME)).await;
        for page in [&expired, &home] {
            assert!(
                page.has(">Active<") && page.has(">Expired (1)<"),
                "{}",
                page.body
            );
        }

        // The history: the request, delivered, and the removal, with their pages.
        let history = eric.get(&app.url(routes::REQUESTS)).await;
        assert!(
            history.has("Delivered") || history.has("delivered"),
            "{}",
            history.body
        );
        let details = eric.get(&app.url(routes::REQUEST.id(&first))).await;
        assert!(
            details.has("The spring campaign") && details.has("Approved"),
            "{}",
            details.body
        );
        assert!(details.has("Request again with these answers"));
        // Someone else's request is nobody else's business.
        let maria = Browser::new();
        app.demo_sign_in(&maria, "maria.manager@gatehouse.demo")
            .await;
        assert_eq!(
            maria.get(&app.url(routes::REQUEST.id(&first))).await.status,
            404
        );

        // Asking again makes a new request with the same answers.
        let again = eric
            .post(
                &app.url(routes::REQUEST_RESUBMIT.id(&first)),
                &[("csrf_token", details.csrf().as_str())],
            )
            .await;
        assert_eq!(again.status, 303, "{}", again.body);
        let newest = request_id_for(&app, "eric.employee@gatehouse.demo").await;
        assert_ne!(newest, first);
        let made = eric.get(&app.url(routes::REQUEST.id(&newest))).await;
        assert!(
            made.has("The spring campaign") && made.has("pending approval"),
            "{}",
            made.body
        );
        // Held again, it is counted as active and no longer as expired.
        approve_as(&app, "maria.manager@gatehouse.demo", &newest).await;
        let home = eric.get(&app.url(routes::HOME)).await;
        assert!(
            home.has(">Active (1)<") && home.has(">Expired<"),
            "{}",
            home.body
        );
        // Given up twice, the package is listed, and counted, once.
        let removed = eric
            .post(
                &app.url(routes::PACKAGE_GIVE_UP.id(&package)),
                &[("csrf_token", home.csrf().as_str())],
            )
            .await;
        assert_eq!(removed.status, 303);
        let expired = eric
            .get(&app.url(format!("{}?view=expired", routes::HOME)))
            .await;
        assert_eq!(
            expired.body.matches("Request again</a>").count(),
            1,
            "{}",
            expired.body
        );
        let home = eric.get(&app.url(routes::HOME)).await;
        for page in [&expired, &home] {
            assert!(
                page.has(">Active<") && page.has(">Expired (1)<"),
                "{}",
                page.body
            );
        }
    }
);

/// Times read in the viewer's zone: the one chosen in the profile, the
/// browser's (the page script's cookie) or the organization's, with UTC on
/// hover.
#[tokio::test]
async fn times_are_shown_in_the_viewers_time_zone() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let eric = Browser::new();
    app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
        .await;
    let profile = eric.get(&app.url(routes::PROFILE)).await;
    assert!(
        profile.has("Times are shown in <strong>UTC</strong>"),
        "{}",
        profile.body
    );
    // Once the organization has a time zone, it is the one for whom neither
    // a choice nor the browser (without the page script) gives one.
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let settings = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    let saved = admin
        .post(
            &app.url(routes::ADMIN_SETTINGS_ORGANIZATION),
            &[
                ("csrf_token", settings.csrf().as_str()),
                ("domains", "gatehouse.demo"),
                ("time_zone", "Pacific/Auckland"),
                ("collaboration", "anyDomain"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let profile = eric.get(&app.url(routes::PROFILE)).await;
    assert!(
        profile.has("Times are shown in <strong>Pacific/Auckland</strong>"),
        "{}",
        profile.body
    );
    let chose = eric
        .post(
            &app.url(routes::PROFILE),
            &[
                ("csrf_token", profile.csrf().as_str()),
                ("time_zone", "Asia/Tokyo"),
            ],
        )
        .await;
    assert_eq!(chose.status, 303);
    let package = package_id(&app, "Marketing resources for employees").await;
    let page = eric.get(&app.url(routes::PACKAGE.id(&package))).await;
    eric.post(
        &app.url(routes::PACKAGE.id(&package)),
        &[
            ("csrf_token", page.csrf().as_str()),
            ("policy", page.input("policy").unwrap().as_str()),
            ("justification", "Tokyo office"),
        ],
    )
    .await;
    let history = eric.get(&app.url(routes::REQUESTS)).await;
    assert!(
        history.has(" JST</time>") && history.has(" UTC\">"),
        "{}",
        history.body
    );
    let bad = eric
        .post(
            &app.url(routes::PROFILE),
            &[
                ("csrf_token", profile.csrf().as_str()),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
}

/// A fixed last day is the administrator's day; requestors read it, and type
/// their period, in their own zone, with or without the page script.
#[tokio::test]
async fn a_fixed_last_day_is_read_in_each_persons_time_zone() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let in_zone = async |email: &str, zone: &str| {
        let b = Browser::new();
        app.demo_sign_in(&b, email).await;
        let profile = b.get(&app.url(routes::PROFILE)).await;
        let chose = b
            .post(
                &app.url(routes::PROFILE),
                &[("csrf_token", profile.csrf().as_str()), ("time_zone", zone)],
            )
            .await;
        assert_eq!(chose.status, 303, "{}", chose.body);
        b
    };
    // An administrator in Tokyo ends a policy on 30 June 2030, their day.
    let admin = in_zone("ada.admin@gatehouse.demo", "Asia/Tokyo").await;
    let package = package_id(&app, "Marketing resources for employees").await;
    let policies = app.url(routes::ADMIN_PACKAGE_POLICIES.id(&package));
    let form = admin
        .get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(&package)))
        .await;
    let created = admin
        .post(
            &policies,
            &[
                ("csrf_token", form.csrf().as_str()),
                ("policy_name", "Until June"),
                ("scope", "allMemberUsers"),
                ("enabled", "on"),
                ("enable_requests", "on"),
                ("custom_schedule", "on"),
                ("expiration_type", "date"),
                ("expiration_date", "2030-06-30"),
                ("q_count", "0"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let list = admin.get(&policies).await;
    let at = list.body.find(">Until June</a>").unwrap();
    let start = list.body[..at].rfind("href=\"").unwrap() + 6;
    let edit = admin.get(&app.url(&list.body[start..at - 1])).await;
    assert!(
        edit.has(r#"name="expiration_date" value="2030-06-30""#),
        "the administrator gets back the day they gave: {}",
        edit.body
    );

    // Later in Los Angeles, where 30 June is still the day access ends,
    // she saves the policy again unchanged: it keeps ending as 30 June ends
    // in Tokyo, not a day later when it ends in Los Angeles.
    let edit_path = &list.body[start..at - 1];
    let admin = in_zone("ada.admin@gatehouse.demo", "America/Los_Angeles").await;
    let edit = admin.get(&app.url(edit_path)).await;
    assert!(
        edit.has(r#"name="expiration_date" value="2030-06-30""#),
        "{}",
        edit.body
    );
    let kept = edit
        .input("expiration_kept")
        .expect("the stored last moment");
    let fields = |day: &'static str| {
        [
            ("policy_name", "Until June"),
            ("scope", "allMemberUsers"),
            ("enabled", "on"),
            ("enable_requests", "on"),
            ("custom_schedule", "on"),
            ("expiration_type", "date"),
            ("expiration_date", day),
            ("q_count", "0"),
        ]
    };
    let mut same = vec![
        ("csrf_token", edit.csrf()),
        ("expiration_kept", kept.clone()),
    ];
    same.extend(fields("2030-06-30").map(|(k, v)| (k, v.to_string())));
    let same: Vec<(&str, &str)> = same.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = admin.post(&app.url(edit_path), &same).await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // Someone in Paris reads that day's end in Paris time; the period form
    // carries their zone without the page script.
    let emma = in_zone("emma.employee@gatehouse.demo", "Europe/Paris").await;
    let url = app.url(routes::PACKAGE.id(&package));
    let page = emma.get(&url).await;
    assert!(
        page.has(r#"name="tz" value="Europe/Paris""#),
        "{}",
        page.body
    );
    let policy = list.body[start..at - 1].rsplit('/').next().unwrap();
    let refused = emma
        .post(
            &url,
            &[
                ("csrf_token", page.csrf().as_str()),
                ("policy", policy),
                ("justification", "Campaign"),
                ("start", "someday"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.has("access lasts until 30 Jun 2030, 16:59 CEST")
            && refused.has("Dates are in your time zone, Europe/Paris.")
            && refused.has(r#"name="tz" value="Europe/Paris""#),
        "{}",
        refused.body
    );

    // A day she changes is her day: 31 July ends as it ends in Los Angeles.
    let edit = admin.get(&app.url(edit_path)).await;
    let mut moved = vec![
        ("csrf_token", edit.csrf()),
        ("expiration_kept", edit.input("expiration_kept").unwrap()),
    ];
    moved.extend(fields("2030-07-31").map(|(k, v)| (k, v.to_string())));
    let moved: Vec<(&str, &str)> = moved.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = admin.post(&app.url(edit_path), &moved).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = emma.get(&url).await;
    let refused = emma
        .post(
            &url,
            &[
                ("csrf_token", page.csrf().as_str()),
                ("policy", policy),
                ("justification", "Campaign"),
                ("start", "someday"),
            ],
        )
        .await;
    assert!(
        refused.has("access lasts until 1 Aug 2030, 08:59 CEST"),
        "{}",
        refused.body
    );

    // The last day there is, 31 December 9999, ends in 10000 in UTC, seen
    // from Los Angeles: the policy keeps that day and the package opens.
    let edit = admin.get(&app.url(edit_path)).await;
    let mut last = vec![("csrf_token", edit.csrf())];
    last.extend(fields("9999-12-31").map(|(k, v)| (k, v.to_string())));
    let last: Vec<(&str, &str)> = last.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = admin.post(&app.url(edit_path), &last).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let edit = admin.get(&app.url(edit_path)).await;
    assert!(
        edit.has(r#"name="expiration_date" value="9999-12-31""#),
        "{}",
        edit.body
    );
    let page = emma.get(&url).await;
    assert_eq!(page.status, 200, "{}", page.body);
}

/// Where the organization shows them, requestors see who is asked to decide
/// their pending request; by default they do not.
#[tokio::test]
async fn requestors_see_their_approvers_where_the_organization_shows_them() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let emma = Browser::new();
    app.demo_sign_in(&emma, "emma.employee@gatehouse.demo")
        .await;
    let employees = package_named(&app, "Marketing resources for employees").await;
    let asked =
        crate::correctness::request(&app, &emma, &employees, &[("justification", "Campaign")])
            .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let id = request_id_for(&app, "emma.employee@gatehouse.demo").await;
    let mine = app.url(routes::REQUEST.id(&id));
    let page = emma.get(&mine).await;
    assert!(
        page.has("pending approval") || page.has("Pending approval"),
        "{}",
        page.body
    );
    assert!(
        !page.has("Asked to decide"),
        "hidden by default: {}",
        page.body
    );

    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let settings = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    assert!(
        !settings.has(
            r#"name="show_approvers" value="on" aria-describedby="show_approvers-hint" checked"#
        )
    );
    let saved = admin
        .post(
            &app.url(routes::ADMIN_SETTINGS_ORGANIZATION),
            &[
                ("csrf_token", settings.csrf().as_str()),
                ("domains", "gatehouse.demo"),
                ("collaboration", "anyDomain"),
                ("show_approvers", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = emma.get(&mine).await;
    assert!(
        page.has("<dt>Asked to decide</dt><dd>Maria Manager</dd>"),
        "{}",
        page.body
    );

    // Once decided, nobody is asked any more.
    let approved = approve_as(&app, "maria.manager@gatehouse.demo", &id).await;
    assert_eq!(approved.status, 303);
    assert!(!emma.get(&mine).await.has("Asked to decide"));

    // A policy may say otherwise: "No" hides them where the organization
    // shows them.
    let new = admin
        .get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(&employees)))
        .await;
    let created = admin
        .post(
            &app.url(routes::ADMIN_PACKAGE_POLICIES.id(&employees)),
            &[
                ("csrf_token", new.csrf().as_str()),
                ("policy_name", "Approvers kept private"),
                ("scope", "allMemberUsers"),
                ("enabled", "on"),
                ("enable_requests", "on"),
                ("approval_required", "on"),
                ("show_approvers", "no"),
                ("stage_count", "1"),
                ("s1_users", "maria.manager@gatehouse.demo"),
                ("s1_days", "14"),
                ("expiration_type", "never"),
                ("q_count", "0"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let private = policy_named(&app, &employees, "Approvers kept private").await;
    let edit = admin
        .get(&app.url(routes::ADMIN_PACKAGE_POLICY.ids(&employees, &private)))
        .await;
    assert!(
        edit.has(r#"<option value="no" selected>No</option>"#),
        "{}",
        edit.body
    );
    let eric = Browser::new();
    app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
        .await;
    let form = eric.get(&app.url(routes::PACKAGE.id(&employees))).await;
    let sent = eric
        .post(
            &app.url(routes::PACKAGE.id(&employees)),
            &[
                ("csrf_token", form.csrf().as_str()),
                ("policy", private.as_str()),
                ("justification", "Campaign"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let erics = request_id_for(&app, "eric.employee@gatehouse.demo").await;
    let page = eric.get(&app.url(routes::REQUEST.id(&erics))).await;
    assert!(
        page.has("Pending approval") || page.has("pending approval"),
        "{}",
        page.body
    );
    assert!(!page.has("Asked to decide"), "{}", page.body);
}

/// A manager asks for access for someone who reports to them, under a
/// policy that lets managers ask: the request is the report's, the manager
/// follows it, and since nobody approves a request they made, the manager
/// stage falls to the fallback approver.
#[tokio::test]
async fn managers_request_access_for_their_direct_reports() {
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.smtp = true;
    let app = spawn(opts).await;
    let employees = package_named(&app, "Marketing resources for employees").await;
    let eric = user_named(&app, "eric.employee@gatehouse.demo").await.id;
    // A member the policy admits, who does not report to Maria.
    let ada = user_named(&app, "ada.admin@gatehouse.demo").await.id;

    // No policy lets managers ask yet: Maria's package page offers no choice.
    let maria = Browser::new();
    app.demo_sign_in(&maria, "maria.manager@gatehouse.demo")
        .await;
    let before = maria.get(&app.url(routes::PACKAGE.id(&employees))).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(!before.has(r#"<select id="for""#), "{}", before.body);

    // Only a policy for users in the directory can let managers ask.
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let new = admin
        .get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(&employees)))
        .await;
    assert!(new.has("Managers can request for their direct reports"));
    let refused = add_managers_policy(&app, &admin, employees.as_str(), "allExternalUsers").await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .has(r#"id="on_behalf-error">Managers can request only for users in your directory"#),
        "{}",
        refused.body
    );
    let created = add_managers_policy(&app, &admin, employees.as_str(), "allMemberUsers").await;
    assert_eq!(created.status, 303, "{}", created.body);
    let managers = policy_named(&app, &employees, "Managers ask").await;
    let edit = admin
        .get(&app.url(routes::ADMIN_PACKAGE_POLICY.ids(&employees, &managers)))
        .await;
    assert!(
        edit.has(r#"name="on_behalf" value="on" aria-describedby="on_behalf-hint" checked"#),
        "{}",
        edit.body
    );
    let initial = policy_named(&app, &employees, "Initial policy").await;

    // Maria manages Eric and Emma: My Access offers to ask for them, and
    // lists for Eric what a manager may ask for him.
    let home = maria.get(&app.url(routes::HOME)).await;
    assert!(home.has("Request for"), "{}", home.body);
    assert!(home.has(&format!(r#"<option value="{eric}">Eric Employee</option>"#)));
    let for_eric = maria
        .get(&app.url(format!("{}?for={eric}", routes::HOME)))
        .await;
    assert_eq!(for_eric.status, 200);
    assert!(
        for_eric.has("1 access package you can request for Eric Employee"),
        "{}",
        for_eric.body
    );
    let page_url = app.url(format!("{}?for={eric}", routes::PACKAGE.id(&employees)));
    assert!(for_eric.has(&format!("{}?for={eric}", routes::PACKAGE.id(&employees))));
    let form = maria.get(&page_url).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.has("You are requesting this for <strong>Eric Employee</strong>"));
    // The package page offers the same choice, Eric chosen.
    assert!(
        form.has(&format!(
            r#"<option value="{eric}" selected>Eric Employee</option>"#
        )),
        "{}",
        form.body
    );
    // Only the policy that lets managers ask is offered.
    assert!(form.has(&format!(r#"name="policy" value="{managers}""#)));
    assert!(!form.has(&initial.to_string()), "{}", form.body);

    // Nobody else can be asked for: not someone who reports to someone
    // else, and not by someone who manages nobody.
    let other = maria
        .get(&app.url(format!("{}?for={ada}", routes::PACKAGE.id(&employees))))
        .await;
    assert_eq!(other.status, 404);
    let listed = maria
        .get(&app.url(format!("{}?for={ada}", routes::HOME)))
        .await;
    assert_eq!(listed.status, 404);
    let (package, policy) = (employees.as_str(), managers.as_str());
    let smuggled = ask_for(&app, &maria, package, ada.as_str(), policy, "Slipped in").await;
    assert_eq!(smuggled.status, 404);
    // Nor under a policy that does not let managers ask.
    let wrong_policy = ask_for(&app, &maria, package, eric.as_str(), &initial, "Campaign").await;
    assert_eq!(wrong_policy.status, 422, "{}", wrong_policy.body);
    assert!(wrong_policy.has("Choose one of the policies offered to you."));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM assignment_requests WHERE requestor_id IS NOT NULL \
             AND target_id <> requestor_id"
        )
        .await,
        0
    );
    let eric_b = Browser::new();
    app.demo_sign_in(&eric_b, "eric.employee@gatehouse.demo")
        .await;
    let not_his = eric_b
        .get(&app.url(format!(
            "{}?for={}",
            routes::HOME,
            user_named(&app, "emma.employee@gatehouse.demo").await.id
        )))
        .await;
    assert_eq!(not_his.status, 404);
    assert!(!eric_b.get(&app.url(routes::HOME)).await.has("Request for"));
    let his_page = eric_b.get(&app.url(routes::PACKAGE.id(&employees))).await;
    assert!(!his_page.has(r#"<select id="for""#), "{}", his_page.body);

    // Maria asks for herself as before, and for Eric.
    let own = maria.get(&app.url(routes::PACKAGE.id(&employees))).await;
    assert!(!own.has("You are requesting this for"));
    assert!(
        own.has(r#"<select id="for" name="for"><option value="">Myself</option>"#)
            && own.has(&format!(r#"<option value="{eric}">Eric Employee</option>"#)),
        "{}",
        own.body
    );
    // Choosing "Myself" there (an empty `for`) is her own page.
    let myself = format!("{}?for=", routes::PACKAGE.id(&employees));
    let myself = maria.get(&app.url(myself)).await;
    assert_eq!(myself.status, 200, "{}", myself.body);
    assert!(!myself.has("You are requesting this for"));
    let mine = maria
        .post(
            &app.url(routes::PACKAGE.id(&employees)),
            &[
                ("csrf_token", own.csrf().as_str()),
                ("policy", initial.as_str()),
                ("justification", "Campaign lead"),
            ],
        )
        .await;
    assert_eq!(mine.status, 303, "{}", mine.body);
    let why = "Joins the spring campaign";
    let sent = ask_for(&app, &maria, package, eric.as_str(), policy, why).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let id = request_id_for(&app, "eric.employee@gatehouse.demo").await;
    let history = maria.get(&app.url(routes::REQUESTS)).await;
    assert!(
        history.has("<small>For Eric Employee</small>"),
        "{}",
        history.body
    );
    assert_eq!(
        history
            .body
            .matches("Marketing resources for employees</a>")
            .count(),
        2,
        "her own request and Eric's: {}",
        history.body
    );
    let hers = maria.get(&app.url(routes::REQUEST.id(&id))).await;
    assert!(
        hers.has("<dt>For</dt><dd>Eric Employee, who reports to you</dd>"),
        "{}",
        hers.body
    );
    let his = eric_b.get(&app.url(routes::REQUEST.id(&id))).await;
    assert!(
        his.has("<dt>Requested by</dt><dd>Maria Manager, your manager, for you</dd>"),
        "{}",
        his.body
    );

    // Her approval mail says who asked.
    wait_for_mail(&[
        id.as_str(),
        "Requested by: Maria Manager, their manager, on their behalf",
    ])
    .await;
    // Maria cannot approve what she asked for: Ada, the fallback, decides.
    let hers = maria.get(&app.url(routes::APPROVAL.id(&id))).await;
    assert_eq!(hers.status, 404);
    let ada = admin.get(&app.url(routes::APPROVAL.id(&id))).await;
    assert!(
        ada.has("<dt>Requested by</dt><dd>Maria Manager, their manager, on their behalf</dd>"),
        "{}",
        ada.body
    );
    let approved = approve_as(&app, "ada.admin@gatehouse.demo", &id).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert!(has(
        &held_by(&app, "eric.employee@gatehouse.demo").await,
        "Group Marketing Team member"
    ));

    // Her tabs count her own access, also while she asks for Eric (who
    // holds the package now).
    let tabs = |page: &Page| {
        let at = page.body.find(r#"<nav class="subnav""#).unwrap();
        page.body[at..].split("</nav>").next().unwrap().to_string()
    };
    let his_home = eric_b.get(&app.url(routes::HOME)).await;
    assert!(
        tabs(&his_home).contains(">Active (1)<"),
        "{}",
        his_home.body
    );
    let own_home = maria.get(&app.url(routes::HOME)).await;
    let for_eric = maria
        .get(&app.url(format!("{}?for={eric}", routes::HOME)))
        .await;
    assert!(
        for_eric.has("you can request for Eric Employee"),
        "{}",
        for_eric.body
    );
    assert_eq!(tabs(&for_eric), tabs(&own_home));
    assert_ne!(tabs(&for_eric), tabs(&his_home));

    // Asked again, Maria is told Eric has it now.
    let again = maria.get(&page_url).await;
    assert!(
        again.has("Eric Employee already has Marketing resources for employees."),
        "{}",
        again.body
    );

    // What she asked for Emma she can cancel, and make again: for Emma.
    let emma = user_named(&app, "emma.employee@gatehouse.demo").await.id;
    let sent = ask_for(&app, &maria, package, emma.as_str(), policy, "").await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let first = request_id_for(&app, "emma.employee@gatehouse.demo").await;
    let canceled = maria
        .post(
            &app.url(routes::REQUEST_CANCEL.id(&first)),
            &[("csrf_token", form.csrf().as_str())],
        )
        .await;
    assert_eq!(canceled.status, 303, "{}", canceled.body);
    let resent = maria
        .post(
            &app.url(routes::REQUEST_RESUBMIT.id(&first)),
            &[("csrf_token", form.csrf().as_str())],
        )
        .await;
    assert_eq!(resent.status, 303, "{}", resent.body);
    let second = request_id_for(&app, "emma.employee@gatehouse.demo").await;
    assert_ne!(first, second);
    let page = maria.get(&app.url(routes::REQUEST.id(&second))).await;
    assert!(
        page.has("<dt>For</dt><dd>Emma Employee, who reports to you</dd>"),
        "{}",
        page.body
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM assignment_requests r JOIN users u ON u.id = r.target_id \
             WHERE u.email = 'maria.manager@gatehouse.demo'"
        )
        .await,
        1,
        "only what Maria asked for herself"
    );

    // The strictest policy that admits someone decides for their manager
    // too: once a policy names Emma, and it does not let managers ask,
    // Maria can no longer ask for her (Emma's request Maria made is open).
    let for_emma = format!("{}?for={emma}", routes::HOME);
    assert!(
        maria
            .get(&app.url(&for_emma))
            .await
            .has("1 access package you can")
    );
    let new = admin
        .get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(&employees)))
        .await;
    let named = admin
        .post(
            &app.url(routes::ADMIN_PACKAGE_POLICIES.id(&employees)),
            &[
                ("csrf_token", new.csrf().as_str()),
                ("policy_name", "Emma by name"),
                ("scope", "specificDirectoryUsers"),
                ("target_users", "emma.employee@gatehouse.demo"),
                ("enabled", "on"),
                ("enable_requests", "on"),
                ("stage_count", "1"),
                ("s1_days", "14"),
                ("expiration_type", "never"),
                ("q_count", "0"),
            ],
        )
        .await;
    assert_eq!(named.status, 303, "{}", named.body);
    let listed = maria.get(&app.url(&for_emma)).await;
    assert!(
        listed.has("No access package lets managers request for Emma Employee."),
        "{}",
        listed.body
    );
    // Nothing is said of her request either: the package is not hers to ask.
    let page_for_emma = app.url(format!("{}?for={emma}", routes::PACKAGE.id(&employees)));
    let page = maria.get(&page_for_emma).await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert!(!page.has("open request"), "{}", page.body);
    // What she asked before stays hers to cancel.
    let canceled = maria
        .post(
            &app.url(routes::REQUEST_CANCEL.id(&second)),
            &[("csrf_token", form.csrf().as_str())],
        )
        .await;
    assert_eq!(canceled.status, 303);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM assignment_requests WHERE id = '{second}' AND state = 'canceled'")
        )
        .await,
        1
    );
    assert_eq!(maria.get(&page_for_emma).await.status, 404);
}

/// Ada adds to `package` a policy "Managers ask" for `scope` that lets
/// managers ask, its manager stage falling back to her.
pub(crate) async fn add_managers_policy(
    app: &TestApp,
    admin: &Browser,
    package: &str,
    scope: &str,
) -> Page {
    let new = admin
        .get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(package)))
        .await;
    admin
        .post(
            &app.url(routes::ADMIN_PACKAGE_POLICIES.id(package)),
            &[
                ("csrf_token", new.csrf().as_str()),
                ("policy_name", "Managers ask"),
                ("scope", scope),
                ("enabled", "on"),
                ("enable_requests", "on"),
                ("on_behalf", "on"),
                ("approval_required", "on"),
                ("stage_count", "1"),
                ("s1_manager", "on"),
                ("s1_fallback_users", "ada.admin@gatehouse.demo"),
                ("s1_days", "14"),
                ("expiration_type", "never"),
                ("q_count", "0"),
            ],
        )
        .await
}

/// The manager signed in on `manager` asks for `package` for `report`
/// under `policy`, with `justification` (none when empty).
pub(crate) async fn ask_for(
    app: &TestApp,
    manager: &Browser,
    package: &str,
    report: &str,
    policy: &str,
    justification: &str,
) -> Page {
    let home = manager.get(&app.url(routes::HOME)).await;
    manager
        .post(
            &app.url(routes::PACKAGE.id(package)),
            &[
                ("csrf_token", home.csrf().as_str()),
                ("for", report),
                ("policy", policy),
                ("justification", justification),
            ],
        )
        .await
}

/// Someone whose manager asked for them, and who has left the policy's
/// scope by the time it is approved, is not given the access: the request
/// is denied, and the manager reads why.
#[tokio::test]
async fn a_report_who_left_the_scope_before_approval_is_not_given_access() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let employees = package_named(&app, "Marketing resources for employees").await;
    let emma = user_named(&app, "emma.employee@gatehouse.demo").await.id;
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let created = add_managers_policy(&app, &admin, employees.as_str(), "allMemberUsers").await;
    assert_eq!(created.status, 303, "{}", created.body);
    let managers = policy_named(&app, &employees, "Managers ask").await;
    let maria = Browser::new();
    app.demo_sign_in(&maria, "maria.manager@gatehouse.demo")
        .await;
    let sent = ask_for(
        &app,
        &maria,
        employees.as_str(),
        emma.as_str(),
        &managers,
        "",
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let id = request_id_for(&app, "emma.employee@gatehouse.demo").await;

    // Emma becomes a guest: "all members" no longer admits her.
    let saved = save_emma(&app, &admin, "guest", "emma.employee@gatehouse.demo").await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    let approved = approve_as(&app, "ada.admin@gatehouse.demo", &id).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    let page = maria.get(&app.url(routes::REQUEST.id(&id))).await;
    assert!(
        page.has("The person this request is for is no longer among the people this package"),
        "{}",
        page.body
    );
    assert!(!has(
        &held_by(&app, "emma.employee@gatehouse.demo").await,
        "Group Marketing Team member"
    ));
}
