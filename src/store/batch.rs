//! Set-based statements for the lifecycle jobs: one statement for a batch of
//! rows, where doing them one by one would cost a round trip each.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::assignments::{ACTIVE, AssignmentRow, SELECT};
use super::bulk::{Val, insert};
use super::packages::RoleScopeRow;
use super::{Conn, Result, map_err, ts};
use crate::domain::audit::{Actor, NewAuditEvent};

fn list(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn assignments(conn: &mut Conn, ids: &[String]) -> Result<Vec<AssignmentRow>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!("{SELECT} WHERE a.id IN ({})", list(1, ids.len()));
    let mut q = sqlx::query_as::<_, AssignmentRow>(&sql);
    for id in ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(conn).await.map_err(map_err)
}

/// Ends those of the assignments that are still active; returns their ids.
pub async fn end_assignments(
    conn: &mut Conn,
    ids: &[String],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "UPDATE access_package_assignments SET state = 'expired', end_reason = $1, ended_at = $2 \
         WHERE id IN ({}) AND state IN {ACTIVE} RETURNING id",
        list(3, ids.len())
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql)
        .bind(reason)
        .bind(ts(now));
    for id in ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(conn).await.map_err(map_err)
}

/// The resource roles of several packages: (package id, role scope).
pub async fn role_scopes(
    conn: &mut Conn,
    packages: &[String],
) -> Result<Vec<(String, RoleScopeRow)>> {
    if packages.is_empty() {
        return Ok(vec![]);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        access_package_id: String,
        #[sqlx(flatten)]
        scope: RoleScopeRow,
    }
    let sql = format!(
        "SELECT s.access_package_id, s.id, s.catalog_resource_id, \
         COALESCE(g.display_name, a.display_name, si.display_name, '(deleted)') AS resource_name, \
         r.origin_system, r.origin_id, s.role_origin_id, s.role_display_name \
         FROM access_package_resource_role_scopes s JOIN catalog_resources r ON r.id = s.catalog_resource_id \
         LEFT JOIN groups g ON r.origin_system = 'AadGroup' AND g.id = r.origin_id \
         LEFT JOIN applications a ON r.origin_system = 'AadApplication' AND a.id = r.origin_id \
         LEFT JOIN sites si ON r.origin_system = 'SharePointOnline' AND si.id = r.origin_id \
         WHERE s.access_package_id IN ({})",
        list(1, packages.len())
    );
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for p in packages {
        q = q.bind(p.clone());
    }
    Ok(q.fetch_all(conn)
        .await
        .map_err(map_err)?
        .into_iter()
        .map(|r| (r.access_package_id, r.scope))
        .collect())
}

/// What the users' active assignments grant: (user, catalog resource, role).
pub async fn active_grants(
    conn: &mut Conn,
    users: &[String],
) -> Result<HashSet<(String, String, String)>> {
    if users.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT DISTINCT a.target_id, s.catalog_resource_id, s.role_origin_id \
         FROM access_package_assignments a JOIN access_package_resource_role_scopes s \
         ON s.access_package_id = a.access_package_id WHERE a.target_id IN ({}) AND a.state IN {ACTIVE}",
        list(1, users.len())
    );
    let mut q = sqlx::query_as::<_, (String, String, String)>(&sql);
    for u in users {
        q = q.bind(u.clone());
    }
    Ok(q.fetch_all(conn)
        .await
        .map_err(map_err)?
        .into_iter()
        .collect())
}

