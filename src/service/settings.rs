//! The organization's own settings (its mail domains), kept in the database.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ServiceError;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::tenant::TenantSettings;
use crate::store::{self, Conn, Store, audit, settings};

const TENANT: &str = "tenant";

/// The tenant settings in force (none configured: no own domains).
pub async fn tenant(conn: &mut Conn) -> Result<TenantSettings, ServiceError> {
    match settings::get(conn, TENANT).await? {
        None => Ok(TenantSettings::default()),
        Some(v) => serde_json::from_str(&v)
            .map_err(|e| store::StoreError::Corrupt(format!("tenant settings: {e}")).into()),
    }
}

pub async fn save_tenant(
    store: &Store,
    actor: &Actor,
    value: &TenantSettings,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let before = tenant(&mut tx).await?;
    let text = serde_json::to_string(value)
        .map_err(|e| store::StoreError::Corrupt(format!("tenant settings: {e}")))?;
    settings::put(&mut tx, TENANT, &text).await?;
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
    tx.commit().await.map_err(store::map_err)?;
    Ok(())
}
