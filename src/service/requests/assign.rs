//! An administrator assigns a package to people on their behalf: through the
//! policy's approval, or around it with a recorded justification.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;

use super::admin_view::AssignForm;
use super::availability::facts_of;
use super::{deliver, save};
use crate::domain::audit::Actor;
use crate::domain::ids::{AccessPackageId, ConnectedOrgId, PolicyId, UserId};
use crate::domain::request::{
    DirectAssignment, Names, PeriodInput, Request, RequestState, attribute_field, attribute_values,
    check_answers, check_period,
};
use crate::domain::user::{Email, Person, User, UserProfile, UserType};
use crate::domain::validation::{FieldErrors, MAX_NAME, reason_text, required_text, thousands};
use crate::service::error::{Saved, ServiceError, invalid};
use crate::store::{self, Conn, Store, users};

/// What an administrator gives for a direct assignment, as the form sent it.
pub struct NewAssignment<'a> {
    /// The policy chosen; `None` when what was sent names none.
    pub policy: Option<PolicyId>,
    /// The people, by mail address.
    pub users: Vec<String>,
    /// Groups, by name, whose active members are assigned too; those who
    /// already have the package, have asked for it, or hold what it is
    /// incompatible with are left out (and counted) rather than refusing all.
    pub groups: Vec<String>,
    /// A new guest: email and display name.
    pub new_guest: Option<(&'a str, &'a str)>,
    /// The period, in the administrator's time zone (in which its dates are days).
    pub period: PeriodInput<'a>,
    /// Answers by question (`q{sequence}` → the values given).
    pub answers: HashMap<String, Vec<String>>,
    /// Required attribute values: `attr_{name}` for everyone,
    /// `attr_{name}.{user id}` for one person, `attr_{name}.new` for the new
    /// guest. Each person's own value wins; where an attribute is not
    /// editable, a person's existing value stays.
    pub attributes: HashMap<String, String>,
    pub bypass_approval: bool,
    pub justification: Option<&'a str>,
}

/// How many people one direct assignment may name, groups' members included
/// (left out or not).
pub const MAX_ASSIGNED_AT_ONCE: usize = 1000;

/// How many groups one direct assignment may name.
const MAX_GROUPS_NAMED: usize = 50;

/// What a direct assignment did.
#[derive(Debug, Default)]
pub struct Assigned {
    /// Each person assigned, and where their request stands.
    pub done: Vec<(String, RequestState)>,
    /// Members of the groups who already had the package or had asked for it.
    pub already: usize,
    /// Members of the groups left out for holding what it is incompatible with.
    pub incompatible: usize,
}

/// `assign` from the console's form. Refused, it returns the form's page
/// for the people it names, with why beside the field it concerns (a
/// refusal, beside the people).
#[tracing::instrument(skip_all)]
pub async fn assign_from_form(
    store: &Store,
    admin: &User,
    package: &AccessPackageId,
    input: &NewAssignment<'_>,
    now: DateTime<Utc>,
) -> Result<Saved<Assigned, AssignForm>, ServiceError> {
    let errors = match assign(store, admin, package, input, now).await {
        Ok(done) => return Ok(Saved::Done(done)),
        Err(ServiceError::Invalid(errors)) => errors,
        Err(ServiceError::Refused(m)) => {
            let mut errors = FieldErrors::new();
            errors.add("users", m);
            errors
        }
        Err(e) => return Err(e),
    };
    let form = super::admin_view::assign_form(store, package, &input.users, None).await?;
    Ok(Saved::Again(form, errors))
}

