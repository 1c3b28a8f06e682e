//! A catalog's resources: the resources tab, adding directory resources,
//! removing them, and the attributes each requires of requestors.

use std::collections::HashMap;

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::tab::Tab;
use crate::domain::catalog::{
    AnswerFormat, AttributeRowInput, BUILT_IN_REQUIRABLE, LANGUAGES, MAX_TRANSLATIONS,
    OriginSystem, RequiredAttribute, parse_required_attributes,
};
use crate::domain::ids::{CatalogId, CatalogResourceId, ConnectedSystemId};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::connected_systems::FoundGroup;
use crate::service::{ServiceError, catalogs as svc, connected_systems as systems};
use crate::store::catalogs::{CatalogResourceRow, CatalogRow};
use crate::store::connected_systems::LinkRow;
use crate::store::directory::ResourceSummary;
use crate::web::admin::console::{CatalogConsole, Console, ConsoleWho};
use crate::web::error::AppError;
use crate::web::extract::console_access::ManageCatalog;
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::Form;
use crate::web::extract::form_id;
use crate::web::extract::numbered::numbers;
use crate::web::extract::path_id::{PathId, PathIds};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, redirect, render, render_status};

#[derive(Template)]
#[template(path = "admin/catalogs/resources.html")]
struct ResourcesTab {
    layout: Layout,
    catalog: CatalogRow,
    tab: Tab,
    resources: Vec<CatalogResourceRow>,
    links: Vec<LinkRow>,
}

impl ResourcesTab {
    /// The links of a resource's roles to groups of connected systems.
    fn links_of(&self, r: &CatalogResourceRow) -> Vec<&LinkRow> {
        self.links
            .iter()
            .filter(|l| l.origin_system == r.origin_system && l.origin_id == r.origin_id)
            .collect()
    }
}

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &CatalogId) -> Reply {
    let view = svc::resources_tab(cx.store(), id).await?;
    render(&ResourcesTab {
        layout: cx.layout(view.catalog.display_name.clone()),
        catalog: view.catalog,
        tab: Tab::Resources,
        resources: view.resources,
        links: view.links,
    })
}

#[derive(Template)]
#[template(path = "admin/catalogs/add_resources.html")]
struct AddResources {
    layout: Layout,
    catalog: CatalogRow,
    q: String,
    groups: Vec<ResourceSummary>,
    applications: Vec<ResourceSummary>,
    sites: Vec<ResourceSummary>,
    existing: Vec<String>,
    /// Matches beyond the ones shown, per type.
    more: i64,
    /// Connected systems (id, name), the one searched, and its groups found.
    systems: Vec<(String, String)>,
    search: SearchQuery,
    found: Option<Result<Vec<FoundGroup>, String>>,
}

impl AddResources {
    fn held(&self, origin: &str, id: &str) -> bool {
        self.existing.iter().any(|k| *k == format!("{origin}:{id}"))
    }
}

/// `?q=..`: the directory's resources by name; `?system=..&sq=..`: groups
/// of a connected system by name.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    system: String,
    sq: String,
}

