//! Custom extensions against a real HTTP receiver (tests/webhook_receiver.py,
//! started by tests/run-all.sh) that verifies each call's signature with the
//! Standard Webhooks library from PyPI, as a customer's endpoint would.

use chrono::Duration;
use gatehouse::clock::Clock;
use gatehouse::domain::ids::AccessPackageId;
use gatehouse::domain::policy::Expiration;
use gatehouse::routes;
use serde_json::{Value, json};

use crate::both;
use crate::correctness::{catalog, demo, member_policy, request};
use crate::helpers::*;

const ERIC: &str = "eric.employee@gatehouse.demo";
const EMMA: &str = "emma.employee@gatehouse.demo";
const MARIA: &str = "maria.manager@gatehouse.demo";

/// One endpoint of the receiver, named for this test alone.
struct Receiver {
    base: String,
    name: String,
}

impl Receiver {
    fn new() -> Receiver {
        Receiver {
            base: required_env("GATEHOUSE_TEST_HOOKS_URL"),
            name: format!("h{}", uuid::Uuid::new_v4().simple()),
        }
    }
    fn url(&self) -> String {
        format!("{}/hooks/{}", self.base, self.name)
    }
    async fn configure(&self, conf: Value) {
        let r = receiver_client()
            .put(format!("{}/config/{}", self.base, self.name))
            .json(&conf)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    /// What the receiver says at `/{what}/{name}` for this endpoint.
    async fn read<T: serde::de::DeserializeOwned>(&self, what: &str) -> T {
        receiver_client()
            .get(format!("{}/{what}/{}", self.base, self.name))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    /// How many calls have reached the receiver, counted on arrival (a
    /// call is among `calls` only once its answer's delay is over).
    async fn arrived(&self) -> i64 {
        self.read("arrived").await
    }
    async fn calls(&self) -> Vec<Value> {
        self.read("calls").await
    }
}

/// A client for the receiver whose calls end within 30 seconds, answered or
/// not: a stuck call fails its test rather than holding up the run.
fn receiver_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The body of a recorded call.
fn body(call: &Value) -> Value {
    serde_json::from_str(call["body"].as_str().unwrap()).unwrap()
}

/// Makes an extension on the catalog's Custom extensions tab; returns its
/// id and the signing secret shown once.
async fn make_extension(
    app: &TestApp,
    admin: &Browser,
    catalog: &str,
    fields: &[(&str, &str)],
) -> (String, String) {
    let tab = admin
        .get(&app.url(routes::ADMIN_CATALOG_EXTENSIONS.id(catalog)))
        .await;
    let csrf = tab.csrf();
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    let made = admin
        .post(&app.url(routes::ADMIN_CATALOG_EXTENSIONS.id(catalog)), &all)
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let needle = "id=\"signing-secret\" value=\"";
    let secret = made
        .body
        .find(needle)
        .map(|at| {
            let start = at + needle.len();
            let end = made.body[start..].find('"').unwrap() + start;
            html_unescape(&made.body[start..end])
        })
        .unwrap_or_default();
    let prefix = format!("{}/", routes::ADMIN_CATALOG_EXTENSIONS.id(catalog));
    let at = made
        .body
        .find(&format!("action=\"{prefix}"))
        .expect("its form")
        + 8;
    let id = made.body[at + prefix.len()..at + prefix.len() + 36].to_string();
    (id, secret)
}

/// An extension of `catalog` signing its calls to an endpoint of its own on
/// the receiver, which is told the secret: (endpoint, id, secret).
async fn signed_extension(
    app: &TestApp,
    admin: &Browser,
    catalog: &str,
    name: &str,
    timeout: &str,
    wait: Option<(&str, &str, &str)>,
) -> (Receiver, String, String) {
    let hook = Receiver::new();
    let url = hook.url();
    let fields = signature_fields(name, &url, timeout, wait);
    let (ext, secret) = make_extension(app, admin, catalog, &fields).await;
    assert!(secret.starts_with("whsec_"), "shown once: {secret}");
    hook.configure(json!({"secret": secret})).await;
    (hook, ext, secret)
}

/// A package in `catalog` whose one requestable policy (added on the
/// console) calls the extensions given by stage, approved by Maria when
/// `approval`.
async fn package(
    app: &TestApp,
    admin: &Browser,
    clock: &Clock,
    catalog: &str,
    approval: bool,
    stages: &[(&str, &str)],
) -> AccessPackageId {
    let mut policy = member_policy("Administrators", vec![], Expiration::NoExpiration);
    policy.allowed_target_scope = gatehouse::domain::policy::AllowedTargetScope::NotSpecified;
    policy.requestor = Default::default();
    let id = gatehouse::service::packages::create(
        &app.store,
        &gatehouse::domain::audit::Actor::system(),
        &gatehouse::domain::catalog_role::CatalogScope::All,
        &gatehouse::domain::ids::CatalogId::parse(catalog).unwrap(),
        &gatehouse::service::packages::Basics {
            name: format!("Called {}", &uuid::Uuid::new_v4().simple().to_string()[..6]),
            description: None,
        },
        false,
        &[],
        &policy,
        clock.now(),
    )
    .await
    .unwrap();
    let form = admin
        .get(&app.url(routes::ADMIN_PACKAGE_POLICY_NEW.id(&id)))
        .await;
    assert!(form.has("Custom extensions"), "{}", form.body);
    let csrf = form.csrf();
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("policy_name", "With extensions"),
        ("scope", "allMemberUsers"),
        ("enabled", "on"),
        ("enable_requests", "on"),
        ("expiration_type", "never"),
        ("q_count", "0"),
    ];
    if approval {
        fields.extend([
            ("approval_required", "on"),
            ("stage_count", "1"),
            ("s1_users", MARIA),
            ("s1_days", "14"),
        ]);
    }
    let named: Vec<(String, &str)> = stages
        .iter()
        .map(|(s, e)| (format!("ext_{s}"), *e))
        .collect();
    for (k, v) in &named {
        fields.push((k.as_str(), v));
    }
    let saved = admin
        .post(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&id)), &fields)
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    id
}

