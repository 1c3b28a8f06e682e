//! Admin › Access packages › a package's Requests and Assignments tabs: the
//! requests with their details, cancel and reprocess; the assignments with
//! remove, reprocess and CSV export; and new assignments on people's behalf.

use std::collections::{BTreeMap, HashMap};

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::catalog::RequiredAttribute;
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::policy::{Policy, QuestionKind};
use crate::domain::request::{Answer, human};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::ServiceError;
use crate::service::assignments as svc;
use crate::service::requests::{self as requests_svc, NewAssignment};
use crate::store::assignments::{self, AssignmentRow};
use crate::store::packages::{self, PackageRow};
use crate::store::requests::{self, AdminRequestRow, DecisionRow, RequestRow};
use crate::store::{Page, policies, users};
use crate::web::error::AppError;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, page_number, redirect, render, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes::*;
    cfg.route(
        ADMIN_PACKAGE_REQUESTS.pattern(),
        web::get().to(requests_tab),
    )
    .route(ADMIN_PACKAGE_REQUEST.pattern(), web::get().to(request_page))
    .route(
        ADMIN_PACKAGE_REQUEST_CANCEL.pattern(),
        web::post().to(cancel_request),
    )
    .route(
        ADMIN_PACKAGE_REQUEST_REPROCESS.pattern(),
        web::post().to(reprocess_request),
    )
    .route(
        ADMIN_PACKAGE_ASSIGNMENTS.pattern(),
        web::get().to(assignments_tab),
    )
    .route(
        ADMIN_PACKAGE_ASSIGNMENTS_CSV.pattern(),
        web::get().to(export_csv),
    )
    .route(ADMIN_PACKAGE_ASSIGN.pattern(), web::get().to(new_page))
    .route(ADMIN_PACKAGE_ASSIGN.pattern(), web::post().to(assign))
    .route(
        ADMIN_PACKAGE_ASSIGNMENT_REMOVE.pattern(),
        web::post().to(remove),
    )
    .route(
        ADMIN_PACKAGE_ASSIGNMENT_REPROCESS.pattern(),
        web::post().to(reprocess_assignment),
    );
}

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct TabQuery {
    #[serde(default)]
    state: String,
    page: Option<i64>,
}

impl TabQuery {
    fn link(&self, page: i64) -> String {
        let state: String = url::form_urlencoded::byte_serialize(self.state.as_bytes()).collect();
        format!("?state={state}&page={page}")
    }
    fn filter(&self) -> Option<&str> {
        (!self.state.is_empty()).then_some(self.state.as_str())
    }
}

fn parse_id(raw: &str) -> Result<AccessPackageId, AppError> {
    AccessPackageId::parse(raw).ok_or(AppError::NotFound)
}

