//! Admin › Access packages: the creation wizard, the package page with its
//! resource roles, policies and settings.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{ListQuery, PER_PAGE, page_link};
use crate::domain::catalog::OriginSystem;
use crate::domain::ids::{AccessPackageId, CatalogId, CatalogResourceId};
use crate::domain::policy::AllowedTargetScope;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::ServiceError;
use crate::service::packages::{self as svc, PackageSettings, RolePick};
use crate::service::policy_form::{self, Fields};
use crate::store::catalogs::{self, CatalogRow};
use crate::store::packages::{self, PackageListRow, PackageRow, RoleScopeRow};
use crate::store::{Conn, Page, directory as dir, policies};
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, Layout, page_number, redirect, render, render_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ADMIN_PACKAGES.as_str(), web::get().to(list))
        .route(
            routes::ADMIN_PACKAGE_NEW.as_str(),
            web::get().to(wizard_start),
        )
        .route(
            routes::ADMIN_PACKAGE_NEW.as_str(),
            web::post().to(wizard_step),
        )
        .route(routes::ADMIN_PACKAGE.pattern(), web::get().to(overview))
        .route(
            routes::ADMIN_PACKAGE_ROLES.pattern(),
            web::get().to(roles_page),
        )
        .route(
            routes::ADMIN_PACKAGE_ROLES.pattern(),
            web::post().to(add_role),
        )
        .route(
            routes::ADMIN_PACKAGE_ROLE_REMOVE.pattern(),
            web::post().to(remove_role),
        )
        .route(
            routes::ADMIN_PACKAGE_POLICIES.pattern(),
            web::get().to(policies_page),
        )
        .route(
            routes::ADMIN_PACKAGE_POLICIES.pattern(),
            web::post().to(create_policy),
        )
        .route(
            routes::ADMIN_PACKAGE_POLICY_NEW.pattern(),
            web::get().to(new_policy),
        )
        .route(
            routes::ADMIN_PACKAGE_POLICY.pattern(),
            web::get().to(edit_policy),
        )
        .route(
            routes::ADMIN_PACKAGE_POLICY.pattern(),
            web::post().to(update_policy),
        )
        .route(
            routes::ADMIN_PACKAGE_POLICY_STATE.pattern(),
            web::post().to(policy_state),
        )
        .route(
            routes::ADMIN_PACKAGE_SETTINGS.pattern(),
            web::get().to(settings_page),
        )
        .route(
            routes::ADMIN_PACKAGE_SETTINGS.pattern(),
            web::post().to(update_settings),
        )
        .route(
            routes::ADMIN_PACKAGE_DELETE.pattern(),
            web::post().to(delete),
        );
}

/// Gives a page struct the accessors its policy-form templates use.
macro_rules! form_accessors {
    ($t:ty) => {
        // Each page uses the accessors its templates need.
        #[allow(dead_code)]
        impl $t {
            fn v(&self, k: &str) -> &str {
                policy_form::get(&self.f, k)
            }
            fn on(&self, k: &str) -> bool {
                policy_form::on(&self.f, k)
            }
            fn err(&self, k: &str) -> Option<&str> {
                self.errors.get(k)
            }
            fn has_err(&self, k: &str) -> bool {
                self.errors.get(k).is_some()
            }
            /// The filled rows (compacted by the handler) and one blank row.
            fn question_rows(&self) -> Vec<usize> {
                let n: usize = self.v("q_count").parse().unwrap_or(0);
                (0..=n.min(50)).collect()
            }
            fn step_label(&self, k: &str) -> &'static str {
                let step = step_of(k);
                STEPS
                    .iter()
                    .find(|(s, _)| *s == step)
                    .map(|(_, l)| *l)
                    .unwrap_or("")
            }
            fn qk(&self, i: &usize, k: &str) -> String {
                format!("q{i}_{k}")
            }
            fn sk(&self, n: &usize, k: &str) -> String {
                format!("s{n}_{k}")
            }
            fn stage_err(&self, n: &usize, k: &str) -> Option<&str> {
                self.errors.get(&format!("stage{n}.{k}"))
            }
            fn q_err(&self, n: &usize, k: &str) -> Option<&str> {
                self.errors.get(&format!("question{n}.{k}"))
            }
        }
    };
}

