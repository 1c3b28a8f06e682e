use crate::both;
use crate::helpers::*;
use gatehouse::routes;

both!(health_and_readiness, |backend| async move {
    let app = spawn(Options::new(backend)).await;
    let b = Browser::new();
    let health = b.get(&app.url(routes::HEALTHZ)).await;
    assert_eq!(health.status, 200);
    assert!(health.has(r#""status":"ok""#));
    let ready = b.get(&app.url(routes::READYZ)).await;
    assert_eq!(ready.status, 200);
    assert!(ready.has(r#""database":"ok""#));

    // The database goes away: ready turns 503, healthy stays 200.
    app.store.close().await;
    let ready = b.get(&app.url(routes::READYZ)).await;
    assert_eq!(ready.status, 503);
    assert!(ready.has("unreachable"));
    assert_eq!(b.get(&app.url(routes::HEALTHZ)).await.status, 200);
});

#[tokio::test]
async fn unknown_pages_get_a_404_page_inside_the_layout() {
    let app = spawn(Options::new(Backend::Sqlite).demo()).await;
    let b = Browser::new();
    app.demo_sign_in(&b, "eric.employee@gatehouse.demo").await;
    let page = b.get(&app.url("/no/such/page")).await;
    assert_eq!(page.status, 404);
    assert!(page.has("Page not found"));
    assert!(
        page.has("Eric Employee"),
        "the layout shows who is signed in"
    );
    assert!(page.has("Sign out"));
}

#[tokio::test]
async fn static_files_are_served_from_the_binary() {
    let app = spawn(Options::new(Backend::Sqlite)).await;
    let b = Browser::new();
    let css = b.get(&app.url(routes::APP_CSS)).await;
    assert_eq!(css.status, 200);
    assert!(css.has(".demo-banner"));
    // Out of the assets' folder, sent as written (a client library would
    // resolve the `..` before sending): the file server must not serve it.
    let escape = routes::APP_CSS
        .as_str()
        .replace("css/app.css", "../Cargo.toml");
    let host = app.url("").trim_start_matches("http://").to_string();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut socket = std::net::TcpStream::connect(&host).unwrap();
        let asked = format!("GET {escape} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        socket.write_all(asked.as_bytes()).unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(!answer.contains("[package]"), "{answer}");
}
