//! Access reviews on a moved clock: set on a policy's Lifecycle step,
//! started by the jobs with every holder, decided from My Access, reminded,
//! and applied at the end, with mail through the outbox.

use chrono::Duration;
use gatehouse::clock::Clock;
use gatehouse::domain::catalog::OriginSystem;
use gatehouse::domain::ids::AccessPackageId;
use gatehouse::domain::policy::Expiration;
use gatehouse::routes;

use crate::both;
use crate::correctness::{catalog, demo, member_policy, package_with, request};
use crate::helpers::*;
use crate::races::{SeatApproval, TEAM, in_turn, team_seat};

const ERIC: &str = "eric.employee@gatehouse.demo";
const EMMA: &str = "emma.employee@gatehouse.demo";
const MARIA: &str = "maria.manager@gatehouse.demo";
const ADA: &str = "ada.admin@gatehouse.demo";

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let b = Browser::new();
    app.demo_sign_in(&b, email).await;
    b
}

/// A package granting the Marketing Team group, under one policy for every
/// member, with no approval.
async fn package(app: &TestApp, clock: &Clock, name: &str) -> AccessPackageId {
    let cat = catalog(
        app,
        clock,
        &format!("{name} catalog"),
        false,
        &[(OriginSystem::AadGroup, "Marketing Team")],
    )
    .await;
    package_with(
        app,
        clock,
        &cat,
        name,
        &[("Marketing Team", "member")],
        &member_policy("Everyone", vec![], Expiration::NoExpiration),
    )
    .await
}

/// The package's "Everyone" policy's page: its path, and the form.
async fn everyone_policy(
    app: &TestApp,
    admin: &Browser,
    package: &AccessPackageId,
) -> (String, Page) {
    let policies = admin
        .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(package)))
        .await;
    let at = policies.body.find(">Everyone</a>").expect("the policy");
    let start = policies.body[..at].rfind("href=\"").unwrap() + 6;
    let edit = html_unescape(&policies.body[start..at - 1]);
    let form = admin.get(&app.url(&edit)).await;
    (edit, form)
}

/// Saves the package's "Everyone" policy with these review settings; with
/// none, reviews are off.
async fn set_reviews(
    app: &TestApp,
    admin: &Browser,
    package: &AccessPackageId,
    review: &[(&str, &str)],
) -> Page {
    let (edit, form) = everyone_policy(app, admin, package).await;
    assert!(form.has("Require access reviews"), "{}", form.body);
    let csrf = form.csrf();
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("policy_name", "Everyone"),
        ("scope", "allMemberUsers"),
        ("enabled", "on"),
        ("enable_requests", "on"),
        ("expiration_type", "never"),
        ("q_count", "0"),
        ("rv_posted", "1"),
    ];
    // No settings turn reviews off.
    if !review.is_empty() {
        fields.push(("rv_enabled", "on"));
    }
    fields.extend_from_slice(review);
    admin.post(&app.url(&edit), &fields).await
}

/// Sets the organization's time zone in Settings (its domain unchanged).
async fn organization_zone(app: &TestApp, admin: &Browser, zone: &str) -> Page {
    let page = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
    let form = [
        ("csrf_token", page.csrf()),
        ("domains", "gatehouse.demo".into()),
        ("time_zone", zone.into()),
        ("collaboration", "anyDomain".into()),
    ];
    let form = form.each_ref().map(|(k, v)| (*k, v.as_str()));
    admin
        .post(&app.url(routes::ADMIN_SETTINGS_ORGANIZATION), &form)
        .await
}

async fn outbox(app: &TestApp) -> Page {
    signed_in(app, ADA)
        .await
        .get(&app.url(routes::ADMIN_MAIL))
        .await
}

