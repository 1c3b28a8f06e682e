//! Someone's own requests: their history, and one request with its
//! decisions and whom it waits for.

use crate::domain::ids::{RequestId, UserId};
use crate::domain::request::Request;
use crate::domain::user::Person;
use crate::service::error::{ServiceError, found};
use crate::service::transaction::read;
use crate::store::requests::{self, DecisionRow, RequestListRow, RequestRow, Target};
use crate::store::{Store, packages, policies, users};

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

/// Whether the request's policy (as the request keeps it) shows requestors
/// their approvers, else whether the organization does.
async fn shows_approvers(
    c: &mut crate::store::Conn,
    row: &RequestRow,
) -> Result<bool, ServiceError> {
    let policy = policies::get(c, &row.access_package_id, &row.policy_id).await?;
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
        let row = found(requests::get(c, id).await?)?;
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
            let ids = requests::stage_approvers(c, id, row.current_stage).await?;
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
            decisions: requests::decisions(c, id).await?,
            package_name,
            request,
            row,
        })
    })
    .await
}
