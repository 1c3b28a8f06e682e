//! Approval by email through a real SMTP server, and the mail outbox page.

use crate::helpers::*;
use gatehouse::routes;

#[tokio::test]
async fn the_approver_follows_the_email_link_and_the_requestor_hears_back() {
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.smtp = true;
    let app = spawn(opts).await;
    let eric = Browser::new();
    app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
        .await;
    let mut c = app.store.read().await.unwrap();
    let package =
        gatehouse::store::packages::ids_by_name(&mut c, "Marketing resources for employees")
            .await
            .unwrap()
            .remove(0);
    drop(c);
    let form = eric.get(&app.url(routes::PACKAGE.id(&package))).await;
    let policy = form.input("policy").unwrap();
    let sent = eric
        .post(
            &app.url(routes::PACKAGE.id(&package)),
            &[
                ("csrf_token", &form.csrf()),
                ("policy", &policy),
                ("justification", "Launch party"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303);

    // The manager's approval mail: requestor, package, justification, deadline, link.
    let mail = wait_for_mail(&[
        "maria.manager@gatehouse.demo",
        &format!("{}/approvals/", app.address),
    ])
    .await;
    assert!(mail.contains("Action required: approve or deny"), "{mail}");
    assert!(
        mail.contains("Eric Employee")
            && mail.contains("Marketing resources for employees")
            && mail.contains("Launch party")
    );
    let at = mail.find(&format!("{}/approvals/", app.address)).unwrap();
    let link: String = mail[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();

    // Signed out, the approver is sent to sign in and lands on the request.
    let maria = Browser::new();
    let bounce = maria.get(&link).await;
    assert_eq!(bounce.status, 303);
    let login = bounce.location.unwrap();
    assert!(login.contains("next=%2Fapprovals%2F"), "{login}");
    let page = maria.get(&app.url(&login)).await;
    let at = page.body.find("maria.manager@gatehouse.demo").unwrap();
    let form_start = page.body[..at].rfind("<form").unwrap();
    let chunk = Page::fragment(&page.body[form_start..at]);
    let signed_in = maria
        .post(
            &app.url(routes::DEMO_SIGN_IN),
            &[
                ("csrf_token", &page.csrf()),
                ("user_id", &chunk.input("user_id").unwrap()),
                ("next", &chunk.input("next").unwrap()),
            ],
        )
        .await;
    let landing = signed_in.location.unwrap();
    assert!(link.ends_with(&landing), "back on the request: {landing}");
    let details = maria.get(&app.url(&landing)).await;
    assert!(details.has("Launch party"));
    // What the mail said, the page says too: the deadline and how long access lasts.
    assert!(mail.contains("Access lasts: "), "{mail}");
    assert!(
        details.has("<dt>Decide by</dt>") && details.has("<dt>Access lasts</dt>"),
        "{}",
        details.body
    );
    let done = maria
        .post(
            &app.url(&landing),
            &[
                ("csrf_token", &details.csrf()),
                ("decision", "approve"),
                ("justification", "Enjoy"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    let after = maria.get(&app.url(&landing)).await;
    assert!(
        after.has("This request no longer waits for a decision: it is delivered."),
        "{}",
        after.body
    );

    let delivered = wait_for_mail(&[
        "eric.employee@gatehouse.demo",
        "You now have access to Marketing resources for employees",
    ])
    .await;
    assert!(delivered.contains(&format!("{}/requests", app.address)));

    // The outbox page shows both as sent.
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let outbox = admin.get(&app.url(routes::ADMIN_MAIL)).await;
    assert!(outbox.has("2 messages"));
    assert!(outbox.has("Sent "));
}

#[tokio::test]
async fn without_smtp_the_mail_stays_in_the_outbox_with_its_link() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    ask_for_slack(&app, "x").await;
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let outbox = admin.get(&app.url(routes::ADMIN_MAIL)).await;
    assert!(outbox.has("Action required: approve or deny"));
    assert!(outbox.has("Kept here: no SMTP server is configured"));
    assert!(outbox.has(&format!("{}/approvals/", app.address)));
    let mail_admin = Browser::new();
    app.demo_sign_in(&mail_admin, "eric.employee@gatehouse.demo")
        .await;
    assert_eq!(
        mail_admin.get(&app.url(routes::ADMIN_MAIL)).await.status,
        403
    );
}

/// Emma asks for Slack administration through the page, with `marker` as her
/// reason; Maria, its approver, is mailed.
async fn ask_for_slack(app: &TestApp, marker: &str) {
    let emma = Browser::new();
    app.demo_sign_in(&emma, "emma.employee@gatehouse.demo")
        .await;
    let mut c = app.store.read().await.unwrap();
    let package = gatehouse::store::packages::ids_by_name(&mut c, "Slack administration")
        .await
        .unwrap()
        .remove(0);
    drop(c);
    let form = emma.get(&app.url(routes::PACKAGE.id(&package))).await;
    let sent = emma
        .post(
            &app.url(routes::PACKAGE.id(&package)),
            &[
                ("csrf_token", &form.csrf()),
                ("policy", &form.input("policy").unwrap()),
                ("justification", marker),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
}

/// A relay that asks for a password (tests/smtp_relay.py): with the right
/// one, mail goes through it; with one the relay no longer takes (535), every
/// message would be refused alike, so the mail waits with the reason and is
/// tried again, never given up.
#[tokio::test]
async fn mail_signs_in_to_its_relay_and_waits_while_the_password_is_refused() {
    let relay = required_env("GATEHOUSE_TEST_RELAY_ADDRESS");
    let password = required_env("GATEHOUSE_TEST_RELAY_PASSWORD");
    let marker = format!("Relay drill {}", uuid::Uuid::new_v4().simple());

    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.smtp_url = Some(format!("smtp+insecure://gatehouse:{password}@{relay}"));
    let app = spawn(opts).await;
    ask_for_slack(&app, &marker).await;
    let mail = wait_for_mail(&[&marker]).await;
    assert!(mail.contains("maria.manager@gatehouse.demo"), "{mail}");

    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.smtp_url = Some(format!("smtp+insecure://gatehouse:outdated@{relay}"));
    let app = spawn(opts).await;
    ask_for_slack(&app, "Refused relay").await;
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let outbox = wait_for_page(
        &admin,
        &app.url(routes::ADMIN_MAIL),
        "Not sent after 1 attempt",
    )
    .await;
    assert!(outbox.has("Not sent after 1 attempt"), "{}", outbox.body);
    assert!(
        outbox.has("535"),
        "the relay's refusal is shown: {}",
        outbox.body
    );
    assert!(!outbox.has("Given up"), "{}", outbox.body);
    let mut c = app.store.read().await.unwrap();
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL AND attempts = 1",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(waiting, 1, "the mail waits to be tried again");
}

/// An SMTP server that greets and then never answers cannot hold a message
/// (nor the worker): once the send time limit (30 s) has passed, the message
/// waits with the reason, to be tried again later.
#[tokio::test]
async fn a_stalled_smtp_server_does_not_hold_the_mail() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = socket.write_all(b"220 stalled.test ESMTP\r\n").await;
                let mut buf = [0u8; 1024];
                while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    let mut opts = Options::new(Backend::Sqlite).demo();
    opts.smtp_url = Some(format!("smtp+insecure://{address}"));
    let app = spawn(opts).await;
    ask_for_slack(&app, "Stalled server").await;
    let waiting = "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL \
                   AND attempts = 1 AND last_error LIKE '%did not finish within 30 seconds%'";
    let started = std::time::Instant::now();
    let mut found = 0;
    while found == 0 && started.elapsed() < std::time::Duration::from_secs(90) {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        found = count(&app, waiting).await;
    }
    assert_eq!(found, 1, "the message waits, with why");
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let outbox = admin.get(&app.url(routes::ADMIN_MAIL)).await;
    assert!(outbox.has("Not sent after 1 attempt"), "{}", outbox.body);
    assert!(
        outbox.has("the SMTP server did not finish within 30 seconds"),
        "{}",
        outbox.body
    );
}
