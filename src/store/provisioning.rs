//! The provisioning queue: operations the ledger's triggers write (see
//! migration 0014), claimed by a worker, applied to the target, and the
//! assignments they deliver settled when they are done.
//!
//! An operation is claimed by moving its `next_attempt_at` to the end of a
//! lease in one conditional update, so two instances never apply it at the
//! same time; one whose instance crashed is taken again when the lease runs
//! out. Operations on the same person and resource run in the order they
//! were written: one waits while an earlier one is pending.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::{Result, map_err};
use super::rows::{self, Val};
use super::sql::{Conn, Rows, Statement, placeholders};
use crate::domain::ids::{AssignmentId, ConnectedSystemId, ResourceLinkId, UserId};
use crate::domain::message::{Mail, Message};
use crate::domain::provisioning::{OpAction, Outcome};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Operation {
    pub seq: i64,
    #[sqlx(try_from = "String")]
    pub link_id: ResourceLinkId,
    #[sqlx(try_from = "String")]
    pub system_id: ConnectedSystemId,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub action: OpAction,
    pub email: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub attempts: i64,
    pub external_id: String,
    pub placeholder: Option<String>,
    /// Who the person is in the target, when already known.
    pub member: Option<String>,
    /// The person's kind (`member`, `guest`); none once they are deleted.
    pub user_type: Option<String>,
}

impl Operation {
    /// Whether the person is to be found as a guest (by their whole
    /// address): anyone not known to be a member, a deleted guest included,
    /// so that nobody is ever taken for an employee by a local part.
    pub fn guest(&self) -> bool {
        self.user_type.as_deref() != Some(crate::domain::user::UserType::Member.as_str())
    }
}

/// Due: pending, its time come, nothing before it for the same person on
/// the same link; and, for an addition, no reconciliation's removal on the
/// link being applied at that moment (claimed) that could be of its person
/// (whose member value is that one, or not known): the removal was checked
/// when it was claimed, before this addition was queued, and would take
/// out again whom the addition finds already there.
const DUE: &str = "o.state = 'pending' AND o.next_attempt_at <= $1 AND NOT EXISTS (\
     SELECT 1 FROM provisioning_operations e WHERE e.link_id = o.link_id AND e.user_id = o.user_id \
     AND e.seq < o.seq AND e.state = 'pending') \
     AND (o.action <> 'add' OR NOT EXISTS (SELECT 1 FROM provisioning_operations r \
       WHERE r.link_id = o.link_id AND r.member_value IS NOT NULL AND r.state = 'pending' \
       AND r.claimed_until > $1 AND NOT EXISTS (SELECT 1 FROM provisioned_accounts a \
         WHERE a.system_id = o.system_id AND a.user_id = o.user_id \
         AND lower(a.member_value) <> lower(r.member_value))))";

/// The PostgreSQL advisory lock that claims take one at a time ("gateprov").
const CLAIMS_LOCK: i64 = 0x6761_7465_7072_6f76;