both!(
    a_policys_review_switches_show_as_saved,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let package = package(&app, &clock, "Reviewed tools").await;
        let day = (clock.now() + Duration::days(40))
            .format("%Y-%m-%d")
            .to_string();
        let mut review = vec![
            ("rv_start", day.as_str()),
            ("rv_recurrence", "monthly"),
            ("rv_duration", "10"),
            ("rv_reviewers", "manager"),
            ("rv_fallback_users", MARIA),
            ("rv_no_response", "keepAccess"),
        ];
        let switches = [
            "rv_sponsors",
            "rv_justification",
            "rv_recommendations",
            "rv_auto_apply",
        ];
        let saved = set_reviews(&app, &admin, &package, &review).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let (_, form) = everyone_policy(&app, &admin, &package).await;
        assert_eq!(form.ticked("rv_enabled"), Some(true), "{}", form.body);
        for off in switches {
            assert_eq!(form.ticked(off), Some(false), "{off} was saved off");
        }
        review.extend(switches.map(|on| (on, "on")));
        let saved = set_reviews(&app, &admin, &package, &review).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let (_, form) = everyone_policy(&app, &admin, &package).await;
        for on in switches {
            assert_eq!(form.ticked(on), Some(true), "{on} was saved on");
        }
    }
);

both!(
    a_review_is_started_decided_reminded_and_applied,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let package = package(&app, &clock, "Reviewed tools").await;
        let day = (clock.now() + Duration::days(40))
            .format("%Y-%m-%d")
            .to_string();
        let mut review = vec![
            ("rv_start", day.as_str()),
            ("rv_recurrence", "monthly"),
            ("rv_duration", "40"),
            ("rv_reviewers", "specific"),
            ("rv_users", MARIA),
            ("rv_no_response", "removeAccess"),
            ("rv_justification", "on"),
            ("rv_recommendations", "on"),
            ("rv_auto_apply", "on"),
        ];
        let bad = set_reviews(&app, &admin, &package, &review).await;
        assert_eq!(bad.status, 422);
        assert!(bad.has("A review lasts from 1 to 27 days"), "{}", bad.body);
        review[2] = ("rv_duration", "10");
        let saved = set_reviews(&app, &admin, &package, &review).await;
        assert_eq!(saved.status, 303, "{}", saved.body);

        // Eric, Emma and Ada hold the package; forty days later only Eric
        // signs in.
        for who in [ERIC, EMMA, ADA] {
            let b = signed_in(&app, who).await;
            assert_eq!(request(&app, &b, &package, &[]).await.status, 303);
        }
        clock.advance(Duration::days(40));
        signed_in(&app, ERIC).await;
        run_jobs(&app, &clock).await;
        let admin = signed_in(&app, ADA).await;
        let tab = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REVIEWS.id(&package)))
            .await;
        assert!(tab.has("0 of 3 decided"), "{}", tab.body);
        assert!(
            outbox(&app).await.has("Review who holds Reviewed tools by"),
            "Maria is asked by mail"
        );

        // Maria reviews from My Access.
        let maria = signed_in(&app, MARIA).await;
        let mine = maria.get(&app.url(routes::ACCESS_REVIEWS)).await;
        assert!(mine.has("Reviewed tools"), "{}", mine.body);
        let review_url = review_link(&mine);
        let page = maria.get(&app.url(&review_url)).await;
        assert!(
            page.has("Who keeps access to Reviewed tools?"),
            "{}",
            page.body
        );
        assert!(
            page.has("Deny: no sign-in for 30 days"),
            "Emma's recommendation"
        );
        let eric_id = user_named(&app, ERIC).await.id;
        let eric_row = {
            let mut c = app.store.read().await.unwrap();
            sqlx::query_scalar::<_, String>(
                "SELECT id FROM access_package_assignments WHERE target_id = $1",
            )
            .bind(eric_id.as_str())
            .fetch_one(&mut *c)
            .await
            .unwrap()
        };
        let approve = format!("{eric_row}:approve");
        let no_reason = maria
            .post(
                &app.url(&review_url),
                &[("csrf_token", &page.csrf()), ("row", &approve)],
            )
            .await;
        assert_eq!(no_reason.status, 422);
        // Beside the reason, not in a banner.
        assert!(
            no_reason.has(
                r#"<small class="field-error" id="reason-error">Give a reason to approve access.</small>"#
            ),
            "{}",
            no_reason.body
        );
        assert!(!no_reason.has(r#"role="alert""#), "{}", no_reason.body);
        let ok = maria
            .post(
                &app.url(&review_url),
                &[
                    ("csrf_token", &page.csrf()),
                    ("row", &approve),
                    ("reason", "Works on the launch"),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        // The first decision wins.
        let deny = format!("{eric_row}:deny");
        let again = maria
            .post(
                &app.url(&review_url),
                &[("csrf_token", &page.csrf()), ("row", &deny)],
            )
            .await;
        assert_eq!(again.status, 303);
        let page = maria.get(&app.url(&review_url)).await;
        assert!(page.has("Nothing changed: those were decided already."));
        assert!(page.has("Approved by Maria"), "{}", page.body);

        // Ada gives her access up meanwhile: nothing to decide for her.
        let ada = signed_in(&app, ADA).await;
        let active = ada
            .get(&app.url(format!("{}?view=active", routes::HOME)))
            .await;
        let gave_up = ada
            .post(
                &app.url(routes::PACKAGE_GIVE_UP.id(&package)),
                &[("csrf_token", active.csrf().as_str())],
            )
            .await;
        assert_eq!(gave_up.status, 303, "{}", gave_up.body);
        let page = maria.get(&app.url(&review_url)).await;
        assert!(
            page.has("Access ended: no decision needed"),
            "{}",
            page.body
        );

        // Nobody reviews their own access, nor a review they are not in.
        let eric = signed_in(&app, ERIC).await;
        assert_eq!(eric.get(&app.url(&review_url)).await.status, 404);

        // Half time: a reminder.
        clock.advance(Duration::days(5));
        run_jobs(&app, &clock).await;
        assert!(
            outbox(&app)
                .await
                .has("Reminder: review who holds Reviewed tools")
        );

        // The day before the end: another one (Emma is still undecided).
        clock.advance(Duration::days(4));
        run_jobs(&app, &clock).await;
        let reminders = count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reviewReminder'",
        )
        .await;
        assert_eq!(reminders, 2, "at half time and the day before the end");

        // The end: Emma, undecided, loses access; Eric keeps it.
        clock.advance(Duration::days(2));
        run_jobs(&app, &clock).await;
        assert!(!has(
            &held_by(&app, EMMA).await,
            "Group Marketing Team member"
        ));
        assert!(has(
            &held_by(&app, ERIC).await,
            "Group Marketing Team member"
        ));
        let admin = signed_in(&app, ADA).await;
        let tab = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REVIEWS.id(&package)))
            .await;
        assert!(tab.has("Applied"), "{}", tab.body);
        let details_url = details_link(&tab);
        let details = admin.get(&app.url(&details_url)).await;
        assert!(
            details.has("Access removed") && details.has("Access kept"),
            "{}",
            details.body
        );
        assert!(details.has("Works on the launch"));
        assert!(
            outbox(&app)
                .await
                .has("an access review found it is no longer needed")
        );
        let csv = admin
            .get(&app.url(format!("{details_url}/decisions.csv")))
            .await;
        assert!(csv.has("Works on the launch"), "{}", csv.body);
        // Decisions read as on the page, not as stored.
        assert!(
            csv.has(",Approved,") && !csv.has(",approve,"),
            "{}",
            csv.body
        );

        // After the end, decisions are refused.
        let maria = signed_in(&app, MARIA).await;
        let page = maria.get(&app.url(&review_url)).await;
        assert!(page.has("This review has ended"), "{}", page.body);
        let late = maria
            .post(
                &app.url(&review_url),
                &[
                    ("csrf_token", &page.csrf()),
                    ("row", &deny),
                    ("reason", "Too late"),
                ],
            )
            .await;
        assert_eq!(late.status, 422);
        assert!(late.has("decisions are no longer taken"), "{}", late.body);
    }
);

