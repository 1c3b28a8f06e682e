//! Custom extensions: a catalog's extensions (create, edit, delete unless a
//! policy calls one), which one a policy calls at each stage, and the calls
//! the worker sends (claimed, their body fixed at the first try, finished,
//! reprocessed).

use chrono::{DateTime, Utc};
use serde_json::json;

use super::catalogs::event;
use super::error::{Saved, ServiceError, found, invalid};
use super::transaction::{read, write};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::custom_extension::{
    Authentication, ExtensionInput, ExtensionProfile, Stage, new_signing_secret, payload,
};
use crate::domain::ids::{CalloutId, CatalogId, CustomExtensionId, PolicyId};
use crate::store::catalogs::CatalogRow;
use crate::store::custom_extensions::{self as db, Claimed, ExtensionRow, Tried};
use crate::store::{self, Store, StoreError, audit, catalogs};

fn name_taken(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict(_) => invalid(
            "display_name",
            "This catalog already has a custom extension with this name.",
        ),
        other => other.into(),
    }
}

/// What the audit log keeps of an extension's settings (never its secret).
fn described(p: &ExtensionProfile) -> serde_json::Value {
    json!({
        "displayName": p.display_name,
        "description": p.description,
        "endpoint": p.endpoint_url,
        "authentication": p.authentication.as_str(),
        "timeoutSeconds": p.timeout_seconds,
        "behavior": p.behavior.label(),
    })
}

/// Extensions, each with the policies that call it as (id, name).
pub type ExtensionUses = Vec<(ExtensionRow, Vec<(String, String)>)>;

/// A new extension as its page shows it, and its signing secret (shown once).
pub type Created = (ExtensionDetails, Option<String>);

/// The catalog and its extensions, each with the policies that call it.
#[tracing::instrument(skip_all)]
pub async fn of_catalog(
    store: &Store,
    catalog: &CatalogId,
) -> Result<(CatalogRow, ExtensionUses), ServiceError> {
    read(store, async |c| {
        let row = found(catalogs::get(c, catalog).await?)?;
        let used = db::used_in_catalog(c, catalog).await?;
        let extensions = db::of_catalog(c, catalog)
            .await?
            .into_iter()
            .map(|e| {
                let by = used
                    .iter()
                    .filter(|(x, _, _)| *x == e.id)
                    .map(|(_, p, ap)| (p.clone(), ap.clone()))
                    .collect();
                (e, by)
            })
            .collect();
        Ok((row, extensions))
    })
    .await
}

/// One extension of a catalog, as its page shows it.
pub struct ExtensionDetails {
    pub catalog: CatalogRow,
    pub extension: ExtensionRow,
    /// The policies that call it: (package, policy) names.
    pub used_by: Vec<(String, String)>,
}

/// One extension of the catalog, with the policies that call it.
#[tracing::instrument(skip_all)]
pub async fn details(
    store: &Store,
    catalog: &CatalogId,
    id: &CustomExtensionId,
) -> Result<ExtensionDetails, ServiceError> {
    read(store, async |c| details_in(c, catalog, id).await).await
}

/// `details`, read on `c` (in the transaction that just saved it).
async fn details_in(
    c: &mut store::Conn,
    catalog: &CatalogId,
    id: &CustomExtensionId,
) -> Result<ExtensionDetails, ServiceError> {
    let extension = found(db::get(c, id).await?)?;
    if extension.catalog_id != catalog.as_str() {
        return Err(ServiceError::NotFound);
    }
    Ok(ExtensionDetails {
        catalog: found(catalogs::get(c, catalog).await?)?,
        used_by: db::used_by(c, id).await?,
        extension,
    })
}

/// Creates an extension; returns it as its page shows it and, when it signs
/// its calls, its new signing secret (shown this once). Refused, it returns
/// the catalog's extensions, to show the form again.
#[tracing::instrument(skip_all)]
pub async fn create(
    store: &Store,
    actor: &Actor,
    catalog: &CatalogId,
    input: &ExtensionInput,
    now: DateTime<Utc>,
) -> Result<Saved<Created, (CatalogRow, ExtensionUses)>, ServiceError> {
    let created = create_parsed(store, actor, catalog, input, now).await;
    Saved::or_page(created, async || of_catalog(store, catalog).await).await
}

/// `create`, once the form parses (before any transaction begins).
async fn create_parsed(
    store: &Store,
    actor: &Actor,
    catalog: &CatalogId,
    input: &ExtensionInput,
    now: DateTime<Utc>,
) -> Result<Created, ServiceError> {
    let p = &ExtensionProfile::parse(input, false)?;
    let client_secret = input.client_secret.as_str();
    write(store, actor, now, async |tx| {
        let cat = found(catalogs::get(tx, catalog).await?)?;
        let id = CustomExtensionId::new();
        let (secret, shown) = match p.authentication {
            Authentication::Signature => {
                let s = new_signing_secret();
                (s.clone(), Some(s))
            }
            Authentication::OAuth { .. } => (client_secret.trim().to_string(), None),
        };
        db::save(tx, &id, catalog, p, Some(&secret), true, now)
            .await
            .map_err(name_taken)?;
        let mut details = described(p);
        details["customExtension"] = json!(id);
        let event = event(
            "Create custom extension",
            catalog,
            &cat.display_name,
            details,
        );
        Ok(((details_in(tx, catalog, &id).await?, shown), event))
    })
    .await
}