/// Whether any operation is due: a read the idle worker makes often, so
/// that it claims (a write) only when there is work.
pub async fn any_due(conn: &mut Conn, now: DateTime<Utc>) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT seq FROM provisioning_operations WHERE state = 'pending' AND next_attempt_at <= $1 LIMIT 1",
    )
    .bind(ts(now))
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Claims up to `limit` due operations until `lease`, oldest first. Each is
/// claimed by one caller only: the update takes a row only while it is
/// still due.
pub async fn claim(
    conn: &mut Conn,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Operation>> {
    if super::sql::dialect(conn) == super::sql::Dialect::Postgres {
        // Claims by several instances are made one after the other, each
        // seeing what the one before claimed (`DUE` asks it of additions);
        // SQLite has one writer at a time anyway.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CLAIMS_LOCK)
            .exec(&mut *conn)
            .await?;
    }
    recheck_removals(conn, now).await?;
    let mut seqs: Vec<i64> = sqlx::query_scalar(&format!(
        "UPDATE provisioning_operations SET next_attempt_at = $2, claimed_until = $2 WHERE seq IN (\
         SELECT o.seq FROM provisioning_operations o WHERE {DUE} ORDER BY o.seq LIMIT $3) \
         AND state = 'pending' AND next_attempt_at <= $1 RETURNING seq"
    ))
    .bind(ts(now))
    .bind(ts(lease))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    if seqs.is_empty() {
        return Ok(vec![]);
    }
    // A removal claimed with an addition that may be of its person (claimed
    // in this batch, so now `unknown_addition`) waits, as `recheck_removals`
    // makes it wait for one claimed before: applied after it, the removal
    // would take out whom the addition found there.
    let postpone = format!(
        "UPDATE provisioning_operations AS o SET next_attempt_at = $1, claimed_until = NULL \
         WHERE o.member_value IS NOT NULL AND o.seq IN ({}) \
         AND EXISTS (SELECT 1 FROM provisioning_operations p WHERE p.link_id = o.link_id AND {}) \
         RETURNING seq",
        placeholders(2, seqs.len()),
        unknown_addition("p")
    );
    let mut q = sqlx::query_scalar::<_, i64>(&postpone)
        .bind(ts(now + chrono::Duration::seconds(REMOVAL_WAITS_SECONDS)));
    for s in &seqs {
        q = q.bind(*s);
    }
    let waiting: Vec<i64> = q.fetch_all(&mut *conn).await?;
    seqs.retain(|s| !waiting.contains(s));
    if seqs.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT o.seq, o.link_id, o.system_id, o.user_id, o.action, o.email, o.display_name, o.given_name, o.surname, \
         o.attempts, l.external_id, l.placeholder, COALESCE(o.member_value, a.member_value) AS member, \
         u.user_type \
         FROM provisioning_operations o JOIN resource_links l ON l.id = o.link_id \
         LEFT JOIN users u ON u.id = o.user_id \
         LEFT JOIN provisioned_accounts a ON a.system_id = o.system_id AND a.user_id = o.user_id \
         WHERE o.seq IN ({}) ORDER BY o.seq",
        placeholders(1, seqs.len())
    );
    let mut q = sqlx::query_as::<_, Operation>(&sql);
    for s in &seqs {
        q = q.bind(*s);
    }
    q.fetch_all(conn).await.map_err(map_err)
}

/// How long a reconciliation's removal waits while someone is being added
/// to its group under a member value the target has not named yet.
const REMOVAL_WAITS_SECONDS: i64 = 60;

/// Before a claim, the reconciliation's removals that are due are looked at
/// again, since the target was read: one whose system is no longer set to
/// remove, or whose member Gatehouse now grants (someone holding the link's
/// role, or with an operation waiting on it, known in the target by that
/// value), is superseded; one on a group where someone not yet named by the
/// target is being added waits a minute, since the member could be them.
/// (The check is made at the claim; an addition queued after it waits
/// while the removal is claimed, see `DUE`.)
async fn recheck_removals(conn: &mut Conn, now: DateTime<Utc>) -> Result<()> {
    const DUE_REMOVAL: &str =
        "o.member_value IS NOT NULL AND o.state = 'pending' AND o.next_attempt_at <= $1";
    sqlx::query(&format!(
        "UPDATE provisioning_operations AS o SET state = 'superseded', done_at = $1 \
         WHERE {DUE_REMOVAL} AND (NOT EXISTS (SELECT 1 FROM connected_systems s \
           WHERE s.id = o.system_id AND s.reconcile_mode = 'addAndRemove') \
         OR EXISTS (SELECT 1 FROM provisioned_accounts a \
           JOIN resource_links l ON l.id = o.link_id \
           WHERE a.system_id = o.system_id AND lower(a.member_value) = lower(o.member_value) \
           AND (a.user_id IN ({}) OR EXISTS (SELECT 1 FROM provisioning_operations p \
             WHERE p.link_id = o.link_id AND p.user_id = a.user_id AND p.state = 'pending'))))",
        super::connected_systems::holders_sql("l.origin_system", "l.origin_id", "l.role")
    ))
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "UPDATE provisioning_operations AS o SET next_attempt_at = $2 \
         WHERE {DUE_REMOVAL} AND EXISTS (SELECT 1 FROM provisioning_operations p \
           WHERE p.link_id = o.link_id AND {})",
        unknown_addition("p")
    ))
    .bind(ts(now))
    .bind(ts(now + chrono::Duration::seconds(REMOVAL_WAITS_SECONDS)))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The columns of a reconciliation's removal, as `queue_removals` writes them.