// ---- list ----

#[derive(Template)]
#[template(path = "admin/packages.html")]
struct PackageList {
    layout: Layout,
    q: String,
    page: Page<PackageListRow>,
    prev: String,
    next: String,
}

async fn list(
    state: Data,
    admin: AdminUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page_no = page_number(q.page);
    let mut conn = state.store.read().await?;
    let page = packages::search(&mut conn, &q.q, page_no, PER_PAGE).await?;
    render(&PackageList {
        layout: Layout::for_user(&state, &admin, "admin", "Access packages"),
        prev: page_link(routes::ADMIN_PACKAGES.as_str(), &q.q, page_no - 1),
        next: page_link(routes::ADMIN_PACKAGES.as_str(), &q.q, page_no + 1),
        q: q.q.clone(),
        page,
    })
}

// ---- the wizard ----

const STEPS: [(&str, &str); 6] = [
    ("basics", "Basics"),
    ("roles", "Resource roles"),
    ("requests", "Requests"),
    ("requestor", "Requestor information"),
    ("lifecycle", "Lifecycle"),
    ("review", "Review + create"),
];

/// Which wizard step a form field (or an error key) belongs to.
fn step_of(key: &str) -> &'static str {
    if matches!(key, "name" | "description" | "catalog") {
        "basics"
    } else if key.starts_with("role_") || key == "show_all" || key == "roles" {
        "roles"
    } else if key.starts_with("q_")
        || key.starts_with('q') && key[1..].starts_with(|c: char| c.is_ascii_digit())
        || key.starts_with("question")
    {
        "requestor"
    } else if key.starts_with("expiration")
        || matches!(
            key,
            "allow_extension" | "approval_update_required" | "custom_schedule"
        )
    {
        "lifecycle"
    } else {
        "requests"
    }
}

/// A resource the roles step offers, with its roles and the chosen one.
pub struct RoleChoice {
    pub key: String,
    pub name: String,
    pub type_label: &'static str,
    pub in_catalog: bool,
    pub roles: Vec<(String, String)>,
    pub chosen: String,
}

pub struct AttributeInfo {
    pub resource: String,
    pub attribute: String,
    pub question: String,
}

#[derive(Template)]
#[template(path = "admin/package_wizard.html")]
struct Wizard {
    layout: Layout,
    step: &'static str,
    steps: Vec<(&'static str, &'static str)>,
    catalogs: Vec<CatalogRow>,
    catalog_name: String,
    draft: String,
    f: Fields,
    errors: FieldErrors,
    resources: Vec<RoleChoice>,
    attributes: Vec<AttributeInfo>,
    scopes: Vec<(&'static str, &'static str)>,
    review: Vec<(String, String)>,
}

form_accessors!(Wizard);

#[derive(Deserialize, Default)]
pub struct StartQuery {
    catalog: Option<String>,
}

async fn wizard_start(
    state: Data,
    admin: AdminUser,
    q: web::Query<StartQuery>,
) -> Result<HttpResponse, AppError> {
    let mut f = policy_form::defaults("Initial policy");
    if let Some(c) = q.catalog.as_deref().and_then(CatalogId::parse) {
        f.insert("catalog".into(), c.to_string());
    }
    wizard_page(&state, &admin, "basics", f, FieldErrors::new()).await
}

fn scope_choices() -> Vec<(&'static str, &'static str)> {
    AllowedTargetScope::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect()
}