both!(
    a_self_review_asks_the_holder_and_an_administrator_applies_or_stops,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let package = package(&app, &clock, "Self reviewed").await;
        let today = clock.now().format("%Y-%m-%d").to_string();
        let mut review = weekly_self_review(&today).to_vec();
        review.push(("rv_recommendations", "on"));
        let saved = set_reviews(&app, &admin, &package, &review).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &package, &[]).await;
        let emma = signed_in(&app, EMMA).await;
        request(&app, &emma, &package, &[]).await;
        run_jobs(&app, &clock).await;
        // Reviews turned off and on again start no second review of the week.
        let reviews = app.url(routes::ADMIN_PACKAGE_REVIEWS.id(&package));
        let started = admin
            .get(&reviews)
            .await
            .body
            .matches("In progress")
            .count();
        assert_eq!(set_reviews(&app, &admin, &package, &[]).await.status, 303);
        assert_eq!(
            set_reviews(&app, &admin, &package, &review).await.status,
            303
        );
        run_jobs(&app, &clock).await;
        let tab = admin.get(&reviews).await;
        assert_eq!(
            (started, tab.body.matches("In progress").count()),
            (1, 1),
            "{}",
            tab.body
        );
        let mine = eric.get(&app.url(routes::ACCESS_REVIEWS)).await;
        let review_url = review_link(&mine);
        let page = eric.get(&app.url(&review_url)).await;
        assert!(
            page.has("Do you still need access to Self reviewed?"),
            "{}",
            page.body
        );
        let row = deny_row(&page);
        let r = eric
            .post(
                &app.url(&review_url),
                &[
                    ("csrf_token", &page.csrf()),
                    ("row", &row),
                    ("reason", "Project over"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);

        // Applied now by an administrator: Eric's answer removes his access,
        // Emma's silence keeps hers.
        let details_url = first_details(&app, &admin, &package).await;
        let details = admin.get(&app.url(&details_url)).await;
        assert!(details.has("1 of 2 decided"), "{}", details.body);
        let applied = admin
            .post(
                &app.url(format!("{details_url}/apply")),
                &[("csrf_token", &details.csrf())],
            )
            .await;
        assert_eq!(applied.status, 303);
        let back = applied.location.as_deref();
        assert_eq!(back, Some(details_url.as_str()), "back on the review");
        assert!(!has(
            &held_by(&app, ERIC).await,
            "Group Marketing Team member"
        ));
        assert!(has(
            &held_by(&app, EMMA).await,
            "Group Marketing Team member"
        ));
        let details = admin.get(&app.url(&details_url)).await;
        assert!(details.has("results are applied"), "{}", details.body);
        let again = admin
            .post(
                &app.url(format!("{details_url}/apply")),
                &[("csrf_token", &details.csrf())],
            )
            .await;
        assert_eq!(again.status, 303);
        let details = admin.get(&app.url(&details_url)).await;
        assert!(
            details.has("already applied or stopped"),
            "applied once: {}",
            details.body
        );

        // The next week's review is stopped: nothing is applied.
        clock.advance(Duration::days(7));
        run_jobs(&app, &clock).await;
        let admin = signed_in(&app, ADA).await;
        let tab = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REVIEWS.id(&package)))
            .await;
        assert!(tab.has("In progress"), "{}", tab.body);
        let next_url = details_link(&tab);
        let next = admin.get(&app.url(&next_url)).await;
        assert!(
            next.has("0 of 1 decided"),
            "only Emma holds it now: {}",
            next.body
        );
        let stopped = admin
            .post(
                &app.url(format!("{next_url}/stop")),
                &[("csrf_token", &next.csrf())],
            )
            .await;
        assert_eq!(stopped.status, 303);
        let back = stopped.location.as_deref();
        assert_eq!(back, Some(next_url.as_str()), "back on the review");
        clock.advance(Duration::days(6));
        run_jobs(&app, &clock).await;
        assert!(has(
            &held_by(&app, EMMA).await,
            "Group Marketing Team member"
        ));
    }
);

