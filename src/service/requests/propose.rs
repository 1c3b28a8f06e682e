//! A connected organization proposed by a request from an unknown domain.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::availability::own_domain_refusal;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::connected_org::{ConnectedOrgProfile, ConnectedOrgState};
use crate::domain::ids::ConnectedOrgId;
use crate::service::error::ServiceError;
use crate::store::{self, Conn, audit};

/// A connected organization in the `proposed` state for the address's
/// domain, made when someone from an unknown domain asks under an "all
/// users" policy: its id and name.
#[tracing::instrument(skip_all)]
pub(crate) async fn organization(
    conn: &mut Conn,
    email: &str,
    package: &str,
    now: DateTime<Utc>,
) -> Result<(ConnectedOrgId, String), ServiceError> {
    let domain = email
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default();
    // The organization's own domains are never proposed as someone else's.
    if crate::service::settings::tenant(conn)
        .await?
        .owns_domain(&domain)
    {
        return Err(ServiceError::Refused(own_domain_refusal(&domain)));
    }
    let id = ConnectedOrgId::new();
    // The domain names the organization, unless an organization already has
    // that name without the domain.
    let name = match store::connected_orgs::id_by_name(conn, &domain).await? {
        None => domain.clone(),
        Some(_) => format!("{domain} ({})", &id.as_str()[..8]),
    };
    let profile = ConnectedOrgProfile {
        display_name: name.clone(),
        description: Some(format!("Proposed when {email} requested {package}.")),
        state: ConnectedOrgState::Proposed,
        domains: vec![domain.clone()],
        oidc: None,
    };
    store::connected_orgs::save(conn, &id, &profile, &[], &[], true, now).await?;
    audit::record(
        conn,
        &Actor::system(),
        &NewAuditEvent {
            action: "Create proposed connected organization".into(),
            object_type: object_type::CONNECTED_ORGANIZATION,
            object_id: id.to_string(),
            object_name: name.clone(),
            details: json!({"domain": domain, "requestedBy": email}),
        },
        now,
    )
    .await?;
    Ok((id, name))
}