#[tracing::instrument(skip_all)]
pub(super) async fn add_resources_form(
    cx: CatalogConsole<ManageCatalog>,
    PathId(id): PathId<CatalogId>,
    q: web::Query<SearchQuery>,
) -> Reply {
    const SHOWN: i64 = 50;
    let search = q.0.clone();
    let system = ConnectedSystemId::parse(&search.system);
    let offered = svc::resources_offered(
        cx.store(),
        &id,
        cx.who.delegate_id(),
        (&q.q, SHOWN),
        cx.who.is_admin,
        system.as_ref().map(|s| (s, search.sq.as_str())),
    )
    .await?;
    let svc::Candidates {
        catalog,
        groups,
        applications,
        sites,
        existing,
    } = offered.candidates;
    let more = [groups.total, applications.total, sites.total]
        .iter()
        .map(|t| (t - SHOWN).max(0))
        .sum();
    let systems = offered
        .systems
        .into_iter()
        .map(|s| (s.id.to_string(), s.display_name))
        .collect();
    let found = offered.found;
    let page = AddResources {
        systems,
        search,
        found,
        layout: cx.layout("Add resources"),
        groups: groups.items,
        applications: applications.items,
        sites: sites.items,
        more,
        existing,
        q: q.q.clone(),
        catalog,
    };
    render(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    /// `originSystem:originId`, one per ticked resource.
    resource: Vec<String>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn add_resources(
    cx: CatalogConsole<ManageCatalog>,
    PathId(id): PathId<CatalogId>,
    form: Form<AddForm>,
) -> Reply {
    let mut picks = Vec::new();
    for raw in &form.0.resource {
        let (origin, origin_id) = raw
            .split_once(':')
            .and_then(|(o, i)| {
                Some((
                    OriginSystem::parse(o)?,
                    uuid::Uuid::parse_str(i).ok()?.to_string(),
                ))
            })
            .ok_or_else(|| {
                AppError::BadRequest("The form named a resource that does not exist.".into())
            })?;
        picks.push((origin, origin_id));
    }
    let owner = cx.who.delegate_id();
    match svc::add_resources(cx.store(), &cx.actor(), &id, owner, &picks, cx.now()).await {
        Ok(n) => cx.done(
            match n {
                0 => "The catalog already held the selected resources.".to_string(),
                1 => "1 resource added.".to_string(),
                n => format!("{n} resources added."),
            },
            &routes::ADMIN_CATALOG_RESOURCES.id(&id),
        ),
        Err(ServiceError::Refused(m)) => {
            cx.session.flash("error", m);
            Ok(redirect(&routes::ADMIN_CATALOG_RESOURCES_ADD.id(&id)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FromSystemForm {
    #[serde(deserialize_with = "form_id::optional")]
    system: Option<ConnectedSystemId>,
    /// The ticked groups' ids in the system (DNs or SCIM ids).
    external: Vec<String>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn add_from_system(
    cx: Console,
    PathId(id): PathId<CatalogId>,
    form: Form<FromSystemForm>,
) -> Reply {
    let f = form.0;
    let now = cx.now();
    match systems::add_to_catalog(
        cx.store(),
        &cx.actor(),
        &id,
        f.system.as_ref(),
        &f.external,
        now,
    )
    .await
    {
        Ok(n) => {
            cx.session.flash(
                "success",
                match n {
                    0 => "The catalog already held the selected groups.".to_string(),
                    1 => "1 group added and linked; its members will be provisioned.".to_string(),
                    n => format!("{n} groups added and linked; their members will be provisioned."),
                },
            );
            Ok(redirect(&routes::ADMIN_CATALOG_RESOURCES.id(&id)))
        }
        Err(ServiceError::Refused(m)) => {
            cx.session.flash("error", m);
            Ok(redirect(&routes::ADMIN_CATALOG_RESOURCES_ADD.id(&id)))
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn remove_resource(
    cx: CatalogConsole<ManageCatalog>,
    PathIds(id, rid): PathIds<CatalogId, CatalogResourceId>,
    _form: Form<crate::web::extract::csrf::NoFields>,
) -> Reply {
    match svc::remove_resource(cx.store(), &cx.actor(), &id, &rid, cx.now()).await {
        Ok(name) => cx
            .session
            .flash("success", format!("{name} removed from the catalog.")),
        Err(ServiceError::Refused(m)) => cx.session.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&routes::ADMIN_CATALOG_RESOURCES.id(&id)))
}

/// A row of the required-attributes form with its messages.
pub struct AttributeRowView {
    pub index: usize,
    pub attribute_name: String,
    pub answer_format: String,
    pub question_text: String,
    /// The question in other languages: (language code, text).
    pub translations: Vec<(String, String)>,
    pub choices: String,
    pub is_editable: bool,
    pub keep_value: bool,
    /// The row's messages but the translations' (shown beside them).
    pub errors: Vec<String>,
    pub translations_error: Option<String>,
    pub invalid: Vec<&'static str>,
}

impl AttributeRowView {
    /// The translations, and one blank row for the next.
    pub fn translation_rows(&self) -> Vec<(&str, &str)> {
        let given = self.translations.iter();
        let rows = given.map(|(code, text)| (code.as_str(), text.as_str()));
        rows.chain(std::iter::once(("", ""))).collect()
    }

    /// Whether the language picker lists `code` (a stored code it does
    /// not list is offered too, so that it is kept).
    pub fn is_listed_language(&self, code: &str) -> bool {
        LANGUAGES.iter().any(|(c, _)| *c == code)
    }
}

#[derive(Template)]
#[template(path = "admin/catalogs/attributes.html")]
struct AttributesPage {
    layout: Layout,
    catalog: CatalogRow,
    resource: CatalogResourceRow,
    rows: Vec<AttributeRowView>,
    has_errors: bool,
    built_ins: &'static [&'static str],
    formats: Vec<(&'static str, &'static str)>,
}

/// Blank rows offered below the saved ones, so rows can be added without JavaScript.
const BLANK_ROWS: usize = 2;

fn view_rows(inputs: &[AttributeRowInput], errors: &FieldErrors) -> Vec<AttributeRowView> {
    let mut rows: Vec<AttributeRowView> = inputs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let fields = [
                "attribute_name",
                "answer_format",
                "question_text",
                "localizations",
                "choices",
            ];
            let found: Vec<(&'static str, String)> = fields
                .iter()
                .filter_map(|f| {
                    errors
                        .get(&format!("row{i}.{f}"))
                        .map(|m| (*f, m.to_string()))
                })
                .collect();
            AttributeRowView {
                index: i,
                attribute_name: r.attribute_name.clone(),
                answer_format: if r.answer_format.is_empty() {
                    "shortText".into()
                } else {
                    r.answer_format.clone()
                },
                question_text: r.question_text.clone(),
                translations: r.translations.clone(),
                choices: r.choices.clone(),
                is_editable: r.is_editable,
                keep_value: r.keep_value,
                invalid: found.iter().map(|(f, _)| *f).collect(),
                translations_error: found
                    .iter()
                    .find(|(f, _)| *f == "localizations")
                    .map(|(_, m)| m.clone()),
                errors: found
                    .into_iter()
                    .filter(|(f, _)| *f != "localizations")
                    .map(|(_, m)| m)
                    .collect(),
            }
        })
        .collect();
    let start = rows.len();
    for i in start..start + BLANK_ROWS {
        rows.push(AttributeRowView {
            index: i,
            attribute_name: String::new(),
            answer_format: "shortText".into(),
            question_text: String::new(),
            translations: vec![],
            choices: String::new(),
            is_editable: true,
            keep_value: true,
            errors: vec![],
            translations_error: None,
            invalid: vec![],
        });
    }
    rows
}

fn inputs_from(attrs: &[RequiredAttribute]) -> Vec<AttributeRowInput> {
    attrs
        .iter()
        .map(|a| AttributeRowInput {
            attribute_name: a.attribute_name.clone(),
            answer_format: a.answer_format.as_str().into(),
            question_text: a.question_text.clone(),
            translations: a
                .localizations
                .iter()
                .map(|l| (l.language_code.clone(), l.text.clone()))
                .collect(),
            choices: a.choices.join("\n"),
            is_editable: a.is_editable,
            keep_value: a.keep_value,
        })
        .collect()
}

async fn attributes_page(
    cx: &Ctx<impl ConsoleWho>,
    id: &CatalogId,
    rid: &CatalogResourceId,
    submitted: Option<(Vec<AttributeRowInput>, FieldErrors)>,
) -> Reply {
    let (catalog, resource, stored) = svc::resource_attributes(cx.store(), id, rid).await?;
    let (inputs, errors) = submitted.unwrap_or_else(|| (inputs_from(&stored), FieldErrors::new()));
    render_status(
        form_status(&errors),
        &AttributesPage {
            layout: cx.layout(format!("Require attributes: {}", resource.display_name)),
            rows: view_rows(&inputs, &errors),
            has_errors: !errors.is_empty(),
            catalog,
            resource,
            built_ins: BUILT_IN_REQUIRABLE,
            formats: AnswerFormat::ALL
                .iter()
                .map(|f| (f.as_str(), f.label()))
                .collect(),
        },
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn attributes_form(
    cx: CatalogConsole<ManageCatalog>,
    PathIds(id, rid): PathIds<CatalogId, CatalogResourceId>,
) -> Reply {
    attributes_page(&cx, &id, &rid, None).await
}

/// The required-attributes form as posted: its `field_{i}` rows (a row with
/// `remove_{i}` ticked, or left blank, dropped), each with its translations
/// (`lang{j}_{i}` and `loc{j}_{i}`), and which "+ Add" button was pressed
/// (without the page script: the form comes back with one more blank row,
/// nothing saved).
#[derive(Deserialize)]
#[serde(from = "HashMap<String, String>")]
pub(super) struct AttributesForm {
    rows: Vec<AttributeRowInput>,
    add: Option<Add>,
}

/// What a "+ Add" button without the page script adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Add {
    Attribute,
    /// Each attribute already shows a blank translation row after its own;
    /// the form comes back with the one filled in kept.
    Translation,
}

impl From<HashMap<String, String>> for AttributesForm {
    fn from(form: HashMap<String, String>) -> AttributesForm {
        let count: usize = form
            .get("row_count")
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
            .min(50);
        let rows = (0..count)
            .filter(|i| !form.contains_key(&format!("remove_{i}")))
            .map(|i| {
                let get = |f: &str| form.get(&format!("{f}_{i}")).cloned().unwrap_or_default();
                AttributeRowInput {
                    attribute_name: get("attribute_name"),
                    answer_format: get("answer_format"),
                    question_text: get("question_text"),
                    translations: translations_of(&form, i),
                    choices: get("choices"),
                    is_editable: form.contains_key(&format!("is_editable_{i}")),
                    keep_value: form.contains_key(&format!("keep_value_{i}")),
                }
            })
            .filter(|r| !r.is_blank())
            .collect();
        AttributesForm {
            rows,
            add: form.get("add").map(|a| match a.as_str() {
                "translation" => Add::Translation,
                _ => Add::Attribute,
            }),
        }
    }
}

/// Attribute `i`'s translations as posted, in order, those left blank out.
fn translations_of(form: &HashMap<String, String>, i: usize) -> Vec<(String, String)> {
    let suffix = format!("_{i}");
    let get = |f: &str, j: usize| form.get(&format!("{f}{j}{suffix}")).cloned();
    numbers(form, &["lang", "loc"], &suffix)
        .into_iter()
        .map(|j| {
            let language = get("lang", j).unwrap_or_default().trim().to_string();
            (language, get("loc", j).unwrap_or_default())
        })
        .filter(|(language, text)| !language.is_empty() || !text.trim().is_empty())
        // One more than an attribute keeps, for the check to refuse.
        .take(MAX_TRANSLATIONS + 1)
        .collect()
}

#[tracing::instrument(skip_all)]
pub(super) async fn save_attributes(
    cx: CatalogConsole<ManageCatalog>,
    PathIds(id, rid): PathIds<CatalogId, CatalogResourceId>,
    Form(form): Form<AttributesForm>,
) -> Reply {
    let mut inputs = form.rows;
    if form.add == Some(Add::Translation) {
        return attributes_page(&cx, &id, &rid, Some((inputs, FieldErrors::new()))).await;
    }
    if form.add.is_some() {
        // "+ Add attribute" without the page script: one more blank row,
        // nothing saved (rows left blank were dropped when read).
        inputs.push(AttributeRowInput {
            answer_format: "shortText".into(),
            is_editable: true,
            keep_value: true,
            ..Default::default()
        });
        return attributes_page(&cx, &id, &rid, Some((inputs, FieldErrors::new()))).await;
    }
    // The service takes only attributes that parse: a form that does not is
    // shown again (one read), and nothing is saved.
    let attrs = match parse_required_attributes(&inputs) {
        Ok(attrs) => attrs,
        Err(errors) => return attributes_page(&cx, &id, &rid, Some((inputs, errors))).await,
    };
    svc::save_required_attributes(cx.store(), &cx.actor(), &id, &rid, &attrs, cx.now()).await?;
    cx.done(
        "Required attributes saved.",
        &routes::ADMIN_CATALOG_RESOURCES.id(&id),
    )
}