both!(
    the_organization_time_zone_is_checked_beside_its_field,
    |backend| async move {
        let (app, admin, _clock) = demo(backend).await;
        let bad = organization_zone(&app, &admin, "Mars/Olympus").await;
        assert_eq!(bad.status, 422);
        assert!(
            bad.has("Give a time zone name like Europe/Amsterdam"),
            "{}",
            bad.body
        );
        let ok = organization_zone(&app, &admin, "Europe/Amsterdam").await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let page = admin.get(&app.url(routes::ADMIN_SETTINGS)).await;
        assert!(page.has(r#"value="Europe/Amsterdam""#), "{}", page.body);
    }
);

both!(
    reviewers_are_asked_through_a_real_smtp_server,
    |backend| async move {
        let clock = Clock::manual(chrono::Utc::now());
        let mut opts = Options::new(backend).demo();
        opts.clock = Some(clock.clone());
        opts.smtp = true;
        let app = spawn(opts).await;
        let admin = signed_in(&app, ADA).await;
        let name = format!(
            "Mailed review {}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let package = package(&app, &clock, &name).await;
        // The organization's days are Chicago's, west of Greenwich.
        let zone = organization_zone(&app, &admin, "America/Chicago").await;
        assert_eq!(zone.status, 303, "{}", zone.body);
        let today = clock
            .now()
            .with_timezone(&chrono_tz::America::Chicago)
            .date_naive();
        let start = today.format("%Y-%m-%d").to_string();
        let review = [
            ("rv_start", start.as_str()),
            ("rv_recurrence", "annually"),
            ("rv_duration", "14"),
            ("rv_reviewers", "self"),
            ("rv_no_response", "keepAccess"),
        ];
        let saved = set_reviews(&app, &admin, &package, &review).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &package, &[]).await;
        run_jobs(&app, &clock).await;
        let mail = wait_for_mail(&[&format!("Do you still need {name}?"), ERIC]).await;
        assert!(
            mail.contains(&format!("{}/", routes::ACCESS_REVIEWS)),
            "{mail}"
        );
        // Fourteen days from today: the last is the thirteenth after it, in Chicago.
        // Named with Chicago's abbreviation (CST or CDT, as the day falls).
        let last = (today + Duration::days(14))
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(chrono_tz::America::Chicago).earliest())
            .map(|t| {
                (t - Duration::minutes(1))
                    .format("%-d %b %Y, %H:%M %Z")
                    .to_string()
            })
            .unwrap();
        assert!(
            mail.contains(&format!("Answer by {last}")),
            "the last day to answer, in the organization's time zone: {mail}"
        );
    }
);

/// The state of someone's assignment of a package.
async fn assignment_state(app: &TestApp, package: &AccessPackageId, email: &str) -> String {
    let user = user_named(app, email).await.id;
    let mut c = app.store.read().await.unwrap();
    sqlx::query_scalar::<_, String>(
        "SELECT state FROM access_package_assignments WHERE access_package_id = $1 AND target_id = $2",
    )
    .bind(package.as_str())
    .bind(user.as_str())
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

both!(
    each_choice_for_holders_nobody_decided_for_is_applied,
    |backend| async move {
        let (app, _admin, clock) = demo(backend).await;
        let choices = [
            ("keepAccess", "delivered", "delivered"),
            ("removeAccess", "expired", "expired"),
            ("approveAccess", "delivered", "delivered"),
            // Eric signed in lately (approve), Emma not for a month (deny).
            ("acceptAccessRecommendation", "delivered", "expired"),
        ];
        let mut packages = Vec::new();
        for (choice, _, _) in choices {
            packages.push(package(&app, &clock, &format!("Undecided {choice}")).await);
        }
        for who in [ERIC, EMMA] {
            let b = signed_in(&app, who).await;
            for p in &packages {
                assert_eq!(request(&app, &b, p, &[]).await.status, 303);
            }
        }
        clock.advance(Duration::days(31));
        signed_in(&app, ERIC).await;
        let admin = signed_in(&app, ADA).await;
        let today = clock.now().format("%Y-%m-%d").to_string();
        for ((choice, _, _), p) in choices.iter().zip(&packages) {
            let review = [
                ("rv_start", today.as_str()),
                ("rv_recurrence", "weekly"),
                ("rv_duration", "2"),
                ("rv_reviewers", "specific"),
                ("rv_users", MARIA),
                ("rv_no_response", *choice),
                ("rv_auto_apply", "on"),
            ];
            let saved = set_reviews(&app, &admin, p, &review).await;
            assert_eq!(saved.status, 303, "{}", saved.body);
        }
        run_jobs(&app, &clock).await;
        clock.advance(Duration::days(3));
        run_jobs(&app, &clock).await;
        for ((choice, eric, emma), p) in choices.iter().zip(&packages) {
            assert_eq!(
                assignment_state(&app, p, ERIC).await,
                *eric,
                "{choice}: Eric"
            );
            assert_eq!(
                assignment_state(&app, p, EMMA).await,
                *emma,
                "{choice}: Emma"
            );
        }
    }
);

both!(
    managers_review_their_reports_and_fallbacks_the_rest,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let package = package(&app, &clock, "Managed review").await;
        let today = clock.now().format("%Y-%m-%d").to_string();
        let review = [
            ("rv_start", today.as_str()),
            ("rv_recurrence", "quarterly"),
            ("rv_duration", "14"),
            ("rv_reviewers", "manager"),
            ("rv_fallback_users", EMMA),
            ("rv_no_response", "keepAccess"),
        ];
        let saved = set_reviews(&app, &admin, &package, &review).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        // Eric's manager is Maria; Ada has none.
        for who in [ERIC, ADA] {
            let b = signed_in(&app, who).await;
            request(&app, &b, &package, &[]).await;
        }
        run_jobs(&app, &clock).await;
        let page_of = async |email: &str| {
            let b = signed_in(&app, email).await;
            let mine = b.get(&app.url(routes::ACCESS_REVIEWS)).await;
            b.get(&app.url(review_link(&mine))).await
        };
        let maria = page_of(MARIA).await;
        assert!(
            maria.has("Eric") && !maria.has("ada.admin@"),
            "{}",
            maria.body
        );
        // Maria denies the ticked rows (Eric's), with a reason.
        let at = maria
            .body
            .find("name=\"a\" value=\"")
            .expect("a row to tick")
            + 16;
        let row = maria.body[at..at + 36].to_string();
        let prefix = format!("{}/", routes::ACCESS_REVIEWS);
        let at = maria.body.find(&format!("action=\"{prefix}")).unwrap() + 8;
        let url = maria.body[at..at + prefix.len() + 36].to_string();
        let b = signed_in(&app, MARIA).await;
        let page = b.get(&app.url(&url)).await;
        let none = b
            .post(
                &app.url(&url),
                &[("csrf_token", &page.csrf()), ("decision", "deny")],
            )
            .await;
        assert_eq!(none.status, 422, "nothing ticked");
        assert!(
            none.has(r#"<p class="field-error" id="assignments-error">Choose whose access you decide.</p>"#),
            "{}",
            none.body
        );
        // A forged box whose value is no assignment id is refused whole:
        // nothing is decided, not even the real one beside it.
        let forged = b
            .post(
                &app.url(&url),
                &[
                    ("csrf_token", &page.csrf()),
                    ("a", &row),
                    ("a", "not-an-assignment"),
                    ("decision", "deny"),
                ],
            )
            .await;
        assert_eq!(forged.status, 400, "{}", forged.body);
        assert!(forged.has("The form could not be read"), "{}", forged.body);
        assert!(!b.get(&app.url(&url)).await.has("Denied by Maria"));
        let denied = b
            .post(
                &app.url(&url),
                &[
                    ("csrf_token", &page.csrf()),
                    ("a", &row),
                    ("decision", "deny"),
                    ("reason", "Moved teams"),
                ],
            )
            .await;
        assert_eq!(denied.status, 303, "{}", denied.body);
        let page = b.get(&app.url(&url)).await;
        assert!(page.has("Denied by Maria"), "{}", page.body);
        assert!(page.has("Moved teams"));
        let emma = page_of(EMMA).await;
        assert!(
            emma.has("ada.admin@") && !emma.has("eric.employee@"),
            "{}",
            emma.body
        );
        let eric = signed_in(&app, ERIC).await;
        let none = eric.get(&app.url(routes::ACCESS_REVIEWS)).await;
        assert!(
            none.has("No access reviews are waiting for you."),
            "{}",
            none.body
        );
    }
);

both!(
    two_instances_start_and_apply_each_review_once,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let package = package(&app, &clock, "Raced review").await;
        let today = clock.now().format("%Y-%m-%d").to_string();
        let review = [
            ("rv_start", today.as_str()),
            ("rv_recurrence", "monthly"),
            ("rv_duration", "3"),
            ("rv_reviewers", "specific"),
            ("rv_users", MARIA),
            ("rv_no_response", "removeAccess"),
            ("rv_auto_apply", "on"),
        ];
        let saved = set_reviews(&app, &admin, &package, &review).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &package, &[]).await;
        let now = clock.now();
        let (a, b) = tokio::join!(
            gatehouse::jobs::reviews::start(&app.store, now),
            gatehouse::jobs::reviews::start(&app.store, now)
        );
        assert_eq!(a.unwrap() + b.unwrap(), 1, "one review started");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM access_reviews").await, 1);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'reviewRequest'"
            )
            .await,
            1,
            "Maria asked once"
        );
        let later = now + Duration::days(4);
        let (a, b) = tokio::join!(
            gatehouse::jobs::reviews::end(&app.store, later),
            gatehouse::jobs::reviews::end(&app.store, later)
        );
        assert_eq!(a.unwrap() + b.unwrap(), 1, "ended once");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'accessEnded'"
            )
            .await,
            1,
            "Eric told once"
        );
    }
);

