//! Approvals: requests waiting for the signed-in person's decision.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::{Data, Layout, render};
use crate::auth::guard::CurrentUser;
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/approvals", web::get().to(inbox));
}

#[derive(Template)]
#[template(path = "approvals/inbox.html")]
struct Inbox {
    layout: Layout,
}

async fn inbox(state: Data, user: CurrentUser) -> Result<HttpResponse, AppError> {
    render(&Inbox {
        layout: Layout::for_user(&state, &user, "approvals", "Approvals"),
    })
}
