//! The console's list pages: one searchable, paged table served by one
//! handler, so that each list declares only what it lists: how its items are
//! found, and its columns (each heading with how its cell reads).

use actix_web::{FromRequest, Handler, Responder, web};
use askama::Template;
use futures_util::future::LocalBoxFuture;

use super::query::{ListQuery, PER_PAGE, page_link};
use crate::domain::catalog_role::CatalogScope;
use crate::domain::catalog_role::Reach;
use crate::routes;
use crate::service::ServiceError;
use crate::store::catalogs::CatalogRow;
use crate::store::connected_orgs::OrgRow;
use crate::store::connected_systems::SystemRow;
use crate::store::directory::ResourceSummary;
use crate::store::packages::PackageListRow;
use crate::store::users::UserSummary;
use crate::store::{Page, PageAt, Store};
use crate::web::admin::console::Delegated;
use crate::web::admin::csv::csv_download;
use crate::web::error::AppError;
use crate::web::extract::console_access::console_closed;
use crate::web::layout::Layout;
use crate::web::respond::{Reply, page_at, render};
use crate::web::routing::Router;

/// A column: its heading, and how each item's cell in it reads. Heading and
/// cell are declared together so that a list cannot show one without the other.
pub struct Column<T> {
    pub label: &'static str,
    reads: Reads<T>,
}

enum Reads<T> {
    Cell(fn(&T) -> Cell),
    Num(fn(&T) -> i64),
}

impl<T> Column<T> {
    /// A column of numbers: right-aligned, heading and cells.
    pub fn num(&self) -> bool {
        matches!(self.reads, Reads::Num(_))
    }

    fn cell(&self, item: &T) -> Cell {
        match self.reads {
            Reads::Cell(read) => read(item),
            Reads::Num(read) => Cell::text(read(item).to_string()),
        }
    }
}

/// A column of text, links or badges.
pub const fn col<T>(label: &'static str, cell: fn(&T) -> Cell) -> Column<T> {
    Column {
        label,
        reads: Reads::Cell(cell),
    }
}

/// A column of counts.
pub const fn num<T>(label: &'static str, count: fn(&T) -> i64) -> Column<T> {
    Column {
        label,
        reads: Reads::Num(count),
    }
}

/// A search service: finds a page of items matching the search text (in the
/// catalogs `scope` covers, where that applies). Its future is boxed, so
/// that every list's spec holds one of the same type.
pub type Search<T> = for<'a> fn(
    &'a Store,
    &'a CatalogScope,
    &'a str,
    PageAt,
) -> LocalBoxFuture<'a, Result<Page<T>, ServiceError>>;

/// Whether catalog delegates use a list (seeing their catalogs' items only).
#[derive(Clone, Copy)]
pub enum ForDelegates {
    /// Administrators only.
    No,
    /// Delegates see it, and follow its "New" button when their reach
    /// beyond one catalog allows (managing packages somewhere, creating
    /// catalogs).
    ReadAndNew(fn(&Reach) -> bool),
}

/// What every list's first column shows: the item's name, linking to its
/// page, with its description below where the list has no column for it.
pub trait Listed {
    fn id(&self) -> String;
    fn name(&self) -> &str;
    fn note(&self) -> Option<&str> {
        None
    }
}

/// `Listed` for rows with an `id` and a `display_name`; `described` ones
/// show their `description` under the name.
macro_rules! listed {
    ($($row:ty),* $(; described $($described:ty),*)?) => {
        $(impl Listed for $row {
            fn id(&self) -> String {
                self.id.to_string()
            }
            fn name(&self) -> &str {
                &self.display_name
            }
        })*
        $($(impl Listed for $described {
            fn id(&self) -> String {
                self.id.to_string()
            }
            fn name(&self) -> &str {
                &self.display_name
            }
            fn note(&self) -> Option<&str> {
                self.description.as_deref()
            }
        })*)?
    };
}

listed!(ResourceSummary, UserSummary, OrgRow, SystemRow; described CatalogRow, PackageListRow);

/// The first column's heading.
const NAME: &str = "Name";

/// What a list page lists.
pub struct ListSpec<T: 'static> {
    /// How one page of the items is found: the search text, the page.
    pub search: Search<T>,
    /// The page's heading and title.
    pub title: &'static str,
    /// Its list's path, its new item's, and one item's, which its name
    /// links to.
    pub paths: routes::Collection,
    /// "site" (the list says "sites").
    pub one: &'static str,
    pub placeholder: &'static str,
    /// The columns after the name.
    pub columns: &'static [Column<T>],
    pub delegates: ForDelegates,
}

impl<T: Listed> ListSpec<T> {
    /// An item's row: its name, then a cell for each column.
    fn row(&self, item: &T) -> Vec<Cell> {
        let name = Cell::link(item.name(), self.paths.item.id(item.id())).note(item.note());
        let cells = self.columns.iter().map(|c| c.cell(item));
        std::iter::once(name).chain(cells).collect()
    }

    /// The headings, the name's first, each with whether it heads numbers.
    fn headings(&self) -> Vec<(&'static str, bool)> {
        let columns = self.columns.iter().map(|c| (c.label, c.num()));
        std::iter::once((NAME, false)).chain(columns).collect()
    }
}

