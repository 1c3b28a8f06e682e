//! Connected organizations, their identity sources and sponsors.

use chrono::{DateTime, Utc};

use super::columns::{contains_pattern, ts};
use super::error::{Result, StoreError, map_err};
use super::page::{Page, PageAt};
use super::sql::{Conn, Rows, Statement};
use crate::domain::connected_org::{ConnectedOrgProfile, ConnectedOrgState};
use crate::domain::ids::{ConnectedOrgId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    #[sqlx(try_from = "String")]
    pub state: ConnectedOrgState,
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    pub has_secret: i64,
    pub internal_sponsors: i64,
    pub external_sponsors: i64,
    #[sqlx(skip)]
    pub domains: Vec<String>,
}

const ORG_SELECT: &str = "SELECT o.id, o.display_name, o.description, o.state, o.oidc_issuer, o.oidc_client_id, \
     CASE WHEN o.oidc_client_secret IS NULL THEN 0 ELSE 1 END AS has_secret, \
     (SELECT COUNT(*) FROM connected_organization_sponsors s WHERE s.connected_organization_id = o.id AND s.sponsor_type = 'internal') AS internal_sponsors, \
     (SELECT COUNT(*) FROM connected_organization_sponsors s WHERE s.connected_organization_id = o.id AND s.sponsor_type = 'external') AS external_sponsors \
     FROM connected_organizations o";

