//! Custom extensions in the use cases that move a request on: the call of
//! the extension that decides a stage, and approval that waits for the
//! extension called when it is approved. What their answers do is
//! `resume`.

use chrono::{DateTime, Utc};

use super::calls::Calls;
use super::{deliver, save};
use crate::domain::custom_extension::Stage;
use crate::domain::policy::Policy;
use crate::domain::request::{Change, Names, Request, RequestState};
use crate::service::error::ServiceError;
use crate::store::Conn;
use crate::store::snapshot::PackageInfo;

/// The call of the extension that decides the stage the request is now in,
/// if one does.
pub(crate) fn approval_call(
    request: &Request,
    calls: &Calls,
    now: DateTime<Utc>,
) -> Option<Change> {
    if request.state != RequestState::PendingApproval {
        return None;
    }
    let stage = Stage::Approval(u8::try_from(request.stage).ok()?);
    calls.at(stage).map(|b| request.call(stage, b, now))
}

/// Whether an extension decides approval stage `n` (1-based).
pub(crate) fn decides(calls: &Calls, n: u32) -> bool {
    u8::try_from(n).is_ok_and(|n| calls.at(Stage::Approval(n)).is_some())
}

impl save::Context {
    /// What the loaded request's approval starts (see `on_approval`);
    /// nothing while it is not approved.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn on_approval(
        &mut self,
        conn: &mut Conn,
        calls: &Calls,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, ServiceError> {
        if self.request.state != RequestState::Approved {
            return Ok(vec![]);
        }
        let (info, policy, names) = (&self.package, &self.policy, &self.names);
        on_approval(conn, info, policy, &mut self.request, names, calls, now).await
    }
}

/// A request has just been approved (or needs no approval): the extension
/// called at approval is called, and unless the request waits for its
/// answer, the request is delivered.
#[tracing::instrument(skip_all)]
pub(crate) async fn on_approval(
    conn: &mut Conn,
    info: &PackageInfo,
    policy: &Policy,
    request: &mut Request,
    names: &Names,
    calls: &Calls,
    now: DateTime<Utc>,
) -> Result<Vec<Change>, ServiceError> {
    let mut changes = Vec::new();
    if let Some(b) = calls.at(Stage::RequestApproved) {
        changes.push(request.call(Stage::RequestApproved, b, now));
        if b.waits_at(Stage::RequestApproved) {
            return Ok(changes);
        }
    }
    changes.extend(deliver::deliver_in(conn, info, policy, request, names, calls, now).await?);
    Ok(changes)
}
