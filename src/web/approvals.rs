//! Approvals: requests waiting for the signed-in person's decision, and the
//! approval page an approval email links to.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{Data, Layout, redirect, render, render_status};
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::request::Answer;
use crate::routes;
use crate::service::ServiceError;
use crate::service::requests as svc;
use crate::store::requests::{self, DecisionRow, RequestListRow, RequestRow};
use crate::store::{packages, policies, users};
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::CurrentUser;
use crate::web::extract::session::TypedSession;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::APPROVALS.as_str(), web::get().to(inbox))
        .route(routes::APPROVAL.pattern(), web::get().to(details))
        .route(routes::APPROVAL.pattern(), web::post().to(decide));
}

#[derive(Template)]
#[template(path = "approvals/inbox.html")]
struct Inbox {
    layout: Layout,
    pending: Vec<RequestListRow>,
    history: Vec<(RequestListRow, String)>,
}

async fn inbox(state: Data, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let mut conn = state.store.read().await?;
    let pending = requests::pending_for(&mut conn, &user.user.id).await?;
    let history = requests::decided_by(&mut conn, &user.user.id).await?;
    render(&Inbox {
        layout: Layout::for_user(&state, &user, "approvals", "Approvals"),
        pending,
        history,
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

async fn page(
    state: &Data,
    user: &CurrentUser,
    id: &str,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.store.read().await?;
    let request = requests::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Only the request's approvers (and administrators) see it; others learn nothing.
    if !user.is_admin && !requests::is_any_stage_approver(&mut conn, id, &user.user.id).await? {
        return Err(AppError::NotFound);
    }
    let package = AccessPackageId::from_stored(request.access_package_id.clone());
    let package_name = packages::get(&mut conn, &package)
        .await?
        .map(|p| p.display_name)
        .unwrap_or_default();
    let policy = policies::get(&mut conn, &package, &request.policy_id).await?;
    let stage = request.current_stage;
    let state_value = request.state()?;
    let is_current = requests::stage_approvers(&mut conn, id, stage)
        .await?
        .iter()
        .any(|u| *u == user.user.id.as_str());
    let own = request.target_id.as_deref() == Some(user.user.id.as_str());
    let mut decisions = Vec::new();
    for d in requests::decisions(&mut conn, id).await? {
        let who = users::get(&mut conn, &UserId::from_stored(d.reviewed_by.clone()))
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        decisions.push((d, who));
    }
    let organization = match &request.connected_organization_id {
        Some(o) => crate::store::connected_orgs::get(
            &mut conn,
            &crate::domain::ids::ConnectedOrgId::from_stored(o.clone()),
        )
        .await?
        .map(|o| o.display_name)
        .unwrap_or_default(),
        None => String::new(),
    };
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
                format!("Request for {package_name}"),
            ),
            answers: serde_json::from_str(&request.answers).unwrap_or_default(),
            attributes: serde_json::from_str(&request.attributes).unwrap_or_default(),
            can_decide: is_current
                && !own
                && state_value == crate::domain::request::RequestState::PendingApproval,
            justification_required: policy
                .as_ref()
                .and_then(|p| p.approval.stages.get((stage.max(1) - 1) as usize))
                .is_some_and(|s| s.is_approver_justification_required),
            policy_name: policy.map(|p| p.display_name).unwrap_or_default(),
            state_text: crate::domain::request::human(state_value),
            package_name,
            organization,
            decisions,
            request,
            error,
        },
    )
}

async fn details(
    state: Data,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    page(&state, &user, &path, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    /// approve | deny
    decision: String,
    justification: String,
}

async fn decide(
    state: Data,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
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
            TypedSession(session).flash(
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
            TypedSession(session).flash("error", m);
            Ok(redirect(&routes::APPROVAL.id(path.as_str())))
        }
        Err(e) => Err(e.into()),
    }
}
