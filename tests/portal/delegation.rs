//! Delegation: catalog roles open the console to people who are not
//! administrators, for their catalogs only, and each role lets them do only
//! what Entra's catalog roles let them do.

use gatehouse::routes;

use crate::administration::assign;
use crate::both;
use crate::helpers::*;

const ADA: &str = "ada.admin@gatehouse.demo";
const MARIA: &str = "maria.manager@gatehouse.demo";
const ERIC: &str = "eric.employee@gatehouse.demo";
const EMMA: &str = "emma.employee@gatehouse.demo";

/// Gives `email` `role` in `catalog` through its Roles tab; the answer.
async fn give_role(app: &TestApp, by: &Browser, catalog: &str, email: &str, role: &str) -> Page {
    let url = app.url(routes::ADMIN_CATALOG_ROLES.id(catalog));
    let csrf = by.get(&url).await.csrf();
    by.post(
        &url,
        &[("csrf_token", &csrf), ("email", email), ("role", role)],
    )
    .await
}

/// Posts a new name for a package on its Settings tab; the answer.
async fn rename(app: &TestApp, b: &Browser, package: &str, csrf: &str) -> Page {
    b.post(
        &app.url(routes::ADMIN_PACKAGE_SETTINGS.id(package)),
        &[("csrf_token", csrf), ("name", "Renamed by a delegate")],
    )
    .await
}

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let b = Browser::new();
    app.demo_sign_in(&b, email).await;
    b
}

