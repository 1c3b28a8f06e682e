//! What the sign-in page offers, read at once: the connected organizations'
//! identity providers and, in demo mode, the demo people.

use super::demo::{self, DemoChoice};
use chrono::{DateTime, Utc};

use super::error::{Saved, ServiceError};
use super::transaction::read;
use crate::store::Store;
use crate::store::connected_orgs::{SignInProvider, sign_in_providers};

/// The choices the sign-in page shows besides the configured providers.
pub struct SignInChoices {
    pub organizations: Vec<SignInProvider>,
    /// Empty unless `demo`.
    pub demo_users: Vec<DemoChoice>,
}

#[tracing::instrument(skip_all)]
pub async fn choices(store: &Store, demo: bool) -> Result<SignInChoices, ServiceError> {
    read(store, async |c| {
        Ok(SignInChoices {
            organizations: sign_in_providers(c).await?,
            demo_users: if demo {
                demo::sign_in_choices(c).await?
            } else {
                Vec::new()
            },
        })
    })
    .await
}

/// Sends a sign-in code to `email` (`sign_in::send_code`); refused for the
/// address, returns the page's choices, to show the form again with.
#[tracing::instrument(skip_all)]
pub async fn send_code(
    store: &Store,
    email: &str,
    client: &str,
    demo: bool,
    now: DateTime<Utc>,
) -> Result<Saved<(), SignInChoices>, ServiceError> {
    let sent = super::sign_in::send_code(store, email, client, now).await;
    Saved::or_page(sent, async || choices(store, demo).await).await
}
