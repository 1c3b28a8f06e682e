//! My Access › Request history: one's requests, each with its details, to
//! cancel while open or to make again once ended.

use actix_web::web;
use askama::Template;

use crate::domain::request::{Answer, RequestState, RequestType, human};
use crate::routes;
use crate::service::ServiceError;
use crate::service::requests::view;
use crate::service::requests::{self as svc};
use crate::store::requests::{DecisionRow, RequestListRow, RequestRow};
use crate::web::Reply;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::guard::Requester;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, redirect, render};

#[derive(Template)]
#[template(path = "my_access/requests.html")]
struct History {
    layout: Layout,
    requests: Vec<RequestListRow>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn history(state: Data, user: Requester) -> Reply {
    let list = view::history(&state.store, &user.person).await?;
    render(&History {
        layout: Layout::for_requester(&state, &user, "my_access", "Request history"),
        requests: list,
    })
}

#[derive(Template)]
#[template(path = "my_access/request.html")]
struct Details {
    layout: Layout,
    request: RequestRow,
    package_name: String,
    kind: &'static str,
    state_text: &'static str,
    answers: Vec<Answer>,
    decisions: Vec<DecisionRow>,
    waiting_for: Option<String>,
    can_cancel: bool,
    can_resubmit: bool,
}

#[tracing::instrument(skip_all)]
pub(super) async fn details(state: Data, user: Requester, path: web::Path<String>) -> Reply {
    let mine = view::my_request(&state.store, &user.person, &path).await?;
    let r = &mine.request;
    render(&Details {
        layout: Layout::for_requester(&state, &user, "my_access", mine.package_name.clone()),
        kind: r.kind.label(),
        state_text: human(r.state),
        can_cancel: matches!(
            r.state,
            RequestState::Submitted | RequestState::PendingApproval
        ),
        can_resubmit: !r.state.is_open() && r.kind == RequestType::UserAdd,
        answers: r.answers.clone(),
        package_name: mine.package_name,
        decisions: mine.decisions,
        waiting_for: mine.waiting_for,
        request: mine.row,
    })
}

#[tracing::instrument(skip_all)]
pub(super) async fn cancel(
    state: Data,
    user: Requester,
    session: TypedSession,
    path: web::Path<String>,
    _form: Form<NoFields>,
) -> Reply {
    match svc::cancel(&state.store, &user.person, &path, state.clock.now()).await {
        Ok(()) => session.flash("success", "Request canceled."),
        Err(ServiceError::Refused(m)) => session.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(routes::REQUESTS.as_str()))
}

/// Makes an ended request again, with the same answers.
#[tracing::instrument(skip_all)]
pub(super) async fn resubmit(
    state: Data,
    user: Requester,
    session: TypedSession,
    path: web::Path<String>,
    _form: Form<NoFields>,
) -> Reply {
    match svc::resubmit(&state.store, &user.person, &path, state.clock.now()).await {
        Ok(done) => {
            session.flash(
                "success",
                match done.state {
                    RequestState::Delivered => "Your request was approved and you now have access.",
                    _ => "Your request was made again. You can follow it here.",
                },
            );
            Ok(redirect(routes::REQUESTS.as_str()))
        }
        // What changed since (an answer no longer fits, the policy is gone):
        // the request form says it, with the answers to correct.
        Err(ServiceError::Invalid(_)) | Err(ServiceError::Refused(_)) => {
            let mine = view::my_request(&state.store, &user.person, &path).await?;
            session.flash(
                "error",
                "This request cannot be made again as it was; request the package anew.",
            );
            Ok(redirect(&routes::PACKAGE.id(&mine.request.package)))
        }
        Err(e) => Err(e.into()),
    }
}
