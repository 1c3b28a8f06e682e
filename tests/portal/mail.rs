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
    let policy = form.input("policy").unwrap();
    emma.post(
        &app.url(routes::PACKAGE.id(&package)),
        &[
            ("csrf_token", &form.csrf()),
            ("policy", &policy),
            ("justification", "x"),
        ],
    )
    .await;
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
