//! Approvals: requests waiting for the signed-in person's decision, and the
//! approval page an approval email links to.

use std::collections::BTreeMap;

use actix_web::{http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{Data, Layout, redirect, render, render_status};
use crate::domain::request::Answer;
use crate::routes;
use crate::service::ServiceError;
use crate::service::requests as svc;
use crate::store::requests::{DecidedRow, DecisionRow, RequestListRow, RequestRow};
use crate::web::Reply;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::CurrentUser;
use crate::web::extract::session::TypedSession;
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.get(routes::APPROVALS, inbox)
        .get(routes::APPROVAL, details)
        .post(routes::APPROVAL, decide);
}

#[derive(Template)]
#[template(path = "approvals/inbox.html")]
struct Inbox {
    layout: Layout,
    pending: Vec<RequestListRow>,
    history: Vec<DecidedRow>,
}

#[tracing::instrument(skip_all)]
async fn inbox(state: Data, user: CurrentUser) -> Reply {
    let inbox = svc::view::approvals_inbox(&state.store, &user.user.id).await?;
    render(&Inbox {
        layout: Layout::for_user(&state, &user, "approvals", "Approvals"),
        pending: inbox.pending,
        history: inbox.decided,
    })
}

#[derive(Template)]
#[template(path = "approvals/request.html")]
struct RequestPage {
    layout: Layout,
    request: RequestRow,
    package_name: String,
    policy_name: String,
    organization: String,
    answers: Vec<Answer>,
    attributes: BTreeMap<String, String>,
    decisions: Vec<(DecisionRow, String)>,
    can_decide: bool,
    justification_required: bool,
    state_text: &'static str,
    error: Option<String>,
}

async fn page(state: &Data, user: &CurrentUser, id: &str, error: Option<String>) -> Reply {
    let v = svc::view::approval(&state.store, &user.user.id, user.is_admin, id).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_status(
        status,
        &RequestPage {
            layout: Layout::for_user(
                state,
                user,
                "approvals",
                format!("Request for {}", v.package_name),
            ),
            answers: v.request.answers.clone(),
            attributes: v.request.attributes.clone(),
            can_decide: v.can_decide,
            justification_required: v.reason_required,
            policy_name: v.policy_name,
            state_text: crate::domain::request::human(v.request.state),
            package_name: v.package_name,
            organization: v.organization,
            decisions: v.decisions,
            request: v.row,
            error,
        },
    )
}

#[tracing::instrument(skip_all)]
async fn details(state: Data, user: CurrentUser, path: web::Path<String>) -> Reply {
    page(&state, &user, &path, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    /// approve | deny
    decision: String,
    justification: String,
}

#[tracing::instrument(skip_all)]
async fn decide(
    state: Data,
    user: CurrentUser,
    session: TypedSession,
    path: web::Path<String>,
    form: Form<DecisionForm>,
) -> Reply {
    let approve = match form.0.decision.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return Err(AppError::BadRequest("Choose approve or deny.".into())),
    };
    let result = svc::decide(
        &state.store,
        &user.user,
        &path,
        approve,
        Some(&form.0.justification),
        state.clock.now(),
    )
    .await;
    match result {
        Ok(to) => {
            session.flash(
                "success",
                format!(
                    "Decision recorded: the request is {}.",
                    crate::domain::request::human(to)
                ),
            );
            Ok(redirect(routes::APPROVALS.as_str()))
        }
        Err(ServiceError::Invalid(e)) => page(&state, &user, &path, Some(e.messages())).await,
        Err(ServiceError::Refused(m)) => {
            session.flash("error", m);
            Ok(redirect(&routes::APPROVAL.id(path.as_str())))
        }
        Err(e) => Err(e.into()),
    }
}