async fn role_choices(
    conn: &mut Conn,
    catalog: Option<&CatalogId>,
    f: &Fields,
) -> Result<Vec<RoleChoice>, AppError> {
    let mut out = Vec::new();
    let Some(catalog) = catalog else {
        return Ok(out);
    };
    let in_catalog = catalogs::resources(conn, catalog).await?;
    let mut held: Vec<String> = Vec::new();
    for r in &in_catalog {
        let origin = OriginSystem::parse(&r.origin_system).unwrap_or(OriginSystem::AadGroup);
        held.push(format!("{}:{}", r.origin_system, r.origin_id));
        let key = r.id.clone();
        out.push(RoleChoice {
            chosen: policy_form::get(f, &format!("role_{key}")).to_string(),
            roles: catalogs::role_options(conn, origin, &r.origin_id).await?,
            name: r.display_name.clone(),
            type_label: origin.label(),
            in_catalog: true,
            key,
        });
    }
    if policy_form::on(f, "show_all") {
        // Administrators may add directory resources not yet in the catalog.
        let found = [
            (
                OriginSystem::AadGroup,
                dir::search_groups(conn, "", 1, 100).await?.items,
            ),
            (
                OriginSystem::AadApplication,
                dir::search_applications(conn, "", 1, 100).await?.items,
            ),
            (
                OriginSystem::SharePointOnline,
                dir::search_sites(conn, "", 1, 100).await?.items,
            ),
        ];
        for (origin, items) in found {
            for r in items {
                let key = format!("{}:{}", origin.as_str(), r.id);
                if held.contains(&key) {
                    continue;
                }
                out.push(RoleChoice {
                    chosen: policy_form::get(f, &format!("role_{key}")).to_string(),
                    roles: catalogs::role_options(conn, origin, &r.id).await?,
                    name: r.display_name,
                    type_label: origin.label(),
                    in_catalog: false,
                    key,
                });
            }
        }
    }
    Ok(out)
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

/// The attributes the chosen resources require, shown read-only.
async fn required_attributes(
    conn: &mut Conn,
    catalog: &CatalogId,
    resource_ids: &[String],
) -> Result<Vec<AttributeInfo>, AppError> {
    let mut out = Vec::new();
    for r in catalogs::resources(conn, catalog).await? {
        if !resource_ids.contains(&r.id) || r.attribute_count == 0 {
            continue;
        }
        let rid = CatalogResourceId::from_stored(r.id.clone());
        for a in catalogs::required_attributes(conn, &rid).await? {
            out.push(AttributeInfo {
                resource: r.display_name.clone(),
                attribute: a.attribute_name,
                question: a.question_text,
            });
        }
    }
    Ok(out)
}

async fn wizard_page(
    state: &Data,
    admin: &AdminUser,
    step: &'static str,
    f: Fields,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.store.read().await?;
    let catalog = f.get("catalog").and_then(|c| CatalogId::parse(c));
    let catalog_row = match &catalog {
        Some(c) => catalogs::get(&mut conn, c).await?,
        None => None,
    };
    let catalogs_list = catalogs::search(&mut conn, "", 1, 500).await?.items;
    let resources = if step == "roles" || step == "review" {
        role_choices(&mut conn, catalog.as_ref(), &f).await?
    } else {
        vec![]
    };
    let chosen: Vec<String> = picks(&f).into_iter().map(|p| p.resource).collect();
    let attributes = match (&catalog, step) {
        (Some(c), "requestor" | "review") => required_attributes(&mut conn, c, &chosen).await?,
        _ => vec![],
    };
    let review = if step == "review" {
        let mut r = vec![
            (
                "Catalog".to_string(),
                catalog_row
                    .as_ref()
                    .map(|c| c.display_name.clone())
                    .unwrap_or_default(),
            ),
            ("Name".to_string(), policy_form::get(&f, "name").to_string()),
            (
                "Description".to_string(),
                policy_form::get(&f, "description").to_string(),
            ),
        ];
        for p in picks(&f) {
            let role = resources
                .iter()
                .find(|c| c.key == p.resource)
                .map(|c| {
                    let role = c
                        .roles
                        .iter()
                        .find(|(id, _)| *id == p.role)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                    format!("{} ({})", c.name, role)
                })
                .unwrap_or_default();
            r.push(("Resource role".into(), role));
        }
        let scope = AllowedTargetScope::parse(policy_form::get(&f, "scope"))
            .map(|s| s.label())
            .unwrap_or("");
        r.push((
            "Policy".into(),
            policy_form::get(&f, "policy_name").to_string(),
        ));
        r.push(("Who can request".into(), scope.to_string()));
        r.push((
            "Approval".into(),
            if policy_form::on(&f, "approval_required") {
                format!("Required, {} stage(s)", policy_form::get(&f, "stage_count"))
            } else {
                "Not required".into()
            },
        ));
        r.push((
            "Questions".into(),
            policy_form::get(&f, "q_count").to_string(),
        ));
        r.push((
            "Expiration".into(),
            match policy_form::get(&f, "expiration_type") {
                "never" => "Never".to_string(),
                "date" => format!("On {}", policy_form::get(&f, "expiration_date")),
                "hours" => format!("After {} hours", policy_form::get(&f, "expiration_hours")),
                _ => format!("After {} days", policy_form::get(&f, "expiration_days")),
            },
        ));
        r
    } else {
        vec![]
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &Wizard {
            layout: Layout::for_user(state, admin, "admin", "New access package"),
            step,
            steps: STEPS.to_vec(),
            catalogs: catalogs_list,
            catalog_name: catalog_row.map(|c| c.display_name).unwrap_or_default(),
            draft: serde_json::to_string(&f).unwrap_or_else(|_| "{}".into()),
            f,
            errors,
            resources,
            attributes,
            scopes: scope_choices(),
            review,
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

async fn validate_all(
    state: &Data,
    f: &Fields,
) -> Result<(FieldErrors, Option<crate::domain::policy::Policy>), AppError> {
    let mut e = FieldErrors::new();
    if let Err(b) = svc::parse_basics(
        policy_form::get(f, "name"),
        policy_form::get(f, "description"),
    ) {
        e.merge(&b);
    }
    let mut conn = state.store.read().await?;
    match f.get("catalog").and_then(|c| CatalogId::parse(c)) {
        Some(c) if catalogs::get(&mut conn, &c).await?.is_some() => {}
        _ => e.add("catalog", "Choose the catalog the package belongs to."),
    }
    let policy = match policy_form::parse(&mut conn, f, state.clock.now()).await? {
        Ok(p) => Some(p),
        Err(pe) => {
            e.merge(&pe);
            None
        }
    };
    Ok((e, policy))
}

async fn wizard_step(
    state: Data,
    admin: AdminUser,
    session: Session,
    form: Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let posted = form.0;
    let mut f: Fields = posted
        .get("draft")
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let current = posted
        .get("step")
        .and_then(|s| step_named(s))
        .unwrap_or("basics");
    // The step's own fields replace what the draft had (unticked boxes included).
    if current == "roles" {
        // The step posts every role it shows: earlier picks are replaced, not kept.
        f.retain(|k, _| !k.starts_with("role_"));
        f.remove("show_all");
        for (k, v) in &posted {
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
        for (k, v) in &posted {
            if !matches!(k.as_str(), "draft" | "step" | "go" | "csrf_token")
                && step_of(k) == current
            {
                f.insert(k.clone(), v.clone());
            }
        }
    }
    policy_form::compact_questions(&mut f);
    let go = posted.get("go").map(String::as_str).unwrap_or("next");
    let index = STEPS.iter().position(|(s, _)| *s == current).unwrap_or(0);
    let (errors, policy) = validate_all(&state, &f).await?;
    let target = match go {
        "back" => STEPS[index.saturating_sub(1)].0,
        "next" => {
            let mine = errors_for(&errors, current);
            if !mine.is_empty() {
                return wizard_page(&state, &admin, current, f, mine).await;
            }
            STEPS[(index + 1).min(STEPS.len() - 1)].0
        }
        "create" => {
            let (Some(policy), true) = (policy, errors.is_empty()) else {
                return wizard_page(&state, &admin, "review", f, errors).await;
            };
            let basics = svc::parse_basics(
                policy_form::get(&f, "name"),
                policy_form::get(&f, "description"),
            )
            .map_err(|_| AppError::BadRequest("The name is missing.".into()))?;
            let catalog = f
                .get("catalog")
                .and_then(|c| CatalogId::parse(c))
                .ok_or(AppError::NotFound)?;
            return match svc::create(
                &state.store,
                &admin.actor(),
                &catalog,
                &basics,
                &picks(&f),
                &policy,
                state.clock.now(),
            )
            .await
            {
                Ok(id) => {
                    TypedSession(session).flash(
                        "success",
                        format!("Access package {} created.", basics.name),
                    );
                    Ok(redirect(&routes::ADMIN_PACKAGE.id(&id)))
                }
                Err(ServiceError::Invalid(e)) => wizard_page(&state, &admin, "review", f, e).await,
                Err(e) => Err(e.into()),
            };
        }
        other => step_named(other).unwrap_or(current),
    };
    let shown = if target == "review" {
        errors
    } else {
        FieldErrors::new()
    };
    wizard_page(&state, &admin, target, f, shown).await
}

// ---- the package page ----

#[derive(Template)]
#[template(path = "admin/package.html")]
struct PackagePage {
    layout: Layout,
    package: PackageRow,
    catalog_name: String,
    section: &'static str,
    direct_link: String,
    scopes: Vec<RoleScopeRow>,
    resources: Vec<RoleChoice>,
    policies: Vec<(String, String, bool, &'static str)>,
    incompatible_packages: String,
    incompatible_groups: String,
    errors: FieldErrors,
    f: Fields,
}

form_accessors!(PackagePage);

fn parse_id(raw: &str) -> Result<AccessPackageId, AppError> {
    AccessPackageId::parse(raw).ok_or(AppError::NotFound)
}

async fn package_page(
    state: &Data,
    admin: &AdminUser,
    id: &AccessPackageId,
    section: &'static str,
    errors: FieldErrors,
    f: Option<Fields>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.store.read().await?;
    let package = packages::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let catalog = CatalogId::from_stored(package.catalog_id.clone());
    let catalog_name = catalogs::get(&mut conn, &catalog)
        .await?
        .map(|c| c.display_name)
        .unwrap_or_default();
    let scopes = packages::role_scopes(&mut conn, id).await?;
    let resources = if section == "roles" {
        role_choices(&mut conn, Some(&catalog), &Fields::new()).await?
    } else {
        vec![]
    };
    let policies = policies::for_package(&mut conn, id)
        .await?
        .into_iter()
        .map(|(pid, p)| {
            (
                pid,
                p.display_name,
                p.enabled,
                p.allowed_target_scope.label(),
            )
        })
        .collect();
    let names =
        |v: Vec<(String, String)>| v.into_iter().map(|(_, n)| n).collect::<Vec<_>>().join("\n");
    let f = f.unwrap_or_else(|| {
        let mut f = Fields::new();
        f.insert("name".into(), package.display_name.clone());
        f.insert(
            "description".into(),
            package.description.clone().unwrap_or_default(),
        );
        if package.is_hidden {
            f.insert("hidden".into(), "on".into());
        }
        f
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &PackagePage {
            layout: Layout::for_user(state, admin, "admin", package.display_name.clone()),
            direct_link: state.config.url_for(&routes::PACKAGE.id(&package.id)),
            incompatible_packages: names(packages::incompatible_packages(&mut conn, id).await?),
            incompatible_groups: names(packages::incompatible_groups(&mut conn, id).await?),
            package,
            catalog_name,
            section,
            scopes,
            resources,
            policies,
            errors,
            f,
        },
    )
}

async fn overview(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    package_page(
        &state,
        &admin,
        &parse_id(&path)?,
        "overview",
        FieldErrors::new(),
        None,
    )
    .await
}

async fn roles_page(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    package_page(
        &state,
        &admin,
        &parse_id(&path)?,
        "roles",
        FieldErrors::new(),
        None,
    )
    .await
}

async fn policies_page(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    package_page(
        &state,
        &admin,
        &parse_id(&path)?,
        "policies",
        FieldErrors::new(),
        None,
    )
    .await
}

async fn settings_page(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    package_page(
        &state,
        &admin,
        &parse_id(&path)?,
        "settings",
        FieldErrors::new(),
        None,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    resource: String,
    role: String,
}

async fn add_role(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    form: Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let (resource, role) = match form.0.resource.split_once('|') {
        Some((r, role)) => (r.to_string(), role.to_string()),
        None => (form.0.resource.clone(), form.0.role.clone()),
    };
    let session = TypedSession(session);
    match svc::add_role(
        &state.store,
        &admin.actor(),
        &id,
        &RolePick { resource, role },
        state.clock.now(),
    )
    .await
    {
        Ok(()) => session.flash(
            "success",
            "Resource role added. People who hold the package get it too.",
        ),
        Err(ServiceError::Refused(m)) => session.flash("error", m),
        Err(ServiceError::Invalid(e)) => session.flash("error", e.messages()),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&routes::ADMIN_PACKAGE_ROLES.id(&id)))
}

async fn remove_role(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    _form: Form<crate::web::extract::csrf::NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path.0)?;
    svc::remove_role(
        &state.store,
        &admin.actor(),
        &id,
        &path.1,
        state.clock.now(),
    )
    .await?;
    TypedSession(session).flash(
        "success",
        "Resource role removed: holders who had it through nothing else lost it.",
    );
    Ok(redirect(&routes::ADMIN_PACKAGE_ROLES.id(&id)))
}

// ---- policies ----

#[derive(Template)]
#[template(path = "admin/policy_form.html")]
struct PolicyPage {
    layout: Layout,
    package: PackageRow,
    policy_id: Option<String>,
    f: Fields,
    errors: FieldErrors,
    attributes: Vec<AttributeInfo>,
    scopes: Vec<(&'static str, &'static str)>,
}

form_accessors!(PolicyPage);

async fn policy_page(
    state: &Data,
    admin: &AdminUser,
    id: &AccessPackageId,
    policy_id: Option<String>,
    f: Fields,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.store.read().await?;
    let package = packages::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let catalog = CatalogId::from_stored(package.catalog_id.clone());
    let used: Vec<String> = packages::role_scopes(&mut conn, id)
        .await?
        .into_iter()
        .map(|s| s.catalog_resource_id)
        .collect();
    let attributes = required_attributes(&mut conn, &catalog, &used).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &PolicyPage {
            layout: Layout::for_user(
                state,
                admin,
                "admin",
                format!("Policy of {}", package.display_name),
            ),
            package,
            policy_id,
            f,
            errors,
            attributes,
            scopes: scope_choices(),
        },
    )
}

async fn new_policy(
    state: Data,
    admin: AdminUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    policy_page(
        &state,
        &admin,
        &id,
        None,
        policy_form::defaults(""),
        FieldErrors::new(),
    )
    .await
}

async fn edit_policy(
    state: Data,
    admin: AdminUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path.0)?;
    let mut conn = state.store.read().await?;
    let policy = policies::get(&mut conn, &id, &path.1)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = policy_form::fields_of(&mut conn, &policy).await?;
    drop(conn);
    policy_page(
        &state,
        &admin,
        &id,
        Some(path.1.clone()),
        f,
        FieldErrors::new(),
    )
    .await
}

fn fields(posted: HashMap<String, String>) -> Fields {
    let mut f: Fields = posted
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();
    policy_form::compact_questions(&mut f);
    f
}

async fn create_policy(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    form: Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let f = fields(form.0);
    let parsed = {
        let mut conn = state.store.read().await?;
        policy_form::parse(&mut conn, &f, state.clock.now()).await?
    };
    match parsed {
        Ok(policy) => {
            svc::add_policy(
                &state.store,
                &admin.actor(),
                &id,
                &policy,
                state.clock.now(),
            )
            .await?;
            TypedSession(session).flash(
                "success",
                format!("Policy {} created.", policy.display_name),
            );
            Ok(redirect(&routes::ADMIN_PACKAGE_POLICIES.id(&id)))
        }
        Err(errors) => policy_page(&state, &admin, &id, None, f, errors).await,
    }
}

async fn update_policy(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    form: Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path.0)?;
    let f = fields(form.0);
    let parsed = {
        let mut conn = state.store.read().await?;
        policies::get(&mut conn, &id, &path.1)
            .await?
            .ok_or(AppError::NotFound)?;
        policy_form::parse(&mut conn, &f, state.clock.now()).await?
    };
    match parsed {
        Ok(policy) => {
            svc::update_policy(
                &state.store,
                &admin.actor(),
                &id,
                &path.1,
                &policy,
                state.clock.now(),
            )
            .await?;
            TypedSession(session)
                .flash("success", format!("Policy {} saved.", policy.display_name));
            Ok(redirect(&routes::ADMIN_PACKAGE_POLICIES.id(&id)))
        }
        Err(errors) => policy_page(&state, &admin, &id, Some(path.1.clone()), f, errors).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StateForm {
    /// enable | disable | delete
    action: String,
}

async fn policy_state(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    form: Form<StateForm>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path.0)?;
    let session = TypedSession(session);
    let now = state.clock.now();
    let result = match form.0.action.as_str() {
        "enable" => svc::set_policy_enabled(&state.store, &admin.actor(), &id, &path.1, true, now)
            .await
            .map(|n| format!("Policy {n} enabled.")),
        "disable" => {
            svc::set_policy_enabled(&state.store, &admin.actor(), &id, &path.1, false, now)
                .await
                .map(|n| format!("Policy {n} disabled."))
        }
        "delete" => svc::delete_policy(&state.store, &admin.actor(), &id, &path.1, now)
            .await
            .map(|n| format!("Policy {n} deleted.")),
        _ => {
            return Err(AppError::BadRequest(
                "Choose enable, disable or delete.".into(),
            ));
        }
    };
    match result {
        Ok(m) => session.flash("success", m),
        Err(ServiceError::Refused(m)) => session.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&routes::ADMIN_PACKAGE_POLICIES.id(&id)))
}

// ---- settings ----

async fn update_settings(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<String>,
    form: Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let f = fields(form.0);
    let mut errors = FieldErrors::new();
    let basics = svc::parse_basics(
        policy_form::get(&f, "name"),
        policy_form::get(&f, "description"),
    );
    if let Err(e) = &basics {
        errors.merge(e);
    }
    let mut incompatible_packages = Vec::new();
    let mut incompatible_groups = Vec::new();
    {
        let mut conn = state.store.read().await?;
        for name in policy_form::get(&f, "incompatible_packages")
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match packages::ids_by_name(&mut conn, name).await?.as_slice() {
                [p] => incompatible_packages.push(p.clone()),
                [] => errors.add("incompatible_packages", format!("No access package is named {name}.")),
                _ => errors.add(
                    "incompatible_packages",
                    format!("Several access packages are named {name}; rename one so they can be told apart."),
                ),
            }
        }
        for name in policy_form::get(&f, "incompatible_groups")
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match catalogs::origin_by_name(&mut conn, OriginSystem::AadGroup, name).await? {
                Some(g) => incompatible_groups.push(g),
                None => errors.add("incompatible_groups", format!("No group is named {name}.")),
            }
        }
    }
    if let (Ok(basics), true) = (basics, errors.is_empty()) {
        let s = PackageSettings {
            basics,
            hidden: policy_form::on(&f, "hidden"),
            incompatible_packages,
            incompatible_groups,
        };
        match svc::update_settings(&state.store, &admin.actor(), &id, &s, state.clock.now()).await {
            Ok(()) => {
                TypedSession(session).flash("success", "Settings saved.");
                return Ok(redirect(&routes::ADMIN_PACKAGE_SETTINGS.id(&id)));
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    package_page(&state, &admin, &id, "settings", errors, Some(f)).await
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
            session.flash("success", format!("Access package {name} deleted."));
            Ok(redirect(routes::ADMIN_PACKAGES.as_str()))
        }
        Err(ServiceError::Refused(m)) => {
            session.flash("error", m);
            Ok(redirect(&routes::ADMIN_PACKAGE_SETTINGS.id(&id)))
        }
        Err(e) => Err(e.into()),
    }
}
