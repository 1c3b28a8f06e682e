//! Approvals: requests waiting for the signed-in person's decision, and the
//! approval page an approval email links to.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::ids::RequestId;
use crate::domain::request::Answer;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::requests::view::ApprovalView;
use crate::service::requests::{self as svc, PageDecision};
use crate::service::{Saved, ServiceError};
use crate::store::requests::{DecidedRow, DecisionRow, RequestListRow, RequestRow};
use crate::web::error::AppError;
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::CurrentUser;
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, render, render_status};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.get(routes::APPROVALS, inbox)
        .form(routes::APPROVAL, details, decide)
        .post(routes::APPROVAL_REVOKE, revoke);
}

/// An approver's handler context: anyone signed in to the directory.
type Approver = Ctx<CurrentUser>;

impl Ctx<CurrentUser> {
    /// The approvals page frame, titled.
    fn layout(&self, title: impl Into<String>) -> Layout {
        Layout::for_user(&self.state, &self.who, "approvals", title)
    }
}

#[derive(Template)]
#[template(path = "approvals/inbox.html")]
struct Inbox {
    layout: Layout,
    pending: Vec<RequestListRow>,
    history: Vec<DecidedRow>,
}

#[tracing::instrument(skip_all)]
async fn inbox(me: Approver) -> Reply {
    let inbox = svc::view::approvals_inbox(me.store(), &me.who.user.id).await?;
    render(&Inbox {
        layout: me.layout("Approvals"),
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
    attributes: Vec<(String, String)>,
    decisions: Vec<(DecisionRow, String)>,
    can_decide: bool,
    can_revoke: bool,
    justification_required: bool,
    access_lasts: String,
    /// The manager who asked for the person, by name, where one did.
    asked_by: Option<String>,
    state_text: &'static str,
    /// The reason as typed, shown again when the decision was refused.
    justification: String,
    errors: FieldErrors,
}

fn page(me: &Approver, v: ApprovalView, justification: String, errors: FieldErrors) -> Reply {
    render_status(
        form_status(&errors),
        &RequestPage {
            layout: me.layout(format!("Request for {}", v.package_name)),
            answers: v.request.answers.clone(),
            attributes: v.attributes,
            can_decide: v.can_decide,
            can_revoke: v.can_revoke,
            justification_required: v.reason_required,
            access_lasts: v.access_lasts,
            asked_by: v.asked_by,
            policy_name: v.policy_name,
            state_text: v.request.state.phrase(),
            package_name: v.package_name,
            organization: v.organization,
            decisions: v.decisions,
            request: v.row,
            justification,
            errors,
        },
    )
}

#[tracing::instrument(skip_all)]
async fn details(me: Approver, PathId(id): PathId<RequestId>) -> Reply {
    let who = &me.who;
    let v = svc::view::approval(me.store(), &who.user.id, who.is_admin, &id, who.tz).await?;
    page(&me, v, String::new(), FieldErrors::new())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    /// approve | deny
    decision: String,
    justification: String,
    /// The stage the page showed, so that a decision from an out-of-date
    /// page is refused rather than taken for the stage after.
    stage: Option<i64>,
}

#[tracing::instrument(skip_all)]
async fn decide(
    me: Approver,
    PathId(id): PathId<RequestId>,
    Form(form): Form<DecisionForm>,
) -> Reply {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return Err(AppError::BadRequest("Choose approve or deny.".into())),
    };
    let decision = PageDecision {
        seen: form.stage,
        approve,
        reason: Some(form.justification.as_str()),
    };
    let (who, now) = (&me.who, me.now());
    let decided = svc::decide_on_page(
        me.store(),
        &who.user,
        who.is_admin,
        who.tz,
        &id,
        decision,
        now,
    );
    match decided.await {
        Ok(Saved::Done(to)) => {
            let done = format!("Decision recorded: the request is {}.", to.phrase());
            me.done(done, routes::APPROVALS.as_str())
        }
        Ok(Saved::Again(v, errors)) => page(&me, v, form.justification, errors),
        Err(ServiceError::Refused(m)) => me.refused(m, &routes::APPROVAL.id(&id)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    /// The box "I approved this request in error", ticked.
    confirm: Option<String>,
}

/// The approver takes back their approval: the access it gave ends.
#[tracing::instrument(skip_all)]
async fn revoke(
    me: Approver,
    PathId(id): PathId<RequestId>,
    Form(form): Form<RevokeForm>,
) -> Reply {
    let back = routes::APPROVAL.id(&id);
    let confirmed = form.confirm.is_some();
    match svc::revoke(me.store(), &me.who.user, &id, confirmed, me.now()).await {
        Ok(holder) => me.done(
            format!("Approval revoked: {holder} no longer has the access it gave."),
            routes::APPROVALS.as_str(),
        ),
        Err(ServiceError::Refused(m)) => me.refused(m, &back),
        Err(e) => Err(e.into()),
    }
}