async fn send_calls(app: &TestApp, clock: &Clock) -> usize {
    gatehouse::jobs::callouts::run_once(&app.store, clock, &app.url(""))
        .await
        .unwrap()
}

async fn state_of(app: &TestApp, request: &str) -> String {
    let mut c = app.store.read().await.unwrap();
    sqlx::query_scalar::<_, String>("SELECT state FROM assignment_requests WHERE id = $1")
        .bind(request)
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

/// Posts a callback; returns its status.
async fn call_back(url: &str, token: Option<&str>, body: &Value) -> u16 {
    let mut r = reqwest::Client::new().post(url).json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap().status().as_u16()
}

/// The resume body the real product documents, answering `call`.
fn resume_body(call: &Value, state: Option<&str>, detail: &str) -> Value {
    let data = &call["data"];
    let mut d = json!({
        "@odata.type": "microsoft.graph.accessPackageAssignmentRequestCallbackData",
        "stage": data["stage"],
        "customExtensionStageInstanceId": data["customExtensionStageInstanceId"],
        "customExtensionStageInstanceDetail": detail,
    });
    if let Some(s) = state {
        d["state"] = json!(s);
    }
    json!({"source": "Contoso.Check", "type": call["type"], "data": d})
}

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let b = Browser::new();
    app.demo_sign_in(&b, email).await;
    b
}

/// An extension signing its calls; `wait`: launch and wait this long (and
/// then what), else launch and continue.
fn signature_fields<'a>(
    name: &'a str,
    url: &'a str,
    timeout: &'a str,
    wait: Option<(&'a str, &'a str, &'a str)>,
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("display_name", name),
        ("endpoint_url", url),
        ("authentication", "signature"),
        ("timeout_seconds", timeout),
    ];
    match wait {
        Some((n, unit, then)) => f.extend([
            ("behavior", "launchAndWait"),
            ("max_wait", n),
            ("max_wait_unit", unit),
            ("on_timeout", then),
        ]),
        None => f.push(("behavior", "launchAndContinue")),
    }
    f
}

