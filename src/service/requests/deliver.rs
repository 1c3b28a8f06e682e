//! Delivery: what an approved request gives, in the approving transaction
//! (or a scheduled start's, or a reprocess's).

use chrono::{DateTime, Utc};
use serde_json::json;

use super::approvers;
use super::availability::requestor_with;
use super::calls::Calls;
use super::save::Context;
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::custom_extension::Stage;
use crate::domain::ids::UserId;
use crate::domain::policy::Policy;
use crate::domain::request::{Change, DeliveryFacts, Names, Request, RequestState, Target, admits};
use crate::domain::tenant::refused_domain;
use crate::domain::user::{
    DEMO_GUEST_ISSUER, EMAIL_CODE_ISSUER, Email, Person, UserProfile, UserType,
};
use crate::service::error::ServiceError;
use crate::store::requests::PersonKey;
use crate::store::snapshot::PackageInfo;
use crate::store::{Conn, audit, requests, users};

/// Starts a request no custom extension decides on (a request to extend an
/// assignment, an administrator's assignment): its first approval stage, or its delivery
/// when it needs no approval.
#[tracing::instrument(skip_all)]
pub(super) async fn start(
    conn: &mut Conn,
    info: &PackageInfo,
    policy: &Policy,
    request: Request,
    names: &Names,
    now: DateTime<Utc>,
) -> Result<(Request, Vec<Change>), ServiceError> {
    let first = approvers::first(conn, policy, &request).await?;
    let (mut request, mut changes) = request.start(policy, &first, names, now)?;
    if request.state == RequestState::Approved {
        let calls = super::calls::calls_of(info, &request.policy);
        changes.extend(deliver_in(conn, info, policy, &mut request, names, &calls, now).await?);
    }
    Ok((request, changes))
}

/// Delivers `request` in the transaction and returns its changes: scheduled
/// when its period has not begun; denied with the reason when its access can
/// no longer be given; else the guest account for someone not yet in the
/// directory, the assignment, the roles and the attribute values, and the
/// call of the extension the policy (`calls`) calls when access is granted. What it
/// asks for is checked with the person's row held, so that two requests
/// approved at the same moment never both deliver a package, or two packages
/// that exclude each other.
#[tracing::instrument(skip_all)]
pub(crate) async fn deliver_in(
    conn: &mut Conn,
    info: &PackageInfo,
    policy: &Policy,
    request: &mut Request,
    names: &Names,
    calls: &Calls,
    now: DateTime<Utc>,
) -> Result<Vec<Change>, ServiceError> {
    if let Some(changes) = request.schedule(policy, names, now)? {
        return Ok(changes);
    }
    // Checked before a guest account is made for it.
    if let Some(reason) = request.too_late(policy, now) {
        return Ok(request.refuse(reason, names)?);
    }
    let target = match request.target.clone() {
        Target::User(u) => u,
        Target::External { issuer, subject } => {
            match guest_for(conn, request, &issuer, &subject, now).await? {
                Guest::Account(u) => {
                    request.target = Target::User(u.clone());
                    u
                }
                Guest::NotTheirs => return Ok(request.fail_delivery()?),
                Guest::Refused(reason) => return Ok(request.refuse(reason, names)?),
            }
        }
    };
    let person = users::lock_get(conn, &target).await?.map(Person::User);
    let key = match &person {
        Some(p) => super::availability::key_of(p),
        None => PersonKey::of_user(&target),
    };
    let h = requests::holdings(conn, &key, request.assignment.as_ref()).await?;
    // Someone who asked for themselves, or whose manager asked for them,
    // must still be someone the policy is for: they may have left a group
    // its scope names, or moved, since. (The mail telling them goes to them.)
    let by_manager = request.asked_by_manager().is_some();
    if let Some(person) =
        person.filter(|_| request.requestor.as_ref() == Some(&target) || by_manager)
    {
        let requestor = requestor_with(&person, &h.groups, h.organization.as_ref());
        if !admits(policy, &requestor, info.facts.catalog_external) {
            // Read by the person and by the manager who asked for them.
            let reason = if by_manager {
                "The person this request is for is no longer among the people this package's policy is for (they may have left a group it names)."
            } else {
                "You are no longer among the people this package's policy is for (you may have left a group it names)."
            }
            .to_string();
            return Ok(request.refuse(reason, names)?);
        }
    }
    let blocked = h.lifecycle_blocked;
    let facts = DeliveryFacts {
        conflict: info.conflict(&h.held, &h.groups),
        held: h.held,
        assignment: h.assignment,
        kinds: info.kinds.clone(),
        provisioned: info.provisioned,
    };
    let mut changes = request.deliver(policy, &target, &facts, names, now)?;
    if request.state == RequestState::Delivered {
        if blocked {
            // Access given back to a guest the lifecycle had blocked lifts the block.
            users::lift_lifecycle_block(conn, &target, now).await?;
        }
        if let Some(b) = calls.at(Stage::AssignmentGranted) {
            changes.push(request.call(Stage::AssignmentGranted, b, now));
        }
    }
    Ok(changes)
}