/// Saves an extension's settings as the form gave them (what is wrong is
/// said beside each field). A blank client secret keeps the one kept;
/// `rotate` replaces the signing secret and returns the new one (shown this
/// once) with the extension as its page shows it, as does a change to
/// signing.
#[tracing::instrument(skip_all)]
pub async fn update(
    store: &Store,
    actor: &Actor,
    catalog: &CatalogId,
    id: &CustomExtensionId,
    input: &ExtensionInput,
    rotate: bool,
    now: DateTime<Utc>,
) -> Result<Saved<Option<(ExtensionDetails, String)>, ExtensionDetails>, ServiceError> {
    let saved = write(store, actor, now, async |tx| {
        let before = found(db::get(tx, id).await?)?;
        if before.catalog_id != catalog.as_str() {
            return Err(ServiceError::NotFound);
        }
        // An OAuth extension keeps the client secret it has when none is typed.
        let had_secret = matches!(before.authentication(), Authentication::OAuth { .. });
        let p = &ExtensionProfile::parse(input, had_secret).map_err(ServiceError::Invalid)?;
        let client_secret = input.client_secret.as_str();
        let was_signed = matches!(before.authentication(), Authentication::Signature);
        let (secret, shown) = match p.authentication {
            Authentication::Signature if rotate || !was_signed => {
                let s = new_signing_secret();
                (Some(s.clone()), Some(s))
            }
            Authentication::Signature => (None, None),
            Authentication::OAuth { .. } if !client_secret.trim().is_empty() => {
                (Some(client_secret.trim().to_string()), None)
            }
            Authentication::OAuth { .. } if was_signed => {
                return Err(invalid("client_secret", "Enter the client secret."));
            }
            Authentication::OAuth { .. } => (None, None),
        };
        db::save(tx, id, catalog, p, secret.as_deref(), false, now)
            .await
            .map_err(name_taken)?;
        let mut details = described(p);
        details["customExtension"] = json!(id);
        details["secretReplaced"] = json!(secret.is_some());
        let event = event(
            "Update custom extension",
            catalog,
            &before.display_name,
            details,
        );
        let shown = match shown {
            Some(secret) => Some((details_in(tx, catalog, id).await?, secret)),
            None => None,
        };
        Ok((shown, event))
    })
    .await;
    Saved::or_page(saved, async || details(store, catalog, id).await).await
}

/// Deletes an extension, refused while a policy calls it.
#[tracing::instrument(skip_all)]
pub async fn delete(
    store: &Store,
    actor: &Actor,
    catalog: &CatalogId,
    id: &CustomExtensionId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |tx| {
        let before = found(db::get(tx, id).await?)?;
        if before.catalog_id != catalog.as_str() {
            return Err(ServiceError::NotFound);
        }
        let used = db::used_by(tx, id).await?;
        if !used.is_empty() || !db::delete(tx, id).await? {
            let names: Vec<String> = used
                .iter()
                .map(|(package, policy)| format!("{package} › {policy}"))
                .collect();
            return Err(ServiceError::Refused(format!(
                "{} cannot be deleted while a policy calls it: {}. Take it out of those policies first.",
                before.display_name,
                names.join(", ")
            )));
        }
        let event = event(
                "Delete custom extension",
                catalog,
                &before.display_name,
                json!({"customExtension": id, "displayName": before.display_name}),
            );
        Ok((before.display_name, event))
    })
    .await
}

/// The extensions a policy may call, and the one it calls at each stage (by
/// extension id).
pub type PolicyExtensions = (Vec<ExtensionRow>, Vec<(Stage, String)>);

/// What a policy's Custom extensions step offers and holds: the catalog's
/// extensions, and the one chosen for each stage.
#[tracing::instrument(skip_all)]
pub async fn for_policy(
    store: &Store,
    catalog: &CatalogId,
    policy: Option<&PolicyId>,
) -> Result<PolicyExtensions, ServiceError> {
    let mut c = store.read().await?;
    let offered = db::of_catalog(&mut c, catalog).await?;
    let chosen = match policy {
        Some(p) => db::of_policy(&mut c, p)
            .await?
            .into_iter()
            .map(|(s, e)| (s, e.id))
            .collect(),
        None => vec![],
    };
    Ok((offered, chosen))
}

/// Checks a policy's choices: each an extension of the package's catalog.
/// Errors are keyed `ext_{stage}`.
#[tracing::instrument(skip_all)]
pub async fn check_choices(
    conn: &mut store::Conn,
    catalog: &CatalogId,
    chosen: &[(Stage, String)],
) -> Result<Vec<(Stage, String)>, ServiceError> {
    let offered = db::of_catalog(conn, catalog).await?;
    let mut e = crate::domain::validation::FieldErrors::new();
    let mut out = Vec::new();
    for (stage, id) in chosen {
        if id.is_empty() {
            continue;
        }
        if offered.iter().any(|x| x.id == *id) {
            out.push((*stage, id.clone()));
        } else {
            e.add(
                &format!("ext_{}", stage.as_str()),
                "Choose one of this catalog's custom extensions.",
            );
        }
    }
    e.into_result()?;
    Ok(out)
}

