//! Users and their sign-in identities.

use std::collections::HashMap;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use super::columns::{Flag, contains_pattern, ts};
use super::error::{Result, StoreError, map_err};
use super::page::{Page, PageAt};
use super::rows::Val;
use super::sql::{Conn, Rows, Statement};
use crate::domain::ids::{AccessPackageId, UserId};
use crate::domain::tenant::TENANT_TIME_ZONE;
use crate::domain::user::{User, UserProfile, UserState, UserType};

#[derive(Debug, Clone, sqlx::FromRow)]
struct UserRow {
    id: String,
    user_type: String,
    display_name: String,
    given_name: Option<String>,
    surname: Option<String>,
    email: String,
    job_title: Option<String>,
    department: Option<String>,
    manager_id: Option<String>,
    custom_attributes: String,
    state: String,
    lifecycle: String,
    connected_organization_id: Option<String>,
}

const USER_COLUMNS: &str = "id, user_type, display_name, given_name, surname, email, job_title, \
                            department, manager_id, custom_attributes, state, lifecycle, connected_organization_id";

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<User> {
        Ok(User {
            user_type: UserType::parse(&r.user_type)
                .ok_or_else(|| StoreError::Corrupt(format!("user_type {}", r.user_type)))?,
            state: UserState::parse(&r.state)
                .ok_or_else(|| StoreError::Corrupt(format!("state {}", r.state)))?,
            custom_attributes: serde_json::from_str::<BTreeMap<String, String>>(
                &r.custom_attributes,
            )
            .map_err(|e| StoreError::Corrupt(format!("custom_attributes: {e}")))?,
            id: UserId::from_stored(r.id),
            display_name: r.display_name,
            given_name: r.given_name,
            surname: r.surname,
            email: r.email,
            job_title: r.job_title,
            department: r.department,
            manager_id: r.manager_id.map(UserId::from_stored),
            governed: r.lifecycle == "governed",
            connected_organization_id: r.connected_organization_id,
        })
    }
}

pub async fn get(conn: &mut Conn, id: &UserId) -> Result<Option<User>> {
    let row =
        sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(conn)
            .await?;
    row.map(User::try_from).transpose()
}

pub async fn find_by_email(conn: &mut Conn, email: &str) -> Result<Option<User>> {
    let row = sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email_lower = $1"
    ))
    .bind(email.trim().to_lowercase())
    .fetch_optional(conn)
    .await?;
    row.map(User::try_from).transpose()
}

pub async fn find_by_identity(
    conn: &mut Conn,
    issuer: &str,
    subject: &str,
) -> Result<Option<User>> {
    let row = sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {} FROM users u JOIN user_identities i ON i.user_id = u.id \
         WHERE i.issuer = $1 AND i.subject = $2",
        USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(issuer)
    .bind(subject)
    .fetch_optional(conn)
    .await?;
    row.map(User::try_from).transpose()
}

/// Binds $1 to $18 of `insert` and `update`: the id, then the profile's
/// columns in one order, the folded ones last.
fn bind_profile<'q>(
    q: Query<'q, Any, AnyArguments<'q>>,
    id: &UserId,
    p: &UserProfile,
    manager: Option<&UserId>,
    now: DateTime<Utc>,
) -> Query<'q, Any, AnyArguments<'q>> {
    q.bind(id.as_str().to_string())
        .bind(p.user_type.as_str())
        .bind(p.display_name.clone())
        .bind(p.given_name.clone())
        .bind(p.surname.clone())
        .bind(p.email.as_str().to_string())
        .bind(p.email.normalized())
        .bind(p.job_title.clone())
        .bind(p.department.clone())
        .bind(manager.map(|m| m.as_str().to_string()))
        .bind(serde_json::to_string(&p.custom_attributes).unwrap_or_else(|_| "{}".into()))
        .bind(p.state.as_str())
        .bind(ts(now))
        .bind(p.display_name.to_lowercase())
        .bind(folded(&p.given_name))
        .bind(folded(&p.surname))
        .bind(folded(&p.job_title))
        .bind(folded(&p.department))
}

/// A value folded as SCIM filters compare it (every letter, not only
/// ASCII's, which is all SQLite's `lower()` folds).
pub(crate) fn folded(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::to_lowercase)
}

