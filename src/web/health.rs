//! Liveness and readiness probes for load balancers and orchestrators.

use actix_web::HttpResponse;
use serde_json::json;

use super::Data;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The process can serve: its database answers.
#[tracing::instrument(skip_all)]
pub async fn readyz(state: Data) -> HttpResponse {
    if state.store.ping().await {
        HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"}))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(json!({"status": "unavailable", "database": "unreachable"}))
    }
}
