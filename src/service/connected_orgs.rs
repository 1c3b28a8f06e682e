//! Connected organization administration.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::error::{Saved, ServiceError, found, invalid};
use super::lookup::{Lookup, Suggestion, suggest_in};
use super::transaction::{fetch, read, write};
use crate::domain::audit::{Actor, NewAuditEvent, object_type};
use crate::domain::connected_org::ConnectedOrgProfile;
use crate::domain::ids::{ConnectedOrgId, UserId};
use crate::domain::user::UserType;
use crate::domain::validation::FieldErrors;
use crate::store::connected_orgs::{OrgRow, SponsorRow};
use crate::store::{Conn, Page, PageAt, Store, StoreError, connected_orgs, users};

/// Emails one per line or comma-separated, resolved to users of the right kind.
async fn resolve_sponsors(
    conn: &mut Conn,
    field: &str,
    text: &str,
    kind: UserType,
    domains: &[String],
    errors: &mut FieldErrors,
) -> Result<Vec<UserId>, StoreError> {
    let mut out = Vec::new();
    for email in text
        .split([',', '\n', ' ', '\r'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        match users::find_by_email(conn, email).await? {
            None => errors.add(field, format!("No user has the email {email}.")),
            Some(u) if u.user_type != kind => errors.add(
                field,
                match kind {
                    UserType::Member => format!("{email} is a guest; internal sponsors are members of your organization."),
                    UserType::Guest => format!("{email} is a member; external sponsors are guests from the connected organization."),
                },
            ),
            Some(u)
                if kind == UserType::Guest
                    && !domains.is_empty()
                    && !domains.iter().any(|d| u.email.to_lowercase().ends_with(&format!("@{d}"))) =>
            {
                errors.add(field, format!("{email} is not from this organization's domains ({}).", domains.join(", ")))
            }
            Some(u) => {
                if !out.contains(&u.id) {
                    out.push(u.id)
                }
            }
        }
    }
    Ok(out)
}

/// The connected organizations list, searched by name.
#[tracing::instrument(skip_all)]
pub async fn search(store: &Store, q: &str, at: PageAt) -> Result<Page<OrgRow>, ServiceError> {
    fetch(store, async |c| connected_orgs::search(c, q, at).await).await
}

/// An organization and its sponsors.
#[tracing::instrument(skip_all)]
pub async fn organization(
    store: &Store,
    id: &ConnectedOrgId,
    lookup: Option<Lookup<'_>>,
) -> Result<OrgView, ServiceError> {
    read(store, async |c| {
        Ok(OrgView {
            org: found(connected_orgs::get(c, id).await?)?,
            sponsors: connected_orgs::sponsors(c, id).await?,
            found: suggest_in(c, lookup).await?,
        })
    })
    .await
}

/// An organization's page: the organization, its sponsors, and what a
/// sponsor picker's search found.
pub struct OrgView {
    pub org: OrgRow,
    pub sponsors: Vec<SponsorRow>,
    pub found: Vec<Suggestion>,
}

/// Saves an edit of organization `id`; refused, returns its page, to show
/// the form again on.
#[tracing::instrument(skip_all)]
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: &ConnectedOrgId,
    profile: Result<ConnectedOrgProfile, FieldErrors>,
    sponsors: SponsorInput<'_>,
    now: DateTime<Utc>,
) -> Result<Saved<(), OrgView>, ServiceError> {
    let saved = save(store, actor, Some(id), profile, sponsors, now).await;
    Saved::or_page(saved.map(|_| ()), async || {
        organization(store, id, None).await
    })
    .await
}

pub struct SponsorInput<'a> {
    pub internal: &'a str,
    pub external: &'a str,
}

