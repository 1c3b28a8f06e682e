//! The approvers' pages: their inbox, and one request as they decide it.

use crate::domain::ids::{RequestId, UserId};
use crate::domain::request::Request;
use crate::service::error::{ServiceError, found};
use crate::service::requests::availability::labelled_attributes;
use crate::service::transaction::read;
use crate::store::requests::{self, DecidedRow, DecisionRow, RequestListRow, RequestRow};
use crate::store::{Store, connected_orgs, packages, policies, users};

/// An approver's requests: those waiting for their decision, and those
/// they decided (with their decision).
pub struct Inbox {
    pub pending: Vec<RequestListRow>,
    pub decided: Vec<DecidedRow>,
}

#[tracing::instrument(skip_all)]
pub async fn approvals_inbox(store: &Store, approver: &UserId) -> Result<Inbox, ServiceError> {
    read(store, async |c| {
        Ok(Inbox {
            pending: requests::pending_for(c, approver).await?,
            decided: requests::decided_by(c, approver).await?,
        })
    })
    .await
}

/// A request as its approvers' page shows it.
pub struct ApprovalView {
    pub row: RequestRow,
    pub request: Request,
    pub package_name: String,
    pub policy_name: String,
    pub organization: String,
    /// The attribute values given: (question, value).
    pub attributes: Vec<(String, String)>,
    /// Each decision with the name of who made it.
    pub decisions: Vec<(DecisionRow, String)>,
    /// Whether the person viewing may decide it now.
    pub can_decide: bool,
    /// Whether the person viewing may take back their approval, ending
    /// the access it gave.
    pub can_revoke: bool,
    pub reason_required: bool,
    /// How long access lasts once given ("365 days from when it is given").
    pub access_lasts: String,
    /// The manager who asked for the person, by name, where one did.
    pub asked_by: Option<String>,
}

/// The request for one of its approvers (of any stage) or an
/// administrator; `NotFound` for anyone else, who learns nothing.
#[tracing::instrument(skip_all)]
pub async fn approval(
    store: &Store,
    viewer: &UserId,
    is_admin: bool,
    id: &RequestId,
    tz: chrono_tz::Tz,
) -> Result<ApprovalView, ServiceError> {
    read(store, async |c| {
        let row = found(requests::get(c, id).await?)?;
        if !is_admin && !requests::is_any_stage_approver(c, id, viewer).await? {
            return Err(ServiceError::NotFound);
        }
        let request = row.decode()?;
        let package = row.access_package_id.clone();
        let package_name = packages::get(c, &package)
            .await?
            .map(|p| p.display_name)
            .unwrap_or_default();
        let policy = match policies::get(c, &package, &row.policy_id).await? {
            Some(p) => Some(row.held_to(p)?),
            None => None,
        };
        let current: Vec<UserId> = requests::stage_approvers(c, id, row.current_stage)
            .await?
            .into_iter()
            .map(UserId::from_stored)
            .collect();
        let decisions = requests::decisions(c, id).await?;
        let mut who: Vec<String> = decisions.iter().map(|d| d.reviewed_by.clone()).collect();
        who.extend(request.asked_by_manager().map(|m| m.to_string()));
        let names = users::names_of(c, &who).await?;
        let asked_by = request
            .asked_by_manager()
            .and_then(|m| names.get(m).cloned());
        let organization = match &request.organization {
            Some(o) => connected_orgs::ORG_NAMES
                .names(c, &[o.to_string()])
                .await?
                .remove(o)
                .unwrap_or_default(),
            None => String::new(),
        };
        let attributes = labelled_attributes(store, c, &package, &request.attributes).await?;
        let can_revoke =
            crate::service::requests::revoke::may_revoke(c, viewer, &row, &decisions).await?;
        Ok(ApprovalView {
            attributes,
            can_revoke,
            can_decide: request.may_decide(viewer, &current).is_ok(),
            reason_required: policy.as_ref().is_some_and(|p| request.reason_required(p)),
            access_lasts: policy
                .as_ref()
                .map(|p| request.access_lasts(p, tz))
                .unwrap_or_default(),
            policy_name: policy.map(|p| p.display_name).unwrap_or_default(),
            asked_by,
            decisions: decisions
                .into_iter()
                .map(|d| {
                    let n = d.decider(&names);
                    (d, n)
                })
                .collect(),
            package_name,
            organization,
            request,
            row,
        })
    })
    .await
}
