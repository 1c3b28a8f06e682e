//! `/Users`, `/Groups` and searches (`/.search`): parse the call, call the
//! SCIM service, answer with the resource as stored.

use std::collections::HashMap;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use super::answer::{
    ScimCaller, base_url, body, failed, list, location, not_allowed, problem, scim_json,
};
use crate::domain::ids::{GroupId, UserId};
use crate::domain::scim::resource::{Meta, ScimGroup};
use crate::domain::scim::{ENTERPRISE_SCHEMA, Edit, Problem};
use crate::routes;
use crate::service::scim as svc;
use crate::store::scim::{GroupRow, UserRow};
use crate::web::respond::Data;

/// A collection's routes: list and create, search, and one resource's
/// read, replace or patch (one handler) and delete; any other method is a 405.
macro_rules! collection {
    ($cfg:expr, $list:expr, $search:expr, $item:expr, $all:ident, $create:ident, $get:ident, $edit:ident, $delete:ident) => {
        $cfg.service(
            web::resource($list.below(routes::SCIM))
                .route(web::get().to($all))
                .route(web::post().to($create))
                .default_service(web::to(not_allowed)),
        )
        .service(
            web::resource($search.below(routes::SCIM))
                .route(web::post().to($all))
                .default_service(web::to(not_allowed)),
        )
        .service(
            web::resource($item.below(routes::SCIM))
                .route(web::get().to($get))
                .route(web::put().to($edit))
                .route(web::patch().to($edit))
                .route(web::delete().to($delete))
                .default_service(web::to(not_allowed)),
        )
    };
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    collection!(
        cfg,
        routes::SCIM_USERS,
        routes::SCIM_USERS_SEARCH,
        routes::SCIM_USER,
        list_users,
        create_user,
        get_user,
        edit_user,
        delete_user
    );
    collection!(
        cfg,
        routes::SCIM_GROUPS,
        routes::SCIM_GROUPS_SEARCH,
        routes::SCIM_GROUP,
        list_groups,
        create_group,
        get_group,
        edit_group,
        delete_group
    );
    cfg.service(
        web::resource(routes::SCIM_SEARCH.below(routes::SCIM))
            .route(web::post().to(search_all))
            .default_service(web::to(not_allowed)),
    );
}

/// What a list or search asks for.
#[derive(Default)]
struct Query {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

impl Query {
    /// Whether the answer shows groups' members: not when they are
    /// excluded, nor when attributes are named without them. Entra ID asks
    /// for groups with `excludedAttributes=members`; a large group's members
    /// read only to be dropped cost a row each.
    fn shows_members(&self) -> bool {
        let members = |list: &[String]| {
            list.iter().any(|a| {
                let a = a.to_ascii_lowercase();
                a == "members" || a.starts_with("members.")
            })
        };
        !members(&self.excluded) && (self.attributes.is_empty() || members(&self.attributes))
    }
}

fn names(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Query {
    /// From the query string; a number that is not one is an error.
    fn from_request(req: &HttpRequest) -> Result<Query, Problem> {
        let mut q = Query::default();
        for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
            let number = |v: &str| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| Problem::invalid_value(format!("{k} must be a whole number.")))
            };
            match k.to_ascii_lowercase().as_str() {
                "filter" => q.filter = Some(v.into_owned()),
                "startindex" => q.start_index = Some(number(&v)?),
                "count" => q.count = Some(number(&v)?),
                "attributes" => q.attributes = names(&v),
                "excludedattributes" => q.excluded = names(&v),
                _ => {}
            }
        }
        Ok(q)
    }

    /// From a search body (RFC 7644 §3.4.3).
    fn from_body(b: &Value) -> Result<Query, Problem> {
        let o = b
            .as_object()
            .ok_or_else(|| Problem::invalid_syntax("The search body must be an object."))?;
        let get = |name: &str| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let number = |name: &str| -> Result<Option<i64>, Problem> {
            match get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_i64().map(Some).ok_or_else(|| {
                    Problem::invalid_value(format!("{name} must be a whole number."))
                }),
            }
        };
        let list = |name: &str| -> Vec<String> {
            match get(name) {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                Some(Value::String(s)) => names(s),
                _ => vec![],
            }
        };
        Ok(Query {
            filter: get("filter").and_then(Value::as_str).map(str::to_string),
            start_index: number("startIndex")?,
            count: number("count")?,
            attributes: list("attributes"),
            excluded: list("excludedAttributes"),
        })
    }
}

