//! A package's assignments tab: the assignments by state, exported as CSV,
//! removed or reprocessed; and new assignments on people's behalf.

use actix_web::web;
use askama::Template;
use chrono_tz::Tz;
use serde::Deserialize;

use super::item::{Item, item_action};
use super::tab::{ListTab, Tab, TabQuery};
use crate::domain::assignment::AssignmentFilter;
use crate::domain::catalog::RequiredAttribute;
use crate::domain::ids::{AccessPackageId, AssignmentId, PolicyId};
use crate::domain::policy::{Expiration, Policy, QuestionKind};
use crate::domain::request::{RequestState, answer_field, attribute_field, moment_in};
use crate::domain::user::User;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::Saved;
use crate::service::assignments as svc;
use crate::service::lookup::Kind;
use crate::service::requests::admin_view::{self, AssignForm};
use crate::service::requests::{self as requests_svc, Assigned, NewAssignment};
use crate::store::packages::PackageRow;
use crate::web::admin::console::{Console, ConsoleWho, PackageConsole};
use crate::web::admin::csv::csv_download;
use crate::web::admin::query::{self, Filters};
use crate::web::extract::console_access::{Assign, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::PathId;
use crate::web::extract::picker::{Matches, PickSearch, Picked};
use crate::web::layout::Layout;
use crate::web::request_form::AssignmentForm;
use crate::web::respond::{Reply, form_status, render_status};

/// One of a package's assignments, by the path that names it.
type AssignmentAt = Item<AssignmentId>;

/// Where an assignment's actions come back to: the package's list of them.
const BACK: routes::Route = routes::ADMIN_PACKAGE_ASSIGNMENTS;

const PER_PAGE: i64 = 50;

/// The filters the tab offers: (value, label).
fn filters() -> Filters {
    query::filters(
        &AssignmentFilter::ALL,
        AssignmentFilter::as_str,
        AssignmentFilter::label,
    )
}

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &AccessPackageId, q: &TabQuery) -> Reply {
    let (filter, at) = (q.filter(AssignmentFilter::parse), q.page(PER_PAGE));
    let loaded = admin_view::assignments_of(cx.store(), id, filter, at).await?;
    ListTab::render(cx, q, filters(), loaded, |layout, package, rows| {
        let tab = Tab::Assignments;
        ListTab::Assignments {
            layout,
            package,
            tab,
            rows,
        }
    })
}

#[tracing::instrument(skip_all)]
pub(super) async fn export_csv(
    cx: PackageConsole<Read>,
    PathId(id): PathId<AccessPackageId>,
    q: web::Query<TabQuery>,
) -> Reply {
    let (package, rows) =
        admin_view::all_assignments_of(cx.store(), &id, q.filter(AssignmentFilter::parse)).await?;
    let rows = rows.iter().map(|a| {
        vec![
            a.target_name.as_str(),
            &a.target_email,
            &a.policy_name,
            a.state_text(),
            a.start_at.as_deref().unwrap_or(""),
            a.end_at.as_deref().unwrap_or(""),
            a.ended_at.as_deref().unwrap_or(""),
        ]
    });
    Ok(csv_download(
        &format!("{}-assignments", package.display_name),
        &[
            "User",
            "Email",
            "Policy",
            "State",
            "Start (UTC)",
            "End (UTC)",
            "Ended (UTC)",
        ],
        rows,
    ))
}

item_action!(remove(PackageConsole<Assign>, AssignmentAt) => svc::remove,
    "Assignment removed; its access was taken back.", BACK);
item_action!(reprocess(PackageConsole<Assign>, AssignmentAt) => svc::reprocess_assignment,
    "Assignment reprocessed: its roles are granted.", BACK);
item_action!(govern(Console, AssignmentAt) => svc::govern_guest,
    "Guest marked as governed: when their last assignment ends, the guest lifecycle settings apply to their account.",
    BACK);

/// A question of the chosen policy, as the form shows it.
pub struct QuestionField {
    pub key: String,
    pub text: String,
    pub required: bool,
    pub choices: Vec<(String, String)>,
    pub multiple: bool,
}

#[derive(Template)]
#[template(path = "admin/packages/assign.html")]
struct AssignPage {
    layout: Layout,
    package: PackageRow,
    tab: Tab,
    policies: Vec<(String, String)>,
    chosen: String,
    lifetime: String,
    questions: Vec<QuestionField>,
    attributes: Vec<RequiredAttribute>,
    /// The people chosen so far, each with their own attribute fields.
    people: Vec<PersonAttributes>,
    values: AssignmentForm,
    errors: FieldErrors,
    matches: Matches,
}

