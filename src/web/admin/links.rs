//! Linking a resource's role to a group of a connected system, from the
//! resource's page: a group's membership, an application's role, a site's
//! role (`{kind}` is `groups`, `applications` or `sites`). The panel those
//! pages show is `LinksPanel` with `templates/admin/_links.html`.

use actix_web::web;
use serde::Deserialize;

use crate::domain::directory::ResourceRef;
use crate::domain::ids::{ConnectedSystemId, ResourceLinkId};
use crate::domain::validation::FieldErrors;
use crate::routes;
use crate::service::ServiceError;
use crate::service::connected_systems::{FoundGroup, ResourceLinks};
use crate::service::resource_page::{self, GroupSearch, ResourcePage};
use crate::store::connected_systems::LinkRow;
use crate::web::admin::console::Console;
use crate::web::admin::resource_kinds::Kind;
use crate::web::error::AppError;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::form_id;
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
    #[serde(deserialize_with = "form_id::optional")]
    system: Option<ConnectedSystemId>,
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

/// The resource a path names: its kind and reference.
fn resource(segment: &str, id: &str) -> Result<(&'static Kind, ResourceRef), AppError> {
    let kind = Kind::at(segment).ok_or(AppError::NotFound)?;
    let r = kind.parse_id(id).ok_or(AppError::NotFound)?;
    Ok((kind, r))
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
    /// The panel of the resource `r` of `kind`, as `page` found it, with the
    /// groups the search asked for.
    pub fn of(
        cx: &Console,
        kind: &Kind,
        r: &ResourceRef,
        page: &mut ResourcePage,
        search: LinkSearch,
    ) -> Self {
        let action = routes::ADMIN_RESOURCE_LINK.with(&[&kind.segment, &r.id()]);
        LinksPanel {
            refused: cx.session.take_refused(&action).unwrap_or_default(),
            kind: kind.segment,
            id: r.id().to_string(),
            page: kind.paths.item.id(r.id()),
            roles: page.view.roles(),
            links: std::mem::take(&mut page.links),
            found: page.found.take(),
            search,
        }
    }

    /// The search the panel's form asks for, if it names a system.
    pub fn asked(search: &LinkSearch) -> Option<GroupSearch<'_>> {
        ConnectedSystemId::parse(&search.link_system).map(|system| GroupSearch {
            system,
            text: &search.link_q,
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
    let (kind, r) = resource(&kind, &id)?;
    let page = kind.paths.item.id(r.id());
    // Refused, the form goes back to its panel as typed, the reason beside
    // the field it concerns.
    // (Kept in the session cookie, whose size is limited: a very long value
    // comes back shortened.)
    let short = |v: &str| v.chars().take(500).collect::<String>();
    let refuse = |errors: FieldErrors| {
        let values = [("typed", &form.typed), ("role", &form.role)];
        cx.session.keep_refused(&RefusedForm {
            action: routes::ADMIN_RESOURCE_LINK.with(&[&kind.segment, &r.id()]),
            values: values.map(|(k, v)| (k.to_string(), short(v))).into(),
            errors: errors.iter().map(|(k, v)| (k.clone(), short(v))).collect(),
        });
        cx.session
            .flash("error", "Not linked. Correct the field marked below.");
        Ok(redirect(&format!("{page}#links")))
    };
    let external = if form.typed.trim().is_empty() {
        &form.external
    } else {
        &form.typed
    };
    let actor = cx.actor();
    let linked = resource_page::link(
        cx.store(),
        &actor,
        &r,
        &form.role,
        form.system.as_ref(),
        external,
        cx.now(),
    );
    match linked.await {
        Ok(name) => cx.session.flash(
            "success",
            format!("{name} is linked; its members are being provisioned."),
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
    let (kind, r) = resource(&kind, &id)?;
    let lid = ResourceLinkId::parse(&lid).ok_or(AppError::NotFound)?;
    resource_page::unlink(cx.store(), &cx.actor(), &r, &lid, cx.now()).await?;
    cx.done(
        "Unlinked. The group in the connected system was left as it is.",
        &format!("{}#links", kind.paths.item.id(r.id())),
    )
}
