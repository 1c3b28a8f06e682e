//! The new-package wizard: basics, resource roles, the first policy's
//! requests, requestor information and lifecycle, then review and create.
//! The fields typed so far travel with each step as a draft.

use std::collections::HashMap;

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::policy_form::{self, Fields, form_accessors};
use super::steps::{STEPS, step_of};
use crate::domain::catalog::OriginSystem;
use crate::domain::ids::CatalogId;
use crate::domain::policy::AllowedTargetScope;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::Saved;
use crate::service::lookup::Lookup;
use crate::service::packages::{
    self as svc, AttributeInfo, NewPackage, ResourceRoles, RolePick, WizardAsk, WizardView,
};
use crate::store::catalogs::CatalogRow;
use crate::store::custom_extensions::ExtensionRow;
use crate::web::admin::console::Reaching;
use crate::web::error::AppError;
use crate::web::extract::console_access::MakesPackages;
use crate::web::extract::picker::{Matches, PickSearch, Picked};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, render_status};

/// Whoever may make packages: administrators, and those who manage
/// access packages in some catalog.
type Wizarding = Reaching<MakesPackages>;

#[derive(Template)]
#[template(path = "admin/packages/wizard.html")]
struct Wizard {
    layout: Layout,
    step: &'static str,
    steps: Vec<(&'static str, &'static str)>,
    catalogs: Vec<CatalogRow>,
    catalog_name: String,
    draft: String,
    f: Fields,
    errors: FieldErrors,
    resources: Vec<ResourceRoles>,
    attributes: Vec<AttributeInfo>,
    review: Vec<(String, String)>,
    matches: Matches,
    /// The catalog's custom extensions (the Custom extension step).
    extensions: Vec<ExtensionRow>,
}

form_accessors!(Wizard);

impl Wizard {
    /// The role picked so far for a resource.
    fn chosen(&self, key: &str) -> &str {
        policy_form::get(&self.f, &format!("role_{key}"))
    }

    /// The resources under the headings Entra's step shows them under
    /// (groups and teams, applications, SharePoint sites), each kind that
    /// has some.
    fn sections(&self) -> Vec<(&'static str, Vec<&ResourceRoles>)> {
        [
            (OriginSystem::AadGroup, "Groups and Teams"),
            (OriginSystem::AadApplication, "Applications"),
            (OriginSystem::SharePointOnline, "SharePoint sites"),
        ]
        .into_iter()
        .map(|(kind, heading)| {
            let of_kind = self
                .resources
                .iter()
                .filter(|r| r.type_label == kind.label());
            (heading, of_kind.collect::<Vec<_>>())
        })
        .filter(|(_, rs)| !rs.is_empty())
        .collect()
    }
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    catalog: Option<String>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn start(cx: Wizarding, q: web::Query<StartQuery>) -> Reply {
    let mut f = policy_form::defaults("Initial policy", cx.organization_today());
    if let Some(c) = q.catalog.as_deref().and_then(CatalogId::parse) {
        f.insert("catalog".into(), c.to_string());
    }
    let view = view(&cx, &f, false, None).await?;
    page(
        &cx,
        view,
        "basics",
        f,
        FieldErrors::new(),
        Matches::default(),
    )
}

fn picks(f: &Fields) -> Vec<RolePick> {
    f.iter()
        .filter_map(|(k, v)| k.strip_prefix("role_").map(|r| (r, v)))
        .filter(|(_, v)| !v.is_empty())
        .map(|(r, v)| RolePick {
            resource: r.to_string(),
            role: v.clone(),
        })
        .collect()
}

fn catalog_of(f: &Fields) -> Option<CatalogId> {
    f.get("catalog").and_then(|c| CatalogId::parse(c))
}

/// Who approves a stage, as the review step names them.
fn approvers(f: &Fields, n: usize) -> String {
    let k = |x: &str| format!("s{n}_{x}");
    let mut names: Vec<String> = Vec::new();
    for (key, label) in [
        ("manager", "the requestor's manager"),
        ("internal", "internal sponsors"),
        ("external", "external sponsors"),
    ] {
        if policy_form::on(f, &k(key)) {
            names.push(label.into());
        }
    }
    let listed = |key: &str, each: &str| -> Vec<String> {
        policy_form::get(f, &k(key))
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("{each}{s}"))
            .collect()
    };
    names.extend(listed("users", ""));
    names.extend(listed("groups", "members of "));
    let fallback: Vec<String> = [
        listed("fallback_users", ""),
        listed("fallback_groups", "members of "),
    ]
    .concat();
    let mut text = if names.is_empty() {
        "nobody yet".to_string()
    } else {
        names.join(", ")
    };
    if !fallback.is_empty() {
        text.push_str(&format!("; fallback: {}", fallback.join(", ")));
    }
    if policy_form::on(f, &k("escalation")) {
        let mut alternates = Vec::new();
        if policy_form::on(f, &k("alt_manager")) {
            alternates.push("the second level manager".to_string());
        }
        alternates.extend(listed("alt_users", ""));
        alternates.extend(listed("alt_groups", "members of "));
        alternates.extend(
            [
                listed("alt_fallback_users", ""),
                listed("alt_fallback_groups", "members of "),
            ]
            .concat()
            .into_iter()
            .map(|s| format!("{s} (fallback)")),
        );
        text.push_str(&format!(
            "; forwarded after {} days to {}",
            policy_form::get(f, &k("escalation_days")).trim(),
            if alternates.is_empty() {
                "nobody yet".to_string()
            } else {
                alternates.join(", ")
            }
        ));
    }
    text
}