both!(
    each_stage_calls_its_extension_once_signed_and_waits_for_the_answer,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let cat = catalog(&app, &clock, "Called catalog", false, &[])
            .await
            .to_string();

        // Plain http to another machine is refused beside its field.
        let bad = {
            let tab = admin
                .get(&app.url(routes::ADMIN_CATALOG_EXTENSIONS.id(&cat)))
                .await;
            admin
                .post(
                    &app.url(routes::ADMIN_CATALOG_EXTENSIONS.id(&cat)),
                    &[
                        ("csrf_token", &tab.csrf()),
                        ("display_name", "Elsewhere"),
                        ("endpoint_url", "http://hooks.example.com/x"),
                        ("behavior", "launchAndWait"),
                        ("max_wait", "15"),
                        ("max_wait_unit", "days"),
                        ("on_timeout", "deny"),
                    ],
                )
                .await
        };
        assert_eq!(bad.status, 422);
        assert!(
            bad.has("must use https (plain http only to this machine"),
            "{}",
            bad.body
        );
        assert!(bad.has("The longest wait must be from 5 minutes to 14 days."));
        assert!(!bad.has("Elsewhere</a>"), "nothing saved");

        let (ticketing, ticket_ext, _) =
            signed_extension(&app, &admin, &cat, "Ticketing", "5", None).await;
        let wait = Some(("1", "hours", "deny"));
        let (checker, check_ext, check_secret) =
            signed_extension(&app, &admin, &cat, "Approval check", "5", wait).await;
        let tab = admin
            .get(&app.url(routes::ADMIN_CATALOG_EXTENSIONS.id(&cat)))
            .await;
        assert!(
            tab.has("Launch and wait (up to 1 hour, then deny)"),
            "{}",
            tab.body
        );
        assert!(!tab.has(&check_secret), "the secret is not shown again");

        let package = package(
            &app,
            &admin,
            &clock,
            &cat,
            true,
            &[
                ("assignmentRequestCreated", &ticket_ext),
                ("assignmentRequestApproved", &check_ext),
                ("assignmentRequestGranted", &ticket_ext),
                ("assignmentRequestRemoved", &ticket_ext),
            ],
        )
        .await;
        let tab = admin
            .get(&app.url(routes::ADMIN_CATALOG_EXTENSIONS.id(&cat)))
            .await;
        assert!(
            tab.has("› With extensions"),
            "used by the policy: {}",
            tab.body
        );
        // In use: deleting it is refused and changes nothing.
        let ext_page = admin
            .get(&app.url(routes::ADMIN_CATALOG_EXTENSION.ids(&cat, &ticket_ext)))
            .await;
        let refused = admin
            .post(
                &app.url(routes::ADMIN_CATALOG_EXTENSION_DELETE.ids(&cat, &ticket_ext)),
                &[("csrf_token", &ext_page.csrf())],
            )
            .await;
        assert_eq!(refused.status, 303);
        let ext_page = admin
            .get(&app.url(routes::ADMIN_CATALOG_EXTENSION.ids(&cat, &ticket_ext)))
            .await;
        assert!(
            ext_page.has("cannot be deleted while a policy calls it"),
            "{}",
            ext_page.body
        );

        // Created: the request goes on to approval, and Ticketing is told.
        let eric = signed_in(&app, ERIC).await;
        let asked = request(&app, &eric, &package, &[]).await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let rid = request_id_for(&app, ERIC).await;
        assert_eq!(state_of(&app, &rid).await, "pendingApproval");
        assert_eq!(send_calls(&app, &clock).await, 1);
        let calls = ticketing.calls().await;
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0]["verified"], json!(true), "{:?}", calls[0]["error"]);
        assert_eq!(calls[0]["id"], calls[0]["idempotency_key"]);
        let created = body(&calls[0]);
        assert_eq!(
            created["type"],
            json!("microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated")
        );
        assert_eq!(
            created["data"]["accessPackageAssignmentRequestId"],
            json!(rid)
        );
        assert_eq!(created["data"]["requestor"]["email"], json!(ERIC));
        assert_eq!(created["data"]["target"]["email"], json!(ERIC));
        assert_eq!(
            created["data"]["accessPackage"]["id"],
            json!(package.to_string())
        );
        assert_eq!(created["data"]["accessPackageCatalog"]["id"], json!(cat));
        assert_eq!(
            created["data"]["customExtensionStageInstanceId"],
            calls[0]["id"]
        );
        assert!(
            created["data"].get("callbackUrl").is_none(),
            "nothing to answer"
        );

        // Approved: the request waits for the check.
        let approved = approve_as(&app, MARIA, &rid).await;
        assert_eq!(approved.status, 303, "{}", approved.body);
        assert_eq!(state_of(&app, &rid).await, "approved");
        let mine = eric.get(&app.url(routes::REQUEST.id(&rid))).await;
        assert!(mine.has("Waiting for Approval check"), "{}", mine.body);
        assert_eq!(send_calls(&app, &clock).await, 1);
        let calls = checker.calls().await;
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0]["verified"], json!(true), "{:?}", calls[0]["error"]);
        let waiting = body(&calls[0]);
        assert_eq!(waiting["data"]["stage"], json!("assignmentRequestApproved"));
        assert_eq!(waiting["data"]["status"], json!("WaitingForCallback"));
        assert_eq!(
            waiting["data"]["callbackConfiguration"]["durationBeforeTimeout"],
            json!("PT60M")
        );
        let callback = waiting["data"]["callbackUrl"].as_str().unwrap().to_string();
        assert!(
            callback.ends_with(&routes::REQUEST_RESUME.id(&rid)),
            "{callback}"
        );
        let token = waiting["data"]["callbackToken"]
            .as_str()
            .unwrap()
            .to_string();
        let good = resume_body(&waiting, None, "Checked by the ticket desk");

        // Forged and wrong callbacks are refused and change nothing.
        assert_eq!(call_back(&callback, None, &good).await, 401);
        assert_eq!(call_back(&callback, Some("forged-token"), &good).await, 401);
        let mut other = good.clone();
        other["data"]["customExtensionStageInstanceId"] = json!(uuid::Uuid::new_v4().to_string());
        assert_eq!(call_back(&callback, Some(&token), &other).await, 400);
        let mut wrong_stage = good.clone();
        wrong_stage["type"] =
            json!("microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated");
        assert_eq!(call_back(&callback, Some(&token), &wrong_stage).await, 400);
        let elsewhere = callback.replace(&rid, &uuid::Uuid::new_v4().to_string());
        assert_eq!(call_back(&elsewhere, Some(&token), &good).await, 404);
        // A NUL in the detail is refused, not stored (PostgreSQL cannot), so
        // the sender learns it must change its answer rather than resend it.
        let nul = resume_body(&waiting, None, "Checked\u{0}");
        assert_eq!(call_back(&callback, Some(&token), &nul).await, 400);
        // A body over 64 KiB gets the endpoint's JSON error, unread.
        let huge = resume_body(&waiting, None, &"x".repeat(70 * 1024));
        let big = reqwest::Client::new()
            .post(&callback)
            .bearer_auth(&token)
            .json(&huge)
            .send()
            .await
            .unwrap();
        assert_eq!(big.status().as_u16(), 413);
        let said: Value = big.json().await.unwrap();
        assert_eq!(said["error"]["code"], json!("RequestEntityTooLarge"));
        assert_eq!(state_of(&app, &rid).await, "approved");

        // The answer: delivered, and Ticketing told of the grant.
        assert_eq!(call_back(&callback, Some(&token), &good).await, 204);
        assert_eq!(state_of(&app, &rid).await, "delivered");
        assert_eq!(
            call_back(&callback, Some(&token), &good).await,
            409,
            "a repeated answer is refused"
        );
        assert_eq!(send_calls(&app, &clock).await, 1);
        let calls = ticketing.calls().await;
        assert_eq!(calls.len(), 2);
        let granted = body(&calls[1]);
        assert_eq!(granted["data"]["stage"], json!("assignmentRequestGranted"));
        assert!(granted["data"]["assignment"]["id"].is_string(), "{granted}");
        assert_ne!(calls[0]["id"], calls[1]["id"], "each call its own key");

        let details = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&package, &rid)))
            .await;
        assert!(details.has("Custom extension calls"), "{}", details.body);
        assert!(details.has("Answered: continue"));
        assert!(details.has("Checked by the ticket desk"));
        assert!(details.has("Assignment is granted"));
        assert!(!details.has(&token), "the callback token is not shown");

        // Removed: Eric gives the access up.
        let active = eric
            .get(&app.url(format!("{}?view=active", routes::HOME)))
            .await;
        let removed = eric
            .post(
                &app.url(routes::PACKAGE_GIVE_UP.id(&package)),
                &[("csrf_token", active.csrf().as_str())],
            )
            .await;
        assert_eq!(removed.status, 303, "{}", removed.body);
        assert_eq!(send_calls(&app, &clock).await, 1);
        let calls = ticketing.calls().await;
        assert_eq!(calls.len(), 3);
        assert_eq!(
            body(&calls[2])["data"]["stage"],
            json!("assignmentRequestRemoved")
        );

        // Each stage once: nothing more is sent.
        assert_eq!(send_calls(&app, &clock).await, 0);
        assert_eq!(ticketing.calls().await.len(), 3);
        assert_eq!(checker.calls().await.len(), 1);
        assert!(app.audit_count("accessPackage").await > 0);
    }
);

