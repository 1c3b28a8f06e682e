//! The binary: help, bad configuration, migrate.

use std::process::Command;

use gatehouse::routes;

use crate::helpers::*;

fn gatehouse() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir());
    c
}

#[test]
fn help_explains_the_subcommands() {
    let out = gatehouse().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("serve") && text.contains("migrate"), "{text}");
    let serve = gatehouse().args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&serve.stdout).contains("--demo"));
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_and_exit_code_2() {
    for (name, value, expect) in [
        (
            "GATEHOUSE_BIND",
            "localhost",
            "GATEHOUSE_BIND: `localhost` is not an address and port",
        ),
        (
            "GATEHOUSE_DATABASE_URL",
            "mysql://u:secretpw@h/db",
            "GATEHOUSE_DATABASE_URL: unknown URL scheme `mysql`",
        ),
        (
            "GATEHOUSE_SESSION_KEY",
            "dG9vIHNob3J0",
            "GATEHOUSE_SESSION_KEY: is 9 bytes long",
        ),
        (
            "GATEHOUSE_SMTP_URL",
            "http://user:secretpw@mail",
            "GATEHOUSE_SMTP_URL: unknown URL scheme `http`",
        ),
    ] {
        let out = gatehouse().env(name, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(expect), "{err}");
        assert!(!err.contains("secretpw"), "secrets never printed: {err}");
        assert!(!err.contains("panicked"));
    }
}

/// With JSON logs, why start-up stopped is one JSON line like the others
/// (a setting is read before the log starts, so `RUST_LOG` plays no part).
#[test]
fn a_bad_setting_is_one_json_line_when_logs_are_json() {
    let out = gatehouse()
        .env("GATEHOUSE_LOG_FORMAT", "json")
        .env("GATEHOUSE_BIND", "localhost")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    let line: serde_json::Value = serde_json::from_str(err.trim()).expect("a JSON line");
    assert_eq!(line["level"], "ERROR", "{err}");
    let message = line["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("GATEHOUSE_BIND: `localhost` is not an address and port"),
        "{err}"
    );
}

#[test]
fn demo_on_a_public_address_exits_with_code_2() {
    let out = gatehouse()
        .args(["serve", "--demo"])
        .env("GATEHOUSE_BIND", "0.0.0.0:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

#[tokio::test]
async fn migrate_creates_the_sqlite_database() {
    let url = fresh_database(Backend::Sqlite).await;
    let out = gatehouse()
        .arg("migrate")
        .env("GATEHOUSE_DATABASE_URL", url.expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = url.expose().trim_start_matches("sqlite://").to_string();
    assert!(std::path::Path::new(&path).exists());
    let store = gatehouse::store::Store::connect(&url).await.unwrap();
    let mut c = store.read().await.unwrap();
    assert_eq!(gatehouse::store::users::count(&mut c).await.unwrap(), 0);
}

#[tokio::test]
async fn migrate_twice_changes_nothing_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url = fresh_database(backend).await;
        for run in 0..2 {
            let out = gatehouse()
                .arg("migrate")
                .env("GATEHOUSE_DATABASE_URL", url.expose())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{backend:?}, run {run}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn a_settings_file_is_read_and_an_unknown_key_named() {
    let dir = std::env::temp_dir().join(format!("gatehouse-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gatehouse.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:1\"\nnot_a_setting = true\n").unwrap();
    let out = gatehouse()
        .args(["--config", file.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not_a_setting"));
}

/// `gatehouse serve --demo` answers on its address, seeds the demo tenant,
/// logs JSON lines that carry each request's id when asked to, and stops
/// cleanly on SIGTERM.
#[tokio::test]
async fn serve_answers_and_stops_cleanly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = fresh_database(Backend::Sqlite).await;
    let log = std::env::temp_dir().join(format!("gatehouse-log-{}", uuid::Uuid::new_v4()));
    let mut child = gatehouse()
        .args(["serve", "--demo"])
        .env("GATEHOUSE_LOG_FORMAT", "json")
        .env("GATEHOUSE_BIND", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("GATEHOUSE_DATABASE_URL", url.expose())
        .env("GATEHOUSE_JOBS_INTERVAL_SECONDS", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await {
            if r.status() == 200 {
                ready = true;
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "serve never became ready");
    let login = reqwest::get(format!("{base}/auth/login")).await.unwrap();
    let request_id = login.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let login = login.text().await.unwrap();
    assert!(login.contains("Ada Admin"), "the demo tenant is seeded");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "a clean stop: {exit:?}");
    let logged = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = logged
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let of_login: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["id"] == request_id.as_str())
        .collect();
    assert!(
        of_login
            .iter()
            .any(|l| l["path"] == routes::LOGIN.as_str()
                || l["span"]["path"] == routes::LOGIN.as_str())
            && of_login.iter().any(|l| l["status"] == 200),
        "the sign-in page's log line carries the id sent back ({request_id}): {logged}"
    );
    let _ = std::fs::remove_file(&log);
}
