//! Lists read a page at a time: which page to read, the page read with the
//! total it was cut from, and the two statements that read one.

use super::error::Result;
use super::sql::Conn;

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
