//! Automatic denial: a request nobody decided in time expires.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{BATCH, system_event};
use crate::domain::audit::object_type;
use crate::domain::request::{Event, RequestState, transition};
use crate::service::ServiceError;
use crate::service::requests::{facts, notify_requestor};
use crate::store::{self, Store, requests};

/// A request nobody decided within its stage's limit expires.
pub(super) async fn run(store: &Store, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    batches!(
        store,
        |tx, ids| requests::due_denials(&mut tx, now, BATCH).await?,
        |id| {
            match requests::get(&mut tx, id).await? {
                Some(r) if r.state()? == RequestState::PendingApproval => {
                    let to = transition(RequestState::PendingApproval, Event::TimedOut)
                        .map_err(ServiceError::Refused)?;
                    let stage = r.current_stage;
                    if requests::move_state(
                        &mut tx,
                        id,
                        RequestState::PendingApproval,
                        stage,
                        to,
                        stage,
                        now,
                    )
                    .await?
                    {
                        notify_requestor(
                            &mut tx,
                            id,
                            crate::notify::kind::REQUEST_EXPIRED,
                            None,
                            now,
                        )
                        .await?;
                        let name = facts(&mut tx, id).await?["package"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string();
                        system_event(
                            &mut tx,
                            "Access package assignment request expired without a decision",
                            object_type::ACCESS_PACKAGE,
                            id,
                            &name,
                            json!({"request": id, "stage": stage}),
                            now,
                        )
                        .await?;
                        true
                    } else {
                        false
                    }
                }
                _ => false,
            }
        }
    )
}
