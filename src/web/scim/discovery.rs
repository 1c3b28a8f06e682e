//! The discovery endpoints (RFC 7644 §4): the service provider's
//! configuration, its resource types and its schemas, for an authorized
//! caller.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::answer::{base_url, caller, list, problem, scim_json};
use crate::domain::scim::{Problem, schema};
use crate::web::respond::Data;

#[tracing::instrument(skip_all)]
pub(super) async fn service_provider_config(state: Data, req: HttpRequest) -> HttpResponse {
    if let Err(r) = caller(&state, &req).await {
        return r;
    }
    scim_json(
        StatusCode::OK,
        &schema::service_provider_config(&base_url(&state)),
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn resource_types(state: Data, req: HttpRequest) -> HttpResponse {
    discovery(&state, &req, schema::resource_types, None).await
}

#[tracing::instrument(skip_all)]
pub(super) async fn resource_type(
    state: Data,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    discovery(
        &state,
        &req,
        schema::resource_types,
        Some(("resource type", &id)),
    )
    .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn schemas(state: Data, req: HttpRequest) -> HttpResponse {
    discovery(&state, &req, schema::schemas, None).await
}

#[tracing::instrument(skip_all)]
pub(super) async fn one_schema(
    state: Data,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    discovery(&state, &req, schema::schemas, Some(("schema", &id))).await
}

/// A discovery endpoint for an authorized caller: all that `of` describes,
/// or the one (what it is, its id) asked for.
async fn discovery(
    state: &Data,
    req: &HttpRequest,
    of: fn(&str) -> Vec<serde_json::Value>,
    one: Option<(&str, &str)>,
) -> HttpResponse {
    if let Err(r) = caller(state, req).await {
        return r;
    }
    let all = of(&base_url(state));
    let Some((what, id)) = one else {
        return scim_json(StatusCode::OK, &list(all.len() as i64, 1, all));
    };
    match all.into_iter().find(|t| t["id"].as_str() == Some(id)) {
        Some(t) => scim_json(StatusCode::OK, &t),
        None => problem(&Problem::new(
            404,
            None,
            format!("There is no {what} {id}."),
        )),
    }
}
