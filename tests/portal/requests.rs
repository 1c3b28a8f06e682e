//! The request engine: submitting, policy choice, approvers, first decision wins.

use gatehouse::domain::ids::{AccessPackageId, PolicyId};
use gatehouse::domain::request::PeriodInput;
use gatehouse::domain::request::RequestState;
use gatehouse::domain::user::{Person, User};
use gatehouse::service::ServiceError;
use gatehouse::service::requests::{RequestInput, decide, submit};

use crate::both;
use crate::helpers::*;

async fn user(app: &TestApp, email: &str) -> User {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::users::find_by_email(&mut c, email)
        .await
        .unwrap()
        .unwrap()
}

/// The package and its policy ids, by policy name.
async fn package(app: &TestApp, name: &str) -> (AccessPackageId, Vec<(String, String)>) {
    let mut c = app.store.read().await.unwrap();
    let id = gatehouse::store::packages::ids_by_name(&mut c, name)
        .await
        .unwrap()
        .remove(0);
    let id = AccessPackageId::parse(&id).unwrap();
    let policies = gatehouse::store::policies::for_package(&mut c, &id)
        .await
        .unwrap();
    (
        id,
        policies
            .into_iter()
            .map(|(pid, p)| (p.display_name, pid))
            .collect(),
    )
}