both!(
    a_request_waiting_when_created_is_denied_or_times_out,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let cat = catalog(&app, &clock, "Vetted catalog", false, &[])
            .await
            .to_string();
        let wait = Some(("5", "minutes", "deny"));
        let (vetting, ext, _) = signed_extension(&app, &admin, &cat, "Vetting", "5", wait).await;
        let package = package(
            &app,
            &admin,
            &clock,
            &cat,
            true,
            &[("assignmentRequestCreated", &ext)],
        )
        .await;

        // Denied by the extension: the requestor sees why.
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &package, &[]).await;
        let rid = request_id_for(&app, ERIC).await;
        assert_eq!(state_of(&app, &rid).await, "submitted", "approval waits");
        let page = eric.get(&app.url(routes::REQUEST.id(&rid))).await;
        assert!(page.has("Waiting for Vetting"), "{}", page.body);
        send_calls(&app, &clock).await;
        let call = body(&vetting.calls().await[0]);
        let token = call["data"]["callbackToken"].as_str().unwrap().to_string();
        let url = call["data"]["callbackUrl"].as_str().unwrap().to_string();
        let denied = resume_body(&call, Some("denied"), "Not on the vetted list");
        assert_eq!(call_back(&url, Some(&token), &denied).await, 204);
        assert_eq!(state_of(&app, &rid).await, "denied");
        let page = eric.get(&app.url(routes::REQUEST.id(&rid))).await;
        assert!(
            page.has("Denied by Vetting: Not on the vetted list"),
            "{}",
            page.body
        );

        // Maria asks for it herself: once the extension lets her request go
        // on, nobody can approve it (she is its only approver), and it ends
        // saying so rather than wait for ever.
        let maria = signed_in(&app, MARIA).await;
        request(&app, &maria, &package, &[]).await;
        let hers = request_id_for(&app, MARIA).await;
        assert_eq!(state_of(&app, &hers).await, "submitted");
        send_calls(&app, &clock).await;
        let call = body(vetting.calls().await.last().unwrap());
        let token = call["data"]["callbackToken"].as_str().unwrap().to_string();
        let url = call["data"]["callbackUrl"].as_str().unwrap().to_string();
        assert_eq!(
            call_back(&url, Some(&token), &resume_body(&call, None, "ok")).await,
            204
        );
        assert_eq!(state_of(&app, &hers).await, "denied");
        let page = maria.get(&app.url(routes::REQUEST.id(&hers))).await;
        assert!(page.has("No approver can be found"), "{}", page.body);

        // No answer in time: denied as set, and a late answer is refused.
        let emma = signed_in(&app, EMMA).await;
        request(&app, &emma, &package, &[]).await;
        let late = request_id_for(&app, EMMA).await;
        send_calls(&app, &clock).await;
        let call = body(vetting.calls().await.last().unwrap());
        clock.advance(Duration::minutes(4));
        run_jobs(&app, &clock).await;
        assert_eq!(
            state_of(&app, &late).await,
            "submitted",
            "not before the time"
        );
        clock.advance(Duration::minutes(2));
        run_jobs(&app, &clock).await;
        assert_eq!(state_of(&app, &late).await, "denied");
        let page = emma.get(&app.url(routes::REQUEST.id(&late))).await;
        assert!(page.has("Vetting did not answer in time."), "{}", page.body);
        let token = call["data"]["callbackToken"].as_str().unwrap();
        let url = call["data"]["callbackUrl"].as_str().unwrap();
        assert_eq!(
            call_back(url, Some(token), &resume_body(&call, None, "")).await,
            409
        );
        assert_eq!(state_of(&app, &late).await, "denied");

        // Set to continue instead: the next one goes on to approval.
        let page = admin
            .get(&app.url(routes::ADMIN_CATALOG_EXTENSION.ids(&cat, &ext)))
            .await;
        let csrf = page.csrf();
        let vetting_url = vetting.url();
        let mut edit = signature_fields(
            "Vetting",
            &vetting_url,
            "5",
            Some(("5", "minutes", "continue")),
        );
        edit.push(("csrf_token", csrf.as_str()));
        let saved = admin
            .post(
                &app.url(routes::ADMIN_CATALOG_EXTENSION.ids(&cat, &ext)),
                &edit,
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        request(&app, &emma, &package, &[]).await;
        let next = request_id_for(&app, EMMA).await;
        assert_ne!(next, late);
        clock.advance(Duration::minutes(6));
        run_jobs(&app, &clock).await;
        assert_eq!(state_of(&app, &next).await, "pendingApproval");
        // Emma is told it goes on without the answer.
        let admin = signed_in(&app, "ada.admin@gatehouse.demo").await;
        let outbox = admin.get(&app.url(routes::ADMIN_MAIL)).await;
        assert!(outbox.has("Request goes on: "), "{}", outbox.body);
    }
);