/// The access reviews as the review step sums them up.
fn access_reviews(f: &Fields) -> String {
    use crate::domain::review::{NoResponse, Recurrence, ReviewerKind};
    if !policy_form::on(f, "rv_enabled") {
        return "Not required".into();
    }
    let get = |k| policy_form::get(f, k);
    let every = Recurrence::parse(get("rv_recurrence")).map_or("", |r| r.label());
    let reviewers = match ReviewerKind::parse(get("rv_reviewers")) {
        Some(ReviewerKind::Specific) => {
            let named: Vec<&str> = [get("rv_users"), get("rv_groups")]
                .into_iter()
                .flat_map(str::lines)
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            format!("Specific reviewers ({})", named.join(", "))
        }
        Some(kind) => kind.label().to_string(),
        None => String::new(),
    };
    let unanswered = NoResponse::parse(get("rv_no_response")).map_or("", |r| r.label());
    format!(
        "{every} from {}, {} days each; reviewed by {reviewers}; if reviewers don't respond: {unanswered}",
        get("rv_start"),
        get("rv_duration"),
    )
}

/// What the review step lists.
fn review(
    f: &Fields,
    catalog: Option<&CatalogRow>,
    resources: &[ResourceRoles],
    extensions: &[ExtensionRow],
) -> Vec<(String, String)> {
    let get = |k: &str| policy_form::get(f, k).to_string();
    let mut r = vec![
        (
            "Catalog".to_string(),
            catalog.map(|c| c.display_name.clone()).unwrap_or_default(),
        ),
        ("Name".to_string(), get("name")),
        ("Description".to_string(), get("description")),
        (
            "Hidden".to_string(),
            if policy_form::on(f, "hidden") {
                "Yes: requestable through its link only"
            } else {
                "No"
            }
            .to_string(),
        ),
    ];
    for p in picks(f) {
        let role = resources
            .iter()
            .find(|c| c.key == p.resource)
            .map(|c| {
                let role = c
                    .roles
                    .iter()
                    .find(|(id, _)| *id == p.role)
                    .map(|(_, n)| n.as_str());
                format!("{} ({})", c.name, role.unwrap_or_default())
            })
            .unwrap_or_default();
        r.push(("Resource role".into(), role));
    }
    let yes_no = |k: &str| if policy_form::on(f, k) { "Yes" } else { "No" }.to_string();
    let lines = |k: &str| -> String {
        let listed: Vec<&str> = policy_form::get(f, k)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        listed.join(", ")
    };
    let scope = AllowedTargetScope::parse(policy_form::get(f, "scope")).map(|s| s.label());
    r.push(("Policy".into(), get("policy_name")));
    r.push((
        "Who can request".into(),
        scope.unwrap_or_default().to_string(),
    ));
    for (key, label) in [
        ("target_users", "Specific users"),
        ("target_groups", "Members of groups"),
        ("target_orgs", "Connected organizations"),
    ] {
        if !lines(key).is_empty() {
            r.push((label.into(), lines(key)));
        }
    }
    r.push(("Enable new requests".into(), yes_no("enable_requests")));
    r.push(("Policy enabled".into(), yes_no("enabled")));
    r.push((
        "Require requestor justification".into(),
        yes_no("requestor_justification"),
    ));
    if policy_form::on(f, "approval_required") {
        let stages: usize = get("stage_count").parse().unwrap_or(1).clamp(1, 3);
        for n in 1..=stages {
            r.push((format!("Stage {n} approvers"), approvers(f, n)));
            let days = get(&format!("s{n}_days"));
            let justification = if policy_form::on(f, &format!("s{n}_justification")) {
                "approvers give a justification"
            } else {
                "no justification asked"
            };
            r.push((
                format!("Stage {n} decision"),
                format!("Within {days} days; {justification}"),
            ));
        }
        let shown = match get("show_approvers").as_str() {
            "yes" => "Yes",
            "no" => "No",
            _ => "As the organization's settings say",
        };
        r.push(("Approver details shown to requestors".into(), shown.into()));
    } else {
        r.push(("Approval".into(), "Not required".into()));
    }
    if policy_form::on(f, "on_behalf") {
        r.push((
            "Managers can request for their direct reports".into(),
            "Yes".into(),
        ));
    }
    let count: usize = get("q_count").parse().unwrap_or(0);
    let questions: Vec<String> = (0..count)
        .map(|i| get(&format!("q{i}_text")))
        .filter(|t| !t.trim().is_empty())
        .collect();
    r.push((
        "Questions".into(),
        if questions.is_empty() {
            "None".into()
        } else {
            questions.join("; ")
        },
    ));
    let expiration = match get("expiration_type").as_str() {
        "never" => "Never".to_string(),
        "date" => format!("On {}", get("expiration_date")),
        "hours" => format!("After {} hours", get("expiration_hours")),
        _ => format!("After {} days", get("expiration_days")),
    };
    r.push(("Expiration".into(), expiration));
    r.push((
        "Requestors can choose a specific period".into(),
        yes_no("custom_schedule"),
    ));
    r.push((
        "Allow users to extend access".into(),
        yes_no("allow_extension"),
    ));
    if policy_form::on(f, "allow_extension") {
        r.push((
            "Require approval to grant extension".into(),
            yes_no("approval_update_required"),
        ));
    }
    r.push(("Access reviews".into(), access_reviews(f)));
    if policy_form::on(f, "notifications_off") {
        r.push((
            "Mails about assignments".into(),
            "None: holders are not mailed about their access".into(),
        ));
    }
    for stage in crate::domain::custom_extension::Stage::every() {
        let id = policy_form::get(f, &format!("ext_{}", stage.as_str()));
        if let Some(e) = extensions.iter().find(|e| e.id == id) {
            r.push((
                format!("Custom extension: {}", stage.label()),
                e.display_name.clone(),
            ));
        }
    }
    r
}

