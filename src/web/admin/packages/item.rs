//! One of a package's requests, assignments or reviews, as its path names
//! it, and the console's actions on it (`item_action!`).

use actix_web::FromRequest;
use chrono::{DateTime, Utc};

use crate::domain::audit::Actor;
use crate::domain::ids::{AccessPackageId, Id};
use crate::routes;
use crate::service::ServiceError;
use crate::store::Store;
use crate::web::admin::console::ConsoleWho;
use crate::web::error::AppError;
use crate::web::extract::context::Ctx;
use crate::web::extract::path_id::PathIds;
use crate::web::respond::Reply;

/// A path naming one of a package's requests, assignments or reviews: the
/// package and the item's id (a path with anything else is not found).
pub struct Item<I> {
    pub package: AccessPackageId,
    pub id: I,
}

impl<I: Id> FromRequest for Item<I> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Item<I>, AppError>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        pl: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        // By position: the item's parameter is named for what it is.
        let ids = PathIds::<AccessPackageId, I>::from_request(req, pl).into_inner();
        std::future::ready(ids.map(|PathIds(package, id)| Item { package, id }))
    }
}

impl<I: std::fmt::Display> Item<I> {
    /// Runs one of the console's actions on this item (cancel a request,
    /// stop a review, …), then says `done`, or why it was refused, on `back`:
    /// the item's page, or the package's list of them (a route of the
    /// package alone, which takes the package and leaves the item out).
    pub(super) async fn act<T>(
        self,
        cx: &Ctx<impl ConsoleWho>,
        action: impl AsyncFnOnce(
            &Store,
            &Actor,
            &AccessPackageId,
            &I,
            DateTime<Utc>,
        ) -> Result<T, ServiceError>,
        done: &str,
        back: routes::Route,
    ) -> Reply {
        let back = back.ids(&self.package, &self.id);
        let result = action(cx.store(), &cx.actor(), &self.package, &self.id, cx.now()).await;
        cx.done_or_refused(result, done, &back)
    }
}

/// A console action on one of a package's items (POST, CSRF-checked):
/// `$service` runs on the item its path names, by someone `$who` admits,
/// and `$done`, or why it was refused, is said on `$back` (`Item::act`).
macro_rules! item_action {
    ($name:ident($who:ty, $item:ty) => $service:path, $done:expr, $back:expr) => {
        #[tracing::instrument(skip_all)]
        pub(super) async fn $name(cx: $who, at: $item, _: Form<NoFields>) -> Reply {
            at.act(&cx, $service, $done, $back).await
        }
    };
}
pub(crate) use item_action;