/// Keeps the attributes asked for (`id` and `schemas` always), or drops the
/// excluded ones. Extension attributes are named with their schema URN.
fn project(mut resource: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Some(o) = resource.as_object_mut() else {
        return resource;
    };
    let split = |a: &str| -> (Option<String>, String) {
        let lower = a.to_ascii_lowercase();
        let ext = ENTERPRISE_SCHEMA.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix(&format!("{ext}:")) {
            (
                Some(ENTERPRISE_SCHEMA.to_string()),
                rest.split('.').next().unwrap_or("").to_string(),
            )
        } else if lower == ext {
            (None, ENTERPRISE_SCHEMA.to_ascii_lowercase())
        } else {
            (None, lower.split('.').next().unwrap_or("").to_string())
        }
    };
    let keep_always = |k: &str| k == "id" || k == "schemas";
    if !attributes.is_empty() {
        let wanted: Vec<(Option<String>, String)> = attributes.iter().map(|a| split(a)).collect();
        let mut kept = Map::new();
        for (k, v) in o.iter() {
            let lk = k.to_ascii_lowercase();
            if keep_always(&lk)
                || wanted
                    .iter()
                    .any(|(ext, name)| ext.is_none() && *name == lk)
            {
                kept.insert(k.clone(), v.clone());
            } else if k == ENTERPRISE_SCHEMA {
                if let Some(ext) = v.as_object() {
                    let sub: Map<String, Value> = ext
                        .iter()
                        .filter(|(sk, _)| {
                            wanted
                                .iter()
                                .any(|(e, n)| e.is_some() && *n == sk.to_ascii_lowercase())
                        })
                        .map(|(a, b)| (a.clone(), b.clone()))
                        .collect();
                    if !sub.is_empty() {
                        kept.insert(k.clone(), Value::Object(sub));
                    }
                }
            }
        }
        *o = kept;
    }
    for (ext, name) in excluded.iter().map(|a| split(a)) {
        if keep_always(&name) {
            continue;
        }
        match ext {
            Some(_) => {
                if let Some(Value::Object(e)) = o.get_mut(ENTERPRISE_SCHEMA) {
                    e.retain(|k, _| k.to_ascii_lowercase() != name);
                }
            }
            None => o.retain(|k, _| k.to_ascii_lowercase() != name),
        }
    }
    resource
}

fn user_json(base: &str, u: &UserRow) -> Value {
    let meta = Meta {
        created: u.created_at.clone(),
        last_modified: u.updated_at.clone(),
        location: location(base, &routes::SCIM_USER.id(&u.id)),
        base: base.to_string(),
    };
    u.resource().to_json(&u.id, &meta)
}

fn group_json(base: &str, g: &GroupRow, members: Vec<String>) -> Value {
    let meta = Meta {
        created: g.created_at.clone(),
        last_modified: g.updated_at.clone(),
        location: location(base, &routes::SCIM_GROUP.id(&g.id)),
        base: base.to_string(),
    };
    ScimGroup {
        display_name: g.display_name.clone(),
        external_id: g.external_id.clone(),
        members,
    }
    .to_json(&g.id, &meta)
}

/// A created resource: 201, its location in the header too.
fn created(resource: Value) -> HttpResponse {
    let location = resource["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut res = scim_json(StatusCode::CREATED, &resource);
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&location) {
        res.headers_mut()
            .insert(actix_web::http::header::LOCATION, v);
    }
    res
}

/// The id a path names: a path whose id is no id names nothing, so the
/// client is told it is not found, as for an id that names nothing stored.
macro_rules! path_id {
    ($ty:ty, $what:literal, $raw:expr) => {
        match <$ty>::parse(&$raw) {
            Some(id) => id,
            None => return problem(&Problem::not_found($what, &$raw)),
        }
    };
}

/// The query string's list options (`attributes`, `filter`, paging); a
/// malformed one is answered in SCIM's words.
macro_rules! query_string {
    ($req:expr) => {
        match Query::from_request(&$req) {
            Ok(q) => q,
            Err(p) => return problem(&p),
        }
    };
}

macro_rules! json_body {
    ($payload:expr) => {
        match body($payload).await {
            Ok(b) => b,
            Err(r) => return r,
        }
    };
}

async fn users_page(state: &Data, q: &Query) -> Result<(i64, i64, Vec<Value>), svc::ScimError> {
    let listed = svc::list_users(&state.store, q.filter.as_deref(), q.start_index, q.count).await?;
    let items = user_items(state, q, &listed.items);
    Ok((listed.total, listed.start, items))
}

