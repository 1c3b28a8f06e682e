//! What the pages about requests show, read for them: a package as one
//! person sees it, and their requests.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::availability::{
    Availability, Tabs, availability, labelled_attributes, lets_managers_ask,
};
use super::extend::{earlier_answers, extension_offer};
use crate::domain::assignment::AssignmentState;
use crate::domain::ids::{AccessPackageId, RequestId, UserId};
use crate::domain::policy::Policy;
use crate::domain::request::{Answer, Request};
use crate::domain::user::Person;
use crate::service::{ServiceError, found, read};
use crate::store::assignments::AssignmentRow;
use crate::store::requests::{self, DecidedRow, DecisionRow, RequestListRow, RequestRow, Target};
use crate::store::snapshot::PackageInfo;
use crate::store::{Conn, Store, connected_orgs, packages, policies, users};

/// A package as one person sees it on its page.
pub struct PackageView {
    pub package: Option<Arc<PackageInfo>>,
    pub availability: Availability,
    /// For a package the person holds: what extending it would take.
    pub extension: Option<Extension>,
    /// (id, name) of the direct reports the viewer may ask for this package
    /// for, by name; empty where no policy lets managers ask.
    pub reports: Vec<(String, String)>,
}

/// An assignment its holder may (or may not yet) extend.
pub struct Extension {
    pub assignment: AssignmentRow,
    pub policy: Policy,
    /// Why it cannot be extended now, if it cannot.
    pub refusal: Option<String>,
    /// The answers given when it was requested.
    pub earlier: Vec<Answer>,
}

#[tracing::instrument(skip_all)]
pub async fn package_view(
    store: &Store,
    who: &Person,
    package: &str,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<PackageView, ServiceError> {
    let (package_info, verdict) = availability(store, who, package, now).await?;
    let extension = match (&verdict, who.user()) {
        (Availability::AlreadyHeld, Some(u)) => {
            let mut conn = store.read().await?;
            match extension_offer(store, &mut conn, u, package, now, tz).await? {
                Some((assignment, policy, refusal)) => Some(Extension {
                    earlier: earlier_answers(&mut conn, &assignment.id).await?,
                    assignment,
                    policy,
                    refusal,
                }),
                None => None,
            }
        }
        _ => None,
    };
    let reports = match (&package_info, who.user()) {
        (Some(info), Some(u)) => reports_for(&mut *store.read().await?, info, &u.id).await?,
        _ => vec![],
    };
    Ok(PackageView {
        package: package_info,
        availability: verdict,
        extension,
        reports,
    })
}

/// (id, name) of the manager's direct reports they may ask for the
/// package for, by name; none (and no statement) where no policy of the
/// package lets managers ask.
#[tracing::instrument(skip_all)]
pub(super) async fn reports_for(
    conn: &mut Conn,
    info: &PackageInfo,
    manager: &UserId,
) -> Result<Vec<(String, String)>, ServiceError> {
    if !info.policies.iter().any(|(_, p)| lets_managers_ask(p)) {
        return Ok(vec![]);
    }
    let mut reports = users::reports_to_ask_for(conn, manager).await?;
    crate::store::requests::sort_reports(&mut reports);
    Ok(reports)
}

/// Whose requests, in the store's terms.
fn target_of(who: &Person) -> Target<'_> {
    match who {
        Person::User(u) => Target::User(&u.id),
        Person::External(e) => Target::External {
            issuer: &e.issuer,
            subject: &e.subject,
        },
    }
}

/// The person's requests, and those they made for their direct reports,
/// newest first.
#[tracing::instrument(skip_all)]
pub async fn history(store: &Store, who: &Person) -> Result<Vec<RequestListRow>, ServiceError> {
    let mut conn = store.read().await?;
    Ok(match who {
        Person::User(u) => requests::of_user(&mut conn, &u.id).await?,
        Person::External(_) => requests::for_target(&mut conn, &target_of(who)).await?,
    })
}

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
        let row = found(requests::get(c, id.as_str()).await?)?;
        if !is_admin && !requests::is_any_stage_approver(c, id.as_str(), viewer).await? {
            return Err(ServiceError::NotFound);
        }
        let request = row.decode()?;
        let package = row.access_package_id.clone();
        let package_name = packages::get(c, &package)
            .await?
            .map(|p| p.display_name)
            .unwrap_or_default();
        let policy = match policies::get(c, &package, row.policy_id.as_str()).await? {
            Some(p) => Some(row.held_to(p)?),
            None => None,
        };
        let current: Vec<UserId> = requests::stage_approvers(c, id.as_str(), row.current_stage)
            .await?
            .into_iter()
            .map(UserId::from_stored)
            .collect();
        let decisions = requests::decisions(c, id.as_str()).await?;
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
        let can_revoke = super::revoke::may_revoke(c, viewer, &row, &decisions).await?;
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

/// A package someone holds, as My Access shows it.
pub struct Held {
    pub assignment: AssignmentRow,
    /// Whether its policy lets them ask for more time, or remove it.
    pub can_extend: bool,
    pub can_give_up: bool,
}

