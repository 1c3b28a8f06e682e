//! Admin › Connected systems: LDAP directories and SCIM 2.0 applications
//! that granted access is provisioned into.

use actix_web::{http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::list::{Cell, ForDelegates, ListSpec, Lists, col, num};
use crate::domain::connected_system::{
    LDAP_MATCH_ATTRIBUTES, LDAP_MEMBER_ATTRIBUTES, ReconcileMode, SCIM_MATCH, SystemInput,
    SystemKind, SystemProfile, SystemRun, SystemSettings,
};
use crate::domain::directory::SiteRole;
use crate::domain::directory_import::ImportSettings;
use crate::domain::ids::ConnectedSystemId;
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::connected_systems as svc;
use crate::service::imports::Summary;
use crate::service::{Saved, ServiceError};
use crate::store::connected_systems::{LinkRow, SystemRow};
use crate::web::admin::console::Console;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::path_id::PathId;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, redirect, render, render_status};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.editable(&LIST, create, new_form, show, update)
        .post(routes::ADMIN_SYSTEM_TEST, test)
        .post(routes::ADMIN_SYSTEM_RECONCILE, reconcile)
        .post(routes::ADMIN_SYSTEM_IMPORT, import_now)
        .post(routes::ADMIN_SYSTEM_DELETE, delete);
}

const LIST: ListSpec<SystemRow> = ListSpec {
    search: |store, _, q, at| Box::pin(svc::search(store, q, at)),
    title: "Connected systems",
    paths: routes::ADMIN_SYSTEMS,
    one: "connected system",
    placeholder: "System name",
    columns: &[
        col("Kind", |s| Cell::text(s.settings.kind().label())),
        num("Linked resources", |s| s.links),
        num("Waiting", |s| s.queued),
        num("Failed", |s| s.failed),
        col("Last test", |s| match &s.last_test {
            Some((_, true, _)) => Cell::badge("Worked", "ok"),
            Some((_, false, note)) => Cell::badge("Failed", "warn").note(Some(note)),
            None => Cell::text("Not tested"),
        }),
    ],
    delegates: ForDelegates::No,
};

/// The form's fields. A checkbox absent from the post is off.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SystemForm {
    kind: String,
    display_name: String,
    reconcile: String,
    secret: String,
    ldap_url: String,
    ldap_starttls: Option<String>,
    ldap_bind_dn: String,
    ldap_users_base: String,
    ldap_match_attribute: String,
    ldap_groups_base: String,
    ldap_member_attribute: String,
    ldap_guests_base: String,
    ldap_guest_rdn: String,
    ldap_placeholder: String,
    ldap_import: Option<String>,
    ldap_import_users_filter: String,
    ldap_import_groups_filter: String,
    ldap_import_map: String,
    scim_base_url: String,
    scim_match_by: String,
    scim_create_users: Option<String>,
}

impl SystemForm {
    fn input(&self) -> SystemInput {
        SystemInput {
            kind: self.kind.clone(),
            display_name: self.display_name.clone(),
            reconcile: self.reconcile.clone(),
            secret: self.secret.clone(),
            ldap_url: self.ldap_url.clone(),
            ldap_starttls: self.ldap_starttls.is_some(),
            ldap_bind_dn: self.ldap_bind_dn.clone(),
            ldap_users_base: self.ldap_users_base.clone(),
            ldap_match_attribute: self.ldap_match_attribute.clone(),
            ldap_groups_base: self.ldap_groups_base.clone(),
            ldap_member_attribute: self.ldap_member_attribute.clone(),
            ldap_guests_base: self.ldap_guests_base.clone(),
            ldap_guest_rdn: self.ldap_guest_rdn.clone(),
            ldap_placeholder: self.ldap_placeholder.clone(),
            ldap_import: self.ldap_import.is_some(),
            ldap_import_users_filter: self.ldap_import_users_filter.clone(),
            ldap_import_groups_filter: self.ldap_import_groups_filter.clone(),
            ldap_import_map: self.ldap_import_map.clone(),
            scim_base_url: self.scim_base_url.clone(),
            scim_match_by: self.scim_match_by.clone(),
            scim_create_users: self.scim_create_users.is_some(),
        }
    }

    fn defaults(kind: &str) -> SystemForm {
        SystemForm {
            kind: kind.into(),
            reconcile: ReconcileMode::Report.as_str().into(),
            ldap_match_attribute: "mail".into(),
            ldap_member_attribute: "member".into(),
            ldap_guest_rdn: "cn".into(),
            scim_match_by: "userName".into(),
            ldap_import_users_filter: ImportSettings::default().users_filter,
            ldap_import_groups_filter: ImportSettings::default().groups_filter,
            ldap_import_map: ImportSettings::default().map.to_text(),
            ..Default::default()
        }
    }

