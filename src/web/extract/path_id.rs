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

/// The two ids a path with two parameters names, by position (a catalog and
/// one of its resources, a package and one of its policies); a path whose
/// ids are no ids is not found.
pub struct PathIds<A, B>(pub A, pub B);

impl<A: Id, B: Id> actix_web::FromRequest for PathIds<A, B> {
    type Error = AppError;
    type Future = std::future::Ready<Result<PathIds<A, B>, AppError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let ids = match req.match_info().load::<(String, String)>() {
            Ok((a, b)) => parse_id(&a).and_then(|a| Ok(PathIds(a, parse_id(&b)?))),
            Err(_) => Err(AppError::NotFound),
        };
        std::future::ready(ids)
    }
}
