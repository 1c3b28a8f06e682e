//! Storage: the only module that writes SQL.
//!
//! One code path for SQLite and PostgreSQL through sqlx's `Any` driver. SQL is
//! written in the dialect both share (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`); ids and times are bound as text, which is why `Any`'s limit
//! to primitive types costs nothing here. On SQLite every write goes through a
//! pool of one connection, so write transactions never fail with SQLITE_BUSY and
//! read-then-write logic inside one transaction sees no other writer.

pub mod api_tokens;
pub mod assignments;
pub mod audit;
pub mod batch;
pub mod catalog_roles;
pub mod catalogs;
pub mod connected_orgs;
pub mod connected_systems;
pub mod custom_extensions;
pub mod directory;
pub mod grants;
pub mod imports;
pub mod outbox;
pub mod packages;
pub mod policies;
pub mod provisioning;
pub mod request_timers;
pub mod requests;
pub mod reviews;
pub mod rows;
pub mod scim;
pub mod sessions;
pub mod settings;
pub mod sign_in_codes;
pub mod snapshot;
pub mod states;
pub mod users;

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::config::{DatabaseKind, DatabaseUrl};

pub type Conn = sqlx::AnyConnection;
pub type Tx = Transaction<'static, Any>;

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

/// Running a statement for what it changes, with the store's errors.
pub(crate) trait Statement {
    /// Runs it.
    async fn exec(self, conn: &mut Conn) -> Result<()>;
    /// Runs it; how many rows it changed.
    async fn changed(self, conn: &mut Conn) -> Result<u64>;
    /// Runs it; whether it changed exactly one row.
    async fn changed_one(self, conn: &mut Conn) -> Result<bool>;
}

impl<'q> Statement for sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    async fn exec(self, conn: &mut Conn) -> Result<()> {
        self.execute(conn).await?;
        Ok(())
    }

    async fn changed(self, conn: &mut Conn) -> Result<u64> {
        Ok(self.execute(conn).await?.rows_affected())
    }

    async fn changed_one(self, conn: &mut Conn) -> Result<bool> {
        Ok(self.changed(conn).await? == 1)
    }
}

/// Reading a query's rows, with the store's errors.
pub(crate) trait Rows<O> {
    async fn all(self, conn: &mut Conn) -> Result<Vec<O>>;
    async fn one(self, conn: &mut Conn) -> Result<O>;
    async fn optional(self, conn: &mut Conn) -> Result<Option<O>>;
}

impl<'q, O> Rows<O> for sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>>
where
    O: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    async fn all(self, conn: &mut Conn) -> Result<Vec<O>> {
        Ok(self.fetch_all(conn).await?)
    }

    async fn one(self, conn: &mut Conn) -> Result<O> {
        Ok(self.fetch_one(conn).await?)
    }

    async fn optional(self, conn: &mut Conn) -> Result<Option<O>> {
        Ok(self.fetch_optional(conn).await?)
    }
}

impl<'q, O> Rows<O> for sqlx::query::QueryScalar<'q, Any, O, sqlx::any::AnyArguments<'q>>
where
    O: Send + Unpin,
    (O,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    async fn all(self, conn: &mut Conn) -> Result<Vec<O>> {
        Ok(self.fetch_all(conn).await?)
    }

    async fn one(self, conn: &mut Conn) -> Result<O> {
        Ok(self.fetch_one(conn).await?)
    }

    async fn optional(self, conn: &mut Conn) -> Result<Option<O>> {
        Ok(self.fetch_optional(conn).await?)
    }
}

/// A value as the JSON text a column keeps; `what` names it in the error.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

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

#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    kind: DatabaseKind,
    /// The packages, kept in memory (`snapshot`).
    packages: std::sync::Arc<snapshot::Cache>,
    /// Wakes this instance's provisioning worker after a change that may have
    /// queued operations, so a grant reaches its target at once rather than
    /// at the worker's next look (other instances find it then).
    provisioning: std::sync::Arc<tokio::sync::Notify>,
    /// Likewise for the custom extension calls' worker.
    callouts: std::sync::Arc<tokio::sync::Notify>,
    /// Likewise for the runs administrators ask for ("Reconcile now").
    system_runs: std::sync::Arc<tokio::sync::Notify>,
}