/// What the wizard shows for the draft `f`, its draft checked when `check`.
async fn view(
    cx: &Wizarding,
    f: &Fields,
    check: bool,
    lookup: Option<Lookup<'_>>,
) -> Result<WizardView, AppError> {
    let (catalog, chosen) = (catalog_of(f), chosen(f));
    let ask = asked(cx, f, &catalog, &chosen, check, lookup);
    Ok(svc::wizard(cx.store(), &cx.who.scope(), ask).await?)
}

/// The resources picked so far.
fn chosen(f: &Fields) -> Vec<String> {
    picks(f).into_iter().map(|p| p.resource).collect()
}

/// What the page for draft `f` reads (its `catalog` and `chosen`
/// resources), checking the draft if `check`, with a picker's search
/// (`lookup`).
fn asked<'a>(
    cx: &Wizarding,
    f: &Fields,
    catalog: &'a Option<CatalogId>,
    chosen: &'a [String],
    check: bool,
    lookup: Option<Lookup<'a>>,
) -> WizardAsk<'a> {
    WizardAsk {
        catalog: catalog.as_ref(),
        directory: policy_form::on(f, "show_all"),
        chosen,
        check: check.then(|| (policy_form::draft(f, cx.who.tz), cx.now())),
        lookup,
    }
}

/// The wizard at `step`, showing `errors`.
fn page(
    cx: &Wizarding,
    view: WizardView,
    step: &'static str,
    f: Fields,
    errors: FieldErrors,
    matches: Matches,
) -> Reply {
    let resources = if matches!(step, "roles" | "review") {
        view.resources
    } else {
        vec![]
    };
    let attributes = if matches!(step, "requestor" | "review") {
        view.attributes
    } else {
        vec![]
    };
    let extensions = if matches!(step, "requests" | "extensions" | "review") {
        view.extensions
    } else {
        vec![]
    };
    let review = if step == "review" {
        review(&f, view.catalog.as_ref(), &resources, &extensions)
    } else {
        vec![]
    };
    render_status(
        form_status(&errors),
        &Wizard {
            layout: cx.layout("New access package"),
            step,
            steps: STEPS.to_vec(),
            catalogs: view.catalogs,
            catalog_name: view.catalog.map(|c| c.display_name).unwrap_or_default(),
            draft: serde_json::to_string(&f).unwrap_or_else(|_| "{}".into()),
            f,
            errors,
            resources,
            attributes,
            review,
            matches,
            extensions,
        },
    )
}