pub async fn insert(
    conn: &mut Conn,
    id: &UserId,
    p: &UserProfile,
    manager: Option<&UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = sqlx::query(
        "INSERT INTO users (id, user_type, display_name, name_lower, given_name, surname, email, email_lower, \
         job_title, department, manager_id, custom_attributes, state, created_at, updated_at, \
         given_name_lower, surname_lower, job_title_lower, department_lower) \
         VALUES ($1, $2, $3, $14, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $15, $16, $17, $18)",
    );
    bind_profile(q, id, p, manager, now).execute(conn).await?;
    Ok(())
}

/// Marks a user as a guest Gatehouse created for a request: the guest
/// lifecycle governs it, and it belongs to the connected organization.
pub async fn mark_governed(conn: &mut Conn, id: &UserId, organization: Option<&str>) -> Result<()> {
    sqlx::query(
        "UPDATE users SET lifecycle = 'governed', connected_organization_id = $2 WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(organization.map(str::to_string))
    .exec(conn)
    .await
}

/// Puts a guest that Gatehouse did not create under the guest lifecycle,
/// leaving their organization as it is; false when the user is not such a
/// guest (a member, or governed already).
pub async fn govern_guest(conn: &mut Conn, id: &UserId, now: DateTime<Utc>) -> Result<bool> {
    sqlx::query(
        "UPDATE users SET lifecycle = 'governed', updated_at = $2 \
         WHERE id = $1 AND user_type = 'guest' AND lifecycle = 'notGoverned'",
    )
    .bind(id.as_str())
    .bind(ts(now))
    .changed_one(conn)
    .await
}

pub async fn update(
    conn: &mut Conn,
    id: &UserId,
    p: &UserProfile,
    manager: Option<&UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = sqlx::query(
        "UPDATE users SET user_type = $2, display_name = $3, given_name = $4, surname = $5, email = $6, \
         email_lower = $7, job_title = $8, department = $9, manager_id = $10, custom_attributes = $11, \
         state = $12, updated_at = $13, name_lower = $14, given_name_lower = $15, \
         surname_lower = $16, job_title_lower = $17, department_lower = $18, \
         lifecycle_blocked_at = CASE WHEN state = $12 THEN lifecycle_blocked_at ELSE NULL END, \
         lifecycle_delete_at = CASE WHEN state = $12 THEN lifecycle_delete_at ELSE NULL END WHERE id = $1",
    );
    let done = bind_profile(q, id, p, manager, now).execute(conn).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn insert_identity(
    conn: &mut Conn,
    issuer: &str,
    subject: &str,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(issuer)
        .bind(subject)
        .bind(user.as_str())
        .bind(ts(now))
        .exec(conn)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityRow {
    pub issuer: String,
    pub subject: String,
    pub created_at: String,
}

pub async fn identities(conn: &mut Conn, user: &UserId) -> Result<Vec<IdentityRow>> {
    sqlx::query_as::<_, IdentityRow>(
        "SELECT issuer, subject, created_at FROM user_identities WHERE user_id = $1 ORDER BY created_at",
    )
    .bind(user.as_str())
    .all(conn)
    .await
}

/// A row of the users list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserSummary {
    pub id: String,
    pub display_name: String,
    pub email: String,
    pub user_type: String,
    pub department: Option<String>,
    pub job_title: Option<String>,
    #[sqlx(try_from = "String")]
    pub state: UserState,
}

/// Searches display name and email; ordered by display name.
pub async fn search(conn: &mut Conn, q: &str, at: PageAt) -> Result<Page<UserSummary>> {
    const WHERE: &str = "WHERE name_lower LIKE $1 ESCAPE '\\' OR email_lower LIKE $1 ESCAPE '\\'";
    let count = format!("SELECT COUNT(*) FROM users {WHERE}");
    let list = format!(
        "SELECT id, display_name, email, user_type, department, job_title, state FROM users {WHERE} \
         ORDER BY name_lower, id LIMIT $2 OFFSET $3"
    );
    super::page::page_of(conn, &count, &list, &contains_pattern(q), at).await
}

/// The people who report to `manager`.
pub async fn direct_reports(conn: &mut Conn, manager: &UserId) -> Result<Vec<UserSummary>> {
    sqlx::query_as::<_, UserSummary>(
        "SELECT id, display_name, email, user_type, department, job_title, state FROM users \
         WHERE manager_id = $1 ORDER BY name_lower",
    )
    .bind(manager.as_str())
    .all(conn)
    .await
}

/// (id, name) of the people who report to `manager` and are not blocked:
/// those a manager may ask for (`requests::sort_reports` orders them).
pub async fn reports_to_ask_for(
    conn: &mut Conn,
    manager: &UserId,
) -> Result<Vec<(String, String)>> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT id, display_name FROM users WHERE manager_id = $1 AND state <> 'blocked'",
    )
    .bind(manager.as_str())
    .all(conn)
    .await
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .one(conn)
        .await
}

