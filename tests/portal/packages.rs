//! Admin › Access packages: the wizard, policies, resource roles, settings.

use gatehouse::domain::ids::AccessPackageId;
use gatehouse::domain::policy::{AllowedTargetScope, Approver, Expiration, QuestionKind};
use gatehouse::routes;

use crate::both;
use crate::helpers::*;

async fn admin(backend: Backend) -> (TestApp, Browser) {
    let app = spawn(Options::new(backend).demo()).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "ada.admin@gatehouse.demo").await;
    (app, b)
}

/// Posts one wizard step with the page's draft and token.
async fn step(app: &TestApp, b: &Browser, page: &Page, go: &str, fields: &[(&str, &str)]) -> Page {
    let draft = page.input("draft").expect("the wizard carries its draft");
    let step = page.input("step").expect("the wizard names its step");
    let csrf = page.csrf();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("draft", &draft),
        ("step", &step),
        ("go", go),
    ];
    form.extend_from_slice(fields);
    b.post(&app.url(routes::ADMIN_PACKAGES.new), &form).await
}

fn select_value(page: &Page, select_label: &str, option_text: &str) -> String {
    let at = page
        .body
        .find(select_label)
        .unwrap_or_else(|| panic!("{select_label} on the page"));
    let rest = &page.body[at..];
    let end = rest.find("</select>").unwrap();
    let opt = rest[..end]
        .find(&format!(">{option_text}</option>"))
        .unwrap_or_else(|| panic!("{option_text} offered"));
    let v_start = rest[..opt].rfind("value=\"").unwrap() + 7;
    let v_end = rest[v_start..].find('"').unwrap() + v_start;
    rest[v_start..v_end].to_string()
}

fn name_of_select(page: &Page, select_label: &str) -> String {
    let at = page.body.find(select_label).unwrap();
    let start = page.body[..at].rfind("name=\"").unwrap() + 6;
    let end = page.body[start..].find('"').unwrap() + start;
    page.body[start..end].to_string()
}

