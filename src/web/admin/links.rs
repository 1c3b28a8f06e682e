//! Linking a resource's role to a group of a connected system, from the
//! resource's page (groups for now: `{kind}` is `groups`).

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::domain::ids::{GroupId, ResourceLinkId};
use crate::routes;
use crate::service::connected_systems::{self as svc, Origin};
use crate::service::{ServiceError, directory};
use crate::web::error::AppError;
use crate::web::extract::csrf::{Form, NoFields};
use crate::web::extract::guard::AdminUser;
use crate::web::extract::session::TypedSession;
use crate::web::{Data, redirect};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ADMIN_RESOURCE_LINK.pattern(), web::post().to(link))
        .route(
            routes::ADMIN_RESOURCE_UNLINK.pattern(),
            web::post().to(unlink),
        );
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkForm {
    system: String,
    /// A group found by name (its id), or typed: a DN, or a SCIM Group id.
    external: String,
    typed: String,
}

/// The resource a path names, and where its page is.
async fn origin(state: &Data, kind: &str, id: &str) -> Result<(Origin, String), AppError> {
    match kind {
        "groups" => {
            let gid = GroupId::parse(id).ok_or(AppError::NotFound)?;
            let (g, _) = directory::group(&state.store, &gid).await?;
            let page = routes::ADMIN_GROUP.id(&g.id);
            Ok((
                Origin {
                    system: "AadGroup".into(),
                    id: g.id,
                    role: "member".into(),
                    name: g.display_name,
                },
                page,
            ))
        }
        _ => Err(AppError::NotFound),
    }
}

#[tracing::instrument(skip_all)]
async fn link(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String)>,
    form: Form<LinkForm>,
) -> Result<HttpResponse, AppError> {
    let (kind, id) = path.into_inner();
    let form = form.0;
    let (origin, page) = origin(&state, &kind, &id).await?;
    let external = if form.typed.trim().is_empty() {
        &form.external
    } else {
        &form.typed
    };
    let session = TypedSession(session);
    match svc::link(
        &state.store,
        &admin.actor(),
        &form.system,
        &origin,
        external,
        state.clock.now(),
    )
    .await
    {
        Ok(_) => session.flash(
            "success",
            format!(
                "{} is linked; its members are being provisioned.",
                origin.name
            ),
        ),
        Err(ServiceError::Invalid(e)) => {
            session.flash("error", format!("Not linked: {}", e.messages()))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&format!("{page}#links")))
}

#[tracing::instrument(skip_all)]
async fn unlink(
    state: Data,
    admin: AdminUser,
    session: Session,
    path: web::Path<(String, String, String)>,
    _form: Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (kind, id, lid) = path.into_inner();
    let (origin, page) = origin(&state, &kind, &id).await?;
    let lid = ResourceLinkId::parse(&lid).ok_or(AppError::NotFound)?;
    svc::unlink(
        &state.store,
        &admin.actor(),
        &lid,
        &origin,
        state.clock.now(),
    )
    .await?;
    TypedSession(session).flash(
        "success",
        "Unlinked. The group in the connected system was left as it is.",
    );
    Ok(redirect(&format!("{page}#links")))
}
