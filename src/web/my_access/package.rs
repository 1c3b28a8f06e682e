//! My Access › a package: its request form, and for its holder the
//! extension form and "Remove my access".

use actix_web::{HttpRequest, http::StatusCode, web};
use askama::Template;

use crate::domain::ids::{AccessPackageId, PolicyId, UserId};
use crate::domain::policy::{Policy, QuestionKind};
use crate::domain::request::{RequestState, answer_field, attribute_field, moment_in};
use crate::domain::user::Person;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::requests::package_page::{self as page_svc, Asked, Viewer};
use crate::service::requests::view::PackageView;
use crate::service::requests::{self as svc, Availability, RequestInput};
use crate::service::{Saved, ServiceError};
use crate::store::requests::CandidateRow;
use crate::web::error::AppError;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::my_access::portal::Portal;
use crate::web::request_form::RequestForm;
use crate::web::respond::{Reply, render, render_status};

/// A question as shown in the browser's language.
pub struct QuestionView {
    pub key: String,
    pub text: String,
    pub required: bool,
    pub long: bool,
    pub choices: Vec<(String, String)>,
    pub multiple: bool,
    /// An extension keeps the earlier answer of a question whose answer is
    /// not editable: shown, not asked again.
    pub locked: bool,
    /// The earlier answer, as the requestor saw it.
    pub shown: String,
}

pub struct ExtensionView {
    /// When access ends (stored time), if it does.
    pub ends: Option<String>,
    /// Why the holder cannot extend now, if they cannot.
    pub refusal: Option<String>,
}

pub struct AttributeView {
    pub key: String,
    pub question: String,
    pub value: String,
    pub editable: bool,
    pub choices: Vec<String>,
    /// Answered as long text: several lines.
    pub long: bool,
    pub max: usize,
}

#[derive(Template)]
#[template(path = "my_access/package.html")]
struct PackagePage {
    layout: Layout,
    package: Option<CandidateRow>,
    reason: String,
    policies: Vec<(String, String, Option<String>)>,
    chosen: String,
    questions: Vec<QuestionView>,
    attributes: Vec<AttributeView>,
    justification_required: bool,
    custom_schedule: bool,
    /// The policy counts access in hours: the period takes times of day.
    hours: bool,
    /// For a package the person holds: its end, and whether they may extend it.
    extension: Option<ExtensionView>,
    /// How long access lasts under the chosen policy, said for people.
    lifetime: String,
    values: RequestForm,
    errors: FieldErrors,
    /// The direct report a manager asks for (id, name); the person
    /// themselves when `None`.
    behalf: Option<(String, String)>,
    /// (id, name) of the direct reports the viewer may ask for this
    /// package for: "Request for" offers them, and themselves.
    reports: Vec<(String, String)>,
}

fn current_value(who: &Person, name: &str) -> String {
    // Someone not yet in the directory has no values to show.
    who.user().map(|u| u.attribute(name)).unwrap_or_default()
}

/// The policy's questions in the browser's language.
fn question_views(policy: &Policy, lang: &str) -> Vec<QuestionView> {
    policy
        .questions
        .iter()
        .map(|q| {
            let (choices, multiple, long) = match &q.kind {
                QuestionKind::MultipleChoice {
                    choices,
                    is_multiple_selection_allowed,
                } => (
                    choices
                        .iter()
                        .map(|c| {
                            (
                                c.actual_value.clone(),
                                Policy::localized(&c.text, &c.localizations, lang).to_string(),
                            )
                        })
                        .collect(),
                    *is_multiple_selection_allowed,
                    false,
                ),
                QuestionKind::Text { is_single_line, .. } => (vec![], false, !is_single_line),
            };
            QuestionView {
                key: answer_field(q.sequence),
                text: Policy::localized(&q.text, &q.localizations, lang).to_string(),
                required: q.is_required,
                long,
                choices,
                multiple,
                locked: false,
                shown: String::new(),
            }
        })
        .collect()
}

