//! Sign-in through a real OpenID Connect provider, sessions, CSRF, and who may see what.

use crate::both;
use crate::helpers::*;
use gatehouse::routes;

fn session_cookie(page: &Page) -> Option<String> {
    page.set_cookies
        .iter()
        .find(|c| c.starts_with("gatehouse_session="))
        .cloned()
}

both!(
    oidc_sign_in_creates_the_user_and_returns_to_the_page,
    |backend| async move {
        let app = spawn(Options::new(backend).oidc().admin("alice@example.test")).await;
        let b = Browser::new();

        // Signed out: sent to sign in, with the way back.
        let page = b
            .get(&app.url(format!("{}?q=x", routes::ADMIN_USERS.list)))
            .await;
        assert_eq!(page.status, 303);
        let back = urlencode(&format!("{}?q=x", routes::ADMIN_USERS.list));
        assert_eq!(back, "%2Fadmin%2Fusers%3Fq%3Dx");
        assert_eq!(
            page.location.as_deref(),
            Some(format!("{}?next={back}", routes::LOGIN).as_str())
        );

        let before_cookie = b.snapshot().get("gatehouse_session").cloned();
        let wanted = format!("{}?q=x", routes::ADMIN_USERS.list);
        let callback = app.oidc_until_callback(&b, "alice", &wanted).await;
        assert!(callback.contains("state="));
        let done = b.get(&callback).await;
        assert_eq!(done.status, 303, "callback refused: {}", done.body);
        assert_eq!(done.location.as_deref(), Some(wanted.as_str()));
        let cookie = session_cookie(&done).expect("a session cookie is set");
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(
            !cookie.contains("Secure"),
            "http public URL: no Secure flag"
        );
        assert_ne!(
            b.snapshot().get("gatehouse_session").cloned(),
            before_cookie,
            "session renewed at sign-in"
        );

        // The user exists, made from the ID token's claims, and is an administrator.
        let mut c = app.store.read().await.unwrap();
        let user = gatehouse::store::users::find_by_email(&mut c, "alice@example.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.display_name, "Alice Example");
        assert_eq!(user.given_name.as_deref(), Some("Alice"));
        assert_eq!(user.surname.as_deref(), Some("Example"));
        let found = gatehouse::store::users::find_by_identity(&mut c, &oidc_issuer(), "alice")
            .await
            .unwrap();
        assert_eq!(found.map(|u| u.id), Some(user.id.clone()));
        drop(c);
        let admin = b
            .get(&app.url(format!("{}?q=x", routes::ADMIN_USERS.list)))
            .await;
        assert_eq!(admin.status, 200);
        assert!(admin.has("Alice Example"));

        // Signing in again finds the same user.
        let count = app.user_count().await;
        let b2 = Browser::new();
        let callback = app.oidc_until_callback(&b2, "alice", "/").await;
        assert_eq!(b2.get(&callback).await.status, 303);
        assert_eq!(app.user_count().await, count);

        // Sign-out clears the session.
        let home = b.get(&app.url(routes::HOME)).await;
        let out = b
            .post(&app.url(routes::LOGOUT), &[("csrf_token", &home.csrf())])
            .await;
        assert_eq!(out.status, 303);
        assert_eq!(
            b.get(&app.url(routes::HOME)).await.status,
            303,
            "signed out: sent to sign in again"
        );
    }
);

#[tokio::test]
async fn non_admins_get_403_on_the_admin_console() {
    let app = spawn(
        Options::new(Backend::Sqlite)
            .oidc()
            .admin("alice@example.test"),
    )
    .await;
    let b = Browser::new();
    let callback = app.oidc_until_callback(&b, "bob", "/").await;
    assert_eq!(b.get(&callback).await.status, 303);
    let home = b.get(&app.url(routes::HOME)).await;
    assert_eq!(home.status, 200);
    assert!(home.has("Bob Example"));
    assert!(
        !home.has(&format!(r#"href="{}""#, routes::ADMIN)),
        "no Admin link for non-admins"
    );
    for path in [
        routes::ADMIN,
        routes::ADMIN_USERS.list,
        routes::ADMIN_GROUPS.new,
        routes::ADMIN_SITES.list,
    ] {
        let page = b.get(&app.url(path)).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.has("Access denied"));
    }
    let post = b
        .post(
            &app.url(routes::ADMIN_USERS.list),
            &[
                ("csrf_token", &home.csrf()),
                ("user_type", "member"),
                ("display_name", "X"),
                ("email", "x@x.test"),
            ],
        )
        .await;
    assert_eq!(post.status, 403);
    let mut c = app.store.read().await.unwrap();
    assert!(
        gatehouse::store::users::find_by_email(&mut c, "x@x.test")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn wrong_or_missing_state_is_refused_and_creates_nothing() {
    let app = spawn(Options::new(Backend::Sqlite).oidc()).await;
    let b = Browser::new();
    let callback = app.oidc_until_callback(&b, "carol", "/").await;
    let tampered = callback.replace("state=", "state=evil");
    let page = b.get(&tampered).await;
    assert_eq!(page.status, 403);
    assert!(page.has("state mismatch"));
    assert_eq!(app.user_count().await, 0);

    // The attempt is used up: the genuine answer is now refused too (missing state).
    let page = b.get(&callback).await;
    assert_eq!(page.status, 403);
    assert!(page.has("not started from this browser"));
    assert_eq!(app.user_count().await, 0);

    // A callback in a browser that never started a sign-in.
    let stranger = Browser::new();
    let page = stranger
        .get(&app.url(format!("{}?code=abc&state=xyz", routes::CALLBACK)))
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let app = spawn(Options::new(Backend::Sqlite).oidc()).await;
    let b = Browser::new();
    let callback = app.oidc_until_callback(&b, "dave", "/").await;
    // An attacker copies the cookie holding the pending sign-in before it is used.
    let before = b.snapshot();
    assert_eq!(b.get(&callback).await.status, 303);
    assert_eq!(app.user_count().await, 1);

    let attacker = Browser::new();
    attacker.restore(before);
    let page = attacker.get(&callback).await;
    assert_eq!(page.status, 403);
    assert!(page.has("refused to complete the sign-in"), "{}", page.body);
    assert_eq!(
        attacker.get(&app.url(routes::HOME)).await.status,
        303,
        "the replay did not sign anyone in"
    );
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    let app = spawn(Options::new(Backend::Sqlite).oidc()).await;
    let b = Browser::new();
    let start = b.get(&app.url(routes::LOGIN)).await;
    let authorize = start.location.unwrap();
    // The ID token will carry a nonce this browser's sign-in did not choose.
    let mut url = url::Url::parse(&authorize).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            (
                k.to_string(),
                if k == "nonce" {
                    "someone-elses-nonce".to_string()
                } else {
                    v.to_string()
                },
            )
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let callback = app.provider_login(&b, url.as_str(), "erin").await;
    let page = b.get(&callback).await;
    assert_eq!(page.status, 403);
    assert!(page.has("could not be verified"), "{}", page.body);
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn without_a_provider_the_sign_in_page_explains_how_to_configure_one() {
    let app = spawn(Options::new(Backend::Sqlite)).await;
    let b = Browser::new();
    let page = b.get(&app.url(routes::LOGIN)).await;
    assert_eq!(page.status, 200);
    assert!(page.has("No identity provider is configured"));
    assert!(page.has("GATEHOUSE_OIDC_ISSUER"));
    assert!(page.has(&format!("{}/auth/callback", app.address)));
    assert!(!page.has("demo-banner"));
}

both!(
    post_without_a_valid_csrf_token_is_refused,
    |backend| async move {
        let app = spawn(Options::new(backend).demo()).await;
        let b = Browser::new();
        app.demo_sign_in(&b, "ada.admin@gatehouse.demo").await;
        let users = app.user_count().await;
        let fields = [
            ("user_type", "member"),
            ("display_name", "Mallory"),
            ("email", "mallory@evil.test"),
        ];
        let page = b.post(&app.url(routes::ADMIN_USERS.list), &fields).await;
        assert_eq!(page.status, 403);
        assert!(page.has("Form expired"));
        let mut with_wrong = fields.to_vec();
        with_wrong.push(("csrf_token", "forged"));
        assert_eq!(
            b.post(&app.url(routes::ADMIN_USERS.list), &with_wrong)
                .await
                .status,
            403
        );
        assert_eq!(app.user_count().await, users, "nothing was created");
        // Sign-out needs the token too.
        assert_eq!(b.post(&app.url(routes::LOGOUT), &[]).await.status, 403);
        assert_eq!(
            b.get(&app.url(routes::HOME)).await.status,
            200,
            "still signed in"
        );
    }
);

#[tokio::test]
async fn demo_mode_offers_the_demo_users_and_shows_a_banner() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let b = Browser::new();
    let login = b.get(&app.url(routes::LOGIN)).await;
    assert!(login.has("demo-banner"));
    for email in [
        "ada.admin@gatehouse.demo",
        "maria.manager@gatehouse.demo",
        "eric.employee@gatehouse.demo",
        "emma.employee@gatehouse.demo",
        "gary.guest@contoso.com",
    ] {
        assert!(login.has(email), "{email} offered");
    }
    app.demo_sign_in(&b, "ada.admin@gatehouse.demo").await;
    let groups = b.get(&app.url(routes::ADMIN_GROUPS.list)).await;
    assert!(groups.has("demo-banner"));
    for name in [
        "Marketing Team",
        "SG-Marketing-Department-GuestUsers",
        "SG-Marketing-Department-InternalUsers",
    ] {
        assert!(groups.has(name), "{name}");
    }
    let apps = b.get(&app.url(routes::ADMIN_APPLICATIONS.list)).await;
    assert!(apps.has("Owner, User, msiam_access"));
    assert!(
        b.get(&app.url(routes::ADMIN_SITES.list))
            .await
            .has("Marketing")
    );

    // The approver manages the two employees.
    let mut c = app.store.read().await.unwrap();
    let maria = gatehouse::store::users::find_by_email(&mut c, "maria.manager@gatehouse.demo")
        .await
        .unwrap()
        .unwrap();
    let reports = gatehouse::store::users::direct_reports(&mut c, &maria.id)
        .await
        .unwrap();
    assert_eq!(reports.len(), 2);
    let gary = gatehouse::store::users::find_by_email(&mut c, "gary.guest@contoso.com")
        .await
        .unwrap()
        .unwrap();
    assert!(gary.is_guest());
    drop(c);

    // A non-demo user cannot be picked, even with a valid token.
    let other = Browser::new();
    let page = other.get(&app.url(routes::LOGIN)).await;
    let res = other
        .post(
            &app.url(routes::DEMO_SIGN_IN),
            &[
                ("csrf_token", &page.csrf()),
                ("user_id", &uuid::Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn demo_seed_runs_once_and_sessions_survive_a_restart() {
    let first = spawn(Options::new(Backend::Sqlite).demo()).await;
    let b = Browser::new();
    first.demo_sign_in(&b, "eric.employee@gatehouse.demo").await;
    let users = first.user_count().await;
    let groups = first.audit_count("group").await;
    first.handle.stop(true).await;

    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.database = Some(first.database.clone());
    let second = spawn(opts).await;
    assert_eq!(second.user_count().await, users, "no second seed");
    assert_eq!(second.audit_count("group").await, groups);
    // The session key was kept in the database: the same cookie still works.
    let home = b.get(&second.url(routes::HOME)).await;
    assert_eq!(home.status, 200);
    assert!(home.has("Eric Employee"));
}

#[tokio::test]
async fn demo_mode_refuses_a_non_loopback_address() {
    let env = std::collections::HashMap::from([
        ("GATEHOUSE_BIND".to_string(), "0.0.0.0:0".to_string()),
        (
            "GATEHOUSE_DATABASE_URL".to_string(),
            fresh_database(Backend::Sqlite).await.expose().to_string(),
        ),
    ]);
    let config =
        gatehouse::config::Config::load(Some(std::path::Path::new("/dev/null")), &env, true)
            .unwrap();
    let err = gatehouse::startup::Application::build(config)
        .await
        .err()
        .expect("refused");
    let text = format!("{err}");
    assert!(text.starts_with("GATEHOUSE_BIND: demo mode"), "{text}");
}

#[tokio::test]
async fn sessions_end_twelve_hours_after_sign_in() {
    let clock = gatehouse::clock::Clock::manual(chrono::Utc::now());
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.clock = Some(clock.clone());
    let app = spawn(opts).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "eric.employee@gatehouse.demo").await;
    // In use all along (a page every 50 minutes), so never idle.
    for _ in 0..13 {
        clock.advance(chrono::Duration::minutes(50));
        assert_eq!(b.get(&app.url(routes::HOME)).await.status, 200);
    }
    clock.advance(chrono::Duration::hours(1) + chrono::Duration::minutes(30));
    let page = b.get(&app.url(routes::HOME)).await;
    assert_eq!(
        page.status, 303,
        "a copied cookie does not stay valid for ever"
    );
}

#[tokio::test]
async fn a_sign_in_link_cannot_send_people_elsewhere() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "eric.employee@gatehouse.demo").await;
    for next in ["//evil.example", "https://evil.example", "/%5Cevil.example"] {
        let page = b
            .get(&app.url(format!("{}?next={next}", routes::LOGIN)))
            .await;
        assert_eq!(page.status, 303);
        assert_eq!(page.location.as_deref(), Some("/"), "{next}");
    }
    // A control character in the address is refused before anything reads it.
    let tab = b
        .get(&app.url(format!("{}?next=/%09/evil.example", routes::LOGIN)))
        .await;
    assert_eq!(tab.status, 400);
    assert!(tab.has("control character"));
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let bad_query = admin
        .get(&app.url(format!("{}?page=abc", routes::ADMIN_USERS.list)))
        .await;
    assert_eq!(bad_query.status, 400);
    assert!(bad_query.has("The address is not valid"));
}