/// A reviewer's decision and an administrator's "Apply now" at once, on
/// PostgreSQL, queued in that order behind a lock the test holds on the
/// review: the decision is in before the review ends, and the review applies
/// it (it was recorded after the apply, which then kept the access).
#[tokio::test]
async fn a_decision_sent_as_the_review_is_applied_is_applied() {
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let (package, eric, review_url) = self_reviewed(&app, &admin, &clock, "Raced review").await;
    let page = eric.get(&app.url(&review_url)).await;
    let row = deny_row(&page);
    let details_url = first_details(&app, &admin, &package).await;
    let details = admin.get(&app.url(&details_url)).await;

    let mut hold = app.store.begin().await.unwrap();
    sqlx::query("SELECT id FROM access_reviews WHERE state = 'inProgress' FOR UPDATE")
        .execute(&mut *hold)
        .await
        .unwrap();
    let (csrf, admin_csrf) = (page.csrf(), details.csrf());
    let decide = async {
        eric.post(
            &app.url(&review_url),
            &[
                ("csrf_token", csrf.as_str()),
                ("row", row.as_str()),
                ("reason", "Project over"),
            ],
        )
        .await
    };
    let apply = async {
        until_lock_waiters(&app, 1).await;
        admin
            .post(
                &app.url(format!("{details_url}/apply")),
                &[("csrf_token", admin_csrf.as_str())],
            )
            .await
    };
    let release = async {
        until_lock_waiters(&app, 2).await;
        hold.commit().await.unwrap();
    };
    let (decided, applied, ()) = tokio::join!(decide, apply, release);
    assert_eq!(decided.status, 303, "{}", decided.body);
    assert_eq!(applied.status, 303, "{}", applied.body);
    assert!(
        !has(&held_by(&app, ERIC).await, "Group Marketing Team member"),
        "Eric's answer removed his access"
    );
}