fn refused(r: Result<impl std::fmt::Debug, ServiceError>) -> String {
    match r {
        Err(ServiceError::Refused(m)) => m,
        Err(ServiceError::Invalid(e)) => e
            .iter()
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>()
            .join(" "),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

both!(requests_are_submitted_and_decided, |backend| async move {
    let app = spawn(Options::new(backend).demo()).await;
    let now = chrono::Utc::now();
    let eric = user(&app, "eric.employee@gatehouse.demo").await;
    let emma = user(&app, "emma.employee@gatehouse.demo").await;
    let maria = user(&app, "maria.manager@gatehouse.demo").await;
    let gary = user(&app, "gary.guest@contoso.com").await;
    let (employees, employee_policies) = package(&app, "Marketing resources for employees").await;

    // Justification is required by the employees' policy.
    let msg = refused(
        submit(
            &app.store,
            &Person::User(eric.clone()),
            &employees,
            &input(policy(&employee_policies, "Initial policy"), None),
            now,
        )
        .await,
    );
    assert!(msg.contains("business justification is required"), "{msg}");
    let r = submit(
        &app.store,
        &Person::User(eric.clone()),
        &employees,
        &input(
            policy(&employee_policies, "Initial policy"),
            Some("Campaign work"),
        ),
        now,
    )
    .await
    .unwrap();
    assert_eq!(r.state, RequestState::PendingApproval);
    let mut c = app.store.read().await.unwrap();
    let approvers = gatehouse::store::requests::stage_approvers(&mut c, &r.id, 1)
        .await
        .unwrap();
    assert_eq!(
        approvers,
        vec![maria.id.to_string()],
        "the requestor's manager approves"
    );
    drop(c);
    let dup = refused(
        submit(
            &app.store,
            &Person::User(eric.clone()),
            &employees,
            &input(policy(&employee_policies, "Initial policy"), Some("again")),
            now,
        )
        .await,
    );
    assert!(dup.contains("already have an open request"));
    // A guest is not in "all members".
    let out = refused(
        submit(
            &app.store,
            &Person::User(gary.clone()),
            &employees,
            &input(policy(&employee_policies, "Initial policy"), Some("x")),
            now,
        )
        .await,
    );
    assert!(out.contains("not in the scope"), "{out}");

    // Decisions: not one's own, only the stage's approvers, a reason where required.
    assert!(
        refused(decide(&app.store, &eric, &r.id, true, Some("me"), now).await)
            .contains("own request")
    );
    assert!(
        refused(decide(&app.store, &emma, &r.id, true, Some("ok"), now).await)
            .contains("not an approver")
    );
    assert!(
        refused(decide(&app.store, &maria, &r.id, true, None, now).await).contains("Give a reason")
    );

    // Two decisions at once (both approvals, so that what follows does not
    // depend on which one wins): exactly one is recorded, the other refused.
    let (a, b) = tokio::join!(
        decide(&app.store, &maria, &r.id, true, Some("Welcome"), now),
        decide(&app.store, &maria, &r.id, true, Some("Welcome too"), now)
    );
    let wins = [&a, &b].iter().filter(|x| x.is_ok()).count();
    assert_eq!(wins, 1, "{a:?} / {b:?}");
    let loser = if a.is_ok() { b } else { a };
    assert!(refused(loser).contains("already"));
    let mut c = app.store.read().await.unwrap();
    let decisions = gatehouse::store::requests::decisions(&mut c, &r.id)
        .await
        .unwrap();
    assert_eq!(decisions.len(), 1);
    let row = gatehouse::store::requests::get(&mut c, &r.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, RequestState::Delivered);
    {
        // Delivered in the same transaction: the groups, the app role and the site role.
        let held = gatehouse::store::directory::roles_held_by(&mut c, &eric.id)
            .await
            .unwrap();
        let names: Vec<String> = held
            .iter()
            .map(|h| format!("{}/{}", h.resource_name, h.role))
            .collect();
        for want in [
            "SG-Marketing-Department-InternalUsers/member",
            "Slack/User",
            "Marketing/member",
            "Marketing Team/member",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        let assignments: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_package_assignments WHERE target_id = $1 AND state = 'delivered'",
        )
        .bind(eric.id.as_str())
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!(assignments, 1);
    }
});

both!(
    the_strictest_policy_decides_and_denials_end_requests,
    |backend| async move {
        let app = spawn(Options::new(backend).demo()).await;
        let now = chrono::Utc::now();
        let gary = user(&app, "gary.guest@contoso.com").await;
        let emma = user(&app, "emma.employee@gatehouse.demo").await;
        let maria = user(&app, "maria.manager@gatehouse.demo").await;
        let (guests, guest_policies) = package(&app, "Marketing resources for guests").await;
        // Gary is from Contoso: only the Contoso policy (tier 1) is his, and it needs no approval.
        let general = refused(
            submit(
                &app.store,
                &Person::User(gary.clone()),
                &guests,
                &input(
                    policy(
                        &guest_policies,
                        "Policy for regular guest and new guest users",
                    ),
                    None,
                ),
                now,
            )
            .await,
        );
        assert!(
            general.contains("Choose one of the policies offered"),
            "{general}"
        );
        let r = submit(
            &app.store,
            &Person::User(gary.clone()),
            &guests,
            &RequestInput {
                attributes: [
                    ("attr_jobTitle".to_string(), "Art director".to_string()),
                    ("attr_costCenter".to_string(), "C-7".to_string()),
                ]
                .into(),
                ..input(policy(&guest_policies, "Policy for Contoso"), None)
            },
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            r.state,
            RequestState::Delivered,
            "no approval needed: delivered at once"
        );
        // The attribute values were written to Gary's account.
        let gary_now = user(&app, "gary.guest@contoso.com").await;
        assert_eq!(gary_now.job_title.as_deref(), Some("Art director"));
        assert_eq!(
            gary_now
                .custom_attributes
                .get("costCenter")
                .map(String::as_str),
            None,
            "only the attributes the package requires are written"
        );

        let (hidden, hidden_policies) = package(&app, "Slack administration").await;
        let r = submit(
            &app.store,
            &Person::User(emma.clone()),
            &hidden,
            &input(
                policy(&hidden_policies, "Initial policy"),
                Some("I run Slack"),
            ),
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            decide(&app.store, &maria, &r.id, false, Some("Not you"), now)
                .await
                .unwrap(),
            RequestState::Denied
        );
        let late = refused(
            decide(
                &app.store,
                &maria,
                &r.id,
                true,
                Some("Changed my mind"),
                now,
            )
            .await,
        );
        assert_eq!(late, "The request is already denied.");
        // A denied request is no longer open: Emma may ask again.
        assert!(
            submit(
                &app.store,
                &Person::User(emma.clone()),
                &hidden,
                &input(policy(&hidden_policies, "Initial policy"), Some("Please")),
                now
            )
            .await
            .is_ok()
        );
        let audit = {
            let mut c = app.store.read().await.unwrap();
            let f = gatehouse::store::audit::AuditFilter {
                object_type: Some("accessPackage".into()),
                ..Default::default()
            };
            gatehouse::store::audit::list(&mut c, &f, gatehouse::store::PageAt::first(50))
                .await
                .unwrap()
        };
        assert!(
            audit
                .items
                .iter()
                .any(|e| e.action == "Deny access package assignment request")
        );
        assert!(
            audit
                .items
                .iter()
                .any(|e| e.action == "User requests access package assignment")
        );
    }
);

fn policy<'a>(list: &'a [(String, String)], name: &str) -> &'a str {
    &list
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("policy {name}"))
        .1
}

fn input<'a>(policy: &'a str, justification: Option<&'a str>) -> RequestInput<'a> {
    RequestInput {
        policy: PolicyId::parse(policy),
        justification,
        answers: Default::default(),
        attributes: Default::default(),
        period: PeriodInput::NONE,
    }
}

