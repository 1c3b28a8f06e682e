//! Behaviours that lose or leak access when they go wrong: access that ends
//! exactly when nothing grants it any more, deletions, members who stay
//! members, attributes, approvers, races, dates, guests, questions, mail,
//! control characters, sessions and one-time codes. Each runs on SQLite
//! and PostgreSQL; the races run their two sides at the same time.

use chrono::Duration;
use gatehouse::clock::Clock;
use gatehouse::domain::audit::Actor;
use gatehouse::domain::catalog::{CatalogProfile, CatalogState, OriginSystem};
use gatehouse::domain::ids::{AccessPackageId, CatalogId};
use gatehouse::domain::policy::{
    AllowedTargetScope, ApprovalSettings, ApprovalStage, Approver, Expiration, Policy,
    RequestorSettings,
};
use gatehouse::routes;
use gatehouse::service::packages::{Basics, RolePick};

use crate::both;
use crate::helpers::*;

/// Signs an administrator in on a demo tenant (with a clock the test moves).
pub(crate) async fn demo(backend: Backend) -> (TestApp, Browser, Clock) {
    let clock = Clock::manual(chrono::Utc::now());
    let mut opts = Options::new(backend).demo();
    opts.clock = Some(clock.clone());
    let app = spawn(opts).await;
    let admin = Browser::new();
    app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
    (app, admin, clock)
}

pub(crate) fn stage(approvers: Vec<Approver>, fallback: Vec<Approver>) -> ApprovalStage {
    ApprovalStage {
        duration_before_automatic_denial_days: 14,
        is_approver_justification_required: false,
        primary_approvers: approvers,
        fallback_primary_approvers: fallback,
        is_escalation_enabled: false,
        duration_before_escalation_days: 0,
        escalation_approvers: vec![],
        fallback_escalation_approvers: vec![],
    }
}

/// A policy for all members: approval by `stages` (none: no approval),
/// extension allowed, specific periods allowed, access for `expiration`.
pub(crate) fn member_policy(
    name: &str,
    stages: Vec<ApprovalStage>,
    expiration: Expiration,
) -> Policy {
    Policy {
        display_name: name.into(),
        description: None,
        enabled: true,
        allowed_target_scope: AllowedTargetScope::AllMemberUsers,
        specific_allowed_targets: vec![],
        requestor: RequestorSettings {
            enable_targets_to_self_add_access: true,
            enable_targets_to_self_update_access: true,
            enable_targets_to_self_remove_access: true,
            allow_custom_assignment_schedule: true,
            enable_on_behalf_requestors_to_add_access: false,
        },
        approval: ApprovalSettings {
            show_approvers: None,
            is_approval_required_for_add: !stages.is_empty(),
            is_approval_required_for_update: !stages.is_empty(),
            is_requestor_justification_required: false,
            stages,
        },
        questions: vec![],
        expiration,
        assignment_notifications: true,
        automatic: None,
    }
}

/// A published catalog holding the directory objects named, by name.
pub(crate) async fn catalog(
    app: &TestApp,
    clock: &Clock,
    name: &str,
    external: bool,
    objects: &[(OriginSystem, &str)],
) -> CatalogId {
    let actor = Actor::system();
    let id = gatehouse::service::catalogs::create(
        &app.store,
        &actor,
        &CatalogProfile {
            display_name: name.into(),
            description: None,
            state: CatalogState::Published,
            is_externally_visible: external,
        },
        None,
        clock.now(),
    )
    .await
    .unwrap();
    let mut picks = vec![];
    for (origin, object) in objects {
        let mut c = app.store.read().await.unwrap();
        let found = gatehouse::store::catalogs::origin_by_name(&mut c, *origin, object)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no {object}"));
        picks.push((*origin, found));
    }
    if !picks.is_empty() {
        gatehouse::service::catalogs::add_resources(
            &app.store,
            &actor,
            &id,
            None,
            &picks,
            clock.now(),
        )
        .await
        .unwrap();
    }
    id
}

/// A package in `catalog` granting (object name, role id) roles, with one policy.
pub(crate) async fn package_with(
    app: &TestApp,
    clock: &Clock,
    catalog: &CatalogId,
    name: &str,
    roles: &[(&str, &str)],
    policy: &Policy,
) -> AccessPackageId {
    let resources = {
        let mut c = app.store.read().await.unwrap();
        gatehouse::store::catalogs::resources(&mut c, catalog)
            .await
            .unwrap()
    };
    let picks: Vec<RolePick> = roles
        .iter()
        .map(|(object, role)| RolePick {
            resource: resources
                .iter()
                .find(|r| r.display_name == *object)
                .unwrap_or_else(|| panic!("{object} is not in the catalog"))
                .id
                .clone(),
            role: role.to_string(),
        })
        .collect();
    gatehouse::service::packages::create(
        &app.store,
        &Actor::system(),
        &gatehouse::domain::catalog_role::CatalogScope::All,
        catalog,
        &Basics {
            name: name.into(),
            description: None,
        },
        false,
        &picks,
        policy,
        clock.now(),
    )
    .await
    .unwrap()
}

/// A package in a catalog of its own, `catalog` (holding only the group),
/// granting membership of the group to any member for good, without
/// approval, through its policy "Anyone": (package, policy id).
pub(crate) async fn open_package(
    app: &TestApp,
    clock: &Clock,
    catalog_name: &str,
    group: &str,
    name: &str,
) -> (AccessPackageId, String) {
    let objects = [(OriginSystem::AadGroup, group)];
    let cat = catalog(app, clock, catalog_name, false, &objects).await;
    let open = member_policy("Anyone", vec![], Expiration::NoExpiration);
    let package = package_with(app, clock, &cat, name, &[(group, "member")], &open).await;
    let policy = policy_named(app, &package, "Anyone").await;
    (package, policy)
}