both!(
    a_failing_endpoint_is_retried_then_failed_visibly_and_reprocessed,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let cat = catalog(&app, &clock, "Flaky catalog", false, &[])
            .await
            .to_string();
        let (flaky, ext, secret) = signed_extension(&app, &admin, &cat, "Flaky", "1", None).await;
        // Slow first: the call takes longer than its timeout.
        flaky
            .configure(json!({"secret": secret, "delay": 2.5, "status": 202}))
            .await;
        let package = package(
            &app,
            &admin,
            &clock,
            &cat,
            false,
            &[("assignmentRequestGranted", &ext)],
        )
        .await;
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &package, &[]).await;
        let rid = request_id_for(&app, ERIC).await;
        assert_eq!(
            state_of(&app, &rid).await,
            "delivered",
            "launch and continue"
        );
        send_calls(&app, &clock).await;
        let page = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&package, &rid)))
            .await;
        assert!(page.has("did not answer in time"), "{}", page.body);
        assert!(page.has("Queued"), "to be tried again");
        // Then the endpoint is not there at all: retried like any other fault.
        let page = admin
            .get(&app.url(routes::ADMIN_CATALOG_EXTENSION.ids(&cat, &ext)))
            .await;
        let csrf = page.csrf();
        let closed = format!("http://127.0.0.1:{}/hooks/x", closed_port());
        let mut moved = signature_fields("Flaky", &closed, "1", None);
        moved.push(("csrf_token", csrf.as_str()));
        let saved = admin
            .post(
                &app.url(routes::ADMIN_CATALOG_EXTENSION.ids(&cat, &ext)),
                &moved,
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        clock.advance(Duration::hours(2));
        send_calls(&app, &clock).await;
        // (Later: the administrator signs in again.)
        let admin = signed_in(&app, "ada.admin@gatehouse.demo").await;
        let page = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&package, &rid)))
            .await;
        assert!(
            page.has("the endpoint could not be reached"),
            "{}",
            page.body
        );
        let back = flaky.url();
        let csrf = page.csrf();
        let mut restored = signature_fields("Flaky", &back, "1", None);
        restored.push(("csrf_token", csrf.as_str()));
        admin
            .post(
                &app.url(routes::ADMIN_CATALOG_EXTENSION.ids(&cat, &ext)),
                &restored,
            )
            .await;
        // Then down with 500s until the tries run out.
        flaky
            .configure(json!({"secret": secret, "status": 500, "body": "boom"}))
            .await;
        for _ in 0..10 {
            clock.advance(Duration::hours(2));
            send_calls(&app, &clock).await;
        }
        // (A day later: the administrator signs in again.)
        let admin = signed_in(&app, "ada.admin@gatehouse.demo").await;
        let page = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&package, &rid)))
            .await;
        assert!(page.has("Failed"), "{}", page.body);
        assert!(page.has("the endpoint answered 500: boom"), "{}", page.body);
        assert!(page.has("gave up after 6 tries"));
        assert!(!page.has(&secret), "the secret never reaches a page");
        assert!(page.has(r#"data-label="Tries">6<"#));
        // The slow first try is recorded once the receiver has slept it out.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let tries = flaky.calls().await;
        assert_eq!(
            tries.len(),
            5,
            "six tries, one of them to no endpoint; no more once failed"
        );
        // Up again: Reprocess sends it once more, the same call.
        flaky.configure(json!({"secret": secret})).await;
        let action = form_action(
            &page,
            "Custom extension calls",
            routes::ADMIN_CALL_REPROCESS,
        );
        let r = admin
            .post(
                &app.url(&action),
                &[
                    ("csrf_token", &page.csrf()),
                    ("back", &routes::ADMIN_PACKAGE_REQUEST.ids(&package, &rid)),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(send_calls(&app, &clock).await, 1);
        let tries = flaky.calls().await;
        assert_eq!(tries.len(), 6);
        assert!(
            tries
                .iter()
                .all(|t| t["id"] == tries[0]["id"] && t["body"] == tries[0]["body"]),
            "every try is the same call, with the same key and body"
        );
        assert!(tries.iter().all(|t| t["verified"] == json!(true)));
        let page = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&package, &rid)))
            .await;
        assert!(page.has(">Sent"), "{}", page.body);
    }
);

/// A Gatehouse serving the database in a process of its own, with its
/// workers running; killed when dropped, so a failing test leaves none behind.
struct Served(std::process::Child);

impl Served {
    fn start(database: &str) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GATEHOUSE_BIND", format!("127.0.0.1:{port}"))
            .env("GATEHOUSE_PUBLIC_URL", &base)
            .env("GATEHOUSE_DATABASE_URL", database)
            .env("GATEHOUSE_JOBS_INTERVAL_SECONDS", "1")
            .current_dir(std::env::temp_dir())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Served(child)
    }

    /// Killed at once, as by a crash (SIGKILL).
    fn kill(mut self) {
        self.end();
    }

    fn end(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.end();
    }
}

