//! My Access › Access reviews: the reviews waiting for me, and a review's
//! holders to approve or deny (one at a time or those ticked), or, in a
//! self-review, "Do you still need access?".

use askama::Template;

use crate::domain::ids::{AssignmentId, ReviewId};
use crate::domain::review::{ReviewState, Verdict};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::Saved;
use crate::service::reviews::{self as svc, ReviewerView};
use crate::store::reviews::ReviewRow;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::form_id;
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::my_access::portal::Portal;
use crate::web::respond::{Reply, render, render_status};

#[derive(Template)]
#[template(path = "my_access/reviews.html")]
struct Reviews {
    layout: Layout,
    reviews: Vec<ReviewRow>,
}

/// The reviews waiting for the person signed in.
#[tracing::instrument(skip_all)]
pub(super) async fn list(me: Portal) -> Reply {
    let reviews = match me.person().user() {
        Some(u) => svc::waiting_for(me.store(), &u.id).await?,
        None => vec![],
    };
    render(&Reviews {
        layout: me.layout("Access reviews"),
        reviews,
    })
}

#[derive(Template)]
#[template(path = "my_access/review.html")]
struct ReviewPage {
    layout: Layout,
    view: ReviewerView,
    self_review: bool,
    open: bool,
    reason: String,
    /// A refusal with no field to point at.
    error: Option<String>,
    /// Messages shown beside their field (the reason).
    errors: FieldErrors,
}

fn show(
    me: &Portal,
    view: ReviewerView,
    reason: String,
    error: Option<String>,
    errors: FieldErrors,
) -> Reply {
    let status = if error.is_some() || !errors.is_empty() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let title = format!("Review of {}", view.review.package_name);
    render_status(
        status,
        &ReviewPage {
            layout: me.layout(title),
            self_review: view.settings.reviewers == crate::domain::review::ReviewerKind::SelfReview,
            open: view.review.state == ReviewState::InProgress,
            view,
            reason,
            error,
            errors,
        },
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn page(me: Portal, PathId(id): PathId<ReviewId>) -> Reply {
    let reviewer = me.person().user().ok_or(AppError::NotFound)?;
    let view = svc::for_reviewer(me.store(), &reviewer.id, &id).await?;
    show(&me, view, String::new(), None, FieldErrors::new())
}

/// The decision form: `decision` (approve or deny) for the ticked rows
/// (`a`), or `row` (`{assignment}:{decision}`) for one row.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    row: String,
    #[serde(rename = "a", deserialize_with = "form_id::many")]
    assignments: Vec<AssignmentId>,
    reason: String,
}

#[tracing::instrument(skip_all)]
pub(super) async fn decide(
    me: Portal,
    PathId(id): PathId<ReviewId>,
    Form(f): Form<DecisionForm>,
) -> Reply {
    let reviewer = me.person().user().ok_or(AppError::NotFound)?.clone();
    let (assignments, decision) = match f.row.split_once(':') {
        Some((a, d)) => {
            // The row's button names an assignment the page showed.
            let a = AssignmentId::parse(a)
                .ok_or_else(|| AppError::BadRequest("The form could not be read.".into()))?;
            (vec![a], d.to_string())
        }
        None => (f.assignments.clone(), f.decision.clone()),
    };
    let Some(verdict) = Verdict::parse(&decision) else {
        let view = svc::for_reviewer(me.store(), &reviewer.id, &id).await?;
        let error = Some("Choose approve or deny.".into());
        return show(&me, view, f.reason, error, FieldErrors::new());
    };
    let reason = (!f.reason.trim().is_empty()).then_some(f.reason.as_str());
    let now = me.now();
    let decided = svc::decide_on_page(
        me.store(),
        &reviewer,
        &id,
        &assignments,
        verdict,
        reason,
        now,
    );
    match decided.await? {
        Saved::Done(n) => {
            let done = match n {
                0 => "Nothing changed: those were decided already.".to_string(),
                1 => "Decision saved.".to_string(),
                n => format!("{n} decisions saved."),
            };
            me.done(done, &routes::ACCESS_REVIEW.id(&id))
        }
        Saved::Again((view, refusal), errors) => show(&me, view, f.reason, refusal, errors),
    }
}
