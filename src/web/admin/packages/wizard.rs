//! The new-package wizard: basics, resource roles, the first policy's
//! requests, requestor information and lifecycle, then review and create.
//! The fields typed so far travel with each step as a draft.

use std::collections::{BTreeMap, HashMap};

use actix_web::web;
use askama::Template;
use serde::{Deserialize, Serialize};

use super::policy_fields::{
    BasicsFields, ExtensionFields, LifecycleFields, PolicyForm, Posted, RequestorFields,
    RequestsFields,
};
use super::policy_form::{self, form_accessors};
use super::policy_summary;
use super::steps::{STEPS, step_of};
use crate::domain::catalog::OriginSystem;
use crate::domain::ids::CatalogId;
use crate::domain::validation::{FieldErrors, has_refused_control};
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

/// The wizard's own fields, asked before the policy's: the Basics and
/// Resource roles steps.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct PackageFields {
    catalog: String,
    name: String,
    description: String,
    hidden: bool,
    /// The role picked for each resource shown, by the resource's key
    /// (empty: not included).
    roles: BTreeMap<String, String>,
    /// Whether directory resources outside the catalog are shown.
    show_all: bool,
}

/// Everything typed so far, carried from step to step (as JSON). A draft
/// with fields of its own is not the wizard's (a page from before an
/// upgrade): it is refused, not read as empty.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Draft {
    package: PackageFields,
    policy: PolicyForm,
}

#[derive(Template)]
#[template(path = "admin/packages/wizard.html")]
struct Wizard {
    layout: Layout,
    step: &'static str,
    steps: Vec<(&'static str, &'static str)>,
    catalogs: Vec<CatalogRow>,
    catalog_name: String,
    /// The draft as the page carries it.
    draft: String,
    p: PackageFields,
    f: PolicyForm,
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
        self.p.roles.get(key).map_or("", String::as_str)
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
    let mut d = Draft {
        package: PackageFields::default(),
        policy: PolicyForm::defaults("Initial policy", cx.organization_today()),
    };
    if let Some(c) = q.catalog.as_deref().and_then(CatalogId::parse) {
        d.package.catalog = c.to_string();
    }
    let view = view(&cx, &d, false, None).await?;
    page(
        &cx,
        view,
        "basics",
        d,
        FieldErrors::new(),
        Matches::default(),
    )
}

fn picks(p: &PackageFields) -> Vec<RolePick> {
    p.roles
        .iter()
        .filter(|(_, role)| !role.is_empty())
        .map(|(resource, role)| RolePick {
            resource: resource.clone(),
            role: role.clone(),
        })
        .collect()
}

fn catalog_of(p: &PackageFields) -> Option<CatalogId> {
    CatalogId::parse(&p.catalog)
}

/// What the review step lists.
fn review(
    d: &Draft,
    catalog: Option<&CatalogRow>,
    resources: &[ResourceRoles],
    extensions: &[ExtensionRow],
) -> Vec<(String, String)> {
    let (pk, f) = (&d.package, &d.policy);
    let mut r = vec![
        (
            "Catalog".to_string(),
            catalog.map(|c| c.display_name.clone()).unwrap_or_default(),
        ),
        ("Name".to_string(), pk.name.clone()),
        ("Description".to_string(), pk.description.clone()),
        (
            "Hidden".to_string(),
            if pk.hidden {
                "Yes: requestable through its link only"
            } else {
                "No"
            }
            .to_string(),
        ),
    ];
    for p in picks(pk) {
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
    r.extend(policy_summary::summary(f, extensions));
    r
}

/// What the wizard shows for the draft `d`, its draft checked when `check`.
async fn view(
    cx: &Wizarding,
    d: &Draft,
    check: bool,
    lookup: Option<Lookup<'_>>,
) -> Result<WizardView, AppError> {
    let (catalog, chosen) = (catalog_of(&d.package), chosen(&d.package));
    let ask = asked(cx, d, &catalog, &chosen, check, lookup);
    Ok(svc::wizard(cx.store(), &cx.who.scope(), ask).await?)
}

/// The resources picked so far.
fn chosen(p: &PackageFields) -> Vec<String> {
    picks(p).into_iter().map(|p| p.resource).collect()
}

/// What the page for draft `d` reads (its `catalog` and `chosen`
/// resources), checking the draft if `check`, with a picker's search
/// (`lookup`).
fn asked<'a>(
    cx: &Wizarding,
    d: &Draft,
    catalog: &'a Option<CatalogId>,
    chosen: &'a [String],
    check: bool,
    lookup: Option<Lookup<'a>>,
) -> WizardAsk<'a> {
    WizardAsk {
        catalog: catalog.as_ref(),
        directory: d.package.show_all,
        chosen,
        check: check.then(|| (policy_form::draft(&d.policy, cx.who.tz), cx.now())),
        lookup,
    }
}

