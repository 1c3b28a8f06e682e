//! A request body read up to a limit, for the machine interfaces that answer
//! a body too large, or unreadable, in their own error format rather than
//! the framework's plain text.

use actix_web::web;
use futures_util::StreamExt;

/// Why a body was not read.
pub enum BodyError {
    /// The connection failed while the body came in.
    Unreadable,
    /// Longer than the limit: the rest is not read.
    TooLarge,
}

/// The body, up to `limit` bytes.
pub async fn at_most(mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, BodyError> {
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if bytes.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
