//! Custom extensions: a catalog's extensions, which one each policy calls at
//! each stage, and the calls themselves (queued, claimed by one instance,
//! finished, waited on, answered).

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::{Result, StoreError};
use super::sql::{Conn, Dialect, Rows, Statement, dialect};
use crate::domain::custom_extension::{
    Authentication, Behavior, CallState, CalloutFacts, ExtensionProfile, Stage,
};
use crate::domain::ids::{CalloutId, CatalogId, CustomExtensionId, PolicyId, RequestId};
use crate::domain::request::Answer;
use crate::domain::request::{RequestState, RequestType};

const COLUMNS: &str = "e.id, e.catalog_id, e.display_name, e.description, e.endpoint_url, \
    e.authentication, e.token_url, e.client_id, e.scope, e.timeout_seconds, e.behavior, \
    e.max_wait_minutes, e.on_timeout, e.updated_at";

/// A custom extension as stored (without its secret).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExtensionRow {
    pub id: String,
    pub catalog_id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub endpoint_url: String,
    pub authentication: String,
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    pub scope: Option<String>,
    pub timeout_seconds: i64,
    pub behavior: String,
    pub max_wait_minutes: Option<i64>,
    pub on_timeout: Option<String>,
    pub updated_at: String,
}

impl ExtensionRow {
    pub fn behavior(&self) -> Behavior {
        Behavior::from_stored(
            &self.behavior,
            self.max_wait_minutes,
            self.on_timeout.as_deref(),
        )
    }

    pub fn authentication(&self) -> Authentication {
        match (
            self.authentication.as_str(),
            &self.token_url,
            &self.client_id,
        ) {
            ("oauth", Some(token_url), Some(client_id)) => Authentication::OAuth {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                scope: self.scope.clone(),
            },
            _ => Authentication::Signature,
        }
    }
}

pub async fn of_catalog(conn: &mut Conn, catalog: &CatalogId) -> Result<Vec<ExtensionRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM custom_extensions e WHERE e.catalog_id = $1 ORDER BY e.name_lower"
    ))
    .bind(catalog.as_str())
    .all(conn)
    .await
}

pub async fn get(conn: &mut Conn, id: &CustomExtensionId) -> Result<Option<ExtensionRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM custom_extensions e WHERE e.id = $1"
    ))
    .bind(id.as_str())
    .optional(conn)
    .await
}

/// Writes an extension's settings; `secret` replaces the kept one when given.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    conn: &mut Conn,
    id: &CustomExtensionId,
    catalog: &CatalogId,
    p: &ExtensionProfile,
    secret: Option<&str>,
    insert: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let (token_url, client_id, scope) = match &p.authentication {
        Authentication::OAuth {
            token_url,
            client_id,
            scope,
        } => (
            Some(token_url.clone()),
            Some(client_id.clone()),
            scope.clone(),
        ),
        Authentication::Signature => (None, None, None),
    };
    let (max_wait, on_timeout) = match p.behavior {
        Behavior::LaunchAndWait {
            max_wait_minutes,
            on_timeout,
        } => (Some(max_wait_minutes), Some(on_timeout.as_str())),
        Behavior::LaunchAndContinue => (None, None),
    };
    let sql = if insert {
        "INSERT INTO custom_extensions (id, catalog_id, display_name, name_lower, description, endpoint_url, \
         authentication, token_url, client_id, scope, timeout_seconds, behavior, max_wait_minutes, on_timeout, \
         secret, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, COALESCE($15, ''), $16, $16)"
    } else {
        "UPDATE custom_extensions SET display_name = $3, name_lower = $4, description = $5, endpoint_url = $6, \
         authentication = $7, token_url = $8, client_id = $9, scope = $10, timeout_seconds = $11, behavior = $12, \
         max_wait_minutes = $13, on_timeout = $14, secret = COALESCE($15, secret), updated_at = $16 \
         WHERE id = $1 AND catalog_id = $2"
    };
    let done = sqlx::query(sql)
        .bind(id.as_str())
        .bind(catalog.as_str())
        .bind(p.display_name.clone())
        .bind(p.display_name.to_lowercase())
        .bind(p.description.clone())
        .bind(p.endpoint_url.clone())
        .bind(p.authentication.as_str())
        .bind(token_url)
        .bind(client_id)
        .bind(scope)
        .bind(p.timeout_seconds)
        .bind(p.behavior.as_str())
        .bind(max_wait)
        .bind(on_timeout)
        .bind(secret.map(str::to_string))
        .bind(ts(now))
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

