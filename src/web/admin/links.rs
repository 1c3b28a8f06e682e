//! Linking a resource's role to a group of a connected system, from the
//! resource's page: a group's membership, an application's role, a site's
//! role (`{kind}` is `groups`, `applications` or `sites`). The panel those
//! pages show is `LinksPanel` with `templates/admin/_links.html`.

use actix_web::web;
use serde::Deserialize;

use crate::domain::directory::ResourceRef;
use crate::domain::directory::{DEFAULT_ACCESS_ROLE, SiteRole};
use crate::domain::ids::{ConnectedSystemId, ResourceLinkId};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::ServiceError;
use crate::service::connected_systems::FoundGroup;
use crate::service::connected_systems::{self as svc, Origin, ResourceLinks};
use crate::service::directory::{self, Detail, ResourceView};
use crate::store::connected_systems::LinkRow;
use crate::web::admin::console::Console;
use crate::web::admin::resource_kinds::Kind;
use crate::web::error::AppError;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::session::RefusedForm;
use crate::web::respond::{Reply, redirect};
use crate::web::routing::Router;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.post(routes::ADMIN_RESOURCE_LINK, link)
        .post(routes::ADMIN_RESOURCE_UNLINK, unlink);
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkForm {
    system: String,
    /// The resource's role to link (a group has one: membership).
    role: String,
    /// A group found by name (its id), or typed: a DN, or a SCIM Group id.
    external: String,
    typed: String,
}

/// `?link_system=..&link_q=..`: groups of a connected system searched by
/// name, on the resource's page.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct LinkSearch {
    pub link_system: String,
    pub link_q: String,
    pub link_role: String,
}

/// A resource as linking sees it: the path kind, its origin system and id,
/// its name, its page, and its roles as (role value, label).
struct Resource {
    kind: &'static str,
    system: &'static str,
    id: String,
    name: String,
    page: String,
    roles: Vec<(String, String)>,
}

/// The resource a path names.
async fn resource(cx: &Console, segment: &str, id: &str) -> Result<Resource, AppError> {
    let kind = Kind::at(segment).ok_or(AppError::NotFound)?;
    let r = kind.parse_id(id).ok_or(AppError::NotFound)?;
    let view = directory::resource(cx.store(), &r).await?;
    Ok(Resource::of(kind, &r, &view))
}

impl Resource {
    /// `view`, the resource `r` of `kind`, as linking sees it.
    fn of(kind: &Kind, r: &ResourceRef, view: &ResourceView) -> Resource {
        let roles = match &view.detail {
            Detail::Group { .. } => vec![("member".into(), "Member".into())],
            Detail::Application { roles } if roles.is_empty() => {
                vec![("defaultAccess".into(), DEFAULT_ACCESS_ROLE.into())]
            }
            Detail::Application { roles } => roles
                .iter()
                .map(|r| (r.id.clone(), r.display_name.clone()))
                .collect(),
            Detail::Site { .. } => SiteRole::ALL
                .iter()
                .map(|r| (r.as_str().to_string(), r.label().to_string()))
                .collect(),
        };
        Resource {
            kind: kind.segment,
            system: kind.origin.as_str(),
            id: r.id().to_string(),
            name: view.display_name.clone(),
            page: kind.paths.item.id(r.id()),
            roles,
        }
    }

    /// The origin of one of its roles; `None` when it has no such role.
    fn origin(&self, role: &str) -> Option<Origin> {
        let (value, label) = match role {
            "" if self.roles.len() == 1 => &self.roles[0],
            r => self.roles.iter().find(|(v, _)| v == r)?,
        };
        let name = if self.kind == "groups" {
            self.name.clone()
        } else {
            format!("{} ({label})", self.name)
        };
        Some(Origin {
            system: self.system.into(),
            id: self.id.clone(),
            role: value.clone(),
            name,
        })
    }
}

/// The "Connected systems" section of a group's, application's or site's
/// page: its links with their health, and the form that adds one.
pub struct LinksPanel {
    pub kind: &'static str,
    pub id: String,
    pub page: String,
    pub roles: Vec<(String, String)>,
    pub links: ResourceLinks,
    pub search: LinkSearch,
    pub found: Option<Result<Vec<FoundGroup>, String>>,
    /// The link form as last sent, when it was refused: what was typed and why.
    pub refused: RefusedForm,
}

impl LinksPanel {
    /// The panel of `view`, the resource `r` of `kind`, with the groups the
    /// search asks for.
    pub async fn load(
        cx: &Console,
        kind: &Kind,
        r: &ResourceRef,
        view: &ResourceView,
        search: LinkSearch,
    ) -> Result<Self, AppError> {
        let r = Resource::of(kind, r, view);
        let links = svc::resource_links(cx.store(), r.system, &r.id).await?;
        let found = match ConnectedSystemId::parse(&search.link_system) {
            Some(system) => Some(svc::search_groups(cx.store(), &system, &search.link_q).await?),
            None => None,
        };
        let action = routes::ADMIN_RESOURCE_LINK.with(&[&r.kind, &r.id]);
        Ok(LinksPanel {
            refused: cx.session.take_refused(&action).unwrap_or_default(),
            kind: r.kind,
            id: r.id,
            page: r.page,
            roles: r.roles,
            links,
            search,
            found,
        })
    }

