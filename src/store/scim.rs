//! What the SCIM service provider reads and writes: users and groups with
//! their SCIM attributes, SCIM filters turned into SQL, and group membership
//! set as a provider sends it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::directory::Held;
use super::error::{Result, StoreError, map_err};
use super::rows::{self, Val};
use super::sql::{Conn, Rows, Statement};
use crate::domain::ids::{GroupId, UserId};
use crate::domain::scim::filter::{AttrPath, Filter, Op, Value};
use crate::domain::scim::resource::{ScimGroup, ScimUser};
use crate::domain::user::UserState;

/// A user as SCIM shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub user_name: Option<String>,
    pub email: String,
    pub external_id: Option<String>,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub employee_number: Option<String>,
    pub manager_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub state: UserState,
    pub created_at: String,
    pub updated_at: String,
}

impl UserRow {
    pub fn resource(&self) -> ScimUser {
        ScimUser {
            user_name: self.user_name.clone().unwrap_or_else(|| self.email.clone()),
            external_id: self.external_id.clone(),
            display_name: Some(self.display_name.clone()),
            given_name: self.given_name.clone(),
            family_name: self.surname.clone(),
            title: self.job_title.clone(),
            email: Some(self.email.clone()),
            active: self.state == UserState::Active,
            employee_number: self.employee_number.clone(),
            department: self.department.clone(),
            manager: self.manager_id.clone(),
        }
    }
}

const USER_COLUMNS: &str = "u.id, u.user_name, u.email, u.external_id, u.display_name, u.given_name, u.surname, \
     u.job_title, u.department, u.employee_number, u.manager_id, u.state, u.created_at, u.updated_at";

/// Users SCIM shows: all but those deleted through it.
const VISIBLE_USERS: &str = "u.source <> 'scimDeleted'";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Which resource a filter is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Users,
    Groups,
}