/// The built-in attribute a required attribute names, as its column.
fn built_in<'a>(user: &'a mut User, name: &str) -> Option<&'a mut Option<String>> {
    match name {
        "givenName" => Some(&mut user.given_name),
        "surname" => Some(&mut user.surname),
        "jobTitle" => Some(&mut user.job_title),
        "department" => Some(&mut user.department),
        _ => None,
    }
}

/// The setting that says people written before migration 0036 were refolded.
const REFOLDED: &str = "users_refolded_0036";

/// A person's four folded columns as stored, beside the values.
#[derive(sqlx::FromRow)]
struct Folds {
    id: String,
    given_name: Option<String>,
    surname: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    given_name_lower: Option<String>,
    surname_lower: Option<String>,
    job_title_lower: Option<String>,
    department_lower: Option<String>,
}

/// Folds again, once, the given name, surname, job title and department of
/// the people migration 0036 folded with the database's `lower()` (ASCII
/// letters only on SQLite, and on PostgreSQL with a C locale). Instances
/// starting at once may both do it: they write the same values.
pub async fn refold_once(conn: &mut Conn) -> Result<()> {
    if super::settings::get(conn, REFOLDED).await?.is_some() {
        return Ok(());
    }
    let all: Vec<Folds> = sqlx::query_as(
        "SELECT id, given_name, surname, job_title, department, given_name_lower, \
         surname_lower, job_title_lower, department_lower FROM users",
    )
    .all(conn)
    .await?;
    let stale: Vec<Vec<Val>> = all
        .into_iter()
        .filter_map(|r| {
            let now = [&r.given_name, &r.surname, &r.job_title, &r.department].map(folded);
            let kept = [
                r.given_name_lower,
                r.surname_lower,
                r.job_title_lower,
                r.department_lower,
            ];
            let [given, surname, title, department] = now.clone();
            (now != kept).then(|| {
                let id = r.id;
                vec![
                    id.into(),
                    given.into(),
                    surname.into(),
                    title.into(),
                    department.into(),
                ]
            })
        })
        .collect();
    super::rows::update_from(
        conn,
        "UPDATE users SET given_name_lower = v.column2, surname_lower = v.column3, \
         job_title_lower = v.column4, department_lower = v.column5 \
         FROM (VALUES {values}) AS v WHERE users.id = v.column1",
        5,
        &stale,
    )
    .await?;
    super::settings::get_or_insert(conn, REFOLDED, "true").await?;
    Ok(())
}

/// Writes a user's attributes as `user` holds them, in one statement.
async fn save_attributes(conn: &mut Conn, user: &User, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE users SET given_name = $2, surname = $3, job_title = $4, department = $5, \
         display_name = $6, name_lower = $7, custom_attributes = $8, updated_at = $9, \
         given_name_lower = $10, surname_lower = $11, job_title_lower = $12, \
         department_lower = $13 WHERE id = $1",
    )
    .bind(user.id.as_str())
    .bind(user.given_name.clone())
    .bind(user.surname.clone())
    .bind(user.job_title.clone())
    .bind(user.department.clone())
    .bind(user.display_name.clone())
    .bind(user.display_name.to_lowercase())
    .bind(
        serde_json::to_string(&user.custom_attributes)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    )
    .bind(ts(now))
    .bind(folded(&user.given_name))
    .bind(folded(&user.surname))
    .bind(folded(&user.job_title))
    .bind(folded(&user.department))
    .exec(conn)
    .await
}

/// Writes attribute values given with a request, overwriting earlier ones:
/// built-in attributes to their columns, others to the custom attributes.
pub async fn write_attributes(
    conn: &mut Conn,
    user: &UserId,
    values: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    let mut u = get(conn, user).await?.ok_or(StoreError::NotFound)?;
    for (name, value) in values {
        if name == "displayName" {
            u.display_name = value.clone();
        } else if let Some(column) = built_in(&mut u, name) {
            *column = Some(value.clone());
        } else {
            u.custom_attributes.insert(name.clone(), value.clone());
        }
    }
    save_attributes(conn, &u, now).await
}

