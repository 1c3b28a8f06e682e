//! The pickers without the page script. Beside each field that names people,
//! groups, packages or organizations (one per line) the form has a search box
//! and a "Search" button; pressing it posts the form back, and the page comes
//! back unsaved with the matches as check boxes. Whatever is ticked is added
//! to its field on the next post, whichever button sends it, so the same
//! form is a plain search-and-pick form. With the script, chips and
//! suggestions replace all of this and the field is sent as typed.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use serde::de::DeserializeOwned;

use super::csrf::checked_body;
use crate::service::ServiceError;
use crate::service::lookup::{self, Kind, Lookup, Suggestion};
use crate::store::Store;
use crate::web::error::AppError;

/// The button: its value is `kind:field` (search that field's kind) or `add`.
const BUTTON: &str = "pick";
/// The search box of field F is `pickq:F`.
const QUERY: &str = "pickq:";
/// The check box of match N for field F is `pickadd:F:N`.
const ADD: &str = "pickadd:";

/// What a picker of `kind` finds, for its button ("Search people").
pub fn plural(kind: &str) -> &'static str {
    match Kind::parse(kind) {
        Some(Kind::User) => "people",
        Some(Kind::Group) => "groups",
        Some(Kind::Package) => "access packages",
        Some(Kind::Organization) | None => "organizations",
    }
}

/// What the "Search" button asked for.
#[derive(Debug, Clone)]
pub struct PickSearch {
    kind: Kind,
    field: String,
    query: String,
}

/// A CSRF-checked form with ticked matches folded into their fields, and
/// whether a picker button was pressed (then the form is shown again, not
/// saved).
pub struct Picked<T> {
    pub form: T,
    pub pressed: Option<Option<PickSearch>>,
}

impl<T: DeserializeOwned + 'static> FromRequest for Picked<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = checked_body(req, payload);
        Box::pin(async move {
            let body = body.await?;
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let (pairs, pressed) = fold(pairs);
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            let form = serde_html_form::from_str::<T>(&encoded)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))?;
            Ok(Picked { form, pressed })
        })
    }
}

/// The posted pairs without the picker's own, each field with the matches
/// ticked for it added (once, as the last lines); and the button pressed.
fn fold(pairs: Vec<(String, String)>) -> (Vec<(String, String)>, Option<Option<PickSearch>>) {
    let mut ticked: Vec<(String, String)> = vec![];
    let mut queries: Vec<(String, String)> = vec![];
    let mut button: Option<String> = None;
    let mut kept: Vec<(String, String)> = vec![];
    for (k, v) in pairs {
        if k == BUTTON {
            button = Some(v);
        } else if let Some(field) = k.strip_prefix(QUERY) {
            queries.push((field.to_string(), v));
        } else if let Some(rest) = k.strip_prefix(ADD) {
            let field = rest.rsplit_once(':').map_or(rest, |(f, _)| f);
            ticked.push((field.to_string(), v));
        } else {
            kept.push((k, v));
        }
    }
    for (field, value) in ticked {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match kept.iter_mut().find(|(k, _)| *k == field) {
            Some((_, current)) => {
                let present = current
                    .lines()
                    .any(|l| l.trim().eq_ignore_ascii_case(value));
                if !present {
                    let trimmed = current.trim_end();
                    *current = if trimmed.is_empty() {
                        value.to_string()
                    } else {
                        format!("{trimmed}\n{value}")
                    };
                }
            }
            None => kept.push((field, value.to_string())),
        }
    }
    let pressed = button.map(|b| {
        let (kind, field) = b.split_once(':')?;
        let kind = Kind::parse(kind)?;
        let query = queries
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, q)| q.trim().to_string())
            .unwrap_or_default();
        Some(PickSearch {
            kind,
            field: field.to_string(),
            query,
        })
    });
    (kept, pressed)
}

/// The matches a form shows again beside the field that was searched.
#[derive(Debug, Default)]
pub struct Matches {
    field: String,
    pub query: String,
    pub found: Vec<Suggestion>,
    /// The search was too short to run.
    pub too_short: bool,
}

impl Matches {
    /// Whether a search was made (the form came back to show its matches).
    pub fn searched(&self) -> bool {
        !self.field.is_empty()
    }

    /// Whether these are the matches for `field` (the template asks per field).
    pub fn of(&self, field: &str) -> bool {
        !self.field.is_empty() && self.field == field
    }

    /// The matches `found` for the search the button asked for (none: no
    /// matches shown), read by the page's service with `PickSearch::lookup`.
    /// The suggestions are taken out of the page's read (`found`).
    pub fn found(
        search: Option<&PickSearch>,
        offers: &[Kind],
        found: &mut Vec<Suggestion>,
    ) -> Self {
        let found = std::mem::take(found);
        let Some(s) = search.filter(|s| offers.contains(&s.kind)) else {
            return Matches::default();
        };
        Matches {
            field: s.field.clone(),
            too_short: s.query.chars().count() < 2,
            query: s.query.clone(),
            found,
        }
    }

    /// Runs the search the button asked for, on a page that reads nothing
    /// else (a new object's form).
    pub async fn find(
        store: &Store,
        search: Option<&PickSearch>,
        offers: &[Kind],
    ) -> Result<Self, ServiceError> {
        let mut found = match PickSearch::lookup(search, offers) {
            Some(l) => lookup::suggest(store, l.kind, l.text).await?,
            None => vec![],
        };
        Ok(Matches::found(search, offers, &mut found))
    }
}

impl PickSearch {
    /// The look-up the button asked for, if it is of a kind the form
    /// `offers`: the button's value comes from the browser, and another
    /// kind (packages, on a form for people) could name what its user may
    /// not look up.
    pub fn lookup<'a>(search: Option<&'a PickSearch>, offers: &[Kind]) -> Option<Lookup<'a>> {
        search.filter(|s| offers.contains(&s.kind)).map(|s| Lookup {
            kind: s.kind,
            text: &s.query,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn ticked_matches_join_their_field_once() {
        let (kept, pressed) = fold(vec![
            p("csrf_token", "t"),
            p("users", "a@example.com"),
            p("pickq:users", "bo"),
            p("pickadd:users:1", "bo@example.com"),
            p("pickadd:users:2", "A@example.com"),
            p("pickadd:groups:1", "Sales"),
        ]);
        assert!(pressed.is_none());
        assert_eq!(
            kept,
            vec![
                p("csrf_token", "t"),
                p("users", "a@example.com\nbo@example.com"),
                p("groups", "Sales"),
            ]
        );
    }

    #[test]
    fn the_search_button_names_kind_field_and_query() {
        let (_, pressed) = fold(vec![
            p("s1_users", ""),
            p("pickq:s1_users", " nina "),
            p("pick", "user:s1_users"),
        ]);
        let s = pressed.flatten().expect("a search");
        assert_eq!((s.kind, s.field.as_str()), (Kind::User, "s1_users"));
        assert_eq!(s.query, "nina");
        let (_, pressed) = fold(vec![p("pick", "add")]);
        assert!(matches!(pressed, Some(None)));
        let (_, pressed) = fold(vec![p("pick", "nothing:users")]);
        assert!(matches!(pressed, Some(None)));
    }
}