fn step_named(name: &str) -> Option<&'static str> {
    STEPS.iter().find(|(s, _)| *s == name).map(|(s, _)| *s)
}

/// Errors of one step only.
fn errors_for(all: &FieldErrors, step: &str) -> FieldErrors {
    let mut e = FieldErrors::new();
    for (k, m) in all.iter() {
        if step_of(k) == step {
            e.add(k, m.clone());
        }
    }
    e
}

/// Every error the draft has so far: its basics, and those the view's check found.
fn errors_of(f: &Fields, view: &WizardView) -> FieldErrors {
    let mut e = FieldErrors::new();
    if let Err(b) = svc::parse_basics(
        policy_form::get(f, "name"),
        policy_form::get(f, "description"),
    ) {
        e.merge(&b);
    }
    e.merge(&view.errors);
    e
}

/// Puts the fields a step posted into the draft.
fn take_step(f: &mut Fields, current: &str, posted: &HashMap<String, String>) {
    if current == "roles" {
        // The step posts every role it shows: earlier picks are replaced, not kept.
        f.retain(|k, _| !k.starts_with("role_"));
        f.remove("show_all");
        for (k, v) in posted {
            if k.starts_with("role_") || k == "show_all" {
                f.insert(k.clone(), v.clone());
            }
        }
        if !posted.contains_key("show_all") {
            // Directory resources outside the catalog are chosen only while shown.
            f.retain(|k, _| !(k.starts_with("role_") && k.contains(':')));
        }
    } else if current != "review" {
        if current == "basics" && posted.get("catalog") != f.get("catalog") {
            // Roles belong to the catalog they were picked from.
            f.retain(|k, _| !k.starts_with("role_"));
        }
        f.retain(|k, _| step_of(k) != current);
        for (k, v) in posted {
            if !matches!(k.as_str(), "draft" | "step" | "go" | "add" | "csrf_token")
                && step_of(k) == current
            {
                f.insert(k.clone(), v.clone());
            }
        }
    }
    policy_form::compact_questions(f);
}

