//! Ids named in a path: a path whose id is no id names nothing, so it is
//! not found, the same answer as for an id that names nothing stored.

use crate::domain::ids::Id;
use crate::web::error::AppError;

/// What a path segment names: an id, or one of a page's tabs.
pub trait Segment: Sized {
    /// `None` unless `raw` names one.
    fn parse_segment(raw: &str) -> Option<Self>;
}

impl<T: Id> Segment for T {
    fn parse_segment(raw: &str) -> Option<T> {
        T::parse(raw)
    }
}

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

/// The two segments a path with two parameters names, by position (a
/// catalog and one of its resources, a package and one of its policies or
/// tabs); a path whose segments name nothing is not found.
pub struct PathIds<A, B>(pub A, pub B);

impl<A: Segment, B: Segment> actix_web::FromRequest for PathIds<A, B> {
    type Error = AppError;
    type Future = std::future::Ready<Result<PathIds<A, B>, AppError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let segment = |raw: &str| A::parse_segment(raw).ok_or(AppError::NotFound);
        let ids = match req.match_info().load::<(String, String)>() {
            Ok((a, b)) => segment(&a).and_then(|a| {
                let b = B::parse_segment(&b).ok_or(AppError::NotFound)?;
                Ok(PathIds(a, b))
            }),
            Err(_) => Err(AppError::NotFound),
        };
        std::future::ready(ids)
    }
}