/// Clears the attribute values people no longer keep (built-in columns or
/// custom attributes; a display name is always kept): the names to clear
/// by person. Everyone is read in one statement and written back many per
/// statement, however many an expiry ends at once.
pub async fn clear_attributes(
    conn: &mut Conn,
    clear: &BTreeMap<String, Vec<String>>,
    now: DateTime<Utc>,
) -> Result<()> {
    if clear.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = clear.keys().cloned().collect();
    let at = ts(now);
    let mut rows = Vec::with_capacity(keys.len());
    for mut u in users_where_in(conn, "id", &keys).await? {
        let Some(names) = clear.get(u.id.as_str()) else {
            continue;
        };
        for name in names.iter().filter(|n| *n != "displayName") {
            match built_in(&mut u, name) {
                Some(column) => *column = None,
                None => {
                    u.custom_attributes.remove(name);
                }
            }
        }
        let custom = serde_json::to_string(&u.custom_attributes)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let [given, surname, title, department] =
            [&u.given_name, &u.surname, &u.job_title, &u.department].map(folded);
        rows.push(vec![
            u.id.as_str().into(),
            u.given_name.into(),
            u.surname.into(),
            u.job_title.into(),
            u.department.into(),
            custom.into(),
            at.clone().into(),
            given.into(),
            surname.into(),
            title.into(),
            department.into(),
        ]);
    }
    super::rows::update_from(
        conn,
        "UPDATE users SET given_name = v.column2, surname = v.column3, job_title = v.column4, \
         department = v.column5, custom_attributes = v.column6, updated_at = v.column7, \
         given_name_lower = v.column8, surname_lower = v.column9, job_title_lower = v.column10, \
         department_lower = v.column11 \
         FROM (VALUES {values}) AS v WHERE users.id = v.column1",
        11,
        &rows,
    )
    .await?;
    Ok(())
}

/// When the guest lifecycle blocked someone, and when it removes them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LifecycleBlock {
    pub blocked_at: String,
    /// `None`: they are kept.
    pub delete_at: Option<String>,
}

