//! Log output on stderr, filtered by `RUST_LOG` (default
//! `info,sqlx=warn,actix_server=warn`): lines for
//! people, or one JSON object a line with `GATEHOUSE_LOG_FORMAT=json`, for
//! log collectors. Every line a request causes carries its request id (the
//! `request` span, see `web::trace`).

use tracing_subscriber::EnvFilter;

/// Whether logs are JSON lines (`GATEHOUSE_LOG_FORMAT=json`).
fn json_lines() -> bool {
    std::env::var("GATEHOUSE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"))
}

/// Writes why the process stops, in the log's format (a JSON line when logs
/// are JSON, so a collector reads it like the others), whatever `RUST_LOG`
/// filters: an operator must always see it.
pub fn fatal(message: &str) {
    if json_lines() {
        let line = serde_json::json!({
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "level": "ERROR",
            "target": "gatehouse",
            "message": message,
        });
        eprintln!("{line}");
    } else {
        eprintln!("error: {message}");
    }
}

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let json = json_lines();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .flatten_event(true)
            .try_init()
    } else {
        builder.try_init()
    };
}
