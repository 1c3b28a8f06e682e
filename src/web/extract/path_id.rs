//! Ids named in a path: a path whose id is no id names nothing, so it is
//! not found, the same answer as for an id that names nothing stored.

use crate::domain::ids::Id;
use crate::web::error::AppError;

/// The id `raw` (a path segment), or not found.
pub fn parse_id<T: Id>(raw: &str) -> Result<T, AppError> {
    T::parse(raw).ok_or(AppError::NotFound)
}

/// The id a path with one parameter names, parsed: handlers take a
/// `PathId<RequestId>` where they would take a `web::Path<String>`.
pub struct PathId<T>(pub T);

impl<T: Id> actix_web::FromRequest for PathId<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<PathId<T>, AppError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let id = match req.match_info().load::<(String,)>() {
            Ok((raw,)) => parse_id(&raw).map(PathId),
            Err(_) => Err(AppError::NotFound),
        };
        std::future::ready(id)
    }
}