/// The wizard at `step`, showing `errors`.
fn page(
    cx: &Wizarding,
    view: WizardView,
    step: &'static str,
    d: Draft,
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
        review(&d, view.catalog.as_ref(), &resources, &extensions)
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
            draft: serde_json::to_string(&d).unwrap_or_else(|_| "{}".into()),
            p: d.package,
            f: d.policy,
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
fn errors_of(d: &Draft, view: &WizardView) -> FieldErrors {
    let mut e = FieldErrors::new();
    if let Err(b) = svc::parse_basics(&d.package.name, &d.package.description) {
        e.merge(&b);
    }
    e.merge(&view.errors);
    e
}

/// Puts the fields a step posted into the draft: they replace what the
/// draft had for that step (unticked boxes included).
fn take_step(d: &mut Draft, current: &str, posted: &HashMap<String, String>) {
    let p = Posted(posted);
    let (pk, f) = (&mut d.package, &mut d.policy);
    match current {
        "basics" => {
            let catalog = p.text("catalog");
            if catalog != pk.catalog {
                // Roles belong to the catalog they were picked from.
                pk.roles.clear();
            }
            pk.catalog = catalog;
            pk.name = p.text("name");
            pk.description = p.text("description");
            pk.hidden = p.on("hidden");
        }
        "roles" => {
            // The step posts every role it shows: earlier picks are
            // replaced, not kept; directory resources outside the catalog
            // (their keys hold a colon) are chosen only while shown.
            pk.show_all = p.on("show_all");
            pk.roles = posted
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("role_")?.to_string(), v.clone())))
                .filter(|(k, _)| pk.show_all || !k.contains(':'))
                .collect();
        }
        "requests" => {
            f.basics = BasicsFields::read(&p);
            f.requests = RequestsFields::read(&p);
        }
        "requestor" => f.requestor = RequestorFields::read(&p),
        "lifecycle" => f.lifecycle = LifecycleFields::read(&p),
        "extensions" => f.extensions = ExtensionFields::read(&p),
        // The review step asks nothing.
        _ => {}
    }
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
    draft: Draft,
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

/// The draft's JSON escapes hide from the form check the control
/// characters (a NUL) that it refuses, so a value holding one is emptied
/// here, and a key holding one dropped, as if it had not been given.
fn scrub(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) if has_refused_control(s) => s.clear(),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(fields) => {
            fields.retain(|k, _| !has_refused_control(k));
            fields.values_mut().for_each(scrub);
        }
        _ => {}
    }
}

/// The draft a page carried.
fn draft_of(text: Option<&str>) -> Result<Draft, &'static str> {
    const NOT_OURS: &str =
        "the wizard's draft is not one it wrote; start again from New access package";
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(Draft::default());
    };
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(|_| NOT_OURS)?;
    scrub(&mut value);
    serde_json::from_value(value).map_err(|_| NOT_OURS)
}

impl TryFrom<HashMap<String, String>> for WizardStep {
    type Error = &'static str;

