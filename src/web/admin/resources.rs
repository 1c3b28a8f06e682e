//! Admin › Groups and teams, Applications and Sites: the list, new and edit
//! pages the three kinds of directory resource share. Each kind's words,
//! paths and origin are a row of `resource_kinds`; what only one kind has
//! (a group's type, an application's roles, a site's address and roles) is
//! matched on its origin here, in `domain::directory::Entered` and in
//! `service::directory::resource`, and has its section of the template. A
//! group's members form is `groups`.

use std::marker::PhantomData;

use actix_web::{http::StatusCode, web};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use super::links::{LinkSearch, LinksPanel};
use super::list::{Cell, ForDelegates, ListSpec, Lists, col, num};
use super::resource_kinds::{Applications, Groups, Kind, OfKind, Sites};
use crate::domain::catalog::OriginSystem;
use crate::domain::catalog_role::CatalogScope;
use crate::domain::directory::{
    DEFAULT_ACCESS_ROLE, Entered, GroupRole, GroupType, ResourceRef, SiteRole, capitalized,
};
use crate::domain::validation::FieldErrors;
use crate::service::directory::{self, Detail, ResourceView};
use crate::service::resource_page;
use crate::service::{Saved, ServiceError};
use crate::store::directory::{Holder, ResourceSummary};
use crate::store::{Page, PageAt, Store};
use crate::web::admin::console::Console;
use crate::web::error::AppError;
use crate::web::extract::csrf::Form;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, render_status};

/// Registers each kind's list, new and item pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    kind_routes::<Groups>(cfg);
    kind_routes::<Applications>(cfg);
    kind_routes::<Sites>(cfg);
}

fn kind_routes<K: OfKind>(cfg: &mut web::ServiceConfig) {
    cfg.editable(
        &KindList::<K>::SPEC,
        create::<K>,
        new_form::<K>,
        show::<K>,
        update::<K>,
    );
}

/// A kind's list: the same columns for every kind but for their headings.
struct KindList<K>(PhantomData<K>);

impl<K: OfKind> KindList<K> {
    const SPEC: ListSpec<ResourceSummary> = ListSpec {
        search: search::<K>,
        title: K::KIND.title,
        paths: K::KIND.paths,
        one: K::KIND.noun,
        placeholder: K::KIND.placeholder,
        columns: &[
            col(K::KIND.columns[0], |r| {
                Cell::maybe(detail(K::KIND.origin, r))
            }),
            col("Description", |r| Cell::maybe(r.description.as_deref())),
            num(K::KIND.columns[1], |r| r.holders),
        ],
        delegates: ForDelegates::No,
    };
}

fn search<'a, K: OfKind>(
    store: &'a Store,
    _: &'a CatalogScope,
    q: &'a str,
    at: PageAt,
) -> LocalBoxFuture<'a, Result<Page<ResourceSummary>, ServiceError>> {
    Box::pin(directory::resources(store, K::KIND.origin, q, at))
}

/// A list row's cell for what sets it apart: a group's type as people read
/// it, an application's roles, a site's address.
fn detail(origin: OriginSystem, r: &ResourceSummary) -> Option<&str> {
    let detail = r.detail.as_deref();
    match origin {
        OriginSystem::AadGroup => detail.and_then(GroupType::parse).map(|t| t.label()),
        _ => detail,
    }
}

/// The form of all three kinds; each reads the field of its own.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ResourceForm {
    pub display_name: String,
    pub description: String,
    /// A group's type.
    pub group_type: String,
    /// An application's roles, one per line.
    pub roles: String,
    /// A site's address.
    pub url: String,
}

impl ResourceForm {
    /// A new one's form as it first shows: a group is a security group
    /// unless chosen otherwise.
    fn blank() -> Self {
        ResourceForm {
            group_type: GroupType::Security.as_str().into(),
            ..Default::default()
        }
    }

    /// The form of one as saved.
    fn saved(view: &ResourceView) -> Self {
        let mut form = ResourceForm {
            display_name: view.display_name.clone(),
            description: view.description.clone().unwrap_or_default(),
            ..Default::default()
        };
        match &view.detail {
            Detail::Group { group_type } => form.group_type = group_type.clone(),
            Detail::Application { roles } => {
                let names: Vec<&str> = roles.iter().map(|r| r.display_name.as_str()).collect();
                form.roles = names.join("\n");
            }
            Detail::Site { url } => form.url = url.clone(),
        }
        form
    }

    /// What was entered for `r`.
    fn parse(&self, r: &ResourceRef) -> Result<Entered, FieldErrors> {
        let own = match r.origin() {
            OriginSystem::AadGroup => &self.group_type,
            OriginSystem::AadApplication => &self.roles,
            OriginSystem::SharePointOnline => &self.url,
        };
        Entered::parse(r, &self.display_name, &self.description, own)
    }
}

/// The form that adds someone to a group, as last sent, and why it was
/// refused.
pub struct Adding {
    pub email: String,
    /// The role it offers first: the one last chosen.
    pub role: GroupRole,
    pub errors: FieldErrors,
}

impl Default for Adding {
    fn default() -> Self {
        Adding {
            email: String::new(),
            role: GroupRole::Member,
            errors: FieldErrors::new(),
        }
    }
}

