//! People who are not in the directory: sign-in with an emailed code or their
//! organization's provider, requests under external policies, and the guest
//! account that delivery creates.

use crate::both;
use crate::helpers::*;
use gatehouse::clock::Clock;
use gatehouse::routes;

fn unique_email(local: &str, domain: &str) -> String {
    format!(
        "{local}.{}@{domain}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Asks for a code on the sign-in page and returns the code the SMTP sink caught.
async fn ask_code(app: &TestApp, browser: &Browser, email: &str) -> String {
    let login = browser.get(&app.url(routes::LOGIN)).await;
    assert!(login.has("Send me a code"));
    let sent = browser
        .post(
            &app.url(routes::CODE),
            &[
                ("csrf_token", &login.csrf()),
                ("email", email),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let page = browser
        .get(&app.url(sent.location.as_deref().unwrap()))
        .await;
    assert!(page.has("a sign-in code is on its way"));
    next_code(email).await
}

/// The newest code sent to the address that this test has not seen yet: the
/// sink keeps every message, and an address may get several codes.
async fn next_code(email: &str) -> String {
    static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let dir =
        std::path::PathBuf::from(std::env::var("GATEHOUSE_TEST_MAILDIR").unwrap()).join("new");
    for _ in 0..200 {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            if text.contains(email) && text.contains("sign-in code is") {
                let code = code_in(&text);
                let mut seen = SEEN.lock().unwrap();
                if !seen.contains(&code) {
                    seen.push(code.clone());
                    return code;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no new sign-in code for {email}");
}

fn code_in(mail: &str) -> String {
    let at = mail.find("sign-in code is ").unwrap() + "sign-in code is ".len();
    let code: String = mail[at..].chars().take(8).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
    code
}

async fn enter_code(app: &TestApp, browser: &Browser, code: &str) -> Page {
    let page = browser.get(&app.url(routes::CODE)).await;
    browser
        .post(
            &app.url(routes::CODE_VERIFY),
            &[("csrf_token", &page.csrf()), ("code", code), ("next", "/")],
        )
        .await
}

both!(
    a_new_guest_signs_in_with_a_code_and_becomes_a_governed_guest,
    |backend| async move {
        let mut opts = Options::new(backend).demo();
        opts.smtp = true;
        let app = spawn(opts).await;
        let email = unique_email("nina", "fabrikam.example");
        let guest = Browser::new();
        let code = ask_code(&app, &guest, &email).await;

        let wrong = enter_code(&app, &guest, "00000000").await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.has("That code is wrong or no longer works."));
        let signed_in = enter_code(&app, &guest, &code).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        assert_eq!(app.user_count().await, 5, "no account before approval");

        // Only what is open to external users is offered.
        let home = guest.get(&app.url(routes::HOME)).await;
        assert!(home.has("Marketing resources for guests"));
        assert!(!home.has("Marketing resources for employees"));
        let package = package_id(&app, "Marketing resources for guests").await;
        let link = app.url(routes::PACKAGE.id(&package));
        let form = guest.get(&link).await;
        assert!(form.has("Which campaign or project do you work on?"));
        assert!(form.has("givenName"), "required attributes are asked");
        let fields = |given: &str| {
            let attributes = [
                ("attr_givenName", given),
                ("attr_surname", "Newman"),
                ("attr_jobTitle", "Designer"),
            ];
            guest_request(&form, &attributes)
        };
        let refused = guest.post(&link, &pairs(&fields(""))).await;
        assert_eq!(refused.status, 422);
        assert!(refused.has("This attribute is required."));
        let sent = guest.post(&link, &pairs(&fields("Nina"))).await;
        assert_eq!(
            sent.location.as_deref(),
            Some(routes::REQUESTS.as_str()),
            "{}",
            sent.body
        );
        let mine = guest.get(&app.url(routes::REQUESTS)).await;
        assert!(mine.has("pending approval"));

        // Someone from an unknown domain under "all users": a proposed organization.
        let mut c = app.store.read().await.unwrap();
        let orgs = gatehouse::store::connected_orgs::search(
            &mut c,
            "fabrikam",
            gatehouse::store::PageAt::first(10),
        )
        .await
        .unwrap();
        drop(c);
        assert_eq!(orgs.items.len(), 1);
        assert_eq!(orgs.items[0].state.as_str(), "proposed");
        assert_eq!(orgs.items[0].domains, vec!["fabrikam.example".to_string()]);

        // The approver's mail names the requestor and their organization.
        let mail = wait_for_mail(&["maria.manager@gatehouse.demo", &email]).await;
        assert!(mail.contains("fabrikam.example"), "{mail}");
        let request = request_id_for(&app, &email).await;
        // The approver reads each attribute under the question it answers.
        let maria = Browser::new();
        app.demo_sign_in(&maria, "maria.manager@gatehouse.demo")
            .await;
        let details = maria.get(&app.url(routes::APPROVAL.id(&request))).await;
        assert!(
            details.has("<dt>Job title</dt><dd>Designer</dd>"),
            "{}",
            details.body
        );
        let decided = approve_as(&app, "maria.manager@gatehouse.demo", &request).await;
        assert_eq!(decided.status, 303, "{}", decided.body);

        // Delivery made the guest: governed, in the organization, with the
        // attributes and the groups.
        let mut c = app.store.read().await.unwrap();
        let user = gatehouse::store::users::find_by_email(&mut c, &email)
            .await
            .unwrap()
            .expect("the guest account exists");
        assert!(user.is_guest() && user.governed);
        assert_eq!(user.display_name, "Nina Newman");
        assert_eq!(user.given_name.as_deref(), Some("Nina"));
        assert_eq!(user.job_title.as_deref(), Some("Designer"));
        assert_eq!(
            user.connected_organization_id.as_deref(),
            Some(orgs.items[0].id.as_str())
        );
        let groups = gatehouse::store::requests::group_ids_of(&mut c, &user.id)
            .await
            .unwrap();
        assert_eq!(groups.len(), 2, "the team and the guest group");
        drop(c);
        wait_for_mail(&[
            &email,
            "You now have access to Marketing resources for guests",
        ])
        .await;

        // The same browser is now that guest, and holds the package.
        let home = guest.get(&app.url(routes::HOME)).await;
        assert!(home.has("Nina Newman"));
        assert!(
            guest
                .get(&link)
                .await
                .has("You already have this access package.")
        );

        // The code was single use.
        let again = Browser::new();
        let page = again.get(&app.url(routes::LOGIN)).await;
        again
            .post(
                &app.url(routes::CODE),
                &[
                    ("csrf_token", &page.csrf()),
                    ("email", &email),
                    ("next", "/"),
                ],
            )
            .await;
        let reused = enter_code(&app, &again, &code).await;
        assert_eq!(reused.status, 422);
    }
);

#[tokio::test]
async fn codes_are_short_lived_limited_and_reveal_no_accounts() {
    let clock = Clock::manual(chrono::Utc::now());
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.smtp = true;
    opts.clock = Some(clock.clone());
    let app = spawn(opts).await;

    // A known guest and an unknown address get the same answer.
    let known = Browser::new();
    let known_code = ask_code(&app, &known, "gary.guest@contoso.com").await;
    assert_eq!(known_code.len(), 8);
    let unknown = Browser::new();
    let email = unique_email("someone", "nowhere.example");
    let unknown_code = ask_code(&app, &unknown, &email).await;
    assert_ne!(known_code, unknown_code);

    // Eleven minutes later the code no longer works.
    clock.advance(chrono::Duration::minutes(11));
    let late = enter_code(&app, &unknown, &unknown_code).await;
    assert_eq!(late.status, 422);

    // Three codes per address in fifteen minutes; the fourth is refused,
    // with the same words whoever the address belongs to.
    clock.advance(chrono::Duration::minutes(5));
    let b = Browser::new();
    let mut last = String::new();
    for _ in 0..3 {
        let login = b.get(&app.url(routes::LOGIN)).await;
        let sent = b
            .post(
                &app.url(routes::CODE),
                &[
                    ("csrf_token", &login.csrf()),
                    ("email", &email),
                    ("next", "/"),
                ],
            )
            .await;
        last = b
            .get(&app.url(sent.location.as_deref().unwrap()))
            .await
            .body;
    }
    assert!(!last.contains("Several codes were sent"), "{last}");
    let login = b.get(&app.url(routes::LOGIN)).await;
    let sent = b
        .post(
            &app.url(routes::CODE),
            &[
                ("csrf_token", &login.csrf()),
                ("email", &email),
                ("next", "/"),
            ],
        )
        .await;
    let refused = b.get(&app.url(sent.location.as_deref().unwrap())).await;
    assert!(refused.has("Several codes were sent to this address"));

    // Five wrong guesses kill the code: the right one then fails too.
    let fresh = Browser::new();
    let code = ask_code(&app, &fresh, "gary.guest@contoso.com").await;
    for _ in 0..5 {
        let wrong = enter_code(&app, &fresh, "11111111").await;
        assert_eq!(wrong.status, 422);
    }
    let after = enter_code(&app, &fresh, &code).await;
    assert_eq!(after.status, 422, "the code died after five wrong guesses");

    // A guest already in the directory signs in as themselves with a code.
    clock.advance(chrono::Duration::minutes(20));
    let gary = Browser::new();
    let code = ask_code(&app, &gary, "gary.guest@contoso.com").await;
    let ok = enter_code(&app, &gary, &code).await;
    assert_eq!(ok.status, 303);
    assert!(gary.get(&app.url(routes::HOME)).await.has("Gary Guest"));

    // An address at the organization's own domain gets no code: its people
    // sign in with the organization's provider.
    let eric = Browser::new();
    let login = eric.get(&app.url(routes::LOGIN)).await;
    let refused = eric
        .post(
            &app.url(routes::CODE),
            &[
                ("csrf_token", &login.csrf()),
                ("email", "eric.employee@gatehouse.demo"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.has("Addresses at gatehouse.demo belong to this organization"));
    assert!(
        eric.get(&app.url(routes::HOME)).await.status == 303,
        "not signed in"
    );

    // A bad address is said beside the field; nothing is sent.
    let page = b.get(&app.url(routes::LOGIN)).await;
    let bad = b
        .post(
            &app.url(routes::CODE),
            &[
                ("csrf_token", &page.csrf()),
                ("email", "not an address"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.has("Enter your email address"));
    // The address field names its error, for those who hear the page.
    assert!(bad.has(r#"aria-invalid="true" aria-describedby="email-error""#));
    assert!(bad.has(r#"<small class="field-error" id="email-error">Enter your email address"#));
    assert!(
        bad.has("Ada Admin") && bad.has("Send me a code"),
        "the whole sign-in page comes back, not only the code form"
    );
}

#[tokio::test]
async fn a_contoso_user_signs_in_with_contosos_provider_and_gets_access_without_approval() {
    let app = spawn(Options::new(Backend::Postgres).demo()).await;
    // Contoso's own identity provider: the test provider stands in for it.
    {
        // As an administrator enters it on Contoso's page.
        let contoso = {
            let mut c = app.store.read().await.unwrap();
            gatehouse::store::connected_orgs::id_by_name(&mut c, "Contoso")
                .await
                .unwrap()
                .unwrap()
        };
        let admin = Browser::new();
        app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
        let url = app.url(routes::ADMIN_ORGS.item.id(&contoso));
        let page = admin.get(&url).await;
        let saved = admin
            .post(
                &url,
                &[
                    ("csrf_token", &page.csrf()),
                    ("display_name", "Contoso"),
                    ("description", "Contoso Ltd."),
                    ("state", "configured"),
                    ("domains", "contoso.com"),
                    ("oidc_issuer", &oidc_issuer()),
                    ("oidc_client_id", "gatehouse-test"),
                    ("oidc_client_secret", "test-secret"),
                    ("internal_sponsors", "maria.manager@gatehouse.demo"),
                    ("external_sponsors", ""),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
    }
    let email = unique_email("carla", "contoso.com");
    let browser = Browser::new();
    let login = browser.get(&app.url(routes::LOGIN)).await;
    assert!(login.has("Sign in with Contoso"));
    let at = login
        .body
        .find("provider=org%3A")
        .or_else(|| login.body.find("provider=org:"))
        .unwrap();
    let href_start = login.body[..at].rfind("href=\"").unwrap() + 6;
    let href_end = login.body[href_start..].find('"').unwrap() + href_start;
    let start = html_unescape(&login.body[href_start..href_end]);
    let go = browser.get(&app.url(&start)).await;
    assert_eq!(go.status, 303, "{}", go.body);
    let callback = app
        .provider_login(&browser, go.location.as_deref().unwrap(), &email)
        .await;
    let back = browser.get(&callback).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(app.user_count().await, 5, "no account before delivery");

    let package = package_id(&app, "Marketing resources for guests").await;
    let link = app.url(routes::PACKAGE.id(&package));
    let form = browser.get(&link).await;
    assert!(
        form.has("Policy for Contoso"),
        "the organization's own policy wins"
    );
    assert!(!form.has("Policy for regular guest and new guest users"));
    let policy = form.input("policy").unwrap();
    let sent = browser
        .post(
            &link,
            &[
                ("csrf_token", &form.csrf()),
                ("policy", &policy),
                ("attr_givenName", "Carla"),
                ("attr_surname", "Contoso"),
                ("attr_jobTitle", "Buyer"),
            ],
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some(routes::REQUESTS.as_str()),
        "{}",
        sent.body
    );
    let mine = browser.get(&app.url(routes::REQUESTS)).await;
    assert!(mine.has("you now have access"), "{}", mine.body);
    let mut c = app.store.read().await.unwrap();
    let user = gatehouse::store::users::find_by_email(&mut c, &email)
        .await
        .unwrap()
        .unwrap();
    assert!(user.is_guest() && user.governed);
    let contoso = gatehouse::store::connected_orgs::id_by_name(&mut c, "Contoso")
        .await
        .unwrap();
    assert_eq!(user.connected_organization_id, contoso);
    // Contoso's provider speaks only for Contoso's domain: not for an
    // administrator's address, nor anyone else's.
    for outsider in ["ada.admin@gatehouse.demo", "mallory@elsewhere.example"] {
        let b = Browser::new();
        let go = b.get(&app.url(&start)).await;
        let callback = app
            .provider_login(&b, go.location.as_deref().unwrap(), outsider)
            .await;
        let refused = b.get(&callback).await;
        assert_eq!(refused.status, 403, "{outsider}: {}", refused.body);
        assert!(refused.has("not in one of the organization"));
    }
    // Signing in again through Contoso finds the same account.
    drop(c);
    let again = Browser::new();
    let go = again.get(&app.url(&start)).await;
    let callback = app
        .provider_login(&again, go.location.as_deref().unwrap(), &email)
        .await;
    again.get(&callback).await;
    assert!(again.get(&app.url(routes::HOME)).await.has("Carla Contoso"));
}

#[tokio::test]
async fn an_employee_asks_for_a_specific_period_and_access_starts_on_its_first_day() {
    let clock = Clock::manual(chrono::Utc::now());
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.clock = Some(clock.clone());
    let app = spawn(opts).await;
    let eric = Browser::new();
    app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
        .await;
    let package = package_id(&app, "Marketing resources for employees").await;
    let link = app.url(routes::PACKAGE.id(&package));
    let form = eric.get(&link).await;
    assert!(form.has("Request for a specific period"));
    let policy = form.input("policy").unwrap();
    let day = |d: i64| {
        (clock.now() + chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let post = |start: String, end: String| {
        let csrf = form.csrf();
        let policy = policy.clone();
        let eric = &eric;
        let link = link.clone();
        async move {
            eric.post(
                &link,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("policy", policy.as_str()),
                    ("justification", "Autumn campaign"),
                    ("start", start.as_str()),
                    ("end", end.as_str()),
                ],
            )
            .await
        }
    };
    let past = post(day(-1), day(5)).await;
    assert_eq!(past.status, 422);
    assert!(past.has("The start cannot be in the past."));
    let backwards = post(day(10), day(5)).await;
    assert!(backwards.has("The end must be on or after the start."));
    let too_long = post(day(10), day(400)).await;
    assert!(too_long.has("at most 365 days"));
    let half = post(day(10), String::new()).await;
    assert!(half.has("Give both a start and an end, or neither."));
    let junk = post("soon".into(), day(20)).await;
    assert!(junk.has("Enter a date like"));
    // Far years are refused, not overflowed.
    let far = post("+262142-12-20".into(), day(20)).await;
    assert_eq!(far.status, 422);
    let later = post(day(10), day(4000)).await;
    assert!(later.has("Choose an end within 10 years."));

    let sent = post(day(10), day(30)).await;
    assert_eq!(
        sent.location.as_deref(),
        Some(routes::REQUESTS.as_str()),
        "{}",
        sent.body
    );
    let request = request_id_for(&app, "eric.employee@gatehouse.demo").await;
    approve_as(&app, "maria.manager@gatehouse.demo", &request).await;
    let mine = eric.get(&app.url(routes::REQUESTS)).await;
    assert!(mine.has("scheduled"), "{}", mine.body);
    assert!(
        mine.has("Period: <time") && mine.has(&format!("datetime=\"{}T", day(10))),
        "{}",
        mine.body
    );
    let home = eric.get(&app.url(routes::HOME)).await;
    assert!(!home.has("You have access"), "no access before the start");
    let mut c = app.store.read().await.unwrap();
    let told: String = sqlx::query_scalar(
        "SELECT data FROM mail_outbox WHERE kind = 'requestScheduled' AND to_address = 'eric.employee@gatehouse.demo'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert!(
        told.contains(&day(10)),
        "Eric is told when access starts: {told}"
    );
    drop(c);

    // Nothing happens before the start; on the day, access is delivered.
    assert_eq!(
        gatehouse::jobs::run_once(&app.store, &clock)
            .await
            .unwrap()
            .delivered,
        0
    );
    clock.advance(chrono::Duration::days(10));
    assert_eq!(
        gatehouse::jobs::run_once(&app.store, &clock)
            .await
            .unwrap()
            .delivered,
        1
    );
    // Ten days on, the session has ended: Eric signs in again.
    let eric = Browser::new();
    app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
        .await;
    let mine = eric.get(&app.url(routes::REQUESTS)).await;
    assert!(mine.has("delivered"), "{}", mine.body);
    let mut c = app.store.read().await.unwrap();
    let end: String = sqlx::query_scalar(
        "SELECT a.end_at FROM access_package_assignments a JOIN assignment_requests r ON r.assignment_id = a.id WHERE r.id = $1",
    )
    .bind(&request)
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert!(
        end.starts_with(&day(21)),
        "access ends after the chosen last day: {end}"
    );
}

both!(
    a_guest_marked_as_governed_follows_the_guest_lifecycle,
    |backend| async move {
        use crate::correctness::{assign_directly, demo, remove_assignment};
        let (app, admin, clock) = demo(backend).await;
        let (guests, policy) = guests_package(&app).await;
        // Gary, a guest the demo put in the directory, is not governed:
        // Gatehouse did not create his account.
        let gary = "gary.guest@contoso.com";
        let attrs = [
            ("q1", "Autumn fair"),
            ("q2", "Maria Manager"),
            ("q3", "short"),
            ("attr_givenName", "Gary"),
            ("attr_surname", "Guest"),
            ("attr_jobTitle", "Planner"),
        ];
        let r = assign_directly(&app, &admin, &guests, &policy, &[gary], &attrs).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let tab_url = app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&guests));
        let tab = admin.get(&tab_url).await;
        assert!(tab.has("Guest, not governed"), "{}", tab.body);
        let action = form_action(&tab, gary, routes::ADMIN_PACKAGE_ASSIGNMENT_GOVERN);
        let done = admin
            .post(&app.url(&action), &[("csrf_token", &tab.csrf())])
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let back = done.location.as_deref().map(|l| app.url(l));
        assert_eq!(back, Some(tab_url.clone()), "back on the assignments");
        let tab = admin.get(&tab_url).await;
        assert!(tab.has("Guest marked as governed"), "{}", tab.body);
        assert!(!tab.has("Guest, not governed") && !tab.has("/govern\""));
        // The same button again, from a page gone stale, changes nothing.
        let again = admin
            .post(&app.url(&action), &[("csrf_token", &tab.csrf())])
            .await;
        assert_eq!(again.status, 303, "{}", again.body);
        let tab = admin.get(&tab_url).await;
        assert!(
            tab.has("not a guest that Gatehouse leaves alone"),
            "{}",
            tab.body
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_events WHERE action = 'Mark guest as governed'"
            )
            .await,
            1
        );

        // His last assignment ends: the guest lifecycle now blocks him.
        remove_assignment(&app, &admin, &guests, gary).await;
        assert_eq!(run_jobs(&app, &clock).await.blocked, 1);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM users WHERE email = 'gary.guest@contoso.com' AND state = 'blocked'").await,
            1
        );
    }
);

/// Entra's collaboration restrictions win over every policy: nobody from a
/// domain they keep out becomes a guest, whether by request, by an approval
/// given after the restriction, or by an administrator's assignment.
#[tokio::test]
async fn collaboration_restrictions_keep_new_guests_from_listed_domains_out() {
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.smtp = true;
    let app = spawn(opts).await;
    let package = package_id(&app, "Marketing resources for guests").await;
    let link = app.url(routes::PACKAGE.id(&package));
    let sign_in = async |email: &str| {
        let b = Browser::new();
        let code = ask_code(&app, &b, email).await;
        let signed_in = enter_code(&app, &b, &code).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        b
    };
    let ask = async |b: &Browser| {
        let form = b.get(&link).await;
        let policy = form.input("policy").unwrap_or_default();
        let mut fields = vec![
            ("csrf_token", form.csrf()),
            ("policy", policy),
            ("q1", "Spring launch".to_string()),
            ("q2", "Maria Manager".to_string()),
            ("q3", "quarter".to_string()),
            ("attr_givenName", "Rae".to_string()),
            ("attr_surname", "Rival".to_string()),
            ("attr_jobTitle", "Designer".to_string()),
        ];
        fields.retain(|(_, v)| !v.is_empty());
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post(&link, &fields).await
    };
    // Rae from rival.example asks while any domain may.
    let early = unique_email("rae", "rival.example");
    let rae = sign_in(&early).await;
    let sent = ask(&rae).await;
    assert_eq!(
        sent.location.as_deref(),
        Some(routes::REQUESTS.as_str()),
        "{}",
        sent.body
    );
    // Gus, from there too, asks and is approved: a guest in the directory.
    let gus_email = unique_email("gus", "rival.example");
    let gus = sign_in(&gus_email).await;
    let sent = ask(&gus).await;
    assert_eq!(
        sent.location.as_deref(),
        Some(routes::REQUESTS.as_str()),
        "{}",
        sent.body
    );
    let gus_request = request_id_for(&app, &gus_email).await;
    let approved = approve_as(&app, "maria.manager@gatehouse.demo", &gus_request).await;
    assert_eq!(approved.status, 303, "{}", approved.body);

    // The administrator keeps rival.example out; a restriction needs a list.
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let settings = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    assert!(
        settings.has(r#"value="anyDomain" checked"#),
        "{}",
        settings.body
    );
    let save = async |collaboration: &str, listed: &str| {
        admin
            .post(
                &app.url(routes::ADMIN_SETTINGS_ORGANIZATION),
                &[
                    ("csrf_token", settings.csrf().as_str()),
                    ("domains", "gatehouse.demo"),
                    ("collaboration", collaboration),
                    ("collaboration_domains", listed),
                ],
            )
            .await
    };
    let bad = save("allowOnlyDomains", "").await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.has(r#"<small class="field-error" id="collaboration_domains-error">List at least one domain.</small>"#),
        "{}",
        bad.body
    );
    let unchanged = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    assert!(unchanged.has(r#"value="anyDomain" checked"#));
    let saved = save("denyDomains", "Rival.example").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    assert!(
        shown.has(r#"value="denyDomains" checked"#) && shown.has(">rival.example</textarea>"),
        "{}",
        shown.body
    );
    // The audit log says what changed, as the form names it.
    let audit = admin
        .get(&app.url(format!("{}?object_type=settings", routes::ADMIN_AUDIT)))
        .await;
    assert!(
        audit.has("<strong>Collaboration</strong>: <del>Any domain</del> → <ins>Any domain except those listed</ins>"),
        "{}",
        audit.body
    );

    // Gus, a guest already, keeps his access and is treated as one of the
    // directory's people, not as someone from outside.
    let page = gus.get(&link).await;
    assert!(
        page.has("You already have this access package.") && !page.has("does not admit guests"),
        "{}",
        page.body
    );

    // Lou, from a subdomain of it, is told why and cannot ask.
    let late = unique_email("lou", "eu.rival.example");
    let lou = sign_in(&late).await;
    let page = lou.get(&link).await;
    let why = "This organization does not admit guests from eu.rival.example.";
    assert!(page.has(why), "{}", page.body);
    let refused = ask(&lou).await;
    assert_ne!(refused.location.as_deref(), Some(routes::REQUESTS.as_str()));
    let made = format!("SELECT COUNT(*) FROM assignment_requests WHERE target_email = '{late}'");
    assert_eq!(count(&app, &made).await, 0, "no request was made");

    // Rae's request, approved now, is denied with the reason: no guest.
    let request = request_id_for(&app, &early).await;
    let decided = approve_as(&app, "maria.manager@gatehouse.demo", &request).await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    wait_for_mail(&[
        &early,
        "Request denied",
        "does not admit guests from rival.example",
    ])
    .await;
    let users = app.user_count().await;

    // Nor can an administrator add one as a new guest.
    let assigned = crate::administration::assign(
        &app,
        &admin,
        &package,
        &[
            &[
                ("guest_email", "olga@sales.rival.example"),
                ("guest_name", "Olga Rival"),
            ][..],
            crate::administration::GUEST_ANSWERS,
        ]
        .concat(),
    )
    .await;
    assert_eq!(assigned.status, 422);
    assert!(
        assigned
            .has("Guests from sales.rival.example are kept out by the collaboration restrictions"),
        "{}",
        assigned.body
    );
    assert_eq!(app.user_count().await, users, "nobody was added");
}