/// An administrator applies a review in which Eric gave up the team, as
/// Maria's approval delivers him a seat that grants it too, on PostgreSQL,
/// queued behind a lock the test holds on the audit log: the reviewed
/// access ends, and Eric stays in the team through the seat.
#[tokio::test]
async fn a_review_applied_as_another_package_is_delivered_keeps_what_that_grants() {
    let (app, admin, clock) = demo(Backend::Postgres).await;
    let (package, eric, review_url) = self_reviewed(&app, &admin, &clock, "Reviewed team").await;
    let seat = team_seat(&app, &clock).await;
    let page = eric.get(&app.url(&review_url)).await;
    let row = deny_row(&page);
    let form = [
        ("csrf_token", page.csrf()),
        ("row", row),
        ("reason", "Project over".into()),
    ];
    let decided = eric
        .post(
            &app.url(&review_url),
            &form.each_ref().map(|(k, v)| (*k, v.as_str())),
        )
        .await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    let details_url = first_details(&app, &admin, &package).await;
    let csrf = admin.get(&app.url(&details_url)).await.csrf();

    let approval = SeatApproval::open(&app, &seat).await;
    let url = app.url(format!("{details_url}/apply"));
    let form = [("csrf_token", csrf.as_str())];
    let (approved, applied) = in_turn(&app, approval.approve(), admin.post(&url, &form)).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(applied.status, 303, "{}", applied.body);
    let left = format!(
        "SELECT COUNT(*) FROM access_package_assignments WHERE access_package_id = '{package}' \
         AND state <> 'expired'"
    );
    assert_eq!(count(&app, &left).await, 0, "the review removed it");
    let held = held_by(&app, ERIC).await;
    assert!(has(&held, TEAM), "the seat grants it: {held:?}");
}