/// How many calls are in each state, and how many are claimed now. Bounded:
/// a read that cannot finish fails the test rather than holding up the run.
async fn calls_by_state(store: &gatehouse::store::Store) -> (i64, i64) {
    let read = async {
        let now = gatehouse::store::ts(chrono::Utc::now());
        let mut c = store.read().await.unwrap();
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM custom_extension_callouts WHERE state = 'sent'",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap();
        let claimed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM custom_extension_callouts WHERE state = 'queued' AND next_attempt_at > $1",
        )
        .bind(now)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        (sent, claimed)
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), read)
        .await
        .expect("reading the calls' states ends within 30 seconds")
}

/// Reads the calls' states until `done` holds of them, for up to `limit`;
/// whether it came to hold.
async fn wait_for_calls(
    store: &gatehouse::store::Store,
    limit: std::time::Duration,
    done: impl Fn((i64, i64)) -> bool,
) -> bool {
    let until = std::time::Instant::now() + limit;
    while std::time::Instant::now() < until {
        if done(calls_by_state(store).await) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

both!(
    a_claim_that_ran_out_writes_nothing_over_the_next,
    |backend| async move {
        use gatehouse::service::custom_extensions as calls;
        let (app, admin, clock) = demo(backend).await;
        let cat = catalog(&app, &clock, "Claims catalog", false, &[])
            .await
            .to_string();
        // A timeout of 1 s: a claim lasts 12 s.
        let (_hook, ext, _secret) = signed_extension(&app, &admin, &cat, "Hook", "1", None).await;
        let granted = [("assignmentRequestGranted", ext.as_str())];
        let package = package(&app, &admin, &clock, &cat, false, &granted).await;
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &package, &[]).await;
        let rid = request_id_for(&app, ERIC).await;
        assert_eq!(state_of(&app, &rid).await, "delivered");

        // One instance claims the call and stalls past its claim; another
        // claims it then.
        let first = calls::claim(&app.store, clock.now())
            .await
            .unwrap()
            .unwrap();
        clock.advance(Duration::minutes(1));
        let second = calls::claim(&app.store, clock.now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.id, second.id);
        // The first's failure writes nothing: the second's claim still
        // holds when a retry of the first's would have been due (10 s).
        let down = Err((Some(503), "down".to_string()));
        calls::finish(&app.store, &first, down, 5, clock.now())
            .await
            .unwrap();
        clock.advance(Duration::seconds(10));
        let third = calls::claim(&app.store, clock.now()).await.unwrap();
        assert!(
            third.is_none(),
            "claimed a third time while the second sends"
        );
        // The second's answer is the one the log tells, once.
        calls::finish(&app.store, &second, Ok(202), 5, clock.now())
            .await
            .unwrap();
        calls::finish(&app.store, &first, Ok(202), 5, clock.now())
            .await
            .unwrap();
        let called = "SELECT COUNT(*) FROM audit_events WHERE action = 'Custom extension called'";
        assert_eq!(count(&app, called).await, 1);
        let page = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&package, &rid)))
            .await;
        assert!(page.has("Sent") && !page.has("down"), "{}", page.body);
    }
);

both!(
    gatehouse_killed_with_calls_queued_makes_every_call_after_a_restart,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let cat = catalog(&app, &clock, "Crash catalog", false, &[])
            .await
            .to_string();
        let (hook, ext, secret) = signed_extension(&app, &admin, &cat, "Recorder", "5", None).await;
        // Slow: a call is still with the receiver when Gatehouse is killed.
        hook.configure(json!({"secret": secret, "delay": 3.0}))
            .await;
        let package = package(
            &app,
            &admin,
            &clock,
            &cat,
            false,
            &[
                ("assignmentRequestCreated", &ext),
                ("assignmentRequestGranted", &ext),
            ],
        )
        .await;
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &package, &[]).await;
        // The instance that queued the calls stops before sending them (at
        // once: it has nothing in flight).
        tokio::time::timeout(std::time::Duration::from_secs(60), app.handle.stop(false))
            .await
            .expect("the in-process server stops within a minute");
        // Read with a pool of the test's own: the stopped server's workers
        // took their connections down with them.
        let store = gatehouse::store::Store::connect(&app.database)
            .await
            .unwrap();
        assert_eq!(calls_by_state(&store).await, (0, 0));

        // Started again, it takes the first call and is killed while sending it.
        let first = Served::start(app.database.expose());
        let minute = std::time::Duration::from_secs(60);
        let claimed = wait_for_calls(&store, minute, |(_, claimed)| claimed > 0).await;
        assert!(
            claimed,
            "the restarted instance took a call within a minute"
        );
        // Killed once the call is with the receiver (a fixed pause lost the
        // race on a busy machine: the call had not left yet).
        let deadline = std::time::Instant::now() + minute;
        while hook.arrived().await == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the claimed call reached the receiver within a minute"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        first.kill();
        hook.configure(json!({"secret": secret})).await;

        // Once more: every call is made, the interrupted one again once its
        // claim runs out (twice the 5-second timeout and a little).
        let second = Served::start(app.database.expose());
        let done = wait_for_calls(&store, 2 * minute, |(sent, _)| sent == 2).await;
        second.kill();
        assert!(done, "both calls made within two minutes of the restart");
        let calls = hook.calls().await;
        assert!(calls.iter().all(|c| c["verified"] == json!(true)));
        let mut ids: Vec<String> = calls
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            calls.len(),
            3,
            "the interrupted call twice, the other once: {ids:?}"
        );
        // The interrupted call: the one the first instance took.
        let repeats: Vec<&Value> = calls
            .iter()
            .filter(|c| calls.iter().filter(|o| o["id"] == c["id"]).count() == 2)
            .collect();
        assert_eq!(repeats.len(), 2, "repeated with the same key: {ids:?}");
        assert_eq!(repeats[0]["body"], repeats[1]["body"], "and the same body");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 2, "two calls in all");
    }
);