/// What an attribute is in SQL.
enum Column {
    /// A text column compared without regard to case (lower-cased values).
    Folded(&'static str),
    /// A text column compared exactly.
    Exact(&'static str),
    /// A timestamp column; values are dates.
    Time(&'static str),
    /// `active`: whether the user is not blocked.
    Active,
    /// A value every resource has (emails.type is "work").
    Constant(&'static str),
    /// A group's member, by user id.
    Member,
    /// `userName`: the userName, or the address where none was given.
    UserName,
}

fn column(resource: Resource, key: &str) -> Option<Column> {
    use Column::*;
    Some(match (resource, key) {
        (_, "id") => Exact(match resource {
            Resource::Users => "u.id",
            Resource::Groups => "g.id",
        }),
        (_, "externalid") => Exact(match resource {
            Resource::Users => "u.external_id",
            Resource::Groups => "g.external_id",
        }),
        (_, "meta.created") => Time(match resource {
            Resource::Users => "u.created_at",
            Resource::Groups => "g.created_at",
        }),
        (_, "meta.lastmodified") => Time(match resource {
            Resource::Users => "u.updated_at",
            Resource::Groups => "g.updated_at",
        }),
        (Resource::Users, "username") => UserName,
        (Resource::Users, "emails" | "emails.value") => Folded("u.email_lower"),
        (Resource::Users, "emails.type") => Constant("work"),
        (Resource::Users, "displayname") => Folded("u.name_lower"),
        (Resource::Users, "name.givenname") => Folded("u.given_name_lower"),
        (Resource::Users, "name.familyname") => Folded("u.surname_lower"),
        (Resource::Users, "title") => Folded("u.job_title_lower"),
        (Resource::Users, "department") => Folded("u.department_lower"),
        (Resource::Users, "employeenumber") => Exact("u.employee_number"),
        (Resource::Users, "manager" | "manager.value") => Exact("u.manager_id"),
        (Resource::Users, "active") => Active,
        (Resource::Groups, "displayname") => Folded("g.name_lower"),
        (Resource::Groups, "members" | "members.value") => Member,
        _ => return None,
    })
}

/// A filter as SQL over `u` (users) or `g` (groups), with its values to bind
/// in order; an attribute it cannot filter on, or a value of the wrong kind,
/// is an error in words (an `invalidFilter`).
pub struct Where {
    pub sql: String,
    pub binds: Vec<String>,
}

impl Where {
    pub fn new(resource: Resource, filter: Option<&Filter>) -> std::result::Result<Where, String> {
        let mut w = Where {
            sql: String::new(),
            binds: vec![],
        };
        w.sql = match filter {
            Some(f) => w.clause(resource, f, None)?,
            None => "1 = 1".into(),
        };
        Ok(w)
    }

    fn bind(&mut self, v: String) -> String {
        self.binds.push(v);
        format!("${}", self.binds.len())
    }

    fn clause(
        &mut self,
        resource: Resource,
        f: &Filter,
        within: Option<&AttrPath>,
    ) -> std::result::Result<String, String> {
        Ok(match f {
            Filter::And(a, b) => format!(
                "({} AND {})",
                self.clause(resource, a, within)?,
                self.clause(resource, b, within)?
            ),
            Filter::Or(a, b) => format!(
                "({} OR {})",
                self.clause(resource, a, within)?,
                self.clause(resource, b, within)?
            ),
            Filter::Not(a) => format!("(NOT {})", self.clause(resource, a, within)?),
            Filter::Has(path, inner) => self.clause(resource, inner, Some(path))?,
            Filter::Present(p) => {
                let key = key(p, within);
                match column(resource, &key).ok_or_else(|| unknown(&key))? {
                    Column::Folded(c) | Column::Exact(c) | Column::Time(c) => {
                        format!("({c} IS NOT NULL AND {c} <> '')")
                    }
                    Column::Active | Column::Constant(_) | Column::UserName => "1 = 1".into(),
                    Column::Member => "EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.role = 'member')".into(),
                }
            }
            Filter::Compare(p, op, v) => {
                let key = key(p, within);
                let col = column(resource, &key).ok_or_else(|| unknown(&key))?;
                self.compare(&key, col, *op, v)?
            }
        })
    }

    fn compare(
        &mut self,
        key: &str,
        col: Column,
        op: Op,
        v: &Value,
    ) -> std::result::Result<String, String> {
        let text = |v: &Value| match v {
            Value::Str(s) => Ok(s.clone()),
            _ => Err(format!("{key} is compared with a quoted string.")),
        };
        Ok(match col {
            // Equality, the providers' lookup before each create, uses the
            // indexes on both columns; other comparisons read the one value.
            Column::UserName if op == Op::Eq => {
                let b = self.bind(text(v)?.to_lowercase());
                // As a union of two index lookups: an OR of the two is a scan.
                format!(
                    "u.id IN (SELECT id FROM users WHERE user_name_lower = {b} \
                     UNION ALL SELECT id FROM users WHERE user_name_lower IS NULL AND email_lower = {b})"
                )
            }
            Column::UserName => {
                return self.compare(
                    key,
                    Column::Folded("COALESCE(u.user_name_lower, u.email_lower)"),
                    op,
                    v,
                );
            }
            Column::Active => {
                let Value::Bool(b) = v else {
                    return Err("active is compared with true or false.".into());
                };
                let yes = match op {
                    Op::Eq => *b,
                    Op::Ne => !*b,
                    _ => return Err("active is compared with eq or ne.".into()),
                };
                if yes {
                    "u.state = 'active'".into()
                } else {
                    "u.state <> 'active'".into()
                }
            }
            Column::Constant(c) => {
                let s = text(v)?.to_lowercase();
                let hit = match op {
                    Op::Eq => s == c,
                    Op::Ne => s != c,
                    Op::Co => c.contains(&s),
                    Op::Sw => c.starts_with(&s),
                    Op::Ew => c.ends_with(&s),
                    Op::Gt => c > s.as_str(),
                    Op::Ge => c >= s.as_str(),
                    Op::Lt => c < s.as_str(),
                    Op::Le => c <= s.as_str(),
                };
                if hit { "1 = 1" } else { "1 = 0" }.into()
            }
            Column::Member => {
                let s = text(v)?;
                let b = self.bind(s);
                let exists = format!(
                    "EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.role = 'member' AND m.user_id = {b})"
                );
                match op {
                    Op::Eq => exists,
                    Op::Ne => format!("(NOT {exists})"),
                    _ => return Err("members are compared with eq or ne.".into()),
                }
            }
            Column::Time(c) => {
                let s = text(v)?;
                let t = DateTime::parse_from_rfc3339(&s)
                    .map_err(|_| {
                        format!("{key} is compared with a date such as \"2026-01-31T00:00:00Z\".")
                    })?
                    .with_timezone(&Utc);
                let b = self.bind(ts(t));
                let o = match op {
                    Op::Eq => "=",
                    Op::Ne => "<>",
                    Op::Gt => ">",
                    Op::Ge => ">=",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    _ => return Err(format!("{key} is compared with eq, ne, gt, ge, lt or le.")),
                };
                format!("{c} {o} {b}")
            }
            Column::Folded(c) | Column::Exact(c) => {
                let folded = matches!(col, Column::Folded(_));
                let s = match v {
                    Value::Null => {
                        return Ok(match op {
                            Op::Eq => format!("{c} IS NULL"),
                            Op::Ne => format!("{c} IS NOT NULL"),
                            _ => {
                                return Err(format!(
                                    "{key} is compared with null by eq or ne only."
                                ));
                            }
                        });
                    }
                    v => text(v)?,
                };
                let s = if folded { s.to_lowercase() } else { s };
                let like = |s: &str| {
                    s.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                };
                match op {
                    Op::Eq => format!("{c} = {}", self.bind(s)),
                    Op::Ne => format!("({c} IS NULL OR {c} <> {})", self.bind(s)),
                    Op::Co => format!(
                        "{c} LIKE {} ESCAPE '\\'",
                        self.bind(format!("%{}%", like(&s)))
                    ),
                    Op::Sw => format!(
                        "{c} LIKE {} ESCAPE '\\'",
                        self.bind(format!("{}%", like(&s)))
                    ),
                    Op::Ew => format!(
                        "{c} LIKE {} ESCAPE '\\'",
                        self.bind(format!("%{}", like(&s)))
                    ),
                    Op::Gt => format!("{c} > {}", self.bind(s)),
                    Op::Ge => format!("{c} >= {}", self.bind(s)),
                    Op::Lt => format!("{c} < {}", self.bind(s)),
                    Op::Le => format!("{c} <= {}", self.bind(s)),
                }
            }
        })
    }
}

fn key(p: &AttrPath, within: Option<&AttrPath>) -> String {
    match within {
        Some(outer) => format!("{}.{}", outer.name.to_ascii_lowercase(), p.key()),
        None => p.key(),
    }
}

fn unknown(key: &str) -> String {
    format!("Filtering on {key} is not supported.")
}

/// One page of the rows of `from` (`users u` or `groups g`, with `visible`
/// their condition) matching `w`, oldest first, and how many match.
async fn page<T>(
    conn: &mut Conn,
    columns: &str,
    from: &str,
    visible: &str,
    w: &Where,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<T>)>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let alias = from.rsplit(' ').next().unwrap_or("");
    let total_sql = format!(
        "SELECT COUNT(*) FROM {from} WHERE {visible} AND ({})",
        w.sql
    );
    let mut q = sqlx::query_scalar::<_, i64>(&total_sql);
    for b in &w.binds {
        q = q.bind(b);
    }
    let total = q.fetch_one(&mut *conn).await?;
    if count == 0 {
        return Ok((total, vec![]));
    }
    let sql = format!(
        "SELECT {columns} FROM {from} WHERE {visible} AND ({}) ORDER BY {alias}.created_at, {alias}.id LIMIT {count} OFFSET {}",
        w.sql,
        start - 1
    );
    let mut q = sqlx::query_as::<_, T>(&sql);
    for b in &w.binds {
        q = q.bind(b);
    }
    Ok((total, q.fetch_all(conn).await?))
}

/// One page of users matching `w`, oldest first, and how many match.
pub async fn users(
    conn: &mut Conn,
    w: &Where,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<UserRow>)> {
    page(
        conn,
        USER_COLUMNS,
        "users u",
        VISIBLE_USERS,
        w,
        start,
        count,
    )
    .await
}

pub async fn user(conn: &mut Conn, id: &str) -> Result<Option<UserRow>> {
    sqlx::query_as::<_, UserRow>(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND {VISIBLE_USERS}"
    ))
    .bind(id)
    .optional(conn)
    .await
}

/// Whether another user (not `except`) has this userName or address as
/// their userName, or this address.
pub async fn taken(
    conn: &mut Conn,
    user_name: &str,
    email: &str,
    except: Option<&str>,
) -> Result<Option<&'static str>> {
    // Three index lookups; an OR of them would read every user.
    let row: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT user_name_lower, email_lower FROM users WHERE user_name_lower = $1 AND id <> $3 \
         UNION ALL SELECT user_name_lower, email_lower FROM users \
         WHERE user_name_lower IS NULL AND email_lower = $1 AND id <> $3 \
         UNION ALL SELECT user_name_lower, email_lower FROM users WHERE email_lower = $2 AND id <> $3 LIMIT 1",
    )
    .bind(user_name.to_lowercase())
    .bind(email.to_lowercase())
    .bind(except.unwrap_or(""))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(u, e)| {
        if u.unwrap_or(e.clone()) == user_name.to_lowercase() {
            "userName"
        } else {
            "email"
        }
    }))
}