const REMOVAL_COLUMNS: &[&str] = &[
    "link_id",
    "system_id",
    "user_id",
    "action",
    "email",
    "display_name",
    "next_attempt_at",
    "created_at",
    "member_value",
];

/// The key a reconciliation's removal of `member` is queued under, in the
/// place of a person's id: a digest of the value in lower case, so that a
/// value of any length fits the column's indexes (the value itself is kept
/// in `member_value`, which none indexes).
fn removal_key(member: &str) -> String {
    let digest = crate::domain::digest::sha256_hex(&member.to_lowercase());
    format!("reconcile:{digest}")
}

/// Queues the removal of members of the link's group that Gatehouse did
/// not grant (`members`, their values in the target), for the worker to
/// apply as it applies every operation; a member whose removal waits
/// already is not queued twice (nor by two runs at once: a unique index).
/// The link's earlier removals that failed are superseded: this run found
/// afresh what is unexpected. Returns the members queued.
pub async fn queue_removals(
    conn: &mut Conn,
    link: &ResourceLinkId,
    system: &ConnectedSystemId,
    members: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    sqlx::query(
        "UPDATE provisioning_operations SET state = 'superseded', done_at = $2 \
         WHERE link_id = $1 AND state = 'failed' AND member_value IS NOT NULL",
    )
    .bind(link.as_str())
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    if members.is_empty() {
        return Ok(vec![]);
    }
    let waiting: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM provisioning_operations \
         WHERE link_id = $1 AND state = 'pending' AND member_value IS NOT NULL",
    )
    .bind(link.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut keys: std::collections::HashSet<String> = waiting.into_iter().collect();
    let queued: Vec<String> = members
        .iter()
        .filter(|m| keys.insert(removal_key(m)))
        .cloned()
        .collect();
    let at = ts(now);
    let rows: Vec<Vec<Val>> = queued
        .iter()
        .map(|m| {
            vec![
                link.as_str().into(),
                system.as_str().into(),
                removal_key(m).into(),
                "remove".into(),
                "".into(),
                m.as_str().into(),
                at.clone().into(),
                at.clone().into(),
                m.as_str().into(),
            ]
        })
        .collect();
    rows::insert(
        conn,
        "provisioning_operations",
        REMOVAL_COLUMNS,
        &rows,
        "ON CONFLICT DO NOTHING",
    )
    .await?;
    Ok(queued)
}

