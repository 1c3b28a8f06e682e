//! Instance-wide settings kept in the database: the organization's own mail
//! domains, and the guest lifecycle.

use crate::store::catalog_roles::{self, CreatorRow};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::error::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::lifecycle::GuestLifecycle;
use crate::domain::tenant::TenantSettings;
use crate::store::{Conn, Store, audit, settings};

use crate::store::settings::TENANT;

/// The tenant settings in force (none configured: no own domains).
#[tracing::instrument(skip_all)]
pub async fn tenant(conn: &mut Conn) -> Result<TenantSettings, ServiceError> {
    Ok(settings::get_json(conn, TENANT).await?.unwrap_or_default())
}

#[tracing::instrument(skip_all)]
pub async fn save_tenant(
    store: &Store,
    actor: &Actor,
    value: TenantSettings,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let names = ("Update organization settings", "Organization settings");
    put(store, actor, TENANT, names, &value, now).await
}

/// Saves the setting `key` (the audit event's action and the settings'
/// name in `names`), recording what it was before and what it is now.
async fn put<T: Serialize + DeserializeOwned + Default>(
    store: &Store,
    actor: &Actor,
    key: &'static str,
    (action, name): (&str, &str),
    value: &T,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let before: T = settings::get_json(&mut tx, key).await?.unwrap_or_default();
    settings::put_json(&mut tx, key, value).await?;
    let details = json!({"before": before, "after": value});
    let event = NewAuditEvent::new(action, object_type::SETTINGS, key, name, details);
    audit::record(&mut tx, actor, &event, now).await?;
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
    let names = (
        "Update external user lifecycle settings",
        "Entitlement management settings",
    );
    put(store, actor, GUEST_LIFECYCLE, names, &value, now).await
}

/// The settings page's values: the guest lifecycle, the organization's own
/// domains, and who may create catalogs.
pub type Current = (GuestLifecycle, TenantSettings, Vec<CreatorRow>);

/// The settings page's values in force.
#[tracing::instrument(skip_all)]
pub async fn current(store: &Store) -> Result<Current, ServiceError> {
    super::transaction::read(store, async |c| {
        Ok((
            guest_lifecycle(c).await?,
            tenant(c).await?,
            catalog_roles::creators(c).await?,
        ))
    })
    .await
}