/// Sets the SCIM attributes Gatehouse's profile does not hold.
pub async fn set_scim_fields(
    conn: &mut Conn,
    id: &UserId,
    u: &ScimUser,
    source: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET source = $2, external_id = $3, user_name = $4, user_name_lower = $5, \
         employee_number = $6 WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(source)
    .bind(u.external_id.clone())
    .bind(u.user_name.clone())
    .bind(u.user_name.to_lowercase())
    .bind(u.employee_number.clone())
    .exec(conn)
    .await
}

/// A user deleted through SCIM: blocked, gone from SCIM, their userName,
/// external id and address freed (the address is still shown, but no
/// longer theirs: someone created with it later is someone new, who
/// inherits nothing of theirs).
pub async fn mark_deleted(conn: &mut Conn, id: &UserId, now: DateTime<Utc>) -> Result<bool> {
    sqlx::query(
        "UPDATE users SET source = 'scimDeleted', state = 'blocked', user_name = NULL, user_name_lower = NULL, \
         external_id = NULL, email_lower = 'deleted:' || id, updated_at = $2 \
         WHERE id = $1 AND source <> 'scimDeleted'",
    )
    .bind(id.as_str())
    .bind(ts(now))
    .changed_one(conn)
    .await
}

/// What a user deleted through SCIM leaves behind for others: what they
/// held by hand (what packages granted ended with their assignments) in
/// groups, sites and applications, and their place as a manager. Left, every
/// later change to those groups and reports would name someone SCIM can no
/// longer find, and the targets linked to them would keep them.
pub async fn forget_deleted(conn: &mut Conn, id: &UserId) -> Result<()> {
    for sql in [
        "DELETE FROM group_members WHERE user_id = $1",
        "DELETE FROM site_members WHERE user_id = $1",
        "DELETE FROM app_role_assignments WHERE user_id = $1",
        "DELETE FROM app_default_access WHERE user_id = $1",
        "UPDATE users SET manager_id = NULL WHERE manager_id = $1",
    ] {
        sqlx::query(sql).bind(id.as_str()).exec(&mut *conn).await?;
    }
    Ok(())
}