#[tracing::instrument(skip_all)]
pub async fn save(
    store: &Store,
    actor: &Actor,
    id: Option<&ConnectedOrgId>,
    profile: Result<ConnectedOrgProfile, FieldErrors>,
    sponsors: SponsorInput<'_>,
    now: DateTime<Utc>,
) -> Result<ConnectedOrgId, ServiceError> {
    write(store, actor, now, async |tx| {
        let (mut errors, profile) = match profile {
            Ok(p) => (FieldErrors::new(), Some(p)),
            Err(e) => (e, None),
        };
        let domains = profile
            .as_ref()
            .map(|p| p.domains.clone())
            .unwrap_or_default();
        // The organization's own domains belong to its members, never to a partner.
        let tenant = super::settings::tenant(tx).await?;
        if let Some(own) = domains.iter().find(|d| tenant.owns_domain(d)) {
            errors.add(
                "domains",
                format!("{own} is one of your organization's own domains (Settings), so it cannot identify a connected organization."),
            );
        }
        let internal = resolve_sponsors(
            tx,
            "internal_sponsors",
            sponsors.internal,
            UserType::Member,
            &[],
            &mut errors,
        )
        .await?;
        let external = resolve_sponsors(
            tx,
            "external_sponsors",
            sponsors.external,
            UserType::Guest,
            &domains,
            &mut errors,
        )
        .await?;
        let before = match id {
            Some(id) => Some(
                connected_orgs::get(tx, id)
                    .await?
                    .ok_or(ServiceError::NotFound)?,
            ),
            None => None,
        };
        // A stored secret stays only with the provider it was issued for: pointing the
        // issuer or client id elsewhere needs the secret typed again.
        if let Some(o) = profile.as_ref().and_then(|p| p.oidc.as_ref()) {
            if o.client_secret.is_none() {
                match &before {
                    Some(b) if b.has_secret == 1 => {
                        let moved = b.oidc_issuer.as_deref() != Some(o.issuer.as_str())
                            || b.oidc_client_id.as_deref() != Some(o.client_id.as_str());
                        if moved {
                            errors.add(
                                "oidc_client_secret",
                                "The issuer or client id changed: enter the client secret for it.",
                            );
                        }
                    }
                    _ => errors.add("oidc_client_secret", "Enter the client secret."),
                }
            }
        }
        let (Some(profile), true) = (profile, errors.is_empty()) else {
            return Err(ServiceError::Invalid(errors));
        };
        let org_id = id.cloned().unwrap_or_default();
        connected_orgs::save(
            tx,
            &org_id,
            &profile,
            &internal,
            &external,
            before.is_none(),
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(c) if c.starts_with("domain:") => invalid(
                "domains",
                format!(
                    "The domain {} already belongs to another connected organization.",
                    &c["domain:".len()..]
                ),
            ),
            StoreError::Conflict(_) => invalid(
                "display_name",
                "Another connected organization already has this name.",
            ),
            other => other.into(),
        })?;
        let details = json!({
            "description": profile.description,
            "state": profile.state.as_str(),
            "domains": profile.domains,
            "oidcIssuer": profile.oidc.as_ref().map(|o| o.issuer.clone()),
            "oidcClientId": profile.oidc.as_ref().map(|o| o.client_id.clone()),
            "clientSecretChanged": profile.oidc.as_ref().is_some_and(|o| o.client_secret.is_some()),
            "internalSponsors": internal.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
            "externalSponsors": external.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
            "before": before.as_ref().map(|b| json!({"displayName": b.display_name, "state": b.state.as_str(), "domains": b.domains})),
        });
        let event = NewAuditEvent {
                action: if before.is_some() {
                    "Update connected organization"
                } else {
                    "Create connected organization"
                }
                .into(),
                object_type: object_type::CONNECTED_ORGANIZATION,
                object_id: org_id.to_string(),
                object_name: profile.display_name.clone(),
                details,
            };
        Ok((org_id, event))
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: &ConnectedOrgId,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    write(store, actor, now, async |tx| {
        let org = found(connected_orgs::get(tx, id).await?)?;
        let policies = connected_orgs::policies_referring(tx, id).await?;
        if !policies.is_empty() {
            let one = policies.len() == 1;
            return Err(ServiceError::Refused(format!(
                "{} cannot be deleted because {} refer{} to it: {}. Change those policies first.",
                org.display_name,
                if one { "a policy" } else { "policies" },
                if one { "s" } else { "" },
                policies.join(", ")
            )));
        }
        connected_orgs::delete(tx, id).await?;
        let event = NewAuditEvent::new(
            "Delete connected organization",
            object_type::CONNECTED_ORGANIZATION,
            id,
            &org.display_name,
            json!({"domains": org.domains, "state": org.state.as_str()}),
        );
        Ok((org.display_name, event))
    })
    .await
}
