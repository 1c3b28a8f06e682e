//! Sessions the server knows of: the cookie carries the id, the row says
//! whether it still holds (signing out and blocking delete it).

use chrono::{DateTime, Utc};

use super::columns::ts;
use super::error::Result;
use super::sql::{Conn, Rows, Statement};
use crate::domain::ids::UserId;

pub async fn insert(
    conn: &mut Conn,
    id: &str,
    user: Option<&UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(id)
    .bind(user.map(|u| u.as_str().to_string()))
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    if let Some(u) = user {
        // A session starts only at sign-in: this is the person's last one.
        sqlx::query("UPDATE users SET last_sign_in_at = $2 WHERE id = $1")
            .bind(u.as_str())
            .bind(ts(now))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The session's user (`None` for someone not yet in the directory) and when
/// it was last used; `None` when it no longer exists.
pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<(Option<String>, String)>> {
    sqlx::query_as::<_, (Option<String>, String)>(
        "SELECT user_id, last_seen_at FROM sessions WHERE id = $1",
    )
    .bind(id)
    .optional(conn)
    .await
}

pub async fn touch(conn: &mut Conn, id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(id)
        .bind(ts(now))
        .exec(conn)
        .await
}

/// The session now belongs to the directory user its identity became.
pub async fn set_user(conn: &mut Conn, id: &str, user: &UserId) -> Result<()> {
    sqlx::query("UPDATE sessions SET user_id = $2 WHERE id = $1")
        .bind(id)
        .bind(user.as_str())
        .exec(conn)
        .await
}

pub async fn delete(conn: &mut Conn, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .exec(conn)
        .await
}

/// Ends every session of the user; returns how many there were.
pub async fn delete_for_user(conn: &mut Conn, user: &UserId) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.as_str())
        .execute(conn)
        .await?
        .rows_affected())
}

/// Forgets sessions unused since `before`.
pub async fn delete_idle(conn: &mut Conn, before: DateTime<Utc>) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1")
        .bind(ts(before))
        .execute(conn)
        .await?
        .rows_affected())
}
