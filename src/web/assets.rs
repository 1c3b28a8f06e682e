//! Static files, compiled into the binary so it runs from any directory.

use actix_web::{HttpRequest, HttpResponse};

use crate::routes::{self, APP_CSS, APP_JS, PICO_CSS};
use crate::web::error::AppError;
use crate::web::respond::Reply;

const FILES: &[(routes::Path, &str, &[u8])] = &[
    (
        APP_CSS,
        "text/css; charset=utf-8",
        include_bytes!("../../static/css/app.css"),
    ),
    (
        APP_JS,
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/app.js"),
    ),
    (
        PICO_CSS,
        "text/css; charset=utf-8",
        include_bytes!("../../static/vendor/pico/pico.min.css"),
    ),
];

#[tracing::instrument(skip_all)]
pub async fn serve(req: HttpRequest) -> Reply {
    let (_, content_type, body) = FILES
        .iter()
        .find(|(file, _, _)| file.as_str() == req.path())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(*body))
}
