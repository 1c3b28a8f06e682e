//! The binary: help, bad configuration, migrate.

use std::process::Command;

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
