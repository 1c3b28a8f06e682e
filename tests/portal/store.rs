//! Storage on both backends.

use gatehouse::domain::audit::{Actor, NewAuditEvent};
use gatehouse::domain::ids::{PolicyId, UserId};
use gatehouse::domain::user::{Email, UserProfile, UserState, UserType};
use gatehouse::store::{PageAt, Store, StoreError, audit, users};

use crate::both;
use crate::helpers::*;

fn profile(name: &str, email: &str) -> UserProfile {
    UserProfile {
        user_type: UserType::Guest,
        display_name: name.into(),
        given_name: None,
        surname: None,
        email: Email::parse(email).unwrap(),
        job_title: Some("Analyst".into()),
        department: None,
        custom_attributes: [("costCenter".to_string(), "42".to_string())].into(),
        state: UserState::Active,
    }
}

both!(
    users_round_trip_and_emails_are_unique,
    |backend| async move {
        let store = Store::connect(&fresh_database(backend).await)
            .await
            .unwrap();
        let now = chrono::Utc::now();
        let id = UserId::new();
        let mut tx = store.begin().await.unwrap();
        users::insert(
            &mut tx,
            &id,
            &profile("Zoë 100% _real_", "Zoe@Example.test"),
            None,
            now,
        )
        .await
        .unwrap();
        users::insert_identity(&mut tx, "https://idp.test", "sub-1", &id, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut c = store.read().await.unwrap();
        let u = users::find_by_email(&mut c, "zoe@example.TEST")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u.display_name, "Zoë 100% _real_");
        assert!(u.is_guest());
        assert_eq!(
            u.custom_attributes.get("costCenter").map(String::as_str),
            Some("42")
        );
        assert_eq!(
            users::find_by_identity(&mut c, "https://idp.test", "sub-1")
                .await
                .unwrap()
                .unwrap()
                .id,
            id
        );
        assert!(
            users::find_by_identity(&mut c, "https://other.test", "sub-1")
                .await
                .unwrap()
                .is_none()
        );
        // LIKE wildcards in a search are literal.
        assert_eq!(
            users::search(&mut c, "100%", PageAt::first(10))
                .await
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            users::search(&mut c, "0%_", PageAt::first(10))
                .await
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            users::search(&mut c, "ZOË", PageAt::first(10))
                .await
                .unwrap()
                .total,
            1,
            "case-insensitive beyond ASCII"
        );
        drop(c);
        let mut tx = store.begin().await.unwrap();
        users::insert(
            &mut tx,
            &UserId::new(),
            &profile("Élodie Durand", "elodie@example.test"),
            None,
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut c = store.read().await.unwrap();
        assert_eq!(
            users::search(&mut c, "élodie", PageAt::first(10))
                .await
                .unwrap()
                .total,
            1,
            "an accented capital is found in lower case on both backends"
        );
        sqlx::query("DELETE FROM users WHERE email_lower = 'elodie@example.test'")
            .execute(&mut *c)
            .await
            .unwrap();
        drop(c);

        // Same email in other case: a conflict, and the transaction leaves nothing behind.
        let mut tx = store.begin().await.unwrap();
        let err = users::insert(
            &mut tx,
            &UserId::new(),
            &profile("Other", "ZOE@example.test"),
            None,
            now,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        drop(tx);
        let mut c = store.read().await.unwrap();
        assert_eq!(users::count(&mut c).await.unwrap(), 1);
    }
);

both!(the_audit_log_is_append_only, |backend| async move {
    let store = Store::connect(&fresh_database(backend).await)
        .await
        .unwrap();
    let mut tx = store.begin().await.unwrap();
    let event = NewAuditEvent {
        action: "Create user".into(),
        object_type: "user",
        object_id: "u1".into(),
        object_name: "U".into(),
        details: serde_json::json!({"a": 1}),
    };
    audit::record(&mut tx, &Actor::system(), &event, chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut c = store.read().await.unwrap();
    for sql in [
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
    ] {
        let res = sqlx::query(sql).execute(&mut *c).await;
        assert!(res.is_err(), "{sql} must be refused");
    }
    let page = audit::list(&mut c, &Default::default(), PageAt::first(10))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].action, "Create user");
});

both!(
    migrations_are_idempotent_and_the_session_key_is_kept,
    |backend| async move {
        let url = fresh_database(backend).await;
        let store = Store::connect(&url).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let first = gatehouse::store::settings::get_or_insert(&mut tx, "session_key", "one")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
        let again = Store::connect(&url).await.unwrap();
        let mut tx = again.begin().await.unwrap();
        let second = gatehouse::store::settings::get_or_insert(&mut tx, "session_key", "two")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(first, "one");
        assert_eq!(second, "one", "a later instance keeps the first key");
    }
);

both!(
    policies_round_trip_with_every_setting,
    |backend| async move {
        use gatehouse::domain::catalog::{CatalogProfile, CatalogState, Localization};
        use gatehouse::domain::ids::{AccessPackageId, CatalogId, ConnectedOrgId, GroupId};
        use gatehouse::domain::policy::*;
        use gatehouse::store::{catalogs, packages, policies};

        let store = Store::connect(&fresh_database(backend).await)
            .await
            .unwrap();
        let now = chrono::Utc::now();
        let catalog = CatalogId::new();
        let package = AccessPackageId::new();
        let approver = UserId::new();
        let mut tx = store.begin().await.unwrap();
        users::insert(
            &mut tx,
            &approver,
            &profile("Approver", "approver@example.test"),
            None,
            now,
        )
        .await
        .unwrap();
        let cp = CatalogProfile {
            display_name: "Marketing".into(),
            description: None,
            state: CatalogState::Published,
            is_externally_visible: true,
        };
        catalogs::insert(&mut tx, &catalog, &cp, now).await.unwrap();
        packages::insert(
            &mut tx,
            &package,
            &catalog,
            "Marketing resources for guests",
            None,
            true,
            now,
        )
        .await
        .unwrap();
        let stage = |primary: Vec<Approver>| ApprovalStage {
            duration_before_automatic_denial_days: 14,
            is_approver_justification_required: true,
            primary_approvers: primary,
            fallback_primary_approvers: vec![Approver::GroupMembers(GroupId::new())],
            is_escalation_enabled: true,
            duration_before_escalation_days: 3,
            escalation_approvers: vec![Approver::SingleUser(approver.clone())],
            fallback_escalation_approvers: vec![Approver::GroupMembers(GroupId::new())],
        };
        let policy = Policy {
            display_name: "Policy for regular guest and new guest users".into(),
            description: Some("Guests and new guests".into()),
            enabled: true,
            allowed_target_scope: AllowedTargetScope::SpecificConnectedOrganizationUsers,
            specific_allowed_targets: vec![SubjectSet::ConnectedOrganizationMembers(
                ConnectedOrgId::new(),
            )],
            requestor: RequestorSettings {
                enable_targets_to_self_add_access: true,
                enable_targets_to_self_update_access: true,
                enable_targets_to_self_remove_access: false,
                allow_custom_assignment_schedule: true,
                enable_on_behalf_requestors_to_add_access: false,
            },
            approval: ApprovalSettings {
                show_approvers: Some(false),
                is_approval_required_for_add: true,
                is_approval_required_for_update: true,
                is_requestor_justification_required: false,
                stages: vec![
                    stage(vec![Approver::SingleUser(approver.clone())]),
                    stage(vec![Approver::ExternalSponsors]),
                ],
            },
            questions: vec![
                Question {
                    sequence: 1,
                    text: "What country are you working from?".into(),
                    localizations: vec![],
                    is_required: true,
                    is_answer_editable: true,
                    kind: QuestionKind::MultipleChoice {
                        choices: vec![Choice {
                            actual_value: "KE".into(),
                            text: "Kenya".into(),
                            localizations: vec![],
                        }],
                        is_multiple_selection_allowed: false,
                    },
                },
                Question {
                    sequence: 2,
                    text: "What do you do for work?".into(),
                    localizations: vec![Localization {
                        language_code: "fr-CA".into(),
                        text: "Que fais-tu comme travail?".into(),
                    }],
                    is_required: true,
                    is_answer_editable: true,
                    kind: QuestionKind::Text {
                        is_single_line: false,
                        regex_pattern: Some("[a-zA-Z]+[a-zA-Z\\s]*".into()),
                    },
                },
            ],
            expiration: Expiration::AfterDays(180),
            assignment_notifications: true,
            automatic: None,
        };
        policy.validate(now).expect("the policy is valid");
        policies::insert(
            &mut tx,
            &PolicyId::parse("11111111-1111-4111-8111-111111111111").unwrap(),
            &package,
            &policy,
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let mut c = store.read().await.unwrap();
        let stored = policies::for_package(&mut c, &package).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(
            stored[0].1, policy,
            "every setting comes back as it was saved"
        );
        let p = packages::get(&mut c, &package).await.unwrap().unwrap();
        assert!(p.is_hidden);
        drop(c);

        // Updating replaces the targets and settings.
        let mut changed = policy.clone();
        changed.allowed_target_scope = AllowedTargetScope::AllMemberUsers;
        changed.specific_allowed_targets = vec![];
        changed.approval.stages = vec![stage(vec![Approver::RequestorManager])];
        changed.expiration = Expiration::AfterHours(8);
        changed.enabled = false;
        let mut tx = store.begin().await.unwrap();
        policies::update(
            &mut tx,
            &PolicyId::parse("11111111-1111-4111-8111-111111111111").unwrap(),
            &changed,
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut c = store.read().await.unwrap();
        assert_eq!(
            policies::for_package(&mut c, &package).await.unwrap()[0].1,
            changed
        );
    }
);