async fn package(state: &Data, id: &AccessPackageId) -> Result<PackageRow, AppError> {
    let mut conn = state.store.read().await?;
    packages::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The filters each tab offers: (value, label).
const REQUEST_FILTERS: &[(&str, &str)] = &[
    ("", "All"),
    ("open", "Open"),
    ("delivered", "Delivered"),
    ("failed", "Failed or partial"),
    ("denied", "Denied"),
    ("canceled", "Canceled"),
    ("expired", "Expired"),
];
const ASSIGNMENT_FILTERS: &[(&str, &str)] = &[
    ("", "All"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("removed", "Removed"),
    ("failed", "Undelivered"),
];

#[derive(Template)]
#[template(path = "admin/package_requests.html")]
struct RequestsTab {
    layout: Layout,
    package: PackageRow,
    section: &'static str,
    filters: &'static [(&'static str, &'static str)],
    filter: String,
    list: Page<AdminRequestRow>,
    prev: String,
    next: String,
}

async fn requests_tab(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
    q: web::Query<TabQuery>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let package = package(&state, &id).await?;
    let mut conn = state.store.read().await?;
    let list =
        requests::for_package(&mut conn, &id, q.filter(), page_number(q.page), PER_PAGE).await?;
    render(&RequestsTab {
        layout: Layout::for_user(&state, &admin, "admin", package.display_name.clone()),
        package,
        section: "requests",
        filters: REQUEST_FILTERS,
        prev: q.link(list.page - 1),
        next: q.link(list.page + 1),
        filter: q.state.clone(),
        list,
    })
}

#[derive(Template)]
#[template(path = "admin/package_request.html")]
struct RequestDetails {
    layout: Layout,
    package: PackageRow,
    section: &'static str,
    request: RequestRow,
    state_text: &'static str,
    policy_name: String,
    requestor_name: String,
    answers: Vec<Answer>,
    attributes: BTreeMap<String, String>,
    approvers: Vec<(i64, String, String, bool)>,
    decisions: Vec<(DecisionRow, String)>,
    can_cancel: bool,
    can_reprocess: bool,
}

async fn request_page(
    state: Data,
    admin: AdminUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (pid, rid) = path.into_inner();
    let id = parse_id(&pid)?;
    let package = package(&state, &id).await?;
    let mut conn = state.store.read().await?;
    let request = requests::get(&mut conn, &rid)
        .await?
        .filter(|r| r.access_package_id == id.as_str())
        .ok_or(AppError::NotFound)?;
    let current = request.state()?;
    let policy_name = policies::get(&mut conn, &id, &request.policy_id)
        .await?
        .map(|p| p.display_name)
        .unwrap_or_default();
    let requestor_name = match &request.requestor_id {
        Some(u) => users::get(&mut conn, &UserId::from_stored(u.clone()))
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default(),
        None => request.target_display_name.clone(),
    };
    let mut decisions = Vec::new();
    for d in requests::decisions(&mut conn, &rid).await? {
        let who = users::get(&mut conn, &UserId::from_stored(d.reviewed_by.clone()))
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        decisions.push((d, who));
    }
    use crate::domain::request::{Event, transition};
    render(&RequestDetails {
        layout: Layout::for_user(&state, &admin, "admin", package.display_name.clone()),
        section: "requests",
        state_text: human(current),
        can_cancel: transition(current, Event::Canceled).is_ok(),
        can_reprocess: transition(current, Event::Reprocess).is_ok(),
        answers: serde_json::from_str(&request.answers).unwrap_or_default(),
        attributes: serde_json::from_str(&request.attributes).unwrap_or_default(),
        approvers: requests::approvers_of(&mut conn, &rid).await?,
        policy_name,
        requestor_name,
        decisions,
        package,
        request,
    })
}

/// Runs an action and says how it went on the next page.
fn outcome(session: Session, done: &str, r: Result<(), ServiceError>) -> Result<(), AppError> {
    let session = TypedSession(session);
    match r {
        Ok(()) => session.flash("success", done),
        Err(ServiceError::Refused(m)) => session.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

async fn cancel_request(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    _form: Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (pid, rid) = path.into_inner();
    let id = parse_id(&pid)?;
    let r =
        requests_svc::cancel_by_admin(&state.store, &admin.actor(), &id, &rid, state.clock.now())
            .await;
    outcome(session, "Request canceled.", r)?;
    Ok(redirect(&routes::ADMIN_PACKAGE_REQUEST.ids(&id, &rid)))
}

async fn reprocess_request(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    _form: Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (pid, rid) = path.into_inner();
    let id = parse_id(&pid)?;
    let r = requests_svc::reprocess(&state.store, &admin.actor(), &id, &rid, state.clock.now())
        .await
        .map(|s| {
            let _ = s;
        });
    outcome(session, "Request reprocessed.", r)?;
    Ok(redirect(&routes::ADMIN_PACKAGE_REQUEST.ids(&id, &rid)))
}

#[derive(Template)]
#[template(path = "admin/package_assignments.html")]
struct AssignmentsTab {
    layout: Layout,
    package: PackageRow,
    section: &'static str,
    filters: &'static [(&'static str, &'static str)],
    filter: String,
    list: Page<AssignmentRow>,
    prev: String,
    next: String,
}

async fn assignments_tab(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
    q: web::Query<TabQuery>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let package = package(&state, &id).await?;
    let mut conn = state.store.read().await?;
    let list =
        assignments::for_package(&mut conn, &id, q.filter(), page_number(q.page), PER_PAGE).await?;
    render(&AssignmentsTab {
        layout: Layout::for_user(&state, &admin, "admin", package.display_name.clone()),
        package,
        section: "assignments",
        filters: ASSIGNMENT_FILTERS,
        prev: q.link(list.page - 1),
        next: q.link(list.page + 1),
        filter: q.state.clone(),
        list,
    })
}

/// A CSV field: quoted when needed, and never read as a formula by a spreadsheet.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

async fn export_csv(
    state: Data,
    _admin: AdminUser,
    path: web::Path<String>,
    q: web::Query<TabQuery>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let package = package(&state, &id).await?;
    let mut conn = state.store.read().await?;
    let rows = assignments::all_for_package(&mut conn, &id, q.filter()).await?;
    let mut out = String::from("User,Email,Policy,State,Start (UTC),End (UTC),Ended (UTC)\r\n");
    for a in rows {
        let fields = [
            a.target_name.as_str(),
            &a.target_email,
            &a.policy_name,
            a.state_text(),
            a.start_at.as_deref().unwrap_or(""),
            a.end_at.as_deref().unwrap_or(""),
            a.ended_at.as_deref().unwrap_or(""),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    let name: String = package
        .display_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}-assignments.csv\""),
        ))
        .body(out))
}

async fn remove(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    _form: Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (pid, aid) = path.into_inner();
    let id = parse_id(&pid)?;
    let r = svc::remove(&state.store, &admin.actor(), &id, &aid, state.clock.now()).await;
    outcome(session, "Assignment removed; its access was taken back.", r)?;
    Ok(redirect(&routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&id)))
}

