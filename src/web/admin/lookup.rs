//! The pickers' suggestions, as JSON: administrators only, like every
//! console page. Fields work without it: what is typed is checked on save.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::service::lookup::{self, Kind};
use crate::web::Data;
use crate::web::error::AppError;
use crate::web::extract::guard::AdminUser;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LookupQuery {
    kind: String,
    q: String,
}

#[tracing::instrument(skip_all)]
pub(super) async fn lookup(
    state: Data,
    _admin: AdminUser,
    q: web::Query<LookupQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = Kind::parse(&q.kind).ok_or_else(|| {
        AppError::BadRequest("Look up a user, group, package or organization.".into())
    })?;
    let found = lookup::suggest(&state.store, kind, &q.q).await?;
    Ok(HttpResponse::Ok().json(found))
}