/// Records how an operation claimed until `lease` ended; nothing when the
/// claim is no longer this one's (it ran out and another instance took it).
pub async fn finish(
    conn: &mut Conn,
    seq: i64,
    lease: DateTime<Utc>,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<()> {
    let (state, error, next) = match outcome {
        Outcome::Done => ("done", None, now),
        Outcome::Retry(e, at) => ("pending", Some(e.as_str()), *at),
        Outcome::Failed(e) => ("failed", Some(e.as_str()), now),
    };
    sqlx::query(
        "UPDATE provisioning_operations SET state = $2, last_error = $3, next_attempt_at = $4, attempts = attempts + 1, claimed_until = NULL, \
         done_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $5 END \
         WHERE seq = $1 AND state = 'pending' AND next_attempt_at = $6",
    )
    .bind(seq)
    .bind(state)
    .bind(error)
    .bind(ts(next))
    .bind(ts(now))
    .bind(ts(lease))
    .exec(conn)
    .await
}

/// Records operations claimed until `lease` as done, a few hundred per
/// statement; those whose claim was taken over meanwhile are left alone.
pub async fn finish_done(
    conn: &mut Conn,
    seqs: &[i64],
    lease: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in seqs.chunks(500) {
        let sql = format!(
            "UPDATE provisioning_operations SET state = 'done', last_error = NULL, \
             next_attempt_at = $1, attempts = attempts + 1, done_at = $1, claimed_until = NULL \
             WHERE state = 'pending' AND next_attempt_at = $2 AND seq IN ({})",
            placeholders(3, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(ts(now)).bind(ts(lease));
        for seq in chunk {
            q = q.bind(*seq);
        }
        q.execute(&mut *conn).await.map_err(map_err)?;
    }
    Ok(())
}

/// Remembers who people are in systems: (system, user, key, member value),
/// many per statement, the last for a person in a system winning.
pub async fn remember_accounts(
    conn: &mut Conn,
    accounts: &[(&ConnectedSystemId, &UserId, &str, &str)],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut latest: HashMap<(&str, &str), (&str, &str)> = HashMap::new();
    for (system, user, key, member) in accounts {
        latest.insert((system.as_str(), user.as_str()), (key, member));
    }
    let at = ts(now);
    let rows: Vec<Vec<Val>> = latest
        .into_iter()
        .map(|((system, user), (key, member))| {
            vec![
                system.into(),
                user.into(),
                key.into(),
                member.into(),
                at.clone().into(),
            ]
        })
        .collect();
    rows::insert(
        conn,
        "provisioned_accounts",
        &[
            "system_id",
            "user_id",
            "external_key",
            "member_value",
            "created_at",
        ],
        &rows,
        "ON CONFLICT (system_id, user_id) DO UPDATE SET external_key = excluded.external_key, \
         member_value = excluded.member_value",
    )
    .await?;
    Ok(())
}

/// Whether an operation of the assignment's package (an addition for its
/// person, written since it began) is in `state`: `{a}` the assignment row.
fn ops_of_assignment(state: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM provisioning_operations o JOIN resource_links l ON l.id = o.link_id \
         JOIN catalog_resources r ON r.origin_system = l.origin_system AND r.origin_id = l.origin_id \
         JOIN access_package_resource_role_scopes s ON s.catalog_resource_id = r.id AND s.role_origin_id = l.role \
         WHERE s.access_package_id = a.access_package_id AND o.user_id = a.target_id AND o.action = 'add' \
         AND o.state = '{state}' AND o.created_at >= a.created_at)"
    )
}

/// After delivery wrote its grants: an assignment whose additions are
/// still queued is *Delivering*. Returns whether it is.
pub async fn hold_delivery(conn: &mut Conn, assignment: &AssignmentId) -> Result<bool> {
    sqlx::query(&format!(
        "UPDATE access_package_assignments AS a SET state = 'delivering' \
         WHERE a.id = $1 AND a.state IN {} AND {}",
        super::states::ACTIVE,
        ops_of_assignment("pending")
    ))
    .bind(assignment.as_str())
    .changed_one(conn)
    .await
}

/// Keeps "you now have access" in a delivering assignment until its
/// additions are done (`settle` sends it).
pub async fn hold_mail(conn: &mut Conn, assignment: &AssignmentId, mail: &Mail) -> Result<()> {
    let stored = serde_json::json!({"to_address": mail.to_address, "to_name": mail.to_name,
        "kind": mail.message.kind().as_str(), "data": mail.message.data()})
    .to_string();
    sqlx::query("UPDATE access_package_assignments SET delivered_mail = $2 WHERE id = $1")
        .bind(assignment.as_str())
        .bind(stored)
        .exec(conn)
        .await
}

/// Settles the assignments of `users` that were delivering: *Delivered*
/// once none of their additions waits or failed (and their held mail
/// queued), *Partially delivered* when one failed. Returns the mails to send.
pub async fn settle(conn: &mut Conn, users: &[&UserId]) -> Result<Vec<Mail>> {
    if users.is_empty() {
        return Ok(vec![]);
    }
    // Read the held mails before the update clears them.
    let read = format!(
        "SELECT a.id, a.delivered_mail FROM access_package_assignments a WHERE a.target_id IN ({list}) \
         AND a.state IN ('delivering', 'partiallyDelivered') AND a.delivered_mail IS NOT NULL \
         AND NOT {pending} AND NOT {failed}",
        pending = ops_of_assignment("pending"),
        failed = ops_of_assignment("failed"),
        list = placeholders(1, users.len()),
    );
    let mut q = sqlx::query_as::<_, (String, String)>(&read);
    for u in users {
        q = q.bind(u.as_str());
    }
    let held = q.fetch_all(&mut *conn).await?;
    let update = format!(
        "UPDATE access_package_assignments AS a SET state = CASE WHEN {pending} THEN 'delivering' \
         WHEN {failed} THEN 'partiallyDelivered' ELSE 'delivered' END, \
         delivered_mail = CASE WHEN {pending} OR {failed} THEN delivered_mail END \
         WHERE a.target_id IN ({list}) AND a.state IN ('delivering', 'partiallyDelivered')",
        pending = ops_of_assignment("pending"),
        failed = ops_of_assignment("failed"),
        list = placeholders(1, users.len()),
    );
    let mut q = sqlx::query(&update);
    for u in users {
        q = q.bind(u.as_str());
    }
    q.execute(conn).await?;
    // A held mail that no longer reads is reported and not sent: failing
    // here would roll back, and so repeat, the whole batch of operations.
    let mut mails = Vec::with_capacity(held.len());
    for (assignment, stored) in &held {
        match held_mail(stored) {
            Ok(mail) => mails.push(mail),
            Err(e) => tracing::error!(assignment, error = %e, "a held mail is not sent"),
        }
    }
    Ok(mails)
}

/// A mail held until provisioning finished, as stored; one that no longer
/// reads is a corrupt row, not a mail silently dropped.
fn held_mail(stored: &str) -> Result<Mail> {
    let corrupt = || super::error::StoreError::Corrupt("held mail does not read".into());
    let v: serde_json::Value = serde_json::from_str(stored).map_err(|_| corrupt())?;
    let text = |k: &str| v.get(k).and_then(|t| t.as_str()).ok_or_else(corrupt);
    let data = v.get("data").ok_or_else(corrupt)?.to_string();
    Ok(Mail {
        message: Message::from_stored(text("kind")?, &data).map_err(|_| corrupt())?,
        to_address: text("to_address")?.to_string(),
        to_name: text("to_name")?.to_string(),
    })
}

/// Reprocess: the assignment's failed additions are tried again at once
/// (`hold_delivery` then marks it *Delivering*). Returns how many.
pub async fn retry_failed(conn: &mut Conn, assignment: &str, now: DateTime<Utc>) -> Result<u64> {
    let n = sqlx::query(
        "UPDATE provisioning_operations SET state = 'pending', next_attempt_at = $2, attempts = 0 \
         WHERE state = 'failed' AND action = 'add' AND seq IN (\
         SELECT o.seq FROM provisioning_operations o JOIN resource_links l ON l.id = o.link_id \
         JOIN catalog_resources r ON r.origin_system = l.origin_system AND r.origin_id = l.origin_id \
         JOIN access_package_resource_role_scopes s ON s.catalog_resource_id = r.id AND s.role_origin_id = l.role \
         JOIN access_package_assignments a ON a.access_package_id = s.access_package_id AND a.target_id = o.user_id \
         WHERE a.id = $1 AND o.created_at >= a.created_at)",
    )
    .bind(assignment)
    .bind(ts(now))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n)
}