async fn groups_page(state: &Data, q: &Query) -> Result<(i64, i64, Vec<Value>), svc::ScimError> {
    let (listed, members) = svc::list_groups(
        &state.store,
        q.filter.as_deref(),
        q.start_index,
        q.count,
        q.shows_members(),
    )
    .await?;
    let items = group_items(state, q, &listed.items, members);
    Ok((listed.total, listed.start, items))
}

/// Users as the query shows them.
fn user_items(state: &Data, q: &Query, users: &[UserRow]) -> Vec<Value> {
    let base = base_url(state);
    users
        .iter()
        .map(|u| project(user_json(&base, u), &q.attributes, &q.excluded))
        .collect()
}

/// Groups as the query shows them, each with its members of `members`
/// (group id, user id, display name).
fn group_items(
    state: &Data,
    q: &Query,
    groups: &[GroupRow],
    members: Vec<(String, String, String)>,
) -> Vec<Value> {
    let mut of_group: HashMap<String, Vec<String>> = HashMap::new();
    for (group, user, _) in members {
        of_group.entry(group).or_default().push(user);
    }
    let base = base_url(state);
    groups
        .iter()
        .map(|g| {
            let m = of_group.remove(&g.id).unwrap_or_default();
            project(group_json(&base, g, m), &q.attributes, &q.excluded)
        })
        .collect()
}

fn answer(page: Result<(i64, i64, Vec<Value>), svc::ScimError>) -> HttpResponse {
    match page {
        Ok((total, start, items)) => scim_json(StatusCode::OK, &list(total, start, items)),
        Err(e) => failed(e),
    }
}

/// The query of a list (GET, in the query string) or a search (POST to
/// `.search`, in the body).
async fn query(req: &HttpRequest, payload: web::Payload) -> Result<Query, HttpResponse> {
    let q = match *req.method() {
        Method::GET => Query::from_request(req),
        _ => Query::from_body(&body(payload).await?),
    };
    q.map_err(|p| problem(&p))
}

/// Lists users (GET) or searches them (POST to `.search`).
#[tracing::instrument(skip_all)]
async fn list_users(
    _: ScimCaller,
    state: Data,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    match query(&req, payload).await {
        Ok(q) => answer(users_page(&state, &q).await),
        Err(r) => r,
    }
}

/// Lists groups (GET) or searches them (POST to `.search`).
#[tracing::instrument(skip_all)]
async fn list_groups(
    _: ScimCaller,
    state: Data,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    match query(&req, payload).await {
        Ok(q) => answer(groups_page(&state, &q).await),
        Err(r) => r,
    }
}

/// A search over users and groups at once: each type the filter can apply
/// to, users first; paging over the two lists one after the other.
#[tracing::instrument(skip_all)]
async fn search_all(_: ScimCaller, state: Data, payload: web::Payload) -> HttpResponse {
    let b = json_body!(payload);
    let q = match Query::from_body(&b) {
        Ok(q) => q,
        Err(p) => return problem(&p),
    };
    let found = svc::search_all(
        &state.store,
        q.filter.as_deref(),
        q.start_index,
        q.count,
        q.shows_members(),
    );
    match found.await {
        Ok(all) => {
            let mut items = user_items(&state, &q, &all.users);
            items.extend(group_items(&state, &q, &all.groups, all.members));
            scim_json(StatusCode::OK, &list(all.total, all.start, items))
        }
        Err(e) => failed(e),
    }
}

#[tracing::instrument(skip_all)]
async fn get_user(
    _: ScimCaller,
    state: Data,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let id = path_id!(UserId, "user", id);
    let q = query_string!(req);
    match svc::user(&state.store, &id).await {
        Ok(u) => scim_json(
            StatusCode::OK,
            &project(user_json(&base_url(&state), &u), &q.attributes, &q.excluded),
        ),
        Err(e) => failed(e),
    }
}

#[tracing::instrument(skip_all)]
async fn create_user(
    ScimCaller(actor): ScimCaller,
    state: Data,
    payload: web::Payload,
) -> HttpResponse {
    let b = json_body!(payload);
    match svc::create_user(&state.store, &actor, &b, state.clock.now()).await {
        Ok(u) => created(user_json(&base_url(&state), &u)),
        Err(e) => failed(e),
    }
}

/// What a PUT or a PATCH asks of a resource.
fn how(req: &HttpRequest) -> Edit {
    if req.method() == Method::PATCH {
        Edit::Patch
    } else {
        Edit::Replace
    }
}

