//! Many rows in one statement: an import of a hundred thousand people costs
//! a few hundred round trips instead of hundreds of thousands; many names or
//! ids looked up in one.

use std::collections::HashMap;

use super::error::Result;
use super::sql::{Conn, Dialect, dialect};

/// A value to bind.
#[derive(Debug, Clone)]
pub enum Val {
    Text(String),
    Int(i64),
    Bool(bool),
    Null,
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}
impl From<i64> for Val {
    fn from(n: i64) -> Val {
        Val::Int(n)
    }
}
impl From<bool> for Val {
    fn from(b: bool) -> Val {
        Val::Bool(b)
    }
}
impl From<Option<String>> for Val {
    fn from(s: Option<String>) -> Val {
        s.map_or(Val::Null, Val::Text)
    }
}

/// Both backends accept this many bound values in one statement (SQLite
/// 32,766, PostgreSQL 65,535).
const MAX_PARAMS: usize = 30_000;

/// One bound value's placeholder. SQLite gets anonymous `?` (bound in
/// order): finding a `$N` by its name is a walk over every name in the
/// statement, so a statement of 18,000 named values spent most of its time
/// binding them (an import of 100,000 people took 38 s instead of 4).
fn placeholder(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => "?".to_string(),
        Dialect::Postgres => format!("${n}"),
    }
}

/// `($1, $2), ($3, $4), ...`: `rows` groups of `columns` placeholders.
fn tuples(dialect: Dialect, columns: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 6);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&placeholder(dialect, r * columns + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Runs `head VALUES (...), (...) tail` over `rows` (one value per column,
/// `columns` each), as many rows per statement as the backends allow.
/// `head` is trusted SQL written in the store; only values are bound.
async fn each_chunk(
    conn: &mut Conn,
    columns: usize,
    rows: &[Vec<Val>],
    sql: impl Fn(&str) -> String,
) -> Result<u64> {
    let per = (MAX_PARAMS / columns.max(1)).clamp(1, 1000);
    let dialect = dialect(conn);
    let mut done = 0;
    for chunk in rows.chunks(per) {
        let text = sql(&tuples(dialect, columns, chunk.len()));
        let mut q = sqlx::query(&text);
        for row in chunk {
            debug_assert_eq!(row.len(), columns);
            for v in row {
                q = match v {
                    Val::Text(s) => q.bind(s.clone()),
                    Val::Int(i) => q.bind(*i),
                    Val::Bool(b) => q.bind(*b),
                    Val::Null => q.bind(Option::<String>::None),
                };
            }
        }
        done += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(done)
}

/// Inserts `rows` into `table`; `tail` follows the values (an `ON CONFLICT`
/// clause, or nothing). Returns how many rows were inserted.
pub async fn insert(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
    tail: &str,
) -> Result<u64> {
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    each_chunk(conn, columns.len(), rows, |values| {
        format!("{head}{values} {tail}")
    })
    .await
}

/// Runs `UPDATE ... FROM (VALUES ...) AS v ...` over `rows`: `update` is the
/// statement with `{values}` where the list goes; the columns are
/// `v.column1`, `v.column2`, ... on both backends.
pub async fn update_from(
    conn: &mut Conn,
    update: &str,
    columns: usize,
    rows: &[Vec<Val>],
) -> Result<u64> {
    each_chunk(conn, columns, rows, |values| {
        update.replace("{values}", values)
    })
    .await
}

/// Runs `select` (with `{list}` where an `IN` list goes) over `keys`, a
/// chunk at a time, and gathers the rows.
pub async fn select_in<T>(conn: &mut Conn, select: &str, keys: &[String]) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::new();
    let dialect = dialect(conn);
    for chunk in keys.chunks(1000) {
        let list: Vec<String> = (1..=chunk.len()).map(|n| placeholder(dialect, n)).collect();
        let sql = select.replace("{list}", &list.join(", "));
        let mut q = sqlx::query_as::<_, T>(&sql);
        for k in chunk {
            q = q.bind(k.clone());
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
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
        select_in(conn, &format!("{select} ({{list}})"), keys).await?;
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

#[cfg(test)]
mod tests {
    use super::{Dialect, tuples};

    #[test]
    fn tuples_number_every_value_once() {
        assert_eq!(
            tuples(Dialect::Postgres, 2, 3),
            "($1, $2), ($3, $4), ($5, $6)"
        );
        assert_eq!(tuples(Dialect::Postgres, 1, 1), "($1)");
        assert_eq!(tuples(Dialect::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
