//! A package's policies tab, and the policy form: add, edit, enable,
//! disable, delete.

use askama::Template;
use serde::Deserialize;

use super::policy_form::{self, Fields, PostedPolicy, form_accessors};
use super::tab::Tab;
use crate::domain::ids::{AccessPackageId, PolicyId};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::ServiceError;
use crate::service::packages::{self as svc, AttributeInfo};
use crate::store::custom_extensions::ExtensionRow;
use crate::store::packages::PackageRow;
use crate::web::admin::console::{ConsoleWho, PackageConsole};
use crate::web::error::AppError;
use crate::web::extract::console_access::{ManagePackages, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::Form;
use crate::web::extract::path_id::{PathId, PathIds};
use crate::web::extract::picker::{Matches, Picked};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, redirect, render, render_status};

#[derive(Template)]
#[template(path = "admin/packages/policies.html")]
struct PoliciesTab {
    layout: Layout,
    package: PackageRow,
    tab: Tab,
    /// (id, name, enabled, who can request, whether automatic).
    policies: Vec<(String, String, bool, &'static str, bool)>,
    /// Whether the package has its automatic assignment policy (one at most).
    has_automatic: bool,
}

pub(super) async fn page(cx: &Ctx<impl ConsoleWho>, id: &AccessPackageId) -> Reply {
    let view = svc::package(cx.store(), id).await?;
    let policies = view
        .policies
        .into_iter()
        .map(|(pid, p)| {
            let automatic = p.automatic.is_some();
            (
                pid,
                p.display_name.clone(),
                p.enabled,
                p.audience(),
                automatic,
            )
        })
        .collect::<Vec<_>>();
    render(&PoliciesTab {
        layout: cx.layout(view.package.display_name.clone()),
        package: view.package,
        tab: Tab::Policies,
        has_automatic: policies.iter().any(|p| p.4),
        policies,
    })
}

#[derive(Template)]
#[template(path = "admin/packages/policy.html")]
struct PolicyPage {
    layout: Layout,
    package: PackageRow,
    policy_id: Option<PolicyId>,
    f: Fields,
    errors: FieldErrors,
    attributes: Vec<AttributeInfo>,
    matches: Matches,
    /// The catalog's custom extensions, offered at each stage.
    extensions: Vec<ExtensionRow>,
}

form_accessors!(PolicyPage);

async fn form_page(
    cx: &Ctx<impl ConsoleWho>,
    id: &AccessPackageId,
    policy_id: Option<PolicyId>,
    f: Option<Fields>,
    errors: FieldErrors,
    matches: Matches,
) -> Reply {
    // No fields: the policy as saved.
    let context = svc::policy_form_context(cx.store(), id, policy_id.as_ref(), f.is_none()).await?;
    let mut f = match (f, &context.stored, &policy_id) {
        (Some(f), _, _) => f,
        (None, Some((policy, _)), Some(pid)) if policy.automatic.is_some() => {
            // An automatic policy is changed on its own form.
            return Ok(redirect(&routes::ADMIN_PACKAGE_AUTOMATIC.ids(id, pid)));
        }
        (None, Some((policy, names)), _) => policy_form::fields_of(policy, names, cx.who.tz),
        (None, None, _) => return Err(AppError::NotFound),
    };
    // The stored choices show on a form not yet posted.
    let fresh = !f.contains_key("ext_posted");
    let (package, attributes) = (context.package, context.attributes);
    if fresh {
        policy_form::set_extensions(&mut f, &context.chosen);
        if let Some((settings, emails, groups)) = &context.review {
            policy_form::set_review(&mut f, settings, emails, groups);
        }
        policy_form::review_defaults(&mut f, cx.organization_today());
    }
    let title = format!("Policy of {}", package.display_name);
    render_status(
        form_status(&errors),
        &PolicyPage {
            layout: cx.layout(title),
            package,
            policy_id,
            f,
            errors,
            attributes,
            matches,
            extensions: context.extensions,
        },
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn new(
    cx: PackageConsole<ManagePackages>,
    PathId(id): PathId<AccessPackageId>,
) -> Reply {
    form_page(
        &cx,
        &id,
        None,
        Some(policy_form::defaults("", cx.organization_today())),
        FieldErrors::new(),
        Matches::default(),
    )
    .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn edit(
    cx: PackageConsole<Read>,
    PathIds(id, policy_id): PathIds<AccessPackageId, PolicyId>,
) -> Reply {
    form_page(
        &cx,
        &id,
        Some(policy_id),
        None,
        FieldErrors::new(),
        Matches::default(),
    )
    .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    cx: PackageConsole<ManagePackages>,
    PathId(id): PathId<AccessPackageId>,
    form: Picked<PostedPolicy>,
) -> Reply {
    let PostedPolicy { fields: f, add } = form.form;
    if add || form.pressed.is_some() {
        let matches = Matches::find(
            cx.store(),
            form.pressed.flatten().as_ref(),
            policy_form::POLICY_PICKS,
        )
        .await?;
        return form_page(&cx, &id, None, Some(f), FieldErrors::new(), matches).await;
    }
    let draft = policy_form::draft(&f, cx.who.tz);
    let name = draft.policy.display_name.clone();
    match svc::add_policy(cx.store(), &cx.actor(), &id, draft, cx.now()).await {
        Ok(_) => {
            cx.session
                .flash("success", format!("Policy {name} created."));
            Ok(redirect(&routes::ADMIN_PACKAGE_POLICIES.id(&id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            form_page(&cx, &id, None, Some(f), errors, Matches::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    cx: PackageConsole<ManagePackages>,
    PathIds(id, policy_id): PathIds<AccessPackageId, PolicyId>,
    form: Picked<PostedPolicy>,
) -> Reply {
    let PostedPolicy { fields: f, add } = form.form;
    if add || form.pressed.is_some() {
        let pid = Some(policy_id);
        let matches = Matches::find(
            cx.store(),
            form.pressed.flatten().as_ref(),
            policy_form::POLICY_PICKS,
        )
        .await?;
        return form_page(&cx, &id, pid, Some(f), FieldErrors::new(), matches).await;
    }
    let draft = policy_form::draft(&f, cx.who.tz);
    let now = cx.now();
    match svc::update_policy(cx.store(), &cx.actor(), &id, &policy_id, draft, now).await {
        Ok(name) => cx.done(
            format!("Policy {name} saved."),
            &routes::ADMIN_PACKAGE_POLICIES.id(&id),
        ),
        Err(ServiceError::Invalid(errors)) => {
            let pid = Some(policy_id);
            form_page(&cx, &id, pid, Some(f), errors, Matches::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// What the policy list's buttons do to a policy.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum PolicyAction {
    Enable,
    Disable,
    Delete,
    /// Anything else: refused with a message.
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize)]
pub(super) struct StateForm {
    action: PolicyAction,
}

#[tracing::instrument(skip_all)]
pub(super) async fn change_state(
    cx: PackageConsole<ManagePackages>,
    PathIds(id, policy_id): PathIds<AccessPackageId, PolicyId>,
    form: Form<StateForm>,
) -> Reply {
    let (actor, now, pid) = (cx.actor(), cx.now(), &policy_id);
    let admin = cx.who.rights().admin;
    let result = match form.0.action {
        PolicyAction::Enable => {
            svc::set_policy_enabled(cx.store(), &actor, &id, pid, true, admin, now)
                .await
                .map(|n| format!("Policy {n} enabled."))
        }
        PolicyAction::Disable => {
            svc::set_policy_enabled(cx.store(), &actor, &id, pid, false, admin, now)
                .await
                .map(|n| format!("Policy {n} disabled."))
        }
        PolicyAction::Delete => svc::delete_policy(cx.store(), &actor, &id, pid, admin, now)
            .await
            .map(|n| format!("Policy {n} deleted.")),
        PolicyAction::Unknown => {
            return Err(AppError::BadRequest(
                "Choose enable, disable or delete.".into(),
            ));
        }
    };
    match result {
        Ok(m) => cx.session.flash("success", m),
        Err(ServiceError::Refused(m)) => cx.session.flash("error", m),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&routes::ADMIN_PACKAGE_POLICIES.id(&id)))
}
