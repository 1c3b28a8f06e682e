//! What the console's lists are asked for in their query string (a search
//! and a page, or a filter), and the links to other pages of the same list.

use serde::Deserialize;

use crate::domain::request::RequestFilter;

/// `?q=..&page=..` on list pages.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    pub page: Option<i64>,
}

pub const PER_PAGE: i64 = 25;

/// How requests can be filtered, on Operations › Requests and on a package's
/// Requests tab: (value, label).
pub fn request_filters() -> Filters {
    filters(
        &RequestFilter::ALL,
        RequestFilter::as_str,
        RequestFilter::label,
    )
}

/// A list's filters as (value, label).
pub type Filters = Vec<(&'static str, &'static str)>;

/// `Filters` of an enum's values, "All" (no filter) first.
pub fn filters<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Filters {
    let each = all.iter().map(|v| (value(*v), label(*v)));
    std::iter::once(("", "All")).chain(each).collect()
}

/// The query string for another page of the same search.
pub fn page_link(base: &str, q: &str, page: i64) -> String {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("{base}?q={q}&page={page}")
}
