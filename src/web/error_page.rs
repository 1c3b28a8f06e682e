//! The page every `AppError` is shown as: inside the layout, with the
//! person signed in, whatever handler refused.

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use askama::Template;

use crate::web::error::AppError;
use crate::web::extract::guard::load_current_user;
use crate::web::layout::Layout;
use crate::web::respond::Data;

#[derive(Template)]
#[template(path = "error_page.html")]
struct ErrorPage {
    layout: Layout,
    code: u16,
    heading: &'static str,
    message: String,
    signed_in: bool,
}

/// Renders every `AppError` as a full page inside the layout, with the signed-in user.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(app_error) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    else {
        return Ok(res.map_into_left_body());
    };
    if matches!(app_error, AppError::SignInRequired { .. }) {
        return Ok(res.map_into_left_body());
    }
    let status = res.status();
    let (heading, message) = app_error.public_text();
    let request: HttpRequest = res.request().clone();
    let page = match request.app_data::<Data>() {
        Some(state) => {
            let current = load_current_user(&request).await.ok().flatten();
            let layout = match &current {
                Some(u) => Layout::for_user(state, u, "", heading),
                None => {
                    use actix_session::SessionExt;
                    let csrf = crate::web::extract::session::TypedSession(request.get_session())
                        .csrf_token();
                    Layout::anonymous(state, csrf, heading)
                }
            };
            ErrorPage {
                layout,
                code: status.as_u16(),
                heading,
                message: message.clone(),
                signed_in: current.is_some(),
            }
            .render()
            .ok()
        }
        None => None,
    };
    let body = page.unwrap_or_else(|| format!("{heading}: {message}"));
    let mut response = HttpResponse::build(status);
    // The plain answer's `Retry-After` (a 503 asks to try again shortly).
    if let Some(after) = res.headers().get(actix_web::http::header::RETRY_AFTER) {
        response.insert_header((actix_web::http::header::RETRY_AFTER, after.clone()));
    }
    let response = response.content_type("text/html; charset=utf-8").body(body);
    Ok(res.into_response(response).map_into_right_body())
}