/// Assigns the package to users, members of groups (and perhaps a new guest)
/// on their behalf. All the people named or none: one refusal changes
/// nothing; a group's member it does not apply to is left out instead.
#[tracing::instrument(skip_all)]
pub async fn assign(
    store: &Store,
    admin: &User,
    package: &AccessPackageId,
    input: &NewAssignment<'_>,
    now: DateTime<Utc>,
) -> Result<Assigned, ServiceError> {
    let mut tx = store.begin().await?;
    let info = store
        .packages()
        .current(&mut tx, package)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // A disabled policy assigns nobody, an administrator's choice included.
    let chosen = input
        .policy
        .as_ref()
        .and_then(|id| Some((id, info.policy(id)?)));
    let Some((policy_id, policy)) = chosen
        .filter(|(_, p)| p.enabled && p.automatic.is_none())
        .map(|(id, p)| (id, p.clone()))
    else {
        return Err(invalid(
            "policy",
            "Choose an enabled policy of this package.",
        ));
    };
    let mut errors = FieldErrors::new();
    let justification = reason_text(input.justification, "The justification").unwrap_or_else(|m| {
        errors.add("justification", m);
        None
    });
    if input.bypass_approval && justification.is_none() {
        errors.add(
            "justification",
            "Bypassing approval requires a business justification.",
        );
    }
    let answers = errors.absorb(check_answers(&policy.questions, &input.answers));
    // Administrators choose the period whatever the policy offers requestors.
    let mut lenient = policy.clone();
    lenient.requestor.allow_custom_assignment_schedule = true;
    let schedule = errors.absorb(check_period(&lenient, &input.period, now));
    errors.stop_if_any()?;
    let mut targets = listed(&mut tx, &input.users).await?;
    let mut guest_id = None;
    if let Some((email, display_name)) = input.new_guest {
        let guest = new_guest(&mut tx, email, display_name, &info.facts.display_name, now).await?;
        guest_id = Some(guest.id.clone());
        if !targets.iter().any(|t| t.id == guest.id) {
            targets.push(guest);
        }
    }
    let from_groups = group_members(&mut tx, &input.groups, &mut targets).await?;
    if targets.is_empty() {
        return Err(if input.groups.is_empty() {
            invalid(
                "users",
                "Choose at least one user or group, or add a new guest.",
            )
        } else {
            invalid("groups", "These groups have no active members.")
        });
    }
    if targets.len() > MAX_ASSIGNED_AT_ONCE {
        let field = if from_groups.is_empty() {
            "users"
        } else {
            "groups"
        };
        return Err(invalid(
            field,
            format!(
                "At most {} people can be assigned at once, groups' members included.",
                thousands(MAX_ASSIGNED_AT_ONCE)
            ),
        ));
    }
    // Held before what follows reads them, so that who they are now (not
    // blocked meanwhile, their attributes) is what the assignment sees.
    let targets = hold(&mut tx, targets, &from_groups).await?;
    if targets.is_empty() {
        return Err(invalid("groups", "These groups have no active members."));
    }
    // Each person's own attribute values, written to them on delivery.
    let mut values = Vec::new();
    for target in &targets {
        let suffix = if guest_id.as_ref() == Some(&target.id) {
            "new".to_string()
        } else {
            target.id.to_string()
        };
        let mut mine = HashMap::new();
        for a in &info.attributes {
            let shared = attribute_field(&a.attribute_name);
            let own = format!("{shared}.{suffix}");
            let given = input
                .attributes
                .get(&own)
                .filter(|v| !v.trim().is_empty())
                .or(input.attributes.get(&shared));
            if let Some(v) = given {
                mine.insert(own, v.clone());
            }
        }
        let mut person_errors = FieldErrors::new();
        let attributes = attribute_values(
            &info.attributes,
            Some(target),
            &mine,
            |name| format!("{}.{suffix}", attribute_field(name)),
            &mut person_errors,
        );
        // A group's member has no field of their own on the page: what
        // they lack is asked for everyone, beside the shared field.
        let member = from_groups.contains(&target.id);
        for (field, message) in person_errors.iter() {
            match field.strip_suffix(&format!(".{suffix}")) {
                Some(shared) if member => errors.add(
                    shared,
                    format!("{} (a member of the groups) needs a value: {message} Give one here for everyone.", target.display_name),
                ),
                _ => errors.add(field, format!("{}: {message}", target.display_name)),
            }
        }
        values.push(attributes);
    }
    errors.stop_if_any()?;
    let actor = Actor {
        user_id: Some(admin.id.to_string()),
        display_name: admin.display_name.clone(),
    };
    let mut assigned = Assigned::default();
    for (target, attributes) in targets.iter().zip(values) {
        let facts = facts_of(&mut tx, &Person::User(target.clone()), false).await?;
        let name = &target.display_name;
        let member = from_groups.contains(&target.id);
        let has = facts.held_packages.contains(&info.facts.id);
        let asked = facts.open_requests.contains(&info.facts.id);
        if member && (has || asked) {
            assigned.already += 1;
            continue;
        }
        if has {
            return Err(ServiceError::Refused(format!(
                "{name} already has this access package."
            )));
        }
        if asked {
            return Err(ServiceError::Refused(format!(
                "{name} already has an open request for this access package."
            )));
        }
        if let Some(conflict) = info.conflict(&facts.held_packages, &facts.group_ids) {
            if member {
                assigned.incompatible += 1;
                continue;
            }
            return Err(ServiceError::Refused(format!(
                "{name}: {}",
                conflict.replacen("You hold", "holds", 1)
            )));
        }
        let (request, audit) = Request::assign(DirectAssignment {
            by: Some(&admin.id),
            target,
            package,
            policy: (policy_id, &policy),
            organization: facts
                .organization
                .as_ref()
                .map(|(o, _)| ConnectedOrgId::from_stored(o.clone())),
            justification: justification.clone(),
            answers: answers.clone(),
            attributes,
            schedule,
            approval_bypassed: input.bypass_approval,
        });
        let names = Names {
            package: info.facts.display_name.clone(),
            organization: facts.organization_name.clone(),
            asked_by: String::new(),
        };
        let (request, mut changes) =
            deliver::start(&mut tx, &info, &policy, request, &names, now).await?;
        changes.push(audit);
        save::persist(&mut tx, &request, &changes, &actor, &names.package, now).await?;
        assigned.done.push((name.clone(), request.state));
    }
    if assigned.done.is_empty() {
        return Err(invalid(
            "groups",
            "Everyone in these groups already has this access package, has asked for it, or holds what it is incompatible with.",
        ));
    }
    tx.commit().await?;
    store.wake_workers();
    Ok(assigned)
}