const USED_BY: &str = "SELECT x.extension_id, p.display_name, ap.display_name \
    FROM policy_custom_extensions x JOIN custom_extensions e ON e.id = x.extension_id \
    JOIN assignment_policies ap ON ap.id = x.policy_id \
    JOIN access_packages p ON p.id = ap.access_package_id";

/// The policies that call the extension: (package, policy) names.
pub async fn used_by(conn: &mut Conn, id: &CustomExtensionId) -> Result<Vec<(String, String)>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(&format!(
        "{USED_BY} WHERE x.extension_id = $1 ORDER BY p.display_name, ap.display_name"
    ))
    .bind(id.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(_, p, ap)| (p, ap)).collect())
}

/// The policies that call each extension of a catalog: (extension, package,
/// policy), in one statement.
pub async fn used_in_catalog(
    conn: &mut Conn,
    catalog: &CatalogId,
) -> Result<Vec<(String, String, String)>> {
    sqlx::query_as(&format!(
        "{USED_BY} WHERE e.catalog_id = $1 ORDER BY p.display_name, ap.display_name"
    ))
    .bind(catalog.as_str())
    .all(conn)
    .await
}

/// Deletes the extension unless a policy calls it (false then).
pub async fn delete(conn: &mut Conn, id: &CustomExtensionId) -> Result<bool> {
    sqlx::query(
        "DELETE FROM custom_extensions WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM policy_custom_extensions x WHERE x.extension_id = $1)",
    )
    .bind(id.as_str())
    .changed_one(conn)
    .await
}

/// The extension each stage of the policy calls.
pub async fn of_policy(conn: &mut Conn, policy: &PolicyId) -> Result<Vec<(Stage, ExtensionRow)>> {
    let bound = bound(conn, Some(policy.as_str())).await?;
    Ok(bound.into_iter().map(|(_, s, e)| (s, e)).collect())
}

/// Every policy's extensions: (policy, stage, extension), by stage within
/// each policy.
pub async fn all_bound(conn: &mut Conn) -> Result<Vec<(String, Stage, ExtensionRow)>> {
    bound(conn, None).await
}

async fn bound(
    conn: &mut Conn,
    policy: Option<&str>,
) -> Result<Vec<(String, Stage, ExtensionRow)>> {
    #[derive(sqlx::FromRow)]
    struct Bound {
        policy_id: String,
        stage: String,
        #[sqlx(flatten)]
        extension: ExtensionRow,
    }
    let rows: Vec<Bound> = sqlx::query_as(&format!(
        "SELECT x.policy_id, x.stage, {COLUMNS} FROM policy_custom_extensions x \
         JOIN custom_extensions e ON e.id = x.extension_id \
         WHERE $1 IS NULL OR x.policy_id = $1"
    ))
    .bind(policy)
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let stage = Stage::parse(&r.stage)
            .ok_or_else(|| StoreError::Corrupt(format!("stage {}", r.stage)))?;
        out.push((r.policy_id, stage, r.extension));
    }
    out.sort_by_key(|(p, s, _)| (p.clone(), Stage::every().position(|x| x == *s)));
    Ok(out)
}