/// One cell: text, optionally a link, a badge (its style) and a note below.
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub badge: Option<&'static str>,
    pub note: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            href: None,
            badge: None,
            note: None,
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

    /// The text, or an empty cell where there is none.
    pub fn maybe(text: Option<&str>) -> Cell {
        Cell::text(text.unwrap_or_default())
    }

    pub fn yes_no(b: bool) -> Cell {
        Cell::text(if b { "Yes" } else { "No" })
    }

    /// A smaller line under the text (a description).
    pub fn note(self, note: Option<&str>) -> Cell {
        Cell {
            note: note.filter(|n| !n.is_empty()).map(str::to_owned),
            ..self
        }
    }
}

#[derive(Template)]
#[template(path = "admin/list.html")]
struct ListPage<T: 'static> {
    layout: Layout,
    spec: &'static ListSpec<T>,
    q: String,
    headings: Vec<(&'static str, bool)>,
    page: Page<Vec<Cell>>,
    prev: String,
    next: String,
    /// The search's every item as CSV.
    csv: String,
    /// Whether the viewer may make new items from here.
    offers_new: bool,
}

/// The most rows a list's CSV holds.
const CSV_ROWS: i64 = 100_000;

/// `cfg.list(&LIST)`: serves a list page at its path, and what it finds as
/// CSV at the path with `.csv` (Entra's lists export, the connected
/// organizations' among them).
pub trait Lists {
    fn list<T: Listed>(&mut self, spec: &'static ListSpec<T>) -> &mut Self;

    /// A list whose items are made and edited here, each path written once
    /// in its spec: the list, `create` posted to it, `new_form` at its `new`
    /// path, and each item's page (`show`) with the form posted back to it
    /// (`update`).
    fn editable<T, C, Ca, N, Na, S, Sa, U, Ua>(
        &mut self,
        spec: &'static ListSpec<T>,
        create: C,
        new_form: N,
        show: S,
        update: U,
    ) -> &mut Self
    where
        Self: Router,
        T: Listed,
        C: Handler<Ca>,
        Ca: FromRequest + 'static,
        C::Output: Responder + 'static,
        N: Handler<Na>,
        Na: FromRequest + 'static,
        N::Output: Responder + 'static,
        S: Handler<Sa>,
        Sa: FromRequest + 'static,
        S::Output: Responder + 'static,
        U: Handler<Ua>,
        Ua: FromRequest + 'static,
        U::Output: Responder + 'static,
    {
        self.list(spec)
            .post(spec.paths.list, create)
            .get(spec.paths.new, new_form)
            .form(spec.paths.item, show, update)
    }
}

impl Lists for web::ServiceConfig {
    fn list<T: Listed>(&mut self, spec: &'static ListSpec<T>) -> &mut Self {
        self.route(
            &csv_path(spec.paths.list),
            web::get().to(move |cx: Delegated, q: web::Query<ListQuery>| download(cx, q, spec)),
        );
        self.get(
            spec.paths.list,
            move |cx: Delegated, q: web::Query<ListQuery>| page(cx, q, spec),
        )
    }
}

/// Whose items the list shows the viewer; administrator-only lists refuse
/// delegates.
fn scope_of<T>(cx: &Delegated, spec: &ListSpec<T>) -> Result<CatalogScope, AppError> {
    if !cx.who.is_admin && matches!(spec.delegates, ForDelegates::No) {
        return Err(console_closed(&cx.who));
    }
    Ok(cx.who.scope())
}

fn csv_path(path: routes::Path) -> String {
    format!("{}.csv", path.as_str())
}

/// Every item the search finds, one row each, under the list's headings.
#[tracing::instrument(name = "list_csv", skip_all, fields(list = spec.title))]
async fn download<T: Listed>(
    cx: Delegated,
    q: web::Query<ListQuery>,
    spec: &'static ListSpec<T>,
) -> Reply {
    let scope = scope_of(&cx, spec)?;
    let all = PageAt {
        number: 1,
        size: CSV_ROWS,
    };
    let found = (spec.search)(cx.store(), &scope, &q.q, all).await?;
    let rows: Vec<Vec<String>> = found
        .items
        .iter()
        .map(|item| spec.row(item).into_iter().map(|c| c.text).collect())
        .collect();
    let header: Vec<&str> = spec.headings().into_iter().map(|(h, _)| h).collect();
    Ok(csv_download(
        spec.title,
        &header,
        rows.iter().map(|r| r.iter().map(String::as_str).collect()),
    ))
}

/// One page of a list, each item made into its row of cells.
#[tracing::instrument(name = "list", skip_all, fields(list = spec.title))]
async fn page<T: Listed>(
    cx: Delegated,
    q: web::Query<ListQuery>,
    spec: &'static ListSpec<T>,
) -> Reply {
    let scope = scope_of(&cx, spec)?;
    // The guard read a delegate's reach beyond their catalogs.
    let offers_new = match spec.delegates {
        _ if cx.who.is_admin => true,
        ForDelegates::ReadAndNew(may) => may(&cx.who.reach),
        ForDelegates::No => false,
    };
    let found = (spec.search)(cx.store(), &scope, &q.q, page_at(q.page, PER_PAGE)).await?;
    let page = found.map(|item| spec.row(&item));
    render(&ListPage {
        layout: cx.layout(spec.title),
        prev: page_link(spec.paths.list.as_str(), &q.q, page.page - 1),
        next: page_link(spec.paths.list.as_str(), &q.q, page.page + 1),
        csv: page_link(&csv_path(spec.paths.list), &q.q, 1),
        offers_new,
        headings: spec.headings(),
        q: q.q.clone(),
        spec,
        page,
    })
}