async fn reprocess_assignment(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    _form: Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (pid, aid) = path.into_inner();
    let id = parse_id(&pid)?;
    let r =
        svc::reprocess_assignment(&state.store, &admin.actor(), &id, &aid, state.clock.now()).await;
    outcome(session, "Assignment reprocessed: its roles are granted.", r)?;
    Ok(redirect(&routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&id)))
}

/// A question of the chosen policy, as the form shows it.
pub struct QuestionField {
    pub key: String,
    pub text: String,
    pub required: bool,
    pub choices: Vec<(String, String)>,
    pub multiple: bool,
}

#[derive(Template)]
#[template(path = "admin/package_assign.html")]
struct AssignPage {
    layout: Layout,
    package: PackageRow,
    section: &'static str,
    policies: Vec<(String, String)>,
    chosen: String,
    lifetime: String,
    questions: Vec<QuestionField>,
    attributes: Vec<RequiredAttribute>,
    /// The people chosen so far, each with their own attribute fields.
    people: Vec<PersonAttributes>,
    values: HashMap<String, Vec<String>>,
    errors: FieldErrors,
}

/// One chosen person's required attributes, as the form shows them.
pub struct PersonAttributes {
    pub name: String,
    /// (field key, value, whether it may be changed), one per required attribute.
    pub fields: Vec<(String, String, bool)>,
}

impl AssignPage {
    fn value(&self, k: &str) -> String {
        self.values
            .get(k)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    }
    fn picked(&self, k: &str, v: &str) -> bool {
        self.values.get(k).is_some_and(|x| x.iter().any(|s| s == v))
    }
}

#[derive(Deserialize, Default)]
pub struct PolicyQuery {
    #[serde(default)]
    policy: String,
}

