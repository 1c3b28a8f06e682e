//! A package's Access reviews tab: each review with its progress, one
//! review's holders and decisions, Stop, Apply now, and the decisions as CSV.

use askama::Template;

use super::item::{Item, item_action};
use super::tab::Tab;
use crate::domain::ids::{AccessPackageId, ReviewId};
use crate::domain::review::Verdict;
use crate::routes;
use crate::service::reviews as svc;
use crate::store::packages::PackageRow;
use crate::store::reviews::{ItemRow, ReviewRow};
use crate::web::admin::console::{ConsoleWho, PackageConsole};
use crate::web::admin::csv::csv_download;
use crate::web::extract::console_access::{ManagePackages, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, render};

/// One of a package's reviews, by the path that names it.
type ReviewAt = Item<ReviewId>;

/// A review's page, where its actions come back to.
const PAGE: routes::Route = routes::ADMIN_PACKAGE_REVIEW;

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

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &AccessPackageId) -> Reply {
    let (package, reviews) = svc::of_package_list(cx.store(), id).await?;
    render(&ReviewsTab {
        layout: cx.layout(package.display_name.clone()),
        package,
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
    fn outcome(&self, s: &str) -> &'static str {
        outcome_label(s)
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn details(cx: PackageConsole<Read>, at: ReviewAt) -> Reply {
    let d = svc::details(cx.store(), &at.package, &at.id).await?;
    render(&ReviewPage {
        layout: cx.layout(d.package.display_name.clone()),
        package: d.package,
        tab: Tab::Reviews,
        review: d.review,
        items: d.items,
    })
}

item_action!(stop(PackageConsole<ManagePackages>, ReviewAt) => svc::stop,
    "The review is stopped; nothing was applied.", PAGE);
item_action!(apply(PackageConsole<ManagePackages>, ReviewAt) => svc::apply_now,
    "The review's results are applied.", PAGE);

#[tracing::instrument(skip_all)]
pub(super) async fn export_csv(cx: PackageConsole<Read>, at: ReviewAt) -> Reply {
    let svc::ReviewDetails { review, items, .. } =
        svc::details(cx.store(), &at.package, &at.id).await?;
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
