//! Where custom extensions answer: `POST .../assignmentRequests/{id}/resume`
//! with the call's callback token as bearer token and the real product's
//! resume body. Answered `204 No Content`, or a JSON error in Graph's shape
//! (`{"error": {"code", "message"}}`) that changes nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::domain::ids::RequestId;
use crate::routes;
use crate::service::requests::{CallbackRefusal, resume as resume_request};
use crate::web::error::RETRY_AFTER_SECONDS;
use crate::web::extract::bearer::bearer;
use crate::web::extract::body::{self, BodyError};
use crate::web::respond::Data;

/// A callback body is small; anything larger is refused before reading it.
const MAX_BODY: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(routes::REQUEST_RESUME.pattern()).route(web::post().to(resume)));
}

fn error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"error": {"code": code, "message": message}}))
}

#[tracing::instrument(skip_all)]
async fn resume(
    state: Data,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let bytes = match body::at_most(payload, MAX_BODY).await {
        Ok(b) => b,
        Err(BodyError::Unreadable) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "The body could not be read.",
            );
        }
        Err(BodyError::TooLarge) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "The body is larger than 64 KiB.",
            );
        }
    };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The body must be a JSON object.",
        );
    };
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "There is no such request.",
        )
    };
    let Some(id) = RequestId::parse(&path) else {
        return not_found();
    };
    let token = bearer(&req);
    match resume_request(&state.store, &id, token, &body, state.clock.now()).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(CallbackRefusal::NotFound) => not_found(),
        Err(CallbackRefusal::Unauthorized) => error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Give the callback token of the call as a bearer token.",
        ),
        Err(CallbackRefusal::NotWaiting) => error(
            StatusCode::CONFLICT,
            "Conflict",
            "The request is not waiting for this call any more (answered, timed out or ended).",
        ),
        Err(CallbackRefusal::Invalid(m)) => error(StatusCode::BAD_REQUEST, "BadRequest", &m),
        Err(CallbackRefusal::Failed(e)) => {
            // Given up for another change at that moment: nothing is wrong.
            if e.gave_way() {
                tracing::warn!(error = %e, "custom extension callback given up for another change");
            } else {
                tracing::error!(error = %e, "custom extension callback");
            }
            let mut res = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The answer could not be recorded; send it again.",
            );
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            res
        }
    }
}