/// Assigns the package to people directly, as an administrator would on the
/// New assignment page, bypassing approval unless `approval` is set.
pub(crate) async fn assign_directly(
    app: &TestApp,
    admin: &Browser,
    package: &AccessPackageId,
    policy: &str,
    people: &[&str],
    extra: &[(&str, &str)],
) -> Page {
    let url = app.url(routes::ADMIN_PACKAGE_ASSIGN.id(package));
    let form = admin.get(&format!("{url}?policy={policy}")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let users = people.join("\n");
    let mut fields = vec![
        ("csrf_token", form.csrf()),
        ("policy", policy.to_string()),
        ("users", users),
    ];
    let approval = extra.iter().any(|(k, _)| *k == "through_approval");
    if !approval {
        fields.push(("bypass", "on".into()));
        fields.push(("justification", "Set up by the test".into()));
    }
    for (k, v) in extra {
        if *k != "through_approval" {
            fields.push((k, v.to_string()));
        }
    }
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    admin.post(&url, &borrowed).await
}

/// Removes the person's assignment of the package on its Assignments tab.
pub(crate) async fn remove_assignment(
    app: &TestApp,
    admin: &Browser,
    package: &AccessPackageId,
    email: &str,
) {
    let tab = admin
        .get(&app.url(format!(
            "{}?state=active",
            routes::ADMIN_PACKAGE_ASSIGNMENTS.id(package)
        )))
        .await;
    let action = form_action(&tab, email, routes::ADMIN_PACKAGE_ASSIGNMENT_REMOVE);
    let done = admin
        .post(&app.url(&action), &[("csrf_token", &tab.csrf())])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
}

both!(
    a_group_in_two_catalogs_is_one_resource,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let sales = catalog(
            &app,
            &clock,
            "Sales",
            false,
            &[(OriginSystem::AadGroup, "Marketing Team")],
        )
        .await;
        let tools = package_with(
            &app,
            &clock,
            &sales,
            "Sales tools",
            &[("Marketing Team", "member")],
            &member_policy("Sales staff", vec![], Expiration::AfterDays(30)),
        )
        .await;
        let tools_policy = policy_named(&app, &tools, "Sales staff").await;
        let employees = package_named(&app, "Marketing resources for employees").await;
        let initial = policy_named(&app, &employees, "Initial policy").await;
        for (p, policy) in [(&employees, &initial), (&tools, &tools_policy)] {
            let r = assign_directly(
                &app,
                &admin,
                p,
                policy,
                &["eric.employee@gatehouse.demo"],
                &[],
            )
            .await;
            assert_eq!(r.status, 303, "{}", r.body);
        }
        let eric = "eric.employee@gatehouse.demo";
        assert!(has(
            &held_by(&app, eric).await,
            "Group Marketing Team member"
        ));

        // The employees' package ends; Sales still grants the team.
        remove_assignment(&app, &admin, &employees, eric).await;
        let held = held_by(&app, eric).await;
        assert!(
            has(&held, "Group Marketing Team member"),
            "another catalog's package still grants it: {held:?}"
        );
        assert!(!has(
            &held,
            "Group SG-Marketing-Department-InternalUsers member"
        ));

        // Sales ends too: nothing grants the team any more.
        remove_assignment(&app, &admin, &tools, eric).await;
        assert!(!has(
            &held_by(&app, eric).await,
            "Group Marketing Team member"
        ));

        // A member added by hand stays when a package that also granted it ends.
        let groups = admin
            .get(&app.url(format!("{}?q=Marketing+Team", routes::ADMIN_GROUPS.list)))
            .await;
        let at = groups.body.find(">Marketing Team</a>").unwrap();
        let start = groups.body[..at]
            .rfind(&format!("{}/", routes::ADMIN_GROUPS.list))
            .unwrap();
        let group = groups.body[start..at - 1].to_string();
        let page = admin.get(&app.url(&group)).await;
        let added = admin
            .post(
                &app.url(format!("{group}/roles")),
                &[
                    ("csrf_token", &page.csrf()),
                    ("email", "emma.employee@gatehouse.demo"),
                    ("role", "member"),
                    ("action", "add"),
                ],
            )
            .await;
        assert_eq!(added.status, 303);
        let emma = "emma.employee@gatehouse.demo";
        let r = assign_directly(&app, &admin, &tools, &tools_policy, &[emma], &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        remove_assignment(&app, &admin, &tools, emma).await;
        assert!(
            has(&held_by(&app, emma).await, "Group Marketing Team member"),
            "held outside assignments: never taken back"
        );
    }
);

/// Adds a resource role to a package on its Resource roles tab (`role`: the
/// option's label, "Resource: Role"), or removes one (`role`: its cell).
pub(crate) async fn package_role(
    app: &TestApp,
    admin: &Browser,
    package: &AccessPackageId,
    role: &str,
    add: bool,
) {
    let roles_url = app.url(routes::ADMIN_PACKAGE_ROLES.id(package));
    let page = admin.get(&roles_url).await;
    let done = if add {
        let option = option_value(&page, role);
        admin
            .post(
                &roles_url,
                &[("csrf_token", &page.csrf()), ("resource", &option)],
            )
            .await
    } else {
        let remove = form_action(
            &page,
            &format!("<td>{role}</td>"),
            routes::ADMIN_PACKAGE_ROLE_REMOVE,
        );
        admin
            .post(&app.url(&remove), &[("csrf_token", &page.csrf())])
            .await
    };
    assert_eq!(done.status, 303, "{}", done.body);
}

both!(
    roles_added_to_or_removed_from_a_package_reach_its_holders,
    |backend| async move {
        let (app, admin, _clock) = demo(backend).await;
        let employees = package_named(&app, "Marketing resources for employees").await;
        let initial = policy_named(&app, &employees, "Initial policy").await;
        let (guests, guest_policy) = guests_package(&app).await;
        let eric = "eric.employee@gatehouse.demo";
        let r = assign_directly(&app, &admin, &employees, &initial, &[eric], &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let attrs = [
            ("q1", "Autumn fair"),
            ("q2", "Maria Manager"),
            ("q3", "short"),
            ("attr_givenName", "Eric"),
            ("attr_surname", "Employee"),
            ("attr_jobTitle", "Planner"),
        ];
        let r = assign_directly(&app, &admin, &guests, &guest_policy, &[eric], &attrs).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(!has(&held_by(&app, eric).await, "Site Marketing owner"));

        // A role added to the employees' package reaches Eric at once.
        package_role(
            &app,
            &admin,
            &employees,
            "Marketing: SharePoint Owner",
            true,
        )
        .await;
        assert!(has(&held_by(&app, eric).await, "Site Marketing owner"));

        // Removed again: taken back, since nothing else grants it.
        package_role(&app, &admin, &employees, "SharePoint Owner", false).await;
        assert!(!has(&held_by(&app, eric).await, "Site Marketing owner"));

        // The team is granted by both packages: removing it from one keeps it.
        package_role(&app, &admin, &employees, "Marketing Team", false).await;
        let held = held_by(&app, eric).await;
        assert!(has(&held, "Group Marketing Team member"), "{held:?}");
        // Once the guests' package ends too, nothing grants the team.
        remove_assignment(&app, &admin, &guests, eric).await;
        let held = held_by(&app, eric).await;
        assert!(!has(&held, "Group Marketing Team member"), "{held:?}");
        assert!(
            has(&held, "Group SG-Marketing-Department-InternalUsers member"),
            "what the employees' package still grants stays: {held:?}"
        );
    }
);

both!(
    default_access_is_granted_and_taken_back,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let page = admin.get(&app.url(routes::ADMIN_APPLICATIONS.new)).await;
        let created = admin
            .post(
                &app.url(routes::ADMIN_APPLICATIONS.list),
                &[
                    ("csrf_token", &page.csrf()),
                    ("display_name", "Wiki"),
                    ("roles", ""),
                ],
            )
            .await;
        assert_eq!(created.status, 303, "{}", created.body);
        let wiki_page = created.location.unwrap();
        let tools = catalog(
            &app,
            &clock,
            "Knowledge",
            false,
            &[(OriginSystem::AadApplication, "Wiki")],
        )
        .await;
        let wiki = package_with(
            &app,
            &clock,
            &tools,
            "Wiki readers",
            &[("Wiki", "defaultAccess")],
            &member_policy("Everyone", vec![], Expiration::NoExpiration),
        )
        .await;
        let policy = policy_named(&app, &wiki, "Everyone").await;
        let eric = "eric.employee@gatehouse.demo";
        let r = assign_directly(&app, &admin, &wiki, &policy, &[eric], &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(has(
            &held_by(&app, eric).await,
            "Application Wiki Default Access"
        ));
        assert!(
            admin.get(&app.url(&wiki_page)).await.has("Eric Employee"),
            "the application's page lists the holder"
        );
        remove_assignment(&app, &admin, &wiki, eric).await;
        assert!(!has(
            &held_by(&app, eric).await,
            "Application Wiki Default Access"
        ));
    }
);

/// Sets the organization's own mail domains on Admin › Settings.
async fn own_domains(app: &TestApp, admin: &Browser, domains: &str) {
    let settings = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    let saved = admin
        .post(
            &app.url(routes::ADMIN_SETTINGS_ORGANIZATION),
            &[
                ("csrf_token", &settings.csrf()),
                ("domains", domains),
                ("collaboration", "anyDomain"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
}

/// Requests a package on its My Access page with the first policy offered.
pub(crate) async fn request(
    app: &TestApp,
    who: &Browser,
    package: &AccessPackageId,
    extra: &[(&str, &str)],
) -> Page {
    let url = app.url(routes::PACKAGE.id(package));
    let page = who.get(&url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let policy = page.input("policy").unwrap_or_else(|| {
        let at = page
            .body
            .find("name=\"policy\" value=\"")
            .expect("a policy");
        let start = at + "name=\"policy\" value=\"".len();
        page.body[start..start + 36].to_string()
    });
    let mut fields = vec![("csrf_token", page.csrf()), ("policy", policy)];
    for (k, v) in extra {
        fields.push((k, v.to_string()));
    }
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    who.post(&url, &borrowed).await
}

pub(crate) async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let b = Browser::new();
    app.demo_sign_in(&b, email).await;
    b
}

async fn organizations(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM connected_organizations").await
}

both!(
    members_stay_members_whatever_their_address,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        // Before the organization lists its own domains, a partner's entry
        // claims the members' domain.
        own_domains(&app, &admin, "").await;
        let input = gatehouse::domain::connected_org::ConnectedOrgInput {
            display_name: "Lookalike".into(),
            description: String::new(),
            state: "configured".into(),
            domains: "gatehouse.demo".into(),
            ..Default::default()
        };
        gatehouse::service::connected_orgs::save(
            &app.store,
            &Actor::system(),
            None,
            gatehouse::domain::connected_org::ConnectedOrgProfile::parse(&input),
            gatehouse::service::connected_orgs::SponsorInput {
                internal: "",
                external: "",
            },
            clock.now(),
        )
        .await
        .unwrap();
        let internal = catalog(
            &app,
            &clock,
            "Intranet",
            false,
            &[(
                OriginSystem::AadGroup,
                "SG-Marketing-Department-InternalUsers",
            )],
        )
        .await;
        let intranet = package_with(
            &app,
            &clock,
            &internal,
            "Intranet access",
            &[("SG-Marketing-Department-InternalUsers", "member")],
            &member_policy("Members", vec![], Expiration::NoExpiration),
        )
        .await;
        // Eric is a member: he sees and gets the internal-only package.
        let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
        let home = eric
            .get(&app.url(format!("{}?q=Intranet", routes::HOME)))
            .await;
        assert!(home.has("Intranet access"), "{}", home.body);
        let asked = request(&app, &eric, &intranet, &[]).await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        assert!(has(
            &held_by(&app, "eric.employee@gatehouse.demo").await,
            "Group SG-Marketing-Department-InternalUsers member"
        ));

        // With the domain listed as the organization's own, nobody from
        // outside gets a code for it, and no organization is proposed for it.
        let before = organizations(&app).await;
        own_domains(&app, &admin, "gatehouse.demo").await;
        let stranger = Browser::new();
        let login = stranger.get(&app.url(routes::LOGIN)).await;
        let refused = stranger
            .post(
                &app.url(routes::CODE),
                &[
                    ("csrf_token", &login.csrf()),
                    ("email", "newcomer@gatehouse.demo"),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(refused.has("belong to this organization"));
        // The demo's "new guest" entry takes any address: a request under
        // "all users" still proposes nothing for an own domain.
        let login = stranger.get(&app.url(routes::LOGIN)).await;
        stranger
            .post(
                &app.url(routes::DEMO_GUEST),
                &[
                    ("csrf_token", &login.csrf()),
                    ("email", "newcomer@gatehouse.demo"),
                    ("next", "/"),
                ],
            )
            .await;
        let guests = package_named(&app, "Marketing resources for guests").await;
        let page = stranger.get(&app.url(routes::PACKAGE.id(&guests))).await;
        assert!(page.has("belong to this organization"), "{}", page.body);
        let policy = policy_named(
            &app,
            &guests,
            "Policy for regular guest and new guest users",
        )
        .await;
        let asked = stranger
            .post(
                &app.url(routes::PACKAGE.id(&guests)),
                &[
                    ("csrf_token", &page.csrf()),
                    ("policy", &policy),
                    ("q1", "Fair"),
                    ("q2", "Maria"),
                    ("q3", "short"),
                ],
            )
            .await;
        assert_ne!(asked.status, 303, "{}", asked.body);
        assert!(asked.has("belong to this organization"));
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM assignment_requests WHERE target_email = 'newcomer@gatehouse.demo'").await,
            0
        );
        assert_eq!(organizations(&app).await, before, "nothing was proposed");
        // And a partner cannot be given the organization's own domain.
        let form = admin.get(&app.url(routes::ADMIN_ORGS.new)).await;
        let claimed = admin
            .post(
                &app.url(routes::ADMIN_ORGS.list),
                &[
                    ("csrf_token", &form.csrf()),
                    ("display_name", "Another lookalike"),
                    ("state", "configured"),
                    ("domains", "gatehouse.demo"),
                ],
            )
            .await;
        assert_eq!(claimed.status, 422);
        assert!(claimed.has("own domains (Settings)"), "{}", claimed.body);
    }
);

both!(
    attribute_values_stay_while_required_and_each_person_has_their_own,
    |backend| async move {
        use gatehouse::domain::catalog::{AnswerFormat, RequiredAttribute};
        let (app, admin, clock) = demo(backend).await;
        // Both the team and Slack require a cost center, not kept on removal;
        // Slack's is not editable once set.
        let marketing = catalog_id(&app.store, "Marketing").await;
        let resources = {
            let mut c = app.store.read().await.unwrap();
            gatehouse::store::catalogs::resources(&mut c, &marketing)
                .await
                .unwrap()
        };
        for (name, editable) in [("Marketing Team", true), ("Slack", false)] {
            let r = resources.iter().find(|r| r.display_name == name).unwrap();
            gatehouse::service::catalogs::save_required_attributes(
                &app.store,
                &Actor::system(),
                &marketing,
                &gatehouse::domain::ids::CatalogResourceId::from_stored(r.id.clone()),
                &[RequiredAttribute {
                    attribute_name: "costCenter".into(),
                    answer_format: AnswerFormat::ShortText,
                    question_text: "Cost center".into(),
                    localizations: vec![],
                    choices: vec![],
                    is_editable: editable,
                    keep_value: false,
                }],
                clock.now(),
            )
            .await
            .unwrap();
        }
        let employees = package_named(&app, "Marketing resources for employees").await;
        let initial = policy_named(&app, &employees, "Initial policy").await;
        let slack = package_named(&app, "Slack administration").await;
        let slack_policy = policy_named(&app, &slack, "Initial policy").await;
        let eric = "eric.employee@gatehouse.demo";
        let emma = "emma.employee@gatehouse.demo";
        let r = assign_directly(
            &app,
            &admin,
            &employees,
            &initial,
            &[eric],
            &[("attr_costCenter", "100")],
        )
        .await;
        assert_eq!(r.status, 303, "{}", r.body);

        // Slack for Eric and Emma at once: each person's own value, and Eric's
        // value, not editable, stays whatever is typed for everyone.
        let first = assign_directly(&app, &admin, &slack, &slack_policy, &[eric, emma], &[]).await;
        assert_eq!(first.status, 422, "Emma has no cost center yet");
        assert!(
            first.has("Emma Employee: This attribute is required."),
            "{}",
            first.body
        );
        assert!(first.has("100 <small class=\"muted\">(not editable)</small>"));
        let emma_id = user_named(&app, emma).await.id;
        let own = format!("attr_costCenter.{emma_id}");
        let done = assign_directly(
            &app,
            &admin,
            &slack,
            &slack_policy,
            &[eric, emma],
            &[("attr_costCenter", "999"), (&own, "200")],
        )
        .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let value = |email: &'static str| {
            let app = &app;
            async move {
                user_named(app, email)
                    .await
                    .custom_attributes
                    .get("costCenter")
                    .cloned()
            }
        };
        assert_eq!(value(eric).await.as_deref(), Some("100"));
        assert_eq!(value(emma).await.as_deref(), Some("200"));

        // The employees' package ends: Slack still requires the value, so it stays.
        remove_assignment(&app, &admin, &employees, eric).await;
        assert_eq!(value(eric).await.as_deref(), Some("100"));
        // Slack ends too: nothing requires it any more.
        remove_assignment(&app, &admin, &slack, eric).await;
        assert_eq!(value(eric).await, None);
    }
);

/// The ids of the requests in the person's approvals inbox.
async fn inbox(app: &TestApp, who: &Browser) -> String {
    who.get(&app.url(routes::APPROVALS)).await.body
}

/// The person's newest request for the package, as (id, state, outcome reason).
pub(crate) async fn request_of(
    app: &TestApp,
    package: &AccessPackageId,
    email: &str,
) -> (String, String, Option<String>) {
    let mut c = app.store.read().await.unwrap();
    sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT id, state, outcome_reason FROM assignment_requests WHERE access_package_id = $1 \
         AND target_email = $2 ORDER BY created_at DESC, id LIMIT 1",
    )
    .bind(package.as_str())
    .bind(email)
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

/// Approves (or denies) a request from the approval page, as the approver would.
pub(crate) async fn decide(
    app: &TestApp,
    approver: &Browser,
    request: &str,
    decision: &str,
) -> Page {
    let url = app.url(routes::APPROVAL.id(request));
    let page = approver.get(&url).await;
    approver
        .post(
            &url,
            &[
                ("csrf_token", &page.csrf()),
                ("decision", decision),
                ("justification", "Checked"),
            ],
        )
        .await
}

both!(
    approvers_are_never_the_requestor_and_no_stage_is_left_without_one,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let ada = user_named(&app, "ada.admin@gatehouse.demo").await.id;
        let maria_id = user_named(&app, "maria.manager@gatehouse.demo").await.id;
        let eric_id = user_named(&app, "eric.employee@gatehouse.demo").await.id;
        let sites = catalog(
            &app,
            &clock,
            "Sites",
            false,
            &[(OriginSystem::SharePointOnline, "Marketing")],
        )
        .await;
        let editors = package_with(
            &app,
            &clock,
            &sites,
            "Site editors",
            &[("Marketing", "owner")],
            &member_policy(
                "Ada approves",
                vec![stage(
                    vec![Approver::SingleUser(ada.clone())],
                    vec![Approver::SingleUser(maria_id.clone())],
                )],
                Expiration::AfterDays(30),
            ),
        )
        .await;
        let policy = policy_named(&app, &editors, "Ada approves").await;
        let maria = signed_in(&app, "maria.manager@gatehouse.demo").await;

        // Ada assigns Eric through approval: she is the stage's approver, but
        // never of her own assignment; Maria, the fallback, decides.
        let r = assign_directly(
            &app,
            &admin,
            &editors,
            &policy,
            &["eric.employee@gatehouse.demo"],
            &[("through_approval", "1")],
        )
        .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let (for_eric, state, _) = request_of(&app, &editors, "eric.employee@gatehouse.demo").await;
        assert_eq!(state, "pendingApproval");
        assert!(inbox(&app, &maria).await.contains(&for_eric));
        assert!(!inbox(&app, &admin).await.contains(&for_eric));
        assert_eq!(decide(&app, &maria, &for_eric, "approve").await.status, 303);
        assert!(has(
            &held_by(&app, "eric.employee@gatehouse.demo").await,
            "Site Marketing owner"
        ));

        // Ada asks for herself: Maria decides.
        let asked = request(&app, &admin, &editors, &[]).await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let (for_ada, state, _) = request_of(&app, &editors, "ada.admin@gatehouse.demo").await;
        assert_eq!(state, "pendingApproval");
        assert!(inbox(&app, &maria).await.contains(&for_ada));

        // A policy whose only approver may be missing is refused when saved.
        let form = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(&editors)))
            .await;
        let refused = admin
            .post(
                &app.url(routes::ADMIN_PACKAGE_POLICIES.id(&editors)),
                &[
                    ("csrf_token", &form.csrf()),
                    ("policy_name", "Managers"),
                    ("scope", "allMemberUsers"),
                    ("enabled", "on"),
                    ("enable_requests", "on"),
                    ("approval_required", "on"),
                    ("stage_count", "1"),
                    ("s1_manager", "on"),
                    ("s1_days", "14"),
                    ("expiration_type", "never"),
                    ("q_count", "0"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(refused.has("add fallback approvers"), "{}", refused.body);

        // Two stages, the second only Eric's: when Eric asks, stage 1's
        // approval stays recorded and the request ends, saying why.
        let two = package_with(
            &app,
            &clock,
            &sites,
            "Site visitors",
            &[("Marketing", "visitor")],
            &member_policy(
                "Two stages",
                vec![
                    stage(vec![Approver::SingleUser(maria_id.clone())], vec![]),
                    stage(vec![Approver::SingleUser(eric_id.clone())], vec![]),
                ],
                Expiration::AfterDays(30),
            ),
        )
        .await;
        let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
        assert_eq!(request(&app, &eric, &two, &[]).await.status, 303);
        let (id, _, _) = request_of(&app, &two, "eric.employee@gatehouse.demo").await;
        let decided = decide(&app, &maria, &id, "approve").await;
        assert_eq!(decided.status, 303, "{}", decided.body);
        let (_, state, reason) = request_of(&app, &two, "eric.employee@gatehouse.demo").await;
        assert_eq!(state, "denied");
        assert!(
            reason
                .unwrap_or_default()
                .contains("no approver could be found for stage 2")
        );
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM request_decisions WHERE request_id = '{id}' AND review_result = 'Approved'")).await,
            1,
            "Maria's decision is kept"
        );
        let mine = eric.get(&app.url(routes::REQUESTS)).await;
        assert!(
            mine.has("no approver could be found for stage 2"),
            "{}",
            mine.body
        );
        assert!(!has(
            &held_by(&app, "eric.employee@gatehouse.demo").await,
            "Site Marketing visitor"
        ));
    }
);

both!(
    simultaneous_submissions_make_one_request,
    |backend| async move {
        let (app, _admin, clock) = demo(backend).await;
        let sites = catalog(
            &app,
            &clock,
            "Sites",
            false,
            &[(OriginSystem::SharePointOnline, "Marketing")],
        )
        .await;
        let visitors = package_with(
            &app,
            &clock,
            &sites,
            "Site visitors",
            &[("Marketing", "visitor")],
            &member_policy("Anyone", vec![], Expiration::AfterDays(30)),
        )
        .await;
        let policy = policy_named(&app, &visitors, "Anyone").await;
        let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
        let url = app.url(routes::PACKAGE.id(&visitors));
        let page = eric.get(&url).await;
        let csrf = page.csrf();
        let form = [("csrf_token", csrf.as_str()), ("policy", policy.as_str())];
        let sent = futures_util::future::join_all((0..8).map(|_| eric.post(&url, &form))).await;
        assert!(sent.iter().all(|p| p.status != 500), "no errors");
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM assignment_requests WHERE access_package_id = '{visitors}'")).await,
            1
        );
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM access_package_assignments WHERE access_package_id = '{visitors}'")).await,
            1
        );
    }
);

both!(
    incompatible_requests_approved_together_are_not_both_delivered,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let maria_id = user_named(&app, "maria.manager@gatehouse.demo").await.id;
        let sites = catalog(
            &app,
            &clock,
            "Sites",
            false,
            &[(OriginSystem::SharePointOnline, "Marketing")],
        )
        .await;
        let approved = member_policy(
            "Maria approves",
            vec![stage(vec![Approver::SingleUser(maria_id)], vec![])],
            Expiration::AfterDays(30),
        );
        let owners = package_with(
            &app,
            &clock,
            &sites,
            "Site owners",
            &[("Marketing", "owner")],
            &approved,
        )
        .await;
        let auditors = package_with(
            &app,
            &clock,
            &sites,
            "Site auditors",
            &[("Marketing", "visitor")],
            &approved,
        )
        .await;
        // Separation of duties, both ways.
        for (this, other, name) in [
            (&owners, "Site auditors", "Site owners"),
            (&auditors, "Site owners", "Site auditors"),
        ] {
            let url = app.url(routes::ADMIN_PACKAGE_SETTINGS.id(this));
            let page = admin.get(&url).await;
            let saved = admin
                .post(
                    &url,
                    &[
                        ("csrf_token", &page.csrf()),
                        ("name", name),
                        ("description", ""),
                        ("incompatible_packages", other),
                    ],
                )
                .await;
            assert_eq!(saved.status, 303, "{}", saved.body);
        }
        let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
        assert_eq!(request(&app, &eric, &owners, &[]).await.status, 303);
        assert_eq!(request(&app, &eric, &auditors, &[]).await.status, 303);
        let (a, _, _) = request_of(&app, &owners, "eric.employee@gatehouse.demo").await;
        let (b, _, _) = request_of(&app, &auditors, "eric.employee@gatehouse.demo").await;
        let maria = signed_in(&app, "maria.manager@gatehouse.demo").await;
        let (pa, pb) = (
            maria.get(&app.url(routes::APPROVAL.id(&a))).await,
            maria.get(&app.url(routes::APPROVAL.id(&b))).await,
        );
        let form = |p: &Page| {
            vec![
                ("csrf_token".to_string(), p.csrf()),
                ("decision".to_string(), "approve".to_string()),
                ("justification".to_string(), "ok".to_string()),
            ]
        };
        let (fa, fb) = (form(&pa), form(&pb));
        fn borrow(f: &[(String, String)]) -> Vec<(&str, &str)> {
            f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
        }
        let (ua, ub) = (
            app.url(routes::APPROVAL.id(&a)),
            app.url(routes::APPROVAL.id(&b)),
        );
        let (ba, bb) = (borrow(&fa), borrow(&fb));
        let (ra, rb) = tokio::join!(maria.post(&ua, &ba), maria.post(&ub, &bb));
        assert_eq!((ra.status, rb.status), (303, 303));
        let states = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM assignment_requests WHERE id IN ('{a}', '{b}') AND state = 'delivered'"
            ),
        )
        .await;
        let denied = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM assignment_requests WHERE id IN ('{a}', '{b}') AND state = 'denied' \
                 AND outcome_reason LIKE '%incompatible%'"
            ),
        )
        .await;
        assert_eq!(
            (states, denied),
            (1, 1),
            "one delivered, the other denied with the reason"
        );
        let active = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM access_package_assignments WHERE access_package_id IN ('{owners}', '{auditors}') \
                 AND state = 'delivered'"
            ),
        )
        .await;
        assert_eq!(active, 1);
    }
);

