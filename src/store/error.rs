//! The store's errors: driver errors classified the same way on both
//! backends, so that a caller can tell a conflict or a transaction given up
//! for another from a failure.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference rule was broken; the constraint's name says which.
    #[error("conflict on {0}")]
    Conflict(String),
    /// Another transaction held what this one needed, and this one was
    /// given up: PostgreSQL broke a deadlock or a serialization conflict by
    /// aborting it, SQLite stayed locked past its busy timeout, or no pooled
    /// connection came free in time. Nothing it did was kept, and the same
    /// change may simply be tried again.
    #[error("given up for another transaction: {0}")]
    Busy(sqlx::Error),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// `?` on a driver result classifies its error (`map_err`).
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        map_err(e)
    }
}

/// Whether the statement gave way to another transaction: PostgreSQL's
/// `deadlock_detected`, `serialization_failure` and `lock_not_available`;
/// SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED`, with any of their extended
/// codes (whose low byte is the primary code).
fn gave_way(db: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = db.code() else {
        return false;
    };
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
    }
    matches!(code.as_ref(), "40P01" | "40001" | "55P03")
}

/// Classifies driver errors the same way on both backends.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() || db.is_foreign_key_violation() {
            return StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string());
        }
        if gave_way(db.as_ref()) {
            return StoreError::Busy(e);
        }
    }
    if let sqlx::Error::RowNotFound = e {
        return StoreError::NotFound;
    }
    // Every connection stayed busy past the pool's wait: as a lock that
    // stayed held, nothing was done and it may be tried again.
    if let sqlx::Error::PoolTimedOut = e {
        return StoreError::Busy(e);
    }
    StoreError::Database(e)
}

#[cfg(test)]
mod tests {
    /// A write refused because another connection holds the database is
    /// told apart from other failures: the person is asked to try again.
    #[tokio::test]
    async fn a_write_that_finds_the_database_held_gives_way() {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let file = std::env::temp_dir().join(format!("gatehouse-busy-{}.db", std::process::id()));
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let mut holder = sqlx::AnyConnection::connect(&url).await.unwrap();
        let mut other = sqlx::AnyConnection::connect(&url).await.unwrap();
        async fn run(c: &mut sqlx::AnyConnection, sql: &str) -> Result<(), super::StoreError> {
            sqlx::query(sql)
                .execute(c)
                .await
                .map(drop)
                .map_err(super::map_err)
        }
        run(&mut other, "PRAGMA busy_timeout = 0").await.unwrap();
        run(&mut holder, "CREATE TABLE t (x INTEGER)")
            .await
            .unwrap();
        run(&mut holder, "BEGIN IMMEDIATE").await.unwrap();
        let refused = run(&mut other, "INSERT INTO t VALUES (1)").await;
        assert!(
            matches!(refused, Err(super::StoreError::Busy(_))),
            "{refused:?}"
        );
        let missing = run(&mut holder, "INSERT INTO nowhere VALUES (1)").await;
        assert!(
            matches!(missing, Err(super::StoreError::Database(_))),
            "{missing:?}"
        );
        drop((holder, other));
        let _ = std::fs::remove_file(&file);
    }

    /// A stored state no enum names fails the read, never a default.
    #[tokio::test]
    async fn a_state_no_enum_names_fails_the_read() {
        use crate::domain::assignment::AssignmentState;
        use sqlx::Connection;
        #[derive(Debug, sqlx::FromRow)]
        struct Row {
            #[sqlx(try_from = "String")]
            state: AssignmentState,
        }
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let mut read = async |sql: &str| {
            sqlx::query_as::<_, Row>(sql)
                .fetch_one(&mut c)
                .await
                .map(|r| r.state)
                .map_err(super::map_err)
        };
        let known = read("SELECT 'partiallyDelivered' AS state").await;
        assert_eq!(known.unwrap(), AssignmentState::PartiallyDelivered);
        let unknown = read("SELECT 'granted' AS state").await;
        assert!(unknown.is_err(), "{unknown:?}");
    }
}