const GROUP_COLUMNS: &str = "g.id, g.display_name, g.external_id, g.created_at, g.updated_at";

pub async fn groups(
    conn: &mut Conn,
    w: &Where,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<GroupRow>)> {
    page(conn, GROUP_COLUMNS, "groups g", "1 = 1", w, start, count).await
}

pub async fn group(conn: &mut Conn, id: &str) -> Result<Option<GroupRow>> {
    sqlx::query_as::<_, GroupRow>(&format!(
        "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = $1"
    ))
    .bind(id)
    .optional(conn)
    .await
}

/// The members of the groups, as (group id, user id, display name), in one query.
pub async fn members_of(
    conn: &mut Conn,
    groups: &[String],
) -> Result<Vec<(String, String, String)>> {
    if groups.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT m.group_id, u.id, u.display_name FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.role = 'member' AND m.group_id IN ({}) ORDER BY u.name_lower",
        super::sql::placeholders(1, groups.len())
    );
    let mut q = sqlx::query_as::<_, (String, String, String)>(&sql);
    for g in groups {
        q = q.bind(g);
    }
    q.fetch_all(conn).await.map_err(map_err)
}

/// The ids among `ids` that are users SCIM can see.
pub async fn existing_users(conn: &mut Conn, ids: &[String]) -> Result<Vec<String>> {
    // A chunk at a time: a large group's members are more than one
    // statement may bind.
    let sql = format!("SELECT u.id FROM users u WHERE {VISIBLE_USERS} AND u.id IN ({{list}})");
    let found = rows::select_in::<(String,)>(conn, &sql, ids).await?;
    Ok(found.into_iter().map(|(id,)| id).collect())
}

pub async fn set_group_fields(
    conn: &mut Conn,
    id: &GroupId,
    g: &ScimGroup,
    source: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE groups SET source = $2, external_id = $3, updated_at = $4 WHERE id = $1")
        .bind(id.as_str())
        .bind(source)
        .bind(g.external_id.clone())
        .bind(ts(now))
        .exec(conn)
        .await
}

/// Makes the group's members (role member) exactly `wanted`: new ones are
/// added as held outside assignments; one no longer wanted is removed,
/// unless an access package grants it, which then keeps it (no longer as
/// held by hand). Returns (added, removed).
pub async fn set_members(
    conn: &mut Conn,
    group: &GroupId,
    wanted: &[String],
    now: DateTime<Utc>,
) -> Result<(usize, usize)> {
    let current: HashSet<String> = sqlx::query_scalar(
        "SELECT user_id FROM group_members WHERE group_id = $1 AND role = 'member'",
    )
    .bind(group.as_str())
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut new: Vec<(String, String)> = Vec::new();
    for u in wanted.iter().filter(|u| !current.contains(*u)) {
        UserId::parse(u).ok_or(StoreError::NotFound)?;
        new.push((group.as_str().to_string(), u.clone()));
    }
    new.sort();
    new.dedup();
    let added = add_members(conn, &new, now).await? as usize;
    let wanted: HashSet<&String> = wanted.iter().collect();
    let gone: Vec<String> = current
        .into_iter()
        .filter(|u| !wanted.contains(u))
        .collect();
    let removed = remove_members(conn, group, &gone).await?;
    Ok((added, removed))
}