/// Takes back memberships: `table` is group_members (group_id, user_id, role),
/// site_members (site_id, user_id, role) or app_role_assignments
/// (app_role_id, user_id, with an empty third value).
pub async fn revoke(
    conn: &mut Conn,
    table: &'static str,
    rows: &[(String, String, String)],
) -> Result<()> {
    let (columns, width) = match table {
        "group_members" => ("group_id, user_id, role", 3),
        "site_members" => ("site_id, user_id, role", 3),
        "app_role_assignments" => ("app_role_id, user_id", 2),
        _ => return Ok(()),
    };
    for chunk in rows.chunks(2000) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", list(i * width + 1, width)))
            .collect();
        let mut users: Vec<&str> = chunk.iter().map(|(_, u, _)| u.as_str()).collect();
        users.sort();
        users.dedup();
        // The user_id condition lets both backends find the rows by index;
        // the row values alone would scan the table.
        let sql = format!(
            "DELETE FROM {table} WHERE user_id IN ({}) AND ({columns}) IN (VALUES {})",
            list(chunk.len() * width + 1, users.len()),
            tuples.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (a, b, c) in chunk {
            q = q.bind(a.clone()).bind(b.clone());
            if width == 3 {
                q = q.bind(c.clone());
            }
        }
        for u in &users {
            q = q.bind(u.to_string());
        }
        q.execute(&mut *conn).await.map_err(map_err)?;
    }
    Ok(())
}

/// Required attributes of these catalog resources whose values go with the
/// assignment: (resource, attribute name).
pub async fn attributes_not_kept(
    conn: &mut Conn,
    resources: &[String],
) -> Result<Vec<(String, String)>> {
    if resources.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT catalog_resource_id, attribute_name FROM resource_attributes \
         WHERE catalog_resource_id IN ({}) AND is_persisted_on_assignment_removal = $1",
        list(2, resources.len())
    );
    let mut q = sqlx::query_as::<_, (String, String)>(&sql).bind(false);
    for r in resources {
        q = q.bind(r.clone());
    }
    q.fetch_all(conn).await.map_err(map_err)
}

pub async fn set_reminded(conn: &mut Conn, ids: &[String], days: i64) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE access_package_assignments SET reminded_days = $1 WHERE id IN ({})",
        list(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(days);
    for id in ids {
        q = q.bind(id.clone());
    }
    q.execute(conn).await.map_err(map_err)?;
    Ok(())
}

/// A message for the outbox: kind, address, name, facts.
pub struct Mail {
    pub kind: &'static str,
    pub to_address: String,
    pub to_name: String,
    pub data: serde_json::Value,
}

pub async fn enqueue(conn: &mut Conn, mails: &[Mail], now: DateTime<Utc>) -> Result<()> {
    let rows: Vec<Vec<Val>> = mails
        .iter()
        .map(|m| {
            vec![
                uuid::Uuid::new_v4().to_string().into(),
                m.kind.into(),
                m.to_address.clone().into(),
                m.to_name.clone().into(),
                m.data.to_string().into(),
                ts(now).into(),
                ts(now).into(),
            ]
        })
        .collect();
    insert(
        conn,
        "mail_outbox",
        &[
            "id",
            "kind",
            "to_address",
            "to_name",
            "data",
            "created_at",
            "next_attempt_at",
        ],
        &rows,
    )
    .await
}

pub async fn audit(
    conn: &mut Conn,
    actor: &Actor,
    events: &[NewAuditEvent],
    now: DateTime<Utc>,
) -> Result<()> {
    let rows: Vec<Vec<Val>> = events
        .iter()
        .map(|e| {
            vec![
                ts(now).into(),
                actor.user_id.clone().into(),
                actor.display_name.clone().into(),
                e.action.clone().into(),
                e.object_type.into(),
                e.object_id.clone().into(),
                e.object_name.clone().into(),
                e.details.to_string().into(),
            ]
        })
        .collect();
    insert(
        conn,
        "audit_events",
        &[
            "occurred_at",
            "actor_id",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_name",
            "details",
        ],
        &rows,
    )
    .await
}

/// Ends up to `limit` assignments whose end has come, marking them with
/// `batch` (`lock`: `Store::skip_locked`). Returns how many.
pub async fn end_due(
    conn: &mut Conn,
    batch: &str,
    now: DateTime<Utc>,
    limit: i64,
    lock: &str,
) -> Result<u64> {
    let done = sqlx::query(&format!(
        "UPDATE access_package_assignments SET state = 'expired', end_reason = 'expired', ended_at = $1, \
         end_batch = $2 WHERE id IN (SELECT id FROM access_package_assignments \
         WHERE state = 'delivered' AND end_at <= $1 ORDER BY end_at, id LIMIT $3{lock})"
    ))
    .bind(ts(now))
    .bind(batch)
    .bind(limit)
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(done.rows_affected())
}