async fn assign_page(
    state: &Data,
    admin: &AdminUser,
    id: &AccessPackageId,
    chosen: &str,
    values: HashMap<String, Vec<String>>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let package = package(state, id).await?;
    let mut conn = state.store.read().await?;
    let all = policies::for_package(&mut conn, id).await?;
    let (chosen, policy): (String, Option<Policy>) = match all.iter().find(|(p, _)| p == chosen) {
        Some((p, pol)) => (p.clone(), Some(pol.clone())),
        None => match all.first() {
            Some((p, pol)) => (p.clone(), Some(pol.clone())),
            None => (String::new(), None),
        },
    };
    let questions = policy
        .as_ref()
        .map(|p| {
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
                        key: format!("q{}", q.sequence),
                        text: q.text.clone(),
                        required: q.is_required,
                        choices,
                        multiple,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let lifetime = policy
        .as_ref()
        .map(|p| {
            use crate::domain::policy::Expiration;
            match p.expiration {
                Expiration::NoExpiration => "Without an end date, access does not expire.".into(),
                Expiration::AfterDays(d) => {
                    format!("Without dates, access starts now and lasts {d} days.")
                }
                Expiration::AfterHours(h) => {
                    format!("Without dates, access starts now and lasts {h} hours.")
                }
                Expiration::AfterDateTime(t) => format!(
                    "Without dates, access starts now and ends on {}.",
                    t.format("%Y-%m-%d")
                ),
            }
        })
        .unwrap_or_default();
    let attributes = requests_svc::required_attributes(&state.store, id).await?;
    let people = chosen_people(&mut conn, &attributes, &values).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &AssignPage {
            layout: Layout::for_user(state, admin, "admin", package.display_name.clone()),
            package,
            section: "assignments",
            policies: all
                .into_iter()
                .map(|(p, pol)| (p, pol.display_name))
                .collect(),
            chosen,
            lifetime,
            questions,
            attributes,
            people,
            values,
            errors,
        },
    )
}

/// The people the form names (directory users by address, and the new
/// guest), with their attribute fields prefilled from what was sent or from
/// their current values. Attributes that are not editable show a person's
/// existing value without a field.
async fn chosen_people(
    conn: &mut crate::store::Conn,
    attributes: &[RequiredAttribute],
    values: &HashMap<String, Vec<String>>,
) -> Result<Vec<PersonAttributes>, AppError> {
    if attributes.is_empty() {
        return Ok(vec![]);
    }
    let field = |k: &str| values.get(k).and_then(|v| v.first()).cloned();
    let mut people: Vec<(String, String, Option<crate::domain::user::User>)> = Vec::new();
    for email in field("users")
        .unwrap_or_default()
        .split([',', '\n', ';'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if let Some(u) = users::find_by_email(conn, email).await? {
            if !people.iter().any(|(id, _, _)| *id == u.id.as_str()) {
                people.push((u.id.to_string(), u.display_name.clone(), Some(u)));
            }
        }
    }
    if let Some(email) = field("guest_email").filter(|e| !e.trim().is_empty()) {
        let name = field("guest_name")
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(email);
        people.push(("new".into(), name, None));
    }
    Ok(people
        .into_iter()
        .map(|(suffix, name, user)| PersonAttributes {
            fields: attributes
                .iter()
                .map(|a| {
                    let key = format!("attr_{}.{suffix}", a.attribute_name);
                    let current = user
                        .as_ref()
                        .map(|u| u.attribute(&a.attribute_name))
                        .unwrap_or_default();
                    let editable = a.is_editable || current.is_empty();
                    let value = match field(&key) {
                        Some(v) if editable => v,
                        _ => current,
                    };
                    (key, value, editable)
                })
                .collect(),
            name,
        })
        .collect())
}

async fn new_page(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
    q: web::Query<PolicyQuery>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    assign_page(
        &state,
        &admin,
        &id,
        &q.policy,
        HashMap::new(),
        FieldErrors::new(),
    )
    .await
}

async fn assign(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    form: Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let mut values: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form.0 {
        if k != "csrf_token" {
            values.entry(k).or_default().push(v);
        }
    }
    let field = |k: &str| {
        values
            .get(k)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    };
    let chosen = field("policy");
    let attributes: HashMap<String, String> = values
        .iter()
        .filter(|(k, _)| k.starts_with("attr_"))
        .filter_map(|(k, v)| v.first().map(|v| (k.clone(), v.clone())))
        .collect();
    let answers: HashMap<String, Vec<String>> = values
        .iter()
        .filter(|(k, _)| k.starts_with('q'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Users by email address, one per line (or separated by commas).
    let users: Vec<String> = field("users")
        .split([',', '\n', ';'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    let (guest_email, guest_name) = (field("guest_email"), field("guest_name"));
    let (start, end, justification) = (field("start"), field("end"), field("justification"));
    let input = NewAssignment {
        policy_id: &chosen,
        users,
        new_guest: (!guest_email.trim().is_empty()).then_some((&guest_email, &guest_name)),
        start: &start,
        end: &end,
        tz: crate::domain::request::time_zone(&field("tz")),
        answers,
        attributes,
        bypass_approval: field("bypass") == "on",
        justification: Some(&justification),
    };
    match requests_svc::assign(&state.store, &admin.user, &id, &input, state.clock.now()).await {
        Ok(done) => {
            let said: Vec<String> = done
                .iter()
                .map(|(name, s)| format!("{name} ({})", human(*s)))
                .collect();
            TypedSession(session).flash(
                "success",
                format!("Assignment requested for {}.", said.join(", ")),
            );
            Ok(redirect(&routes::ADMIN_PACKAGE_ASSIGNMENTS.id(&id)))
        }
        Err(ServiceError::Invalid(e)) => assign_page(&state, &admin, &id, &chosen, values, e).await,
        Err(ServiceError::Refused(m)) => {
            let mut e = FieldErrors::new();
            e.add("users", m);
            assign_page(&state, &admin, &id, &chosen, values, e).await
        }
        Err(e) => Err(e.into()),
    }
}