/// The guest lifecycle's block of the user, if it blocked them.
pub async fn lifecycle_block(conn: &mut Conn, id: &UserId) -> Result<Option<LifecycleBlock>> {
    sqlx::query_as::<_, LifecycleBlock>(
        "SELECT lifecycle_blocked_at AS blocked_at, lifecycle_delete_at AS delete_at FROM users \
         WHERE id = $1 AND state = 'blocked' AND lifecycle_blocked_at IS NOT NULL",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await
    .map_err(map_err)
}

/// Blocks a user for the guest lifecycle, to be removed at `delete_at`
/// (`None`: kept).
pub async fn set_lifecycle_block(
    conn: &mut Conn,
    id: &UserId,
    delete_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET state = 'blocked', lifecycle_blocked_at = $2, lifecycle_delete_at = $3, \
         updated_at = $2 WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(ts(now))
    .bind(delete_at.map(ts))
    .exec(conn)
    .await
}

/// Active governed guests with no active assignment and no open request:
/// their last assignment ended, or the request they were made for was
/// denied or canceled (`lock`: `Store::skip_locked`).
pub async fn guests_without_access(conn: &mut Conn, limit: i64) -> Result<Vec<UserId>> {
    let lock = super::sql::dialect(conn).skip_locked();
    sqlx::query_scalar::<_, String>(&format!(
        "SELECT u.id FROM users u WHERE u.lifecycle = 'governed' AND u.user_type = 'guest' AND u.state = 'active' \
         AND NOT EXISTS (SELECT 1 FROM access_package_assignments a WHERE a.target_id = u.id \
             AND a.state IN {}) \
         AND NOT EXISTS (SELECT 1 FROM assignment_requests r WHERE r.target_id = u.id \
             AND r.phase = 'open') \
         ORDER BY u.id LIMIT $1{lock}",
        super::states::ACTIVE
    ))
    .bind(limit)
    .all(conn)
    .await
    .map(|ids| ids.into_iter().map(UserId::from).collect())
}

/// Guests the lifecycle blocked whose removal is due by `now`.
pub async fn guests_due_for_removal(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<UserId>> {
    let lock = super::sql::dialect(conn).skip_locked();
    sqlx::query_scalar::<_, String>(&format!(
        "SELECT id FROM users WHERE lifecycle = 'governed' AND state = 'blocked' \
         AND lifecycle_delete_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM request_decisions d WHERE d.reviewed_by = users.id) \
         ORDER BY lifecycle_delete_at, id LIMIT $2{lock}"
    ))
    .bind(ts(now))
    .bind(limit)
    .all(conn)
    .await
    .map(|ids| ids.into_iter().map(UserId::from).collect())
}

/// Deletes a user and what only they held. Their requests stay as history,
/// without the link to the account; their ended assignments go.
pub async fn delete(conn: &mut Conn, id: &UserId) -> Result<()> {
    for sql in [
        "UPDATE assignment_requests SET target_id = NULL WHERE target_id = $1",
        "UPDATE assignment_requests SET requestor_id = NULL WHERE requestor_id = $1",
        "DELETE FROM access_package_assignments WHERE target_id = $1",
        "DELETE FROM users WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(id.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Holds the person's row until the transaction ends, so that two changes
/// to what one person holds (two deliveries, a submission and a delivery)
/// run one after the other and the second sees the first. An update rather
/// than `SELECT ... FOR UPDATE`, which SQLite lacks; there every write
/// transaction already runs alone.
pub async fn lock(conn: &mut Conn, id: &UserId) -> Result<()> {
    sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(id.as_str())
        .exec(conn)
        .await
}

/// `lock`, returning the person as the lock found them.
pub async fn lock_get(conn: &mut Conn, id: &UserId) -> Result<Option<User>> {
    let row = sqlx::query_as::<_, UserRow>(&format!(
        "UPDATE users SET updated_at = updated_at WHERE id = $1 RETURNING {USER_COLUMNS}"
    ))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(User::try_from).transpose()
}

/// Holds the rows of the people `people` selects (SQL giving user ids,
/// `keys` bound to `$1`, `$2`, ...) as `lock` holds one, all in the order
/// of their ids, before what they hold is changed: a change that ends or
/// grants many people's access at once then never races a delivery to one
/// of them, and changes that hold several people each take them in the same
/// order, so they never wait on each other in a circle. On SQLite every
/// write transaction already runs alone.
pub(crate) async fn lock_all(conn: &mut Conn, people: &str, keys: &[&str]) -> Result<()> {
    if super::sql::dialect(conn) == super::sql::Dialect::Sqlite || keys.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT id FROM users WHERE id IN ({people}) \
         ORDER BY id FOR NO KEY UPDATE) held"
    );
    let mut q = sqlx::query(&sql);
    for key in keys {
        q = q.bind(*key);
    }
    q.exec(conn).await
}

/// Holds these people (as `lock_all`), a thousand at a time (a statement
/// binds only so many), each thousand after the one before in the order of
/// their ids.
pub async fn lock_each(conn: &mut Conn, ids: &[&UserId]) -> Result<()> {
    let mut keys: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    for chunk in keys.chunks(1000) {
        lock_all(conn, &super::sql::placeholders(1, chunk.len()), chunk).await?;
    }
    Ok(())
}

/// Holds a person and the people who report to them (as `lock_all`), before
/// the person leaves the directory: the reports' rows change too (their
/// manager is cleared), so all are taken in the order of their ids.
pub async fn lock_with_reports(conn: &mut Conn, id: &UserId) -> Result<()> {
    let people = "SELECT id FROM users WHERE id = $1 OR manager_id = $1";
    lock_all(conn, people, &[id.as_str()]).await
}

/// Holds the people who hold the package (as `lock_all`), before a change
/// to the roles it grants.
pub async fn lock_holders(conn: &mut Conn, package: &AccessPackageId) -> Result<()> {
    let people = format!(
        "SELECT target_id FROM access_package_assignments WHERE access_package_id = $1 \
         AND state IN {}",
        super::states::ACTIVE
    );
    lock_all(conn, &people, &[package.as_str()]).await
}

/// The active people two lists of approvers name (`primary`, then
/// `fallback`), in one statement: (0 for primary or 1 for fallback, id,
/// email, name), each list in a stable order. `target`: whose manager
/// "the requestor's manager" is; `organization`: whose sponsors.
pub async fn approver_contacts(
    conn: &mut Conn,
    primary: &[crate::domain::policy::Approver],
    fallback: &[crate::domain::policy::Approver],
    target: Option<&UserId>,
    organization: Option<&str>,
) -> Result<Vec<(i64, String, String, String)>> {
    use crate::domain::policy::Approver;
    let mut parts: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let bind = |v: &str, binds: &mut Vec<String>| {
        binds.push(v.to_string());
        format!("${}", binds.len())
    };
    for (tier, list) in [(0, primary), (1, fallback)] {
        for (n, a) in list.iter().enumerate() {
            let select =
                format!("SELECT {tier} AS tier, {n} AS pos, u.id, u.email, u.display_name");
            let part = match a {
                Approver::SingleUser(u) => format!(
                    "{select} FROM users u WHERE u.id = {}",
                    bind(u.as_str(), &mut binds)
                ),
                Approver::GroupMembers(g) => format!(
                    "{select} FROM group_members m JOIN users u ON u.id = m.user_id \
                     WHERE m.group_id = {} AND m.role = 'member'",
                    bind(g.as_str(), &mut binds)
                ),
                Approver::RequestorManager => match target {
                    Some(t) => format!(
                        "{select} FROM users t JOIN users u ON u.id = t.manager_id WHERE t.id = {}",
                        bind(t.as_str(), &mut binds)
                    ),
                    None => continue,
                },
                Approver::SecondLevelManager => match target {
                    Some(t) => format!(
                        "{select} FROM users t JOIN users m ON m.id = t.manager_id \
                         JOIN users u ON u.id = m.manager_id WHERE t.id = {}",
                        bind(t.as_str(), &mut binds)
                    ),
                    None => continue,
                },
                Approver::InternalSponsors | Approver::ExternalSponsors => match organization {
                    Some(o) => {
                        let kind = if matches!(a, Approver::InternalSponsors) {
                            "internal"
                        } else {
                            "external"
                        };
                        format!(
                            "{select} FROM connected_organization_sponsors s JOIN users u ON u.id = s.user_id \
                             WHERE s.connected_organization_id = {} AND s.sponsor_type = '{kind}'",
                            bind(o, &mut binds)
                        )
                    }
                    None => continue,
                },
            };
            parts.push(format!("{part} AND u.state = 'active'"));
        }
    }
    if parts.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT tier, id, email, display_name FROM ({}) found ORDER BY tier, pos, id",
        parts.join(" UNION ALL ")
    );
    let mut q = sqlx::query_as::<_, (i64, String, String, String)>(&sql);
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_all(conn).await.map_err(map_err)
}

/// Access given back lifts a block the guest lifecycle put on the user (not
/// one an administrator put): one statement, nothing when there is none.
/// Blocks the user from signing in (a leaver).
pub async fn block(conn: &mut Conn, id: &UserId, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE users SET state = 'blocked', updated_at = $2 WHERE id = $1 AND state <> 'blocked'",
    )
    .bind(id.as_str())
    .bind(ts(now))
    .exec(conn)
    .await
}

