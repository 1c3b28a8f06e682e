//! A package's requests tab: the requests by state, each with its details,
//! and cancel and reprocess.

use askama::Template;

use super::item::{Item, item_action};
use super::tab::{ListTab, Tab, TabQuery};
use crate::domain::custom_extension::Stage;
use crate::domain::ids::{AccessPackageId, CalloutId, RequestId};
use crate::domain::request::RequestFilter;
use crate::domain::request::{Answer, Event, transition};
use crate::routes;
use crate::service::requests::{self as svc, admin_view};
use crate::store::custom_extensions::CalloutView;
use crate::store::packages::PackageRow;
use crate::store::requests::{DecisionRow, RequestRow};
use crate::web::admin::console::{Console, ConsoleWho, PackageConsole};
use crate::web::admin::query::request_filters;
use crate::web::extract::console_access::{Assign, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, render};

/// One of a package's requests, by the path that names it.
type RequestAt = Item<RequestId>;

/// A request's page, where its actions come back to.
const PAGE: routes::Route = routes::ADMIN_PACKAGE_REQUEST;

const PER_PAGE: i64 = 50;

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &AccessPackageId, q: &TabQuery) -> Reply {
    let (filter, at) = (q.filter(RequestFilter::parse), q.page(PER_PAGE));
    let loaded = admin_view::requests_of(cx.store(), id, filter, at).await?;
    ListTab::render(cx, q, request_filters(), loaded, |layout, package, rows| {
        let tab = Tab::Requests;
        ListTab::Requests {
            layout,
            package,
            tab,
            rows,
        }
    })
}

#[derive(Template)]
#[template(path = "admin/packages/request.html")]
struct RequestPage {
    layout: Layout,
    package: PackageRow,
    tab: Tab,
    request: RequestRow,
    kind: &'static str,
    state_text: &'static str,
    policy_name: String,
    requestor_name: String,
    organization: Option<String>,
    answers: Vec<Answer>,
    attributes: Vec<(String, String)>,
    approvers: Vec<(i64, String, String, bool)>,
    decisions: Vec<(DecisionRow, String)>,
    calls: Vec<CalloutView>,
    can_cancel: bool,
    can_reprocess: bool,
}

impl RequestPage {
    fn stage_label(&self, s: &str) -> &'static str {
        Stage::parse(s).map_or("", Stage::label)
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn details(cx: PackageConsole<Read>, at: RequestAt) -> Reply {
    let d = admin_view::request_details(cx.store(), &at.package, &at.id).await?;
    let current = d.request.state;
    render(&RequestPage {
        layout: cx.layout(d.package.display_name.clone()),
        package: d.package,
        tab: Tab::Requests,
        state_text: current.phrase(),
        kind: d.request.kind.label(),
        can_cancel: transition(current, Event::Canceled).is_ok(),
        can_reprocess: transition(current, Event::Reprocess).is_ok(),
        request: d.row,
        policy_name: d.policy_name,
        requestor_name: d.requestor_name,
        organization: d.organization,
        answers: d.answers,
        attributes: d.attributes,
        approvers: d.approvers,
        decisions: d.decisions,
        calls: d.calls,
    })
}

/// An administrator sends a failed custom extension call again.
#[tracing::instrument(skip_all)]
pub(super) async fn reprocess_call(
    cx: Console,
    PathId(call): PathId<CalloutId>,
    form: Form<BackTo>,
) -> Reply {
    let r = crate::service::custom_extensions::reprocess(cx.store(), &cx.actor(), &call, cx.now())
        .await;
    // Back to the request it was made for (a path of this site only).
    let back = form.0.back;
    let back = if back.starts_with(&format!("{}/", routes::ADMIN)) && !back.starts_with("//") {
        &back
    } else {
        routes::ADMIN.as_str()
    };
    cx.done_or_refused(r, "The call is queued to be sent again.", back)
}

/// Where to go after an action.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct BackTo {
    back: String,
}

item_action!(cancel(PackageConsole<Assign>, RequestAt) => svc::cancel_by_admin,
    "Request canceled.", PAGE);
item_action!(reprocess(PackageConsole<Assign>, RequestAt) => svc::reprocess,
    "Request reprocessed.", PAGE);
