//! The console's overview: how many of each, and what needs attention.

use chrono::{DateTime, Duration, Utc};

use super::error::ServiceError;
use super::transaction::{fetch, read};
use crate::domain::request::RequestFilter;
use crate::store::outbox::{self, MailRow};
use crate::store::requests::{self, AnyRequestRow};
use crate::store::{Page, PageAt, Store};

pub struct Overview {
    /// (what, how many): users, guests, groups, applications, sites,
    /// catalogs, packages, organizations, assignments, pending.
    pub counts: Vec<(String, i64)>,
    /// Failed deliveries, and requests to be denied within two days.
    pub requests: Vec<AnyRequestRow>,
    /// Mail that could not be sent.
    pub mail: Vec<MailRow>,
}

#[tracing::instrument(skip_all)]
pub async fn overview(store: &Store, now: DateTime<Utc>) -> Result<Overview, ServiceError> {
    read(store, async |c| {
        Ok(Overview {
            counts: requests::counts(c).await?,
            requests: requests::needing_attention(c, now + Duration::days(2), 20).await?,
            mail: outbox::problems(c, 10).await?,
        })
    })
    .await
}

/// One page of every package's requests, `state` a group of states.
#[tracing::instrument(skip_all)]
pub async fn requests(
    store: &Store,
    state: Option<RequestFilter>,
    at: PageAt,
) -> Result<Page<AnyRequestRow>, ServiceError> {
    fetch(store, async |c| requests::all(c, state, at).await).await
}
