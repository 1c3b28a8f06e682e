//! A span for every request, with an id that every log line the request
//! causes carries (in services and the store too), sent back to the client
//! as `X-Request-Id` so that a report can be matched with the logs.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // 64 random bits: unique enough to find a request in a day's logs.
    let id = format!("{:016x}", rand::random::<u64>());
    // The path without its query: queries may carry what people typed.
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let res = next.call(req).instrument(span.clone()).await;
    let ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| match &res {
        Ok(r) if r.status().is_server_error() => {
            tracing::error!(status = r.status().as_u16(), ms, "request failed")
        }
        Ok(r) => tracing::info!(status = r.status().as_u16(), ms, "request"),
        Err(e) => tracing::error!(error = %e, ms, "request failed"),
    });
    let mut res = res?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}