    /// What was typed in a field of the refused link form.
    pub fn typed(&self, field: &str) -> &str {
        self.refused.values.get(field).map_or("", String::as_str)
    }

    /// Why the link form was refused, for the field it concerns.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.refused.errors.get(field).map(String::as_str)
    }

    pub fn link_path(&self) -> String {
        routes::ADMIN_RESOURCE_LINK.with(&[&self.kind, &self.id])
    }

    pub fn unlink_path(&self, link: &ResourceLinkId) -> String {
        routes::ADMIN_RESOURCE_UNLINK.with(&[&self.kind, &self.id, &link])
    }

    pub fn drift(&self, l: &LinkRow) -> String {
        super::connected_systems::drift_text(l)
    }

    /// Whether the resource has several roles (then each link names one).
    pub fn has_roles(&self) -> bool {
        self.kind != "groups"
    }

    pub fn role_label(&self, role: &str) -> String {
        self.roles
            .iter()
            .find(|(v, _)| v == role)
            .map_or_else(|| role.to_string(), |(_, l)| l.clone())
    }

    /// Why a holder holds a role: the packages that grant it, or by hand.
    /// `role` is as the holders list shows it: a role's value or its label.
    pub fn why(&self, user: &str, role: &str) -> String {
        let role = self
            .roles
            .iter()
            .find(|(v, l)| v == role || l == role)
            .map_or(role, |(v, _)| v.as_str());
        let packages: Vec<&str> = self
            .links
            .reasons
            .iter()
            .filter(|(u, r, _)| u == user && r == role)
            .map(|(_, _, p)| p.as_str())
            .collect();
        if packages.is_empty() {
            "Added by hand (outside assignments)".into()
        } else {
            format!("Access package: {}", packages.join(", "))
        }
    }
}

#[tracing::instrument(skip_all)]
async fn link(cx: Console, path: web::Path<(String, String)>, Form(form): Form<LinkForm>) -> Reply {
    let (kind, id) = path.into_inner();
    let r = resource(&cx, &kind, &id).await?;
    let page = r.page.clone();
    // Refused, the form goes back to its panel as typed, the reason beside
    // the field it concerns.
    // (Kept in the session cookie, whose size is limited: a very long value
    // comes back shortened.)
    let short = |v: &str| v.chars().take(500).collect::<String>();
    let refuse = |errors: FieldErrors| {
        let values = [("typed", &form.typed), ("role", &form.role)];
        cx.session.keep_refused(&RefusedForm {
            action: routes::ADMIN_RESOURCE_LINK.with(&[&r.kind, &r.id]),
            values: values.map(|(k, v)| (k.to_string(), short(v))).into(),
            errors: errors.iter().map(|(k, v)| (k.clone(), short(v))).collect(),
        });
        cx.session
            .flash("error", "Not linked. Correct the field marked below.");
        Ok(redirect(&format!("{page}#links")))
    };
    let Some(origin) = r.origin(&form.role) else {
        let mut e = FieldErrors::new();
        e.add("role", "Choose one of the roles.");
        return refuse(e);
    };
    let external = if form.typed.trim().is_empty() {
        &form.external
    } else {
        &form.typed
    };
    match svc::link(
        cx.store(),
        &cx.actor(),
        &form.system,
        &origin,
        external,
        cx.now(),
    )
    .await
    {
        Ok(_) => cx.session.flash(
            "success",
            format!(
                "{} is linked; its members are being provisioned.",
                origin.name
            ),
        ),
        Err(ServiceError::Invalid(e)) => return refuse(e),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&format!("{page}#links")))
}

#[tracing::instrument(skip_all)]
async fn unlink(
    cx: Console,
    path: web::Path<(String, String, String)>,
    _form: Form<NoFields>,
) -> Reply {
    let (kind, id, lid) = path.into_inner();
    let r = resource(&cx, &kind, &id).await?;
    let lid = ResourceLinkId::parse(&lid).ok_or(AppError::NotFound)?;
    // The audit names the resource; the link removed says which role.
    let origin = Origin {
        system: r.system.into(),
        id: r.id.clone(),
        role: String::new(),
        name: r.name.clone(),
    };
    svc::unlink(cx.store(), &cx.actor(), &lid, &origin, cx.now()).await?;
    cx.done(
        "Unlinked. The group in the connected system was left as it is.",
        &format!("{}#links", r.page),
    )
}
