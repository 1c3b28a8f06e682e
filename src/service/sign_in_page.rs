//! What the sign-in page offers, read at once: the connected organizations'
//! identity providers and, in demo mode, the demo people.

use super::demo::{self, DemoChoice};
use super::error::ServiceError;
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
