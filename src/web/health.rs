//! Liveness and readiness probes for load balancers and orchestrators.

use actix_web::HttpResponse;
use serde_json::json;

use crate::service::health;
use crate::web::respond::Data;

/// The process is up.
#[tracing::instrument(skip_all)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The process can serve: its database answers.
#[tracing::instrument(skip_all)]
pub async fn readyz(state: Data) -> HttpResponse {
    if health::database_answers(&state.store).await {
        HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"}))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(json!({"status": "unavailable", "database": "unreachable"}))
    }
}
