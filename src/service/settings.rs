//! Instance-wide settings kept in the database: the organization's own mail
//! domains, and the guest lifecycle.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::lifecycle::GuestLifecycle;
use crate::domain::tenant::TenantSettings;
use crate::store::{Conn, Store, audit, settings};

const TENANT: &str = "tenant";

/// The tenant settings in force (none configured: no own domains).
#[tracing::instrument(skip_all)]
pub async fn tenant(conn: &mut Conn) -> Result<TenantSettings, ServiceError> {
    Ok(settings::get_json(conn, TENANT).await?.unwrap_or_default())
}

#[tracing::instrument(skip_all)]
pub async fn save_tenant(
    store: &Store,
    actor: &Actor,
    value: &TenantSettings,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let before = tenant(&mut tx).await?;
    settings::put_json(&mut tx, TENANT, value).await?;
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Update organization settings".into(),
            object_type: object_type::SETTINGS,
            object_id: TENANT.into(),
            object_name: "Organization settings".into(),
            details: json!({"before": before, "after": value}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const GUEST_LIFECYCLE: &str = "guest_lifecycle";

/// The guest lifecycle settings in force.
#[tracing::instrument(skip_all)]
pub async fn guest_lifecycle(conn: &mut Conn) -> Result<GuestLifecycle, ServiceError> {
    Ok(settings::get_json(conn, GUEST_LIFECYCLE)
        .await?
        .unwrap_or_default())
}

#[tracing::instrument(skip_all)]
pub async fn save_guest_lifecycle(
    store: &Store,
    actor: &Actor,
    value: GuestLifecycle,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let before = guest_lifecycle(&mut tx).await?;
    settings::put_json(&mut tx, GUEST_LIFECYCLE, &value).await?;
    audit::record(
        &mut tx,
        actor,
        &NewAuditEvent {
            action: "Update external user lifecycle settings".into(),
            object_type: object_type::SETTINGS,
            object_id: GUEST_LIFECYCLE.into(),
            object_name: "Entitlement management settings".into(),
            details: json!({"before": before, "after": value}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The settings page's values in force: the guest lifecycle and the
/// organization's own domains.
#[tracing::instrument(skip_all)]
pub async fn current(store: &Store) -> Result<(GuestLifecycle, TenantSettings), ServiceError> {
    super::read(store, async |c| {
        Ok((guest_lifecycle(c).await?, tenant(c).await?))
    })
    .await
}
