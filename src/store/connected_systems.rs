//! Connected systems and the links from Gatehouse's resources to groups in them.

use chrono::{DateTime, Utc};

use super::columns::{Flag, contains_pattern, ts};
use super::error::{Result, StoreError};
use super::page::{Page, PageAt};
use super::sql::{Conn, Rows, Statement, row_where};
use crate::domain::connected_system::{ReconcileMode, SystemProfile, SystemRun, SystemSettings};
use crate::domain::ids::{ConnectedSystemId, ResourceLinkId};
use crate::domain::secret::Secret;

#[derive(sqlx::FromRow)]
struct RawSystem {
    id: String,
    display_name: String,
    settings: String,
    reconcile_mode: String,
    last_test_at: Option<String>,
    #[sqlx(try_from = "Flag")]
    last_test_ok: bool,
    has_test: i64,
    last_test_note: Option<String>,
    last_reconciled_at: Option<String>,
    reconcile_requested_at: Option<String>,
    import_requested_at: Option<String>,
    links: i64,
    queued: i64,
    failed: i64,
    last_error: Option<String>,
}

/// A connected system as the console shows it (never its secret).
#[derive(Debug, Clone)]
pub struct SystemRow {
    pub id: ConnectedSystemId,
    pub display_name: String,
    pub settings: SystemSettings,
    pub reconcile: ReconcileMode,
    /// When "Test connection" last ran, whether it worked, what it said.
    pub last_test: Option<(String, bool, String)>,
    pub last_reconciled_at: Option<String>,
    /// When "Reconcile now" and "Sync now" were pressed, while their runs
    /// wait for a job.
    pub reconcile_requested_at: Option<String>,
    pub import_requested_at: Option<String>,
    pub links: i64,
    /// Operations waiting (queue depth), and given up.
    pub queued: i64,
    pub failed: i64,
    /// The newest error of an operation still waiting or given up.
    pub last_error: Option<String>,
}

impl TryFrom<RawSystem> for SystemRow {
    type Error = StoreError;
    fn try_from(r: RawSystem) -> Result<SystemRow> {
        Ok(SystemRow {
            id: ConnectedSystemId::from_stored(r.id),
            settings: SystemSettings::from_json(&r.settings).map_err(StoreError::Corrupt)?,
            reconcile: ReconcileMode::parse(&r.reconcile_mode).ok_or_else(|| {
                StoreError::Corrupt(format!("reconcile mode {}", r.reconcile_mode))
            })?,
            last_test: match (r.last_test_at, r.has_test) {
                (Some(at), 1) => Some((at, r.last_test_ok, r.last_test_note.unwrap_or_default())),
                _ => None,
            },
            display_name: r.display_name,
            last_reconciled_at: r.last_reconciled_at,
            reconcile_requested_at: r.reconcile_requested_at,
            import_requested_at: r.import_requested_at,
            links: r.links,
            queued: r.queued,
            failed: r.failed,
            last_error: r.last_error,
        })
    }
}

const SELECT: &str = "SELECT s.id, s.display_name, s.settings, s.reconcile_mode, s.last_test_at, \
     COALESCE(s.last_test_ok, FALSE) AS last_test_ok, CASE WHEN s.last_test_ok IS NULL THEN 0 ELSE 1 END AS has_test, \
     s.last_test_note, s.last_reconciled_at, s.reconcile_requested_at, s.import_requested_at, \
     (SELECT COUNT(*) FROM resource_links l WHERE l.system_id = s.id) AS links, \
     (SELECT COUNT(*) FROM provisioning_operations o WHERE o.system_id = s.id AND o.state = 'pending') AS queued, \
     (SELECT COUNT(*) FROM provisioning_operations o WHERE o.system_id = s.id AND o.state = 'failed') AS failed, \
     (SELECT o.last_error FROM provisioning_operations o WHERE o.system_id = s.id AND o.state IN ('pending', 'failed') \
      AND o.last_error IS NOT NULL ORDER BY o.seq DESC LIMIT 1) AS last_error \
     FROM connected_systems s";