    fn try_from(posted: HashMap<String, String>) -> Result<WizardStep, &'static str> {
        let mut draft = draft_of(posted.get("draft").map(String::as_str))?;
        let current = posted
            .get("step")
            .and_then(|s| step_named(s))
            .unwrap_or("basics");
        take_step(&mut draft, current, &posted);
        let go = match posted.get("go").map(String::as_str).unwrap_or("next") {
            "back" => Go::Back,
            "next" => Go::Next,
            "create" => Go::Create,
            other => Go::To(step_named(other).unwrap_or(current)),
        };
        Ok(WizardStep {
            draft,
            current,
            add: posted.get("add").cloned(),
            go,
        })
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn step(cx: Wizarding, form: Picked<WizardStep>) -> Reply {
    let WizardStep {
        draft: mut d,
        current,
        add,
        go,
    } = form.form;
    if let Some(add) = add {
        if add == "question" {
            d.policy.requestor.add_row();
        }
        let view = view(&cx, &d, false, None).await?;
        return page(
            &cx,
            view,
            current,
            d,
            FieldErrors::new(),
            Matches::default(),
        );
    }
    if let Some(search) = form.pressed {
        let offers = policy_form::POLICY_PICKS;
        let lookup = PickSearch::lookup(search.as_ref(), offers);
        let mut view = view(&cx, &d, false, lookup).await?;
        let matches = Matches::found(search.as_ref(), offers, &mut view.found);
        return page(&cx, view, current, d, FieldErrors::new(), matches);
    }
    // Creating checks everything itself; the review step shows what it
    // refused, on the page it read again.
    let (view, refused) = match go {
        Go::Create => match create(&cx, &d).await? {
            Saved::Done(reply) => return reply,
            Saved::Again(view, e) => (view, Some(e)),
        },
        _ => (view(&cx, &d, true, None).await?, None),
    };
    let mut errors = errors_of(&d, &view);
    let index = STEPS.iter().position(|(s, _)| *s == current).unwrap_or(0);
    let target = match go {
        Go::Back => STEPS[index.saturating_sub(1)].0,
        Go::Next => {
            let mine = errors_for(&errors, current);
            if !mine.is_empty() {
                return page(&cx, view, current, d, mine, Matches::default());
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
    page(&cx, view, target, d, shown, Matches::default())
}

/// What pressing Create did: the reply going to the new package's page,
/// or the review step's page read again, and the errors creation found
/// (maybe none of its own: the draft's basics or catalog were missing, and
/// the page's check says what).
async fn create(cx: &Wizarding, d: &Draft) -> Result<Saved<Reply, WizardView>, AppError> {
    let pk = &d.package;
    let basics = svc::parse_basics(&pk.name, &pk.description);
    let (Ok(basics), Some(catalog)) = (basics, catalog_of(pk)) else {
        let view = view(cx, d, true, None).await?;
        return Ok(Saved::Again(view, FieldErrors::new()));
    };
    let (roles, shown_catalog, chosen) = (picks(pk), Some(catalog.clone()), chosen(pk));
    let new = NewPackage {
        catalog: &catalog,
        basics: &basics,
        hidden: pk.hidden,
        roles: &roles,
        policy: policy_form::draft(&d.policy, cx.who.tz),
    };
    let ask = asked(cx, d, &shown_catalog, &chosen, true, None);
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
    fn a_control_character_hidden_in_the_draft_is_dropped() {
        let text = r#"{"package":{"name":"Sales\u0000","roles":{"g1\u0000":"member","g2":"owner"}},"policy":{"requests":{"target_users":"eric\u0000@x.test\nada@x.test","stages":[{"users":"maria@x.test"}]}}}"#;
        let d = draft_of(Some(text)).unwrap();
        assert_eq!(d.package.name, "");
        assert_eq!(d.package.roles.len(), 1, "{:?}", d.package.roles);
        assert_eq!(d.package.roles["g2"], "owner");
        assert_eq!(d.policy.requests.target_users, "");
        assert_eq!(d.policy.stage(1).users, "maria@x.test");
        assert_eq!(
            d.policy.stage(3).users,
            "",
            "a stage the draft lacks is blank"
        );
        assert!(draft_of(Some("{not the wizard's")).is_err());
        assert!(draft_of(Some(r#"{"package":{"hidden":"on"}}"#)).is_err());
        let before_upgrade = r#"{"policy_name":"Initial policy","stage_count":"1"}"#;
        assert!(draft_of(Some(before_upgrade)).is_err());
    }
}