/// Adds (group, user) memberships as held outside assignments, many per
/// statement; each pair once. Returns how many were new or newly by hand.
pub async fn add_members(
    conn: &mut Conn,
    pairs: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<u64> {
    let at = ts(now);
    let rows: Vec<Vec<Val>> = pairs
        .iter()
        .map(|(g, u)| {
            vec![
                g.clone().into(),
                u.clone().into(),
                "member".into(),
                at.clone().into(),
                true.into(),
            ]
        })
        .collect();
    rows::insert(
        conn,
        "group_members",
        &[
            "group_id",
            "user_id",
            "role",
            "added_at",
            "outside_assignments",
        ],
        &rows,
        "ON CONFLICT (group_id, user_id, role) DO UPDATE SET outside_assignments = TRUE \
         WHERE group_members.outside_assignments = FALSE",
    )
    .await
}

/// Takes these members out of the group, except where an access package
/// grants the membership, which then stays (no longer as held by hand).
/// Returns how many were removed.
pub async fn remove_members(conn: &mut Conn, group: &GroupId, users: &[String]) -> Result<usize> {
    let role = crate::domain::directory::GroupRole::Member;
    let mut removed = 0;
    for u in users {
        let Some(id) = UserId::parse(u) else { continue };
        let granted: bool = sqlx::query_scalar::<_, super::columns::Flag>(&format!(
            "SELECT {}",
            super::grants::still_granted("'AadGroup'", "$1", "'member'", "$2")
        ))
        .bind(group.as_str())
        .bind(u)
        .fetch_one(&mut *conn)
        .await?
        .0;
        if granted {
            super::directory::clear_group_role_by_hand(conn, group, &id, role).await?;
        } else if super::directory::remove_held(conn, Held::Group(group, role), &id).await? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Deletes a group that no catalog holds and no connected system is linked
/// to; false (nothing deleted) when something uses it.
pub async fn delete_group(conn: &mut Conn, id: &GroupId) -> Result<bool> {
    sqlx::query(
        "DELETE FROM groups WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM catalog_resources r WHERE r.origin_system = 'AadGroup' AND r.origin_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM resource_links l WHERE l.origin_system = 'AadGroup' AND l.origin_id = $1)",
    )
    .bind(id.as_str())
    .changed_one(conn)
    .await
}

/// Where a user comes from, for the console: (source, userName, externalId,
/// employeeNumber).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Origin {
    pub source: String,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub employee_number: Option<String>,
    /// When the person last signed in to Gatehouse.
    pub last_sign_in_at: Option<String>,
}

impl Origin {
    /// Whether an identity provider keeps this person's profile.
    pub fn synced(&self) -> bool {
        matches!(self.source.as_str(), "scim" | "scimDeleted" | "ldap")
    }

    pub fn label(&self) -> &'static str {
        match self.source.as_str() {
            "scim" => "Identity provider (SCIM)",
            "scimDeleted" => "Deleted at the identity provider (SCIM)",
            "ldap" => "Directory (LDAP import)",
            _ => "Gatehouse (made here or at first sign-in)",
        }
    }
}

pub async fn origin_of(conn: &mut Conn, id: &UserId) -> Result<Origin> {
    Ok(sqlx::query_as::<_, Origin>(
        "SELECT source, user_name, external_id, employee_number, last_sign_in_at FROM users WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

/// The synced user (pushed by SCIM) whose externalId (`external`) or
/// userName is `value`, for linking a first sign-in.
pub async fn synced_user_by(
    conn: &mut Conn,
    external: bool,
    value: &str,
) -> Result<Option<UserId>> {
    let sql = if external {
        "SELECT id FROM users WHERE source = 'scim' AND external_id = $1"
    } else {
        "SELECT id FROM users WHERE source = 'scim' AND user_name_lower = $1"
    };
    let value = if external {
        value.to_string()
    } else {
        value.to_lowercase()
    };
    let id: Option<String> = sqlx::query_scalar(sql)
        .bind(value)
        .fetch_optional(conn)
        .await?;
    Ok(id.map(UserId::from_stored))
}