pub async fn search(conn: &mut Conn, q: &str, at: PageAt) -> Result<Page<SystemRow>> {
    let count = "SELECT COUNT(*) FROM connected_systems WHERE name_lower LIKE $1 ESCAPE '\\'";
    let list = format!(
        "{SELECT} WHERE s.name_lower LIKE $1 ESCAPE '\\' ORDER BY s.name_lower LIMIT $2 OFFSET $3"
    );
    let raw: Page<RawSystem> =
        super::page::page_of(conn, count, &list, &contains_pattern(q), at).await?;
    let items = raw
        .items
        .into_iter()
        .map(SystemRow::try_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        total: raw.total,
        page: raw.page,
        per_page: raw.per_page,
    })
}

/// Every system, by name (for pickers).
pub async fn all(conn: &mut Conn) -> Result<Vec<SystemRow>> {
    sqlx::query_as::<_, RawSystem>(&format!("{SELECT} ORDER BY s.name_lower"))
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(SystemRow::try_from)
        .collect()
}

pub async fn get(conn: &mut Conn, id: &ConnectedSystemId) -> Result<Option<SystemRow>> {
    sqlx::query_as::<_, RawSystem>(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?
        .map(SystemRow::try_from)
        .transpose()
}

/// The system's settings and secret, to connect with.
pub async fn credentials(
    conn: &mut Conn,
    id: &ConnectedSystemId,
) -> Result<Option<(SystemSettings, Secret<String>)>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT settings, secret FROM connected_systems WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(conn)
            .await?;
    row.map(|(s, secret)| {
        Ok((
            SystemSettings::from_json(&s).map_err(StoreError::Corrupt)?,
            Secret::new(secret),
        ))
    })
    .transpose()
}

pub async fn insert(
    conn: &mut Conn,
    id: &ConnectedSystemId,
    p: &SystemProfile,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO connected_systems (id, kind, display_name, name_lower, settings, secret, reconcile_mode, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.as_str())
    .bind(p.settings.kind().as_str())
    .bind(&p.display_name)
    .bind(p.display_name.to_lowercase())
    .bind(p.settings.to_json())
    .bind(secret)
    .bind(p.reconcile.as_str())
    .bind(ts(now))
    .exec(conn)
    .await
}

/// Saves the profile; the secret only when a new one was typed. A changed
/// setting forgets the last connection test.
pub async fn update(
    conn: &mut Conn,
    id: &ConnectedSystemId,
    p: &SystemProfile,
    now: DateTime<Utc>,
) -> Result<bool> {
    sqlx::query(
        "UPDATE connected_systems SET display_name = $2, name_lower = $3, \
         last_test_at = CASE WHEN settings = $4 THEN last_test_at END, \
         last_test_ok = CASE WHEN settings = $4 THEN last_test_ok END, \
         last_test_note = CASE WHEN settings = $4 THEN last_test_note END, \
         settings = $4, reconcile_mode = $5, secret = COALESCE($6, secret), updated_at = $7 WHERE id = $1 AND kind = $8",
    )
    .bind(id.as_str())
    .bind(&p.display_name)
    .bind(p.display_name.to_lowercase())
    .bind(p.settings.to_json())
    .bind(p.reconcile.as_str())
    .bind(p.secret.as_ref().map(|s| s.expose().clone()))
    .bind(ts(now))
    .bind(p.settings.kind().as_str())
    .changed_one(conn)
    .await
}

pub async fn delete(conn: &mut Conn, id: &ConnectedSystemId) -> Result<bool> {
    sqlx::query("DELETE FROM provisioning_operations WHERE system_id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM connected_systems WHERE id = $1")
        .bind(id.as_str())
        .changed_one(conn)
        .await
}

pub async fn record_test(
    conn: &mut Conn,
    id: &ConnectedSystemId,
    ok: bool,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE connected_systems SET last_test_at = $2, last_test_ok = $3, last_test_note = $4 WHERE id = $1")
        .bind(id.as_str())
        .bind(ts(now))
        .bind(ok)
        .bind(note)
        .exec(conn)
        .await
}