/// The people listed by address, each once; an address nobody in the
/// directory has is an error beside the field.
async fn listed(conn: &mut Conn, emails: &[String]) -> Result<Vec<User>, ServiceError> {
    if emails.len() > MAX_ASSIGNED_AT_ONCE {
        return Err(invalid(
            "users",
            format!(
                "At most {} people can be assigned at once.",
                thousands(MAX_ASSIGNED_AT_ONCE)
            ),
        ));
    }
    let keys: Vec<String> = emails.iter().map(|e| e.trim().to_lowercase()).collect();
    let found: HashMap<String, User> = users::by_emails(conn, &keys)
        .await?
        .into_iter()
        .map(|u| (u.email.to_lowercase(), u))
        .collect();
    let missing = unfound(emails, &keys, &found);
    if !missing.is_empty() {
        return Err(not_in_directory(&missing));
    }
    // In the order they were listed, as the confirmation names them.
    let mut people: Vec<User> = Vec::with_capacity(found.len());
    for key in &keys {
        let u = &found[key];
        if !people.iter().any(|p| p.id == u.id) {
            people.push(u.clone());
        }
    }
    Ok(people)
}

/// The names given (as given) whose keys were not found.
fn unfound<'a, V>(
    given: &'a [String],
    keys: &[String],
    found: &HashMap<String, V>,
) -> Vec<&'a str> {
    given
        .iter()
        .zip(keys)
        .filter(|(_, key)| !found.contains_key(*key))
        .map(|(g, _)| g.as_str())
        .collect()
}