/// The (origin id, user, role) a batch's assignments granted that no other
/// active assignment of the same user grants, for resources of one origin.
fn batch_grants(origin: &str, first: &str) -> String {
    format!(
        "SELECT {first}, a.target_id{role} FROM access_package_assignments a \
         JOIN access_package_resource_role_scopes s ON s.access_package_id = a.access_package_id \
         JOIN catalog_resources r ON r.id = s.catalog_resource_id \
         WHERE a.end_batch = $1 AND r.origin_system = '{origin}' AND NOT EXISTS ( \
           SELECT 1 FROM access_package_assignments o JOIN access_package_resource_role_scopes os \
           ON os.access_package_id = o.access_package_id WHERE o.target_id = a.target_id \
           AND o.state IN {ACTIVE} AND os.catalog_resource_id = s.catalog_resource_id \
           AND os.role_origin_id = s.role_origin_id)",
        role = if origin == "AadApplication" {
            ""
        } else {
            ", s.role_origin_id"
        }
    )
}

/// Takes back what a batch of ended assignments alone granted.
pub async fn revoke_batch(conn: &mut Conn, batch: &str) -> Result<()> {
    for sql in [
        format!(
            "DELETE FROM group_members WHERE (group_id, user_id, role) IN ({})",
            batch_grants("AadGroup", "r.origin_id")
        ),
        format!(
            "DELETE FROM site_members WHERE (site_id, user_id, role) IN ({})",
            batch_grants("SharePointOnline", "r.origin_id")
        ),
        format!(
            "DELETE FROM app_role_assignments WHERE (app_role_id, user_id) IN ({})",
            batch_grants("AadApplication", "s.role_origin_id")
        ),
    ] {
        sqlx::query(&sql)
            .bind(batch)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

/// (user, attribute) values a batch's packages required and do not keep.
pub async fn batch_attributes_not_kept(
    conn: &mut Conn,
    batch: &str,
) -> Result<Vec<(String, String)>> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT DISTINCT a.target_id, ra.attribute_name FROM access_package_assignments a \
         JOIN access_package_resource_role_scopes s ON s.access_package_id = a.access_package_id \
         JOIN resource_attributes ra ON ra.catalog_resource_id = s.catalog_resource_id \
         WHERE a.end_batch = $1 AND ra.is_persisted_on_assignment_removal = $2",
    )
    .bind(batch)
    .bind(false)
    .fetch_all(conn)
    .await
    .map_err(map_err)
}

/// Queues "your access has ended" for each assignment of the batch, and its
/// audit event, built in the database (the dialects differ only in how they
/// make an id and a JSON object).
pub async fn finish_batch(
    conn: &mut Conn,
    kind: &crate::config::DatabaseKind,
    batch: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    use crate::config::DatabaseKind;
    let (new_id, object, text) = match kind {
        DatabaseKind::Sqlite => ("lower(hex(randomblob(16)))", "json_object", ""),
        DatabaseKind::Postgres => ("gen_random_uuid()::text", "json_build_object", "::text"),
    };
    let from = "FROM access_package_assignments a JOIN users u ON u.id = a.target_id \
                JOIN access_packages p ON p.id = a.access_package_id WHERE a.end_batch = $1";
    sqlx::query(&format!(
        "INSERT INTO mail_outbox (id, kind, to_address, to_name, data, created_at, next_attempt_at) \
         SELECT {new_id}, 'accessEnded', u.email, u.display_name, \
         {object}('package', p.display_name, 'requestor', u.display_name, 'requestor_email', u.email, \
                  'reason', 'expired'){text}, $2, $2 {from}"
    ))
    .bind(batch)
    .bind(ts(now))
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    sqlx::query(&format!(
        "INSERT INTO audit_events (occurred_at, actor_id, actor_name, action, object_type, object_id, \
         object_name, details) SELECT $2, NULL, 'Gatehouse', 'Access package assignment expired', \
         'accessPackage', a.id, p.display_name, \
         {object}('assignment', a.id, 'user', u.email, 'package', p.display_name, 'reason', 'expired'){text} {from}"
    ))
    .bind(batch)
    .bind(ts(now))
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(())
}