/// Makes the policy call these extensions, in the caller's transaction.
#[tracing::instrument(skip_all)]
pub async fn save_for_policy(
    conn: &mut store::Conn,
    policy: &PolicyId,
    chosen: &[(Stage, String)],
) -> Result<(), ServiceError> {
    db::set_for_policy(conn, policy, chosen).await?;
    Ok(())
}

// ---- the worker's side ----

/// Whether any call is due at `now` (the worker's look between wake-ups).
#[tracing::instrument(skip_all)]
pub async fn any_due(store: &Store, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let mut conn = store.read().await?;
    Ok(db::any_due(&mut conn, now).await?)
}

/// Claims the oldest due call (by one instance only); `None` when none is
/// due.
#[tracing::instrument(skip_all)]
pub async fn claim(store: &Store, now: DateTime<Utc>) -> Result<Option<Claimed>, ServiceError> {
    loop {
        let mut tx = store.begin().await?;
        let claimed = db::claim(&mut tx, now).await?;
        tx.commit().await?;
        match claimed {
            None => return Ok(None),
            Some(Some(call)) => return Ok(Some(call)),
            // Another instance took the one found: look again.
            Some(None) => continue,
        }
    }
}

/// The body of a call: fixed at its first try from what the request or
/// assignment says, the same on every later try.
#[tracing::instrument(skip_all)]
pub async fn body_of(store: &Store, call: &Claimed) -> Result<String, ServiceError> {
    if let Some(p) = &call.payload {
        return Ok(p.clone());
    }
    let mut tx = store.begin().await?;
    let facts = found(db::facts(&mut tx, &call.id).await?)?;
    let body = payload(&facts).to_string();
    let fixed = db::fix_payload(&mut tx, &call.id, &body).await?;
    tx.commit().await?;
    Ok(fixed)
}

/// The most tries of a call before it fails visibly.
pub const MAX_ATTEMPTS: i64 = 6;

/// Writes how a try ended, with an audit event when the call is done or
/// given up.
#[tracing::instrument(skip_all)]
pub async fn finish(
    store: &Store,
    call: &Claimed,
    result: Result<u16, (Option<u16>, String)>,
    duration_ms: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let waits = call.callback_token.is_some();
    let (tried, status) = match result {
        Ok(status) => (Tried::Sent { waits }, Some(status)),
        Err((status, why)) if call.attempts + 1 >= MAX_ATTEMPTS => (
            Tried::Failed(format!("{why} (gave up after {} tries)", call.attempts + 1)),
            status,
        ),
        Err((status, why)) => (
            Tried::Retry(why, now + crate::domain::retry::backoff(call.attempts)),
            status,
        ),
    };
    record(store, call, tried, status, duration_ms, now).await
}

/// Gives a call up at once, visibly: what it was about is gone or cannot be
/// read, so no later try could send it.
#[tracing::instrument(skip_all)]
pub async fn give_up(
    store: &Store,
    call: &Claimed,
    why: String,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    record(store, call, Tried::Failed(why), None, 0, now).await
}

async fn record(
    store: &Store,
    call: &Claimed,
    tried: Tried,
    status: Option<u16>,
    duration_ms: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    // Another caller took it when this one's claim ran out: its try is
    // the one the log tells.
    let finished = db::finish(
        &mut tx,
        &call.id,
        &call.lease,
        &tried,
        status,
        duration_ms,
        now,
    )
    .await?;
    if finished == db::Finished::NotOurs {
        return Ok(());
    }
    let action = match &tried {
        Tried::Sent { .. } => Some("Custom extension called"),
        Tried::Failed(_) => Some("Custom extension call failed"),
        Tried::Retry(..) => None,
    };
    if let Some(action) = action {
        let error = match &tried {
            Tried::Failed(e) => Some(e.clone()),
            _ => None,
        };
        audit::record(
            &mut tx,
            &Actor::system(),
            &NewAuditEvent {
                action: action.into(),
                object_type: object_type::ACCESS_PACKAGE,
                object_id: call.request_id.clone().unwrap_or_else(|| call.id.clone()),
                object_name: call.stage.clone(),
                details: json!({"call": call.id, "stage": call.stage, "status": status,
                    "durationMs": duration_ms, "error": error, "attempts": call.attempts + 1}),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An administrator sends a failed call again.
#[tracing::instrument(skip_all)]
pub async fn reprocess(
    store: &Store,
    actor: &Actor,
    call: &CalloutId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        if !db::retry(tx, call, now).await? {
            return Err(ServiceError::Refused(
                "Only a call that failed can be sent again.".into(),
            ));
        }
        let event = NewAuditEvent {
            action: "Reprocess custom extension call".into(),
            object_type: object_type::ACCESS_PACKAGE,
            object_id: call.to_string(),
            object_name: String::new(),
            details: json!({"call": call}),
        };
        Ok(((), event))
    })
    .await
}