    fn of(s: &SystemRow) -> SystemForm {
        let mut f = SystemForm::defaults(s.settings.kind().as_str());
        f.display_name = s.display_name.clone();
        f.reconcile = s.reconcile.as_str().into();
        match &s.settings {
            SystemSettings::Ldap(l) => {
                f.ldap_url = l.url.clone();
                f.ldap_starttls = l.starttls.then(|| "on".into());
                f.ldap_bind_dn = l.bind_dn.clone();
                f.ldap_users_base = l.users_base.clone();
                f.ldap_match_attribute = l.match_attribute.clone();
                f.ldap_groups_base = l.groups_base.clone();
                f.ldap_member_attribute = l.member_attribute.clone();
                f.ldap_guests_base = l.guests_base.clone().unwrap_or_default();
                f.ldap_guest_rdn = l.guest_rdn.clone();
                f.ldap_placeholder = l.placeholder.clone().unwrap_or_default();
                f.ldap_import = l.import.enabled.then(|| "on".into());
                f.ldap_import_users_filter = l.import.users_filter.clone();
                f.ldap_import_groups_filter = l.import.groups_filter.clone();
                f.ldap_import_map = l.import.map.to_text();
            }
            SystemSettings::Scim(c) => {
                f.scim_base_url = c.base_url.clone();
                f.scim_match_by = c.match_by.clone();
                f.scim_create_users = c.create_users.then(|| "on".into());
            }
        }
        f
    }
}

#[derive(Template)]
#[template(path = "admin/connected_systems.html")]
struct SystemPage {
    layout: Layout,
    system: Option<SystemRow>,
    links: Vec<LinkRow>,
    form: SystemForm,
    errors: FieldErrors,
    match_attributes: &'static [&'static str],
    member_attributes: &'static [&'static str],
    scim_match: &'static [&'static str],
    modes: [ReconcileMode; 3],
    /// The last import: when, and what it did.
    import: Option<(String, Summary)>,
}

impl SystemPage {
    fn new(
        layout: Layout,
        system: Option<SystemRow>,
        links: Vec<LinkRow>,
        mut form: SystemForm,
        errors: FieldErrors,
    ) -> SystemPage {
        // A typed secret is never sent back to the browser.
        form.secret.clear();
        SystemPage {
            layout,
            system,
            links,
            form,
            errors,
            match_attributes: &LDAP_MATCH_ATTRIBUTES,
            member_attributes: &LDAP_MEMBER_ATTRIBUTES,
            scim_match: &SCIM_MATCH,
            modes: ReconcileMode::ALL,
            import: None,
        }
    }

    fn kind_label(&self) -> &'static str {
        SystemKind::parse(&self.form.kind).map_or("", SystemKind::label)
    }

    /// A link's drift as people read it.
    fn drift(&self, l: &LinkRow) -> String {
        drift_text(l)
    }

    /// What the last reconciliation found over the links, in words; empty
    /// before any link was compared.
    fn reconciliation(&self) -> String {
        let (mut compared, mut differ, mut failed) = (0, 0, 0);
        for l in self.links.iter().filter(|l| l.reconciled_at.is_some()) {
            compared += 1;
            if l.last_error.is_some() {
                failed += 1;
            } else if !l.missing.0.is_empty() || !l.unexpected.0.is_empty() {
                differ += 1;
            }
        }
        if compared == 0 {
            return String::new();
        }
        let plural = if compared == 1 { "" } else { "s" };
        let mut text = format!("{compared} linked group{plural}: {differ} differ from Gatehouse");
        if failed > 0 {
            text.push_str(&format!(", {failed} could not be read"));
        }
        text
    }

    /// A site link's role as the site's page names it ("SharePoint Visitor").
    fn site_role<'a>(&self, role: &'a str) -> &'a str {
        SiteRole::parse(role).map_or(role, |r| r.label())
    }
}

/// What reconciliation last found for a link, in words.
pub fn drift_text(l: &LinkRow) -> String {
    let (missing, unexpected) = (&l.missing.0, &l.unexpected.0);
    match (&l.reconciled_at, &l.last_error) {
        (None, _) => "Not reconciled yet".into(),
        (Some(_), Some(e)) => format!("Could not be compared: {e}"),
        (Some(_), None) if missing.is_empty() && unexpected.is_empty() => {
            "In line with Gatehouse".into()
        }
        (Some(_), None) => {
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("missing from the target: {}", missing.join(", ")));
            }
            if !unexpected.is_empty() {
                parts.push(format!(
                    "not granted by Gatehouse: {}",
                    unexpected.join(", ")
                ));
            }
            parts.join("; ")
        }
    }
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    kind: String,
}

