//! Admin › Connected organizations, and the audit log page.

use crate::both;
use crate::helpers::*;
use gatehouse::routes;

both!(connected_organizations_are_managed, |backend| async move {
    let app = spawn(Options::new(backend).demo()).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "ada.admin@gatehouse.demo").await;
    let list = b.get(&app.url(routes::ADMIN_ORGS.list)).await;
    assert!(list.has("Contoso") && list.has("contoso.com") && list.has("Configured"));
    let csrf = list.csrf();

    let empty = b
        .post(
            &app.url(routes::ADMIN_ORGS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Fabrikam"),
                ("state", "configured"),
            ],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.has("Give at least one identity source"));
    let taken = b
        .post(
            &app.url(routes::ADMIN_ORGS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Fabrikam"),
                ("state", "configured"),
                ("domains", "contoso.com"),
            ],
        )
        .await;
    assert_eq!(taken.status, 422);
    assert!(taken.has("The domain contoso.com already belongs to another connected organization."));
    // Longer than DNS allows (a label of 64 characters; 3,000 in all):
    // refused beside the field.
    for long in ["a".repeat(64) + ".com", "a.".repeat(1500) + "com"] {
        let refused = b
            .post(
                &app.url(routes::ADMIN_ORGS.list),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("display_name", "Long"),
                    ("state", "configured"),
                    ("domains", long.as_str()),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.has(r#"id="domains-error">"#) && refused.has("is not a domain name"),
            "{}",
            refused.body
        );
    }
    let wrong_sponsor = b
        .post(
            &app.url(routes::ADMIN_ORGS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Fabrikam"),
                ("state", "proposed"),
                ("domains", "fabrikam.com"),
                ("internal_sponsors", "gary.guest@contoso.com"),
                ("external_sponsors", "gary.guest@contoso.com"),
            ],
        )
        .await;
    assert_eq!(wrong_sponsor.status, 422);
    assert!(wrong_sponsor.has("gary.guest@contoso.com is a guest; internal sponsors are members"));
    assert!(
        wrong_sponsor.has("is not from this organization&#x27;s domains")
            || wrong_sponsor.has("is not from this organization&#39;s domains")
            || wrong_sponsor.has("is not from this organization's domains")
    );

    let created = b
        .post(
            &app.url(routes::ADMIN_ORGS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Fabrikam"),
                ("description", "Partner"),
                ("state", "proposed"),
                ("domains", "fabrikam.com\nfabrikam.net"),
                ("oidc_issuer", "https://login.fabrikam.com/"),
                ("oidc_client_id", "gatehouse"),
                ("oidc_client_secret", "s3cret-value"),
                ("internal_sponsors", "maria.manager@gatehouse.demo"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location.unwrap();
    let page = b.get(&app.url(&location)).await;
    assert!(page.has("fabrikam.com\nfabrikam.net"));
    assert!(page.has(r#"value="https://login.fabrikam.com/""#));
    assert!(page.has("A secret is stored; leave empty to keep it."));
    assert!(
        !page.has("s3cret-value"),
        "the secret never goes back to the browser"
    );
    assert!(page.has("maria.manager@gatehouse.demo"));

    // Edit without a secret keeps it; the audit log never holds it.
    let edited = b
        .post(
            &app.url(&location),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Fabrikam"),
                ("state", "configured"),
                ("domains", "fabrikam.com"),
                ("oidc_issuer", "https://login.fabrikam.com/"),
                ("oidc_client_id", "gatehouse"),
            ],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let moved = b
        .post(
            &app.url(&location),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Fabrikam"),
                ("state", "configured"),
                ("domains", "fabrikam.com"),
                ("oidc_issuer", "https://attacker.example"),
                ("oidc_client_id", "gatehouse"),
            ],
        )
        .await;
    assert_eq!(moved.status, 422);
    assert!(moved.has("The issuer or client id changed: enter the client secret for it."));

    // The sponsors' picker searches people (only people) with the page's own
    // read: the form comes back as typed, its secret left out, nothing saved.
    let search = |kind: &'static str, q: &'static str| {
        [
            ("csrf_token", csrf.as_str()),
            ("display_name", "Fabrikam Ltd"),
            ("state", "configured"),
            ("domains", "fabrikam.com"),
            ("oidc_issuer", "https://login.fabrikam.com/"),
            ("oidc_client_id", "gatehouse"),
            ("oidc_client_secret", "typed-while-searching"),
            ("pickq:internal_sponsors", q),
            ("pick", kind),
        ]
    };
    let found = b
        .post(
            &app.url(&location),
            &search("user:internal_sponsors", "maria"),
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(
        found.has(r#"name="pickadd:internal_sponsors:"#)
            && found.has(r#"value="maria.manager@gatehouse.demo""#),
        "{}",
        found.body
    );
    assert!(found.has(r#"value="Fabrikam Ltd""#), "{}", found.body);
    assert!(!found.has("typed-while-searching"));
    let packages = b
        .post(
            &app.url(&location),
            &search("package:internal_sponsors", "Marketing"),
        )
        .await;
    assert_eq!(packages.status, 200, "{}", packages.body);
    assert!(
        !packages.has(r#"name="pickadd:internal_sponsors:"#),
        "{}",
        packages.body
    );
    assert!(
        !b.get(&app.url(&location))
            .await
            .has(r#"value="Fabrikam Ltd""#)
    );
    let mut c = app.store.read().await.unwrap();
    let secret: Option<String> = sqlx::query_scalar(
        "SELECT oidc_client_secret FROM connected_organizations WHERE display_name = 'Fabrikam'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(secret.as_deref(), Some("s3cret-value"));
    drop(c);
    let audit = b
        .get(&app.url(format!(
            "{}?object_type=connectedOrganization",
            routes::ADMIN_AUDIT
        )))
        .await;
    assert!(
        audit.has("Update connected organization") && audit.has("Create connected organization")
    );
    assert!(!audit.has("s3cret-value"));

    // Delete is refused while a policy refers to it.
    let org_id = location.rsplit('/').next().unwrap().to_string();
    let catalog: String = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::catalogs::search(
            &mut c,
            &gatehouse::domain::catalog_role::CatalogScope::All,
            "",
            gatehouse::store::PageAt::first(1),
        )
        .await
        .unwrap()
        .items
        .remove(0)
        .id
    };
    let policy = gatehouse::domain::policy::Policy {
        display_name: "Fabrikam policy".into(),
        description: None,
        enabled: true,
        allowed_target_scope:
            gatehouse::domain::policy::AllowedTargetScope::SpecificConnectedOrganizationUsers,
        specific_allowed_targets: vec![
            gatehouse::domain::policy::SubjectSet::ConnectedOrganizationMembers(
                gatehouse::domain::ids::ConnectedOrgId::parse(&org_id).unwrap(),
            ),
        ],
        requestor: Default::default(),
        approval: Default::default(),
        questions: vec![],
        expiration: gatehouse::domain::policy::Expiration::NoExpiration,
        assignment_notifications: true,
        automatic: None,
    };
    let package = gatehouse::service::packages::create(
        &app.store,
        &gatehouse::domain::audit::Actor::system(),
        &gatehouse::domain::catalog_role::CatalogScope::All,
        &gatehouse::domain::ids::CatalogId::parse(&catalog).unwrap(),
        &gatehouse::service::packages::Basics {
            name: "Guests package".into(),
            description: None,
        },
        false,
        &[],
        &policy,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    b.post(
        &app.url(format!("{location}/delete")),
        &[("csrf_token", &csrf)],
    )
    .await;
    let page = b.get(&app.url(&location)).await;
    assert!(page.has("Fabrikam cannot be deleted because a policy refers to it: Fabrikam policy (Guests package)."), "{}", page.body);
    // The package (never used) goes with its policy; then the organization can.
    let gone = b
        .post(
            &app.url(routes::ADMIN_PACKAGE_DELETE.id(&package)),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(gone.status, 303);
    let deleted = b
        .post(
            &app.url(format!("{location}/delete")),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(
        deleted.location.as_deref(),
        Some(routes::ADMIN_ORGS.list.as_str())
    );
    assert!(
        !b.get(&app.url(routes::ADMIN_ORGS.list))
            .await
            .has("fabrikam.com")
    );
});

both!(the_audit_log_filters_and_pages, |backend| async move {
    let app = spawn(Options::new(backend).demo()).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "ada.admin@gatehouse.demo").await;
    let csrf = b.get(&app.url(routes::ADMIN_CATALOGS.list)).await.csrf();
    for i in 0..55 {
        let res = b
            .post(
                &app.url(routes::ADMIN_CATALOGS.list),
                &[
                    ("csrf_token", &csrf),
                    ("display_name", &format!("Catalog {i:02}")),
                ],
            )
            .await;
        assert_eq!(res.status, 303);
    }
    let all = b.get(&app.url(routes::ADMIN_AUDIT)).await;
    assert!(all.has("Page 1 of"));
    let first_row = all.body.find("<tbody>").unwrap();
    assert!(
        all.body[first_row..].find("Catalog 54").unwrap()
            < all.body[first_row..].find("Catalog 53").unwrap(),
        "newest first"
    );
    let catalogs = b
        .get(&app.url(format!("{}?object_type=catalog", routes::ADMIN_AUDIT)))
        .await;
    assert!(
        catalogs.has("58 events"),
        "55 created here and 3 by the demo seed"
    );
    let page2 = b
        .get(&app.url(format!(
            "{}?object_type=catalog&page=2",
            routes::ADMIN_AUDIT
        )))
        .await;
    assert!(page2.has("Page 2 of 2"));
    assert!(page2.has("Create catalog"));
    // By actor: Ada's id is linked from her events.
    let by_actor = format!("{}?actor=", routes::ADMIN_AUDIT);
    let at = catalogs.body.find(&by_actor).unwrap() + by_actor.len();
    let ada = &catalogs.body[at..at + 36];
    let by_ada = b
        .get(&app.url(format!("{}?actor={ada}", routes::ADMIN_AUDIT)))
        .await;
    assert!(by_ada.has("55 events"));
    assert!(!by_ada.has("Demo seed"));
    // By object.
    let users = b
        .get(&app.url(format!("{}?object_type=user", routes::ADMIN_AUDIT)))
        .await;
    assert!(users.has("Create user") && !users.has("Create catalog"));
});

#[tokio::test]
async fn console_lists_download_as_csv() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let list = admin.get(&app.url(routes::ADMIN_ORGS.list)).await;
    assert!(list.has("Download CSV"), "{}", list.body);
    let csv = admin
        .get(&app.url(format!("{}.csv", routes::ADMIN_ORGS.list)))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("Name,State,Identity sources,Internal sponsors,External sponsors")
    );
    assert_eq!(lines.next(), Some("Contoso,Configured,contoso.com,1,1"));

    // A search is downloaded as it was made: the users named Employee.
    let users = admin
        .get(&app.url(format!("{}.csv?q=employee", routes::ADMIN_USERS.list)))
        .await;
    let rows: Vec<&str> = users.body.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{}", users.body);
    assert!(
        rows.iter().all(|r| r.contains("Employee")),
        "{}",
        users.body
    );

    // Nobody but an administrator gets it.
    let eric = Browser::new();
    app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
        .await;
    let refused = eric
        .get(&app.url(format!("{}.csv", routes::ADMIN_USERS.list)))
        .await;
    assert_eq!(refused.status, 403);
}