/// Makes the policy call exactly these extensions at these stages.
pub async fn set_for_policy(
    conn: &mut Conn,
    policy: &PolicyId,
    stages: &[(Stage, String)],
) -> Result<()> {
    sqlx::query("DELETE FROM policy_custom_extensions WHERE policy_id = $1")
        .bind(policy.as_str())
        .execute(&mut *conn)
        .await?;
    for (stage, ext) in stages {
        sqlx::query(
            "INSERT INTO policy_custom_extensions (policy_id, stage, extension_id) VALUES ($1, $2, $3)",
        )
        .bind(policy.as_str())
        .bind(stage.as_str())
        .bind(ext.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

// ---- calls ----

/// A call to queue.
#[derive(Debug, Clone)]
pub struct NewCallout {
    pub id: String,
    pub extension: String,
    pub stage: Stage,
    pub request: Option<String>,
    pub assignment: Option<String>,
    /// Launch and wait: the callback token, the latest end of the wait and
    /// what happens then.
    pub wait: Option<(String, DateTime<Utc>, &'static str)>,
}

pub async fn queue(conn: &mut Conn, c: &NewCallout, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO custom_extension_callouts (id, extension_id, stage, request_id, assignment_id, \
         callback_token, wait_until, on_timeout, state, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $9)",
    )
    .bind(c.id.clone())
    .bind(c.extension.clone())
    .bind(c.stage.as_str())
    .bind(c.request.clone())
    .bind(c.assignment.clone())
    .bind(c.wait.as_ref().map(|w| w.0.clone()))
    .bind(c.wait.as_ref().map(|w| ts(w.1)))
    .bind(c.wait.as_ref().map(|w| w.2))
    .bind(ts(now))
    .exec(conn)
    .await
}

/// Queues a call of the extension each assignment's policy calls at
/// `stage`, for the assignments `filter` picks (SQL over `a`, its values
/// bound from `$3` on): one statement for a lifecycle job's whole batch.
async fn queue_for_assignments(
    conn: &mut Conn,
    filter: &str,
    values: &[String],
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<u64> {
    let new_id = match dialect(conn) {
        Dialect::Postgres => "gen_random_uuid()::text",
        Dialect::Sqlite => {
            "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6)))"
        }
    };
    let sql = format!(
        "INSERT INTO custom_extension_callouts (id, extension_id, stage, assignment_id, state, next_attempt_at, created_at) \
         SELECT {new_id}, x.extension_id, $1, a.id, 'queued', $2, $2 \
         FROM access_package_assignments a JOIN policy_custom_extensions x ON x.policy_id = a.policy_id AND x.stage = $1 \
         WHERE {filter}"
    );
    let mut q = sqlx::query(&sql).bind(stage.as_str()).bind(ts(now));
    for v in values {
        q = q.bind(v.clone());
    }
    let done = q.execute(conn).await?;
    Ok(done.rows_affected())
}

/// The calls for the assignments a lifecycle batch ended (`end_batch`).
pub async fn queue_for_batch(
    conn: &mut Conn,
    batch: &str,
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<u64> {
    queue_for_assignments(conn, "a.end_batch = $3", &[batch.to_string()], stage, now).await
}

/// The calls for these assignments.
pub async fn queue_for_ids(
    conn: &mut Conn,
    ids: &[String],
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let filter = format!("a.id IN ({})", super::sql::placeholders(3, ids.len()));
    queue_for_assignments(conn, &filter, ids, stage, now).await
}

pub async fn any_due(conn: &mut Conn, now: DateTime<Utc>) -> Result<bool> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM custom_extension_callouts WHERE state = 'queued' AND next_attempt_at <= $1 LIMIT 1",
    )
    .bind(ts(now))
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// A claimed call with what sending it needs.
#[derive(Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub stage: String,
    pub request_id: Option<String>,
    pub payload: Option<String>,
    pub callback_token: Option<String>,
    pub attempts: i64,
    pub endpoint_url: String,
    pub authentication: String,
    pub secret: String,
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    pub scope: Option<String>,
    pub timeout_seconds: i64,
    /// Until when this caller holds it (stored time): what it writes of the
    /// try counts only while the claim is still its own.
    pub lease: String,
}

impl Claimed {
    /// Whether a send starting at `now` ends (a token, then the call, each
    /// within the timeout) before the claim runs out; one that could not is
    /// left for a later claim rather than sent twice.
    pub fn ends_in_time(&self, now: DateTime<Utc>) -> bool {
        let send = chrono::Duration::seconds(2 * self.timeout_seconds.clamp(1, 120));
        super::columns::parse_ts(&self.lease).is_ok_and(|lease| now + send < lease)
    }
}

/// Claims the oldest due call, by one caller only (the update takes the row
/// only while it is still due), for as long as sending it can take: two of
/// its timeouts (a token, then the call) and a margin. An instance that dies
/// meanwhile leaves it to be sent again once that has passed. `None`: no
/// call is due, or another caller took the one found (look again).
pub async fn claim(conn: &mut Conn, now: DateTime<Utc>) -> Result<Option<Option<Claimed>>> {
    let candidate: Option<(String, i64)> = sqlx::query_as(
        "SELECT c.id, e.timeout_seconds FROM custom_extension_callouts c \
         JOIN custom_extensions e ON e.id = c.extension_id \
         WHERE c.state = 'queued' AND c.next_attempt_at <= $1 ORDER BY c.next_attempt_at, c.id LIMIT 1",
    )
    .bind(ts(now))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, timeout)) = candidate else {
        return Ok(None);
    };
    let lease = now + chrono::Duration::seconds(2 * timeout.clamp(1, 120) + 10);
    let won = sqlx::query(
        "UPDATE custom_extension_callouts SET next_attempt_at = $3 \
         WHERE id = $1 AND state = 'queued' AND next_attempt_at <= $2",
    )
    .bind(&id)
    .bind(ts(now))
    .bind(ts(lease))
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !won {
        return Ok(Some(None));
    }
    let claimed = sqlx::query_as::<_, Claimed>(
        "SELECT c.id, c.stage, c.request_id, c.payload, c.callback_token, c.attempts, e.endpoint_url, \
         e.authentication, e.secret, e.token_url, e.client_id, e.scope, e.timeout_seconds, \
         c.next_attempt_at AS lease \
         FROM custom_extension_callouts c JOIN custom_extensions e ON e.id = c.extension_id WHERE c.id = $1",
    )
    .bind(&id)
    .fetch_one(conn)
    .await?;
    Ok(Some(Some(claimed)))
}

/// What the body of a call says, read when it is first sent.
pub async fn facts(conn: &mut Conn, id: &str) -> Result<Option<CalloutFacts>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        stage: String,
        wait_minutes: Option<i64>,
        waits: Option<String>,
        request_id: Option<String>,
        request_type: Option<String>,
        request_state: Option<String>,
        answers: Option<String>,
        justification: Option<String>,
        package_id: String,
        package_name: String,
        package_description: Option<String>,
        catalog_id: String,
        catalog_name: String,
        catalog_description: Option<String>,
        policy_id: String,
        policy_name: String,
        assignment_id: Option<String>,
        assignment_state: Option<String>,
        assignment_start: Option<String>,
        assignment_end: Option<String>,
        requestor_id: Option<String>,
        requestor_name: Option<String>,
        requestor_email: Option<String>,
        target_id: Option<String>,
        target_name: Option<String>,
        target_email: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT c.stage, e.max_wait_minutes AS wait_minutes, c.callback_token AS waits, r.id AS request_id, \
         r.request_type, r.state AS request_state, r.answers, r.justification, \
         p.id AS package_id, p.display_name AS package_name, p.description AS package_description, \
         k.id AS catalog_id, k.display_name AS catalog_name, k.description AS catalog_description, \
         ap.id AS policy_id, ap.display_name AS policy_name, \
         a.id AS assignment_id, a.state AS assignment_state, a.start_at AS assignment_start, a.end_at AS assignment_end, \
         q.id AS requestor_id, q.display_name AS requestor_name, q.email AS requestor_email, \
         COALESCE(t.id, r.target_id) AS target_id, COALESCE(t.display_name, r.target_display_name) AS target_name, \
         COALESCE(t.email, r.target_email) AS target_email \
         FROM custom_extension_callouts c JOIN custom_extensions e ON e.id = c.extension_id \
         LEFT JOIN assignment_requests r ON r.id = c.request_id \
         LEFT JOIN access_package_assignments a ON a.id = COALESCE(c.assignment_id, r.assignment_id) \
         JOIN access_packages p ON p.id = COALESCE(r.access_package_id, a.access_package_id) \
         JOIN catalogs k ON k.id = p.catalog_id \
         JOIN assignment_policies ap ON ap.id = COALESCE(r.policy_id, a.policy_id) \
         LEFT JOIN users q ON q.id = r.requestor_id \
         LEFT JOIN users t ON t.id = COALESCE(a.target_id, r.target_id) \
         WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let answers: Vec<Answer> = match &r.answers {
        Some(a) => serde_json::from_str(a)
            .map_err(|_| StoreError::Corrupt(format!("answers of request {:?}", r.request_id)))?,
        None => vec![],
    };
    let corrupt =
        |what: &str, value: &str| StoreError::Corrupt(format!("the {what} {value:?} of call {id}"));
    let request_type = match r.request_type.as_deref() {
        Some(t) => Some(RequestType::parse(t).ok_or_else(|| corrupt("request type", t))?),
        None => None,
    };
    let request_state = match r.request_state.as_deref() {
        Some(s) => Some(RequestState::parse(s).ok_or_else(|| corrupt("request state", s))?),
        None => None,
    };
    Ok(Some(CalloutFacts {
        callout_id: CalloutId::from_stored(id.to_string()),
        stage: Stage::parse(&r.stage),
        request_id: r.request_id.map(Into::into),
        request_type,
        request_state,
        answers: answers
            .into_iter()
            .map(|a| (a.question, a.display))
            .collect(),
        justification: r.justification,
        package_id: r.package_id.into(),
        package_name: r.package_name,
        package_description: r.package_description,
        catalog_id: r.catalog_id.into(),
        catalog_name: r.catalog_name,
        catalog_description: r.catalog_description,
        policy_id: r.policy_id.into(),
        policy_name: r.policy_name,
        assignment_id: r.assignment_id.map(Into::into),
        assignment_state: r.assignment_state,
        assignment_start: r.assignment_start,
        assignment_end: r.assignment_end,
        requestor_id: r.requestor_id.map(Into::into),
        requestor_name: r.requestor_name.unwrap_or_default(),
        requestor_email: r.requestor_email.unwrap_or_default(),
        target_id: r.target_id.map(Into::into),
        target_name: r.target_name.unwrap_or_default(),
        target_email: r.target_email.unwrap_or_default(),
        wait_minutes: r.waits.and(r.wait_minutes),
    }))
}

