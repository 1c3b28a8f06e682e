//! My Access › Access reviews: the reviews waiting for me, and a review's
//! holders to approve or deny (one at a time or those ticked), or, in a
//! self-review, "Do you still need access?".

use actix_web::web;
use askama::Template;

use crate::domain::review::Verdict;
use crate::routes;
use crate::service::ServiceError;
use crate::service::reviews::{self as svc, ReviewerView};
use crate::store::reviews::ReviewRow;
use crate::web::Reply;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::Requester;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, redirect, render, render_status};

#[derive(Template)]
#[template(path = "my_access/reviews.html")]
struct Reviews {
    layout: Layout,
    reviews: Vec<ReviewRow>,
}

/// The reviews waiting for the person signed in.
#[tracing::instrument(skip_all)]
pub(super) async fn list(state: Data, user: Requester) -> Reply {
    let reviews = match user.person.user() {
        Some(u) => svc::waiting_for(&state.store, &u.id).await?,
        None => vec![],
    };
    render(&Reviews {
        layout: Layout::for_requester(&state, &user, "my_access", "Access reviews"),
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
    error: Option<String>,
}

async fn show(
    state: &Data,
    user: &Requester,
    id: &str,
    reason: String,
    error: Option<String>,
) -> Reply {
    let me = user.person.user().ok_or(AppError::NotFound)?;
    let view = svc::for_reviewer(&state.store, &me.id, id).await?;
    let status = if error.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let title = format!("Review of {}", view.review.package_name);
    render_status(
        status,
        &ReviewPage {
            layout: Layout::for_requester(state, user, "my_access", title),
            self_review: view.settings.reviewers == crate::domain::review::ReviewerKind::SelfReview,
            open: view.review.state == "inProgress",
            view,
            reason,
            error,
        },
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn page(state: Data, user: Requester, path: web::Path<String>) -> Reply {
    show(&state, &user, &path, String::new(), None).await
}

/// The decision form: `decision` (approve or deny) for the ticked rows
/// (`a`), or `row` (`{assignment}:{decision}`) for one row.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    row: String,
    #[serde(rename = "a")]
    assignments: Vec<String>,
    reason: String,
}

#[tracing::instrument(skip_all)]
pub(super) async fn decide(
    state: Data,
    user: Requester,
    session: TypedSession,
    path: web::Path<String>,
    form: Form<DecisionForm>,
) -> Reply {
    let me = user.person.user().ok_or(AppError::NotFound)?.clone();
    let f = form.0;
    let (assignments, decision) = match f.row.split_once(':') {
        Some((a, d)) => (vec![a.to_string()], d.to_string()),
        None => (f.assignments.clone(), f.decision.clone()),
    };
    let Some(verdict) = Verdict::parse(&decision) else {
        return show(
            &state,
            &user,
            &path,
            f.reason,
            Some("Choose approve or deny.".into()),
        )
        .await;
    };
    let reason = (!f.reason.trim().is_empty()).then_some(f.reason.as_str());
    let now = state.clock.now();
    match svc::decide(&state.store, &me, &path, &assignments, verdict, reason, now).await {
        Ok(n) => {
            let done = match n {
                0 => "Nothing changed: those were decided already.".to_string(),
                1 => "Decision saved.".to_string(),
                n => format!("{n} decisions saved."),
            };
            session.flash("success", done);
            Ok(redirect(&routes::ACCESS_REVIEW.id(path.as_str())))
        }
        Err(ServiceError::Invalid(e)) => {
            let m = e
                .iter()
                .map(|(_, m)| m.clone())
                .collect::<Vec<_>>()
                .join(" ");
            show(&state, &user, &path, f.reason, Some(m)).await
        }
        Err(ServiceError::Refused(m)) => show(&state, &user, &path, f.reason, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}