both!(
    oauth_extensions_carry_a_token_and_expiry_stages_are_called,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let cat = catalog(&app, &clock, "Token catalog", false, &[])
            .await
            .to_string();
        let hook = Receiver::new();
        hook.configure(json!({"bearer": "oauth-token-1"})).await;
        let url = hook.url();
        let token_url = format!("{}/token", hook.base);
        // A client of its own: tokens are kept per client, across tests.
        let client = format!("gatehouse-{}", hook.name);
        let fields = [
            ("display_name", "Workflow engine"),
            ("endpoint_url", url.as_str()),
            ("authentication", "oauth"),
            ("token_url", token_url.as_str()),
            ("client_id", client.as_str()),
            ("client_secret", "token-secret"),
            ("scope", "hooks.write"),
            ("timeout_seconds", "5"),
            ("behavior", "launchAndContinue"),
        ];
        let (ext, shown) = make_extension(&app, &admin, &cat, &fields).await;
        assert!(shown.is_empty(), "no signing secret for OAuth");
        let page = admin
            .get(&app.url(routes::ADMIN_CATALOG_EXTENSION.ids(&cat, &ext)))
            .await;
        assert!(page.has("OAuth 2.0 client credentials"), "{}", page.body);
        assert!(
            !page.has("token-secret"),
            "the client secret is never shown"
        );
        // Saved again with the secret left empty: it is kept.
        let csrf = page.csrf();
        let mut again = fields.to_vec();
        again.retain(|(k, _)| *k != "client_secret");
        again.push(("csrf_token", csrf.as_str()));
        let saved = admin
            .post(
                &app.url(routes::ADMIN_CATALOG_EXTENSION.ids(&cat, &ext)),
                &again,
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);

        // Access for 20 days: the expiry stages come 14 days and 1 day before.
        let package = package(
            &app,
            &admin,
            &clock,
            &cat,
            false,
            &[
                ("assignmentRequestGranted", &ext),
                ("assignmentFourteenDaysBeforeExpiration", &ext),
                ("assignmentOneDayBeforeExpiration", &ext),
            ],
        )
        .await;
        // The console's policy asked for no end: give it one of 20 days.
        let policies = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&package)))
            .await;
        let edit = form_link(&policies, "With extensions");
        let form = admin.get(&app.url(&edit)).await;
        assert!(
            form.has(&format!(r#"<option value="{ext}" selected>"#)),
            "the stored choices show: {}",
            form.body
        );
        let csrf = form.csrf();
        let saved = admin
            .post(
                &app.url(&edit),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("policy_name", "With extensions"),
                    ("scope", "allMemberUsers"),
                    ("enabled", "on"),
                    ("enable_requests", "on"),
                    ("expiration_type", "days"),
                    ("expiration_days", "20"),
                    ("q_count", "0"),
                    ("ext_assignmentRequestGranted", ext.as_str()),
                    ("ext_assignmentFourteenDaysBeforeExpiration", ext.as_str()),
                    ("ext_assignmentOneDayBeforeExpiration", ext.as_str()),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &package, &[]).await;
        assert_eq!(send_calls(&app, &clock).await, 1);
        let calls = hook.calls().await;
        assert_eq!(calls.len(), 1);
        assert_eq!(
            calls[0]["authorization"],
            json!("Bearer oauth-token-1"),
            "a token from the token endpoint"
        );
        assert_eq!(calls[0]["verified"], json!(true));

        clock.advance(Duration::days(7));
        run_jobs(&app, &clock).await;
        assert_eq!(send_calls(&app, &clock).await, 1);
        clock.advance(Duration::days(12));
        run_jobs(&app, &clock).await;
        assert_eq!(send_calls(&app, &clock).await, 1);
        let calls = hook.calls().await;
        assert_eq!(calls.len(), 3);
        let fourteen = body(&calls[1]);
        assert_eq!(
            fourteen["data"]["@odata.type"],
            json!("microsoft.graph.accessPackageAssignmentCalloutData")
        );
        assert_eq!(
            fourteen["data"]["stage"],
            json!("assignmentFourteenDaysBeforeExpiration")
        );
        assert!(
            fourteen["data"]["assignment"]["schedule"]["expiration"]["endDateTime"].is_string()
        );
        assert_eq!(
            body(&calls[2])["data"]["stage"],
            json!("assignmentOneDayBeforeExpiration")
        );
        // Nothing twice.
        run_jobs(&app, &clock).await;
        assert_eq!(send_calls(&app, &clock).await, 0);
        let tokens: u32 = reqwest::get(format!("{}/tokens/{client}", hook.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(tokens, 1, "the token is kept for the next calls");
    }
);

/// The link (href) of the anchor whose text is `text`.
fn form_link(page: &Page, text: &str) -> String {
    let at = page
        .body
        .find(&format!(">{text}</a>"))
        .unwrap_or_else(|| panic!("no link {text}"));
    let start = page.body[..at].rfind("href=\"").unwrap() + 6;
    html_unescape(&page.body[start..at - 1])
}

both!(
    an_extension_as_approver_approves_or_denies_its_stage,
    |backend| async move {
        let (app, admin, clock) = demo(backend).await;
        let cat = catalog(&app, &clock, "Judged catalog", false, &[])
            .await
            .to_string();
        let (judge, ext, _) = signed_extension(&app, &admin, &cat, "Risk engine", "5", None).await;
        // A stage with no person at all: the extension decides it.
        let package = package(&app, &admin, &clock, &cat, false, &[]).await;
        let policies = admin
            .get(&app.url(routes::ADMIN_PACKAGE_POLICIES.id(&package)))
            .await;
        let edit = form_link(&policies, "With extensions");
        let form = admin.get(&app.url(&edit)).await;
        assert!(
            form.has("A custom extension that approves or denies"),
            "{}",
            form.body
        );
        let csrf = form.csrf();
        let fields = |with: bool| {
            let mut f = vec![
                ("csrf_token", csrf.clone()),
                ("policy_name", "With extensions".to_string()),
                ("scope", "allMemberUsers".to_string()),
                ("enabled", "on".to_string()),
                ("enable_requests", "on".to_string()),
                ("expiration_type", "never".to_string()),
                ("q_count", "0".to_string()),
                ("approval_required", "on".to_string()),
                ("stage_count", "1".to_string()),
                ("s1_days", "14".to_string()),
            ];
            if with {
                f.push(("ext_assignmentRequestApprovalStage1", ext.clone()));
            }
            f
        };
        let without = fields(false);
        let without: Vec<(&str, &str)> = without.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = admin.post(&app.url(&edit), &without).await;
        assert_eq!(refused.status, 422, "a stage needs someone to decide it");
        assert!(refused.has("Stage 1 needs at least one approver."));
        let with = fields(true);
        let with: Vec<(&str, &str)> = with.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = admin.post(&app.url(&edit), &with).await;
        assert_eq!(saved.status, 303, "{}", saved.body);

        // Approved by the extension: delivered, its decision shown.
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &package, &[]).await;
        let rid = request_id_for(&app, ERIC).await;
        assert_eq!(state_of(&app, &rid).await, "pendingApproval");
        assert_eq!(send_calls(&app, &clock).await, 1);
        let call = body(&judge.calls().await[0]);
        assert_eq!(
            call["data"]["stage"],
            json!("assignmentRequestApprovalStage1")
        );
        let token = call["data"]["callbackToken"].as_str().unwrap().to_string();
        let url = call["data"]["callbackUrl"].as_str().unwrap().to_string();
        assert_eq!(
            call_back(&url, Some(&token), &resume_body(&call, None, "")).await,
            400,
            "a decision is asked for"
        );
        assert_eq!(
            call_back(
                &url,
                Some(&token),
                &resume_body(&call, Some("approved"), "Low risk")
            )
            .await,
            204
        );
        assert_eq!(state_of(&app, &rid).await, "delivered");
        let details = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&package, &rid)))
            .await;
        assert!(
            details.has("<td>Approved</td><td>Risk engine</td><td>Low risk</td>"),
            "{}",
            details.body
        );

        // Denied by it: the requestor sees the reason.
        let emma = signed_in(&app, EMMA).await;
        request(&app, &emma, &package, &[]).await;
        let denied = request_id_for(&app, EMMA).await;
        send_calls(&app, &clock).await;
        let call = body(&judge.calls().await[1]);
        let token = call["data"]["callbackToken"].as_str().unwrap().to_string();
        let url = call["data"]["callbackUrl"].as_str().unwrap().to_string();
        assert_eq!(
            call_back(
                &url,
                Some(&token),
                &resume_body(&call, Some("denied"), "High risk")
            )
            .await,
            204
        );
        assert_eq!(state_of(&app, &denied).await, "denied");
        let page = emma.get(&app.url(routes::REQUEST.id(&denied))).await;
        assert!(page.has("High risk"), "{}", page.body);
        assert_eq!(
            call_back(
                &url,
                Some(&token),
                &resume_body(&call, Some("approved"), "")
            )
            .await,
            409,
            "the first decision wins"
        );

        // A stage both a person and the extension may decide: the person
        // decides first, and the extension's answer comes too late.
        let both = self::package(
            &app,
            &admin,
            &clock,
            &cat,
            true,
            &[("assignmentRequestApprovalStage1", &ext)],
        )
        .await;
        // After Eric's earlier request, so that his newest is this one.
        clock.advance(Duration::minutes(1));
        let eric = signed_in(&app, ERIC).await;
        request(&app, &eric, &both, &[]).await;
        let rid = request_id_for(&app, ERIC).await;
        assert_eq!(send_calls(&app, &clock).await, 1);
        let call = body(judge.calls().await.last().unwrap());
        assert_eq!(call["data"]["accessPackageAssignmentRequestId"], json!(rid));
        approve_as(&app, MARIA, &rid).await;
        assert_eq!(state_of(&app, &rid).await, "delivered");
        // The call is called off, as the request's page shows.
        let details = admin
            .get(&app.url(routes::ADMIN_PACKAGE_REQUEST.ids(&both, &rid)))
            .await;
        assert!(
            details.has(r#"<td data-label="Status">Not needed any more"#),
            "{}",
            details.body
        );
        let token = call["data"]["callbackToken"].as_str().unwrap();
        let url = call["data"]["callbackUrl"].as_str().unwrap();
        assert_eq!(
            call_back(url, Some(token), &resume_body(&call, Some("denied"), "")).await,
            409,
            "the stage was decided"
        );
        assert_eq!(state_of(&app, &rid).await, "delivered");
    }
);