/// A catalog "Sites" with the Marketing site, and a package granting its
/// owner role under `policy`.
async fn site_package(
    app: &TestApp,
    clock: &Clock,
    name: &str,
    policy: &Policy,
) -> AccessPackageId {
    let sites = catalog(
        app,
        clock,
        &format!("Sites for {name}"),
        false,
        &[(OriginSystem::SharePointOnline, "Marketing")],
    )
    .await;
    package_with(app, clock, &sites, name, &[("Marketing", "owner")], policy).await
}

pub(crate) fn maria_approves(
    maria: &gatehouse::domain::ids::UserId,
    expiration: Expiration,
) -> Policy {
    member_policy(
        "Maria approves",
        vec![stage(vec![Approver::SingleUser(maria.clone())], vec![])],
        expiration,
    )
}

both!(ended_access_is_never_brought_back, |backend| async move {
    let (app, _admin, clock) = demo(backend).await;
    let maria_id = user_named(&app, "maria.manager@gatehouse.demo").await.id;
    let editors = site_package(
        &app,
        &clock,
        "Site editors",
        &maria_approves(&maria_id, Expiration::AfterDays(20)),
    )
    .await;
    let eric_mail = "eric.employee@gatehouse.demo";
    let eric = signed_in(&app, eric_mail).await;
    let maria = signed_in(&app, "maria.manager@gatehouse.demo").await;
    assert_eq!(request(&app, &eric, &editors, &[]).await.status, 303);
    let (first, _, _) = request_of(&app, &editors, eric_mail).await;
    assert_eq!(decide(&app, &maria, &first, "approve").await.status, 303);
    assert!(has(&held_by(&app, eric_mail).await, "Site Marketing owner"));

    // Eric asks to extend in his last days; the access expires before
    // Maria decides: approving it then gives nothing back.
    // (Each jump of the clock leaves sessions idle: people sign in again.)
    clock.advance(chrono::Duration::days(10));
    let eric = signed_in(&app, eric_mail).await;
    let page = eric.get(&app.url(routes::PACKAGE.id(&editors))).await;
    let asked = eric
        .post(
            &app.url(routes::PACKAGE_EXTEND.id(&editors)),
            &[("csrf_token", &page.csrf())],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let (extension, state, _) = request_of(&app, &editors, eric_mail).await;
    assert_ne!(extension, first);
    assert_eq!(state, "pendingApproval");
    clock.advance(chrono::Duration::days(11));
    assert_eq!(run_jobs(&app, &clock).await.expired, 1);
    let maria = signed_in(&app, "maria.manager@gatehouse.demo").await;
    assert_eq!(
        decide(&app, &maria, &extension, "approve").await.status,
        303
    );
    let (_, state, reason) = request_of(&app, &editors, eric_mail).await;
    assert_eq!(state, "denied");
    assert!(
        reason
            .unwrap_or_default()
            .contains("ended before the extension was approved")
    );
    assert!(!has(
        &held_by(&app, eric_mail).await,
        "Site Marketing owner"
    ));
    assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM access_package_assignments WHERE access_package_id = '{editors}' AND state <> 'expired'")).await,
            0
        );

    // An administrator reprocesses Emma's assignment at the moment it
    // expires: whichever runs first, it ends expired, holding nothing.
    let emma_mail = "emma.employee@gatehouse.demo";
    let admin = signed_in(&app, "ada.admin@gatehouse.demo").await;
    let policy = policy_named(&app, &editors, "Maria approves").await;
    let r = assign_directly(&app, &admin, &editors, &policy, &[emma_mail], &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let tab = admin
        .get(&app.url(format!(
            "{}?state=active",
            routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&editors)
        )))
        .await;
    let reprocess = form_action(&tab, emma_mail, routes::ADMIN_PACKAGE_ASSIGNMENT_REPROCESS);
    clock.advance(chrono::Duration::days(21));
    let admin = signed_in(&app, "ada.admin@gatehouse.demo").await;
    let csrf = admin.get(&app.url(routes::ADMIN_USERS.list)).await.csrf();
    let (url, form) = (app.url(&reprocess), [("csrf_token", csrf.as_str())]);
    let (jobs, again) = tokio::join!(run_jobs(&app, &clock), admin.post(&url, &form));
    assert_eq!(again.status, 303);
    // A row the reprocess held at that moment is skipped, not waited for, and
    // taken by the next run.
    let later_run = run_jobs(&app, &clock).await;
    assert_eq!(jobs.expired + later_run.expired, 1);
    assert!(!has(
        &held_by(&app, emma_mail).await,
        "Site Marketing owner"
    ));
    assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM access_package_assignments WHERE access_package_id = '{editors}' AND state <> 'expired'")).await,
            0,
            "nothing was resurrected"
        );
    // And reprocessing it now is refused, saying why.
    let later = admin
        .post(&app.url(&reprocess), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(later.status, 303);
    let shown = admin
        .get(&app.url(later.location.as_deref().unwrap()))
        .await;
    assert!(
        shown.has("ended meanwhile") || shown.has("Only an active assignment"),
        "{}",
        shown.body
    );
});

