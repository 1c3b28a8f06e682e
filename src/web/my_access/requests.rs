//! My Access › Request history: one's requests, each with its details, to
//! cancel while open or to make again once ended.

use askama::Template;

use crate::domain::ids::RequestId;
use crate::domain::request::{Answer, RequestState, RequestType};
use crate::routes;
use crate::service::requests::view;
use crate::service::requests::{self as svc};
use crate::store::requests::{DecisionRow, RequestListRow, RequestRow};
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::my_access::portal::Portal;
use crate::web::respond::{Reply, render};

#[derive(Template)]
#[template(path = "my_access/requests.html")]
struct History {
    layout: Layout,
    requests: Vec<RequestListRow>,
    /// The person's id, to mark the requests they made for someone else.
    me: Option<String>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn history(me: Portal) -> Reply {
    let list = view::history(me.store(), me.person()).await?;
    render(&History {
        layout: me.layout("Request history"),
        requests: list,
        me: me.person().user().map(|u| u.id.to_string()),
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
    approvers: Vec<String>,
    can_cancel: bool,
    can_resubmit: bool,
    /// The person the request is for, by name, when it is not the reader
    /// (a manager reading what they asked for a report).
    for_other: Option<String>,
    /// The manager who asked, by name, when it is not the reader.
    asked_by: Option<String>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn details(me: Portal, PathId(id): PathId<RequestId>) -> Reply {
    let mine = view::my_request(me.store(), me.person(), &id).await?;
    let r = &mine.request;
    let reader = me.person().user().map(|u| &u.id);
    let mine_for_other = r.asked_by_manager().is_some() && r.asked_by_manager() == reader;
    render(&Details {
        for_other: mine_for_other.then(|| mine.row.target_display_name.clone()),
        asked_by: mine.asked_by.filter(|_| !mine_for_other),
        layout: me.layout(mine.package_name.clone()),
        kind: r.kind.label(),
        state_text: r.state.phrase(),
        can_cancel: r.state.is_waiting(),
        can_resubmit: !r.state.is_open() && r.kind == RequestType::UserAdd,
        answers: r.answers.clone(),
        package_name: mine.package_name,
        decisions: mine.decisions,
        waiting_for: mine.waiting_for,
        approvers: mine.approvers,
        request: mine.row,
    })
}

#[tracing::instrument(skip_all)]
pub(super) async fn cancel(me: Portal, PathId(id): PathId<RequestId>, _: Form<NoFields>) -> Reply {
    let result = svc::cancel(me.store(), me.person(), &id, me.now()).await;
    me.done_or_refused(result, "Request canceled.", routes::REQUESTS.as_str())
}

/// Makes an ended request again, with the same answers.
#[tracing::instrument(skip_all)]
pub(super) async fn resubmit(
    me: Portal,
    PathId(id): PathId<RequestId>,
    _: Form<NoFields>,
) -> Reply {
    match svc::resubmit(me.store(), me.person(), &id, me.now()).await? {
        Ok(done) if done.for_someone_else => me.done(
            super::package::for_someone_else(done.state),
            routes::REQUESTS.as_str(),
        ),
        Ok(done) => {
            let message = match done.state {
                RequestState::Delivered => "Your request was approved and you now have access.",
                _ => "Your request was made again. You can follow it here.",
            };
            me.done(message, routes::REQUESTS.as_str())
        }
        // What changed since (an answer no longer fits, the policy is gone):
        // the request form says it, with the answers to correct.
        Err(not) => {
            let why = "This request cannot be made again as it was; request the package anew.";
            let form = routes::PACKAGE.id(&not.package);
            match (not.report, not.refusal) {
                // A manager's request for a report: why it was refused is said
                // on the request's page; answers to correct, on the form for them.
                (Some(_), Some(m)) => me.refused(m, &routes::REQUEST.id(&id)),
                (Some(report), None) => me.refused(why, &format!("{form}?for={report}")),
                (None, _) => me.refused(why, &form),
            }
        }
    }
}