impl Store {
    /// Connects, creating a SQLite file when missing, and applies migrations.
    pub async fn connect(url: &DatabaseUrl) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let store = match url.kind {
            DatabaseKind::Sqlite => {
                let raw = url.expose();
                let with_mode = if raw.contains("mode=") {
                    raw.to_string()
                } else if raw.contains('?') {
                    format!("{raw}&mode=rwc")
                } else {
                    format!("{raw}?mode=rwc")
                };
                let options = AnyConnectOptions::from_str(&with_mode)?;
                let pool = |max: u32, pragmas: &'static str| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(30))
                        // A connection to a local file does not go stale, and
                        // the test is a round trip to its thread on every
                        // acquire: half of a page's round trips.
                        .test_before_acquire(false)
                        .after_connect(move |conn, _| {
                            Box::pin(async move {
                                conn.execute(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                                )
                                .await?;
                                conn.execute(pragmas).await?;
                                Ok(())
                            })
                        })
                        .connect_with(options.clone())
                };
                // The writer first: it creates the file and switches it to WAL.
                // It leaves checkpoints to `checkpoint_wal`, unless the log
                // grows past 80 MB (20,000 pages) all the same.
                // A cache of 64 MB (the default is 2 MB): an import writing a
                // hundred thousand people inserts into each of the people's
                // indexes at random places, and with the default cache it
                // read the same index pages back again and again.
                let write = pool(
                    1,
                    "PRAGMA wal_autocheckpoint = 20000; \
                     PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -65536;",
                )
                .await?;
                forget_value_samples(&mut *write.acquire().await?).await?;
                // Four readers keep two cores busy; each connection's thread
                // held about 10 MB of its own, and eight of them took the
                // benchmark's server past 150 MB.
                let read = pool(4, "SELECT 1").await?;
                tokio::spawn(checkpoint_wal(read.clone()));
                Store {
                    read,
                    write,
                    kind: DatabaseKind::Sqlite,
                    packages: Default::default(),
                    provisioning: Default::default(),
                    callouts: Default::default(),
                    system_runs: Default::default(),
                }
            }
            DatabaseKind::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    // No ping before each use: it would be one more round
                    // trip in every page. A connection the server dropped
                    // fails its statement once and leaves the pool; idle ones
                    // are closed before servers and firewalls forget them.
                    .test_before_acquire(false)
                    .idle_timeout(Duration::from_secs(300))
                    .max_lifetime(Duration::from_secs(1800))
                    .connect(url.expose())
                    .await?;
                Store {
                    read: pool.clone(),
                    write: pool,
                    kind: DatabaseKind::Postgres,
                    packages: Default::default(),
                    provisioning: Default::default(),
                    callouts: Default::default(),
                    system_runs: Default::default(),
                }
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Tells the provisioning worker that operations may be waiting.
    /// Wakes this instance's workers (provisioning and custom extension
    /// calls) after a change that may have queued work for them.
    pub fn wake_workers(&self) {
        self.provisioning.notify_one();
        self.callouts.notify_one();
    }

    /// Wakes this instance's worker for the runs administrators ask for.
    pub fn wake_system_runs(&self) {
        self.system_runs.notify_one();
    }

    /// Waits until `wake_system_runs` is called (or was, since the last wait).
    pub async fn system_runs_woken(&self) {
        self.system_runs.notified().await;
    }

    /// Waits until `wake_workers` is called (or was, since the last wait).
    pub async fn callouts_woken(&self) {
        self.callouts.notified().await;
    }

    /// Waits until `wake_workers` is called (or was, since the last wait).
    pub async fn provisioning_woken(&self) {
        self.provisioning.notified().await;
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.kind {
            DatabaseKind::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.write).await?,
            DatabaseKind::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.write)
                    .await?
            }
        }
        Ok(())
    }

    pub fn kind(&self) -> &DatabaseKind {
        &self.kind
    }

    /// The packages, kept in memory and rebuilt when the catalog generation moves.
    pub fn packages(&self) -> &snapshot::Cache {
        &self.packages
    }

    /// A connection for reading.
    pub async fn read(&self) -> Result<PoolConnection<Any>> {
        self.read.acquire().await.map_err(map_err)
    }

    /// A writing connection outside a transaction, for a change that is
    /// one statement (its own transaction, without `BEGIN` and `COMMIT`
    /// round trips).
    pub async fn write_one(&self) -> Result<PoolConnection<Any>> {
        self.write.acquire().await.map_err(map_err)
    }

    /// A write transaction; commit it or it rolls back when dropped.
    pub async fn begin(&self) -> Result<Tx> {
        self.write.begin().await.map_err(map_err)
    }

    /// A savepoint in `tx`: committed, its work stays with `tx`; dropped
    /// (after an error), only its own work is undone and `tx` goes on.
    pub async fn savepoint(tx: &mut Tx) -> Result<Transaction<'_, Any>> {
        sqlx::Acquire::begin(tx).await.map_err(map_err)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        match self.read.acquire().await {
            Ok(mut c) => sqlx::query("SELECT 1").execute(&mut *c).await.is_ok(),
            Err(_) => false,
        }
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Copies SQLite's write-ahead log into the database file from a reading
/// connection, a few times a second, until the pool closes. Left to the
/// writer, a checkpoint runs inside whichever commit crosses the threshold
/// and holds every other write behind its copying and fsync: measured on the
/// benchmark database, it took a 1,000-row expiration's commit from 24 ms to
/// 100 ms. A passive checkpoint never waits for the writer, nor does the
/// writer wait for it.
async fn checkpoint_wal(pool: AnyPool) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "write-ahead log checkpoint failed");
        }
    }
}

