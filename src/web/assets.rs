//! Static files, compiled into the binary so it runs from any directory.

use actix_web::{HttpResponse, web};

use crate::web::Reply;
use crate::web::error::AppError;

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "css/app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/css/app.css"),
    ),
    (
        "js/app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/app.js"),
    ),
    (
        "vendor/pico/pico.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/vendor/pico/pico.min.css"),
    ),
];

#[tracing::instrument(skip_all)]
pub async fn serve(path: web::Path<String>) -> Reply {
    let (_, content_type, body) = FILES
        .iter()
        .find(|(name, _, _)| *name == path.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(*body))
}