/// The errors of an assignment's failed additions, for the Assignments tab.
pub async fn assignment_errors(
    conn: &mut Conn,
    assignments: &[String],
) -> Result<Vec<(String, String)>> {
    if assignments.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT DISTINCT a.id, sy.display_name || ': ' || o.last_error FROM access_package_assignments a \
         JOIN access_package_resource_role_scopes s ON s.access_package_id = a.access_package_id \
         JOIN catalog_resources r ON r.id = s.catalog_resource_id \
         JOIN resource_links l ON l.origin_system = r.origin_system AND l.origin_id = r.origin_id AND l.role = s.role_origin_id \
         JOIN provisioning_operations o ON o.link_id = l.id AND o.user_id = a.target_id AND o.action = 'add' \
         JOIN connected_systems sy ON sy.id = o.system_id \
         WHERE a.id IN ({}) AND o.state IN ('failed', 'pending') AND o.last_error IS NOT NULL AND o.created_at >= a.created_at",
        placeholders(1, assignments.len())
    );
    let mut q = sqlx::query_as::<_, (String, String)>(&sql);
    for a in assignments {
        q = q.bind(a.as_str());
    }
    q.fetch_all(conn).await.map_err(map_err)
}

/// Who the people with an operation still queued for the link are in the
/// target (where known), and the members whose removal the reconciliation
/// queued: on their way in or out, neither missing nor unexpected.
pub async fn in_flight_members(conn: &mut Conn, link: &ResourceLinkId) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT COALESCE(o.member_value, a.member_value) FROM provisioning_operations o \
         LEFT JOIN provisioned_accounts a ON a.system_id = o.system_id AND a.user_id = o.user_id \
         WHERE o.link_id = $1 AND o.state = 'pending' \
         AND COALESCE(o.member_value, a.member_value) IS NOT NULL",
    )
    .bind(link.as_str())
    .fetch_all(conn)
    .await
    .map_err(map_err)
}