/// Empties SQLite's per-value statistics (`sqlite_stat4`), keeping the
/// per-index ones (`sqlite_stat1`). The bundled SQLite is built with STAT4,
/// and while those samples exist it prepares again, on every execution, each
/// statement whose plan could depend on a bound value. Measured on the
/// benchmark database after an ANALYZE, that halved the home page's
/// throughput (about 13,000 to 6,000 pages per second at 8 clients) and put
/// SQL parsing among the busiest functions. ANALYZE, by anyone, writes them; this
/// runs at start and after the benchmark's own ANALYZE.
pub async fn forget_value_samples(conn: &mut Conn) -> Result<()> {
    let exists: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if exists.is_none() {
        return Ok(());
    }
    let removed = sqlx::query("DELETE FROM sqlite_stat4")
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if removed > 0 {
        // Makes every connection read the statistics again.
        sqlx::query("ANALYZE sqlite_schema").execute(conn).await?;
    }
    Ok(())
}

/// Runs statements that bind nothing, in order.
pub(crate) async fn execute_all(conn: &mut Conn, statements: &[&str]) -> Result<()> {
    for sql in statements {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// What the two backends spell differently, read off the connection itself,
/// so that nothing outside the store needs to know which one it talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// `$start, $start+1, ...`: `n` placeholders for an `IN (...)` list.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One page of `list_sql` and the total of `count_sql`: both bind `key` as
/// `$1`, the list `$2` (how many) and `$3` (how many to skip).
pub(crate) async fn page_of<T>(
    conn: &mut Conn,
    count_sql: &str,
    list_sql: &str,
    key: &str,
    at: PageAt,
) -> Result<Page<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    page_of_held(conn, count_sql, list_sql, key, None, at).await
}

/// `page_of` for a list some viewers see only part of: `held_by` (the
/// viewer's id), when given, is bound as `$2` in the count and `$4` in the
/// list, where the caller's conditions use it (see
/// `catalog_roles::scope_filter`).
pub(crate) async fn page_of_held<T>(
    conn: &mut Conn,
    count_sql: &str,
    list_sql: &str,
    key: &str,
    held_by: Option<&str>,
    at: PageAt,
) -> Result<Page<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut count = sqlx::query_scalar(count_sql).bind(key);
    let mut list = sqlx::query_as::<_, T>(list_sql)
        .bind(key)
        .bind(at.size)
        .bind(at.offset());
    if let Some(user) = held_by {
        count = count.bind(user);
        list = list.bind(user);
    }
    let total: i64 = count.fetch_one(&mut *conn).await?;
    let items = list.fetch_all(conn).await?;
    Ok(Page::of(items, total, at))
}

/// The rows of `select` (two text columns, a query ending in `IN`) for
/// `keys`, as a map: many names or ids looked up in one round trip (500 a
/// statement).
pub(crate) async fn map_in<K: std::hash::Hash + Eq, V>(
    conn: &mut Conn,
    select: &str,
    keys: &[String],
    key: impl Fn(String) -> K,
    value: impl Fn(String) -> V,
) -> Result<HashMap<K, V>> {
    let found: Vec<(String, String)> =
        rows::select_in(conn, &format!("{select} ({{list}})"), keys).await?;
    Ok(found.into_iter().map(|(k, v)| (key(k), value(v))).collect())
}

/// A table of named rows (groups, connected organizations): ids looked up
/// by name and names by id, many in one round trip.
pub struct NamedRows<I> {
    table: &'static str,
    id: fn(String) -> I,
}

impl<I: std::hash::Hash + Eq> NamedRows<I> {
    pub(crate) const fn new(table: &'static str, id: fn(String) -> I) -> NamedRows<I> {
        NamedRows { table, id }
    }

    /// The ids of the rows with these names (lower case), by name.
    pub async fn ids(&self, conn: &mut Conn, names: &[String]) -> Result<HashMap<String, I>> {
        let sql = format!(
            "SELECT name_lower, id FROM {} WHERE name_lower IN",
            self.table
        );
        map_in(conn, &sql, names, |n| n, self.id).await
    }

    /// The names of these rows, by id.
    pub async fn names(&self, conn: &mut Conn, ids: &[String]) -> Result<HashMap<I, String>> {
        let sql = format!("SELECT id, display_name FROM {} WHERE id IN", self.table);
        map_in(conn, &sql, ids, self.id, |n| n).await
    }
}