both!(
    the_wizard_creates_a_package_with_its_first_policy,
    |backend| async move {
        let (app, b) = admin(backend).await;
        let catalogs = b.get(&app.url(routes::ADMIN_CATALOGS.list)).await;
        let at = catalogs.body.find(">Marketing</a>").unwrap();
        let prefix = format!("{}/", routes::ADMIN_CATALOGS.list);
        let start = catalogs.body[..at].rfind(&prefix).unwrap() + prefix.len();
        let catalog = catalogs.body[start..at - 1].to_string();

        let basics = b
            .get(&app.url(format!("{}?catalog={catalog}", routes::ADMIN_PACKAGES.new)))
            .await;
        assert_eq!(basics.status, 200);
        for s in [
            "Basics",
            "Resource roles",
            "Requests",
            "Requestor information",
            "Lifecycle",
            "Review + create",
        ] {
            assert!(basics.has(s), "{s} step");
        }
        // A missing name keeps the wizard on Basics.
        let bad = step(
            &app,
            &b,
            &basics,
            "next",
            &[("catalog", &catalog), ("name", ""), ("description", "d")],
        )
        .await;
        assert_eq!(bad.status, 422);
        assert!(bad.has("Name is required."));
        let roles = step(
            &app,
            &b,
            &bad,
            "next",
            &[
                ("catalog", &catalog),
                ("name", "Guests pack"),
                ("description", "For guests"),
            ],
        )
        .await;
        assert_eq!(roles.status, 200, "{}", roles.body);
        assert!(roles.has("Resource roles") && roles.has("SG-Marketing-Department-GuestUsers"));
        // Under the headings Entra's step uses, groups before applications.
        let groups = roles
            .body
            .find("<h3>Groups and Teams</h3>")
            .expect("groups");
        let apps = roles
            .body
            .find("<h3>Applications</h3>")
            .expect("applications");
        let guests = roles
            .body
            .find("SG-Marketing-Department-GuestUsers")
            .unwrap();
        let slack = roles.body.find("Role for Slack").unwrap();
        assert!(
            groups < guests && guests < apps && apps < slack,
            "{}",
            roles.body
        );
        let guest_group = name_of_select(
            &roles,
            "aria-label=\"Role for SG-Marketing-Department-GuestUsers\"",
        );
        let slack = name_of_select(&roles, "aria-label=\"Role for Slack\"");
        let user_role = select_value(&roles, "aria-label=\"Role for Slack\"", "User");
        let requests = step(
            &app,
            &b,
            &roles,
            "next",
            &[(&guest_group, "member"), (&slack, &user_role)],
        )
        .await;
        assert!(requests.has("Who can request access"));

        // A stage without approvers is refused on this step.
        let refused = step(
            &app,
            &b,
            &requests,
            "next",
            &[
                ("policy_name", "Initial policy"),
                ("enabled", "on"),
                ("scope", "allExternalUsers"),
                ("approval_required", "on"),
                ("stage_count", "1"),
                ("s1_days", "14"),
                ("enable_requests", "on"),
            ],
        )
        .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.has(r#"id="stage1-primary-error">Stage 1 needs at least one approver."#)
                && refused.has(r#"<fieldset aria-describedby="stage1-primary-error">"#),
            "the stage's approvers name the error: {}",
            refused.body
        );
        // The requestor's manager is only for users in the directory.
        let manager = step(
            &app,
            &b,
            &refused,
            "next",
            &[
                ("policy_name", "Initial policy"),
                ("scope", "allExternalUsers"),
                ("approval_required", "on"),
                ("stage_count", "1"),
                ("s1_manager", "on"),
                ("s1_days", "14"),
            ],
        )
        .await;
        assert!(
            manager.has("The requestor&#39;s manager can approve only")
                || manager.has("The requestor's manager can approve only")
                || manager.has("The requestor&#x27;s manager can approve only"),
            "{}",
            manager.body
        );
        let requestor = step(
            &app,
            &b,
            &manager,
            "next",
            &[
                (
                    "policy_name",
                    "Policy for regular guest and new guest users",
                ),
                ("enabled", "on"),
                ("scope", "allExternalUsers"),
                ("approval_required", "on"),
                ("stage_count", "1"),
                ("s1_users", "maria.manager@gatehouse.demo"),
                ("s1_justification", "on"),
                ("s1_days", "14"),
                ("enable_requests", "on"),
            ],
        )
        .await;
        assert_eq!(requestor.status, 200, "{}", requestor.body);
        assert!(requestor.has("Questions"));
        assert!(
            requestor.has("givenName") && requestor.has("jobTitle"),
            "the guest group's attributes are shown read-only"
        );

        // Going back keeps what was entered.
        let back = step(
            &app,
            &b,
            &requestor,
            "basics",
            &[
                ("q_count", "1"),
                ("q0_text", "Which project?"),
                ("q0_kind", "short"),
                ("q0_required", "on"),
            ],
        )
        .await;
        assert!(back.has(r#"value="Guests pack""#));
        let lifecycle = step(
            &app,
            &b,
            &back,
            "lifecycle",
            &[
                ("catalog", &catalog),
                ("name", "Guests pack"),
                ("description", "For guests"),
            ],
        )
        .await;
        assert!(lifecycle.has("Access package assignments expire"));
        let past = step(
            &app,
            &b,
            &lifecycle,
            "next",
            &[
                ("expiration_type", "date"),
                ("expiration_date", "2001-01-01"),
            ],
        )
        .await;
        assert_eq!(past.status, 422);
        assert!(past.has("The expiration date must be in the future."));
        let extensions = step(
            &app,
            &b,
            &past,
            "next",
            &[
                ("expiration_type", "days"),
                ("expiration_days", "180"),
                ("allow_extension", "on"),
                ("approval_update_required", "on"),
            ],
        )
        .await;
        assert!(
            extensions.has("<h2>Custom extension</h2>"),
            "{}",
            extensions.body
        );
        assert!(extensions.has("This catalog has no custom extension yet."));
        let review = step(&app, &b, &extensions, "next", &[]).await;
        assert!(review.has("Review + create"));
        assert!(
            review.has("SG-Marketing-Department-GuestUsers (Member)") && review.has("Slack (User)")
        );
        assert!(review.has("After 180 days"));
        // Everything chosen is there to check before creating.
        for row in [
            "<dt>Questions</dt><dd>Which project?</dd>",
            "<dt>Stage 1 decision</dt><dd>Within 14 days; approvers give a justification</dd>",
            "<dt>Enable new requests</dt><dd>Yes</dd>",
            "<dt>Allow users to extend access</dt><dd>Yes</dd>",
            "<dt>Require approval to grant extension</dt><dd>Yes</dd>",
            "<dt>Access reviews</dt><dd>Not required</dd>",
        ] {
            assert!(review.has(row), "{row}: {}", review.body);
        }
        let created = step(&app, &b, &review, "create", &[]).await;
        assert_eq!(created.status, 303, "{}", created.body);
        let location = created.location.unwrap();
        let overview = b.get(&app.url(&location)).await;
        assert!(overview.has("Access package Guests pack created."));
        let id = location.rsplit('/').next().unwrap().to_string();
        assert!(
            overview.has(&format!("{}/access-packages/{id}", app.address)),
            "the direct link to copy"
        );

        // What was stored.
        let mut c = app.store.read().await.unwrap();
        let pid = AccessPackageId::parse(&id).unwrap();
        let policies = gatehouse::store::policies::for_package(&mut c, &pid)
            .await
            .unwrap();
        assert_eq!(policies.len(), 1);
        let p = &policies[0].1;
        assert_eq!(
            p.display_name,
            "Policy for regular guest and new guest users"
        );
        assert_eq!(p.allowed_target_scope, AllowedTargetScope::AllExternalUsers);
        assert!(matches!(
            p.approval.stages[0].primary_approvers[0],
            Approver::SingleUser(_)
        ));
        assert!(p.approval.stages[0].is_approver_justification_required);
        assert_eq!(p.expiration, Expiration::AfterDays(180));
        assert!(p.requestor.enable_targets_to_self_update_access);
        assert_eq!(p.questions.len(), 1);
        assert!(matches!(
            p.questions[0].kind,
            QuestionKind::Text {
                is_single_line: true,
                ..
            }
        ));
        let scopes = gatehouse::store::packages::role_scopes(&mut c, &pid)
            .await
            .unwrap();
        assert_eq!(scopes.len(), 2);
        drop(c);
        assert!(
            b.get(&app.url(format!("{}?object_type=accessPackage", routes::ADMIN_AUDIT)))
                .await
                .has("Create access package")
        );
    }
);

both!(
    policies_are_added_edited_toggled_and_deleted,
    |backend| async move {
        let (app, b) = admin(backend).await;
        let list = b.get(&app.url(routes::ADMIN_PACKAGES.list)).await;
        let at = list
            .body
            .find(">Marketing resources for guests</a>")
            .expect("demo package");
        let start = list.body[..at]
            .rfind(&format!("{}/", routes::ADMIN_PACKAGES.list))
            .unwrap();
        let package = list.body[start..at - 1].to_string();
        let policies = b.get(&app.url(format!("{package}/policies"))).await;
        assert!(policies.has("Policy for regular guest and new guest users"));
        assert!(policies.has("Contoso"), "the demo's second policy");
        assert!(
            list.has("Slack administration"),
            "the demo's hidden package is listed for admins"
        );
        let form = b.get(&app.url(format!("{package}/policies/new"))).await;
        let csrf = form.csrf();
        // Reviewers are picked without the page script too.
        let search = b
            .post(
                &app.url(format!("{package}/policies")),
                &[
                    ("csrf_token", &csrf),
                    ("policy_name", "Reviewed"),
                    ("pickq:rv_fallback_users", "maria"),
                    ("pick", "user:rv_fallback_users"),
                ],
            )
            .await;
        assert!(
            form.has(r#"name="pickq:rv_groups""#)
                && search.has(
                    r#"name="pickadd:rv_fallback_users:1" value="maria.manager@gatehouse.demo""#
                ),
            "{}",
            search.body
        );
        let bad = b
            .post(
                &app.url(format!("{package}/policies")),
                &[
                    ("csrf_token", &csrf),
                    ("policy_name", "Admins only"),
                    ("scope", "notSpecified"),
                    ("enable_requests", "on"),
                    ("expiration_type", "never"),
                    ("q_count", "0"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.has("takes no requestor settings"));
        assert!(
            bad.has(r#"<div class="steps all">"#) && form.has(r#"<div class="steps">"#),
            "a refused form shows every step, not only the first"
        );
        let specific = b
            .post(
                &app.url(format!("{package}/policies")),
                &[
                    ("csrf_token", &csrf),
                    ("policy_name", "Specific"),
                    ("scope", "specificDirectoryUsers"),
                    ("expiration_type", "never"),
                    ("q_count", "0"),
                ],
            )
            .await;
        assert_eq!(specific.status, 422);
        assert!(specific.has("Choose at least one user or group who can request."));
        let ok = b
            .post(
                &app.url(format!("{package}/policies")),
                &[
                    ("csrf_token", &csrf),
                    ("policy_name", "Admins only"),
                    ("scope", "notSpecified"),
                    ("enabled", "on"),
                    ("expiration_type", "hours"),
                    ("expiration_hours", "8"),
                    ("q_count", "0"),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let page = b.get(&app.url(format!("{package}/policies"))).await;
        assert!(page.has("Policy Admins only created."));
        let at = page.body.find(">Admins only</a>").unwrap();
        let start = page.body[..at]
            .rfind(&format!("{package}/policies/"))
            .unwrap();
        let policy = page.body[start..at - 1].to_string();
        let edit = b.get(&app.url(&policy)).await;
        assert!(
            edit.has("Changes to approval and lifecycle apply to requests made from now on"),
            "{}",
            edit.body
        );
        // A policy is shown beside its own package only.
        let other = package_id(&app, "Marketing resources for employees").await;
        let pid = policy.rsplit('/').next().unwrap();
        let foreign = b
            .post(
                &app.url(routes::ADMIN_PACKAGE_POLICY.ids(&other, pid)),
                &[("csrf_token", &csrf), ("add", "question")],
            )
            .await;
        assert_eq!(foreign.status, 404, "{}", foreign.body);
        // A date chrono accepts but storage could not sort is refused, not stored.
        let far = b
            .post(
                &app.url(format!("{package}/policies")),
                &[
                    ("csrf_token", &csrf),
                    ("policy_name", "Far"),
                    ("scope", "notSpecified"),
                    ("expiration_type", "date"),
                    ("expiration_date", "+10000-01-01"),
                    ("q_count", "0"),
                ],
            )
            .await;
        assert_eq!(far.status, 422);
        assert!(far.has("Give a date before the year 10000."));
        // Questions: a blank row is ignored, a removed one is dropped, errors name their row.
        let q = b
            .post(
                &app.url(format!("{package}/policies")),
                &[
                    ("csrf_token", &csrf),
                    ("policy_name", "With questions"),
                    ("scope", "allMemberUsers"),
                    ("enable_requests", "on"),
                    ("expiration_type", "never"),
                    ("q_count", "3"),
                    ("q0_text", "Kept"),
                    ("q0_kind", "short"),
                    ("q1_text", ""),
                    ("q2_text", "Bad pattern"),
                    ("q2_kind", "long"),
                    ("q2_regex", "[a-"),
                ],
            )
            .await;
        assert_eq!(q.status, 422);
        assert!(q.has(r#"id="question2-regex-error">The regular expression is not valid"#));
        assert!(
            q.has(r#"value="[a-" aria-invalid="true" aria-describedby="question2-regex-error">"#),
            "the pattern's field names its error: {}",
            q.body
        );
        assert!(
            q.has(r#"name="q1_text" value="Bad pattern""#),
            "the bad row moved up, with its error"
        );
        assert!(
            q.has(r#"name="q_count" value="3""#),
            "two filled rows and one blank"
        );
        // Edit shows what was saved.
        let edit = b.get(&app.url(&policy)).await;
        assert!(edit.has(r#"name="expiration_hours" value="8""#));
        let disabled = b
            .post(
                &app.url(format!("{policy}/state")),
                &[("csrf_token", &csrf), ("action", "disable")],
            )
            .await;
        assert_eq!(disabled.status, 303);
        assert!(
            b.get(&app.url(format!("{package}/policies")))
                .await
                .has("Policy Admins only disabled.")
        );
        // Disabled, the policy assigns nobody, not even by an administrator's
        // hand; enabled again, it does. Then delete is refused, since the
        // policy has been used.
        let policy_id = policy.rsplit('/').next().unwrap().to_string();
        let form = b
            .get(&app.url(format!("{package}/assignments/new?policy={policy_id}")))
            .await;
        assert!(!form.has(&format!("value=\"{policy_id}\"")), "not offered");
        let assign = async || {
            b.post(
                &app.url(format!("{package}/assignments/new")),
                &[
                    ("csrf_token", &form.csrf()),
                    ("policy", &policy_id),
                    ("users", "eric.employee@gatehouse.demo"),
                    ("bypass", "on"),
                    ("justification", "Covers for the admins"),
                ],
            )
            .await
        };
        let refused = assign().await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.has("Choose an enabled policy of this package."));
        let enabled = b
            .post(
                &app.url(format!("{policy}/state")),
                &[("csrf_token", &csrf), ("action", "enable")],
            )
            .await;
        assert_eq!(enabled.status, 303);
        // An administrator's direct assignment mails nobody: Eric did not ask.
        let mailed = "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessDelivered' \
                      AND to_address = 'eric.employee@gatehouse.demo'";
        let before = count(&app, mailed).await;
        let assigned = assign().await;
        assert_eq!(assigned.status, 303, "{}", assigned.body);
        let package_id = package.rsplit('/').next().unwrap();
        let delivered = format!(
            "SELECT COUNT(*) FROM assignment_requests WHERE access_package_id = '{package_id}' \
             AND target_email = 'eric.employee@gatehouse.demo' AND state = 'delivered'"
        );
        assert_eq!(count(&app, &delivered).await, 1, "assigned, and delivered");
        assert_eq!(
            count(&app, mailed).await,
            before,
            "no \"you now have access\" mail"
        );
        b.post(
            &app.url(format!("{policy}/state")),
            &[("csrf_token", &csrf), ("action", "delete")],
        )
        .await;
        let refused = b.get(&app.url(format!("{package}/policies"))).await;
        assert!(
            refused.has("cannot be deleted: 1 request and 1 assignment were made under it."),
            "{}",
            refused.body
        );
        // The package cannot be deleted with an active assignment either.
        let deleted = b
            .post(
                &app.url(format!("{package}/delete")),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_ne!(deleted.status, 500);
        assert!(
            b.get(&app.url(format!("{package}/settings")))
                .await
                .has("cannot be deleted because it has 1 active assignment.")
        );
        // Once the assignment is removed, the policy still keeps its history,
        // but the package can go, its history kept in the audit log.
        let tab = b.get(&app.url(format!("{package}/assignments"))).await;
        let at = tab.body.find("/remove\"").expect("a remove button");
        let start = tab.body[..at].rfind("action=\"").unwrap() + 8;
        let remove = tab.body[start..at + 7].to_string();
        let removed = b
            .post(&app.url(&remove), &[("csrf_token", &tab.csrf())])
            .await;
        assert_eq!(removed.status, 303);
        b.post(
            &app.url(format!("{policy}/state")),
            &[("csrf_token", &csrf), ("action", "delete")],
        )
        .await;
        assert!(
            b.get(&app.url(format!("{package}/policies")))
                .await
                .has("Disable it instead")
        );
        let gone = b
            .post(
                &app.url(format!("{package}/delete")),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(gone.status, 303, "{}", gone.body);
        assert_eq!(b.get(&app.url(&package)).await.status, 404);
        let package_id = package.rsplit('/').next().unwrap().to_string();
        let audit = b
            .get(&app.url(format!(
                "{}?object_type=accessPackage&object_id={package_id}",
                routes::ADMIN_AUDIT
            )))
            .await;
        assert!(audit.has("Delete access package"), "{}", audit.body);
        assert!(
            audit.has("eric.employee@gatehouse.demo"),
            "the history names the holder"
        );
    }
);

both!(package_settings_and_resource_roles, |backend| async move {
    let (app, b) = admin(backend).await;
    let list = b.get(&app.url(routes::ADMIN_PACKAGES.list)).await;
    let at = list
        .body
        .find(">Marketing resources for employees</a>")
        .expect("demo package");
    let start = list.body[..at]
        .rfind(&format!("{}/", routes::ADMIN_PACKAGES.list))
        .unwrap();
    let package = list.body[start..at - 1].to_string();
    let settings = b.get(&app.url(format!("{package}/settings"))).await;
    let csrf = settings.csrf();
    let unknown = b
        .post(
            &app.url(format!("{package}/settings")),
            &[
                ("csrf_token", &csrf),
                ("name", "Marketing resources for employees"),
                ("incompatible_packages", "No such package"),
            ],
        )
        .await;
    assert_eq!(unknown.status, 422);
    assert!(unknown.has("No access package is named No such package."));
    let saved = b
        .post(
            &app.url(format!("{package}/settings")),
            &[
                ("csrf_token", &csrf),
                ("name", "Marketing resources for employees"),
                ("hidden", "on"),
                ("incompatible_packages", "Marketing resources for guests"),
                ("incompatible_groups", "SG-Marketing-Department-GuestUsers"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let page = b.get(&app.url(format!("{package}/settings"))).await;
    assert!(page.has("Settings saved."));
    assert!(page.has(">Marketing resources for guests</textarea>"));
    assert!(page.has(">SG-Marketing-Department-GuestUsers</textarea>"));
    assert!(
        b.get(&app.url(&package))
            .await
            .has("Yes: not listed in My Access")
    );

    // Resource roles: add Slack Owner, then remove it.
    let roles = b.get(&app.url(format!("{package}/resource-roles"))).await;
    let value = select_value(&roles, "id=\"resource\"", "Slack: Owner");
    let added = b
        .post(
            &app.url(format!("{package}/resource-roles")),
            &[("csrf_token", &csrf), ("resource", &value)],
        )
        .await;
    assert_eq!(added.status, 303);
    let roles = b.get(&app.url(format!("{package}/resource-roles"))).await;
    assert!(roles.has("Resource role added."));
    assert!(roles.has("<td>Owner</td>"));
    let twice = b
        .post(
            &app.url(format!("{package}/resource-roles")),
            &[("csrf_token", &csrf), ("resource", &value)],
        )
        .await;
    assert_eq!(twice.status, 303);
    assert!(
        b.get(&app.url(format!("{package}/resource-roles")))
            .await
            .has("already grants the role Owner")
    );
    let roles = b.get(&app.url(format!("{package}/resource-roles"))).await;
    let at = roles.body.find("<td>Owner</td>").unwrap();
    let form_at = roles.body[at..].find("action=\"").unwrap() + at + 8;
    let action =
        roles.body[form_at..roles.body[form_at..].find('"').unwrap() + form_at].to_string();
    let removed = b.post(&app.url(&action), &[("csrf_token", &csrf)]).await;
    assert_eq!(removed.status, 303);
    assert!(
        !b.get(&app.url(format!("{package}/resource-roles")))
            .await
            .has("<td>Owner</td>")
    );
});

#[tokio::test]
async fn package_pages_are_for_admins_only() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "maria.manager@gatehouse.demo").await;
    assert_eq!(
        b.get(&app.url(routes::ADMIN_PACKAGES.list)).await.status,
        403
    );
    assert_eq!(
        b.get(&app.url(routes::ADMIN_PACKAGES.new)).await.status,
        403
    );
    let csrf = b.get(&app.url(routes::HOME)).await.csrf();
    assert_eq!(
        b.post(
            &app.url(routes::ADMIN_PACKAGES.new),
            &[("csrf_token", &csrf), ("go", "create")]
        )
        .await
        .status,
        403
    );
}

/// Posts the policy form of `package` (a path) to `to`, for members, with no
/// approval and access for 30 days; `mails_off` sets "Send no mails about
/// assignments".
async fn member_policy(
    app: &TestApp,
    b: &Browser,
    package: &str,
    to: &str,
    mails_off: bool,
) -> Page {
    let form = b.get(&app.url(format!("{package}/policies/new"))).await;
    let mut fields = vec![
        ("csrf_token", form.csrf()),
        ("policy_name", "Self-service".to_string()),
        ("scope", "allMemberUsers".into()),
        ("enabled", "on".into()),
        ("enable_requests", "on".into()),
        ("expiration_type", "days".into()),
        ("expiration_days", "30".into()),
        ("q_count", "0".into()),
    ];
    if mails_off {
        fields.push(("notifications_off", "on".into()));
    }
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(&app.url(to), &borrowed).await
}

/// `email` asks for `package` under `policy` from My Access; no approval.
async fn ask_under(app: &TestApp, email: &str, package: &AccessPackageId, policy: &str) {
    let who = Browser::new();
    app.demo_sign_in(&who, email).await;
    let form = who.get(&app.url(routes::PACKAGE.id(package))).await;
    let sent = who
        .post(
            &app.url(routes::PACKAGE.id(package)),
            &[
                ("csrf_token", &form.csrf()),
                ("policy", policy),
                ("justification", "Campaign"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
}

both!(
    a_policy_can_send_no_mails_about_assignments,
    |backend| async move {
        let (app, b) = admin(backend).await;
        let slack = package_named(&app, "Slack administration").await;
        let package = routes::ADMIN_PACKAGES.item.id(&slack);
        let made = member_policy(&app, &b, &package, &format!("{package}/policies"), true).await;
        assert_eq!(made.status, 303, "{}", made.body);
        let policy = policy_named(&app, &slack, "Self-service").await;
        let edit_url = app.url(routes::ADMIN_PACKAGE_POLICY.ids(&slack, &policy));
        let edit = b.get(&edit_url).await;
        assert!(
            edit.has(r#"name="notifications_off" value="on" aria-describedby="notifications_off-hint" checked"#),
            "the switch is kept: {}",
            edit.body
        );
        let delivered = |to: &str| {
            format!(
                "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessDelivered' AND to_address = '{to}'"
            )
        };

        // Eric gets access under it and is not mailed.
        ask_under(&app, "eric.employee@gatehouse.demo", &slack, &policy).await;
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM access_package_assignments a JOIN users u ON u.id = a.target_id WHERE u.email = 'eric.employee@gatehouse.demo' AND a.state = 'delivered'").await,
            1
        );
        assert_eq!(
            count(&app, &delivered("eric.employee@gatehouse.demo")).await,
            0
        );
        let ended = |to: &str| {
            format!(
                "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessEnded' AND to_address = '{to}'"
            )
        };
        crate::correctness::remove_assignment(&app, &b, &slack, "eric.employee@gatehouse.demo")
            .await;
        assert_eq!(count(&app, &ended("eric.employee@gatehouse.demo")).await, 0);

        // Mails back on: Emma, who gets access next, is mailed; the change is audited.
        let saved = member_policy(
            &app,
            &b,
            &package,
            &routes::ADMIN_PACKAGE_POLICY.ids(&slack, &policy),
            false,
        )
        .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        ask_under(&app, "emma.employee@gatehouse.demo", &slack, &policy).await;
        assert_eq!(
            count(&app, &delivered("emma.employee@gatehouse.demo")).await,
            1
        );
        crate::correctness::remove_assignment(&app, &b, &slack, "emma.employee@gatehouse.demo")
            .await;
        assert_eq!(count(&app, &ended("emma.employee@gatehouse.demo")).await, 1);
        let audit = b.get(&app.url(routes::ADMIN_AUDIT)).await;
        assert!(
            audit.has("Settings › Notification settings › Is assignment notification disabled"),
            "the policy's settings in the audit log say it: {}",
            audit.body
        );
    }
);

both!(
    a_policys_review_sums_up_the_form_as_typed_and_saves_nothing,
    |backend| async move {
        let (app, b) = admin(backend).await;
        let slack = package_named(&app, "Slack administration").await;
        let package = routes::ADMIN_PACKAGES.item.id(&slack);
        let policies = format!("{package}/policies");
        let made = member_policy(&app, &b, &package, &policies, true).await;
        assert_eq!(made.status, 303, "{}", made.body);
        let policy = policy_named(&app, &slack, "Self-service").await;
        let edit_url = routes::ADMIN_PACKAGE_POLICY.ids(&slack, &policy);
        let edit = b.get(&app.url(&edit_url)).await;
        assert!(
            edit.has(r#"name="add" value="review">Review</button>"#),
            "{}",
            edit.body
        );
        assert!(!edit.has("<h2>Review</h2>"), "summed up only when asked");

        // Review with a new name, 45 days and mails back on: summed up as
        // typed, the Review step first, nothing saved.
        let reviewed = b
            .post(
                &app.url(&edit_url),
                &[
                    ("csrf_token", edit.csrf().as_str()),
                    ("add", "review"),
                    ("policy_name", "Self-service for all"),
                    ("scope", "allMemberUsers"),
                    ("enabled", "on"),
                    ("enable_requests", "on"),
                    ("expiration_type", "days"),
                    ("expiration_days", "45"),
                    ("q_count", "1"),
                    ("q0_text", "Which team?"),
                ],
            )
            .await;
        assert_eq!(reviewed.status, 200, "{}", reviewed.body);
        for line in [
            "<dt>Policy</dt><dd>Self-service for all</dd>",
            "<dt>Expiration</dt><dd>After 45 days</dd>",
            "<dt>Questions</dt><dd>Which team?</dd>",
            "<dt>Approval</dt><dd>Not required</dd>",
        ] {
            assert!(reviewed.has(line), "{line}: {}", reviewed.body);
        }
        assert!(
            !reviewed.has("Mails about assignments"),
            "mails are on as typed"
        );
        let review_at = reviewed.body.find("<h2>Review</h2>").unwrap();
        assert!(review_at < reviewed.body.find(r#"id="step-basics""#).unwrap());
        assert!(reviewed.has(r#"name="policy_name" value="Self-service for all""#));
        let again = b.get(&app.url(&edit_url)).await;
        assert!(
            again.has(r#"name="policy_name" value="Self-service""#),
            "not saved"
        );
        assert!(again.has(r#"name="expiration_days" value="30""#));

        // A new policy reviewed is not created either.
        let new = b.get(&app.url(format!("{package}/policies/new"))).await;
        let before = count(&app, "SELECT COUNT(*) FROM assignment_policies").await;
        let reviewed = b
            .post(
                &app.url(&policies),
                &[
                    ("csrf_token", new.csrf().as_str()),
                    ("add", "review"),
                    ("policy_name", "Contractors"),
                    ("scope", "allMemberUsers"),
                    ("expiration_type", "never"),
                ],
            )
            .await;
        assert_eq!(reviewed.status, 200, "{}", reviewed.body);
        assert!(
            reviewed.has("<dt>Expiration</dt><dd>Never</dd>"),
            "{}",
            reviewed.body
        );
        assert!(reviewed.has("Create policy keeps these settings"));
        let after = count(&app, "SELECT COUNT(*) FROM assignment_policies").await;
        assert_eq!(before, after);
    }
);

/// A wizard step whose draft the wizard did not write, and a policy button
/// naming no action it offers, are refused with a message; nothing changes.
#[tokio::test]
async fn forms_the_console_did_not_write_are_refused() {
    let (app, b) = admin(Backend::Sqlite).await;
    let page = b.get(&app.url(routes::ADMIN_PACKAGES.new)).await;
    let csrf = page.csrf();
    let forged = [
        ("csrf_token", csrf.as_str()),
        ("draft", "{not the wizard's"),
        ("step", "basics"),
        ("go", "next"),
        ("name", "Forged package"),
    ];
    let refused = b.post(&app.url(routes::ADMIN_PACKAGES.new), &forged).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("start again from New access package"),
        "{}",
        refused.body
    );

    let (guests, policy) = guests_package(&app).await;
    let state = app.url(routes::ADMIN_PACKAGE_POLICY_STATE.ids(&guests, &policy));
    let refused = b
        .post(
            &state,
            &[("csrf_token", csrf.as_str()), ("action", "archive")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("enable"), "{}", refused.body);
    let policies = b
        .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&guests)))
        .await;
    assert!(
        policies
            .body
            .contains("Policy for regular guest and new guest users"),
        "the policy is still there"
    );
    assert!(
        policies.body.contains(">Disable</button>"),
        "and still enabled"
    );
}