/// An addition (`p`, the operations' alias) that may have put its person
/// in the target under a member value nobody here knows (`unknown_in_flight`):
/// pending, no account recorded for the person, and not tried yet, or
/// claimed and not finished (being applied now, or by an instance that
/// stopped before it saved: `finish` clears the claim). One backing off
/// after a failure holds nothing up: what it learned of the person is
/// recorded even when the change fails or runs out of time, so without an
/// account it never reached the group.
fn unknown_addition(p: &str) -> String {
    format!(
        "{p}.action = 'add' AND {p}.state = 'pending' \
         AND ({p}.attempts = 0 OR {p}.claimed_until IS NOT NULL) \
         AND NOT EXISTS (SELECT 1 FROM provisioned_accounts a \
           WHERE a.system_id = {p}.system_id AND a.user_id = {p}.user_id)"
    )
}

/// Whether an addition on `link` may have put someone in the target whom it
/// has not named to Gatehouse yet (`unknown_addition`): the worker may have
/// added them already, under a member value nobody here knows.
pub async fn unknown_in_flight(conn: &mut Conn, link: &ResourceLinkId) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT 1 FROM provisioning_operations o WHERE o.link_id = $1 AND {} LIMIT 1",
        unknown_addition("o")
    ))
    .bind(link.as_str())
    .fetch_optional(conn)
    .await
    .map_err(map_err)?;
    Ok(found.is_some())
}