#[tracing::instrument(skip_all)]
async fn new_form(cx: Console, q: web::Query<NewQuery>) -> Reply {
    let kind = if q.kind == "scim" { "scim" } else { "ldap" };
    render(&SystemPage::new(
        cx.layout("New connected system"),
        None,
        vec![],
        SystemForm::defaults(kind),
        FieldErrors::new(),
    ))
}

fn system_page(
    cx: &Console,
    view: svc::SystemView,
    form: Option<SystemForm>,
    errors: FieldErrors,
) -> Reply {
    let svc::SystemView {
        system,
        links,
        import,
    } = view;
    let form = form.unwrap_or_else(|| SystemForm::of(&system));
    let layout = cx.layout(system.display_name.clone());
    let mut page = SystemPage::new(layout, Some(system), links, form, errors);
    page.import = import;
    render_status(form_status(&page.errors), &page)
}

#[tracing::instrument(skip_all)]
async fn show(cx: Console, PathId(id): PathId<ConnectedSystemId>) -> Reply {
    let view = svc::system(cx.store(), &id).await?;
    system_page(&cx, view, None, FieldErrors::new())
}

#[tracing::instrument(skip_all)]
async fn create(cx: Console, Form(form): Form<SystemForm>) -> Reply {
    let profile = SystemProfile::parse(&form.input());
    match svc::save(cx.store(), &cx.actor(), None, profile, cx.now()).await {
        Ok(id) => cx.done(
            format!(
                "Connected system {} created. Test the connection before linking resources.",
                form.display_name.trim()
            ),
            &routes::ADMIN_SYSTEMS.item.id(&id),
        ),
        Err(ServiceError::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SystemPage::new(
                cx.layout("New connected system"),
                None,
                vec![],
                form,
                errors,
            ),
        ),
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all)]
async fn update(
    cx: Console,
    PathId(id): PathId<ConnectedSystemId>,
    Form(form): Form<SystemForm>,
) -> Reply {
    let profile = SystemProfile::parse(&form.input());
    match svc::update(cx.store(), &cx.actor(), &id, profile, cx.now()).await? {
        Saved::Done(()) => cx.done("Changes saved.", &routes::ADMIN_SYSTEMS.item.id(&id)),
        Saved::Again(view, errors) => system_page(&cx, view, Some(form), errors),
    }
}

#[tracing::instrument(skip_all)]
async fn test(cx: Console, PathId(id): PathId<ConnectedSystemId>, _form: Form<NoFields>) -> Reply {
    let outcome = svc::test(cx.store(), &cx.actor(), &id, cx.now()).await?;
    if outcome.ok {
        cx.session
            .flash("success", format!("Connection works: {}.", outcome.note));
    } else {
        cx.session
            .flash("error", format!("Connection failed: {}", outcome.note));
    }
    Ok(redirect(&routes::ADMIN_SYSTEMS.item.id(&id)))
}

/// "Reconcile now" and "Sync now": a job runs them (they read the whole
/// target); the page says what they found once they are done.
async fn ask_for(cx: Console, PathId(id): PathId<ConnectedSystemId>, run: SystemRun) -> Reply {
    match svc::request_run(cx.store(), &cx.actor(), &id, run, cx.now()).await {
        Ok(()) => cx.session.flash(
            "success",
            format!(
                "{} will run in the background in a moment. Reload this page to see what it found.",
                run.label()
            ),
        ),
        Err(ServiceError::Refused(m)) => cx.session.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&routes::ADMIN_SYSTEMS.item.id(&id)))
}

#[tracing::instrument(skip_all)]
async fn reconcile(cx: Console, id: PathId<ConnectedSystemId>, _form: Form<NoFields>) -> Reply {
    ask_for(cx, id, SystemRun::Reconcile).await
}

/// "Sync now": imports the directory's people and groups.
#[tracing::instrument(skip_all)]
async fn import_now(cx: Console, id: PathId<ConnectedSystemId>, _form: Form<NoFields>) -> Reply {
    ask_for(cx, id, SystemRun::Import).await
}

#[tracing::instrument(skip_all)]
async fn delete(
    cx: Console,
    PathId(id): PathId<ConnectedSystemId>,
    _form: Form<NoFields>,
) -> Reply {
    let result = svc::delete(cx.store(), &cx.actor(), &id, cx.now()).await;
    let (list, object) = (
        routes::ADMIN_SYSTEMS.list.as_str(),
        &routes::ADMIN_SYSTEMS.item.id(&id),
    );
    cx.deleted("Connected system", result, list, object)
}
