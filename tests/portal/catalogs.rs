//! Admin › Catalogs: catalogs, resources, required attributes, and the refusals.

use gatehouse::domain::ids::{AccessPackageId, CatalogId};
use gatehouse::routes;

use crate::both;
use crate::helpers::*;

async fn admin(backend: Backend) -> (TestApp, Browser, String) {
    let app = spawn(Options::new(backend).demo()).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "ada.admin@gatehouse.demo").await;
    let csrf = b.get(&app.url(routes::ADMIN_CATALOGS.list)).await.csrf();
    (app, b, csrf)
}

/// Makes an access package in a catalog, as the package wizard does, with
/// the member role of one of its resources; returns the package's id.
async fn make_package(
    app: &TestApp,
    catalog: &str,
    name: &str,
    resource: Option<&str>,
) -> AccessPackageId {
    use gatehouse::domain::policy::{AllowedTargetScope, Expiration, Policy};
    let policy = Policy {
        display_name: "Administrators assign".into(),
        description: None,
        enabled: true,
        allowed_target_scope: AllowedTargetScope::NotSpecified,
        specific_allowed_targets: vec![],
        requestor: Default::default(),
        approval: Default::default(),
        questions: vec![],
        expiration: Expiration::NoExpiration,
        assignment_notifications: true,
        automatic: None,
    };
    let roles: Vec<gatehouse::service::packages::RolePick> = resource
        .map(|r| gatehouse::service::packages::RolePick {
            resource: r.to_string(),
            role: "member".into(),
        })
        .into_iter()
        .collect();
    gatehouse::service::packages::create(
        &app.store,
        &gatehouse::domain::audit::Actor::system(),
        &gatehouse::domain::catalog_role::CatalogScope::All,
        &CatalogId::parse(catalog).unwrap(),
        &gatehouse::service::packages::Basics {
            name: name.into(),
            description: None,
        },
        false,
        &roles,
        &policy,
        chrono::Utc::now(),
    )
    .await
    .unwrap()
}