/// Fixes a call's body at its first try; a body already fixed stays.
pub async fn fix_payload(conn: &mut Conn, id: &str, payload: &str) -> Result<String> {
    sqlx::query(
        "UPDATE custom_extension_callouts SET payload = $2 WHERE id = $1 AND payload IS NULL",
    )
    .bind(id)
    .bind(payload)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT payload FROM custom_extension_callouts WHERE id = $1")
        .bind(id)
        .one(conn)
        .await
}

/// How a try ended.
#[derive(Debug, Clone)]
pub enum Tried {
    /// Accepted; `waits`: the request now waits for the answer.
    Sent { waits: bool },
    /// Try again at the time given.
    Retry(String, DateTime<Utc>),
    /// Given up until someone reprocesses it.
    Failed(String),
}

/// Whether a try's end was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Written,
    /// An answer that came back during the call already moved it on.
    Answered,
    /// This caller's claim ran out and another took the call: its try
    /// counts instead.
    NotOurs,
}

/// Writes how a try ended: only while the call is still queued and still
/// held by this caller's claim (`lease`).
pub async fn finish(
    conn: &mut Conn,
    id: &str,
    lease: &str,
    tried: &Tried,
    status: Option<u16>,
    duration_ms: i64,
    now: DateTime<Utc>,
) -> Result<Finished> {
    let (state, error, next) = match tried {
        Tried::Sent { waits: true } => (CallState::Waiting, None, now),
        Tried::Sent { waits: false } => (CallState::Sent, None, now),
        Tried::Retry(e, at) => (CallState::Queued, Some(e.as_str()), *at),
        Tried::Failed(e) => (CallState::Failed, Some(e.as_str()), now),
    };
    let written = sqlx::query(
        "UPDATE custom_extension_callouts SET state = $2, last_error = $3, next_attempt_at = $4, \
         attempts = attempts + 1, last_status = $5, duration_ms = $6, \
         sent_at = CASE WHEN $2 IN ('waiting', 'sent') THEN $7 ELSE sent_at END, \
         finished_at = CASE WHEN $2 IN ('sent', 'failed') THEN $7 ELSE finished_at END \
         WHERE id = $1 AND state = 'queued' AND next_attempt_at = $8",
    )
    .bind(id)
    .bind(state.as_str())
    .bind(error)
    .bind(ts(next))
    .bind(status.map(i64::from))
    .bind(duration_ms)
    .bind(ts(now))
    .bind(lease)
    .changed_one(&mut *conn)
    .await?;
    if written {
        return Ok(Finished::Written);
    }
    // An answer leaves the claim's time as it was; another caller's claim,
    // or its end, does not.
    let answered: Option<String> = sqlx::query_scalar(
        "SELECT id FROM custom_extension_callouts WHERE id = $1 AND state <> 'queued' AND next_attempt_at = $2",
    )
    .bind(id)
    .bind(lease)
    .optional(conn)
    .await?;
    Ok(if answered.is_some() {
        Finished::Answered
    } else {
        Finished::NotOurs
    })
}