pub async fn lift_lifecycle_block(conn: &mut Conn, id: &UserId, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE users SET state = 'active', lifecycle_blocked_at = NULL, lifecycle_delete_at = NULL, \
         updated_at = $2 WHERE id = $1 AND lifecycle_blocked_at IS NOT NULL",
    )
    .bind(id.as_str())
    .bind(ts(now))
    .exec(conn)
    .await
}

/// The ids of the users with these addresses (lower case), by address.
pub async fn ids_by_emails(conn: &mut Conn, emails: &[String]) -> Result<HashMap<String, UserId>> {
    let sql = "SELECT email_lower, id FROM users WHERE email_lower IN";
    super::rows::map_in(conn, sql, emails, |e| e, UserId::from_stored).await
}

/// The addresses of these users, by id.
pub async fn emails_of(conn: &mut Conn, ids: &[String]) -> Result<HashMap<UserId, String>> {
    let sql = "SELECT id, email FROM users WHERE id IN";
    super::rows::map_in(conn, sql, ids, UserId::from_stored, |e| e).await
}

/// The display names of these users, by id.
pub async fn names_of(conn: &mut Conn, ids: &[String]) -> Result<HashMap<UserId, String>> {
    let sql = "SELECT id, display_name FROM users WHERE id IN";
    super::rows::map_in(conn, sql, ids, UserId::from_stored, |n| n).await
}

