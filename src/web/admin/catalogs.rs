//! Admin › Catalogs: catalogs, their resources and required attributes.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::list::{Cell, ListSpec, col, num, render_list};
use super::{ListQuery, PER_PAGE};
use crate::domain::catalog::{
    AnswerFormat, AttributeRowInput, BUILT_IN_REQUIRABLE, CatalogProfile, OriginSystem,
    RequiredAttribute, format_localizations, parse_required_attributes,
};
use crate::domain::ids::{CatalogId, CatalogResourceId};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::{ServiceError, catalogs as svc};
use crate::store::catalogs::{CatalogResourceRow, CatalogRow, PackageSummary};
use crate::store::directory::ResourceSummary;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, page_number, redirect, render, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ADMIN_CATALOGS.as_str(), web::get().to(list))
        .route(routes::ADMIN_CATALOGS.as_str(), web::post().to(create))
        .route(routes::ADMIN_CATALOG_NEW.as_str(), web::get().to(new_form))
        .route(routes::ADMIN_CATALOG.pattern(), web::get().to(overview))
        .route(
            routes::ADMIN_CATALOG_RESOURCES.pattern(),
            web::get().to(resources),
        )
        .route(
            routes::ADMIN_CATALOG_RESOURCES.pattern(),
            web::post().to(add_resources),
        )
        .route(
            routes::ADMIN_CATALOG_RESOURCES_ADD.pattern(),
            web::get().to(add_resources_form),
        )
        .route(
            routes::ADMIN_CATALOG_RESOURCE_REMOVE.pattern(),
            web::post().to(remove_resource),
        )
        .route(
            routes::ADMIN_CATALOG_RESOURCE_ATTRIBUTES.pattern(),
            web::get().to(attributes_form),
        )
        .route(
            routes::ADMIN_CATALOG_RESOURCE_ATTRIBUTES.pattern(),
            web::post().to(save_attributes),
        )
        .route(
            routes::ADMIN_CATALOG_PACKAGES.pattern(),
            web::get().to(packages),
        )
        .route(
            routes::ADMIN_CATALOG_SETTINGS.pattern(),
            web::get().to(settings),
        )
        .route(
            routes::ADMIN_CATALOG_SETTINGS.pattern(),
            web::post().to(update),
        )
        .route(
            routes::ADMIN_CATALOG_DELETE.pattern(),
            web::post().to(delete),
        );
}

const LIST: ListSpec = ListSpec {
    title: "Catalogs",
    sub: "catalogs",
    path: routes::ADMIN_CATALOGS,
    new: routes::ADMIN_CATALOG_NEW,
    one: "catalog",
    many: "catalogs",
    placeholder: "Catalog name",
    columns: &[
        col("Name"),
        col("State"),
        col("Enabled for external users"),
        num("Resources"),
        num("Access packages"),
    ],
};

