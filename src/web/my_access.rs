//! My Access: what the signed-in person holds and can request.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::{Data, Layout, render};
use crate::auth::guard::CurrentUser;
use crate::error::AppError;
use crate::store::directory::{self, HeldRole};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

#[derive(Template)]
#[template(path = "my_access/home.html")]
struct Home {
    layout: Layout,
    held: Vec<HeldRole>,
}

async fn home(state: Data, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let mut conn = state.store.read().await?;
    let held = directory::roles_held_by(&mut conn, &user.user.id).await?;
    render(&Home {
        layout: Layout::for_user(&state, &user, "my_access", "My Access"),
        held,
    })
}
