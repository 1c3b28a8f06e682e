//! A package's Access reviews tab: each review with its progress, one
//! review's holders and decisions, Stop, Apply now, and the decisions as CSV.

use actix_web::web;
use askama::Template;

use super::{Item, Tab, parse_id};
use crate::domain::ids::AccessPackageId;
use crate::domain::review::Verdict;
use crate::routes;
use crate::service::packages as packages_svc;
use crate::service::reviews as svc;
use crate::store::packages::PackageRow;
use crate::store::reviews::{ItemRow, ReviewRow};
use crate::web::Reply;
use crate::web::admin::console::{ConsoleWho, PackageConsole};
use crate::web::admin::csv::csv_download;
use crate::web::extract::console_access::{ManagePackages, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::{Layout, render};

/// A review's state as people read it.
pub(crate) fn state_label(s: &str) -> &'static str {
    match s {
        "inProgress" => "In progress",
        "completed" => "Ended, not applied yet",
        "applied" => "Applied",
        "stopped" => "Stopped",
        _ => "Unknown",
    }
}

/// What applying did to a holder, as people read it.
pub(crate) fn outcome_label(s: &str) -> &'static str {
    match s {
        "kept" => "Access kept",
        "removed" => "Access removed",
        "ended" => "Had already ended",
        _ => "",
    }
}

#[derive(Template)]
#[template(path = "admin/packages/reviews.html")]
struct ReviewsTab {
    layout: Layout,
    package: PackageRow,
    tab: Tab,
    reviews: Vec<ReviewRow>,
}

impl ReviewsTab {
    fn state(&self, s: &str) -> &'static str {
        state_label(s)
    }
}

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &AccessPackageId) -> Reply {
    let view = packages_svc::package(cx.store(), id).await?;
    let reviews = svc::of_package_list(cx.store(), id).await?;
    render(&ReviewsTab {
        layout: cx.layout(view.package.display_name.clone()),
        package: view.package,
        tab: Tab::Reviews,
        reviews,
    })
}

#[derive(Template)]
#[template(path = "admin/packages/review.html")]
struct ReviewPage {
    layout: Layout,
    package: PackageRow,
    tab: Tab,
    review: ReviewRow,
    items: Vec<ItemRow>,
}

impl ReviewPage {
    fn state(&self, s: &str) -> &'static str {
        state_label(s)
    }
    fn outcome(&self, s: &str) -> &'static str {
        outcome_label(s)
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn details(cx: PackageConsole<Read>, path: web::Path<(String, String)>) -> Reply {
    let id = parse_id(&path.0)?;
    let view = packages_svc::package(cx.store(), &id).await?;
    let (review, items) = svc::details(cx.store(), &id, &path.1).await?;
    render(&ReviewPage {
        layout: cx.layout(view.package.display_name.clone()),
        package: view.package,
        tab: Tab::Reviews,
        review,
        items,
    })
}

#[tracing::instrument(skip_all)]
pub(super) async fn stop(cx: PackageConsole<ManagePackages>, at: Item, _: Form<NoFields>) -> Reply {
    let done = "The review is stopped; nothing was applied.";
    let back = routes::ADMIN_PACKAGE_REVIEW.ids(&at.package, &at.id);
    at.act(&cx, svc::stop, done, &back).await
}

#[tracing::instrument(skip_all)]
pub(super) async fn apply(
    cx: PackageConsole<ManagePackages>,
    at: Item,
    _: Form<NoFields>,
) -> Reply {
    let done = "The review's results are applied.";
    let back = routes::ADMIN_PACKAGE_REVIEW.ids(&at.package, &at.id);
    at.act(&cx, svc::apply_now, done, &back).await
}

#[tracing::instrument(skip_all)]
pub(super) async fn export_csv(
    cx: PackageConsole<Read>,
    path: web::Path<(String, String)>,
) -> Reply {
    let id = parse_id(&path.0)?;
    let (review, items) = svc::details(cx.store(), &id, &path.1).await?;
    let rows = items.iter().map(|i| {
        vec![
            i.holder_name.as_str(),
            &i.holder_email,
            Verdict::parse(&i.recommendation).map_or("", Verdict::label),
            i.decision
                .as_deref()
                .and_then(Verdict::parse)
                .map_or("", Verdict::done_label),
            i.decided_by_name.as_deref().unwrap_or(""),
            i.reason.as_deref().unwrap_or(""),
            i.decided_at.as_deref().unwrap_or(""),
            i.outcome.as_deref().map(outcome_label).unwrap_or(""),
        ]
    });
    let day = review.starts_at.get(..10).unwrap_or("review");
    Ok(csv_download(
        &format!("access-review-{day}"),
        &[
            "User",
            "Email",
            "Recommendation",
            "Decision",
            "Reviewed by",
            "Reason",
            "Reviewed (UTC)",
            "Result",
        ],
        rows,
    ))
}