/// Claims the systems whose reconciliation is due (never run, or last run
/// before `before`) by moving their time to `now`: each is taken by one
/// instance only.
pub async fn systems_to_reconcile(
    conn: &mut Conn,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ConnectedSystemId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE connected_systems SET last_reconciled_at = $2 WHERE (last_reconciled_at IS NULL OR last_reconciled_at < $1) \
         AND EXISTS (SELECT 1 FROM resource_links l WHERE l.system_id = connected_systems.id) RETURNING id",
    )
    .bind(ts(before))
    .bind(ts(now))
    .fetch_all(conn)
    .await?;
    Ok(ids
        .into_iter()
        .map(ConnectedSystemId::from_stored)
        .collect())
}

/// The columns of a run asked for: when it was asked, and until when the
/// instance that took it holds it.
fn run_columns(run: SystemRun) -> (&'static str, &'static str) {
    match run {
        SystemRun::Reconcile => ("reconcile_requested_at", "reconcile_taken_until"),
        SystemRun::Import => ("import_requested_at", "import_taken_until"),
    }
}

/// Asks the jobs for `run` of the system now. An ask that waits keeps its
/// time; one made while a run is under way is stamped now, so that the run
/// does not answer it and another follows. False when there is no such
/// system, or, for an import, when it does not import.
pub async fn request_run(
    conn: &mut Conn,
    id: &ConnectedSystemId,
    run: SystemRun,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (asked, taken) = run_columns(run);
    let imports = match run {
        SystemRun::Import => " AND import_enabled = TRUE",
        SystemRun::Reconcile => "",
    };
    sqlx::query(&format!(
        "UPDATE connected_systems SET {asked} = CASE WHEN {taken} IS NULL THEN COALESCE({asked}, $2) \
         ELSE $2 END WHERE id = $1{imports}"
    ))
    .bind(id.as_str())
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// A run asked for, as `take_requested` took it.
pub struct TakenRun {
    pub system: ConnectedSystemId,
    /// When it was asked for: `finish_requested` answers that ask only.
    pub asked_at: String,
    /// Whether the system imports (an import turned off since it was asked
    /// for is not run).
    pub imports: bool,
}

/// Takes the runs of `run` asked for and not held by another instance (or
/// held past `now`), holding each until `until`.
pub async fn take_requested(
    conn: &mut Conn,
    run: SystemRun,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<TakenRun>> {
    let (asked, taken) = run_columns(run);
    // The flag as a number: SQLite's driver names the column's type Bool,
    // which the Any driver cannot read from a RETURNING clause.
    let rows: Vec<(String, String, i64)> = sqlx::query_as(&format!(
        "UPDATE connected_systems SET {taken} = $2 WHERE {asked} IS NOT NULL \
         AND ({taken} IS NULL OR {taken} < $1) \
         RETURNING id, {asked}, CASE WHEN import_enabled = TRUE THEN 1 ELSE 0 END"
    ))
    .bind(ts(now))
    .bind(ts(until))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, asked_at, imports)| TakenRun {
            system: ConnectedSystemId::from_stored(id),
            asked_at,
            imports: imports == 1,
        })
        .collect())
}

/// The taken run is over (done, failed, or not to be run): the ask it
/// answered is gone, and one made meanwhile waits for the next run.
pub async fn finish_requested(conn: &mut Conn, run: SystemRun, taken: &TakenRun) -> Result<()> {
    let (asked, held) = run_columns(run);
    sqlx::query(&format!(
        "UPDATE connected_systems SET {held} = NULL, \
         {asked} = CASE WHEN {asked} = $2 THEN NULL ELSE {asked} END WHERE id = $1"
    ))
    .bind(taken.system.as_str())
    .bind(&taken.asked_at)
    .exec(conn)
    .await
}

pub async fn mark_reconciled(conn: &mut Conn, id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE connected_systems SET last_reconciled_at = $2 WHERE id = $1")
        .bind(id)
        .bind(ts(now))
        .exec(conn)
        .await
}

/// Member values as a link's JSON list column holds them; a list that no
/// longer reads is a corrupt row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Members(pub Vec<String>);