/// One chosen person's required attributes, as the form shows them.
pub struct PersonAttributes {
    pub name: String,
    /// (field key, value, whether it may be changed), one per required attribute.
    pub fields: Vec<(String, String, bool)>,
}

#[derive(Deserialize, Default)]
pub struct PolicyQuery {
    #[serde(default)]
    policy: String,
}

/// The questions of a policy, as the form shows them.
fn question_fields(policy: Option<&Policy>) -> Vec<QuestionField> {
    let Some(p) = policy else {
        return vec![];
    };
    p.questions
        .iter()
        .map(|q| {
            let (choices, multiple) = match &q.kind {
                QuestionKind::MultipleChoice {
                    choices,
                    is_multiple_selection_allowed,
                } => (
                    choices
                        .iter()
                        .map(|c| (c.actual_value.clone(), c.text.clone()))
                        .collect(),
                    *is_multiple_selection_allowed,
                ),
                QuestionKind::Text { .. } => (vec![], false),
            };
            QuestionField {
                key: answer_field(q.sequence),
                text: q.text.clone(),
                required: q.is_required,
                choices,
                multiple,
            }
        })
        .collect()
}

/// What happens without dates, under a policy (its end, if fixed, in `tz`).
fn lifetime(policy: Option<&Policy>, tz: Tz) -> String {
    match policy.map(|p| &p.expiration) {
        None => String::new(),
        Some(Expiration::NoExpiration) => "Without an end date, access does not expire.".into(),
        Some(Expiration::AfterDays(d)) => {
            format!("Without dates, access starts now and lasts {d} days.")
        }
        Some(Expiration::AfterHours(h)) => {
            format!("Without dates, access starts now and lasts {h} hours.")
        }
        Some(Expiration::AfterDateTime(t)) => format!(
            "Without dates, access starts now and ends on {}.",
            moment_in(*t, tz)
        ),
    }
}