both!(
    periods_are_the_requestors_days_and_the_policy_end_is_kept,
    |backend| async move {
        let (app, _admin, clock) = demo(backend).await;
        let maria_id = user_named(&app, "maria.manager@gatehouse.demo").await.id;
        let eric_mail = "eric.employee@gatehouse.demo";
        // Work at 23:30 UTC: already tomorrow in Auckland.
        let now = clock.now();
        let late = now.date_naive().and_hms_opt(23, 30, 0).unwrap().and_utc();
        let late = if late > now {
            late
        } else {
            late + chrono::Duration::days(1)
        };
        clock.advance(late - now);
        let eric = signed_in(&app, eric_mail).await;
        let day = |d: i64| {
            (clock.now() + chrono::Duration::days(d))
                .format("%Y-%m-%d")
                .to_string()
        };

        // A period asked in the requestor's time zone: "tomorrow" in UTC is
        // today in Auckland, so access starts now.
        let open = site_package(
            &app,
            &clock,
            "Site helpers",
            &member_policy("Anyone", vec![], Expiration::AfterDays(30)),
        )
        .await;
        let asked = request(
            &app,
            &eric,
            &open,
            &[
                ("start", &day(1)),
                ("end", &day(3)),
                ("tz", "Pacific/Auckland"),
            ],
        )
        .await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let (_, state, _) = request_of(&app, &open, eric_mail).await;
        assert_eq!(state, "delivered", "today in Auckland starts now");

        // The policy's fixed last day as the end of the period is accepted.
        let fixed = clock.now() + chrono::Duration::days(10);
        let until = site_package(
            &app,
            &clock,
            "Site campaign",
            &member_policy("Campaign", vec![], Expiration::AfterDateTime(fixed)),
        )
        .await;
        let emma = signed_in(&app, "emma.employee@gatehouse.demo").await;
        let asked = request(
            &app,
            &emma,
            &until,
            &[
                ("start", &day(2)),
                ("end", &fixed.format("%Y-%m-%d").to_string()),
                ("tz", "UTC"),
            ],
        )
        .await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let (_, state, _) = request_of(&app, &until, "emma.employee@gatehouse.demo").await;
        assert_eq!(state, "scheduled");

        // Hours: a policy of 8 hours takes a time of day.
        let shift = site_package(
            &app,
            &clock,
            "Site shift",
            &member_policy("Shift", vec![], Expiration::AfterHours(8)),
        )
        .await;
        let form = eric.get(&app.url(routes::PACKAGE.id(&shift))).await;
        assert!(form.has("type=\"datetime-local\""));
        let at = |h: i64| {
            (clock.now() + chrono::Duration::hours(h))
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        };
        let too_long = request(
            &app,
            &eric,
            &shift,
            &[("start", &at(2)), ("end", &at(12)), ("tz", "UTC")],
        )
        .await;
        assert_eq!(too_long.status, 422);
        assert!(too_long.has("at most 8 hours"));
        let asked = request(
            &app,
            &eric,
            &shift,
            &[("start", &at(2)), ("end", &at(6)), ("tz", "UTC")],
        )
        .await;
        assert_eq!(asked.status, 303, "{}", asked.body);

        // A policy whose last day has passed offers nothing, and says why.
        clock.advance(chrono::Duration::days(11));
        let eric = signed_in(&app, eric_mail).await;
        let page = eric.get(&app.url(routes::PACKAGE.id(&until))).await;
        assert!(page.has("could be requested until"), "{}", page.body);

        // Approved after the period asked for had ended: denied, saying why.
        let later = site_package(
            &app,
            &clock,
            "Site review",
            &maria_approves(&maria_id, Expiration::AfterDays(30)),
        )
        .await;
        let asked = request(
            &app,
            &eric,
            &later,
            &[("start", &day(0)), ("end", &day(1)), ("tz", "UTC")],
        )
        .await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let (id, _, _) = request_of(&app, &later, eric_mail).await;
        clock.advance(chrono::Duration::days(3));
        let maria = signed_in(&app, "maria.manager@gatehouse.demo").await;
        assert_eq!(decide(&app, &maria, &id, "approve").await.status, 303);
        let (_, state, reason) = request_of(&app, &later, eric_mail).await;
        assert_eq!(state, "denied");
        assert!(
            reason
                .unwrap_or_default()
                .contains("after the end of the period")
        );
        // Eric, in Paris, reads the period's end in his own zone.
        let eric = signed_in(&app, eric_mail).await;
        let profile = eric.get(&app.url(routes::PROFILE)).await;
        let csrf = profile.csrf();
        let paris = [("csrf_token", csrf.as_str()), ("time_zone", "Europe/Paris")];
        let chose = eric.post(&app.url(routes::PROFILE), &paris).await;
        assert_eq!(chose.status, 303, "{}", chose.body);
        for page in [routes::REQUEST.id(&id), routes::REQUESTS.to_string()] {
            let page = eric.get(&app.url(page)).await;
            let at = page.body.find("the period it asked for (<time datetime=");
            let reason = &page.body[at.expect(&page.body)..];
            let moment = &reason[..reason.find("</time>)").unwrap()];
            assert!(moment.ends_with(" CET"), "{moment}");
        }
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM access_package_assignments WHERE access_package_id = '{later}'")).await,
            0
        );
    }
);