/// The call a request is waiting on: (id, stage, token).
pub async fn waiting_for(
    conn: &mut Conn,
    request: &str,
) -> Result<Option<(String, String, String)>> {
    let row: Option<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, stage, callback_token FROM custom_extension_callouts \
         WHERE request_id = $1 AND callback_token IS NOT NULL AND state IN ('queued', 'waiting', 'failed') \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(request)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(id, stage, t)| Some((id, stage, t?))))
}

/// Ends a call's wait as `state` with the answer's detail; false when it no
/// longer waits (answered, timed out or abandoned meanwhile).
pub async fn end_wait(
    conn: &mut Conn,
    id: &str,
    state: CallState,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    sqlx::query(
        "UPDATE custom_extension_callouts SET state = $2, detail = $3, callback_token = NULL, finished_at = $4 \
         WHERE id = $1 AND callback_token IS NOT NULL AND state IN ('queued', 'waiting', 'failed')",
    )
    .bind(id)
    .bind(state.as_str())
    .bind(detail.map(str::to_string))
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// Calls whose wait ended without an answer, each taken (marked timed out)
/// by one caller only: (request id, what happens now, stage).
pub async fn take_timed_out(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, String, String)>> {
    sqlx::query_as(
        "UPDATE custom_extension_callouts SET state = 'timedOut', callback_token = NULL, finished_at = $1 \
         WHERE id IN (SELECT id FROM custom_extension_callouts WHERE callback_token IS NOT NULL \
         AND wait_until <= $1 AND state IN ('queued', 'waiting', 'failed') ORDER BY wait_until LIMIT $2) \
         AND callback_token IS NOT NULL RETURNING COALESCE(request_id, ''), COALESCE(on_timeout, 'continue'), stage",
    )
    .bind(ts(now))
    .bind(limit)
    .all(conn)
    .await
}

/// Ends the waits of a request's calls that are answered no more: all of
/// them when the request ended otherwise (canceled, say), or the call of
/// `stage` when it was decided otherwise (an approver decided the stage an
/// extension was asked to).
pub async fn abandon(
    conn: &mut Conn,
    request: &RequestId,
    stage: Option<Stage>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE custom_extension_callouts SET state = CASE WHEN state = 'queued' THEN state ELSE 'abandoned' END, \
         callback_token = NULL, finished_at = $2 WHERE request_id = $1 AND callback_token IS NOT NULL \
         AND ($3 IS NULL OR stage = $3)",
    )
    .bind(request.as_str())
    .bind(ts(now))
    .bind(stage.map(|s| s.as_str()))
    .exec(conn)
    .await
}