impl TryFrom<String> for Members {
    type Error = serde_json::Error;

    fn try_from(json: String) -> std::result::Result<Self, Self::Error> {
        serde_json::from_str(&json).map(Members)
    }
}

/// A link from a Gatehouse resource role to a group in a connected system.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    #[sqlx(try_from = "String")]
    pub id: ResourceLinkId,
    #[sqlx(try_from = "String")]
    pub system_id: ConnectedSystemId,
    pub system_name: String,
    pub origin_system: String,
    pub origin_id: String,
    pub role: String,
    pub external_id: String,
    pub external_name: String,
    pub placeholder: Option<String>,
    pub reconciled_at: Option<String>,
    pub last_error: Option<String>,
    /// What reconciliation found: member values missing from the target,
    /// and those Gatehouse did not grant.
    #[sqlx(try_from = "String")]
    pub missing: Members,
    #[sqlx(try_from = "String")]
    pub unexpected: Members,
    /// Operations waiting, and given up.
    pub queued: i64,
    pub failed: i64,
    /// The newest error of an operation still waiting or given up.
    pub op_error: Option<String>,
}

const LINK_SELECT: &str = "SELECT l.id, l.system_id, s.display_name AS system_name, l.origin_system, l.origin_id, l.role, \
     l.external_id, l.external_name, l.placeholder, l.reconciled_at, l.last_error, l.missing, l.unexpected, \
     (SELECT COUNT(*) FROM provisioning_operations o WHERE o.link_id = l.id AND o.state = 'pending') AS queued, \
     (SELECT COUNT(*) FROM provisioning_operations o WHERE o.link_id = l.id AND o.state = 'failed') AS failed, \
     (SELECT o.last_error FROM provisioning_operations o WHERE o.link_id = l.id AND o.state IN ('pending', 'failed') \
      AND o.last_error IS NOT NULL ORDER BY o.seq DESC LIMIT 1) AS op_error \
     FROM resource_links l JOIN connected_systems s ON s.id = l.system_id";

/// The links of one resource (any of its roles).
pub async fn links_of(
    conn: &mut Conn,
    origin_system: &str,
    origin_id: &str,
) -> Result<Vec<LinkRow>> {
    sqlx::query_as::<_, LinkRow>(&format!(
        "{LINK_SELECT} WHERE l.origin_system = $1 AND l.origin_id = $2 ORDER BY l.role, s.name_lower"
    ))
    .bind(origin_system)
    .bind(origin_id)
    .all(conn)
    .await
}

/// The links of resources held in a catalog, for its resource list.
pub async fn links_in_catalog(conn: &mut Conn, catalog: &str) -> Result<Vec<LinkRow>> {
    sqlx::query_as::<_, LinkRow>(&format!(
        "{LINK_SELECT} WHERE EXISTS (SELECT 1 FROM catalog_resources r WHERE r.catalog_id = $1 \
         AND r.origin_system = l.origin_system AND r.origin_id = l.origin_id) ORDER BY s.name_lower"
    ))
    .bind(catalog)
    .all(conn)
    .await
}

pub async fn links_of_system(conn: &mut Conn, system: &str) -> Result<Vec<LinkRow>> {
    sqlx::query_as::<_, LinkRow>(&format!(
        "{LINK_SELECT} WHERE l.system_id = $1 ORDER BY l.external_name"
    ))
    .bind(system)
    .all(conn)
    .await
}

pub async fn link(conn: &mut Conn, id: &ResourceLinkId) -> Result<Option<LinkRow>> {
    row_where(conn, LINK_SELECT, "l.id", id.as_str()).await
}

/// The Gatehouse group whose membership is linked to this group of the system.
pub async fn group_linked_to(
    conn: &mut Conn,
    system: &ConnectedSystemId,
    external_id: &str,
) -> Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT origin_id FROM resource_links WHERE system_id = $1 AND external_id = $2 \
         AND origin_system = 'AadGroup' AND role = 'member' ORDER BY created_at LIMIT 1",
    )
    .bind(system.as_str())
    .bind(external_id)
    .optional(conn)
    .await
}

