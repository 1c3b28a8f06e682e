//! The walkthrough's first flow in a real headless browser: Debian's Chromium,
//! driven by `tests/browser/new_guest.mjs` (playwright-core). Screenshots of
//! each step are kept in `target/test-artifacts/browser/`.

use crate::helpers::*;

#[tokio::test]
async fn a_new_guest_requests_and_is_approved_in_a_real_browser() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let artifacts = std::env::var("GATEHOUSE_TEST_ARTIFACTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target/test-artifacts"))
        .join("browser");
    let _ = std::fs::remove_dir_all(&artifacts);
    // Off the runtime's thread, which also serves the app the browser talks to.
    let (script, address, dir) = (
        root.join("tests/browser/new_guest.mjs"),
        app.address.clone(),
        artifacts.clone(),
    );
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .arg(address)
            .arg(dir)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs: use `bash tests/run-all.sh`, which installs it");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser flow failed:\n{stdout}\n{stderr}"
    );
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