/// A call as the request's details show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalloutView {
    pub id: String,
    pub extension: String,
    pub stage: String,
    #[sqlx(try_from = "String")]
    pub state: CallState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub last_status: Option<i64>,
    pub duration_ms: Option<i64>,
    pub detail: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub finished_at: Option<String>,
    pub wait_until: Option<String>,
}

/// The calls made for a request (and for the assignment it made), oldest first.
pub async fn of_request(conn: &mut Conn, request: &str) -> Result<Vec<CalloutView>> {
    sqlx::query_as(
        "SELECT c.id, e.display_name AS extension, c.stage, c.state, c.attempts, c.last_error, c.last_status, \
         c.duration_ms, c.detail, c.created_at, c.sent_at, c.finished_at, c.wait_until \
         FROM custom_extension_callouts c JOIN custom_extensions e ON e.id = c.extension_id \
         WHERE c.request_id = $1 OR c.assignment_id = (SELECT assignment_id FROM assignment_requests WHERE id = $1) \
         ORDER BY c.created_at, c.id",
    )
    .bind(request)
    .all(conn)
    .await
}

/// Queues a failed call again (Reprocess); false when it had not failed.
pub async fn retry(conn: &mut Conn, id: &CalloutId, now: DateTime<Utc>) -> Result<bool> {
    sqlx::query(
        "UPDATE custom_extension_callouts SET state = 'queued', next_attempt_at = $2, last_error = NULL \
         WHERE id = $1 AND state = 'failed'",
    )
    .bind(id.as_str())
    .bind(ts(now))
    .changed_one(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::Claimed;

    /// A send starts only if it ends (a token, then the call, each within
    /// the timeout) before the claim runs out.
    #[test]
    fn a_send_starts_only_if_it_ends_within_the_claim() {
        let claimed_at = chrono::DateTime::from_timestamp(1_796_274_000, 0).unwrap();
        // A timeout of 5 s: a claim of 2 x 5 + 10 s.
        let call = Claimed {
            id: "c1".into(),
            stage: "assignmentRequestGranted".into(),
            request_id: None,
            payload: None,
            callback_token: None,
            attempts: 0,
            endpoint_url: "https://example.com/hook".into(),
            authentication: "signature".into(),
            secret: String::new(),
            token_url: None,
            client_id: None,
            scope: None,
            timeout_seconds: 5,
            lease: super::ts(claimed_at + chrono::Duration::seconds(20)),
        };
        assert!(call.ends_in_time(claimed_at));
        assert!(call.ends_in_time(claimed_at + chrono::Duration::seconds(9)));
        assert!(!call.ends_in_time(claimed_at + chrono::Duration::seconds(10)));
        let unreadable = Claimed {
            lease: "soon".into(),
            ..call
        };
        assert!(!unreadable.ends_in_time(claimed_at));
    }
}