async fn fill_domains(conn: &mut Conn, rows: &mut [OrgRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let placeholders: Vec<String> = (1..=rows.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT connected_organization_id, domain_name FROM connected_organization_domains \
         WHERE connected_organization_id IN ({}) ORDER BY domain_name",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_as::<_, (String, String)>(&sql);
    for r in rows.iter() {
        q = q.bind(r.id.clone());
    }
    let domains = q.fetch_all(conn).await?;
    for r in rows.iter_mut() {
        r.domains = domains
            .iter()
            .filter(|(o, _)| *o == r.id)
            .map(|(_, d)| d.clone())
            .collect();
    }
    Ok(())
}

pub async fn search(conn: &mut Conn, q: &str, at: PageAt) -> Result<Page<OrgRow>> {
    let count = "SELECT COUNT(*) FROM connected_organizations WHERE name_lower LIKE $1 ESCAPE '\\'";
    let list = format!(
        "{ORG_SELECT} WHERE o.name_lower LIKE $1 ESCAPE '\\' ORDER BY o.name_lower LIMIT $2 OFFSET $3"
    );
    let mut found: Page<OrgRow> =
        super::page::page_of(conn, count, &list, &contains_pattern(q), at).await?;
    fill_domains(conn, &mut found.items).await?;
    Ok(found)
}

pub async fn get(conn: &mut Conn, id: &ConnectedOrgId) -> Result<Option<OrgRow>> {
    let row = sqlx::query_as::<_, OrgRow>(&format!("{ORG_SELECT} WHERE o.id = $1"))
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let mut rows: Vec<OrgRow> = row.into_iter().collect();
    fill_domains(conn, &mut rows).await?;
    Ok(rows.pop())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SponsorRow {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub sponsor_type: String,
}

pub async fn sponsors(conn: &mut Conn, id: &ConnectedOrgId) -> Result<Vec<SponsorRow>> {
    sqlx::query_as::<_, SponsorRow>(
        "SELECT u.id AS user_id, u.display_name, u.email, s.sponsor_type FROM connected_organization_sponsors s \
         JOIN users u ON u.id = s.user_id WHERE s.connected_organization_id = $1 ORDER BY s.sponsor_type, u.name_lower",
    )
    .bind(id.as_str())
    .all(conn)
    .await
}

/// Inserts or updates the organization and makes its domains and sponsors exactly these.
pub async fn save(
    conn: &mut Conn,
    id: &ConnectedOrgId,
    p: &ConnectedOrgProfile,
    internal: &[UserId],
    external: &[UserId],
    is_new: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let (issuer, client_id, secret) = match &p.oidc {
        Some(o) => (
            Some(o.issuer.clone()),
            Some(o.client_id.clone()),
            o.client_secret.as_ref().map(|s| s.expose().clone()),
        ),
        None => (None, None, None),
    };
    if is_new {
        sqlx::query(
            "INSERT INTO connected_organizations (id, display_name, name_lower, description, state, oidc_issuer, \
             oidc_client_id, oidc_client_secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(id.as_str())
        .bind(&p.display_name)
        .bind(p.display_name.to_lowercase())
        .bind(p.description.clone())
        .bind(p.state.as_str())
        .bind(issuer)
        .bind(client_id)
        .bind(secret)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
    } else {
        // An empty secret on edit keeps the stored one; removing the provider removes it.
        let keep_secret = p.oidc.is_some() && secret.is_none();
        let done = sqlx::query(
            "UPDATE connected_organizations SET display_name = $2, name_lower = $3, description = $4, state = $5, \
             oidc_issuer = $6, oidc_client_id = $7, \
             oidc_client_secret = CASE WHEN $8 THEN oidc_client_secret ELSE $9 END, updated_at = $10 WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(&p.display_name)
        .bind(p.display_name.to_lowercase())
        .bind(p.description.clone())
        .bind(p.state.as_str())
        .bind(issuer)
        .bind(client_id)
        .bind(keep_secret)
        .bind(secret)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
    }
    sqlx::query("DELETE FROM connected_organization_domains WHERE connected_organization_id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    for d in &p.domains {
        sqlx::query("INSERT INTO connected_organization_domains (connected_organization_id, domain_name) VALUES ($1, $2)")
            .bind(id.as_str())
            .bind(d)
            .execute(&mut *conn)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("domain:{d}")),
                other => other,
            })?;
    }
    sqlx::query("DELETE FROM connected_organization_sponsors WHERE connected_organization_id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    for (kind, list) in [("internal", internal), ("external", external)] {
        for u in list {
            sqlx::query(
                "INSERT INTO connected_organization_sponsors (connected_organization_id, user_id, sponsor_type) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id.as_str())
            .bind(u.as_str())
            .bind(kind)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// How many policies name this organization as a target.
pub async fn policies_referring(conn: &mut Conn, id: &ConnectedOrgId) -> Result<Vec<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT p.display_name || ' (' || ap.display_name || ')' FROM assignment_policy_targets t \
         JOIN assignment_policies p ON p.id = t.policy_id JOIN access_packages ap ON ap.id = p.access_package_id \
         WHERE t.target_type = 'connectedOrganizationMembers' AND t.target_id = $1 ORDER BY 1",
    )
    .bind(id.as_str())
    .all(conn)
    .await
}

pub async fn delete(conn: &mut Conn, id: &ConnectedOrgId) -> Result<()> {
    sqlx::query("DELETE FROM connected_organizations WHERE id = $1")
        .bind(id.as_str())
        .exec(conn)
        .await
}

/// The id of a connected organization by its exact name (any case).
pub async fn id_by_name(conn: &mut Conn, name: &str) -> Result<Option<String>> {
    sqlx::query_scalar::<_, String>("SELECT id FROM connected_organizations WHERE name_lower = $1")
        .bind(name.trim().to_lowercase())
        .optional(conn)
        .await
}

/// A connected organization's identity provider, with its secret, for sign-in.
#[derive(Clone, sqlx::FromRow)]
pub struct SignInProvider {
    pub id: String,
    pub display_name: String,
    pub oidc_issuer: String,
    pub oidc_client_id: String,
    pub oidc_client_secret: Option<String>,
}

const PROVIDER_SELECT: &str = "SELECT id, display_name, oidc_issuer, oidc_client_id, oidc_client_secret \
     FROM connected_organizations WHERE oidc_issuer IS NOT NULL AND oidc_client_id IS NOT NULL";

/// The organizations whose people can sign in through their own provider.
pub async fn sign_in_providers(conn: &mut Conn) -> Result<Vec<SignInProvider>> {
    sqlx::query_as::<_, SignInProvider>(&format!("{PROVIDER_SELECT} ORDER BY name_lower"))
        .all(conn)
        .await
}

pub async fn sign_in_provider(conn: &mut Conn, id: &str) -> Result<Option<SignInProvider>> {
    sqlx::query_as::<_, SignInProvider>(&format!("{PROVIDER_SELECT} AND id = $1"))
        .bind(id)
        .optional(conn)
        .await
}

/// Organizations by name and by id.
pub const ORG_NAMES: super::rows::NamedRows<ConnectedOrgId> =
    super::rows::NamedRows::new("connected_organizations", ConnectedOrgId::from_stored);
