//! Who may request what: the person's facts (one statement) against the
//! packages kept in memory. My Access's list, a package's page and a
//! submission all start here.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::catalog::RequiredAttribute;
use crate::domain::ids::AccessPackageId;
use crate::domain::policy::Policy;
use crate::domain::request::{Requestor, admits, eligible, moment_in};
use crate::domain::tenant::refused_domain;
use crate::domain::user::{Person, User};
use crate::service::error::ServiceError;
use crate::store::requests::{CandidateRow, PersonFacts, PersonKey};
use crate::store::snapshot::PackageInfo;
use crate::store::{Conn, Store, StoreError, requests};

/// What the person is, as a key for their facts. A member's address says
/// nothing of an organization; a guest's does.
pub(crate) fn key_of(who: &Person) -> PersonKey<'_> {
    fn domain(email: &str) -> &str {
        email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
    match who {
        Person::User(u) if !u.is_guest() => PersonKey {
            user: Some(&u.id),
            identity: None,
            organization: None,
            domain: "",
        },
        Person::User(u) => PersonKey {
            user: Some(&u.id),
            identity: None,
            organization: u.connected_organization_id.as_deref(),
            domain: domain(&u.email),
        },
        Person::External(e) => PersonKey {
            user: None,
            identity: Some((&e.issuer, &e.subject)),
            organization: e.connected_organization.as_deref(),
            domain: domain(&e.email),
        },
    }
}

/// The person's facts (groups, holdings, organization, open requests, and
/// with `reports` whom they may ask for), in one statement.
#[tracing::instrument(skip_all)]
pub(crate) async fn facts_of(
    conn: &mut Conn,
    who: &Person,
    reports: bool,
) -> Result<PersonFacts, StoreError> {
    requests::person_facts(conn, &key_of(who), reports).await
}

/// What policy choice knows of a person, from their facts.
pub(crate) fn requestor_from(who: &Person, facts: &PersonFacts) -> Requestor {
    requestor_with(who, &facts.group_ids, facts.organization.as_ref())
}

/// What policy choice knows of a person with these groups and connected
/// organization (id, configured).
pub(crate) fn requestor_with(
    who: &Person,
    groups: &[String],
    organization: Option<&(String, bool)>,
) -> Requestor {
    Requestor {
        user_id: who.user().map(|u| u.id.to_string()),
        is_guest: who.user().is_none_or(User::is_guest),
        group_ids: groups.to_vec(),
        connected_organization: organization.map(|(id, _)| id.clone()),
        organization_configured: organization.is_some_and(|(_, c)| *c),
    }
}

/// What policy choice needs to know about the person.
#[tracing::instrument(skip_all)]
pub async fn requestor_of(conn: &mut Conn, who: &Person) -> Result<Requestor, StoreError> {
    let facts = facts_of(conn, who, false).await?;
    Ok(requestor_from(who, &facts))
}

/// What someone outside the directory hears when their address is at one of
/// the organization's own domains.
pub(crate) fn own_domain_refusal(domain: &str) -> String {
    format!(
        "Addresses at {domain} belong to this organization. Sign in with your organization's account instead."
    )
}

/// What My Access's home page lists for a person.
pub struct Listing {
    /// One page of the packages they may request or hold, with whether they hold each.
    pub packages: Vec<(CandidateRow, bool)>,
    /// How many match in all.
    pub total: usize,
    /// (id, name) of the people who report to them, whom they may ask for.
    pub reports: Vec<(String, String)>,
    /// The person's Active and Expired tabs, counted.
    pub tabs: Tabs,
}

/// How many entries My Access's Active and Expired tabs list: assignments
/// held, and packages whose access expired (and is not held again). (The
/// tabs themselves list from the 500 newest assignments, which nobody
/// outgrows in practice.)
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tabs {
    pub active: usize,
    pub expired: usize,
}

impl Tabs {
    fn of(facts: &PersonFacts) -> Self {
        let held = &facts.held_packages;
        let expired = facts.expired_packages.iter();
        Tabs {
            active: facts.active_assignments,
            expired: expired.filter(|p| held.binary_search(p).is_err()).count(),
        }
    }
}

/// One page of the packages My Access lists for this person (those they may
/// request, and those they hold) matching `q`: one statement, the rest from
/// memory.
#[tracing::instrument(skip_all)]
pub async fn requestable(
    store: &Store,
    who: &Person,
    q: &str,
    page: usize,
    per_page: usize,
) -> Result<Listing, StoreError> {
    let mut conn = store.read().await?;
    requestable_as(
        &mut conn,
        store,
        who,
        (q, page, per_page),
        Asker::Themselves,
    )
    .await
}

