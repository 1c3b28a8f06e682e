//! The console's home: how many of each, and what needs attention (failed
//! deliveries, requests about to be denied, mail that could not be sent).

use askama::Template;

use crate::routes;
use crate::service::overview;
use crate::store::outbox::MailRow;
use crate::store::requests::AnyRequestRow;
use crate::web::admin::console::Console;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, render};

#[derive(Template)]
#[template(path = "admin/home.html")]
struct Home {
    layout: Layout,
    /// (label, count, where to see them).
    tiles: Vec<(&'static str, i64, String)>,
    requests: Vec<AnyRequestRow>,
    mail: Vec<MailRow>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn home(cx: Console) -> Reply {
    let o = overview::overview(cx.store(), cx.now()).await?;
    let count = |k: &str| o.counts.iter().find(|(n, _)| n == k).map_or(0, |(_, c)| *c);
    // Each tile: its label, its count, and the page it opens.
    let tile = |label, key, link: &dyn std::fmt::Display| (label, count(key), link.to_string());
    let tiles = vec![
        tile("Catalogs", "catalogs", &routes::ADMIN_CATALOGS.list),
        tile("Access packages", "packages", &routes::ADMIN_PACKAGES.list),
        tile(
            "Active assignments",
            "assignments",
            &routes::ADMIN_PACKAGES.list,
        ),
        tile(
            "Waiting for approval",
            "pending",
            &format!("{}?state=open", routes::ADMIN_REQUESTS),
        ),
        tile(
            "Connected organizations",
            "organizations",
            &routes::ADMIN_ORGS.list,
        ),
        tile("Members", "users", &routes::ADMIN_USERS.list),
        tile("Guests", "guests", &routes::ADMIN_USERS.list),
        tile("Groups and teams", "groups", &routes::ADMIN_GROUPS.list),
        tile(
            "Applications",
            "applications",
            &routes::ADMIN_APPLICATIONS.list,
        ),
        tile("Sites", "sites", &routes::ADMIN_SITES.list),
    ];
    render(&Home {
        layout: cx.layout("Console"),
        tiles,
        requests: o.requests,
        mail: o.mail,
    })
}