/// A resource's page, new or existing.
#[derive(Template)]
#[template(path = "admin/resources.html")]
pub struct ResourcePage {
    layout: Layout,
    kind: &'static Kind,
    /// None on a new one's page.
    id: Option<String>,
    form: ResourceForm,
    errors: FieldErrors,
    /// What only its kind has; a new one's is empty.
    detail: Detail,
    holders: Vec<Holder>,
    /// A group's form to add a member or owner.
    pub adding: Adding,
    panel: Option<LinksPanel>,
}

impl ResourcePage {
    /// Why a holder holds a role: the packages that grant it, or by hand.
    fn why(&self, h: &Holder) -> String {
        self.panel
            .as_ref()
            .map(|p| p.why(&h.user_id, &h.role))
            .unwrap_or_default()
    }

    fn group_types(&self) -> Vec<(&'static str, &'static str)> {
        GroupType::ALL
            .iter()
            .map(|t| (t.as_str(), t.label()))
            .collect()
    }

    fn site_roles(&self) -> Vec<&'static str> {
        SiteRole::ALL.iter().map(|r| r.label()).collect()
    }

    fn default_role(&self) -> &'static str {
        DEFAULT_ACCESS_ROLE
    }

    /// The page; 422 when either of its forms comes back with errors.
    pub fn reply(self) -> Reply {
        let status = if self.errors.is_empty() && self.adding.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        render_status(status, &self)
    }
}

/// A new one's page: empty, or again with what was sent and why it was
/// refused.
fn new_page(cx: &Console, kind: &'static Kind, form: ResourceForm, errors: FieldErrors) -> Reply {
    let detail = match kind.origin {
        OriginSystem::AadGroup => Detail::Group {
            group_type: String::new(),
        },
        OriginSystem::AadApplication => Detail::Application { roles: vec![] },
        OriginSystem::SharePointOnline => Detail::Site { url: String::new() },
    };
    let page = ResourcePage {
        layout: cx.layout(format!("New {}", kind.noun)),
        kind,
        id: None,
        form,
        errors,
        detail,
        holders: vec![],
        adding: Adding::default(),
        panel: None,
    };
    page.reply()
}

/// An existing one's page, with the form as sent when it was refused.
pub async fn item_page(
    cx: &Console,
    kind: &'static Kind,
    r: &ResourceRef,
    sent: Option<ResourceForm>,
    errors: FieldErrors,
    search: LinkSearch,
) -> Result<ResourcePage, AppError> {
    let found = resource_page::page(cx.store(), r, LinksPanel::asked(&search)).await?;
    Ok(item_shown(cx, kind, r, found, sent, errors, search))
}

/// `found`'s page, with the form as sent when it was refused.
pub fn item_shown(
    cx: &Console,
    kind: &'static Kind,
    r: &ResourceRef,
    mut found: resource_page::ResourcePage,
    sent: Option<ResourceForm>,
    errors: FieldErrors,
    search: LinkSearch,
) -> ResourcePage {
    let panel = LinksPanel::of(cx, kind, r, &mut found, search);
    let view = found.view;
    ResourcePage {
        layout: cx.layout(view.display_name.clone()),
        kind,
        id: Some(r.id().to_string()),
        form: sent.unwrap_or_else(|| ResourceForm::saved(&view)),
        errors,
        detail: view.detail,
        holders: view.holders,
        adding: Adding::default(),
        panel: Some(panel),
    }
}

/// The resource of `kind` a path names.
pub fn parse_id(kind: &Kind, raw: &str) -> Result<ResourceRef, AppError> {
    kind.parse_id(raw).ok_or(AppError::NotFound)
}

#[tracing::instrument(skip_all)]
async fn new_form<K: OfKind>(cx: Console) -> Reply {
    new_page(&cx, &K::KIND, ResourceForm::blank(), FieldErrors::new())
}

#[tracing::instrument(skip_all)]
async fn create<K: OfKind>(cx: Console, Form(form): Form<ResourceForm>) -> Reply {
    let kind = &K::KIND;
    let r = ResourceRef::new(kind.origin);
    let create = cx.save(form.parse(&r), async |s, a, e, now| {
        directory::create(s, a, e.named(), now).await
    });
    match create.await? {
        Ok(()) => {
            let what = capitalized(kind.noun);
            cx.created(&what, &form.display_name, &kind.paths.item.id(r.id()))
        }
        Err(errors) => new_page(&cx, kind, form, errors),
    }
}

#[tracing::instrument(skip_all)]
async fn show<K: OfKind>(
    cx: Console,
    path: web::Path<String>,
    search: web::Query<LinkSearch>,
) -> Reply {
    let kind = &K::KIND;
    let r = parse_id(kind, &path)?;
    let page = item_page(&cx, kind, &r, None, FieldErrors::new(), search.into_inner());
    page.await?.reply()
}

#[tracing::instrument(skip_all)]
async fn update<K: OfKind>(
    cx: Console,
    path: web::Path<String>,
    Form(form): Form<ResourceForm>,
) -> Reply {
    let kind = &K::KIND;
    let r = parse_id(kind, &path)?;
    let saved = cx.save_or_show(
        form.parse(&r),
        async |s, a, e, now| resource_page::update(s, a, &r, e.named(), now).await,
        async |s| resource_page::page(s, &r, None).await,
    );
    match saved.await? {
        Saved::Done(()) => cx.done("Changes saved.", &kind.paths.item.id(r.id())),
        Saved::Again(found, errors) => {
            let search = LinkSearch::default();
            item_shown(&cx, kind, &r, found, Some(form), errors, search).reply()
        }
    }
}
