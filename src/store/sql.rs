//! Running SQL on either backend: the connection and transaction types, the
//! store's errors on every statement and read, and what the two dialects
//! spell differently.

use sqlx::{Any, Transaction};

use super::error::Result;

pub type Conn = sqlx::AnyConnection;
pub type Tx = Transaction<'static, Any>;

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

/// The row `select` (a `SELECT ... FROM ...` without a `WHERE`) reads
/// whose `key` column (`a.id`) is `id`, if any: the shape of every `get`.
/// Both are the store's own text; only `id` is bound.
pub(crate) async fn row_where<O>(
    conn: &mut Conn,
    select: &'static str,
    key: &'static str,
    id: &str,
) -> Result<Option<O>>
where
    O: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let sql = format!("{select} WHERE {key} = $1");
    sqlx::query_as::<_, O>(&sql).bind(id).optional(conn).await
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
