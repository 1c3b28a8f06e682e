//! A package's Requests and Assignments tabs: details, cancel, reprocess,
//! remove, CSV export, and new assignments with and without approval.

use crate::both;
use crate::helpers::*;
use gatehouse::domain::ids::UserId;
use gatehouse::domain::request::PeriodInput;
use gatehouse::routes;

async fn user_id(app: &TestApp, email: &str) -> UserId {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::users::find_by_email(&mut c, email)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// What the user holds, as "Group Marketing Team member" lines.
async fn holdings(app: &TestApp, email: &str) -> Vec<String> {
    let id = user_id(app, email).await;
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::directory::roles_held_by(&mut c, &id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| format!("{} {} {}", h.resource_type, h.resource_name, h.role))
        .collect()
}

/// Fills the new-assignment form as an administrator and returns the answer.
pub(crate) async fn assign(
    app: &TestApp,
    admin: &Browser,
    package: &str,
    fields: &[(&str, &str)],
) -> Page {
    let url = app.url(routes::ADMIN_PACKAGE_ASSIGN.id(package));
    let mut form = admin.get(&url).await;
    // The guests' package has two policies: the form is shown again for the
    // one chosen here, keeping what was typed.
    let guests = ">Policy for regular guest and new guest users</option>";
    let policy = match form.body.find(guests) {
        Some(at) => {
            let start = form.body[..at].rfind("value=\"").unwrap() + 7;
            let id = form.body[start..].split('"').next().unwrap().to_string();
            let csrf = form.csrf();
            // Coming from another policy, an answer typed for its question
            // is not carried over to this one's; the rest is kept.
            let switch = [
                ("csrf_token", csrf.as_str()),
                ("policy", id.as_str()),
                ("shown_policy", "another"),
                ("switch", "policy"),
                ("justification", "Typed first"),
                ("q1", "Typed answer"),
            ];
            form = admin.post(&url, &switch).await;
            assert!(
                form.has(&format!(r#"<option value="{id}" selected>"#))
                    && form.has(">Typed first</textarea>"),
                "{}",
                form.body
            );
            assert!(!form.has("Typed answer"), "{}", form.body);
            id
        }
        None => form.input("policy").unwrap(),
    };
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    let mut all = vec![("csrf_token", csrf.as_str()), ("policy", policy.as_str())];
    all.extend_from_slice(fields);
    admin.post(&url, &all).await
}

pub(crate) const GUEST_ANSWERS: &[(&str, &str)] = &[
    ("q1", "Autumn fair"),
    ("q2", "Maria Manager"),
    ("q3", "short"),
    ("attr_givenName", "Olga"),
    ("attr_surname", "Outside"),
    ("attr_jobTitle", "Photographer"),
];

both!(
    administrators_follow_and_correct_requests_and_assignments,
    |backend| async move {
        let app = spawn(Options::new(backend).demo()).await;
        let employees = package_id(&app, "Marketing resources for employees").await;
        let guests = package_id(&app, "Marketing resources for guests").await;
        let admin = Browser::new();
        app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;

        // Eric is assigned the employees' package around its approval.
        let refused = assign(
            &app,
            &admin,
            &employees,
            &[("users", "eric.employee@gatehouse.demo"), ("bypass", "on")],
        )
        .await;
        assert_eq!(refused.status, 422);
        assert!(refused.has(
            r#"<small class="field-error" id="justification-error">Bypassing approval requires a business justification."#
        ));
        // The field names its error, for those who hear the page.
        assert!(refused.has(r#"aria-describedby="justification-hint justification-error""#));
        let unknown = assign(
            &app,
            &admin,
            &employees,
            &[("users", "nobody@nowhere.example")],
        )
        .await;
        assert!(unknown.has("Not in the directory: nobody@nowhere.example"));
        let done = assign(
            &app,
            &admin,
            &employees,
            &[
                ("users", "eric.employee@gatehouse.demo"),
                ("bypass", "on"),
                ("justification", "Launch week, approved by phone"),
            ],
        )
        .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let holds = holdings(&app, "eric.employee@gatehouse.demo").await;
        assert!(holds.contains(&"Group SG-Marketing-Department-InternalUsers member".into()));
        assert!(holds.contains(&"Group Marketing Team member".into()));

        // The Requests tab shows it, the bypass and its justification.
        let tab = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUESTS.id(&employees)))
            .await;
        assert!(
            tab.has("Eric Employee")
                && tab.has("approval bypassed")
                && tab.has("Direct assignment")
        );
        assert!(
            !admin
                .get(&app.url(format!(
                    "{}?state=open",
                    routes::ADMIN_PACKAGE_REQUESTS.id(&employees)
                )))
                .await
                .has("Eric Employee"),
            "a delivered request is not open"
        );
        // A state the tab does not know filters nothing, and "All" is the
        // tab shown: the unknown value is not carried on.
        let unknown = admin
            .get(&app.url(format!(
                "{}?state=bogus",
                routes::ADMIN_PACKAGE_REQUESTS.id(&employees)
            )))
            .await;
        assert!(unknown.has("Eric Employee"));
        assert!(unknown.has(r#"<a href="?state=" aria-current="true">All</a>"#));
        assert!(!unknown.has("bogus"), "{}", unknown.body);
        let prefix = format!("{}/", routes::REQUESTS);
        let at = tab.body.find(&prefix).unwrap();
        let rid: String = tab.body[at + prefix.len()..].chars().take(36).collect();
        let details_url = app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&employees, &rid));
        let details = admin.get(&details_url).await;
        assert!(details.has("Launch week, approved by phone"));
        assert!(details.has("Business justification for bypassing approval"));
        assert!(
            !details.has("Cancel request"),
            "a delivered request offers no cancel"
        );
        let cancel = admin
            .post(
                &format!("{details_url}/cancel"),
                &[("csrf_token", &details.csrf())],
            )
            .await;
        assert_eq!(cancel.status, 303);
        let back = cancel.location.as_deref().map(|l| app.url(l));
        assert_eq!(back, Some(details_url.clone()), "back on the request");
        assert!(
            admin
                .get(&details_url)
                .await
                .has("A request that is delivered can no longer be canceled.")
        );

        // The same Marketing Team membership also comes from the guests' package.
        let both = assign(
            &app,
            &admin,
            &guests,
            &[
                &[
                    ("users", "eric.employee@gatehouse.demo"),
                    ("bypass", "on"),
                    ("justification", "Helps with the partner portal"),
                ][..],
                GUEST_ANSWERS,
            ]
            .concat(),
        )
        .await;
        assert_eq!(both.status, 303, "{}", both.body);

        // The Assignments tab, its filter and its CSV.
        let tab = admin
            .get(&app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&employees)))
            .await;
        assert!(tab.has("Eric Employee") && tab.has("Delivered"));
        let csv = admin
            .get(&app.url(format!(
                "{}?state=active",
                routes::ADMIN_PACKAGE_ASSIGNMENTS_CSV.id(&employees)
            )))
            .await;
        assert!(csv.body.starts_with("User,Email,Policy,State"));
        assert!(csv.has("Eric Employee,eric.employee@gatehouse.demo,Initial policy,Delivered"));
        let none = admin
            .get(&app.url(format!(
                "{}?state=removed",
                routes::ADMIN_PACKAGE_ASSIGNMENTS_CSV.id(&employees)
            )))
            .await;
        assert_eq!(
            none.body.lines().count(),
            1,
            "only the header: {}",
            none.body
        );

        // Someone took Eric out of the group by hand: reprocess puts him back.
        let internal = {
            let mut c = app.store.read().await.unwrap();
            let group = gatehouse::domain::catalog::OriginSystem::AadGroup;
            gatehouse::store::directory::search(
                &mut c,
                group,
                "InternalUsers",
                gatehouse::store::PageAt::first(5),
            )
            .await
            .unwrap()
            .items
            .remove(0)
            .id
        };
        {
            let mut tx = app.store.begin().await.unwrap();
            let group = gatehouse::domain::ids::GroupId::from_stored(internal.clone());
            let member = gatehouse::domain::directory::GroupRole::Member;
            gatehouse::store::directory::remove_held(
                &mut tx,
                gatehouse::store::directory::Held::Group(&group, member),
                &user_id(&app, "eric.employee@gatehouse.demo").await,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let at = tab.body.find("/reprocess\"").unwrap();
        let start = tab.body[..at].rfind("action=\"").unwrap() + 8;
        let reprocess = tab.body[start..at + 10].to_string();
        let r = admin
            .post(&app.url(&reprocess), &[("csrf_token", &tab.csrf())])
            .await;
        assert_eq!(r.status, 303);
        assert!(
            holdings(&app, "eric.employee@gatehouse.demo")
                .await
                .contains(&"Group SG-Marketing-Department-InternalUsers member".into())
        );

        // Removing the employees' assignment takes back what only it granted.
        let remove = reprocess.replace("/reprocess", "/remove");
        let r = admin
            .post(&app.url(&remove), &[("csrf_token", &tab.csrf())])
            .await;
        assert_eq!(r.status, 303);
        let holds = holdings(&app, "eric.employee@gatehouse.demo").await;
        assert!(!holds.contains(&"Group SG-Marketing-Department-InternalUsers member".into()));
        assert!(
            holds.contains(&"Group Marketing Team member".into()),
            "still granted by the guests' package: {holds:?}"
        );
        let tab = admin
            .get(&app.url(format!(
                "{}?state=removed",
                routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&employees)
            )))
            .await;
        assert!(tab.has("Removed") && tab.has("Eric Employee"));
        let again = admin
            .post(&app.url(&remove), &[("csrf_token", &tab.csrf())])
            .await;
        assert_eq!(again.status, 303);
        let tab = admin
            .get(&app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&employees)))
            .await;
        assert!(tab.has("This assignment is already removed by an administrator."));
        // The ended assignment told Eric, and the audit log has every step.
        let mut c = app.store.read().await.unwrap();
        let ended: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessEnded' AND to_address = 'eric.employee@gatehouse.demo'",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(ended, 1);
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action IN ('Remove access package assignment', \
             'Reprocess access package assignment', 'Administrator directly assigns user to access package')",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(audited, 4);
    }
);