/// PUT replaces a user; PATCH changes parts of one.
#[tracing::instrument(skip_all)]
async fn edit_user(
    ScimCaller(actor): ScimCaller,
    state: Data,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let id = path_id!(UserId, "user", id);
    let b = json_body!(payload);
    let edit = svc::edit_user(&state.store, &actor, &id, &b, how(&req), state.clock.now());
    match edit.await {
        Ok(u) => scim_json(StatusCode::OK, &user_json(&base_url(&state), &u)),
        Err(e) => failed(e),
    }
}

#[tracing::instrument(skip_all)]
async fn delete_user(
    ScimCaller(actor): ScimCaller,
    state: Data,
    id: web::Path<String>,
) -> HttpResponse {
    let id = path_id!(UserId, "user", id);
    match svc::delete_user(&state.store, &actor, &id, state.clock.now()).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => failed(e),
    }
}

fn group_answer(
    state: &Data,
    r: Result<(GroupRow, Vec<(String, String)>), svc::ScimError>,
    status: StatusCode,
) -> HttpResponse {
    match r {
        Ok((g, members)) => {
            let json = group_json(
                &base_url(state),
                &g,
                members.into_iter().map(|(u, _)| u).collect(),
            );
            if status == StatusCode::CREATED {
                created(json)
            } else {
                scim_json(status, &json)
            }
        }
        Err(e) => failed(e),
    }
}

#[tracing::instrument(skip_all)]
async fn get_group(
    _: ScimCaller,
    state: Data,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let id = path_id!(GroupId, "group", id);
    let q = query_string!(req);
    match svc::group(&state.store, &id, q.shows_members()).await {
        Ok((g, members)) => projected_group(&state, &g, members, &q),
        Err(e) => failed(e),
    }
}

/// A group as the query's `attributes` and `excludedAttributes` ask.
fn projected_group(
    state: &Data,
    g: &GroupRow,
    members: Vec<(String, String)>,
    q: &Query,
) -> HttpResponse {
    let members = members.into_iter().map(|(u, _)| u).collect();
    let json = group_json(&base_url(state), g, members);
    scim_json(StatusCode::OK, &project(json, &q.attributes, &q.excluded))
}

#[tracing::instrument(skip_all)]
async fn create_group(
    ScimCaller(actor): ScimCaller,
    state: Data,
    payload: web::Payload,
) -> HttpResponse {
    let b = json_body!(payload);
    let r = svc::create_group(&state.store, &actor, &b, state.clock.now()).await;
    group_answer(&state, r, StatusCode::CREATED)
}

/// PUT replaces a group and answers with it; PATCH changes parts of one
/// (its members, often) and answers 204, as Entra's and Okta's guides
/// expect: a group of thousands is not sent back for each member added.
/// A PATCH naming `attributes` gets those back (RFC 7644 §3.5.2).
#[tracing::instrument(skip_all)]
async fn edit_group(
    ScimCaller(actor): ScimCaller,
    state: Data,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let id = path_id!(GroupId, "group", id);
    let q = query_string!(req);
    let b = json_body!(payload);
    let edit = how(&req);
    let r = svc::edit_group(&state.store, &actor, &id, &b, edit, state.clock.now()).await;
    match (edit, r) {
        (Edit::Patch, Ok(_)) if q.attributes.is_empty() => HttpResponse::NoContent().finish(),
        (Edit::Patch, Ok((g, members))) => projected_group(&state, &g, members, &q),
        (_, r) => group_answer(&state, r, StatusCode::OK),
    }
}

#[tracing::instrument(skip_all)]
async fn delete_group(
    ScimCaller(actor): ScimCaller,
    state: Data,
    id: web::Path<String>,
) -> HttpResponse {
    let id = path_id!(GroupId, "group", id);
    match svc::delete_group(&state.store, &actor, &id, state.clock.now()).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn projection_keeps_or_drops_what_is_named() {
        let r = json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "A"},
            ENTERPRISE_SCHEMA: {"department": "D", "employeeNumber": "7"}});
        let only = project(
            r.clone(),
            &[
                "externalId".into(),
                format!("{ENTERPRISE_SCHEMA}:department"),
            ],
            &[],
        );
        assert_eq!(
            only,
            json!({"schemas": ["s"], "id": "1", ENTERPRISE_SCHEMA: {"department": "D"}})
        );
        let without = project(r, &[], &["name".into(), "id".into()]);
        assert!(without.get("name").is_none() && without.get("id").is_some());
    }
}
