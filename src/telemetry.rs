//! Log output on stderr, filtered by `RUST_LOG` (default
//! `info,sqlx=warn,actix_server=warn`): lines for
//! people, or one JSON object a line with `GATEHOUSE_LOG_FORMAT=json`, for
//! log collectors. Every line a request causes carries its request id (the
//! `request` span, see `web::trace`).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let json = std::env::var("GATEHOUSE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
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
