//! The discovery endpoints (RFC 7644 §4): the service provider's
//! configuration, its resource types and its schemas, for an authorized
//! caller.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::answer::{ScimCaller, base_url, list, problem, scim_json};
use crate::domain::scim::{Problem, schema};
use crate::web::respond::Data;

#[tracing::instrument(skip_all)]
pub(super) async fn service_provider_config(_: ScimCaller, state: Data) -> HttpResponse {
    scim_json(
        StatusCode::OK,
        &schema::service_provider_config(&base_url(&state)),
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn resource_types(_: ScimCaller, state: Data) -> HttpResponse {
    discovery(&state, schema::resource_types, None)
}

#[tracing::instrument(skip_all)]
pub(super) async fn resource_type(
    _: ScimCaller,
    state: Data,
    id: web::Path<String>,
) -> HttpResponse {
    discovery(&state, schema::resource_types, Some(("resource type", &id)))
}

#[tracing::instrument(skip_all)]
pub(super) async fn schemas(_: ScimCaller, state: Data) -> HttpResponse {
    discovery(&state, schema::schemas, None)
}

#[tracing::instrument(skip_all)]
pub(super) async fn one_schema(_: ScimCaller, state: Data, id: web::Path<String>) -> HttpResponse {
    discovery(&state, schema::schemas, Some(("schema", &id)))
}

/// A discovery endpoint for an authorized caller: all that `of` describes,
/// or the one (what it is, its id) asked for.
fn discovery(
    state: &Data,
    of: fn(&str) -> Vec<serde_json::Value>,
    one: Option<(&str, &str)>,
) -> HttpResponse {
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
