//! A package's automatic assignment policy form: a rule in Entra's dynamic
//! membership syntax, whether people are assigned and removed by it, and
//! the grace period; "Check rule" lists whom the rule matches now without
//! saving. Administrators make and change it; delegates may read it.

use askama::Template;
use serde::Deserialize;

use crate::domain::ids::{AccessPackageId, PolicyId};
use crate::domain::membership_rule::PROPERTIES;
use crate::domain::policy::{AutomaticInput, Policy};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::Saved;
use crate::service::packages::{self as svc, Listed, Matching};
use crate::store::packages::PackageRow;
use crate::web::admin::console::{Console, ConsoleWho, PackageConsole};
use crate::web::extract::console_access::Read;
use crate::web::extract::context::Ctx;
use crate::web::extract::csrf::Form;
use crate::web::extract::path_id::{PathId, PathIds};
use crate::web::layout::Layout;
use crate::web::respond::{Reply, form_status, render_status};

/// The form as posted (or as a stored policy fills it); a box not ticked
/// is not sent.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AutomaticForm {
    display_name: String,
    description: String,
    rule: String,
    assign: Option<String>,
    remove: Option<String>,
    grace_days: String,
    /// Pressed "Check rule": show whom the rule matches, save nothing.
    preview: Option<String>,
}

fn ticked(on: bool) -> Option<String> {
    on.then(|| "on".to_string())
}

impl AutomaticForm {
    /// A new policy: assign and remove, with a week's grace.
    fn fresh() -> AutomaticForm {
        AutomaticForm {
            assign: ticked(true),
            remove: ticked(true),
            grace_days: "7".into(),
            ..AutomaticForm::default()
        }
    }

    fn of(p: &Policy) -> AutomaticForm {
        let mut f = AutomaticForm {
            display_name: p.display_name.clone(),
            description: p.description.clone().unwrap_or_default(),
            ..AutomaticForm::default()
        };
        if let Some(a) = &p.automatic {
            f.rule = a.rule.as_str().to_string();
            f.assign = ticked(a.assign);
            f.remove = ticked(a.remove_when_out_of_scope);
            f.grace_days = a.grace_period_days.to_string();
        }
        f
    }

    fn input(&self) -> AutomaticInput<'_> {
        AutomaticInput {
            display_name: &self.display_name,
            description: &self.description,
            rule: &self.rule,
            assign: self.assign.is_some(),
            remove_when_out_of_scope: self.remove.is_some(),
            grace_period_days: &self.grace_days,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/packages/automatic.html")]
struct AutomaticPage {
    layout: Layout,
    package: PackageRow,
    policy_id: Option<PolicyId>,
    f: AutomaticForm,
    errors: FieldErrors,
    /// Whom the rule matches now, when it was checked (or is stored).
    matching: Option<Matching>,
    properties: &'static [&'static str],
}

/// Whom it matches is directory data: administrators' only.
fn listed<'a>(cx: &Ctx<impl ConsoleWho>, wanted: Listed<'a>) -> Listed<'a> {
    if cx.who.rights().admin {
        wanted
    } else {
        Listed::Nobody
    }
}

fn page(
    cx: &Ctx<impl ConsoleWho>,
    package: PackageRow,
    policy_id: Option<PolicyId>,
    f: AutomaticForm,
    errors: FieldErrors,
    matching: Option<Matching>,
) -> Reply {
    let title = format!("Automatic assignment policy of {}", package.display_name);
    render_status(
        form_status(&errors),
        &AutomaticPage {
            layout: cx.layout(title),
            package,
            policy_id,
            f,
            errors,
            matching,
            properties: &PROPERTIES,
        },
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn new(cx: Console, PathId(id): PathId<AccessPackageId>) -> Reply {
    let view = svc::automatic_policy(cx.store(), &id, None, Listed::Nobody).await?;
    let f = AutomaticForm::fresh();
    page(&cx, view.package, None, f, FieldErrors::new(), None)
}

#[tracing::instrument(skip_all)]
pub(super) async fn edit(
    cx: PackageConsole<Read>,
    PathIds(id, policy_id): PathIds<AccessPackageId, PolicyId>,
) -> Reply {
    let listed = listed(&cx, Listed::SavedRule);
    let view = svc::automatic_policy(cx.store(), &id, Some(&policy_id), listed).await?;
    let f = view
        .policy
        .as_ref()
        .map(AutomaticForm::of)
        .unwrap_or_default();
    let errors = FieldErrors::new();
    page(&cx, view.package, Some(policy_id), f, errors, view.matching)
}

/// "Check rule": the rule's error beside it, or whom it matches.
async fn checked(
    cx: &Console,
    id: &AccessPackageId,
    policy_id: Option<PolicyId>,
    f: AutomaticForm,
) -> Reply {
    let (view, errors) = svc::check_rule(cx.store(), id, policy_id.as_ref(), &f.rule).await?;
    page(cx, view.package, policy_id, f, errors, view.matching)
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    cx: Console,
    PathId(id): PathId<AccessPackageId>,
    form: Form<AutomaticForm>,
) -> Reply {
    let f = form.0;
    if f.preview.is_some() {
        return checked(&cx, &id, None, f).await;
    }
    match svc::add_automatic_policy(cx.store(), &cx.actor(), &id, &f.input(), cx.now()).await? {
        Saved::Done(name) => cx.done(
            format!("Automatic assignment policy {name} created: the people its rule matches are assigned when the lifecycle jobs next run."),
            &routes::ADMIN_PACKAGE_POLICIES.id(&id),
        ),
        Saved::Again(view, errors) => page(&cx, view.package, None, f, errors, view.matching),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    cx: Console,
    PathIds(id, policy_id): PathIds<AccessPackageId, PolicyId>,
    form: Form<AutomaticForm>,
) -> Reply {
    let (pid, f) = (policy_id, form.0);
    if f.preview.is_some() {
        return checked(&cx, &id, Some(pid), f).await;
    }
    let input = f.input();
    match svc::update_automatic_policy(cx.store(), &cx.actor(), &id, &pid, &input, cx.now()).await?
    {
        Saved::Done(name) => cx.done(
            format!("Automatic assignment policy {name} saved."),
            &routes::ADMIN_PACKAGE_POLICIES.id(&id),
        ),
        Saved::Again(view, errors) => page(&cx, view.package, Some(pid), f, errors, view.matching),
    }
}