/// Whose account a request from someone not in the directory is delivered to.
enum Guest {
    Account(UserId),
    /// The address belongs to a member, whom a foreign identity never
    /// becomes, or to a guest this sign-in may not take over.
    NotTheirs,
    /// No new guest may be made: the collaboration restrictions, which
    /// may have changed since the request was made, keep the domain out.
    Refused(String),
}

/// The guest account for a request from someone not in the directory: the
/// one their sign-in identity already has, a guest with their address
/// (linked), or a new governed guest of their connected organization.
async fn guest_for(
    conn: &mut Conn,
    r: &Request,
    issuer: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<Guest, ServiceError> {
    let organization = r.organization.as_ref().map(|o| o.to_string());
    // Only an identity that proved the address itself (an emailed code) may
    // take over a guest account found by address; an organization's provider
    // only one of its own guests.
    let proven_address = issuer == EMAIL_CODE_ISSUER || issuer == DEMO_GUEST_ISSUER;
    let id = match users::find_by_identity(conn, issuer, subject).await? {
        Some(u) if u.is_guest() => u.id,
        Some(_) => return Ok(Guest::NotTheirs),
        None => match users::find_by_email(conn, &r.email).await? {
            Some(u) if !u.is_guest() => return Ok(Guest::NotTheirs),
            Some(u)
                if proven_address
                    || (u.connected_organization_id.is_some()
                        && u.connected_organization_id == organization) =>
            {
                users::insert_identity(conn, issuer, subject, &u.id, now).await?;
                u.id
            }
            Some(_) => return Ok(Guest::NotTheirs),
            None => {
                let tenant = crate::service::settings::tenant(conn).await?;
                if let Some(domain) = tenant.refuses_guest(&r.email) {
                    return Ok(Guest::Refused(refused_domain(domain)));
                }
                let email = Email::parse(&r.email).map_err(|_| {
                    ServiceError::Refused("The request's email address is not valid.".into())
                })?;
                let named = match (r.attributes.get("givenName"), r.attributes.get("surname")) {
                    (Some(g), Some(s)) => format!("{g} {s}"),
                    _ => r.name.clone(),
                };
                let profile = UserProfile::named(UserType::Guest, &named, email);
                let why = json!({"request": r.id.as_str()});
                let identity = Some((issuer, subject));
                create_guest(conn, &profile, identity, organization.as_deref(), why, now).await?
            }
        },
    };
    // Every open request of this identity now belongs to the account.
    requests::set_target_for_identity(conn, issuer, subject, &id).await?;
    Ok(Guest::Account(id))
}

impl Context {
    /// Delivers the loaded request, with the package and policy it was loaded with.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn deliver(
        &mut self,
        conn: &mut Conn,
        calls: &Calls,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, ServiceError> {
        let (info, policy, names) = (&self.package, &self.policy, &self.names);
        deliver_in(conn, info, policy, &mut self.request, names, calls, now).await
    }
}

/// Creates a governed guest for an access package assignment (`why`: the
/// request or package it is for), signing in as `identity` where known, with
/// its audit event.
#[tracing::instrument(skip_all)]
pub(super) async fn create_guest(
    conn: &mut Conn,
    profile: &UserProfile,
    identity: Option<(&str, &str)>,
    organization: Option<&str>,
    mut why: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<UserId, ServiceError> {
    let id = UserId::new();
    users::insert(conn, &id, profile, None, now).await?;
    if let Some((issuer, subject)) = identity {
        users::insert_identity(conn, issuer, subject, &id, now).await?;
    }
    users::mark_governed(conn, &id, organization).await?;
    why["mail"] = json!(profile.email.as_str());
    why["connectedOrganization"] = json!(organization);
    let event = NewAuditEvent {
        action: "Create guest user for access package assignment".into(),
        object_type: object_type::USER,
        object_id: id.to_string(),
        object_name: profile.display_name.clone(),
        details: why,
    };
    audit::record(conn, &Actor::system(), &event, now).await?;
    Ok(id)
}
