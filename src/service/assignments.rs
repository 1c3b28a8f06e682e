//! Administrators' work on a package's assignments: remove one (taking back
//! what only it granted), or reprocess one (granting its roles again). Each
//! function is one transaction with its audit event. And the reminders
//! holders get before their assignments end.

use chrono::{DateTime, Utc};
use serde_json::json;

use std::collections::HashMap;

use super::error::ServiceError;
use super::transaction::write;
use crate::domain::assignment::{AssignmentState, Ending};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::custom_extension::Stage;
use crate::domain::ids::{AccessPackageId, AssignmentId};
use crate::domain::message::Mail;
use crate::domain::policy::Policy;
use crate::domain::request::EndReason;
use crate::store::{self, Conn, assignments};

/// The audit event of a change to an assignment of `package` (its name).
fn event(action: &str, id: &str, package: &str, details: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent::new(action, object_type::ACCESS_PACKAGE, id, package, details)
}

/// The assignment, if it belongs to the package.
async fn assignment_of(
    conn: &mut Conn,
    package: &AccessPackageId,
    id: &AssignmentId,
) -> Result<assignments::AssignmentRow, ServiceError> {
    assignments::get(conn, id)
        .await?
        .filter(|a| a.access_package_id == *package)
        .ok_or(ServiceError::NotFound)
}

/// The package's assignment, if it is active; else refused with `not`
/// followed by its state ("… is already expired.").
async fn active(
    conn: &mut Conn,
    package: &AccessPackageId,
    id: &AssignmentId,
    not: &str,
) -> Result<assignments::AssignmentRow, ServiceError> {
    let a = assignment_of(conn, package, id).await?;
    if !a.is_active() {
        let state = a.state_text().to_lowercase();
        return Err(ServiceError::Refused(format!("{not} {state}.")));
    }
    Ok(a)
}

/// Removes an assignment: its roles are taken back where nothing else grants
/// them, and attribute values not kept are cleared.
#[tracing::instrument(skip_all)]
pub async fn remove(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &AssignmentId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let a = active(tx, package, id, "This assignment is already").await?;
        // Held like every change to what the person holds, so that a
        // delivery at the same moment never loses a role this takes back.
        store::users::lock(tx, &a.target_id).await?;
        let ended = super::access::end_assignment(tx, id, EndReason::Removed, now).await?;
        let Some(super::access::Ended { details, .. }) = ended else {
            return Err(ServiceError::Refused(
                "The assignment ended meanwhile; reload the page.".into(),
            ));
        };
        let action = "Remove access package assignment";
        Ok(((), event(action, id.as_str(), &a.package_name, details)))
    })
    .await
}

/// Marks the guest holding an active assignment as governed ("Mark guest as
/// governed"): the guest lifecycle then blocks and deletes the account when
/// their last assignment ends, as it does for guests Gatehouse created.
#[tracing::instrument(skip_all)]
pub async fn govern_guest(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &AssignmentId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let a = active(
            tx,
            package,
            id,
            "Only a guest with active access can be marked; this assignment is",
        )
        .await?;
        if !store::users::govern_guest(tx, &a.target_id, now).await? {
            return Err(ServiceError::Refused(format!(
                "{} is not a guest that Gatehouse leaves alone: a member, or governed already.",
                a.target_name
            )));
        }
        let event = NewAuditEvent::new(
            "Mark guest as governed",
            object_type::USER,
            a.target_id.as_str(),
            &a.target_name,
            json!({"accessPackage": package.as_str(), "assignment": id}),
        );
        Ok(((), event))
    })
    .await
}

/// Grants again the roles of an active assignment (after someone removed one by hand).
#[tracing::instrument(skip_all)]
pub async fn reprocess_assignment(
    store: &store::Store,
    actor: &Actor,
    package: &AccessPackageId,
    id: &AssignmentId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    write(store, actor, now, async |tx| {
        let only = "Only an active assignment can be reprocessed; this one is";
        let a = active(tx, package, id, only).await?;
        // Held, as every change to what a person holds holds them, so that
        // a role taken out of the package meanwhile is not granted back:
        // the roles are read once the change that holds them is done.
        store::users::lock(tx, &a.target_id).await?;
        // Ended meanwhile (expired, removed): nothing brings it back.
        if !assignments::set_active_state(tx, id, AssignmentState::Delivered).await? {
            return Err(ServiceError::Refused(
                "The assignment ended meanwhile, so it was not reprocessed.".into(),
            ));
        }
        super::access::grant_roles(tx, package, &a.target_id, now).await?;
        // What failed to reach a connected system is tried again.
        store::provisioning::retry_failed(tx, id.as_str(), now).await?;
        store::provisioning::hold_delivery(tx, id).await?;
        let details = json!({"assignment": id, "user": a.target_email});
        let action = "Reprocess access package assignment";
        Ok(((), event(action, id.as_str(), &a.package_name, details)))
    })
    .await
}

/// One batch of expiry reminders, as `remind_ending` sent it.
pub struct Reminded {
    /// How many assignments it took (fewer than asked: the last batch).
    pub taken: usize,
    /// How many mails it queued.
    pub mails: usize,
    /// Where the next batch starts: (end, id) of the last one taken.
    pub after: Option<(String, String)>,
}

/// Reminds the holders of up to `limit` assignments ending within `days`
/// (after `after`, in end order) that were not reminded for that window,
/// and calls the extension each policy calls then: one transaction. A
/// policy that sends no mails about assignments sends no reminder; where it
/// lets holders extend, the reminder links to it.
#[tracing::instrument(skip_all)]
pub async fn remind_ending(
    store: &store::Store,
    days: i64,
    after: Option<&(String, String)>,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Reminded, ServiceError> {
    let mut tx = store.begin().await?;
    let due = assignments::due_reminders(&mut tx, now, days, after, limit).await?;
    let next = due.last().map(|(id, end)| (end.clone(), id.clone()));
    let ids: Vec<String> = due.into_iter().map(|(id, _)| id).collect();
    store::batch::set_reminded(&mut tx, &ids, days).await?;
    let stage = if days == 1 {
        Stage::OneDayBeforeExpiration
    } else {
        Stage::FourteenDaysBeforeExpiration
    };
    store::custom_extensions::queue_for_ids(&mut tx, &ids, stage, now).await?;
    let rows = store::batch::assignments(&mut tx, &ids).await?;
    let mut packages: Vec<String> = rows
        .iter()
        .map(|a| a.access_package_id.to_string())
        .collect();
    packages.sort();
    packages.dedup();
    let policies: HashMap<String, Policy> = store::policies::for_packages(&mut tx, &packages)
        .await?
        .into_iter()
        .map(|(_, id, p)| (id, p))
        .collect();
    let mut mails: Vec<Mail> = Vec::with_capacity(rows.len());
    for a in &rows {
        let end = match a.end_at.as_deref().map(store::parse_ts) {
            None => continue,
            Some(Ok(end)) => end,
            // Said loudly, and passed over: failing the batch would hold
            // back every other holder's reminder on each run.
            Some(Err(e)) => {
                tracing::error!(assignment = %a.id, error = %e, "an end that does not read: no reminder");
                continue;
            }
        };
        let ending = Ending {
            package_id: &a.access_package_id,
            package: &a.package_name,
            holder: &a.target_name,
            holder_email: &a.target_email,
            end,
        };
        mails.extend(ending.reminder(policies.get(a.policy_id.as_str()), now));
    }
    store::outbox::enqueue(&mut tx, &mails, now).await?;
    tx.commit().await?;
    Ok(Reminded {
        taken: ids.len(),
        mails: mails.len(),
        after: next,
    })
}