both!(
    a_guest_made_for_a_denied_request_is_blocked_then_deleted,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let (guests, policy) = guests_package(&app).await;
        let r = assign_directly(
            &app,
            &admin,
            &guests,
            &policy,
            &[],
            &[
                ("through_approval", "1"),
                ("guest_email", "nina@fabrikam.example"),
                ("guest_name", "Nina Newguest"),
                ("q1", "Fair"),
                ("q2", "Maria"),
                ("q3", "short"),
                ("attr_givenName", "Nina"),
                ("attr_surname", "Newguest"),
                ("attr_jobTitle", "Designer"),
            ],
        )
        .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let nina = user_named(&app, "nina@fabrikam.example").await;
        assert!(nina.governed);
        let (id, _, _) = request_of(&app, &guests, "nina@fabrikam.example").await;
        let maria = signed_in(&app, "maria.manager@gatehouse.demo").await;
        assert_eq!(decide(&app, &maria, &id, "deny").await.status, 303);
        assert_eq!(run_jobs(&app, &clock).await.blocked, 1);
        assert!(user_named(&app, "nina@fabrikam.example").await.is_blocked());
        clock.advance(chrono::Duration::days(31));
        assert_eq!(run_jobs(&app, &clock).await.deleted, 1);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM users WHERE email_lower = 'nina@fabrikam.example'"
            )
            .await,
            0
        );
    }
);

both!(
    the_home_provider_must_vouch_for_the_address,
    |backend| async move {
        let app = spawn(Options::new(backend).oidc()).await;
        let b = Browser::new();
        let callback = app.oidc_until_callback(&b, "unverified-uma", "/").await;
        let refused = b.get(&callback).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.has("did not say whether the email address"));
        assert_eq!(app.user_count().await, 0);
        // A name with a line break is dropped, not trusted.
        let b = Browser::new();
        let callback = app.oidc_until_callback(&b, "linebreak-lou", "/").await;
        assert_eq!(b.get(&callback).await.status, 303);
        let lou = user_named(&app, "linebreak-lou@example.test").await;
        assert!(!lou.display_name.contains('\n'), "{:?}", lou.display_name);
        // So is one longer than any name (3,000 bytes), which could not be
        // kept; a subject longer than OpenID Connect allows is refused.
        let b = Browser::new();
        let callback = app.oidc_until_callback(&b, "longname-lea", "/").await;
        assert_eq!(b.get(&callback).await.status, 303);
        let lea = user_named(&app, "longname-lea@example.test").await;
        assert!(!lea.display_name.contains('名'), "{:?}", lea.display_name);
        let b = Browser::new();
        let long = format!("longsubject-{}", "x".repeat(300));
        let callback = app.oidc_until_callback(&b, &long, "/").await;
        let refused = b.get(&callback).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(
            refused.has("longer than 255 characters"),
            "{}",
            refused.body
        );
        assert_eq!(app.user_count().await, 2);

        // A provider that never sends the claim can be accepted, on purpose.
        let lenient = spawn(
            Options::new(backend)
                .oidc()
                .setting("GATEHOUSE_OIDC_REQUIRE_VERIFIED_EMAIL", "false"),
        )
        .await;
        let b = Browser::new();
        let callback = lenient.oidc_until_callback(&b, "unverified-uma", "/").await;
        assert_eq!(b.get(&callback).await.status, 303);
        assert_eq!(lenient.user_count().await, 1);
    }
);