both!(
    stages_run_in_order_and_fallbacks_stand_in,
    |backend| async move {
        use gatehouse::domain::policy::*;
        let app = spawn(Options::new(backend).demo()).await;
        let now = chrono::Utc::now();
        let eric = user(&app, "eric.employee@gatehouse.demo").await;
        let gary = user(&app, "gary.guest@contoso.com").await;
        let maria = user(&app, "maria.manager@gatehouse.demo").await;
        let ada = user(&app, "ada.admin@gatehouse.demo").await;
        let (hidden, _) = package(&app, "Slack administration").await;
        let stage = |primary: Vec<Approver>, fallback: Vec<Approver>| ApprovalStage {
            duration_before_automatic_denial_days: 7,
            is_approver_justification_required: false,
            primary_approvers: primary,
            fallback_primary_approvers: fallback,
            is_escalation_enabled: false,
            duration_before_escalation_days: 0,
            escalation_approvers: vec![],
            fallback_escalation_approvers: vec![],
        };
        // Specific users win over "all members": Eric and Gary get this two-stage policy.
        let policy = Policy {
            display_name: "Two stages".into(),
            description: None,
            enabled: true,
            allowed_target_scope: AllowedTargetScope::SpecificDirectoryUsers,
            specific_allowed_targets: vec![
                SubjectSet::SingleUser(eric.id.clone()),
                SubjectSet::SingleUser(gary.id.clone()),
            ],
            requestor: RequestorSettings {
                enable_targets_to_self_add_access: true,
                ..Default::default()
            },
            approval: ApprovalSettings {
                show_approvers: None,
                is_approval_required_for_add: true,
                stages: vec![
                    stage(
                        vec![Approver::RequestorManager],
                        vec![Approver::SingleUser(ada.id.clone())],
                    ),
                    stage(vec![Approver::SingleUser(ada.id.clone())], vec![]),
                ],
                ..Default::default()
            },
            questions: vec![],
            expiration: Expiration::NoExpiration,
            assignment_notifications: true,
            automatic: None,
        };
        policy.validate(now).unwrap();
        let actor = gatehouse::domain::audit::Actor::system();
        let pid =
            gatehouse::service::packages::add_policy(&app.store, &actor, &hidden, &policy, now)
                .await
                .unwrap();
        assert!(
            refused(
                submit(
                    &app.store,
                    &Person::User(eric.clone()),
                    &hidden,
                    &input(
                        policy_id_other(&app, &hidden, pid.as_str()).await.as_str(),
                        Some("x")
                    ),
                    now
                )
                .await
            )
            .contains("Choose one of the policies offered"),
            "the stricter tier hides the general policy"
        );

        // Eric: stage 1 his manager Maria, then stage 2 Ada.
        let r = submit(
            &app.store,
            &Person::User(eric.clone()),
            &hidden,
            &input(pid.as_str(), None),
            now,
        )
        .await
        .unwrap();
        let mut c = app.store.read().await.unwrap();
        assert_eq!(
            gatehouse::store::requests::stage_approvers(&mut c, &r.id, 1)
                .await
                .unwrap(),
            vec![maria.id.to_string()]
        );
        drop(c);
        assert!(
            refused(decide(&app.store, &ada, &r.id, true, None, now).await)
                .contains("not an approver"),
            "stage 2 waits"
        );
        assert_eq!(
            decide(&app.store, &maria, &r.id, true, None, now)
                .await
                .unwrap(),
            RequestState::PendingApproval
        );
        assert!(
            refused(decide(&app.store, &maria, &r.id, true, None, now).await)
                .contains("not an approver")
        );
        assert_eq!(
            decide(&app.store, &ada, &r.id, true, None, now)
                .await
                .unwrap(),
            RequestState::Delivered
        );

        // Gary has no manager: the fallback approver stands in.
        let r = submit(
            &app.store,
            &Person::User(gary.clone()),
            &hidden,
            &input(pid.as_str(), None),
            now,
        )
        .await
        .unwrap();
        let mut c = app.store.read().await.unwrap();
        assert_eq!(
            gatehouse::store::requests::stage_approvers(&mut c, &r.id, 1)
                .await
                .unwrap(),
            vec![ada.id.to_string()]
        );
    }
);

/// The id of the package's policy other than `pid`.
async fn policy_id_other(app: &TestApp, package: &AccessPackageId, pid: &str) -> String {
    let mut c = app.store.read().await.unwrap();
    gatehouse::store::policies::for_package(&mut c, package)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .find(|id| id != pid)
        .unwrap()
}