/// Where a step's button goes: back, on (once the step has no errors),
/// create (once the whole draft has none), or to a step by its tab.
enum Go {
    Back,
    Next,
    Create,
    To(&'static str),
}

/// A wizard step as posted: the draft so far (the wizard's own JSON, sent
/// back) with the step's fields put in, the step it was on, and the button
/// pressed ("+ Add question", or where to go).
pub(super) struct WizardStep {
    fields: Fields,
    current: &'static str,
    add: Option<String>,
    go: Go,
}

// By hand: derived with `try_from`, it did not compile here (the derive
// still bounds the input's lifetime by the `&'static str` step name).
impl<'de> Deserialize<'de> for WizardStep {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<WizardStep, D::Error> {
        let posted = HashMap::<String, String>::deserialize(d)?;
        WizardStep::try_from(posted).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<HashMap<String, String>> for WizardStep {
    type Error = &'static str;

    fn try_from(posted: HashMap<String, String>) -> Result<WizardStep, &'static str> {
        let mut fields: Fields = match posted.get("draft").map(String::as_str) {
            None | Some("") => Fields::new(),
            Some(draft) => serde_json::from_str(draft).map_err(
                |_| "the wizard's draft is not one it wrote; start again from New access package",
            )?,
        };
        // The draft's JSON escapes hide from the form check the control
        // characters (a NUL) that it refuses, so a value holding one is
        // dropped here, as if it had not been given.
        fields.retain(|_, v| {
            !v.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        });
        let current = posted
            .get("step")
            .and_then(|s| step_named(s))
            .unwrap_or("basics");
        // The step's own fields replace what the draft had (unticked boxes included).
        take_step(&mut fields, current, &posted);
        let go = match posted.get("go").map(String::as_str).unwrap_or("next") {
            "back" => Go::Back,
            "next" => Go::Next,
            "create" => Go::Create,
            other => Go::To(step_named(other).unwrap_or(current)),
        };
        Ok(WizardStep {
            fields,
            current,
            add: posted.get("add").cloned(),
            go,
        })
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn step(cx: Wizarding, form: Picked<WizardStep>) -> Reply {
    let WizardStep {
        fields: mut f,
        current,
        add,
        go,
    } = form.form;
    if let Some(add) = add {
        if add == "question" {
            policy_form::add_question_row(&mut f);
        }
        let view = view(&cx, &f, false, None).await?;
        return page(
            &cx,
            view,
            current,
            f,
            FieldErrors::new(),
            Matches::default(),
        );
    }
    if let Some(search) = form.pressed {
        let offers = policy_form::POLICY_PICKS;
        let lookup = PickSearch::lookup(search.as_ref(), offers);
        let mut view = view(&cx, &f, false, lookup).await?;
        let matches = Matches::found(search.as_ref(), offers, &mut view.found);
        return page(&cx, view, current, f, FieldErrors::new(), matches);
    }
    // Creating checks everything itself; the review step shows what it
    // refused, on the page it read again.
    let (view, refused) = match go {
        Go::Create => match create(&cx, &f).await? {
            Saved::Done(reply) => return reply,
            Saved::Again(view, e) => (view, Some(e)),
        },
        _ => (view(&cx, &f, true, None).await?, None),
    };
    let mut errors = errors_of(&f, &view);
    let index = STEPS.iter().position(|(s, _)| *s == current).unwrap_or(0);
    let target = match go {
        Go::Back => STEPS[index.saturating_sub(1)].0,
        Go::Next => {
            let mine = errors_for(&errors, current);
            if !mine.is_empty() {
                return page(&cx, view, current, f, mine, Matches::default());
            }
            STEPS[(index + 1).min(STEPS.len() - 1)].0
        }
        Go::Create => {
            // The errors creation found that the check does not (a role
            // the resource no longer offers).
            if let Some(refused) = refused {
                errors.merge(&refused);
            }
            "review"
        }
        Go::To(step) => step,
    };
    let shown = if target == "review" {
        errors
    } else {
        FieldErrors::new()
    };
    page(&cx, view, target, f, shown, Matches::default())
}

/// What pressing Create did: the reply going to the new package's page,
/// or the review step's page read again, and the errors creation found
/// (maybe none of its own: the draft's basics or catalog were missing, and
/// the page's check says what).
async fn create(cx: &Wizarding, f: &Fields) -> Result<Saved<Reply, WizardView>, AppError> {
    let basics = svc::parse_basics(
        policy_form::get(f, "name"),
        policy_form::get(f, "description"),
    );
    let (Ok(basics), Some(catalog)) = (basics, catalog_of(f)) else {
        let view = view(cx, f, true, None).await?;
        return Ok(Saved::Again(view, FieldErrors::new()));
    };
    let (roles, shown_catalog, chosen) = (picks(f), Some(catalog.clone()), chosen(f));
    let new = NewPackage {
        catalog: &catalog,
        basics: &basics,
        hidden: policy_form::on(f, "hidden"),
        roles: &roles,
        policy: policy_form::draft(f, cx.who.tz),
    };
    let ask = asked(cx, f, &shown_catalog, &chosen, true, None);
    let (scope, actor) = (cx.who.scope(), cx.actor());
    let created = svc::create_from_wizard(cx.store(), &actor, &scope, new, ask, cx.now());
    Ok(match created.await? {
        Saved::Done(id) => Saved::Done(cx.done(
            format!("Access package {} created.", basics.name),
            &routes::ADMIN_PACKAGES.item.id(&id),
        )),
        Saved::Again(view, e) => Saved::Again(view, e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_reviews_are_summed_up_for_the_review_step() {
        let mut f: Fields = [
            ("rv_start", "2027-01-04"),
            ("rv_recurrence", "quarterly"),
            ("rv_duration", "14"),
            ("rv_reviewers", "specific"),
            ("rv_users", "maria@example.test\n\nada@example.test"),
            ("rv_no_response", "removeAccess"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(access_reviews(&f), "Not required");
        f.insert("rv_enabled".into(), "on".into());
        assert_eq!(
            access_reviews(&f),
            "Quarterly from 2027-01-04, 14 days each; reviewed by Specific reviewers \
             (maria@example.test, ada@example.test); if reviewers don't respond: Remove access"
        );
        f.insert("rv_reviewers".into(), "manager".into());
        assert!(access_reviews(&f).contains("reviewed by Manager;"));
    }
}