fn language(req: &HttpRequest) -> String {
    req.headers()
        .get("Accept-Language")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// What a form sent, shown again with why it was refused (nothing, on a
/// fresh page).
struct Sent {
    /// The policy chosen, where the form is shown for one.
    chosen: Option<String>,
    values: RequestForm,
    errors: FieldErrors,
    status: StatusCode,
}

impl Sent {
    fn nothing() -> Sent {
        Sent {
            chosen: None,
            values: RequestForm::default(),
            errors: FieldErrors::new(),
            status: StatusCode::OK,
        }
    }

    fn refused(values: RequestForm, errors: FieldErrors, status: StatusCode) -> Sent {
        Sent {
            values,
            errors,
            status,
            ..Sent::nothing()
        }
    }
}

/// Who asks on the page: the person, or (`behalf`) for one of their
/// direct reports.
fn viewer<'a>(me: &'a Portal, behalf: Option<&'a UserId>) -> Viewer<'a> {
    Viewer {
        who: me.person(),
        report: behalf,
        now: me.now(),
        tz: me.who.tz,
    }
}

/// The package page, for the person or (`behalf`) for one of their
/// direct reports; an id that is not one names no package.
async fn show(
    me: &Portal,
    req: &HttpRequest,
    id: Option<&AccessPackageId>,
    behalf: Option<&UserId>,
) -> Reply {
    let page = match id {
        None => page_svc::PackageRead {
            report: None,
            view: PackageView::nowhere(),
        },
        Some(id) => page_svc::package_page(me.store(), &viewer(me, behalf), id).await?,
    };
    shown(me, req, page, Sent::nothing())
}

/// `page`, with what a form sent and why it was refused.
fn shown(me: &Portal, req: &HttpRequest, page: page_svc::PackageRead, sent: Sent) -> Reply {
    let Sent {
        chosen,
        values,
        errors,
        status,
    } = sent;
    let page_svc::PackageRead {
        report,
        view: package_view,
    } = page;
    // Whom the form is for: the person, or the report asked for.
    let subject = report.as_ref().unwrap_or(me.person());
    let PackageView {
        package: info,
        availability,
        extension,
        reports,
    } = package_view;
    // Nothing is said of a package the person may not request, not even its name.
    let package = info
        .as_ref()
        .filter(|_| !matches!(availability, Availability::Unavailable))
        .map(|p| p.row());
    let layout = me.layout(
        package
            .as_ref()
            .map(|p| p.display_name.clone())
            .unwrap_or("Access package".into()),
    );
    let mut page = PackagePage {
        layout,
        package,
        reason: String::new(),
        policies: vec![],
        chosen: String::new(),
        questions: vec![],
        attributes: vec![],
        justification_required: false,
        custom_schedule: false,
        hours: false,
        extension: None,
        lifetime: String::new(),
        values,
        errors,
        reports,
        behalf: report.as_ref().map(|r| {
            (
                r.user().map(|u| u.id.to_string()).unwrap_or_default(),
                r.display_name().to_string(),
            )
        }),
    };
    // A manager is told, in their words, why they cannot ask for their report.
    if let (Some(r), Some(p)) = (&report, &page.package) {
        if !matches!(availability, Availability::Offer(_)) {
            page.reason = availability.refusal_about(&p.display_name, r.display_name(), me.who.tz);
            return render_status(status, &page);
        }
    }
    let offer = match availability {
        Availability::Offer(o) => o.policies,
        Availability::Unavailable => {
            page.package = None;
            page.reason = "This access package does not exist, or you are not among the people who can request it.".into();
            return render_status(StatusCode::NOT_FOUND, &page);
        }
        Availability::RequestsOff => {
            page.reason =
                "New requests for this access package are turned off at the moment.".into();
            return render(&page);
        }
        Availability::AlreadyHeld => {
            page.reason = "You already have this access package.".into();
            if let Some(x) = extension {
                if x.refusal.is_none() {
                    page.questions = question_views(&x.policy, &language(req));
                    page.justification_required =
                        x.policy.approval.is_requestor_justification_required;
                    // The earlier answers, unless the form came back with
                    // new ones; those not editable stay as they were.
                    let fresh = !page.values.sent;
                    for answer in x.earlier {
                        let key = answer_field(answer.sequence);
                        let locked = x
                            .policy
                            .questions
                            .iter()
                            .any(|q| q.sequence == answer.sequence && !q.is_answer_editable);
                        if let Some(v) = page.questions.iter_mut().find(|v| v.key == key) {
                            v.locked = locked;
                            v.shown = answer.display.clone();
                        }
                        if fresh || locked {
                            page.values.fields.set_answer(key, answer.values);
                        }
                    }
                }
                page.extension = Some(ExtensionView {
                    ends: x.assignment.end_at.clone(),
                    refusal: x.refusal,
                });
            }
            return render_status(status, &page);
        }
        Availability::Incompatible(conflict) => {
            page.reason = conflict;
            return render(&page);
        }
        ended @ (Availability::Ended(_)
        | Availability::OwnDomain(_)
        | Availability::DomainRefused(_)) => {
            page.reason = ended.refusal("This access package", me.who.tz);
            return render(&page);
        }
        Availability::OpenRequest => {
            page.reason =
                "You already have a request for this access package waiting; see Request history."
                    .into();
            return render(&page);
        }
    };
    let chosen = chosen
        .filter(|c| offer.iter().any(|(id, _)| id == c))
        .unwrap_or_else(|| offer[0].0.clone());
    let policy: &Policy = offer
        .iter()
        .find(|(id, _)| *id == chosen)
        .map(|(_, p)| p)
        .unwrap_or(&offer[0].1);
    let lang = language(req);
    page.questions = question_views(policy, &lang);
    page.attributes = info
        .as_ref()
        .map(|p| p.attributes.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            let key = attribute_field(&a.attribute_name);
            let current = current_value(subject, &a.attribute_name);
            // Not editable: an existing value stays; an empty one may be given once.
            let editable = a.is_editable || current.is_empty();
            let sent = page.values.fields.attribute(&key).filter(|_| editable);
            let value = sent.unwrap_or(&current).to_string();
            AttributeView {
                editable,
                question: Policy::localized(&a.question_text, &a.localizations, &lang).to_string(),
                long: a.is_long(),
                max: a.max_len(),
                choices: a.choices,
                value,
                key,
            }
        })
        .collect();
    page.justification_required = policy.approval.is_requestor_justification_required;
    page.custom_schedule = policy.requestor.allow_custom_assignment_schedule;
    page.hours = matches!(
        policy.expiration,
        crate::domain::policy::Expiration::AfterHours(_)
    );
    page.lifetime = {
        use crate::domain::policy::Expiration;
        match policy.expiration {
            Expiration::NoExpiration => String::new(),
            Expiration::AfterDays(d) => format!("at most {d} days"),
            Expiration::AfterHours(h) => format!("at most {h} hours"),
            Expiration::AfterDateTime(t) => format!("until {}", moment_in(t, me.who.tz)),
        }
    };
    page.policies = offer
        .iter()
        .map(|(id, p)| (id.clone(), p.display_name.clone(), p.description.clone()))
        .collect();
    page.chosen = chosen;
    render_status(status, &page)
}