/// The demo tenant plus an empty "Finance" catalog the administrator made.
async fn two_catalogs(backend: Backend) -> (TestApp, Browser, String, String) {
    let app = spawn(Options::new(backend).demo()).await;
    let admin = signed_in(&app, ADA).await;
    let csrf = admin
        .get(&app.url(routes::ADMIN_CATALOGS.list))
        .await
        .csrf();
    let made = admin
        .post(
            &app.url(routes::ADMIN_CATALOGS.list),
            &[
                ("csrf_token", &csrf),
                ("display_name", "Finance"),
                ("description", "Budgets and invoices"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let finance = catalog_id(&app.store, "Finance").await.to_string();
    let marketing = catalog_id(&app.store, "Marketing").await.to_string();
    (app, admin, finance, marketing)
}

both!(
    a_catalog_owner_manages_their_catalog_and_sees_no_other,
    |backend| async move {
        let (app, admin, finance, marketing) = two_catalogs(backend).await;
        let maria = signed_in(&app, MARIA).await;
        // Without a role, the console stays closed and is not offered.
        assert_eq!(
            maria
                .get(&app.url(routes::ADMIN_CATALOGS.list))
                .await
                .status,
            403
        );
        assert!(!maria.get(&app.url(routes::HOME)).await.has(">Console</a>"));

        // Wrong input is answered beside the field and adds nobody.
        let unknown = give_role(
            &app,
            &admin,
            &finance,
            "nobody@gatehouse.demo",
            "catalogOwner",
        )
        .await;
        assert_eq!(unknown.status, 422);
        assert!(
            unknown.has("Nobody in the directory has the email address nobody@gatehouse.demo.")
        );
        assert!(unknown.has(r#"id="email-error""#));
        let guest = give_role(
            &app,
            &admin,
            &finance,
            "gary.guest@contoso.com",
            "catalogOwner",
        )
        .await;
        assert_eq!(guest.status, 422);
        assert!(guest.has("only members of the directory can hold delegated roles"));
        let role = give_role(&app, &admin, &finance, MARIA, "superUser").await;
        assert_eq!(role.status, 422);
        assert!(role.has("Choose one of the catalog roles."));
        assert!(role.has("Nobody holds a role in this catalog"));

        let added = give_role(&app, &admin, &finance, MARIA, "catalogOwner").await;
        assert_eq!(added.status, 303, "{}", added.body);
        let tab = admin
            .get(&app.url(routes::ADMIN_CATALOG_ROLES.id(&finance)))
            .await;
        assert!(tab.has("Maria Manager is now a catalog owner of Finance."));
        assert!(tab.has("<td data-label=\"Role\">Catalog owner</td>"));
        let maria_page = admin
            .get(
                &app.url(
                    routes::ADMIN_USERS
                        .item
                        .id(user_named(&app, MARIA).await.id),
                ),
            )
            .await;
        assert!(
            maria_page.has("Catalog owner of <a href="),
            "her user page lists her role"
        );
        assert!(maria_page.has(">Finance</a></li>"));
        let again = give_role(&app, &admin, &finance, MARIA, "catalogOwner").await;
        assert_eq!(again.status, 422);
        assert!(again.has("Maria Manager is already a catalog owner of this catalog."));

        // Maria's console: her catalog, and nothing of the tenant's.
        let home = maria.get(&app.url(routes::HOME)).await;
        assert!(home.has(&format!(
            r#"<a href="{}">Console</a>"#,
            routes::ADMIN_CATALOGS.list
        )));
        let list = maria.get(&app.url(routes::ADMIN_CATALOGS.list)).await;
        assert_eq!(list.status, 200);
        assert!(list.has(">Finance</a>") && !list.has(">Marketing</a>"));
        assert!(list.has("1 catalog<"), "the count covers her catalogs only");
        assert!(
            !list.has("New catalog"),
            "only administrators and catalog creators make catalogs"
        );
        assert!(!list.has(">Users</a>"), "the directory is not in her menu");
        let packages = maria.get(&app.url(routes::ADMIN_PACKAGES.list)).await;
        assert!(!packages.has("Marketing resources for employees"));
        let csv = maria
            .get(&app.url(format!("{}.csv", routes::ADMIN_PACKAGES.list)))
            .await;
        assert!(!csv.body.contains("Marketing resources"));
        let theirs = package_id(&app, "Marketing resources for employees").await;
        for closed in [
            app.url(routes::ADMIN_CATALOGS.item.id(&marketing)),
            app.url(routes::ADMIN_PACKAGES.item.id(&theirs)),
            app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&theirs)),
            app.url(routes::ADMIN_CATALOG_ROLES.id(&marketing)),
            app.url(routes::ADMIN),
            app.url(routes::ADMIN_USERS.list),
            app.url(routes::ADMIN_CATALOGS.new),
            app.url(routes::ADMIN_AUDIT),
            app.url(routes::ADMIN_SETTINGS),
        ] {
            assert_eq!(maria.get(&closed).await.status, 403, "{closed}");
        }
        let foreign = maria
            .post(
                &app.url(routes::ADMIN_CATALOG_SETTINGS.id(&marketing)),
                &[("csrf_token", &list.csrf()), ("display_name", "Mine now")],
            )
            .await;
        assert_eq!(foreign.status, 403);
        assert!(foreign.has("You hold no role in this catalog."));

        // In her own catalog she changes the settings and gives roles.
        let renamed = maria
            .post(
                &app.url(routes::ADMIN_CATALOG_SETTINGS.id(&finance)),
                &[
                    ("csrf_token", &list.csrf()),
                    ("display_name", "Finance and accounting"),
                    ("enabled", "on"),
                ],
            )
            .await;
        assert_eq!(renamed.status, 303, "{}", renamed.body);
        assert_eq!(
            give_role(&app, &maria, &finance, ERIC, "catalogReader")
                .await
                .status,
            303
        );

        // Custom extensions' endpoints and connected systems stay with
        // administrators, even in her catalog.
        for admins_only in [
            routes::ADMIN_CATALOG_EXTENSIONS.id(&finance),
            routes::ADMIN_CATALOG_RESOURCES_FROM_SYSTEM.id(&finance),
        ] {
            let refused = maria
                .post(
                    &app.url(&admins_only),
                    &[("csrf_token", &list.csrf()), ("display_name", "Ticketing")],
                )
                .await;
            assert_eq!(refused.status, 403, "{admins_only}");
        }

        // She adds to it the groups she owns, and no other. (The demo
        // makes her owner of every group; she gives one up.)
        let team = group_id(&app, "Marketing Team").await;
        let other = group_id(&app, "SG-Marketing-Department-GuestUsers").await;
        let given_up = admin
            .post(
                &app.url(routes::ADMIN_GROUP_ROLES.id(&other)),
                &[
                    ("csrf_token", &tab.csrf()),
                    ("action", "remove"),
                    ("email", MARIA),
                    ("role", "owner"),
                ],
            )
            .await;
        assert_eq!(given_up.status, 303, "{}", given_up.body);
        let offered = maria
            .get(&app.url(routes::ADMIN_CATALOG_RESOURCES_ADD.id(&finance)))
            .await;
        assert_eq!(offered.status, 200);
        assert!(offered.has(&format!("AadGroup:{team}")));
        assert!(!offered.has(&format!("AadGroup:{other}")));
        assert!(
            !offered.has("From a connected system")
                && !offered.has("<legend>Applications</legend>")
        );
        let add = app.url(routes::ADMIN_CATALOG_RESOURCES.id(&finance));
        let csrf = offered.csrf();
        let add_group = async |group: &str| {
            let resource = format!("AadGroup:{group}");
            maria
                .post(&add, &[("csrf_token", &csrf), ("resource", &resource)])
                .await
        };
        let not_hers = add_group(&other).await;
        assert_eq!(not_hers.status, 303);
        let said = maria
            .get(&app.url(routes::ADMIN_CATALOG_RESOURCES_ADD.id(&finance)))
            .await;
        assert!(
            said.has("You do not own SG-Marketing-Department-GuestUsers"),
            "{}",
            said.body
        );
        let hers = add_group(&team).await;
        assert_eq!(hers.status, 303);
        let resources = maria
            .get(&app.url(routes::ADMIN_CATALOG_RESOURCES.id(&finance)))
            .await;
        assert!(resources.has("1 resource added.") && resources.has("Marketing Team"));
        assert!(!resources.has("SG-Marketing-Department-GuestUsers"));
        let eric = signed_in(&app, ERIC).await;
        let seen = eric
            .get(&app.url(routes::ADMIN_CATALOG_SETTINGS.id(&finance)))
            .await;
        assert!(seen.has("Finance and accounting"));
        assert!(
            seen.has("disabled") && !seen.has(">Save</button>"),
            "a reader only looks"
        );
        assert_eq!(
            give_role(&app, &eric, &finance, EMMA, "catalogOwner")
                .await
                .status,
            403,
            "a reader gives no roles"
        );

        // Taking the role back closes the console to her again.
        let tab = admin
            .get(&app.url(routes::ADMIN_CATALOG_ROLES.id(&finance)))
            .await;
        let at = tab
            .body
            .find("Remove Maria Manager as Catalog owner")
            .unwrap();
        let start = tab.body[..at].rfind("action=\"").unwrap() + 8;
        let end = tab.body[start..].find('"').unwrap() + start;
        let removed = admin
            .post(
                &app.url(&tab.body[start..end]),
                &[("csrf_token", &tab.csrf())],
            )
            .await;
        assert_eq!(removed.status, 303);
        assert!(
            admin
                .get(&app.url(routes::ADMIN_CATALOG_ROLES.id(&finance)))
                .await
                .has("Maria Manager is no longer a catalog owner of Finance and accounting.")
        );
        assert_eq!(
            maria
                .get(&app.url(routes::ADMIN_CATALOGS.list))
                .await
                .status,
            403
        );
        let audit = admin.get(&app.url(routes::ADMIN_AUDIT)).await;
        assert!(audit.has("Add catalog role assignment"));
        assert!(audit.has("Remove catalog role assignment"));
    }
);

both!(
    each_catalog_role_does_only_what_it_grants,
    |backend| async move {
        let (app, admin, _finance, marketing) = two_catalogs(backend).await;
        let package = package_id(&app, "Marketing resources for employees").await;
        for (who, role) in [
            (ERIC, "catalogReader"),
            (EMMA, "accessPackageAssignmentManager"),
        ] {
            assert_eq!(
                give_role(&app, &admin, &marketing, who, role).await.status,
                303
            );
        }
        let eric = signed_in(&app, ERIC).await;
        let emma = signed_in(&app, EMMA).await;

        // A reader sees the package and its assignments, and may change nothing.
        let overview = eric
            .get(&app.url(routes::ADMIN_PACKAGES.item.id(&package)))
            .await;
        assert_eq!(overview.status, 200);
        let list = eric.get(&app.url(routes::ADMIN_PACKAGES.list)).await;
        assert_eq!(list.status, 200);
        assert!(list.has("Marketing resources for employees"));
        assert!(
            !list.has("New access package"),
            "a reader makes no packages"
        );
        let lookup = format!("{}?kind=user&q=maria", routes::ADMIN_LOOKUP);
        assert_eq!(eric.get(&app.url(&lookup)).await.status, 403);
        assert!(
            emma.get(&app.url(&lookup))
                .await
                .has("maria.manager@gatehouse.demo")
        );
        let tab = eric
            .get(&app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&package)))
            .await;
        assert_eq!(tab.status, 200);
        assert!(!tab.has("New assignment"));
        let policies = eric
            .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&package)))
            .await;
        assert!(policies.has("Initial policy") && !policies.has("+ Add policy"));
        let policy = {
            let at = policies.body.find(">Initial policy</a>").unwrap();
            let start = policies.body[..at].rfind("href=\"").unwrap() + 6;
            policies.body[start..at - 1].to_string()
        };
        let policy = eric.get(&app.url(&policy)).await;
        assert_eq!(policy.status, 200);
        assert!(policy.has("Policy Initial policy") && policy.has("disabled"));
        assert!(!policy.has(">Save</button>"));
        assert_eq!(
            eric.get(&app.url(routes::ADMIN_PACKAGES.new)).await.status,
            403
        );
        assert_eq!(
            eric.get(&app.url(routes::ADMIN_PACKAGE_ASSIGN.id(&package)))
                .await
                .status,
            403
        );
        let changed = rename(&app, &eric, &package, &tab.csrf()).await;
        assert_eq!(changed.status, 403);
        assert!(changed.has("Your role in this catalog does not let you do this."));

        // An assignment manager assigns, and changes no package.
        let done = assign(
            &app,
            &emma,
            &package,
            &[
                ("users", MARIA),
                ("bypass", "on"),
                ("justification", "Covering the launch"),
            ],
        )
        .await;
        assert_eq!(done.status, 303, "{}", done.body);
        // The form's search button finds only the people it asks for,
        // whatever kind the button's value names: packages are looked up
        // only by those who manage them.
        let searched = assign(
            &app,
            &emma,
            &package,
            &[("pick", "package:users"), ("pickq:users", "guests")],
        )
        .await;
        assert_eq!(searched.status, 200, "{}", searched.body);
        assert!(
            !searched.has("Marketing resources for guests"),
            "{}",
            searched.body
        );
        let held = held_by(&app, MARIA).await;
        assert!(
            held.iter().any(|h| h.contains("Marketing Team")),
            "{held:?}"
        );
        let tab = emma
            .get(&app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&package)))
            .await;
        assert!(tab.has("New assignment") && tab.has("Maria Manager"));
        assert_eq!(
            emma.get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(&package)))
                .await
                .status,
            403
        );
        let renamed = rename(&app, &emma, &package, &tab.csrf()).await;
        assert_eq!(renamed.status, 403);
        assert!(
            !emma
                .get(&app.url(routes::ADMIN_CATALOG_PACKAGES.id(&marketing)))
                .await
                .has("+ New access package")
        );

        // Become a guest, she keeps her role on record but not its reach.
        let now_guest = save_emma(&app, &admin, "guest", EMMA).await;
        assert_eq!(now_guest.status, 303, "{}", now_guest.body);
        assert_eq!(
            emma.get(&app.url(routes::ADMIN_PACKAGES.item.id(&package)))
                .await
                .status,
            403
        );
        assert!(!emma.get(&app.url(routes::HOME)).await.has(">Console</a>"));
    }
);

