//! Key flows in a real headless browser: Debian's Chromium, driven by the
//! scripts in `tests/browser/` (playwright-core). Screenshots are kept in
//! `target/test-artifacts/`: the walkthrough's first flow in `browser/`, the
//! pages at desktop width and at 390 px in `pages/`.

use crate::helpers::*;

#[tokio::test]
async fn a_new_guest_requests_and_is_approved_in_a_real_browser() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let stdout = run_script(&app, "new_guest.mjs", "browser").await;
    // What each person saw, step by step (the script stops at the first miss).
    for seen in [
        "the guests package is offered",
        "the request waits for approval",
        "the approval mail is in the outbox",
        "an approval link in the outbox",
        "the answers are shown",
        "the approver is told the request is delivered",
        "signed in as the new guest account",
        "the package is marked as held",
        "the request is delivered",
    ] {
        assert!(
            stdout.lines().any(|l| l == format!("seen: {seen}")),
            "the browser did not see {seen:?}:\n{stdout}"
        );
    }

    // What the browser did is in the database too.
    let mut c = app.store.read().await.unwrap();
    let guests: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE user_type = 'guest' AND lifecycle = 'governed' AND email LIKE '%@fabrikam.example'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(guests, 1);
}

/// Runs a script of `tests/browser/` against the app; its screenshots go to
/// `target/test-artifacts/{dir}`. Returns what it printed.
async fn run_script(app: &TestApp, script: &str, dir: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let artifacts = std::env::var("GATEHOUSE_TEST_ARTIFACTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target/test-artifacts"))
        .join(dir);
    let _ = std::fs::remove_dir_all(&artifacts);
    // Off the runtime's thread, which also serves the app the browser talks to.
    let (script, address) = (root.join("tests/browser").join(script), app.address.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .arg(address)
            .arg(artifacts)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs: use `bash tests/run-all.sh`, which installs it");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser flow failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[tokio::test]
async fn the_main_pages_are_accessible_and_work_at_any_width_with_or_without_javascript() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let stdout = run_script(&app, "pages.mjs", "pages").await;
    for seen in [
        "My Access has its tabs",
        "the request is in the request history",
        "the request can be canceled from its page",
        "the Active view",
        "the request waits in the Approvals tab",
        "the decision is in the history",
        "the console navigation is grouped",
        "the console home says what needs attention",
        "the picker writes the chosen address into the field",
        "the policy editor works without JavaScript",
        "adding a translation adds a row in the page",
        "the new translation takes the next index",
        "a question added in the page starts without translations",
        "adding a choice adds a field in the page",
        "adding a question without JavaScript adds a row",
        "the Custom extensions tab",
        "the translation added to an attribute takes the next index",
        "the translation added to an attribute is numbered in its labels",
        "an attribute added in the page starts without translations",
        "the Access reviews tab",
    ] {
        assert!(
            stdout.lines().any(|l| l == format!("seen: {seen}")),
            "the browser did not see {seen:?}:\n{stdout}"
        );
    }
    for page in [
        "my-access-available",
        "request-form",
        "request-history",
        "request-details",
        "my-access-active",
        "approvals",
        "approval-page",
        "console-home",
        "package",
        "policy-editor",
        "custom-extensions",
        "required-attributes",
        "access-reviews",
        "my-access-reviews",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l == format!("seen: no serious accessibility violations on {page}")),
            "axe did not pass {page}:\n{stdout}"
        );
    }
    // What the browser did is in the database too: Eric's request, approved.
    let mut c = app.store.read().await.unwrap();
    let delivered: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM assignment_requests r JOIN users u ON u.id = r.target_id \
         WHERE u.email = 'eric.employee@gatehouse.demo' AND r.state = 'delivered'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert!(delivered >= 1);
}