/// What someone holds now and what they held: each package's latest
/// ended assignment once (unless they hold it again).
pub struct Holdings {
    pub active: Vec<Held>,
    pub ended: Vec<AssignmentRow>,
}

impl Holdings {
    /// The tabs' counts.
    pub fn tabs(&self) -> Tabs {
        Tabs {
            active: self.active.len(),
            expired: self.ended.len(),
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn holdings(store: &Store, who: &UserId) -> Result<Holdings, ServiceError> {
    read(store, async |c| holdings_in(c, store, who).await).await
}

/// `holdings` on `conn`.
pub(super) async fn holdings_in(
    c: &mut Conn,
    store: &Store,
    who: &UserId,
) -> Result<Holdings, ServiceError> {
    let all = crate::store::assignments::of_target(c, who).await?;
    let generation = crate::store::settings::get(c, "catalog_generation")
        .await?
        .unwrap_or_default();
    let mut out = Holdings {
        active: vec![],
        ended: vec![],
    };
    for a in all {
        if a.is_active() {
            let info = store
                .packages()
                .package(c, &generation, a.access_package_id.as_str())
                .await?;
            let policy = info.as_ref().and_then(|i| i.policy(a.policy_id.as_str()));
            out.active.push(Held {
                can_extend: policy
                    .is_some_and(|p| p.enabled && p.requestor.enable_targets_to_self_update_access),
                can_give_up: policy
                    .is_some_and(|p| p.requestor.enable_targets_to_self_remove_access),
                assignment: a,
            });
        } else if a.state == AssignmentState::Expired
            && !out
                .ended
                .iter()
                .any(|e| e.access_package_id == a.access_package_id)
        {
            out.ended.push(a);
        }
    }
    let held: Vec<AccessPackageId> = out
        .active
        .iter()
        .map(|h| h.assignment.access_package_id.clone())
        .collect();
    out.ended.retain(|e| !held.contains(&e.access_package_id));
    Ok(out)
}

/// Whether the request's policy (as the request keeps it) shows requestors
/// their approvers, else whether the organization does.
async fn shows_approvers(
    c: &mut crate::store::Conn,
    row: &RequestRow,
) -> Result<bool, ServiceError> {
    let policy = policies::get(c, &row.access_package_id, row.policy_id.as_str()).await?;
    let own = match policy {
        Some(p) => row.held_to(p)?.approval.show_approvers,
        // Defensive: a policy with requests is never deleted.
        None => None,
    };
    Ok(match own {
        Some(shown) => shown,
        None => crate::service::settings::tenant(c).await?.show_approvers,
    })
}

/// One of someone's own requests, with its answers and the decisions made.
pub struct MyRequest {
    pub row: RequestRow,
    pub request: Request,
    pub package_name: String,
    /// (stage, decision, when, reason): who decided is not shown.
    pub decisions: Vec<DecisionRow>,
    /// The custom extension the request waits for, by name.
    pub waiting_for: Option<String>,
    /// Who is asked to decide its current stage, by name (in name order),
    /// where its policy shows requestors their approvers, or says nothing
    /// and the organization does.
    pub approvers: Vec<String>,
    /// The manager who asked for the person, by name, where one did.
    pub asked_by: Option<String>,
}

/// `NotFound` for a request that is not the person's own.
#[tracing::instrument(skip_all)]
pub async fn my_request(
    store: &Store,
    who: &Person,
    id: &RequestId,
) -> Result<MyRequest, ServiceError> {
    read(store, async |c| {
        let row = found(requests::get(c, id.as_str()).await?)?;
        let request = row.decode()?;
        let own = match who {
            Person::User(u) => request.is_theirs(&u.id),
            Person::External(e) => {
                request.identity.as_ref() == Some(&(e.issuer.clone(), e.subject.clone()))
            }
        };
        if !own {
            return Err(ServiceError::NotFound);
        }
        let package = row.access_package_id.clone();
        let package_name = packages::get(c, &package)
            .await?
            .map(|p| p.display_name)
            .unwrap_or_default();
        let waiting_for = crate::store::custom_extensions::of_request(c, id.as_str())
            .await?
            .into_iter()
            .rev()
            .find(|call| call.wait_until.is_some() && call.state.holds_request())
            .map(|call| call.extension);
        let mut approvers = Vec::new();
        if request.state == crate::domain::request::RequestState::PendingApproval
            && shows_approvers(c, &row).await?
        {
            let ids = requests::stage_approvers(c, id.as_str(), row.current_stage).await?;
            let names = users::names_of(c, &ids).await?;
            approvers = ids
                .into_iter()
                .filter_map(|i| names.get(&UserId::from_stored(i)).cloned())
                .collect();
            approvers.sort_by_key(|n| n.to_lowercase());
        }
        let asked_by = match request.asked_by_manager() {
            Some(m) => users::names_of(c, &[m.to_string()]).await?.remove(m),
            None => None,
        };
        Ok(MyRequest {
            asked_by,
            approvers,
            waiting_for,
            decisions: requests::decisions(c, id.as_str()).await?,
            package_name,
            request,
            row,
        })
    })
    .await
}