/// `requestable` on `conn`, for the person as `asker` asks for them (a
/// manager is shown only what they may ask for).
#[tracing::instrument(skip_all)]
pub(crate) async fn requestable_as(
    conn: &mut Conn,
    store: &Store,
    who: &Person,
    (q, page, per_page): (&str, usize, usize),
    asker: Asker,
) -> Result<Listing, StoreError> {
    // Whom the person may ask for is listed for them, not for their manager.
    let facts = facts_of(conn, who, asker == Asker::Themselves).await?;
    let requestor = requestor_from(who, &facts);
    let (packages, total) = store
        .packages()
        .page(
            conn,
            &facts.generation,
            &requestor,
            &facts.held_packages,
            q,
            page,
            per_page,
            asker == Asker::Manager,
        )
        .await?;
    Ok(Listing {
        packages,
        total,
        tabs: Tabs::of(&facts),
        reports: facts.reports,
    })
}

/// Whether, and under which policies, the person may request a package now.
pub enum Availability {
    /// The person may choose among these policies.
    Offer(Box<Offer>),
    /// Not in any policy's scope, or no such package: said the same way, so
    /// that nobody learns of packages they may not see.
    Unavailable,
    RequestsOff,
    AlreadyHeld,
    OpenRequest,
    /// Separation of duties: what the person holds that the package excludes.
    Incompatible(String),
    /// The policies that admit the person gave access until this moment,
    /// which has passed.
    Ended(DateTime<Utc>),
    /// Someone outside the directory whose address is at one of the
    /// organization's own domains.
    OwnDomain(String),
    /// Someone outside the directory from a domain the collaboration
    /// restrictions keep out (the domain).
    DomainRefused(String),
}

/// The policies a person may request a package under, with what was read
/// about them to decide it.
pub struct Offer {
    pub policies: Vec<(String, Policy)>,
    pub requestor: Requestor,
    pub facts: PersonFacts,
}

impl Availability {
    /// Why a request for `package` is refused, in the requestor's words
    /// (times in their zone `tz`).
    pub fn refusal(&self, package: &str, tz: Tz) -> String {
        match self {
            Availability::Offer(_) => String::new(),
            Availability::Unavailable => {
                format!("You are not in the scope of any policy of {package}.")
            }
            Availability::RequestsOff => format!("Requests for {package} are turned off."),
            Availability::AlreadyHeld => format!("You already have {package}."),
            Availability::OpenRequest => {
                format!("You already have an open request for {package}.")
            }
            Availability::Incompatible(conflict) => conflict.clone(),
            Availability::OwnDomain(email) => {
                own_domain_refusal(email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default())
            }
            Availability::DomainRefused(domain) => refused_domain(domain),
            Availability::Ended(t) => format!(
                "{package} could be requested until {}; that date has passed, so it cannot be requested now.",
                moment_in(*t, tz)
            ),
        }
    }

    /// Why a manager's request for `name` is refused, in the manager's words.
    pub fn refusal_about(&self, package: &str, name: &str, tz: Tz) -> String {
        match self {
            Availability::Unavailable => {
                format!("No policy of {package} lets managers request it for {name}.")
            }
            Availability::AlreadyHeld => format!("{name} already has {package}."),
            Availability::OpenRequest => {
                format!("{name} already has an open request for {package}.")
            }
            // What they hold is theirs to know.
            Availability::Incompatible(_) => {
                format!("{name} holds access that is incompatible with {package}.")
            }
            other => other.refusal(package, tz),
        }
    }
}

/// A package as a request sees it (from memory), and whether the person may
/// request it now: the person's facts are one statement.
#[tracing::instrument(skip_all)]
pub async fn availability(
    store: &Store,
    who: &Person,
    package: &AccessPackageId,
    now: DateTime<Utc>,
) -> Result<(Option<Arc<PackageInfo>>, Availability), ServiceError> {
    let mut conn = store.read().await?;
    availability_in(store, &mut conn, who, package, now).await
}

/// `availability`, read on `conn` (in a writer's transaction, after the
/// person's row is held, it cannot race).
#[tracing::instrument(skip_all)]
pub(crate) async fn availability_in(
    store: &Store,
    conn: &mut Conn,
    who: &Person,
    package: &AccessPackageId,
    now: DateTime<Utc>,
) -> Result<(Option<Arc<PackageInfo>>, Availability), ServiceError> {
    availability_as(store, conn, who, package, now, Asker::Themselves).await
}

/// Who asks for the person: they themselves, or their manager, who may
/// use only the policies that let managers request for their reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asker {
    Themselves,
    Manager,
}

