//! A policy draft made whole: the names it gives looked up.

use chrono::{DateTime, Utc};

use crate::domain::policy::Policy;
use crate::domain::policy_draft::{Found, PolicyDraft};
use crate::service::error::ServiceError;
use crate::store::{Conn, connected_orgs, directory, users};

/// The policy a draft describes, its names looked up in one query per kind;
/// names not found and broken rules are `Invalid`, beside their fields.
#[tracing::instrument(skip_all)]
pub async fn resolve(
    conn: &mut Conn,
    draft: PolicyDraft,
    now: DateTime<Utc>,
) -> Result<Policy, ServiceError> {
    let found = Found {
        users: users::ids_by_emails(conn, &draft.emails()).await?,
        groups: directory::GROUP_NAMES
            .ids(conn, &draft.group_names())
            .await?,
        organizations: connected_orgs::ORG_NAMES
            .ids(conn, &draft.organization_names())
            .await?,
    };
    draft.complete(&found, now).map_err(ServiceError::Invalid)
}