/// A package (`package`) with a weekly self-review from today, which Eric
/// holds and now reviews: Eric, and the address of his review.
async fn self_reviewed(
    app: &TestApp,
    admin: &Browser,
    clock: &Clock,
    name: &str,
) -> (AccessPackageId, Browser, String) {
    let package = package(app, clock, name).await;
    let today = clock.now().format("%Y-%m-%d").to_string();
    let saved = set_reviews(app, admin, &package, &weekly_self_review(&today)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let eric = signed_in(app, ERIC).await;
    request(app, &eric, &package, &[]).await;
    run_jobs(app, clock).await;
    let mine = eric.get(&app.url(routes::ACCESS_REVIEWS)).await;
    let review_url = review_link(&mine);
    (package, eric, review_url)
}

/// The first review a My Access page links to.
fn review_link(page: &Page) -> String {
    let prefix = format!("{}/", routes::ACCESS_REVIEWS);
    let at = page.body.find(&prefix).expect("a review");
    page.body[at..at + prefix.len() + 36].to_string()
}

/// The details page of the first review on a package's Access reviews tab.
fn details_link(tab: &Page) -> String {
    let prefix = format!("{}/", routes::ACCESS_REVIEWS);
    let at = tab.body.find(&prefix).expect("a review");
    let start = tab.body[..at].rfind("href=\"").unwrap() + 6;
    html_unescape(&tab.body[start..at + prefix.len() + 36])
}

/// The details page of the first review on the package's Access reviews tab.
async fn first_details(app: &TestApp, admin: &Browser, package: &AccessPackageId) -> String {
    let tab = admin
        .get(&app.url(routes::ADMIN_PACKAGE_REVIEWS.id(package)))
        .await;
    details_link(&tab)
}

/// The value of a self-review's "No, remove it" button.
fn deny_row(page: &Page) -> String {
    let at = page.body.find(":deny\"").expect("a decision to make");
    let start = page.body[..at].rfind("value=\"").unwrap() + 7;
    page.body[start..at + 5].to_string()
}

/// Review settings: a weekly self-review of 5 days from `today`, keeping
/// access when nobody answers.
fn weekly_self_review(today: &str) -> [(&'static str, &str); 5] {
    [
        ("rv_start", today),
        ("rv_recurrence", "weekly"),
        ("rv_duration", "5"),
        ("rv_reviewers", "self"),
        ("rv_no_response", "keepAccess"),
    ]
}

/// A policy without reviews offers a first review starting today: the
/// organization's today, whose days reviews count, even for an
/// administrator who reads times in another zone.
#[tokio::test]
async fn a_first_review_starts_on_the_organizations_today() {
    use chrono::Timelike;
    let (app, admin, clock) = demo(Backend::Sqlite).await;
    let package = package(&app, &clock, "Reviewed tools").await;
    // A zone whose date is not UTC's at this moment.
    let now = clock.now();
    let zone = if now.hour() >= 10 {
        "Pacific/Kiritimati"
    } else {
        "Pacific/Pago_Pago"
    };
    assert_eq!(organization_zone(&app, &admin, zone).await.status, 303);
    let profile = admin.get(&app.url(routes::PROFILE)).await;
    let utc = [
        ("csrf_token", profile.csrf()),
        ("time_zone", "UTC".to_string()),
    ];
    let utc = utc.each_ref().map(|(k, v)| (*k, v.as_str()));
    assert_eq!(
        admin.post(&app.url(routes::PROFILE), &utc).await.status,
        303
    );
    let tz: chrono_tz::Tz = zone.parse().unwrap();
    let today = now.with_timezone(&tz).format("%Y-%m-%d").to_string();
    assert_ne!(today, now.format("%Y-%m-%d").to_string());
    let (_, form) = everyone_policy(&app, &admin, &package).await;
    assert!(
        form.has(&format!(r#"name="rv_start" value="{today}""#)),
        "{}",
        form.body
    );
}

/// A policy refused for its name marks its Basics tab, where the name is,
/// and not Requests.
#[tokio::test]
async fn a_policy_refused_for_its_name_marks_its_basics() {
    let (app, admin, clock) = demo(Backend::Sqlite).await;
    let package = package(&app, &clock, "Named tools").await;
    let (edit, form) = everyone_policy(&app, &admin, &package).await;
    let fields = [
        ("csrf_token", form.csrf()),
        ("policy_name", String::new()),
        ("scope", "allMemberUsers".into()),
        ("enabled", "on".into()),
        ("enable_requests", "on".into()),
        ("expiration_type", "never".into()),
        ("q_count", "0".into()),
    ];
    let fields = fields.each_ref().map(|(k, v)| (*k, v.as_str()));
    let refused = admin.post(&app.url(&edit), &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.has(r##"href="#step-basics" class="has-errors""##),
        "{}",
        refused.body
    );
    assert!(!refused.has(r##"href="#step-requests" class="has-errors""##));
}
