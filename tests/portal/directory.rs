//! The directory in the admin console: users, groups, applications, sites.

use crate::both;
use crate::helpers::*;
use gatehouse::domain::ids::AssignmentId;
use gatehouse::domain::request::PeriodInput;
use gatehouse::routes;

async fn admin(backend: Backend) -> (TestApp, Browser) {
    let app = spawn(Options::new(backend).demo()).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "ada.admin@gatehouse.demo").await;
    (app, b)
}

both!(
    users_are_created_edited_and_validated,
    |backend| async move {
        let (app, b) = admin(backend).await;
        let form = b.get(&app.url(routes::ADMIN_USERS.new)).await;
        assert_eq!(form.status, 200);
        for label in [
            "<label for=\"display_name\"",
            "<label for=\"email\"",
            "<label for=\"manager_email\"",
            "<label for=\"custom_attributes\"",
        ] {
            assert!(form.has(label), "{label}");
        }
        let csrf = form.csrf();
        let users = app.user_count().await;

        // Bad input: messages beside the fields, nothing saved.
        let bad = b
            .post(
                &app.url(routes::ADMIN_USERS.list),
                &[
                    ("csrf_token", &csrf),
                    ("user_type", "member"),
                    ("display_name", " "),
                    ("email", "not-an-email"),
                    ("custom_attributes", "oops"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.has(r#"id="display_name-error">Display name is required."#));
        assert!(bad.has(r#"id="email-error">Email must look like name@example.com."#));
        assert!(bad.has("write each attribute as name=value"));
        assert!(bad.has(r#"value="not-an-email""#), "what was typed is kept");
        let unknown_manager = b
            .post(
                &app.url(routes::ADMIN_USERS.list),
                &[
                    ("csrf_token", &csrf),
                    ("user_type", "member"),
                    ("display_name", "Nina New"),
                    ("email", "nina@example.test"),
                    ("manager_email", "ghost@example.test"),
                ],
            )
            .await;
        assert_eq!(unknown_manager.status, 422);
        assert!(unknown_manager.has("No user has the email ghost@example.test."));
        let taken = b
            .post(
                &app.url(routes::ADMIN_USERS.list),
                &[
                    ("csrf_token", &csrf),
                    ("user_type", "member"),
                    ("display_name", "Copy"),
                    ("email", "ERIC.employee@gatehouse.demo"),
                ],
            )
            .await;
        assert_eq!(taken.status, 422);
        assert!(taken.has("Another user already has this email."));
        assert_eq!(app.user_count().await, users);

        // A good one, with a manager and custom attributes.
        let created = b
            .post(
                &app.url(routes::ADMIN_USERS.list),
                &[
                    ("csrf_token", &csrf),
                    ("user_type", "member"),
                    ("display_name", "Nina New"),
                    ("given_name", "Nina"),
                    ("surname", "New"),
                    ("email", "nina@example.test"),
                    ("job_title", "Designer"),
                    ("department", "Marketing"),
                    ("manager_email", "maria.manager@gatehouse.demo"),
                    ("custom_attributes", "costCenter=4711\nbadge=B-7"),
                    ("state", "active"),
                ],
            )
            .await;
        assert_eq!(created.status, 303);
        let location = created.location.unwrap();
        let page = b.get(&app.url(&location)).await;
        assert!(page.has("User Nina New created."));
        assert!(page.has(r#"value="maria.manager@gatehouse.demo""#));
        assert!(page.has("costCenter=4711"));
        assert_eq!(app.user_count().await, users + 1);

        // Edit: block her and change the job title; the list shows it and the audit log has the change.
        let edited = b
            .post(
                &app.url(&location),
                &[
                    ("csrf_token", &csrf),
                    ("user_type", "member"),
                    ("display_name", "Nina New"),
                    ("email", "nina@example.test"),
                    ("job_title", "Lead designer"),
                    ("department", "Marketing"),
                    ("manager_email", ""),
                    ("state", "blocked"),
                ],
            )
            .await;
        assert_eq!(edited.status, 303);
        let list = b
            .get(&app.url(format!("{}?q=nina", routes::ADMIN_USERS.list)))
            .await;
        assert!(list.has("Lead designer"));
        assert!(list.has("Blocked"));
        assert!(list.has("1 user"));
        let mut c = app.store.read().await.unwrap();
        let nina = gatehouse::store::users::find_by_email(&mut c, "nina@example.test")
            .await
            .unwrap()
            .unwrap();
        assert!(nina.is_blocked());
        assert_eq!(nina.manager_id, None);
        assert!(nina.custom_attributes.is_empty());
        let filter = gatehouse::store::audit::AuditFilter {
            object_id: Some(nina.id.to_string()),
            ..Default::default()
        };
        let events =
            gatehouse::store::audit::list(&mut c, &filter, gatehouse::store::PageAt::first(10))
                .await
                .unwrap();
        assert_eq!(events.total, 2);
        assert_eq!(events.items[0].action, "Update user");
        assert_eq!(
            events.items[0].details.value()["jobTitle"],
            serde_json::json!({"from": "Designer", "to": "Lead designer"}),
            "{}",
            events.items[0].details.as_str()
        );
        assert_eq!(events.items[0].actor_name, "Ada Admin");
        assert_eq!(events.items[1].action, "Create user");
    }
);

both!(groups_have_members_and_owners, |backend| async move {
    let (app, b) = admin(backend).await;
    let csrf = b.get(&app.url(routes::ADMIN_GROUPS.new)).await.csrf();
    let dup = b
        .post(
            &app.url(routes::ADMIN_GROUPS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "marketing team"),
                ("group_type", "team"),
            ],
        )
        .await;
    assert_eq!(dup.status, 422);
    assert!(dup.has("Another group already has this name."));
    let bad_type = b
        .post(
            &app.url(routes::ADMIN_GROUPS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Sales"),
                ("group_type", "distribution"),
            ],
        )
        .await;
    assert_eq!(bad_type.status, 422);
    assert!(bad_type.has("Choose a group type."));

    let created = b
        .post(
            &app.url(routes::ADMIN_GROUPS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Sales"),
                ("description", "Sales people"),
                ("group_type", "security"),
            ],
        )
        .await;
    assert_eq!(created.status, 303);
    let group = created.location.unwrap();
    let add = b
        .post(
            &app.url(format!("{group}/roles")),
            &[
                ("csrf_token", &csrf),
                ("email", "eric.employee@gatehouse.demo"),
                ("role", "member"),
                ("action", "add"),
            ],
        )
        .await;
    assert_eq!(add.status, 303);
    let owner = b
        .post(
            &app.url(format!("{group}/roles")),
            &[
                ("csrf_token", &csrf),
                ("email", "maria.manager@gatehouse.demo"),
                ("role", "owner"),
                ("action", "add"),
            ],
        )
        .await;
    assert_eq!(owner.status, 303);
    let page = b.get(&app.url(&group)).await;
    assert!(page.has("maria.manager@gatehouse.demo added as owner."));
    assert!(page.has("Eric Employee"));
    assert!(page.has("Maria Manager"));

    // Adding twice says so; an unknown email is shown beside the field.
    b.post(
        &app.url(format!("{group}/roles")),
        &[
            ("csrf_token", &csrf),
            ("email", "eric.employee@gatehouse.demo"),
            ("role", "member"),
            ("action", "add"),
        ],
    )
    .await;
    assert!(
        b.get(&app.url(&group))
            .await
            .has("Eric Employee is already a member of Sales.")
    );
    let unknown = b
        .post(
            &app.url(format!("{group}/roles")),
            &[
                ("csrf_token", &csrf),
                ("email", "nobody@example.test"),
                ("role", "owner"),
                ("action", "add"),
            ],
        )
        .await;
    assert_eq!(unknown.status, 422);
    assert!(unknown.has("No user has the email nobody@example.test."));
    assert!(
        unknown.has("value=\"nobody@example.test\"")
            && unknown.has("<option value=\"owner\" selected>Owner</option>"),
        "the form comes back as it was sent: {}",
        unknown.body
    );

    // Eric sees the membership in My Access.
    let eric = Browser::new();
    app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
        .await;
    assert!(
        eric.get(&app.url(routes::PROFILE)).await.has("Sales"),
        "his profile lists what he holds"
    );

    let remove = b
        .post(
            &app.url(format!("{group}/roles")),
            &[
                ("csrf_token", &csrf),
                ("email", "eric.employee@gatehouse.demo"),
                ("role", "member"),
                ("action", "remove"),
            ],
        )
        .await;
    assert_eq!(remove.status, 303);
    assert!(!eric.get(&app.url(routes::HOME)).await.has("Sales"));
    let list = b
        .get(&app.url(format!("{}?q=sal", routes::ADMIN_GROUPS.list)))
        .await;
    assert!(list.has("Sales people"));
});

// Groups, applications and sites share one set of pages; each kind's list
// and form keep what is its own, and one kind's id is no other kind's page.
both!(
    each_kind_of_resource_keeps_its_own_list_and_form,
    |backend| async move {
        let (app, b) = admin(backend).await;
        let kinds = [
            (
                routes::ADMIN_GROUPS,
                "Groups and teams",
                "placeholder=\"Group name\"",
                [
                    "<th>Type</th>",
                    "<th class=\"num\">Members</th>",
                    "data-label=\"Type\">Security group</td>",
                ],
                "group_type",
                "Create group",
            ),
            (
                routes::ADMIN_APPLICATIONS,
                "Applications",
                "placeholder=\"Application name\"",
                [
                    "<th>App roles</th>",
                    "<th class=\"num\">Role holders</th>",
                    "data-label=\"App roles\">Owner, User, msiam_access</td>",
                ],
                "roles",
                "Create application",
            ),
            (
                routes::ADMIN_SITES,
                "Sites",
                "placeholder=\"Site name\"",
                [
                    "<th>Address</th>",
                    "<th class=\"num\">People with a role</th>",
                    "data-label=\"Address\">https://contoso.sharepoint.com/sites/Marketing</td>",
                ],
                "url",
                "Create site",
            ),
        ];
        let mut first_ids = vec![];
        for (paths, title, placeholder, cells, own, button) in kinds {
            let list = b.get(&app.url(paths.list)).await;
            assert_eq!(list.status, 200);
            assert!(
                list.has(&format!("<h1>{title}</h1>")),
                "{title}: {}",
                list.body
            );
            assert!(list.has(placeholder), "{title}");
            for cell in cells {
                assert!(list.has(cell), "{title} shows {cell}: {}", list.body);
            }
            // The first row's name links to its page (after "New …", which
            // is no item).
            let row = format!("data-label=\"Name\"><a href=\"{}/", paths.list);
            let at = list.body.find(&row).expect("a row links to its page") + row.len();
            let id = &list.body[at..at + 36];
            let page = b.get(&app.url(paths.item.id(id))).await;
            assert_eq!(page.status, 200, "{title}: {id}");
            first_ids.push(id.to_string());

            let form = b.get(&app.url(paths.new)).await;
            assert_eq!(form.status, 200);
            assert!(form.has(button), "{title}");
            for field in ["group_type", "roles", "url"] {
                assert_eq!(
                    form.has(&format!("name=\"{field}\"")),
                    field == own,
                    "{title}'s form has {field} only if it is its own"
                );
            }
        }
        // A group's id under applications, an application's under sites, a
        // site's under groups: none is found, though each is under its own.
        let paths = [
            routes::ADMIN_APPLICATIONS,
            routes::ADMIN_SITES,
            routes::ADMIN_GROUPS,
        ];
        for (id, paths) in first_ids.iter().zip(paths) {
            assert_eq!(b.get(&app.url(paths.item.id(id))).await.status, 404, "{id}");
        }
        assert_eq!(
            b.get(&app.url(routes::ADMIN_GROUPS.item.id("not-an-id")))
                .await
                .status,
            404
        );
    }
);

both!(applications_and_sites_have_roles, |backend| async move {
    let (app, b) = admin(backend).await;
    let csrf = b.get(&app.url(routes::ADMIN_APPLICATIONS.new)).await.csrf();
    let dup_roles = b
        .post(
            &app.url(routes::ADMIN_APPLICATIONS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Jira"),
                ("roles", "Admin\nadmin"),
            ],
        )
        .await;
    assert_eq!(dup_roles.status, 422);
    assert!(dup_roles.has("The role `admin` is listed twice."));
    let created = b
        .post(
            &app.url(routes::ADMIN_APPLICATIONS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Jira"),
                ("roles", "Admin\nUser"),
            ],
        )
        .await;
    assert_eq!(created.status, 303);
    let jira = created.location.unwrap();
    assert!(b.get(&app.url(&jira)).await.has("<li>Admin"));
    // A role someone holds cannot silently disappear: Eric gets Jira's User
    // role through an access package.
    let jira_id = jira.rsplit('/').next().unwrap().to_string();
    let (package, assignment) = jira_for(&app, &jira_id, "eric.employee@gatehouse.demo").await;
    let refused = b
        .post(
            &app.url(&jira),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Jira"),
                ("roles", "Admin"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.has("The role User is held by 1 user; it cannot be removed while anyone holds it.")
    );
    gatehouse::service::assignments::remove(
        &app.store,
        &gatehouse::domain::audit::Actor::system(),
        &package,
        &AssignmentId::parse(assignment.as_str()).expect("an id"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let edited = b
        .post(
            &app.url(&jira),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Jira"),
                ("roles", ""),
            ],
        )
        .await;
    assert_eq!(edited.status, 303);
    assert!(
        b.get(&app.url(&jira))
            .await
            .has("Default Access (the application defines no roles)")
    );

    let bad_site = b
        .post(
            &app.url(routes::ADMIN_SITES.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Sales"),
                ("url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(bad_site.status, 422);
    assert!(bad_site.has("Site address must be an https:// address."));
    let site = b
        .post(
            &app.url(routes::ADMIN_SITES.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Sales <Team>"),
                ("url", "https://contoso.sharepoint.com/sites/Sales"),
            ],
        )
        .await;
    assert_eq!(site.status, 303);
    let page = b.get(&app.url(site.location.unwrap())).await;
    assert!(
        page.has("Sales &#60;Team&#62;") || page.has("Sales &lt;Team&gt;"),
        "names are escaped"
    );
    assert!(!page.has("Sales <Team>"));
    assert!(page.has("SharePoint Member"));
    assert!(page.has("SharePoint Visitor"));
    assert_eq!(
        app.audit_count("site").await,
        3,
        "demo site, its owner, and this one"
    );
});

/// Puts the application in a catalog of its own, with a package granting its
/// User role, and assigns the package to the person (approval bypassed, as an
/// administrator may): returns the package and the assignment.
async fn jira_for(
    app: &TestApp,
    application: &str,
    email: &str,
) -> (
    gatehouse::domain::ids::AccessPackageId,
    gatehouse::domain::ids::AssignmentId,
) {
    use gatehouse::domain::audit::Actor;
    use gatehouse::domain::catalog::{CatalogProfile, CatalogState, OriginSystem};
    use gatehouse::domain::policy::{AllowedTargetScope, Expiration, Policy};
    let now = chrono::Utc::now();
    let catalog = gatehouse::service::catalogs::create(
        &app.store,
        &Actor::system(),
        &CatalogProfile {
            display_name: "Engineering".into(),
            description: None,
            state: CatalogState::Published,
            is_externally_visible: false,
        },
        None,
        now,
    )
    .await
    .unwrap();
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
    let role = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::catalogs::role_options(&mut c, OriginSystem::AadApplication, application)
            .await
            .unwrap()
            .into_iter()
            .find(|(_, name)| name == "User")
            .unwrap()
            .0
    };
    let package = gatehouse::service::packages::create(
        &app.store,
        &Actor::system(),
        &gatehouse::domain::catalog_role::CatalogScope::All,
        &catalog,
        &gatehouse::service::packages::Basics {
            name: "Jira users".into(),
            description: None,
        },
        false,
        &[gatehouse::service::packages::RolePick {
            resource: format!("AadApplication:{application}"),
            role,
        }],
        &policy,
        now,
    )
    .await
    .unwrap();
    let (admin, person, policy_id) = {
        let mut c = app.store.read().await.unwrap();
        let admin = gatehouse::store::users::find_by_email(&mut c, "ada.admin@gatehouse.demo")
            .await
            .unwrap()
            .unwrap();
        let person = gatehouse::store::users::find_by_email(&mut c, email)
            .await
            .unwrap()
            .unwrap();
        let policy_id = gatehouse::store::policies::for_package(&mut c, &package)
            .await
            .unwrap()
            .remove(0)
            .0;
        (admin, person, policy_id)
    };
    gatehouse::service::requests::assign(
        &app.store,
        &admin,
        &package,
        &gatehouse::service::requests::NewAssignment {
            policy: gatehouse::domain::ids::PolicyId::parse(&policy_id),
            users: vec![person.email.clone()],
            groups: vec![],
            new_guest: None,
            period: PeriodInput::NONE,
            answers: Default::default(),
            attributes: Default::default(),
            bypass_approval: true,
            justification: Some("Jira for the launch"),
        },
        now,
    )
    .await
    .unwrap();
    let assignment = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::assignments::active_for(&mut c, &person.id, &package)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    (package, assignment)
}

both!(
    the_console_shows_when_someone_last_signed_in,
    |backend| async move {
        let (app, admin, _clock) = crate::correctness::demo(backend).await;
        let eric = user_named(&app, "eric.employee@gatehouse.demo").await;
        let emma = user_named(&app, "emma.employee@gatehouse.demo").await;
        let page = admin
            .get(&app.url(routes::ADMIN_USERS.item.id(&eric.id)))
            .await;
        assert!(page.has("last sign-in never"), "{}", page.body);
        app.demo_sign_in(&Browser::new(), "eric.employee@gatehouse.demo")
            .await;
        let page = admin
            .get(&app.url(routes::ADMIN_USERS.item.id(&eric.id)))
            .await;
        assert!(page.has("last sign-in <time"), "{}", page.body);
        let page = admin
            .get(&app.url(routes::ADMIN_USERS.item.id(&emma.id)))
            .await;
        assert!(page.has("last sign-in never"), "{}", page.body);
    }
);

/// The part of a user's page under "Access packages".
fn packages_section(page: &Page) -> String {
    let at = page
        .body
        .find("<h2>Access packages</h2>")
        .expect("the report");
    let end = page.body[at..].find("</section>").unwrap();
    page.body[at..at + end].to_string()
}

both!(
    a_users_page_reports_their_access_packages,
    |backend| async move {
        let (app, admin, _clock) = crate::correctness::demo(backend).await;
        let eric = user_named(&app, "eric.employee@gatehouse.demo").await;
        let url = app.url(routes::ADMIN_USERS.item.id(&eric.id));
        let can_request = |section: &str| {
            let at = section.find("<h3>Can request</h3>").unwrap();
            section[at..].to_string()
        };
        let before = packages_section(&admin.get(&url).await);
        assert!(
            can_request(&before).contains("Marketing resources for employees"),
            "{before}"
        );
        assert!(!can_request(&before).contains("Marketing resources for guests"));
        // Gary, a guest of Contoso, may ask for what guests may.
        let gary = user_named(&app, "gary.guest@contoso.com").await;
        let his = packages_section(
            &admin
                .get(&app.url(routes::ADMIN_USERS.item.id(&gary.id)))
                .await,
        );
        assert!(
            can_request(&his).contains("Marketing resources for guests"),
            "{his}"
        );

        let employees = package_named(&app, "Marketing resources for employees").await;
        let policy = policy_named(&app, &employees, "Initial policy").await;
        let eric_mail = "eric.employee@gatehouse.demo";
        let r = crate::correctness::assign_directly(
            &app,
            &admin,
            &employees,
            &policy,
            &[eric_mail],
            &[],
        )
        .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let after = packages_section(&admin.get(&url).await);
        let assigned = &after[..after.find("<h3>Can request</h3>").unwrap()];
        assert!(
            assigned.contains("Marketing resources for employees")
                && assigned.contains("Initial policy")
                && assigned.contains("Delivered"),
            "{after}"
        );
        assert!(
            !can_request(&after).contains("Marketing resources for employees"),
            "held, so not offered: {after}"
        );
    }
);
