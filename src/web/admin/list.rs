//! The console's list pages: one searchable, paged table component, so
//! that each list says only what it lists (its columns and how a row reads).

use askama::Template;

use super::{ListQuery, page_link};
use crate::routes;
use crate::store::Page;
use crate::web::Reply;
use crate::web::admin::console::Console;
use crate::web::{Layout, render};

/// A column heading; numbers are right-aligned.
pub struct Column {
    pub label: &'static str,
    pub num: bool,
}

pub const fn col(label: &'static str) -> Column {
    Column { label, num: false }
}

pub const fn num(label: &'static str) -> Column {
    Column { label, num: true }
}

/// What a list page lists.
pub struct ListSpec {
    /// The page's heading, and its entry in the console's navigation.
    pub title: &'static str,
    pub path: routes::Path,
    pub new: routes::Path,
    /// "site" (the list says "sites").
    pub one: &'static str,
    pub placeholder: &'static str,
    pub columns: &'static [Column],
}

/// One cell: text, optionally a link, a badge (its style) and a note below.
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub badge: Option<&'static str>,
    pub note: Option<String>,
    pub num: bool,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            href: None,
            badge: None,
            note: None,
            num: false,
        }
    }

    pub fn link(text: impl Into<String>, href: String) -> Cell {
        Cell {
            href: Some(href),
            ..Cell::text(text)
        }
    }

    pub fn badge(text: impl Into<String>, style: &'static str) -> Cell {
        Cell {
            badge: Some(style),
            ..Cell::text(text)
        }
    }

    pub fn num(n: i64) -> Cell {
        Cell {
            num: true,
            ..Cell::text(n.to_string())
        }
    }

    pub fn yes_no(b: bool) -> Cell {
        Cell::text(if b { "Yes" } else { "No" })
    }

    /// A smaller line under the text (a description).
    pub fn note(self, note: Option<String>) -> Cell {
        Cell {
            note: note.filter(|n| !n.is_empty()),
            ..self
        }
    }
}

#[derive(Template)]
#[template(path = "admin/list.html")]
struct ListPage {
    layout: Layout,
    spec: &'static ListSpec,
    q: String,
    page: Page<Vec<Cell>>,
    prev: String,
    next: String,
}

/// Renders one page of a list, each item made into its row of cells.
pub fn render_list<T>(
    cx: &Console,
    spec: &'static ListSpec,
    q: &ListQuery,
    page: Page<T>,
    row: impl FnMut(T) -> Vec<Cell>,
) -> Reply {
    let page = page.map(row);
    render(&ListPage {
        layout: cx.layout(spec.title),
        prev: page_link(spec.path.as_str(), &q.q, page.page - 1),
        next: page_link(spec.path.as_str(), &q.q, page.page + 1),
        q: q.q.clone(),
        spec,
        page,
    })
}