both!(
    questions_are_localized_checked_and_kept_when_not_editable,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let admins_only = Policy {
            allowed_target_scope: AllowedTargetScope::NotSpecified,
            requestor: RequestorSettings::default(),
            ..member_policy("Administrators", vec![], Expiration::NoExpiration)
        };
        let rota = site_package(&app, &clock, "Site rota", &admins_only).await;
        let form = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(&rota)))
            .await;
        let fields = |add: Option<&'static str>| {
            let mut f = vec![
                ("policy_name", "Team members"),
                ("scope", "allMemberUsers"),
                ("enabled", "on"),
                ("enable_requests", "on"),
                ("allow_extension", "on"),
                ("expiration_type", "days"),
                ("expiration_days", "10"),
                ("q_count", "2"),
                ("q0_text", "Which team?"),
                ("q0_kind", "choice"),
                ("q0_choice0", "mkt: Marketing | fr: Le marketing"),
                ("q0_choice1", "sales: Sales | fr: Les ventes"),
                ("q0_lang0", "fr-FR"),
                ("q0_loc0", "Quelle équipe ?"),
                ("q0_required", "on"),
                ("q1_text", "Ticket"),
                ("q1_kind", "short"),
                ("q1_regex", "[A-Z]+-[0-9]+"),
                ("q1_required", "on"),
                ("q1_editable", "on"),
            ];
            f.extend(add.map(|a| ("add", a)));
            f
        };
        let csrf: &'static str = Box::leak(form.csrf().into_boxed_str());
        let with_csrf = |mut f: Vec<(&'static str, &'static str)>| {
            let mut all = vec![("csrf_token", csrf)];
            all.append(&mut f);
            all
        };
        // "+ Add choice" without the page script: the form comes back with
        // both choices, one blank choice more, and nothing saved.
        let more = admin
            .post(
                &app.url(routes::ADMIN_PACKAGE_POLICIES.id(&rota)),
                &with_csrf(fields(Some("choice"))),
            )
            .await;
        assert_eq!(more.status, 200, "{}", more.body);
        assert!(
            more.has("name=\"q0_choice1\" value=\"sales: Sales | fr: Les ventes\"")
                && more.has("name=\"q0_choice2\" value=\"\""),
            "{}",
            more.body
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM assignment_policies WHERE display_name = 'Team members'"
            )
            .await,
            0
        );
        // A translation without its text is refused beside its question.
        let mut untranslated = fields(None);
        untranslated.extend([("q1_lang3", "de-DE"), ("q1_loc3", " ")]);
        let refused = admin
            .post(
                &app.url(routes::ADMIN_PACKAGE_POLICIES.id(&rota)),
                &with_csrf(untranslated),
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused
                .has(r#"id="question2-translations-error">Translation 1 (de-DE): give the text."#),
            "{}",
            refused.body
        );
        assert!(refused.has(r#"<option value="de-DE" selected>German (de-DE)</option>"#));
        let saved = admin
            .post(
                &app.url(routes::ADMIN_PACKAGE_POLICIES.id(&rota)),
                &with_csrf(fields(None)),
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let policy = policy_named(&app, &rota, "Team members").await;
        let edit = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICY.ids(&rota, &policy)))
            .await;
        assert!(
            edit.has(r#"<option value="fr-FR" selected>French (France) (fr-FR)</option>"#)
                && edit.has(r#"name="q0_loc0" value="Quelle équipe ?""#),
            "the translation is shown as saved: {}",
            edit.body
        );
        let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
        eric.header("Accept-Language", "fr-FR,fr;q=0.9");
        let page = eric.get(&app.url(routes::PACKAGE.id(&rota))).await;
        assert!(page.has("Quelle équipe ?"), "{}", page.body);
        assert!(
            page.has("Le marketing") && page.has("Les ventes"),
            "{}",
            page.body
        );
        assert!(page.has("required"), "required fields say so");
        let ask = |fields: Vec<(&'static str, &'static str)>| {
            let (eric, app, rota) = (&eric, &app, &rota);
            async move { request(app, eric, rota, &fields).await }
        };
        let missing = ask(vec![]).await;
        assert_eq!(missing.status, 422);
        assert!(missing.has("An answer is required."));
        let wrong = ask(vec![("q1", "finance"), ("q2", "nope")]).await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.has("Choose one of the answers offered."));
        assert!(wrong.has("The answer is not in the expected format."));
        let ok = ask(vec![("q1", "mkt"), ("q2", "OPS-12")]).await;
        assert_eq!(ok.status, 303, "{}", ok.body);

        // Extending: the team, not editable, stays as first answered.
        let page = eric.get(&app.url(routes::PACKAGE.id(&rota))).await;
        assert!(
            page.has("your earlier answer; it cannot be changed"),
            "{}",
            page.body
        );
        let extended = eric
            .post(
                &app.url(routes::PACKAGE_EXTEND.id(&rota)),
                &[
                    ("csrf_token", &page.csrf()),
                    ("q1", "sales"),
                    ("q2", "OPS-13"),
                ],
            )
            .await;
        assert_eq!(extended.status, 303, "{}", extended.body);
        let answers: String = {
            let mut c = app.store.read().await.unwrap();
            sqlx::query_scalar(
                "SELECT answers FROM assignment_requests WHERE request_type = 'userExtend'",
            )
            .fetch_one(&mut *c)
            .await
            .unwrap()
        };
        assert!(
            answers.contains("\"mkt\"") && !answers.contains("\"sales\""),
            "{answers}"
        );
        assert!(
            answers.contains("OPS-13"),
            "an editable answer can change: {answers}"
        );
    }
);

both!(
    control_characters_are_refused_and_never_reach_the_database,
    |backend| async move {
        let (app, admin, _clock) = demo(backend).await;
        let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
        let employees = package_named(&app, "Marketing resources for employees").await;
        let nul = request(&app, &eric, &employees, &[("justification", "Needed\0now")]).await;
        assert_eq!(nul.status, 400, "{}", nul.body);
        assert!(nul.has("control character"));
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM assignment_requests WHERE access_package_id = '{employees}'")).await,
            0,
            "nothing was changed"
        );
        // A line break in a single-line name is said beside the field.
        let form = admin.get(&app.url(routes::ADMIN_CATALOGS.new)).await;
        let bad = admin
            .post(
                &app.url(routes::ADMIN_CATALOGS.list),
                &[
                    ("csrf_token", &form.csrf()),
                    ("display_name", "Two\nlines"),
                    ("description", "Line one\nline two"),
                    ("state", "published"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.has("cannot contain control characters"));
        // Search boxes too.
        let search = admin
            .get(&app.url(format!("{}?q=%00", routes::ADMIN_USERS.list)))
            .await;
        assert_eq!(search.status, 400);
        // And ids in paths, which reach the database too.
        let paths = [
            routes::ADMIN_USERS.item.id("a\0b"),
            routes::APPROVAL.id("\0"),
            routes::REQUEST.id("x\0"),
        ];
        assert!(paths.iter().all(|p| p.contains("%00")), "{paths:?}");
        for path in paths {
            let page = admin.get(&app.url(&path)).await;
            assert_eq!(page.status, 400, "{path}: {}", page.body);
            assert!(page.has("contains a control character"), "{path}");
        }
        // A NUL hidden from the form check by the wizard draft's JSON escape
        // never reaches a query (PostgreSQL would refuse it with a 500).
        let wizard = admin.get(&app.url(routes::ADMIN_PACKAGES.new)).await;
        let draft = r#"{"policy":{"requests":{"approval_required":true,"stage_count":"1","stages":[{"users":"maria.manager\u0000@gatehouse.demo"}],"scope":"specificDirectoryUsers","target_users":"eric\u0000@gatehouse.demo"}}}"#;
        for step in ["basics", "requests", "review"] {
            let hidden = admin
                .post(
                    &app.url(routes::ADMIN_PACKAGES.new),
                    &[
                        ("csrf_token", &wizard.csrf()),
                        ("draft", draft),
                        ("step", step),
                        ("go", "back"),
                    ],
                )
                .await;
            assert_eq!(hidden.status, 200, "{step}: {}", hidden.body);
            assert!(!hidden.has(r"\u0000"), "{step}: the value was dropped");
        }
        let justification_too_long = "x".repeat(4001);
        let long = request(
            &app,
            &eric,
            &employees,
            &[("justification", justification_too_long.as_str())],
        )
        .await;
        assert_eq!(long.status, 422);
        assert!(long.has("at most 4000 characters"));
        assert!(
            long.has("At most 4,000 characters."),
            "the limit is on the page"
        );
    }
);

both!(sessions_end_when_people_sign_out, |backend| async move {
    let (app, admin, clock) = demo(backend).await;
    // Signing out ends the session on the server: a copied cookie is useless.
    let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
    let copy = eric.snapshot();
    let home = eric.get(&app.url(routes::HOME)).await;
    assert_eq!(home.status, 200);
    let out = eric
        .post(&app.url(routes::LOGOUT), &[("csrf_token", &home.csrf())])
        .await;
    assert_eq!(out.status, 303);
    let thief = Browser::new();
    thief.restore(copy);
    assert_eq!(thief.get(&app.url(routes::HOME)).await.status, 303);

    // An administrator signs Emma out everywhere.
    let emma = signed_in(&app, "emma.employee@gatehouse.demo").await;
    assert_eq!(emma.get(&app.url(routes::HOME)).await.status, 200);
    let id = user_named(&app, "emma.employee@gatehouse.demo").await.id;
    let page = admin.get(&app.url(routes::ADMIN_USERS.item.id(&id))).await;
    let done = admin
        .post(
            &app.url(routes::ADMIN_USER_SIGN_OUT.id(&id)),
            &[("csrf_token", &page.csrf())],
        )
        .await;
    assert_eq!(done.status, 303);
    assert!(
        admin
            .get(&app.url(routes::ADMIN_USERS.item.id(&id)))
            .await
            .has("signed out of 1 browser")
    );
    assert_eq!(emma.get(&app.url(routes::HOME)).await.status, 303);

    // Sessions end after an hour unused.
    let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
    clock.advance(chrono::Duration::minutes(50));
    assert_eq!(eric.get(&app.url(routes::HOME)).await.status, 200);
    clock.advance(chrono::Duration::minutes(61));
    assert_eq!(eric.get(&app.url(routes::HOME)).await.status, 303);

    // Approval and console pages are never kept by the browser.
    let admin = signed_in(&app, "ada.admin@gatehouse.demo").await;
    for path in [
        routes::APPROVALS.as_str(),
        routes::ADMIN_USERS.list.as_str(),
    ] {
        let page = admin.get(&app.url(path)).await;
        assert_eq!(page.cache_control.as_deref(), Some("no-store"), "{path}");
    }
});

/// Asks for a sign-in code as the client at `address` (the proxy's
/// `X-Forwarded-For`), and returns the code page that follows.
async fn ask_code_from(app: &TestApp, b: &Browser, address: &str, email: &str) -> Page {
    b.header("X-Forwarded-For", address);
    let login = b.get(&app.url(routes::LOGIN)).await;
    let sent = b
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
    b.get(&app.url(sent.location.as_deref().unwrap())).await
}

async fn guess(app: &TestApp, b: &Browser, code: &str) -> Page {
    let page = b.get(&app.url(routes::CODE)).await;
    b.post(
        &app.url(routes::CODE_VERIFY),
        &[("csrf_token", &page.csrf()), ("code", code), ("next", "/")],
    )
    .await
}

/// The codes mailed to the address so far, once there are `n` of them.
async fn codes_for(email: &str, n: usize) -> Vec<String> {
    let dir =
        std::path::PathBuf::from(std::env::var("GATEHOUSE_TEST_MAILDIR").unwrap()).join("new");
    for _ in 0..200 {
        let mut codes = vec![];
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            if let (true, Some(at)) = (text.contains(email), text.find("sign-in code is")) {
                codes.push(
                    text[at..]
                        .chars()
                        .filter(|c| c.is_ascii_digit())
                        .take(8)
                        .collect::<String>(),
                );
            }
        }
        if codes.len() >= n {
            return codes;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{n} codes for {email} never arrived");
}

both!(
    codes_are_limited_per_client_and_one_client_cannot_lock_a_guest_out,
    |backend| async move {
        let mut opts = Options::new(backend)
            .demo()
            .setting("GATEHOUSE_TRUST_FORWARDED_FOR", "true");
        opts.smtp = true;
        let app = spawn(opts).await;
        let run = uuid::Uuid::new_v4().simple().to_string();
        // One client may ask for a handful of codes a minute, to any addresses,
        // and is told so in the same words whatever the address.
        let flooder = Browser::new();
        for n in 0..5 {
            let page = ask_code_from(
                &app,
                &flooder,
                "203.0.113.7",
                &format!("f{n}.{run}@fabrikam.example"),
            )
            .await;
            assert!(!page.has("too often"), "{n}: {}", page.body);
        }
        let sixth = ask_code_from(
            &app,
            &flooder,
            "203.0.113.7",
            &format!("f5.{run}@fabrikam.example"),
        )
        .await;
        assert!(sixth.has("Codes were asked for from your network too often"));
        let other = ask_code_from(&app, &flooder, "203.0.113.7", "gary.guest@contoso.com").await;
        assert!(other.has("Codes were asked for from your network too often"));
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM sign_in_codes WHERE client_address = '203.0.113.7'"
            )
            .await,
            5
        );

        // Someone else guessing at a guest's code cannot lock the guest out.
        let victim_mail = format!("victim.{run}@fabrikam.example");
        let attacker = Browser::new();
        ask_code_from(&app, &attacker, "198.51.100.66", &victim_mail).await;
        let first = codes_for(&victim_mail, 1).await;
        let victim = Browser::new();
        ask_code_from(&app, &victim, "198.51.100.1", &victim_mail).await;
        // The victim's code is the newer one.
        let code = codes_for(&victim_mail, 2)
            .await
            .into_iter()
            .find(|c| !first.contains(c))
            .unwrap();
        for _ in 0..12 {
            let wrong = guess(&app, &attacker, "00000000").await;
            assert_eq!(wrong.status, 422);
        }
        let signed = guess(&app, &victim, &code).await;
        assert_eq!(signed.status, 303, "{}", signed.body);

        // Guessers at many addresses together get 25 guesses at a code, not
        // 5 each: then the code stops working, and a new one is needed.
        let target = format!("target.{run}@fabrikam.example");
        let guessers: Vec<Browser> = (0..5).map(|_| Browser::new()).collect();
        // Three codes go out in a window (the last two asks are refused, but
        // the address is asked about); the newest is the one that counts.
        let mut sent: Vec<String> = vec![];
        let mut newest = String::new();
        for (n, g) in guessers.iter().enumerate() {
            ask_code_from(&app, g, &format!("198.51.100.{}", 100 + n), &target).await;
            if n < 3 {
                let now = codes_for(&target, n + 1).await;
                newest = now.iter().find(|c| !sent.contains(c)).unwrap().clone();
                sent = now;
            }
        }
        for g in &guessers {
            for _ in 0..5 {
                assert_eq!(guess(&app, g, "00000000").await.status, 422);
            }
        }
        // Someone at yet another address, with the right code, is refused.
        let late = Browser::new();
        ask_code_from(&app, &late, "198.51.100.200", &target).await;
        let sent = format!("SELECT COUNT(*) FROM sign_in_codes WHERE email_lower = '{target}'");
        assert_eq!(
            count(&app, &sent).await,
            3,
            "no fourth code: the newest is the one spoiled"
        );
        let spoiled = guess(&app, &late, &newest).await;
        assert!(
            spoiled.status == 422 && spoiled.has("That code is wrong or no longer works."),
            "the right code no longer works after 25 wrong guesses: {}",
            spoiled.body
        );
    }
);

both!(
    mail_never_stops_and_a_resent_message_is_the_same_message,
    |backend| async move {
        let clock = Clock::manual(chrono::Utc::now());
        let mut opts = Options::new(backend).demo();
        opts.smtp = true;
        opts.clock = Some(clock.clone());
        let app = spawn(opts).await;
        let admin = Browser::new();
        app.demo_sign_in(&admin, "ada.admin@gatehouse.demo").await;
        // A name with a line break is refused where it is typed.
        let (guests, policy) = guests_package(&app).await;
        let run = uuid::Uuid::new_v4().simple().to_string();
        let eve_mail = format!("eve.{run}@fabrikam.example");
        let eve = assign_directly(
            &app,
            &admin,
            &guests,
            &policy,
            &[],
            &[
                ("guest_email", &eve_mail),
                ("guest_name", "Eve\nBcc: x@example.com"),
                ("q1", "Fair"),
                ("q2", "Maria"),
                ("q3", "short"),
                ("attr_givenName", "Eve"),
                ("attr_surname", "Example"),
                ("attr_jobTitle", "Writer"),
            ],
        )
        .await;
        assert_eq!(eve.status, 422);
        assert!(eve.has("cannot contain control characters"), "{}", eve.body);

        // A message that can never be sent is given up; the others still go.
        let (bad, good) = (
            format!("not an address {run}"),
            format!("good.{run}@fabrikam.example"),
        );
        {
            let mut tx = app.store.begin().await.unwrap();
            for to in [&bad, &good] {
                gatehouse::store::outbox::enqueue(
                    &mut tx,
                    &[code_mail(to, "Eve\nBcc: victim@example.com", "12345678")],
                    clock.now(),
                )
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }
        let sent = wait_for_mail(&[&good, "12345678"]).await;
        assert!(!sent.contains("\nBcc:"), "{sent}");
        let id_of = async |to: &str| -> String {
            let mut c = app.store.read().await.unwrap();
            sqlx::query_scalar("SELECT id FROM mail_outbox WHERE to_address = $1")
                .bind(to)
                .fetch_one(&mut *c)
                .await
                .unwrap()
        };
        let id = id_of(&good).await;
        assert!(
            sent.contains(&format!("Message-ID: <{id}@localhost>")),
            "the outbox row names the message: {sent}"
        );
        // The two are sent in either order: the one given up may come second.
        let given_up = "Given up: this message cannot be sent";
        let outbox = wait_for_page(&admin, &app.url(routes::ADMIN_MAIL), given_up).await;
        assert!(outbox.has(given_up), "{}", outbox.body);
        // An administrator can send it again: it takes its turn once more.
        let bad_id = id_of(&bad).await;
        let again = routes::ADMIN_MAIL_SEND_AGAIN.id(&bad_id);
        assert!(
            outbox.has(&format!("action=\"{again}\"")),
            "{}",
            outbox.body
        );
        let r = admin
            .post(&app.url(&again), &[("csrf_token", &outbox.csrf())])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let tried = format!(
            "SELECT COUNT(*) FROM mail_outbox WHERE id = '{bad_id}' AND attempts = 2 AND abandoned_at IS NOT NULL"
        );
        let mut retried = 0;
        for _ in 0..200 {
            retried = count(&app, &tried).await;
            if retried == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(retried, 1, "tried a second time, and given up again");

        // A message a crashed instance had claimed goes out within a minute.
        let late = format!("late.{run}@fabrikam.example");
        {
            let mut tx = app.store.begin().await.unwrap();
            gatehouse::store::outbox::enqueue(
                &mut tx,
                &[code_mail(&late, "", "87654321")],
                clock.now(),
            )
            .await
            .unwrap();
            let (id, next): (String, String) =
                sqlx::query_as("SELECT id, next_attempt_at FROM mail_outbox WHERE to_address = $1")
                    .bind(&late)
                    .fetch_one(&mut *tx)
                    .await
                    .unwrap();
            // The crashed instance's claim, as the worker makes it.
            assert!(
                gatehouse::store::outbox::claim(
                    &mut tx,
                    &id,
                    &next,
                    clock.now() + Duration::seconds(40)
                )
                .await
                .unwrap()
            );
            tx.commit().await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM mail_outbox WHERE to_address = '{late}' AND sent_at IS NOT NULL")).await,
            0,
            "still claimed"
        );
        clock.advance(Duration::seconds(41));
        wait_for_mail(&[&late, "87654321"]).await;
    }
);

/// A sign-in code message, queued as the sign-in page queues it.
fn code_mail(to: &str, name: &str, code: &str) -> gatehouse::domain::message::Mail {
    use gatehouse::domain::message::{Code, Mail, Message};
    Mail {
        to_address: to.into(),
        to_name: name.into(),
        message: Message::SignInCode(Code {
            code: code.into(),
            minutes: 10,
        }),
    }
}

/// Many pages at once, each of whose sessions is due to be marked as used:
/// no request holds one pooled connection while waiting for another, so a
/// full pool never waits on itself.
#[tokio::test]
async fn many_pages_at_once_never_starve_the_pool() {
    let (app, _admin, clock) = demo(Backend::Postgres).await;
    let mut browsers = Vec::new();
    for email in [
        "ada.admin@gatehouse.demo",
        "eric.employee@gatehouse.demo",
        "maria.manager@gatehouse.demo",
    ] {
        for _ in 0..14 {
            browsers.push(signed_in(&app, email).await);
        }
    }
    // Every session was last used more than a minute ago: each page now writes.
    clock.advance(chrono::Duration::minutes(2));
    let started = std::time::Instant::now();
    let home = app.url(routes::HOME);
    let pages = futures_util::future::join_all(browsers.iter().map(|b| b.get(&home))).await;
    assert!(
        pages.iter().all(|p| p.status == 200),
        "{:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "the pages waited for connections: {:?}",
        started.elapsed()
    );
}

both!(
    a_decision_from_an_out_of_date_page_is_refused_not_taken_for_the_next_stage,
    |backend| async move {
        let (app, _admin, clock) = demo(backend).await;
        let maria = user_named(&app, "maria.manager@gatehouse.demo").await.id;
        let both_stages = member_policy(
            "Maria twice",
            vec![
                stage(vec![Approver::SingleUser(maria.clone())], vec![]),
                stage(vec![Approver::SingleUser(maria.clone())], vec![]),
            ],
            Expiration::AfterDays(30),
        );
        let package = site_package(&app, &clock, "Two looks", &both_stages).await;
        let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
        let sent = request(&app, &eric, &package, &[]).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let (id, _, _) = request_of(&app, &package, "eric.employee@gatehouse.demo").await;

        // Maria's page shows stage 1; she approves from it, then sends the
        // same form again (a second tab, a double click, Back then Approve).
        let approver = signed_in(&app, "maria.manager@gatehouse.demo").await;
        let url = app.url(routes::APPROVAL.id(&id));
        let page = approver.get(&url).await;
        let form = [
            ("csrf_token", page.csrf()),
            (
                "stage",
                page.input("stage").expect("the stage the page shows"),
            ),
            ("decision", "approve".to_string()),
        ];
        let form = form.each_ref().map(|(k, v)| (*k, v.as_str()));
        assert_eq!(approver.post(&url, &form).await.status, 303);
        let again = approver.post(&url, &form).await;
        assert_eq!(again.status, 303, "{}", again.body);
        let (_, state, _) = request_of(&app, &package, "eric.employee@gatehouse.demo").await;
        assert_eq!(
            state, "pendingApproval",
            "stage 2 still waits for a decision"
        );
        assert!(
            approver
                .get(&url)
                .await
                .has("Stage 1 of the request was already decided."),
            "and Maria is told why"
        );
    }
);

both!(
    an_approver_revokes_an_approval_given_in_error,
    |backend| async move {
        let (app, admin, _clock) = demo(backend).await;
        let emma_email = "emma.employee@gatehouse.demo";
        let emma = signed_in(&app, emma_email).await;
        let employees = package_named(&app, "Marketing resources for employees").await;
        let before = held_by(&app, emma_email).await;
        let asked = request(&app, &emma, &employees, &[("justification", "Campaign")]).await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let id = request_id_for(&app, emma_email).await;
        let approved = approve_as(&app, "maria.manager@gatehouse.demo", &id).await;
        assert_eq!(approved.status, 303, "{}", approved.body);
        assert_ne!(held_by(&app, emma_email).await, before, "access was given");

        // Only Maria, who approved it, is offered to revoke it.
        let page_url = app.url(routes::APPROVAL.id(&id));
        let revoke_url = app.url(routes::APPROVAL_REVOKE.id(&id));
        let seen_by_admin = admin.get(&page_url).await;
        assert_eq!(seen_by_admin.status, 200);
        assert!(!seen_by_admin.has("Revoke your approval"));
        let refused = admin
            .post(
                &revoke_url,
                &[("csrf_token", &seen_by_admin.csrf()), ("confirm", "on")],
            )
            .await;
        assert_eq!(
            refused.status, 404,
            "an administrator who did not approve it"
        );
        let eric = signed_in(&app, "eric.employee@gatehouse.demo").await;
        let csrf = eric.get(&app.url(routes::HOME)).await.csrf();
        let refused = eric
            .post(&revoke_url, &[("csrf_token", &csrf), ("confirm", "on")])
            .await;
        assert_eq!(refused.status, 404, "someone who is no approver");
        let unconfirmed = eric.post(&revoke_url, &[("csrf_token", &csrf)]).await;
        assert_eq!(
            unconfirmed.status, 404,
            "unconfirmed, they are told nothing either"
        );
        assert_ne!(held_by(&app, emma_email).await, before, "nothing changed");

        let maria = signed_in(&app, "maria.manager@gatehouse.demo").await;
        let page = maria.get(&page_url).await;
        assert!(page.has("Revoke your approval"), "{}", page.body);
        let no_token = maria.post(&revoke_url, &[]).await;
        assert_eq!(no_token.status, 403, "CSRF is checked");
        // Unconfirmed, nothing is revoked.
        let unconfirmed = maria
            .post(&revoke_url, &[("csrf_token", &page.csrf())])
            .await;
        assert_eq!(unconfirmed.status, 303);
        let said = maria.get(&page_url).await;
        assert!(
            said.has("Nothing was revoked: tick “I approved this request in error” to confirm."),
            "{}",
            said.body
        );
        assert_ne!(held_by(&app, emma_email).await, before, "nothing changed");
        let revoked = maria
            .post(
                &revoke_url,
                &[("csrf_token", &page.csrf()), ("confirm", "on")],
            )
            .await;
        assert_eq!(revoked.status, 303, "{}", revoked.body);
        let inbox = maria.get(&app.url(routes::APPROVALS)).await;
        assert!(
            inbox.has(
                "Approval revoked: emma.employee@gatehouse.demo no longer has the access it gave."
            ),
            "{}",
            inbox.body
        );
        assert_eq!(
            held_by(&app, emma_email).await,
            before,
            "the access is gone"
        );
        let told = format!(
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessEnded' AND to_address = '{emma_email}'"
        );
        assert_eq!(count(&app, &told).await, 1, "Emma is told");

        // Once is all: the page no longer offers it, and a second try says why.
        let page = maria.get(&page_url).await;
        assert!(!page.has("Revoke your approval"));
        let again = maria
            .post(
                &revoke_url,
                &[("csrf_token", &page.csrf()), ("confirm", "on")],
            )
            .await;
        assert_eq!(again.status, 303);
        let said = maria.get(&page_url).await;
        assert!(
            said.has("The access this request gave has already ended."),
            "{}",
            said.body
        );
        let removed = admin
            .get(&app.url(format!(
                "{}?state=removed",
                routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&employees)
            )))
            .await;
        assert!(removed.has("Revoked by an approver"), "{}", removed.body);
        let audit = admin
            .get(&app.url(format!("{}?activity=revokes+request", routes::ADMIN_AUDIT)))
            .await;
        assert!(
            audit.has("Approver revokes access package assignment request")
                && audit.has(">Marketing resources for employees</a>"),
            "{}",
            audit.body
        );
    }
);