async fn list(
    state: Data,
    admin: AdminUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = svc::search(&state.store, &q.q, page_number(q.page), PER_PAGE).await?;
    render_list(&state, &admin, &LIST, &q, page, |c| {
        let enabled = c.enabled();
        vec![
            Cell::link(&c.display_name, routes::ADMIN_CATALOG.id(&c.id)).note(c.description),
            Cell::badge(
                if enabled { "Enabled" } else { "Disabled" },
                if enabled { "ok" } else { "muted" },
            ),
            Cell::yes_no(c.is_externally_visible),
            Cell::num(c.resource_count),
            Cell::num(c.package_count),
        ]
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CatalogForm {
    display_name: String,
    description: String,
    /// Checkboxes: present when ticked.
    enabled: Option<String>,
    external: Option<String>,
}

impl CatalogForm {
    fn profile(&self) -> Result<CatalogProfile, FieldErrors> {
        CatalogProfile::parse(
            &self.display_name,
            &self.description,
            self.enabled.is_some(),
            self.external.is_some(),
        )
    }
    fn from_row(c: &CatalogRow) -> CatalogForm {
        CatalogForm {
            display_name: c.display_name.clone(),
            description: c.description.clone().unwrap_or_default(),
            enabled: c.enabled().then(|| "on".into()),
            external: c.is_externally_visible.then(|| "on".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/catalog_new.html")]
struct NewCatalog {
    layout: Layout,
    form: CatalogForm,
    errors: FieldErrors,
}

async fn new_form(state: Data, admin: AdminUser) -> Result<HttpResponse, AppError> {
    render(&NewCatalog {
        layout: Layout::for_user(&state, &admin, "admin", "New catalog"),
        form: CatalogForm {
            enabled: Some("on".into()),
            external: Some("on".into()),
            ..Default::default()
        },
        errors: FieldErrors::new(),
    })
}

async fn create(
    state: Data,
    admin: AdminUser,
    session: Session,
    form: Form<CatalogForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let result = match form.profile() {
        Ok(p) => svc::create(&state.store, &admin.actor(), &p, state.clock.now()).await,
        Err(e) => Err(ServiceError::Invalid(e)),
    };
    match result {
        Ok(id) => {
            TypedSession(session).flash(
                "success",
                format!("Catalog {} created.", form.display_name.trim()),
            );
            Ok(redirect(&routes::ADMIN_CATALOG.id(&id)))
        }
        Err(ServiceError::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewCatalog {
                layout: Layout::for_user(&state, &admin, "admin", "New catalog"),
                form,
                errors,
            },
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/catalog.html")]
struct CatalogPage {
    layout: Layout,
    catalog: CatalogRow,
    section: &'static str,
    resources: Vec<CatalogResourceRow>,
    packages: Vec<PackageSummary>,
    form: CatalogForm,
    errors: FieldErrors,
}

fn parse_id(raw: &str) -> Result<CatalogId, AppError> {
    CatalogId::parse(raw).ok_or(AppError::NotFound)
}

async fn catalog_page(
    state: &Data,
    admin: &AdminUser,
    id: &CatalogId,
    section: &'static str,
    form: Option<CatalogForm>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let svc::CatalogView {
        catalog,
        resources,
        packages,
    } = svc::catalog(&state.store, id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &CatalogPage {
            layout: Layout::for_user(state, admin, "admin", catalog.display_name.clone()),
            form: form.unwrap_or_else(|| CatalogForm::from_row(&catalog)),
            catalog,
            section,
            resources,
            packages,
            errors,
        },
    )
}

async fn overview(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    catalog_page(
        &state,
        &admin,
        &parse_id(&path)?,
        "overview",
        None,
        FieldErrors::new(),
    )
    .await
}

async fn resources(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    catalog_page(
        &state,
        &admin,
        &parse_id(&path)?,
        "resources",
        None,
        FieldErrors::new(),
    )
    .await
}

async fn packages(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    catalog_page(
        &state,
        &admin,
        &parse_id(&path)?,
        "packages",
        None,
        FieldErrors::new(),
    )
    .await
}

async fn settings(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    catalog_page(
        &state,
        &admin,
        &parse_id(&path)?,
        "settings",
        None,
        FieldErrors::new(),
    )
    .await
}

async fn update(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    form: Form<CatalogForm>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let form = form.0;
    let result = match form.profile() {
        Ok(p) => svc::update(&state.store, &admin.actor(), &id, &p, state.clock.now()).await,
        Err(e) => Err(ServiceError::Invalid(e)),
    };
    match result {
        Ok(()) => {
            TypedSession(session).flash("success", "Catalog settings saved.");
            Ok(redirect(&routes::ADMIN_CATALOG_SETTINGS.id(&id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            catalog_page(&state, &admin, &id, "settings", Some(form), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    _form: Form<crate::web::extract::csrf::NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let session = TypedSession(session);
    match svc::delete(&state.store, &admin.actor(), &id, state.clock.now()).await {
        Ok(name) => {
            session.flash("success", format!("Catalog {name} deleted."));
            Ok(redirect(routes::ADMIN_CATALOGS.as_str()))
        }
        Err(ServiceError::Refused(m)) => {
            session.flash("error", m);
            Ok(redirect(&routes::ADMIN_CATALOG_SETTINGS.id(&id)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/catalog_add_resources.html")]
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
}

impl AddResources {
    fn held(&self, origin: &str, id: &str) -> bool {
        self.existing.iter().any(|k| *k == format!("{origin}:{id}"))
    }
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn add_resources_form(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    const SHOWN: i64 = 50;
    let svc::Candidates {
        catalog,
        groups,
        applications,
        sites,
        existing,
    } = svc::candidates(&state.store, &id, &q.q, SHOWN).await?;
    let more = [groups.total, applications.total, sites.total]
        .iter()
        .map(|t| (t - SHOWN).max(0))
        .sum();
    let page = AddResources {
        layout: Layout::for_user(&state, &admin, "admin", "Add resources"),
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

async fn add_resources(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    form: Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
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
    let session = TypedSession(session);
    match svc::add_resources(&state.store, &admin.actor(), &id, &picks, state.clock.now()).await {
        Ok(n) => {
            session.flash(
                "success",
                match n {
                    0 => "The catalog already held the selected resources.".to_string(),
                    1 => "1 resource added.".to_string(),
                    n => format!("{n} resources added."),
                },
            );
            Ok(redirect(&routes::ADMIN_CATALOG_RESOURCES.id(&id)))
        }
        Err(ServiceError::Refused(m)) => {
            session.flash("error", m);
            Ok(redirect(&routes::ADMIN_CATALOG_RESOURCES_ADD.id(&id)))
        }
        Err(e) => Err(e.into()),
    }
}

fn parse_resource(raw: &str) -> Result<CatalogResourceId, AppError> {
    CatalogResourceId::parse(raw).ok_or(AppError::NotFound)
}

async fn remove_resource(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    _form: Form<crate::web::extract::csrf::NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path.0)?;
    let rid = parse_resource(&path.1)?;
    let session = TypedSession(session);
    match svc::remove_resource(&state.store, &admin.actor(), &id, &rid, state.clock.now()).await {
        Ok(name) => session.flash("success", format!("{name} removed from the catalog.")),
        Err(ServiceError::Refused(m)) => session.flash("error", m),
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
    pub localizations: String,
    pub choices: String,
    pub is_editable: bool,
    pub keep_value: bool,
    pub errors: Vec<String>,
    pub invalid: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "admin/catalog_attributes.html")]
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
                localizations: r.localizations.clone(),
                choices: r.choices.clone(),
                is_editable: r.is_editable,
                keep_value: r.keep_value,
                invalid: found.iter().map(|(f, _)| *f).collect(),
                errors: found.into_iter().map(|(_, m)| m).collect(),
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
            localizations: String::new(),
            choices: String::new(),
            is_editable: true,
            keep_value: true,
            errors: vec![],
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
            localizations: format_localizations(&a.localizations),
            choices: a.choices.join("\n"),
            is_editable: a.is_editable,
            keep_value: a.keep_value,
        })
        .collect()
}

async fn attributes_page(
    state: &Data,
    admin: &AdminUser,
    id: &CatalogId,
    rid: &CatalogResourceId,
    submitted: Option<(Vec<AttributeRowInput>, FieldErrors)>,
) -> Result<HttpResponse, AppError> {
    let (catalog, resource, stored) = svc::resource_attributes(&state.store, id, rid).await?;
    let (inputs, errors) = submitted.unwrap_or_else(|| (inputs_from(&stored), FieldErrors::new()));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &AttributesPage {
            layout: Layout::for_user(
                state,
                admin,
                "admin",
                format!("Require attributes: {}", resource.display_name),
            ),
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

async fn attributes_form(
    state: Data,
    admin: AdminUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    attributes_page(
        &state,
        &admin,
        &parse_id(&path.0)?,
        &parse_resource(&path.1)?,
        None,
    )
    .await
}

/// Reads `field_{i}` rows; a row with `remove_{i}` ticked is dropped.
fn rows_from_form(form: &HashMap<String, String>) -> Vec<AttributeRowInput> {
    let count: usize = form
        .get("row_count")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
        .min(50);
    (0..count)
        .filter(|i| !form.contains_key(&format!("remove_{i}")))
        .map(|i| {
            let get = |f: &str| form.get(&format!("{f}_{i}")).cloned().unwrap_or_default();
            AttributeRowInput {
                attribute_name: get("attribute_name"),
                answer_format: get("answer_format"),
                question_text: get("question_text"),
                localizations: get("localizations"),
                choices: get("choices"),
                is_editable: form.contains_key(&format!("is_editable_{i}")),
                keep_value: form.contains_key(&format!("keep_value_{i}")),
            }
        })
        .filter(|r| !r.is_blank())
        .collect()
}

async fn save_attributes(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    form: Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path.0)?;
    let rid = parse_resource(&path.1)?;
    let inputs = rows_from_form(&form.0);
    let result = match parse_required_attributes(&inputs) {
        Ok(attrs) => {
            svc::save_required_attributes(
                &state.store,
                &admin.actor(),
                &id,
                &rid,
                &attrs,
                state.clock.now(),
            )
            .await
        }
        Err(e) => Err(ServiceError::Invalid(e)),
    };
    match result {
        Ok(()) => {
            TypedSession(session).flash("success", "Required attributes saved.");
            Ok(redirect(&routes::ADMIN_CATALOG_RESOURCES.id(&id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            attributes_page(&state, &admin, &id, &rid, Some((inputs, errors))).await
        }
        Err(e) => Err(e.into()),
    }
}