/// The wizard's Requests step: all members may ask, without approval.
const NO_APPROVAL: &[(&str, &str)] = &[
    ("policy_name", "Initial policy"),
    ("enabled", "on"),
    ("scope", "allMemberUsers"),
    ("stage_count", "1"),
    ("enable_requests", "on"),
];

/// Posts one step of the package wizard, carrying the page's draft.
async fn wizard_step(
    app: &TestApp,
    b: &Browser,
    page: &Page,
    go: &str,
    fields: &[(&str, &str)],
) -> Page {
    let draft = page.input("draft").expect("the wizard carries its draft");
    let step = page.input("step").expect("the wizard names its step");
    let csrf = page.csrf();
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("draft", &draft),
        ("step", &step),
        ("go", go),
    ];
    form.extend_from_slice(fields);
    b.post(&app.url(routes::ADMIN_PACKAGES.new), &form).await
}

both!(
    an_access_package_manager_makes_packages_in_their_catalog_only,
    |backend| async move {
        let (app, admin, finance, marketing) = two_catalogs(backend).await;
        assert_eq!(
            give_role(&app, &admin, &marketing, MARIA, "accessPackageManager")
                .await
                .status,
            303
        );
        assert_eq!(
            give_role(&app, &admin, &finance, MARIA, "catalogReader")
                .await
                .status,
            303
        );
        let maria = signed_in(&app, MARIA).await;

        // The wizard offers the catalog she manages packages in, and only its
        // own resources.
        let basics = maria.get(&app.url(routes::ADMIN_PACKAGES.new)).await;
        assert_eq!(basics.status, 200, "{}", basics.body);
        assert!(basics.has(">Marketing</option>") && !basics.has(">Finance</option>"));
        let roles = wizard_step(
            &app,
            &maria,
            &basics,
            "next",
            &[
                ("catalog", &marketing),
                ("name", "Launch crew"),
                ("description", ""),
            ],
        )
        .await;
        assert_eq!(roles.status, 200, "{}", roles.body);
        assert!(roles.has("Marketing Team") && !roles.has("name=\"show_all\""));
        let group = {
            let at = roles
                .body
                .find("aria-label=\"Role for Marketing Team\"")
                .unwrap();
            let start = roles.body[..at].rfind("name=\"").unwrap() + 6;
            let end = roles.body[start..].find('"').unwrap() + start;
            roles.body[start..end].to_string()
        };
        let requests = wizard_step(&app, &maria, &roles, "requests", &[(&group, "member")]).await;
        let review = wizard_step(&app, &maria, &requests, "review", NO_APPROVAL).await;
        let created = wizard_step(&app, &maria, &review, "create", &[]).await;
        assert_eq!(created.status, 303, "{}", created.body);
        let made = package_id(&app, "Launch crew").await;
        assert_eq!(
            created.location.as_deref(),
            Some(routes::ADMIN_PACKAGES.item.id(&made).as_str())
        );
        // She manages it from there on.
        let tab = maria
            .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&made)))
            .await;
        assert!(tab.has("+ Add policy"));
        let list = maria.get(&app.url(routes::ADMIN_PACKAGES.list)).await;
        assert_eq!(list.status, 200);
        assert!(list.has("Launch crew") && list.has("New access package"));
        // Packages, not the catalog itself.
        assert_eq!(
            give_role(&app, &maria, &marketing, ERIC, "catalogOwner")
                .await
                .status,
            403
        );
        assert_eq!(
            maria
                .get(&app.url(routes::ADMIN_CATALOG_RESOURCES_ADD.id(&marketing)))
                .await
                .status,
            403
        );
        let settings = maria
            .post(
                &app.url(routes::ADMIN_CATALOG_SETTINGS.id(&marketing)),
                &[("csrf_token", &list.csrf()), ("display_name", "Mine")],
            )
            .await;
        assert_eq!(settings.status, 403);

        // Roles come from the catalog: a group outside it cannot be slipped in
        // through the package's Resource roles tab.
        let csrf = admin.get(&app.url(routes::ADMIN_GROUPS.list)).await.csrf();
        let payroll = admin
            .post(
                &app.url(routes::ADMIN_GROUPS.list),
                &[
                    ("csrf_token", &csrf),
                    ("display_name", "Payroll"),
                    ("description", "Sees salaries"),
                    ("group_type", "security"),
                ],
            )
            .await;
        assert_eq!(payroll.status, 303);
        let payroll = group_id(&app, "Payroll").await;
        let roles_url = app.url(routes::ADMIN_PACKAGE_ROLES.id(&made));
        let slipped = maria
            .post(
                &roles_url,
                &[
                    ("csrf_token", &tab.csrf()),
                    ("resource", &format!("AadGroup:{payroll}|member")),
                ],
            )
            .await;
        assert_eq!(slipped.status, 303);
        let after = maria.get(&roles_url).await;
        assert!(
            after.has("Choose a role of a resource in the package"),
            "{}",
            after.body
        );
        // Neither granted by the package nor added to the catalog (whose
        // resources the tab offers).
        assert!(!after.has("Payroll"));

        // A draft pointed at a catalog she only reads is refused at creation.
        let forged = wizard_step(
            &app,
            &maria,
            &basics,
            "next",
            &[
                ("catalog", &finance),
                ("name", "Side door"),
                ("description", ""),
            ],
        )
        .await;
        let requests = wizard_step(&app, &maria, &forged, "requests", &[]).await;
        let review = wizard_step(&app, &maria, &requests, "review", NO_APPROVAL).await;
        let refused = wizard_step(&app, &maria, &review, "create", &[]).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let mut c = app.store.read().await.unwrap();
        assert!(
            gatehouse::store::packages::ids_by_name(&mut c, "Side door")
                .await
                .unwrap()
                .is_empty()
        );
    }
);