fn not_in_directory(emails: &[&str]) -> ServiceError {
    invalid(
        "users",
        format!(
            "Not in the directory: {}. Add them as a new guest instead.",
            emails.join(", ")
        ),
    )
}

/// Holds everyone to be assigned, all at once in the order of their ids (as
/// every change holding several people takes them), and reads them again as
/// they are now: a group's member blocked meanwhile is left out, as one
/// blocked before would have been; a listed person deleted meanwhile is an
/// error beside the field.
async fn hold(
    conn: &mut Conn,
    targets: Vec<User>,
    from_groups: &HashSet<UserId>,
) -> Result<Vec<User>, ServiceError> {
    let ids: Vec<&UserId> = targets.iter().map(|t| &t.id).collect();
    users::lock_each(conn, &ids).await?;
    let mut current: HashMap<UserId, User> = users::by_ids(conn, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let mut held = Vec::with_capacity(targets.len());
    for before in targets {
        match current.remove(&before.id) {
            Some(u) if from_groups.contains(&u.id) && u.is_blocked() => {}
            Some(u) => held.push(u),
            None if from_groups.contains(&before.id) => {}
            None => return Err(not_in_directory(&[&before.email])),
        }
    }
    Ok(held)
}

/// Adds the active members of the groups named to `targets` (each person
/// once, up to one more than may be assigned at once); returns those the
/// groups added. An unknown name is an error beside the field.
async fn group_members(
    conn: &mut Conn,
    names: &[String],
    targets: &mut Vec<User>,
) -> Result<HashSet<UserId>, ServiceError> {
    if names.len() > MAX_GROUPS_NAMED {
        return Err(invalid(
            "groups",
            format!("Name at most {MAX_GROUPS_NAMED} groups at once."),
        ));
    }
    // All found in one statement, by name in any case.
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let found = store::directory::GROUP_NAMES.ids(conn, &lower).await?;
    let unknown = unfound(names, &lower, &found);
    if !unknown.is_empty() {
        return Err(invalid(
            "groups",
            format!("No group is named {}.", unknown.join(", ")),
        ));
    }
    let ids: Vec<String> = found.values().map(|id| id.to_string()).collect();
    let limit = (MAX_ASSIGNED_AT_ONCE + 1) as i64;
    let mut named: HashSet<UserId> = targets.iter().map(|t| t.id.clone()).collect();
    let mut added = HashSet::new();
    for member in users::active_members_of(conn, &ids, limit).await? {
        if named.insert(member.id.clone()) {
            added.insert(member.id.clone());
            targets.push(member);
        }
    }
    Ok(added)
}

/// The guest an administrator adds with an assignment, or the user who
/// already has the address.
async fn new_guest(
    conn: &mut Conn,
    email: &str,
    display_name: &str,
    package: &str,
    now: DateTime<Utc>,
) -> Result<User, ServiceError> {
    let email = Email::parse(email).map_err(|_| {
        invalid(
            "guest_email",
            "Enter the guest's email address, like name@example.com.",
        )
    })?;
    if let Some(u) = users::find_by_email(conn, email.as_str()).await? {
        return Ok(u);
    }
    let tenant = crate::service::settings::tenant(conn).await?;
    if let Some(domain) = tenant.refuses_guest(email.as_str()) {
        let message = format!(
            "Guests from {domain} are kept out by the collaboration restrictions (Settings)."
        );
        return Err(invalid("guest_email", message));
    }
    let display_name = required_text(display_name, "The guest's name", MAX_NAME)
        .map_err(|m| invalid("guest_name", m))?;
    let organization = crate::store::requests::organization_for_email(conn, email.as_str())
        .await?
        .map(|(o, _)| o);
    let profile = UserProfile::named(UserType::Guest, &display_name, email);
    let why = json!({"package": package});
    let id = deliver::create_guest(conn, &profile, None, organization.as_deref(), why, now).await?;
    users::get(conn, &id).await?.ok_or(ServiceError::NotFound)
}