/// The linked resource role of `link`: (system, origin system, origin id,
/// role).
async fn link_role(
    conn: &mut Conn,
    link: &ResourceLinkId,
) -> Result<Option<(String, String, String, String)>> {
    sqlx::query_as::<_, (String, String, String, String)>(
        "SELECT system_id, origin_system, origin_id, role FROM resource_links WHERE id = $1",
    )
    .bind(link.as_str())
    .fetch_optional(conn)
    .await
    .map_err(map_err)
}

/// Whether the user `{user}` holds the link's resource role in the ledger
/// (`$3`, `$4`, `$5`: its origin system, id and role) with no operation
/// queued for the link (`$1`).
fn granted_and_unqueued(user: &str) -> String {
    format!(
        "{user} IN ({}) AND NOT EXISTS (SELECT 1 FROM provisioning_operations o \
         WHERE o.link_id = $1 AND o.user_id = {user} AND o.state = 'pending')",
        super::connected_systems::holders_sql("$3", "$4", "$5")
    )
}

/// The people who hold a linked resource role in the ledger, with who they
/// are in the target when known: (user id, email, member value). People
/// whose addition is still queued are left out: they are on their way.
pub async fn ledger_members(
    conn: &mut Conn,
    link: &ResourceLinkId,
) -> Result<Vec<(String, String, Option<String>)>> {
    let Some((system, origin_system, origin_id, role)) = link_role(conn, link).await? else {
        return Ok(vec![]);
    };
    sqlx::query_as::<_, (String, String, Option<String>)>(&format!(
        "SELECT u.id, u.email, a.member_value FROM users u \
         LEFT JOIN provisioned_accounts a ON a.system_id = $2 AND a.user_id = u.id WHERE {}",
        granted_and_unqueued("u.id")
    ))
    .bind(link.as_str())
    .bind(system)
    .bind(origin_system)
    .bind(origin_id)
    .bind(role)
    .all(conn)
    .await
}

/// Queues additions for people the ledger grants but the target lacks,
/// of those the ledger still grants, with nothing queued for them: the
/// ledger was read before the target answered, and their access may have
/// ended since (the caller holds them first, so such an end is seen). A
/// thousand people per statement.
pub async fn queue_additions(
    conn: &mut Conn,
    link: &ResourceLinkId,
    users: &[String],
    now: DateTime<Utc>,
) -> Result<u64> {
    if users.is_empty() {
        return Ok(0);
    }
    let Some((_, origin_system, origin_id, role)) = link_role(conn, link).await? else {
        return Ok(0);
    };
    let mut queued = 0;
    for chunk in users.chunks(1000) {
        let sql = format!(
            "INSERT INTO provisioning_operations (link_id, system_id, user_id, action, email, display_name, given_name, surname, next_attempt_at, created_at) \
             SELECT l.id, l.system_id, u.id, 'add', u.email, u.display_name, u.given_name, u.surname, $2, $2 \
             FROM resource_links l JOIN users u ON u.id IN ({}) WHERE l.id = $1 AND {}",
            placeholders(6, chunk.len()),
            granted_and_unqueued("u.id")
        );
        let mut q = sqlx::query(&sql)
            .bind(link.as_str())
            .bind(ts(now))
            .bind(&origin_system)
            .bind(&origin_id)
            .bind(&role);
        for u in chunk {
            q = q.bind(u.as_str());
        }
        queued += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_mail_reads_back_and_a_corrupt_one_is_an_error() {
        let held = r#"{"kind":"accessDelivered","data":{},"to_address":"a@x.test","to_name":"A"}"#;
        let mail = held_mail(held).unwrap();
        assert_eq!(
            (mail.to_address.as_str(), mail.to_name.as_str()),
            ("a@x.test", "A")
        );
        for corrupt in [
            r#"{"kind":"accessDelivered","data":{},"to_address":"a@x.test"}"#,
            r#"{"kind":"nonsense","data":{},"to_address":"a@x.test","to_name":"A"}"#,
            "not json",
        ] {
            assert!(held_mail(corrupt).is_err(), "{corrupt}");
        }
    }
}