/// Links a resource role and queues an addition for each of its current
/// holders, so the target catches up with the ledger.
#[allow(clippy::too_many_arguments)]
pub async fn insert_link(
    conn: &mut Conn,
    id: &ResourceLinkId,
    system: &ConnectedSystemId,
    origin: (&str, &str, &str),
    external_id: &str,
    external_name: &str,
    placeholder: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (origin_system, origin_id, role) = origin;
    sqlx::query(
        "INSERT INTO resource_links (id, system_id, origin_system, origin_id, role, external_id, external_name, placeholder, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.as_str())
    .bind(system.as_str())
    .bind(origin_system)
    .bind(origin_id)
    .bind(role)
    .bind(external_id)
    .bind(external_name)
    .bind(placeholder)
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO provisioning_operations (link_id, system_id, user_id, action, email, display_name, given_name, surname, next_attempt_at, created_at) \
         SELECT $1, $2, u.id, 'add', u.email, u.display_name, u.given_name, u.surname, $3, $3 \
         FROM ({}) h JOIN users u ON u.id = h.user_id",
        holders_sql("$4", "$5", "$6")
    ))
    .bind(id.as_str())
    .bind(system.as_str())
    .bind(ts(now))
    .bind(origin_system)
    .bind(origin_id)
    .bind(role)
    .exec(conn)
    .await
}

/// `SELECT user_id` of everyone holding the resource role in the ledger.
pub(crate) fn holders_sql(system: &str, id: &str, role: &str) -> String {
    format!(
        "SELECT user_id FROM group_members WHERE {system} = 'AadGroup' AND group_id = {id} AND role = {role} \
         UNION SELECT user_id FROM site_members WHERE {system} = 'SharePointOnline' AND site_id = {id} AND role = {role} \
         UNION SELECT user_id FROM app_role_assignments WHERE {system} = 'AadApplication' AND app_role_id = {role} \
         UNION SELECT user_id FROM app_default_access WHERE {system} = 'AadApplication' AND application_id = {id} AND {role} = 'defaultAccess'"
    )
}

/// Deletes the link of the resource (origin system, id) with this id;
/// nothing when the resource has no such link.
pub async fn delete_link(
    conn: &mut Conn,
    id: &ResourceLinkId,
    origin_system: &str,
    origin_id: &str,
) -> Result<Option<LinkRow>> {
    let Some(row) = link(&mut *conn, id)
        .await?
        .filter(|l| l.origin_system == origin_system && l.origin_id == origin_id)
    else {
        return Ok(None);
    };
    sqlx::query(
        "DELETE FROM resource_links WHERE id = $1 AND origin_system = $2 AND origin_id = $3",
    )
    .bind(id.as_str())
    .bind(origin_system)
    .bind(origin_id)
    .execute(conn)
    .await?;
    Ok(Some(row))
}

/// What reconciliation found for a link: the member values missing from
/// the target and those Gatehouse did not grant, or its error.
pub async fn record_reconciliation(
    conn: &mut Conn,
    link: &ResourceLinkId,
    found: std::result::Result<(&[String], &[String]), &str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (missing, unexpected, error) = match found {
        Ok((m, u)) => (
            serde_json::to_string(m).unwrap_or_default(),
            serde_json::to_string(u).unwrap_or_default(),
            None,
        ),
        Err(e) => ("[]".to_string(), "[]".to_string(), Some(e)),
    };
    sqlx::query("UPDATE resource_links SET reconciled_at = $2, missing = $3, unexpected = $4, last_error = $5 WHERE id = $1")
        .bind(link.as_str())
        .bind(ts(now))
        .bind(missing)
        .bind(unexpected)
        .bind(error)
        .exec(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_links_member_list_reads_back_and_a_corrupt_one_is_an_error() {
        let m = Members::try_from(r#"["uid=a,dc=x","b"]"#.to_string()).unwrap();
        assert_eq!(m.0, vec!["uid=a,dc=x", "b"]);
        assert!(Members::try_from("uid=a".to_string()).is_err());
    }
}