/// `availability_in` for the person `who`, as `asker` asks for them.
#[tracing::instrument(skip_all)]
pub(crate) async fn availability_as(
    store: &Store,
    conn: &mut Conn,
    who: &Person,
    package: &AccessPackageId,
    now: DateTime<Utc>,
    asker: Asker,
) -> Result<(Option<Arc<PackageInfo>>, Availability), ServiceError> {
    let facts = facts_of(conn, who, false).await?;
    let Some(info) = store
        .packages()
        .package(conn, &facts.generation, package)
        .await?
    else {
        return Ok((None, Availability::Unavailable));
    };
    // Someone outside the directory with an address at the organization's own
    // domains is one of its people, who sign in with its account; someone
    // from a domain the collaboration restrictions keep out never becomes a
    // guest, whatever the policies say (told only to whom a policy is for).
    let mut refused = None;
    if let Person::External(e) = who {
        let tenant = crate::service::settings::tenant(conn).await?;
        if tenant.owns_address(&e.email) {
            return Ok((Some(info), Availability::OwnDomain(e.email.clone())));
        }
        refused = tenant.refuses_guest(&e.email).map(str::to_string);
    }
    let verdict = match (judge(&info, who, facts, now, asker), refused) {
        (Availability::Unavailable, _) => Availability::Unavailable,
        (_, Some(domain)) => Availability::DomainRefused(domain),
        (verdict, None) => verdict,
    };
    Ok((Some(info), verdict))
}

/// Whether the person (with these facts) may request the package now.
fn judge(
    info: &PackageInfo,
    who: &Person,
    facts: PersonFacts,
    now: DateTime<Utc>,
    asker: Asker,
) -> Availability {
    let requestor = requestor_from(who, &facts);
    let external = info.facts.catalog_external;
    // A manager sees the package only through the policies that let them ask.
    let counts = |p: &Policy| asker == Asker::Themselves || lets_managers_ask(p);
    let all: Vec<(String, Policy)> = info
        .policies
        .iter()
        .map(|(id, p)| (id.to_string(), p.clone()))
        .collect();
    // Scope is judged with requests on, so that "turned off" is said only to people in scope.
    if !all
        .iter()
        .any(|(_, p)| counts(p) && admits(p, &requestor, external))
    {
        return Availability::Unavailable;
    }
    // The strictest tier that admits the person wins whoever asks (judged
    // over every policy, ended or not, as My Access's list does); a manager
    // may ask only where it has a policy that lets managers ask, and is
    // told nothing more of the person otherwise.
    if asker == Asker::Manager
        && !eligible(&all, &requestor, external)
            .iter()
            .any(|(_, p)| counts(p))
    {
        return Availability::Unavailable;
    }
    if facts.held_packages.contains(&info.facts.id) {
        return Availability::AlreadyHeld;
    }
    if facts.open_requests.contains(&info.facts.id) {
        return Availability::OpenRequest;
    }
    if let Some(conflict) = info.conflict(&facts.held_packages, &facts.group_ids) {
        return Availability::Incompatible(conflict);
    }
    // A policy whose fixed last day has passed offers nothing any more.
    let live: Vec<(String, Policy)> = all
        .iter()
        .filter(|(_, p)| p.ended(now).is_none())
        .cloned()
        .collect();
    let policies: Vec<(String, Policy)> = eligible(&live, &requestor, external)
        .into_iter()
        .filter(|(_, p)| counts(p))
        .cloned()
        .collect();
    if !info.facts.catalog_published {
        return Availability::RequestsOff;
    }
    if policies.is_empty() {
        return match eligible(&all, &requestor, external)
            .into_iter()
            .filter(|(_, p)| counts(p))
            .filter_map(|(_, p)| p.ended(now))
            .max()
        {
            Some(t) => Availability::Ended(t),
            None => Availability::RequestsOff,
        };
    }
    Availability::Offer(Box::new(Offer {
        policies,
        requestor,
        facts,
    }))
}

/// Whether the policy lets managers ask for their direct reports.
pub(super) fn lets_managers_ask(p: &Policy) -> bool {
    p.requestor.enable_on_behalf_requestors_to_add_access
}

/// The attributes a package's resources require from the requestor, each
/// name once (the first resource's wording wins).
#[tracing::instrument(skip_all)]
pub async fn required_attributes(
    store: &Store,
    package: &AccessPackageId,
) -> Result<Vec<RequiredAttribute>, StoreError> {
    let mut conn = store.read().await?;
    let generation = crate::store::settings::get(&mut conn, "catalog_generation")
        .await?
        .unwrap_or_default();
    Ok(store
        .packages()
        .package(&mut conn, &generation, package)
        .await?
        .map(|p| p.attributes.clone())
        .unwrap_or_default())
}

/// The values a request gave for its package's required attributes, each
/// under the question the catalog asks for it now (under its name where no
/// resource asks for it any more), for the people who read the request.
#[tracing::instrument(skip_all)]
pub async fn labelled_attributes(
    store: &Store,
    conn: &mut Conn,
    package: &AccessPackageId,
    given: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, StoreError> {
    if given.is_empty() {
        return Ok(vec![]);
    }
    let info = store.packages().current(conn, package).await?;
    let asked = info.as_ref().map_or(&[][..], |p| &p.attributes[..]);
    Ok(given
        .iter()
        .map(|(name, value)| {
            let question = asked.iter().find(|a| a.attribute_name == *name);
            let label = question.map_or(name, |a| &a.question_text);
            (label.clone(), value.clone())
        })
        .collect())
}
