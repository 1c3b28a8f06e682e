//! Suggestions for the pickers: people by name or address, groups,
//! packages and organizations by name; a few at a time.

use serde::Serialize;

use super::error::ServiceError;
use super::transaction::read;
use crate::domain::catalog::OriginSystem;
use crate::domain::catalog_role::CatalogScope;
use crate::store::{Conn, PageAt, Store, connected_orgs, directory, packages, users};

/// What can be looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    Package,
    Organization,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "user" => Some(Kind::User),
            "group" => Some(Kind::Group),
            "package" => Some(Kind::Package),
            "organization" => Some(Kind::Organization),
            _ => None,
        }
    }
}

/// One suggestion: what goes into the field (an address or a name), and
/// how it is shown.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub value: String,
    pub label: String,
    pub detail: String,
}

const SHOWN: i64 = 8;

/// Whether a search is too short to run (fewer than two characters).
fn too_short(q: &str) -> bool {
    q.trim().chars().count() < 2
}

/// A picker's search: a kind, and the text typed.
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    pub kind: Kind,
    pub text: &'a str,
}

#[tracing::instrument(skip_all)]
pub async fn suggest(store: &Store, kind: Kind, q: &str) -> Result<Vec<Suggestion>, ServiceError> {
    // Typed a letter at a time: too short a search takes no connection.
    if too_short(q) {
        return Ok(vec![]);
    }
    read(store, async |c| {
        suggest_in(c, Some(Lookup { kind, text: q })).await
    })
    .await
}

/// What `lookup` finds, on `c` (a page's read, which shows the matches
/// with the form they are picked for); nothing when none was asked for,
/// or for fewer than two characters.
#[tracing::instrument(skip_all)]
pub(crate) async fn suggest_in(
    c: &mut Conn,
    lookup: Option<Lookup<'_>>,
) -> Result<Vec<Suggestion>, ServiceError> {
    let Some(Lookup { kind, text }) = lookup else {
        return Ok(vec![]);
    };
    let q = text.trim();
    if too_short(q) {
        return Ok(vec![]);
    }
    let s = |value: String, label: String, detail: String| Suggestion {
        value,
        label,
        detail,
    };
    Ok(match kind {
        Kind::User => users::search(c, q, PageAt::first(SHOWN))
            .await?
            .items
            .into_iter()
            .map(|u| s(u.email.clone(), u.display_name, u.email))
            .collect(),
        Kind::Group => directory::search(c, OriginSystem::AadGroup, q, PageAt::first(SHOWN))
            .await?
            .items
            .into_iter()
            .map(|g| {
                s(
                    g.display_name.clone(),
                    g.display_name,
                    g.description.unwrap_or_default(),
                )
            })
            .collect(),
        Kind::Package => packages::search(c, &CatalogScope::All, q, PageAt::first(SHOWN))
            .await?
            .items
            .into_iter()
            .map(|p| s(p.display_name.clone(), p.display_name, p.catalog_name))
            .collect(),
        Kind::Organization => connected_orgs::search(c, q, PageAt::first(SHOWN))
            .await?
            .items
            .into_iter()
            .map(|o| s(o.display_name.clone(), o.display_name, o.domains.join(", ")))
            .collect(),
    })
}