fn id_from(location: &str) -> String {
    location
        .trim_start_matches(&format!("{}/", routes::ADMIN_CATALOGS.list))
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

both!(
    catalogs_are_listed_created_edited_and_deleted,
    |backend| async move {
        let (app, b, csrf) = admin(backend).await;
        // The demo catalog, with its counts.
        let list = b.get(&app.url(routes::ADMIN_CATALOGS.list)).await;
        assert!(list.has("Marketing"));
        assert!(list.has(r#"class="num">5</td>"#), "five resources");

        let bad = b
            .post(
                &app.url(routes::ADMIN_CATALOGS.list),
                &[("csrf_token", &csrf), ("display_name", "")],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.has("Name is required."));
        let dup = b
            .post(
                &app.url(routes::ADMIN_CATALOGS.list),
                &[("csrf_token", &csrf), ("display_name", "MARKETING")],
            )
            .await;
        assert_eq!(dup.status, 422);
        assert!(dup.has("Another catalog already has this name."));

        let created = b
            .post(
                &app.url(routes::ADMIN_CATALOGS.list),
                &[
                    ("csrf_token", &csrf),
                    ("display_name", "Finance"),
                    ("description", "Money"),
                    ("enabled", "on"),
                ],
            )
            .await;
        assert_eq!(created.status, 303);
        let location = created.location.unwrap();
        let overview = b.get(&app.url(&location)).await;
        assert!(overview.has("Catalog Finance created."));
        assert!(overview.has("Yes: its access packages can be requested"));
        for tab in ["Overview", "Resources", "Access packages", "Settings"] {
            assert!(overview.has(&format!(">{tab}</a>")), "{tab} tab");
        }
        let search = b
            .get(&app.url(format!("{}?q=fin", routes::ADMIN_CATALOGS.list)))
            .await;
        assert!(search.has("Finance") && !search.has(">Marketing</a>"));
        assert!(search.has("Disabled") || search.has("Enabled"));

        // Edit: disable it and open it to external users.
        let edited = b
            .post(
                &app.url(format!("{location}/settings")),
                &[
                    ("csrf_token", &csrf),
                    ("display_name", "Finance"),
                    ("external", "on"),
                ],
            )
            .await;
        assert_eq!(edited.status, 303);
        let mut c = app.store.read().await.unwrap();
        let id = CatalogId::parse(&id_from(&location)).unwrap();
        let row = gatehouse::store::catalogs::get(&mut c, &id)
            .await
            .unwrap()
            .unwrap();
        assert!(!row.enabled());
        assert!(row.is_externally_visible);
        drop(c);

        // Delete refused while a package is in it, then allowed.
        let budgets = make_package(&app, id.as_str(), "Budgets", None).await;
        let refused = b
            .post(
                &app.url(format!("{location}/delete")),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(refused.status, 303);
        let page = b.get(&app.url(format!("{location}/settings"))).await;
        assert!(
            page.has("The catalog Finance cannot be deleted because it holds 1 access package."),
            "{}",
            page.body
        );
        assert!(
            b.get(&app.url(format!("{location}/access-packages")))
                .await
                .has("Budgets")
        );
        // The package goes (it was never assigned), and the catalog can follow.
        let gone = b
            .post(
                &app.url(routes::ADMIN_PACKAGE_DELETE.id(&budgets)),
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
            Some(routes::ADMIN_CATALOGS.list.as_str())
        );
        assert!(
            b.get(&app.url(routes::ADMIN_CATALOGS.list))
                .await
                .has("Catalog Finance deleted.")
        );
        assert_eq!(b.get(&app.url(&location)).await.status, 404);
        assert_eq!(
            app.audit_count("catalog").await,
            6,
            "demo (create, add, attributes) + create, update, delete"
        );
    }
);

both!(
    resources_are_added_shown_and_removed,
    |backend| async move {
        let (app, b, csrf) = admin(backend).await;
        let created = b
            .post(
                &app.url(routes::ADMIN_CATALOGS.list),
                &[
                    ("csrf_token", &csrf),
                    ("display_name", "Sales"),
                    ("enabled", "on"),
                ],
            )
            .await;
        let location = created.location.unwrap();
        let add = b
            .get(&app.url(format!("{location}/resources/add?q=marketing")))
            .await;
        assert!(add.has("Marketing Team"));
        assert!(!add.has("Slack"), "search narrows the list");
        let all = b.get(&app.url(format!("{location}/resources/add"))).await;
        let pick = |kind: &str, name: &str| -> String {
            let at = all
                .body
                .find(&format!("> {name}</label>"))
                .unwrap_or_else(|| panic!("{name} offered"));
            let start = all.body[..at].rfind(&format!("value=\"{kind}:")).unwrap() + 7;
            let end = all.body[start..].find('"').unwrap() + start;
            all.body[start..end].to_string()
        };
        let team = pick("AadGroup", "Marketing Team");
        let slack = pick("AadApplication", "Slack");
        let site = pick("SharePointOnline", "Marketing");
        let none = b
            .post(
                &app.url(format!("{location}/resources")),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(none.status, 303);
        assert!(
            b.get(&app.url(format!("{location}/resources/add")))
                .await
                .has("Select at least one resource to add.")
        );
        let bogus = b
            .post(
                &app.url(format!("{location}/resources")),
                &[("csrf_token", &csrf), ("resource", "AadGroup:not-an-id")],
            )
            .await;
        assert_eq!(bogus.status, 400);
        let added = b
            .post(
                &app.url(format!("{location}/resources")),
                &[
                    ("csrf_token", &csrf),
                    ("resource", &team),
                    ("resource", &slack),
                    ("resource", &site),
                ],
            )
            .await;
        assert_eq!(added.status, 303);
        let resources = b.get(&app.url(format!("{location}/resources"))).await;
        assert!(resources.has("3 resources added."));
        assert!(
            resources.has("Owner, User, msiam_access"),
            "an application shows its roles"
        );
        assert!(resources.has("Owner, Member"), "a group shows its roles");
        assert!(resources.has("SharePoint Member, SharePoint Owner, SharePoint Visitor"));
        assert!(
            resources.has("Group and Team")
                && resources.has("Application")
                && resources.has("SharePoint site")
        );
        // Adding again changes nothing.
        b.post(
            &app.url(format!("{location}/resources")),
            &[("csrf_token", &csrf), ("resource", &team)],
        )
        .await;
        assert!(
            b.get(&app.url(format!("{location}/resources")))
                .await
                .has("The catalog already held the selected resources.")
        );

        // Removal is refused while a package uses the resource's roles.
        let mut c = app.store.read().await.unwrap();
        let catalog = CatalogId::parse(&id_from(&location)).unwrap();
        let rows = gatehouse::store::catalogs::resources(&mut c, &catalog)
            .await
            .unwrap();
        let team_row = rows
            .iter()
            .find(|r| r.display_name == "Marketing Team")
            .unwrap()
            .id
            .clone();
        let slack_row = rows
            .iter()
            .find(|r| r.display_name == "Slack")
            .unwrap()
            .id
            .clone();
        drop(c);
        make_package(&app, catalog.as_str(), "Sales team access", Some(&team_row)).await;
        b.post(
            &app.url(format!("{location}/resources/{team_row}/remove")),
            &[("csrf_token", &csrf)],
        )
        .await;
        let page = b.get(&app.url(format!("{location}/resources"))).await;
        assert!(page.has("Marketing Team cannot be removed because the access package Sales team access uses its roles."), "{}", page.body);
        b.post(
            &app.url(format!("{location}/resources/{slack_row}/remove")),
            &[("csrf_token", &csrf)],
        )
        .await;
        let page = b.get(&app.url(format!("{location}/resources"))).await;
        assert!(page.has("Slack removed from the catalog."));
        assert!(!page.has("msiam_access"));
        assert!(page.has("Marketing Team"));
    }
);

both!(
    required_attributes_are_saved_shown_and_validated,
    |backend| async move {
        let (app, b, csrf) = admin(backend).await;
        let list = b.get(&app.url(routes::ADMIN_CATALOGS.list)).await;
        let at = list.body.find(">Marketing</a>").unwrap();
        let start = list.body[..at]
            .rfind(&format!("{}/", routes::ADMIN_CATALOGS.list))
            .unwrap();
        let catalog = list.body[start..at - 1].to_string();
        let resources = b.get(&app.url(format!("{catalog}/resources"))).await;
        assert!(
            resources.has("3 required"),
            "the demo requires three attributes on the guest group"
        );
        assert!(
            resources.has("givenName, surname, jobTitle"),
            "the attributes are shown on the resource"
        );
        let link_at = resources.body.find("3 required").unwrap();
        let href_start = resources.body[..link_at].rfind("href=\"").unwrap() + 6;
        let href = resources.body[href_start..link_at - 2].to_string();
        let form = b.get(&app.url(&href)).await;
        assert!(
            form.has(r#"list="built-in-attributes" value="givenName""#)
                && form.has(r#"list="built-in-attributes" value="surname""#)
                && form.has(r#"list="built-in-attributes" value="jobTitle""#)
        );
        // A stored code the language list does not name (`fr` alone) is
        // offered as it is, chosen, with its text.
        assert!(
            form.has(r#"<option value="fr" selected>fr</option>"#) && form.has(r#"value="Prénom""#),
            "{}",
            form.body
        );
        assert!(
            form.has("Attribute value is editable")
                && form.has("Keep value when assignment is removed")
        );

        // Invalid rows: no text, multiple choice without choices, a duplicate.
        let bad = b
            .post(
                &app.url(&href),
                &[
                    ("csrf_token", &csrf),
                    ("row_count", "3"),
                    ("attribute_name_0", "department"),
                    ("answer_format_0", "shortText"),
                    ("question_text_0", ""),
                    ("attribute_name_1", "costCenter"),
                    ("answer_format_1", "multipleChoice"),
                    ("question_text_1", "Cost center?"),
                    ("lang0_1", "fr-FR"),
                    ("loc0_1", ""),
                    ("attribute_name_2", "Department"),
                    ("answer_format_2", "longText"),
                    ("question_text_2", "Dept?"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.has(
            r#"<div id="attribute_0-errors"><small class="field-error">The question text is required."#
        ));
        assert!(
            bad.has(r#"name="question_text_0" value="" aria-invalid="true" aria-describedby="attribute_0-errors">"#),
            "the row's field names its errors: {}",
            bad.body
        );
        assert!(bad.has("A multiple-choice attribute needs at least one choice"));
        assert!(
            bad.has("Translation 1 (fr-FR): give the text.")
                && bad.has(r#"<option value="fr-FR" selected>French (France) (fr-FR)</option>"#)
                && bad.has(r#"<small class="field-error" id="attribute_1-translations-error">Translation 1 (fr-FR): give the text."#)
                && bad.has(r#"name="loc0_1" value="" aria-describedby="attribute_1-translations-error" aria-invalid="true""#),
            "a translation without text is refused beside its row, its language kept: {}",
            bad.body
        );
        assert!(bad.has("Department is required twice."), "{}", bad.body);
        assert!(
            b.get(&app.url(&href))
                .await
                .has(r#"list="built-in-attributes" value="jobTitle""#),
            "nothing was saved"
        );

        // "+ Add translation" without the page script: the row typed is
        // kept, a blank one follows it, and nothing is saved.
        let more = b
            .post(
                &app.url(&href),
                &[
                    ("csrf_token", &csrf),
                    ("row_count", "1"),
                    ("attribute_name_0", "department"),
                    ("answer_format_0", "shortText"),
                    ("question_text_0", "Which department?"),
                    ("lang0_0", "de-DE"),
                    ("loc0_0", "Welche Abteilung?"),
                    ("add", "translation"),
                ],
            )
            .await;
        assert_eq!(more.status, 200, "{}", more.body);
        assert!(
            more.has(r#"name="loc0_0" value="Welche Abteilung?""#)
                && more.has(r#"<select name="lang1_0""#)
                && more.has(r#"name="loc1_0" value="""#),
            "{}",
            more.body
        );
        // "+ Add attribute" without it keeps a row that has only a
        // translation so far.
        let added = b
            .post(
                &app.url(&href),
                &[
                    ("csrf_token", &csrf),
                    ("row_count", "1"),
                    ("lang0_0", "de-DE"),
                    ("loc0_0", "Welche Abteilung?"),
                    ("add", "attribute"),
                ],
            )
            .await;
        assert_eq!(added.status, 200, "{}", added.body);
        assert!(
            added.has(r#"name="loc0_0" value="Welche Abteilung?""#),
            "{}",
            added.body
        );
        assert!(
            b.get(&app.url(&href))
                .await
                .has(r#"list="built-in-attributes" value="jobTitle""#),
            "nothing was saved"
        );

        // A valid set replaces the old one.
        let ok = b
            .post(
                &app.url(&href),
                &[
                    ("csrf_token", &csrf),
                    ("row_count", "2"),
                    ("attribute_name_0", "department"),
                    ("answer_format_0", "multipleChoice"),
                    ("question_text_0", "Which department?"),
                    ("choices_0", "Sales\nMarketing"),
                    ("lang0_0", "de-DE"),
                    ("loc0_0", "Welche Abteilung?"),
                    ("keep_value_0", "on"),
                    ("attribute_name_1", "costCenter"),
                    ("answer_format_1", "longText"),
                    ("question_text_1", "Cost center"),
                    ("is_editable_1", "on"),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let form = b.get(&app.url(&href)).await;
        assert!(
            form.has(r#"list="built-in-attributes" value="department""#)
                && form.has(r#"list="built-in-attributes" value="costCenter""#)
        );
        assert!(!form.has(r#"list="built-in-attributes" value="jobTitle""#));
        assert!(
            form.has(r#"<option value="de-DE" selected>German (de-DE)</option>"#)
                && form.has(r#"name="loc0_0" value="Welche Abteilung?""#),
            "{}",
            form.body
        );
        assert!(form.has("Sales\nMarketing"));
        let audit = b
            .get(&app.url(format!("{}?object_type=catalog", routes::ADMIN_AUDIT)))
            .await;
        assert!(audit.has("Update required attributes"));

        // A guest asked for them: a choice is not made for her, and long
        // text is a box of several lines that keeps them.
        let gary = Browser::new();
        app.demo_sign_in(&gary, "gary.guest@contoso.com").await;
        let package = package_id(&app, "Marketing resources for guests").await;
        let link = app.url(routes::PACKAGE.id(&package));
        let german = gary
            .get_with(&link, &[("Accept-Language", "de-DE,de;q=0.9")])
            .await;
        assert!(
            german.has("Welche Abteilung?"),
            "the question in the browser's language: {}",
            german.body
        );
        let form = gary.get(&link).await;
        assert!(!form.has("Welche Abteilung?"));
        assert!(
            form.has(r#"<option value="" selected>Choose…</option><option>Sales</option>"#),
            "{}",
            form.body
        );
        assert!(
            form.has(r#"<textarea id="attr_costCenter" name="attr_costCenter" rows="4" maxlength="1000" required>"#),
            "{}",
            form.body
        );
        let fields = |department: &str| {
            let attributes = [
                ("attr_department", department),
                ("attr_costCenter", "CC-7\r\nNorth wing"),
            ];
            guest_request(&form, &attributes)
        };
        let refused = gary.post(&link, &pairs(&fields(""))).await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.has(r#"<small class="field-error" id="attr_department-error">This attribute is required."#),
            "{}",
            refused.body
        );
        assert!(
            refused.has("CC-7\r\nNorth wing</textarea>")
                || refused.has("CC-7\nNorth wing</textarea>")
        );
        let sent = gary.post(&link, &pairs(&fields("Sales"))).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
    }
);

#[tokio::test]
async fn catalog_pages_are_for_admins_only() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "eric.employee@gatehouse.demo").await;
    for path in [
        routes::ADMIN_CATALOGS.list,
        routes::ADMIN_CATALOGS.new,
        routes::ADMIN_ORGS.list,
        routes::ADMIN_AUDIT,
        routes::ADMIN_AUDIT_CSV,
    ] {
        assert_eq!(b.get(&app.url(path)).await.status, 403, "{path}");
    }
    let csrf = b.get(&app.url(routes::HOME)).await.csrf();
    let res = b
        .post(
            &app.url(routes::ADMIN_CATALOGS.list),
            &[("csrf_token", &csrf), ("display_name", "Sneaky")],
        )
        .await;
    assert_eq!(res.status, 403);
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    assert!(
        !admin
            .get(&app.url(routes::ADMIN_CATALOGS.list))
            .await
            .has("Sneaky")
    );
    // Without a CSRF token an admin's POST is refused too.
    assert_eq!(
        admin
            .post(
                &app.url(routes::ADMIN_CATALOGS.list),
                &[("display_name", "NoToken")]
            )
            .await
            .status,
        403
    );
    assert!(
        !admin
            .get(&app.url(routes::ADMIN_CATALOGS.list))
            .await
            .has("NoToken")
    );
}

both!(
    a_catalog_closed_to_external_users_or_disabled_stops_its_requests,
    |backend| async move {
        let (app, b, csrf) = admin(backend).await;
        let marketing = catalog_id(&app.store, "Marketing").await;
        let settings = app.url(routes::ADMIN_CATALOG_SETTINGS.id(&marketing));
        let employees = package_id(&app, "Marketing resources for employees").await;
        let guests = package_id(&app, "Marketing resources for guests").await;
        let eric = Browser::new();
        app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
            .await;
        let gary = Browser::new();
        app.demo_sign_in(&gary, "gary.guest@contoso.com").await;
        assert!(
            gary.get(&app.url(routes::HOME))
                .await
                .has("Marketing resources for guests")
        );

        // Closed to external users: Gary no longer finds or requests the
        // guests' package; Eric still requests his.
        let save = async |enabled: bool| {
            let mut form = vec![("csrf_token", csrf.as_str()), ("display_name", "Marketing")];
            if enabled {
                form.push(("enabled", "on"));
            }
            assert_eq!(b.post(&settings, &form).await.status, 303);
        };
        // Someone no longer offered the package: not on their home page,
        // and its link says why.
        let shut_out = async |who: &Browser, name: &str, package: &str, says: &str| {
            assert!(!who.get(&app.url(routes::HOME)).await.has(name));
            let page = who.get(&app.url(routes::PACKAGE.id(package))).await;
            assert!(page.has(says), "{}", page.body);
        };
        save(true).await;
        let not_for_her = "This access package does not exist, or you are not among the people who can request it.";
        shut_out(
            &gary,
            "Marketing resources for guests",
            &guests,
            not_for_her,
        )
        .await;
        assert!(
            eric.get(&app.url(routes::HOME))
                .await
                .has("Marketing resources for employees")
        );

        // Disabled: nobody requests from it, and Eric is told why.
        save(false).await;
        let off = "New requests for this access package are turned off at the moment.";
        shut_out(&eric, "Marketing resources for employees", &employees, off).await;
    }
);