pub(crate) fn dialect(conn: &Conn) -> Dialect {
    if conn.backend_name() == "PostgreSQL" {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    }
}

impl Dialect {
    /// Ends a job's `SELECT ... LIMIT n` inside its write transaction. On
    /// PostgreSQL the chosen rows stay locked until commit and other instances
    /// skip them, so each is worked on once. SQLite has one writer (one
    /// instance, one write connection), so the transaction alone suffices.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        }
    }

    /// `skip_locked` for the rows of one table of a join (`alias`) only.
    pub(crate) fn skip_locked_of(self, alias: &str) -> String {
        match self {
            Dialect::Postgres => format!(" FOR UPDATE OF {alias} SKIP LOCKED"),
            Dialect::Sqlite => String::new(),
        }
    }
}

/// Times are stored as fixed-width UTC text so that text order is time order.
/// A moment after 9999 ends in UTC (the last day of 9999 ending west of
/// UTC) is stored as that end: a five-digit year would neither sort nor read
/// back as a time, and nothing can tell the two apart anyway.
pub fn ts(t: DateTime<Utc>) -> String {
    /// 9999-12-31T23:59:59Z.
    const LAST_SECOND: i64 = 253_402_300_799;
    let last = DateTime::from_timestamp(LAST_SECOND, 999_999_000).unwrap_or(t);
    t.min(last).to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time `{s}`: {e}")))
}

/// A `LIKE` pattern matching `q` anywhere, with `\` as the escape character.
pub fn contains_pattern(q: &str) -> String {
    format!("%{}%", like_escaped(q.trim()))
}

/// A `LIKE` pattern matching the words of `q` in their order, anything
/// between and around them ("approve request" finds "Approve access package
/// assignment request"), with `\` as the escape character.
pub fn words_pattern(q: &str) -> String {
    let words: Vec<String> = q.split_whitespace().map(like_escaped).collect();
    format!("%{}%", words.join("%"))
}

/// `q` in lower case, its `LIKE` wildcards and escape character escaped.
fn like_escaped(q: &str) -> String {
    let mut p = String::with_capacity(q.len());
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p
}

/// Which page of a list to read: its number (from 1) and how many a page holds.
#[derive(Debug, Clone, Copy)]
pub struct PageAt {
    pub number: i64,
    pub size: i64,
}

impl PageAt {
    /// The first `size` rows.
    pub const fn first(size: i64) -> PageAt {
        PageAt { number: 1, size }
    }

    /// How many rows come before this page.
    pub fn offset(self) -> i64 {
        (self.number.max(1) - 1) * self.size
    }
}

/// One page of a list and the total it was cut from.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }
    /// The page `at` of a list of `total`.
    pub fn of(items: Vec<T>, total: i64, at: PageAt) -> Page<T> {
        Page {
            items,
            total,
            page: at.number,
            per_page: at.size,
        }
    }

    /// The same page with each item made into something else.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// A boolean column as read back: PostgreSQL sends a BOOLEAN, SQLite an integer.
/// Row structs read it with `#[sqlx(try_from = "Flag")]`.
pub struct Flag(pub bool);

impl sqlx::Type<Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<Any>>::type_info()
    }
    fn compatible(_: &sqlx::any::AnyTypeInfo) -> bool {
        true
    }
}

impl<'r> sqlx::Decode<'r, Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        use sqlx::ValueRef;
        if value.type_info().kind() == sqlx::any::AnyTypeInfoKind::Bool {
            Ok(Flag(<bool as sqlx::Decode<Any>>::decode(value)?))
        } else {
            Ok(Flag(<i64 as sqlx::Decode<Any>>::decode(value)? != 0))
        }
    }
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_escape_wildcards_and_keep_the_words_in_order() {
        assert_eq!(super::contains_pattern(" 50%_Off "), "%50\\%\\_off%");
        assert_eq!(
            super::words_pattern("Approve  request"),
            "%approve%request%"
        );
        assert_eq!(super::words_pattern("100%"), "%100\\%%");
    }

    /// The last day of 9999 ends in 10000 west of UTC: it is stored as the
    /// last moment there is, which reads back and sorts as a time.
    #[test]
    fn a_moment_after_9999_is_stored_as_its_last() {
        // 10000-01-01T07:59:59Z: 31 December 9999 ending in Los Angeles.
        let after = chrono::DateTime::from_timestamp(253_402_300_799 + 8 * 3600, 0).unwrap();
        let stored = super::ts(after);
        assert_eq!(stored, "9999-12-31T23:59:59.999999Z");
        assert!(super::parse_ts(&stored).is_ok());
        let ordinary = chrono::DateTime::from_timestamp(1_796_274_000, 0).unwrap();
        assert_eq!(super::ts(ordinary), "2026-12-03T05:00:00.000000Z");
    }

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