/// Everyone not blocked, members and guests: whom automatic assignment
/// policies' rules are evaluated against.
pub async fn active_all(conn: &mut Conn) -> Result<Vec<User>> {
    let rows = sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE state = 'active' ORDER BY id"
    ))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(User::try_from).collect()
}

/// The active members (role member) of these groups, each once, in the
/// order of their ids; at most `limit`.
pub async fn active_members_of(
    conn: &mut Conn,
    groups: &[String],
    limit: i64,
) -> Result<Vec<User>> {
    if groups.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE state = 'active' AND id IN \
         (SELECT user_id FROM group_members WHERE role = 'member' AND group_id IN ({})) \
         ORDER BY id LIMIT ${}",
        super::sql::placeholders(1, groups.len()),
        groups.len() + 1
    );
    let mut q = sqlx::query_as::<_, UserRow>(&sql);
    for g in groups {
        q = q.bind(g.clone());
    }
    let rows = q.bind(limit).fetch_all(conn).await?;
    rows.into_iter().map(User::try_from).collect()
}

/// The users with these addresses (lower case), a thousand to a statement.
pub async fn by_emails(conn: &mut Conn, emails: &[String]) -> Result<Vec<User>> {
    users_where_in(conn, "email_lower", emails).await
}

/// These users as they are now (those still in the directory), a thousand
/// to a statement.
pub async fn by_ids(conn: &mut Conn, ids: &[&UserId]) -> Result<Vec<User>> {
    let keys: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    users_where_in(conn, "id", &keys).await
}

/// The users whose `column` is one of `keys`.
async fn users_where_in(conn: &mut Conn, column: &str, keys: &[String]) -> Result<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} IN ({{list}})");
    let rows: Vec<UserRow> = super::rows::select_in(conn, &sql, keys).await?;
    rows.into_iter().map(User::try_from).collect()
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    owner: Option<String>,
    seen: String,
    /// The organization's settings document.
    tenant: Option<String>,
    #[sqlx(try_from = "Flag")]
    delegated: bool,
    #[sqlx(flatten)]
    user: UserRow,
}

/// A session and its user, as every signed-in page reads them.
pub struct SessionUser {
    /// Whose session it is.
    pub owner: Option<String>,
    /// When it was last used.
    pub seen: String,
    pub user: User,
    /// Whether the user holds a role in some catalog, or may create
    /// catalogs, which opens the console to them for their catalogs.
    pub delegated: bool,
    /// The organization's time zone (Settings), empty for none: pages use it
    /// for whom neither a profile choice nor the browser gives a zone.
    pub organization_time_zone: String,
}

/// A session (its owner and when it was last used) with its user, in one
/// statement: what every signed-in page checks first. `None` when the
/// session, or its user, is gone.
pub async fn with_session(conn: &mut Conn, session: &str) -> Result<Option<SessionUser>> {
    let columns: Vec<String> = USER_COLUMNS
        .split(',')
        .map(|c| format!("u.{}", c.trim()))
        .collect();
    let row = sqlx::query_as::<_, SessionUserRow>(&format!(
        "SELECT s.user_id AS owner, s.last_seen_at AS seen, \
         (SELECT value FROM settings WHERE key = '{}') AS tenant, \
         (EXISTS (SELECT 1 FROM catalog_role_assignments r WHERE r.user_id = u.id) \
          OR EXISTS (SELECT 1 FROM catalog_creators k WHERE k.user_id = u.id)) AS delegated, {} \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
        super::settings::TENANT,
        columns.join(", ")
    ))
    .bind(session)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        // Only the zone is read, so that settings this build does not know
        // in full still show every page; settings that are not JSON at all
        // are corrupt.
        let tenant = r
            .tenant
            .map(|t| serde_json::from_str::<serde_json::Value>(&t));
        let tenant = tenant.transpose().map_err(|_| {
            StoreError::Corrupt("the organization's settings do not read as JSON".into())
        })?;
        let organization_time_zone = tenant
            .and_then(|v| v[TENANT_TIME_ZONE].as_str().map(str::to_string))
            .unwrap_or_default();
        Ok(SessionUser {
            owner: r.owner,
            seen: r.seen,
            delegated: r.delegated,
            organization_time_zone,
            user: User::try_from(r.user)?,
        })
    })
    .transpose()
}