/// Users by email address, one per line (or separated by commas).
fn emails(values: &AssignmentForm) -> Vec<String> {
    let emails = values.users.split([',', '\n', ';']);
    emails
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

/// The groups named, one per line (a name may hold a comma).
fn group_names(values: &AssignmentForm) -> Vec<String> {
    let names = values.groups.lines();
    names
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// What the administrator reads once people are assigned: each person and
/// where their request stands, or for many, how many stand where; and the
/// groups' members left out.
fn assigned_text(assigned: &Assigned) -> String {
    let mut text = if assigned.done.len() <= 10 {
        let said: Vec<String> = assigned
            .done
            .iter()
            .map(|(name, s)| format!("{name} ({})", s.phrase()))
            .collect();
        format!("Assignment requested for {}.", said.join(", "))
    } else {
        let mut by_state: Vec<(RequestState, usize)> = Vec::new();
        for (_, s) in &assigned.done {
            match by_state.iter_mut().find(|(k, _)| k == s) {
                Some((_, n)) => *n += 1,
                None => by_state.push((*s, 1)),
            }
        }
        let said: Vec<String> = by_state
            .iter()
            .map(|(s, n)| format!("{n} {}", s.phrase()))
            .collect();
        let n = assigned.done.len();
        format!("Assignment requested for {n} people: {}.", said.join(", "))
    };
    if assigned.already > 0 {
        let n = assigned.already;
        text.push_str(&format!(
            " Left out {n} of the groups' members who already had this package or had asked for it."
        ));
    }
    if assigned.incompatible > 0 {
        let n = assigned.incompatible;
        text.push_str(&format!(
            " Left out {n} who hold access this package is incompatible with."
        ));
    }
    text
}

/// The form for the package, for the people `values` names (and what a
/// picker's search asked for, `search`).
async fn assign_page(
    cx: &Ctx<impl ConsoleWho>,
    id: &AccessPackageId,
    chosen: &str,
    values: AssignmentForm,
    search: Option<PickSearch>,
) -> Reply {
    let lookup = PickSearch::lookup(search.as_ref(), PICKS);
    let mut form = admin_view::assign_form(cx.store(), id, &emails(&values), lookup).await?;
    let matches = Matches::found(search.as_ref(), PICKS, &mut form.found);
    assign_shown(cx, form, chosen, values, FieldErrors::new(), matches)
}

/// What the form's pickers look up.
const PICKS: &[Kind] = &[Kind::User, Kind::Group];

/// `form`, filled in with `values`, with what was wrong with them.
fn assign_shown(
    cx: &Ctx<impl ConsoleWho>,
    form: AssignForm,
    chosen: &str,
    values: AssignmentForm,
    errors: FieldErrors,
    matches: Matches,
) -> Reply {
    let picked = form
        .policies
        .iter()
        .find(|(p, _)| p == chosen)
        .or(form.policies.first());
    let (chosen, policy) = match picked {
        Some((p, pol)) => (p.clone(), Some(pol)),
        None => (String::new(), None),
    };
    let people = people_fields(&form.attributes, form.people, &values);
    render_status(
        form_status(&errors),
        &AssignPage {
            layout: cx.layout(form.package.display_name.clone()),
            tab: Tab::Assignments,
            questions: question_fields(policy),
            lifetime: lifetime(policy, cx.who.tz),
            policies: form
                .policies
                .iter()
                .map(|(p, pol)| (p.clone(), pol.display_name.clone()))
                .collect(),
            package: form.package,
            chosen,
            attributes: form.attributes,
            people,
            values,
            errors,
            matches,
        },
    )
}

/// The people the form names (directory users by address, and the new
/// guest), with their attribute fields prefilled from what was sent or from
/// their current values. Attributes that are not editable show a person's
/// existing value without a field.
fn people_fields(
    attributes: &[RequiredAttribute],
    users: Vec<User>,
    values: &AssignmentForm,
) -> Vec<PersonAttributes> {
    if attributes.is_empty() {
        return vec![];
    }
    let mut people: Vec<(String, String, Option<User>)> = users
        .into_iter()
        .map(|u| (u.id.to_string(), u.display_name.clone(), Some(u)))
        .collect();
    let (email, name) = (values.guest_email.trim(), values.guest_name.trim());
    if !email.is_empty() {
        let name = if name.is_empty() { email } else { name };
        people.push(("new".into(), name.to_string(), None));
    }
    people
        .into_iter()
        .map(|(suffix, name, user)| PersonAttributes {
            fields: attributes
                .iter()
                .map(|a| {
                    let key = format!("{}.{suffix}", attribute_field(&a.attribute_name));
                    let current = user
                        .as_ref()
                        .map(|u| u.attribute(&a.attribute_name))
                        .unwrap_or_default();
                    let editable = a.is_editable || current.is_empty();
                    let value = match values.fields.attribute(&key) {
                        Some(v) if editable => v.to_string(),
                        _ => current,
                    };
                    (key, value, editable)
                })
                .collect(),
            name,
        })
        .collect()
}

#[tracing::instrument(skip_all)]
pub(super) async fn new(
    cx: PackageConsole<Assign>,
    PathId(id): PathId<AccessPackageId>,
    q: web::Query<PolicyQuery>,
) -> Reply {
    assign_page(&cx, &id, &q.policy, AssignmentForm::default(), None).await
}

#[tracing::instrument(skip_all)]
pub(super) async fn assign(
    cx: PackageConsole<Assign>,
    PathId(id): PathId<AccessPackageId>,
    form: Picked<AssignmentForm>,
) -> Reply {
    let mut values = form.form;
    let chosen = values.policy.clone();
    if let Some(search) = form.pressed {
        return assign_page(&cx, &id, &chosen, values, search).await;
    }
    // "Use this policy": the form again, with that policy's questions,
    // none of them answered with what was typed for another's.
    if values.switch == "policy" {
        if values.shown_policy != chosen {
            values.fields.forget_answers();
        }
        return assign_page(&cx, &id, &chosen, values, None).await;
    }
    let guest = values.guest_email.trim();
    let input = NewAssignment {
        policy: PolicyId::parse(&chosen),
        users: emails(&values),
        groups: group_names(&values),
        new_guest: (!guest.is_empty()).then_some((&values.guest_email, &values.guest_name)),
        period: values.fields.period(cx.who.tz),
        answers: values.fields.answers(),
        attributes: values.fields.attributes(),
        bypass_approval: values.bypass,
        justification: Some(&values.justification),
    };
    match requests_svc::assign_from_form(cx.store(), &cx.who.user, &id, &input, cx.now()).await? {
        Saved::Done(assigned) => cx.done(
            assigned_text(&assigned),
            &routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&id),
        ),
        Saved::Again(form, e) => assign_shown(&cx, form, &chosen, values, e, Matches::default()),
    }
}