#[tracing::instrument(skip_all)]
pub(super) async fn package_page(
    me: Portal,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<ForQuery>,
) -> Reply {
    let id = AccessPackageId::parse(&path);
    let behalf = behalf_of(&q)?;
    show(&me, &req, id.as_ref(), behalf.as_ref()).await
}

/// Whom a package page is for: `for` names a direct report.
#[derive(serde::Deserialize)]
pub(super) struct ForQuery {
    #[serde(default, rename = "for")]
    report: String,
}

/// The report `for` names, if any; a malformed one is found nowhere.
fn behalf_of(q: &ForQuery) -> Result<Option<UserId>, AppError> {
    match q.report.as_str() {
        "" => Ok(None),
        id => UserId::parse(id).map(Some).ok_or(AppError::NotFound),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn request(
    me: Portal,
    req: HttpRequest,
    PathId(id): PathId<AccessPackageId>,
    Form(values): Form<RequestForm>,
) -> Reply {
    let chosen = values.policy.clone();
    let input = RequestInput {
        policy: PolicyId::parse(&chosen),
        justification: values.justification.as_deref(),
        answers: values.fields.answers(),
        attributes: values.fields.attributes(),
        period: values.fields.period(me.who.tz),
    };
    let behalf = behalf_of(&ForQuery {
        report: values.report.clone(),
    })?;
    let asker = viewer(&me, behalf.as_ref());
    let (page, errors) = match page_svc::request(me.store(), &asker, &id, &input).await? {
        Asked::Done(r) if r.for_someone_else => {
            return me.done(for_someone_else(r.state), routes::REQUESTS.as_str());
        }
        Asked::Done(r) => {
            let message = match r.state {
                RequestState::Delivered => "Your request was approved and you now have access.",
                RequestState::Scheduled => {
                    "Your request was approved; your access starts on the date you chose."
                }
                _ => "Your request was sent for approval. You can follow it here.",
            };
            return me.done(message, routes::REQUESTS.as_str());
        }
        // The page says why when the package is not on offer any more (to
        // them, or to the report); a refusal it would not show is said above it.
        Asked::Refused(m) => {
            let to = match &behalf {
                Some(report) => format!("{}?for={report}", routes::PACKAGE.id(&id)),
                None => routes::PACKAGE.id(&id),
            };
            return me.refused(m, &to);
        }
        // What was typed for the request is not shown again: the page now
        // says why it is not on offer, or offers an extension, with its own.
        Asked::Gone(page) => {
            let (fresh, none) = (RequestForm::default(), FieldErrors::new());
            let sent = Sent::refused(fresh, none, StatusCode::CONFLICT);
            return shown(&me, &req, page, sent);
        }
        Asked::Again(page, errors) => (page, errors),
    };
    let sent = Sent {
        chosen: Some(chosen),
        ..Sent::refused(values, errors, StatusCode::UNPROCESSABLE_ENTITY)
    };
    shown(&me, &req, page, sent)
}

/// What a manager is told once their request for a report is made.
pub(super) fn for_someone_else(state: RequestState) -> &'static str {
    match state {
        RequestState::Delivered => "Your request was approved: the access was given.",
        RequestState::Scheduled => {
            "Your request was approved; the access starts on the date you chose."
        }
        _ => "Your request was sent for approval. You can follow it here.",
    }
}

/// The holder asks to extend their assignment of the package.
#[tracing::instrument(skip_all)]
pub(super) async fn extend(
    me: Portal,
    req: HttpRequest,
    PathId(id): PathId<AccessPackageId>,
    Form(values): Form<RequestForm>,
) -> Reply {
    let (answers, why) = (values.fields.answers(), values.justification.as_deref());
    match page_svc::extend(me.store(), &viewer(&me, None), &id, &answers, why).await {
        Ok(Saved::Done(s)) => {
            let message = if s == RequestState::Delivered {
                "Your access was extended."
            } else {
                "Your extension request was sent for approval."
            };
            me.done(message, routes::REQUESTS.as_str())
        }
        Ok(Saved::Again(page, errors)) => {
            let sent = Sent::refused(values, errors, StatusCode::UNPROCESSABLE_ENTITY);
            shown(&me, &req, page, sent)
        }
        Err(ServiceError::Refused(m)) => me.refused(m, &routes::PACKAGE.id(&id)),
        Err(e) => Err(e.into()),
    }
}

/// The holder removes their own access, where the policy lets them.
#[tracing::instrument(skip_all)]
pub(super) async fn give_up(
    me: Portal,
    PathId(id): PathId<AccessPackageId>,
    _: Form<NoFields>,
) -> Reply {
    let Some(holder) = me.person().user() else {
        return Err(AppError::NotFound);
    };
    let result = svc::give_up(me.store(), holder, &id, me.now()).await;
    let to = format!("{}?view=active", routes::HOME);
    match result {
        Ok(name) => me.done(format!("Your access to {name} was removed."), &to),
        Err(ServiceError::Refused(m)) => me.refused(m, &to),
        Err(e) => Err(e.into()),
    }
}
