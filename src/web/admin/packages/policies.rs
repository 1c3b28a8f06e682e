//! A package's policies tab, and the policy form: add, edit, enable,
//! disable, delete.

use askama::Template;
use serde::Deserialize;

use super::policy_fields::PolicyForm;
use super::policy_form::{self, PostedPolicy, form_accessors};
use super::policy_summary;
use super::tab::Tab;
use crate::domain::ids::{AccessPackageId, PolicyId};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::packages::{self as svc, AttributeInfo, PolicyFormContext};
use crate::service::{Saved, ServiceError};
use crate::store::custom_extensions::ExtensionRow;
use crate::store::packages::PackageRow;
use crate::web::admin::console::{ConsoleWho, PackageConsole};
use crate::web::error::AppError;
use crate::web::extract::console_access::{ManagePackages, Read};
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::Form;
use crate::web::extract::path_id::{PathId, PathIds};
use crate::web::extract::picker::{Matches, PickSearch, Picked};
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
    f: PolicyForm,
    errors: FieldErrors,
    attributes: Vec<AttributeInfo>,
    matches: Matches,
    /// The catalog's custom extensions, offered at each stage.
    extensions: Vec<ExtensionRow>,
    /// The form summed up, when Review was pressed (else empty).
    review: Vec<(String, String)>,
}

form_accessors!(PolicyPage);

/// What a form shown again carries beside its fields: what was wrong with
/// it, what a picker's search found, and whether Review sums it up.
#[derive(Default)]
struct Shown {
    errors: FieldErrors,
    matches: Matches,
    review: bool,
}

async fn form_page(
    cx: &Ctx<impl ConsoleWho>,
    id: &AccessPackageId,
    policy_id: Option<PolicyId>,
    f: Option<PolicyForm>,
) -> Reply {
    // No fields: the policy as saved.
    let stored = f.is_none();
    let context =
        svc::policy_form_context(cx.store(), id, policy_id.as_ref(), stored, None).await?;
    form_shown(cx, context, id, policy_id, f, Shown::default())
}

/// The form beside `context`: `f` as sent (none: the policy as saved), with
/// what `shown` says of it.
fn form_shown(
    cx: &Ctx<impl ConsoleWho>,
    context: PolicyFormContext,
    id: &AccessPackageId,
    policy_id: Option<PolicyId>,
    f: Option<PolicyForm>,
    shown: Shown,
) -> Reply {
    let f = match (f, &context.stored, &policy_id) {
        (Some(f), _, _) => f,
        (None, Some((policy, _)), Some(pid)) if policy.automatic.is_some() => {
            // An automatic policy is changed on its own form.
            return Ok(redirect(&routes::ADMIN_PACKAGE_AUTOMATIC.ids(id, pid)));
        }
        (None, Some((policy, names)), _) => {
            let (chosen, review) = (&context.chosen, context.review.as_ref());
            let today = cx.organization_today();
            policy_form::of(policy, names, cx.who.tz, chosen, review, today)
        }
        (None, None, _) => return Err(AppError::NotFound),
    };
    let (package, attributes) = (context.package, context.attributes);
    let title = format!("Policy of {}", package.display_name);
    let review = if shown.review {
        policy_summary::summary(&f, &context.extensions)
    } else {
        vec![]
    };
    render_status(
        form_status(&shown.errors),
        &PolicyPage {
            layout: cx.layout(title),
            package,
            policy_id,
            f,
            errors: shown.errors,
            attributes,
            matches: shown.matches,
            extensions: context.extensions,
            review,
        },
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn new(
    cx: PackageConsole<ManagePackages>,
    PathId(id): PathId<AccessPackageId>,
) -> Reply {
    let f = PolicyForm::defaults("", cx.organization_today());
    form_page(&cx, &id, None, Some(f)).await
}

#[tracing::instrument(skip_all)]
pub(super) async fn edit(
    cx: PackageConsole<Read>,
    PathIds(id, policy_id): PathIds<AccessPackageId, PolicyId>,
) -> Reply {
    form_page(&cx, &id, Some(policy_id), None).await
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    cx: PackageConsole<ManagePackages>,
    PathId(id): PathId<AccessPackageId>,
    form: Picked<PostedPolicy>,
) -> Reply {
    let PostedPolicy {
        form: f,
        add,
        review,
    } = form.form;
    if add || form.pressed.is_some() {
        return searched(&cx, &id, None, f, form.pressed.flatten(), review).await;
    }
    let draft = policy_form::draft(&f, cx.who.tz);
    let name = draft.policy.display_name.clone();
    match svc::add_policy_from_form(cx.store(), &cx.actor(), &id, draft, cx.now()).await? {
        Saved::Done(_) => {
            cx.session
                .flash("success", format!("Policy {name} created."));
            Ok(redirect(&routes::ADMIN_PACKAGE_POLICIES.id(&id)))
        }
        Saved::Again(context, errors) => {
            let shown = Shown {
                errors,
                ..Shown::default()
            };
            form_shown(&cx, context, &id, None, Some(f), shown)
        }
    }
}

/// The form as sent, shown again for "+ Add", with what a picker's search
/// (`search`) found, or summed up (`review`); nothing is saved.
async fn searched(
    cx: &Ctx<impl ConsoleWho>,
    id: &AccessPackageId,
    policy_id: Option<PolicyId>,
    f: PolicyForm,
    search: Option<PickSearch>,
    review: bool,
) -> Reply {
    let offers = policy_form::POLICY_PICKS;
    let lookup = PickSearch::lookup(search.as_ref(), offers);
    let pid = policy_id.as_ref();
    let mut context = svc::policy_form_context(cx.store(), id, pid, false, lookup).await?;
    let matches = Matches::found(search.as_ref(), offers, &mut context.found);
    let shown = Shown {
        matches,
        review,
        ..Shown::default()
    };
    form_shown(cx, context, id, policy_id, Some(f), shown)
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    cx: PackageConsole<ManagePackages>,
    PathIds(id, policy_id): PathIds<AccessPackageId, PolicyId>,
    form: Picked<PostedPolicy>,
) -> Reply {
    let PostedPolicy {
        form: f,
        add,
        review,
    } = form.form;
    if add || form.pressed.is_some() {
        let search = form.pressed.flatten();
        return searched(&cx, &id, Some(policy_id), f, search, review).await;
    }
    let draft = policy_form::draft(&f, cx.who.tz);
    let now = cx.now();
    match svc::update_policy_from_form(cx.store(), &cx.actor(), &id, &policy_id, draft, now).await?
    {
        Saved::Done(name) => cx.done(
            format!("Policy {name} saved."),
            &routes::ADMIN_PACKAGE_POLICIES.id(&id),
        ),
        Saved::Again(context, errors) => {
            let shown = Shown {
                errors,
                ..Shown::default()
            };
            form_shown(&cx, context, &id, Some(policy_id), Some(f), shown)
        }
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