both!(
    a_catalog_creator_makes_catalogs_and_owns_them,
    |backend| async move {
        let app = spawn(Options::new(backend).demo()).await;
        let admin = signed_in(&app, ADA).await;
        let emma = signed_in(&app, EMMA).await;
        assert_eq!(
            emma.get(&app.url(routes::ADMIN_CATALOGS.new)).await.status,
            403
        );

        let settings = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
        assert!(settings.has("Nobody but administrators creates catalogs."));
        let add = app.url(routes::ADMIN_SETTINGS_CATALOG_CREATORS);
        let csrf = settings.csrf();
        let unknown = admin
            .post(
                &add,
                &[
                    ("csrf_token", &csrf),
                    ("creator_email", "nobody@gatehouse.demo"),
                ],
            )
            .await;
        assert_eq!(unknown.status, 422);
        assert!(unknown.has(r#"id="creator_email-error""#));
        assert!(
            unknown.has("Nobody in the directory has the email address nobody@gatehouse.demo.")
        );
        let added = admin
            .post(&add, &[("csrf_token", &csrf), ("creator_email", EMMA)])
            .await;
        assert_eq!(added.status, 303, "{}", added.body);
        let settings = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
        assert!(settings.has("Emma Employee may now create catalogs."));
        let emma_page = admin
            .get(&app.url(routes::ADMIN_USERS.item.id(user_named(&app, EMMA).await.id)))
            .await;
        assert!(emma_page.has("Catalog creator: may create catalogs"));

        // Emma's console: no catalog yet, and the button to make one.
        let home = emma.get(&app.url(routes::HOME)).await;
        assert!(home.has(&format!(
            r#"<a href="{}">Console</a>"#,
            routes::ADMIN_CATALOGS.list
        )));
        let list = emma.get(&app.url(routes::ADMIN_CATALOGS.list)).await;
        assert!(list.has("New catalog") && !list.has(">Marketing</a>"));
        let made = emma
            .post(
                &app.url(routes::ADMIN_CATALOGS.list),
                &[
                    ("csrf_token", &list.csrf()),
                    ("display_name", "Events"),
                    ("enabled", "on"),
                ],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let events = catalog_id(&app.store, "Events").await.to_string();
        let roles = emma
            .get(&app.url(routes::ADMIN_CATALOG_ROLES.id(&events)))
            .await;
        assert_eq!(roles.status, 200);
        assert!(
            roles.has("Emma Employee") && roles.has("<td data-label=\"Role\">Catalog owner</td>")
        );

        // Taken back: she keeps what she made, and makes no more.
        let settings = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
        let remove = app
            .url(routes::ADMIN_SETTINGS_CATALOG_CREATOR_REMOVE.id(user_named(&app, EMMA).await.id));
        let removed = admin
            .post(&remove, &[("csrf_token", &settings.csrf())])
            .await;
        assert_eq!(removed.status, 303);
        assert!(
            admin
                .get(&app.url(routes::ADMIN_SETTINGS))
                .await
                .has("Emma Employee may no longer create catalogs.")
        );
        let list = emma.get(&app.url(routes::ADMIN_CATALOGS.list)).await;
        assert!(list.has(">Events</a>") && !list.has("New catalog"));
        let again = emma
            .post(
                &app.url(routes::ADMIN_CATALOGS.list),
                &[("csrf_token", &list.csrf()), ("display_name", "More")],
            )
            .await;
        assert_eq!(again.status, 403);
        let audit = admin.get(&app.url(routes::ADMIN_AUDIT)).await;
        assert!(audit.has("Add catalog creator") && audit.has("Remove catalog creator"));
    }
);
