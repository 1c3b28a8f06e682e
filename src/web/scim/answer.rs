//! What every SCIM call goes through: the caller's bearer token checked
//! (who the audit log names), a body read within its limit, and the answer
//! made: documents and error documents (RFC 7644 §3.12), with the URLs they
//! give.

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use serde_json::{Value, json};

use crate::domain::api_token::Purpose;
use crate::domain::audit::Actor;
use crate::domain::scim::{ERROR_SCHEMA, LIST_SCHEMA, MAX_BODY_BYTES, Problem};
use crate::routes;
use crate::service::api_tokens::{self, Refusal};
use crate::service::scim::ScimError;
use crate::web::error::RETRY_AFTER_SECONDS;
use crate::web::extract::body::BodyError;
use crate::web::respond::Data;

pub const BASE: &str = routes::SCIM.as_str();

/// A resource's URL, from the service's base URL and its path.
pub(crate) fn location(base: &str, path: &str) -> String {
    format!("{base}{}", path.strip_prefix(BASE).unwrap_or(path))
}

/// A SCIM document.
pub(crate) fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(ContentType(
            "application/scim+json".parse().expect("a media type"),
        ))
        .body(body.to_string())
}

/// A SCIM error document (RFC 7644 §3.12).
pub(crate) fn problem(p: &Problem) -> HttpResponse {
    let mut body = json!({
        "schemas": [ERROR_SCHEMA],
        "status": p.status.to_string(),
        "detail": p.detail,
    });
    if let Some(t) = p.scim_type {
        body["scimType"] = json!(t);
    }
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = scim_json(status, &body);
    if p.status == 401 {
        res.headers_mut().insert(
            actix_web::http::header::WWW_AUTHENTICATE,
            actix_web::http::header::HeaderValue::from_static("Bearer realm=\"gatehouse-scim\""),
        );
    }
    res
}

/// The answer to a failed call: the provider's error as such, Gatehouse's
/// own as a 500 (logged, its details kept out of the answer).
pub(crate) fn failed(e: ScimError) -> HttpResponse {
    match e {
        ScimError::Problem(p) => problem(&p),
        ScimError::Internal(crate::service::ServiceError::NotFound) => {
            problem(&Problem::new(404, None, "Not found."))
        }
        // Another change held the same people or group; a provider tries a
        // 503 again (Entra ID and Okta both do), so nothing is lost.
        ScimError::Internal(e) if e.gave_way() => {
            tracing::warn!(error = %e, "SCIM call given up for another change at the same moment");
            let mut res = problem(&Problem::new(
                503,
                None,
                "Another change to the same people or groups was being saved at that moment, so nothing was changed. Try again.",
            ));
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            res
        }
        ScimError::Internal(e) => {
            tracing::error!(error = %format!("{e:#}"), "SCIM call failed");
            problem(&Problem::new(
                500,
                None,
                "Gatehouse could not complete the call; it was logged.",
            ))
        }
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn not_allowed() -> HttpResponse {
    problem(&Problem::new(
        405,
        None,
        "This endpoint does not take that method.",
    ))
}

#[tracing::instrument(skip_all)]
pub(super) async fn unknown() -> HttpResponse {
    problem(&Problem::new(404, None, "There is no such SCIM endpoint."))
}

/// The guard every SCIM endpoint takes: the caller, once its bearer token
/// is accepted, as the audit log names it ("SCIM: Entra ID"). A call
/// without an accepted token is answered (401, 403) before its handler runs.
pub(crate) struct ScimCaller(pub Actor);

impl FromRequest for ScimCaller {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let refused = |res: HttpResponse| -> actix_web::Error {
                InternalError::from_response("SCIM call refused", res).into()
            };
            let Some(state) = req.app_data::<Data>() else {
                tracing::error!("SCIM call without the application state");
                return Err(refused(problem(&Problem::new(
                    500,
                    None,
                    "Gatehouse could not complete the call; it was logged.",
                ))));
            };
            caller(state, &req).await.map(ScimCaller).map_err(refused)
        })
    }
}

/// The caller, once its bearer token is accepted: the audit log names the
/// token ("SCIM: Entra ID").
async fn caller(state: &Data, req: &HttpRequest) -> Result<Actor, HttpResponse> {
    let bearer = crate::web::extract::bearer::bearer(req);
    match api_tokens::authenticate(&state.store, bearer, Purpose::Scim, state.clock.now()).await {
        Ok(Ok(token)) => Ok(Actor {
            user_id: None,
            display_name: format!("SCIM: {}", token.name),
        }),
        Ok(Err(Refusal::Unauthorized(m))) => Err(problem(&Problem::new(401, None, m))),
        Ok(Err(Refusal::Forbidden(m))) => Err(problem(&Problem::new(403, None, m))),
        Err(e) => Err(failed(ScimError::Internal(e))),
    }
}

/// A JSON body of at most `MAX_BODY_BYTES` (413 beyond, read no further).
pub(crate) async fn body(payload: web::Payload) -> Result<Value, HttpResponse> {
    let bytes = crate::web::extract::body::at_most(payload, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            problem(&match e {
                BodyError::Unreadable => {
                    Problem::invalid_syntax("The request body could not be read.")
                }
                BodyError::TooLarge => Problem::new(
                    413,
                    None,
                    format!("The body is larger than {MAX_BODY_BYTES} bytes."),
                ),
            })
        })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        problem(&Problem::invalid_syntax(format!(
            "The body is not JSON: {e}."
        )))
    })
}

/// The URL of the SCIM endpoints, for `meta.location` and references.
pub(crate) fn base_url(state: &Data) -> String {
    state.config.url_for(BASE)
}

pub(crate) fn list(total: i64, start: i64, items: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}