#[tokio::test]
async fn removal_clears_attributes_unless_kept_and_new_guests_are_added() {
    let app = spawn(Options::new(Backend::Postgres).demo()).await;
    let guests = package_id(&app, "Marketing resources for guests").await;
    // Job titles are not kept when the assignment goes; names are.
    {
        // As the catalog's attributes page saves them, with "keep" off for the title.
        let catalog = catalog_id(&app.store, "Marketing").await;
        let (resource, mut attrs) = {
            let mut c = app.store.read().await.unwrap();
            let resource = gatehouse::store::catalogs::resources(&mut c, &catalog)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.display_name == "SG-Marketing-Department-GuestUsers")
                .unwrap();
            let resource = gatehouse::domain::ids::CatalogResourceId::from_stored(resource.id);
            let attrs = gatehouse::store::catalogs::required_attributes(&mut c, &resource)
                .await
                .unwrap();
            (resource, attrs)
        };
        for a in &mut attrs {
            if a.attribute_name == "jobTitle" {
                a.keep_value = false;
            }
        }
        gatehouse::service::catalogs::save_required_attributes(
            &app.store,
            &gatehouse::domain::audit::Actor::system(),
            &catalog,
            &resource,
            &attrs,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let bad = assign(
        &app,
        &admin,
        &guests,
        &[
            &[("guest_email", "not-an-address"), ("guest_name", "Olga")][..],
            GUEST_ANSWERS,
        ]
        .concat(),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.has("email address, like name@example.com.")
            && bad.has(r#"aria-describedby="guest_email-error""#)
            && bad.has(r#"id="guest_email-error""#),
        "{}",
        bad.body
    );
    assert_eq!(app.user_count().await, 5, "nothing was added");

    // Through the policy's approval: the new guest waits for Maria.
    let sent = assign(
        &app,
        &admin,
        &guests,
        &[
            &[
                ("guest_email", "olga@outside.example"),
                ("guest_name", "Olga Outside"),
            ][..],
            GUEST_ANSWERS,
        ]
        .concat(),
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let mut c = app.store.read().await.unwrap();
    let olga = gatehouse::store::users::find_by_email(&mut c, "olga@outside.example")
        .await
        .unwrap()
        .expect("the new guest is in the directory");
    assert!(olga.is_guest() && olga.governed);
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'approvalRequest' AND to_address = 'maria.manager@gatehouse.demo'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(pending, 1);
    let rid: String = sqlx::query_scalar(
        "SELECT id FROM assignment_requests WHERE target_email = 'olga@outside.example'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    drop(c);
    let maria = Browser::new();
    app.demo_sign_in(&maria, "maria.manager@gatehouse.demo")
        .await;
    let page = maria.get(&app.url(routes::APPROVAL.id(&rid))).await;
    let ok = maria
        .post(
            &app.url(routes::APPROVAL.id(&rid)),
            &[
                ("csrf_token", &page.csrf()),
                ("decision", "approve"),
                ("justification", "Fine"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    let mut c = app.store.read().await.unwrap();
    let olga = gatehouse::store::users::get(&mut c, &olga.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(olga.job_title.as_deref(), Some("Photographer"));
    drop(c);

    // A second assignment for Olga is refused, saying why.
    let twice = assign(
        &app,
        &admin,
        &guests,
        &[&[("users", "olga@outside.example")][..], GUEST_ANSWERS].concat(),
    )
    .await;
    assert_eq!(twice.status, 422);
    assert!(twice.has("Olga Outside already has this access package."));

    // Removed: the job title goes, the names stay.
    let tab = admin
        .get(&app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&guests)))
        .await;
    let at = tab.body.find("/remove\"").unwrap();
    let start = tab.body[..at].rfind("action=\"").unwrap() + 8;
    let remove = tab.body[start..at + 7].to_string();
    let r = admin
        .post(&app.url(&remove), &[("csrf_token", &tab.csrf())])
        .await;
    assert_eq!(r.status, 303);
    let mut c = app.store.read().await.unwrap();
    let olga = gatehouse::store::users::get(&mut c, &olga.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(olga.job_title, None);
    assert_eq!(olga.given_name.as_deref(), Some("Olga"));
}

#[tokio::test]
async fn separation_of_duties_is_enforced_on_direct_assignment() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let hidden = package_id(&app, "Slack administration").await;
    let employees = package_id(&app, "Marketing resources for employees").await;
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
                ("incompatible_packages", "Marketing resources for employees"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let first = assign(
        &app,
        &admin,
        &employees,
        &[
            ("users", "emma.employee@gatehouse.demo"),
            ("bypass", "on"),
            ("justification", "Onboarding"),
        ],
    )
    .await;
    assert_eq!(first.status, 303);
    let conflict = assign(
        &app,
        &admin,
        &hidden,
        &[
            ("users", "emma.employee@gatehouse.demo"),
            ("bypass", "on"),
            ("justification", "Needs admin rights"),
        ],
    )
    .await;
    assert_eq!(conflict.status, 422);
    assert!(
        conflict.has("Emma Employee: holds the access package Marketing resources for employees"),
        "{}",
        conflict.body
    );
    assert!(
        !holdings(&app, "emma.employee@gatehouse.demo")
            .await
            .iter()
            .any(|h| h.contains("Owner")),
        "nothing was granted"
    );
}

#[tokio::test]
async fn a_failed_delivery_is_reprocessed_once_its_cause_is_fixed() {
    use gatehouse::domain::user::{ExternalIdentity, Person};
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let guests = package_id(&app, "Marketing resources for guests").await;
    let package = gatehouse::domain::ids::AccessPackageId::from_stored(guests.clone());
    let policy = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::policies::for_package(&mut c, &package)
            .await
            .unwrap()
            .into_iter()
            .find(|(_, p)| p.display_name == "Policy for regular guest and new guest users")
            .unwrap()
            .0
    };
    // An organization that has not listed its own domains (the demo lists
    // gatehouse.demo; an administrator clears it here).
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let settings = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    let saved = admin
        .post(
            &app.url(routes::ADMIN_SETTINGS_ORGANIZATION),
            &[
                ("csrf_token", &settings.csrf()),
                ("domains", ""),
                ("collaboration", "anyDomain"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    // Someone from outside signs in with an address a member already has:
    // no guest can be made for it, so delivery fails.
    let who = ExternalIdentity {
        issuer: "urn:test-provider".into(),
        subject: "clash".into(),
        email: "emma.employee@gatehouse.demo".into(),
        display_name: "Not Emma".into(),
        connected_organization: None,
    };
    let input = gatehouse::service::requests::RequestInput {
        policy: gatehouse::domain::ids::PolicyId::parse(&policy),
        justification: None,
        answers: guest_answers(),
        attributes: guest_attributes("Not", "Emma", "Writer"),
        period: PeriodInput::NONE,
    };
    let now = chrono::Utc::now();
    let r = gatehouse::service::requests::submit(
        &app.store,
        &Person::External(who),
        &package,
        &input,
        now,
    )
    .await
    .unwrap();
    let maria = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::users::find_by_email(&mut c, "maria.manager@gatehouse.demo")
            .await
            .unwrap()
            .unwrap()
    };
    let state =
        gatehouse::service::requests::decide(&app.store, &maria, &r.id, true, Some("ok"), now)
            .await
            .unwrap();
    assert_eq!(
        state,
        gatehouse::domain::request::RequestState::DeliveryFailed
    );

    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let failed = admin
        .get(&app.url(format!(
            "{}?state=failed",
            routes::ADMIN_PACKAGE_REQUESTS.id(&guests)
        )))
        .await;
    assert!(failed.has("undelivered") && failed.has("Not Emma"));
    let details_url = app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&guests, &r.id));
    let details = admin.get(&details_url).await;
    assert!(details.has("Reprocess") && details.has("Cancel request"));
    // The administrator gives Emma another address; reprocessing now makes the guest.
    let saved = save_emma(&app, &admin, "member", "emma@gatehouse.demo").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let done = admin
        .post(
            &format!("{details_url}/reprocess"),
            &[("csrf_token", &details.csrf())],
        )
        .await;
    assert_eq!(done.status, 303);
    let after = admin.get(&details_url).await;
    assert!(
        after.has("Request reprocessed.") && after.has("delivered"),
        "{}",
        after.body
    );
    let mut c = app.store.read().await.unwrap();
    let guest = gatehouse::store::users::find_by_email(&mut c, "emma.employee@gatehouse.demo")
        .await
        .unwrap()
        .unwrap();
    assert!(guest.is_guest() && guest.governed);
    drop(c);
    // A delivered request cannot be reprocessed again.
    let again = admin
        .post(
            &format!("{details_url}/reprocess"),
            &[("csrf_token", &details.csrf())],
        )
        .await;
    assert_eq!(again.status, 303);
    assert!(
        admin
            .get(&details_url)
            .await
            .has("Only requests whose delivery failed or was partial can be reprocessed.")
    );

    // A direct assignment for a later period waits, scheduled.
    let start = (now + chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let end = (now + chrono::Duration::days(37))
        .format("%Y-%m-%d")
        .to_string();
    let scheduled = assign(
        &app,
        &admin,
        &guests,
        &[
            &[
                ("users", "gary.guest@contoso.com"),
                ("bypass", "on"),
                ("justification", "Starts with the new contract"),
                ("start", &start),
                ("end", &end),
            ][..],
            GUEST_ANSWERS,
        ]
        .concat(),
    )
    .await;
    assert_eq!(scheduled.status, 303, "{}", scheduled.body);
    let tab = admin
        .get(&app.url(format!(
            "{}?state=open",
            routes::ADMIN_PACKAGE_REQUESTS.id(&guests)
        )))
        .await;
    assert!(tab.has("Gary Guest") && tab.has("scheduled"));
}

/// The console: a home with counts, every package's requests, the pickers'
/// suggestions (administrators only) and their page without the script, the
/// audit log as "field: old → new", and the outbox with each message's HTML.
#[tokio::test]
async fn the_console_home_requests_pickers_audit_and_outbox() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let home = admin.get(&app.url(routes::ADMIN)).await;
    assert_eq!(home.status, 200);
    assert!(
        home.has("Needs attention")
            && home.has("Access packages")
            && home.has("Entitlement management")
    );

    // A request, seen on the console's Requests page among open ones.
    let eric = Browser::new();
    app.demo_sign_in(&eric, "eric.employee@gatehouse.demo")
        .await;
    let package = package_id(&app, "Marketing resources for employees").await;
    let page = eric.get(&app.url(routes::PACKAGE.id(&package))).await;
    eric.post(
        &app.url(routes::PACKAGE.id(&package)),
        &[
            ("csrf_token", page.csrf().as_str()),
            ("policy", page.input("policy").unwrap().as_str()),
            ("justification", "Console test"),
        ],
    )
    .await;
    let open = admin
        .get(&app.url(format!("{}?state=open", routes::ADMIN_REQUESTS)))
        .await;
    assert!(
        open.has("Eric Employee") && open.has("Marketing resources for employees"),
        "{}",
        open.body
    );
    let denied = admin
        .get(&app.url(format!("{}?state=denied", routes::ADMIN_REQUESTS)))
        .await;
    assert!(!denied.has("Eric Employee"));

    // Suggestions: JSON for the script, a page without it, nothing for others.
    let json = admin
        .get_with(
            &app.url(format!("{}?kind=user&q=mari", routes::ADMIN_LOOKUP)),
            &[("Accept", "application/json")],
        )
        .await;
    assert_eq!(json.status, 200);
    assert!(
        json.body
            .contains("\"value\":\"maria.manager@gatehouse.demo\""),
        "{}",
        json.body
    );
    let find = admin
        .get(&app.url(format!("{}?kind=group&q=mark", routes::ADMIN_LOOKUP)))
        .await;
    assert!(
        find.has("Find groups") && find.has("Marketing"),
        "{}",
        find.body
    );
    assert_eq!(
        eric.get(&app.url(format!("{}?kind=user&q=mari", routes::ADMIN_LOOKUP)))
            .await
            .status,
        403
    );

    // The audit log says what changed as old → new.
    let catalog: String = {
        let mut c = app.store.read().await.unwrap();
        sqlx::query_scalar("SELECT id FROM catalogs WHERE display_name = 'Marketing'")
            .fetch_one(&mut *c)
            .await
            .unwrap()
    };
    let settings_url = app.url(routes::ADMIN_CATALOG_SETTINGS.id(&catalog));
    let settings = admin.get(&settings_url).await;
    admin
        .post(
            &settings_url,
            &[
                ("csrf_token", settings.csrf().as_str()),
                ("display_name", "Marketing and sales"),
                ("description", ""),
                ("enabled", "on"),
                ("external", "on"),
            ],
        )
        .await;
    let audit = admin.get(&app.url(routes::ADMIN_AUDIT)).await;
    assert!(
        audit.has("<strong>Name</strong>: <del>Marketing</del> → <ins>Marketing and sales</ins>"),
        "{}",
        audit.body
    );

    // The outbox shows the approval mail as HTML beside its text.
    let outbox = admin.get(&app.url(routes::ADMIN_MAIL)).await;
    assert!(outbox.has("<iframe sandbox srcdoc=\"") && outbox.has("Approve or deny the request"));
}

/// Without the page script a picker field is a search-and-pick form:
/// "Search groups" shows the form again, unsaved, with the matches to tick;
/// a ticked match joins the field when the form is saved.
#[tokio::test]
async fn a_picker_without_the_script_searches_and_picks() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    let package = package_id(&app, "Slack administration").await;
    let guests = package_id(&app, "Marketing resources for guests").await;
    let url = app.url(routes::ADMIN_PACKAGE_SETTINGS.id(&package));
    let settings = admin.get(&url).await;
    assert!(settings.has("name=\"pickq:incompatible_groups\""));
    // Enter in a field saves, as the main button does, not the first search.
    assert_eq!(
        settings
            .default_button(&routes::ADMIN_PACKAGE_SETTINGS.id(&package))
            .as_deref(),
        Some("Save")
    );
    let forms = [
        // Never Add: an Enter meant for a search must not assign anyone,
        // nor switch the policy where there are several.
        (
            admin
                .get(&app.url(routes::ADMIN_PACKAGE_ASSIGN.id(&package)))
                .await,
            routes::ADMIN_PACKAGE_ASSIGN.id(&package),
            "Search people",
        ),
        (
            admin
                .get(&app.url(routes::ADMIN_PACKAGE_ASSIGN.id(&guests)))
                .await,
            routes::ADMIN_PACKAGE_ASSIGN.id(&guests),
            "Search people",
        ),
        (
            admin.get(&app.url(routes::ADMIN_ORGS.new)).await,
            routes::ADMIN_ORGS.list.to_string(),
            "Create",
        ),
    ];
    for (page, action, main) in forms {
        assert_eq!(
            page.default_button(&action).as_deref(),
            Some(main),
            "{action}"
        );
    }
    let csrf = settings.csrf();
    // The settings form as a browser without the script sends it.
    let send = async |name: &str, query: &str, extra: (&str, &str)| {
        let form = [
            ("csrf_token", csrf.as_str()),
            ("name", name),
            ("hidden", "on"),
            ("incompatible_groups", ""),
            ("pickq:incompatible_groups", query),
            extra,
        ];
        admin.post(&url, &form).await
    };
    let search = ("pick", "group:incompatible_groups");

    let short = send("Slack administration", "m", search).await;
    assert!(short.has("Type at least two letters"), "{}", short.body);

    let found = send("Slack administration (renamed)", "marketing te", search).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(
        found.has("name=\"pickadd:incompatible_groups:1\" value=\"Marketing Team\"")
            && found.has("value=\"Slack administration (renamed)\""),
        "the matches are offered and what was typed is kept: {}",
        found.body
    );
    let unsaved = admin.get(&url).await;
    assert!(
        !unsaved.has("Slack administration (renamed)"),
        "searching saves nothing"
    );

    let tick = ("pickadd:incompatible_groups:1", "Marketing Team");
    let saved = send("Slack administration", "marketing te", tick).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = admin.get(&url).await;
    assert!(
        after.has(">Marketing Team</textarea>"),
        "the ticked group is saved: {}",
        after.body
    );
}

both!(
    a_packages_settings_report_who_already_holds_what_it_excludes,
    |backend| async move {
        let app = spawn(Options::new(backend).demo()).await;
        let admin = Browser::new();
        app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
        let hidden = package_id(&app, "Slack administration").await;
        let employees = package_id(&app, "Marketing resources for employees").await;
        // Emma holds both before anyone says they exclude each other.
        for package in [&employees, &hidden] {
            let given = assign(
                &app,
                &admin,
                package,
                &[
                    ("users", "emma.employee@gatehouse.demo"),
                    ("bypass", "on"),
                    ("justification", "Onboarding"),
                ],
            )
            .await;
            assert_eq!(given.status, 303, "{}", given.body);
        }
        let slack_settings = app.url(routes::ADMIN_PACKAGE_SETTINGS.id(&hidden));
        let before = admin.get(&slack_settings).await;
        assert!(before.has("Nobody who holds this package holds what it excludes."));
        let saved = admin
            .post(
                &slack_settings,
                &[
                    ("csrf_token", &before.csrf()),
                    ("name", "Slack administration"),
                    ("hidden", "on"),
                    ("incompatible_packages", "Marketing resources for employees"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);

        // Slack's tab lists Emma; the other package's names the rule, one way.
        let after = admin.get(&slack_settings).await;
        let report = &after.body[after.body.find("<h4>Additional access</h4>").unwrap()..];
        assert!(
            report.contains("emma.employee@gatehouse.demo")
                && report.contains("The access package Marketing resources for employees"),
            "{report}"
        );
        // The report downloads whole.
        let csv_path = routes::ADMIN_PACKAGE_ADDITIONAL_ACCESS_CSV.id(&hidden);
        assert!(
            report.contains(&format!(r#"href="{csv_path}" download"#)),
            "{report}"
        );
        let csv = admin.get(&app.url(&csv_path)).await;
        assert_eq!(csv.status, 200);
        assert!(
            csv.body.starts_with("User,Email,Also holds,Name\r\n")
                && csv.body.contains(
                    "emma.employee@gatehouse.demo,Access package,Marketing resources for employees\r\n"
                ),
            "{}",
            csv.body
        );
        let other = admin
            .get(&app.url(routes::ADMIN_PACKAGE_SETTINGS.id(&employees)))
            .await;
        let reverse = &other.body[other
            .body
            .find("<h4>Incompatible with this package</h4>")
            .unwrap()..];
        assert!(
            reverse.contains("<li>Slack administration</li>"),
            "{reverse}"
        );
        assert!(other.has("Nobody who holds this package holds what it excludes."));
    }
);

// The audit log finds events by words of their activity and by the
// reader's days, and downloads what it finds as CSV.
both!(
    the_audit_log_is_searched_by_activity_and_days_and_downloaded,
    |backend| async move {
        let clock = gatehouse::clock::Clock::manual("2026-06-15T12:00:00Z".parse().unwrap());
        let mut opts = Options::new(backend).demo();
        opts.clock = Some(clock.clone());
        let app = spawn(opts).await;
        let create = async |name: &str| {
            let admin = Browser::new();
            app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
            let csrf = admin
                .get(&app.url(routes::ADMIN_CATALOGS.list))
                .await
                .csrf();
            let made = admin
                .post(
                    &app.url(routes::ADMIN_CATALOGS.list),
                    &[("csrf_token", csrf.as_str()), ("display_name", name)],
                )
                .await;
            assert_eq!(made.status, 303, "{}", made.body);
            admin
        };
        // One catalog on 15 June, another on 16 June (UTC, Ada's zone).
        create("=SUM(1,2) books").await;
        clock.advance(chrono::Duration::hours(13));
        let admin = create("Second shelf").await;
        let search = async |q: &str| {
            admin
                .get(&app.url(format!("{}?{q}", routes::ADMIN_AUDIT)))
                .await
        };

        let both = search("activity=CREATE+catalog").await;
        assert!(
            both.has("=SUM(1,2) books") && both.has("Second shelf"),
            "{}",
            both.body
        );
        assert!(
            both.has("3 events"),
            "the demo's Marketing too: {}",
            both.body
        );
        let second_day = search("activity=create+catalog&from=2026-06-16&to=2026-06-16").await;
        assert!(
            second_day.has("Second shelf") && !second_day.has("=SUM(1,2) books"),
            "{}",
            second_day.body
        );
        let first_day = search("activity=create+catalog&to=2026-06-15").await;
        assert!(
            first_day.has("=SUM(1,2) books") && !first_day.has("Second shelf"),
            "{}",
            first_day.body
        );
        let none = search("activity=no+such+activity").await;
        assert!(none.has("No events match."), "{}", none.body);
        let later = search("from=2026-06-17").await;
        assert!(later.has("No events match."), "{}", later.body);

        let bad = search("activity=catalog&from=15%2F06%2F2026").await;
        assert_eq!(bad.status, 422);
        assert!(
            bad.has(
                r#"<small class="field-error" id="from-error">Give the day as YYYY-MM-DD.</small>"#
            ) && bad.has(r#"value="15/06/2026""#),
            "{}",
            bad.body
        );
        let backwards = search("from=2026-06-16&to=2026-06-15").await;
        assert_eq!(backwards.status, 422);
        assert!(backwards.has("The last day comes before the first."));

        // The download holds what the filter finds, a formula kept as text.
        let csv = admin
            .get(&app.url(format!(
                "{}?activity=create+catalog&from=2026-06-15&to=2026-06-15",
                routes::ADMIN_AUDIT_CSV
            )))
            .await;
        assert_eq!(csv.status, 200);
        assert!(
            csv.body.starts_with(
                "Time (UTC),Actor,Actor id,Activity,Object type,Object id,Object,Details\r\n"
            ) && csv.body.contains(",Create catalog,Catalog,")
                && csv.body.contains(r#""'=SUM(1,2) books""#)
                && !csv.body.contains("Second shelf"),
            "{}",
            csv.body
        );
        let link = search("activity=create+catalog&from=2026-06-15").await;
        assert!(
        link.has(&format!(
            "{}?object_type=&#38;object_id=&#38;actor=&#38;activity=create+catalog&#38;from=2026-06-15&#38;to=&#38;page=1",
            routes::ADMIN_AUDIT_CSV
        )),
        "{}",
        link.body
    );
    }
);

/// Posts a form of the console as the administrator; the answer.
async fn console_post(app: &TestApp, admin: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = admin.get(&app.url(routes::ADMIN)).await.csrf();
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    admin.post(&app.url(path), &all).await
}

/// Makes the security group "Launch crew" in the console, with Eric, Emma
/// and Maria as its members.
pub(crate) async fn launch_crew(app: &TestApp, admin: &Browser) {
    let group = [("display_name", "Launch crew"), ("group_type", "security")];
    let made = console_post(app, admin, routes::ADMIN_GROUPS.list.as_str(), &group).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let crew = made.location.unwrap();
    for who in ["eric.employee", "emma.employee", "maria.manager"] {
        let email = format!("{who}@gatehouse.demo");
        let role = [
            ("email", email.as_str()),
            ("role", "member"),
            ("action", "add"),
        ];
        let added = console_post(app, admin, &format!("{crew}/roles"), &role).await;
        assert_eq!(added.status, 303, "{}", added.body);
    }
}

both!(
    a_package_is_assigned_to_the_members_of_a_group,
    |backend| async move {
        use crate::correctness::{assign_directly, demo, open_package};
        let (app, admin, clock) = demo(backend).await;
        launch_crew(&app, &admin).await;
        let (kit, policy) =
            open_package(&app, &clock, "Launch", "Marketing Team", "Launch kit").await;
        let emma = "emma.employee@gatehouse.demo";
        let r = assign_directly(&app, &admin, &kit, &policy, &[emma], &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);

        // The group is found with the picker; a name that is no group is
        // answered beside the field, and nobody is assigned.
        let url = app.url(routes::ADMIN_PACKAGE_ASSIGN.id(&kit));
        let form = admin.get(&url).await;
        let search = [
            ("csrf_token", form.csrf()),
            ("policy", policy.clone()),
            ("pickq:groups", "launch".to_string()),
            ("pick", "group:groups".to_string()),
        ];
        let search = search.each_ref().map(|(k, v)| (*k, v.as_str()));
        let found = admin.post(&url, &search).await;
        assert!(found.has("Launch crew"), "{}", found.body);
        let group = |name: &'static str| [("groups", name)];
        let wrong = assign_directly(&app, &admin, &kit, &policy, &[], &group("Launch")).await;
        assert_eq!(wrong.status, 422, "{}", wrong.body);
        assert!(
            wrong.has(r#"id="groups-error">No group is named Launch."#),
            "{}",
            wrong.body
        );
        let tab = app.url(routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&kit));
        assert!(!admin.get(&tab).await.has("Eric Employee"));

        // The team asks for a cost center: one the members lack is asked for
        // everyone, beside the shared field.
        let launch = catalog_id(&app.store, "Launch").await;
        let team = {
            let mut c = app.store.read().await.unwrap();
            let all = gatehouse::store::catalogs::resources(&mut c, &launch)
                .await
                .unwrap();
            all.into_iter()
                .find(|r| r.display_name == "Marketing Team")
                .unwrap()
        };
        gatehouse::service::catalogs::save_required_attributes(
            &app.store,
            &gatehouse::domain::audit::Actor::system(),
            &launch,
            &gatehouse::domain::ids::CatalogResourceId::from_stored(team.id),
            &[gatehouse::domain::catalog::RequiredAttribute {
                attribute_name: "costCenter".into(),
                answer_format: gatehouse::domain::catalog::AnswerFormat::ShortText,
                question_text: "Cost center".into(),
                localizations: vec![],
                choices: vec![],
                is_editable: true,
                keep_value: false,
            }],
            clock.now(),
        )
        .await
        .unwrap();
        let crew = group("Launch crew");
        let lacking = assign_directly(&app, &admin, &kit, &policy, &[], &crew).await;
        assert_eq!(lacking.status, 422, "{}", lacking.body);
        let asked = "(a member of the groups) needs a value";
        assert!(
            lacking.has(asked) && lacking.has(r#"id="attr_costCenter""#),
            "{}",
            lacking.body
        );

        // Everyone in it is assigned but Emma, who has the package already.
        let crew = [("groups", "Launch crew"), ("attr_costCenter", "CC-7")];
        let done = assign_directly(&app, &admin, &kit, &policy, &[], &crew).await;
        assert_eq!(done.status, 303, "{}", done.body);
        let page = admin.get(&tab).await;
        let left_out = "Left out 1 of the groups&#39; members who already had this package";
        for said in ["Eric Employee", "Maria Manager", left_out] {
            assert!(page.has(said), "{said}: {}", page.body);
        }
        let team = "Group Marketing Team member";
        assert!(
            holdings(&app, "maria.manager@gatehouse.demo")
                .await
                .iter()
                .any(|h| h == team)
        );

        // Once everyone has it, the group assigns nobody, and says so.
        let again = assign_directly(&app, &admin, &kit, &policy, &[], &crew).await;
        assert_eq!(again.status, 422, "{}", again.body);
        assert!(again.has("Everyone in these groups already has this access package"));
    }
);

/// An administrator's direct assignment is not theirs in My Access: they
/// can neither read nor cancel it there. They follow it in the console,
/// which checks their role each time.
#[tokio::test]
async fn a_direct_assignment_is_not_its_assigners_in_my_access() {
    use crate::correctness::{assign_directly, demo, request_of};
    let (app, admin, clock) = demo(Backend::Sqlite).await;
    let employees = package_named(&app, "Marketing resources for employees").await;
    let initial = policy_named(&app, &employees, "Initial policy").await;
    let eric = "eric.employee@gatehouse.demo";
    // Starting in a week, so that it waits, as Eric could cancel it.
    let start = (clock.now() + chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let end = (clock.now() + chrono::Duration::days(37))
        .format("%Y-%m-%d")
        .to_string();
    let later = [("start", start.as_str()), ("end", end.as_str())];
    let r = assign_directly(&app, &admin, &employees, &initial, &[eric], &later).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (rid, state, _) = request_of(&app, &employees, eric).await;
    assert_eq!(state, "scheduled");
    let shown = admin.get(&app.url(routes::REQUEST.id(&rid))).await;
    assert_eq!(shown.status, 404, "{}", shown.body);
    let csrf = admin.get(&app.url(routes::HOME)).await.csrf();
    let cancel = app.url(routes::REQUEST_CANCEL.id(&rid));
    let canceled = admin.post(&cancel, &[("csrf_token", csrf.as_str())]).await;
    assert_eq!(canceled.status, 404, "{}", canceled.body);
    let (_, state, _) = request_of(&app, &employees, eric).await;
    assert_eq!(state, "scheduled", "still waiting for its start");
    let history = admin.get(&app.url(routes::REQUESTS)).await;
    assert!(!history.has(&rid), "{}", history.body);
}
