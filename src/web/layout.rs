//! The page frame every page shares: who is signed in, the section, the
//! flash message, the CSRF token, and how the viewer reads times.

use chrono_tz::Tz;

use super::extract::session::Flash;
use super::format;
use crate::domain::catalog_role::CatalogRights;
use crate::routes;
use crate::web::state::AppState;

/// The parts of the page frame every page shares.
pub struct Layout {
    pub title: String,
    pub section: &'static str,
    pub user_name: Option<String>,
    /// Where the header's Console link leads, for those the console is
    /// open to: the overview for administrators, the catalogs for delegates.
    pub console: Option<crate::routes::Path>,
    /// What the viewer may do on a console page (nothing elsewhere).
    pub may: CatalogRights,
    pub csrf: String,
    pub demo: bool,
    pub flash: Option<Flash>,
    /// Signed in but not in the directory: only My Access applies.
    pub external: bool,
    /// Where the viewer reads times.
    pub tz: Tz,
}

impl Layout {
    pub fn for_user(
        state: &AppState,
        user: &crate::web::extract::guard::CurrentUser,
        section: &'static str,
        title: impl Into<String>,
    ) -> Layout {
        Layout {
            title: title.into(),
            section,
            user_name: Some(user.user.display_name.clone()),
            console: console_link(user.is_admin, user.delegated),
            may: CatalogRights::default(),
            csrf: user.csrf.clone(),
            demo: state.config.demo,
            flash: user.flash.clone(),
            external: false,
            tz: user.tz,
        }
    }

    pub fn for_requester(
        state: &AppState,
        who: &crate::web::extract::guard::Requester,
        section: &'static str,
        title: impl Into<String>,
    ) -> Layout {
        Layout {
            title: title.into(),
            section,
            user_name: Some(who.person.display_name().to_string()),
            console: console_link(who.is_admin, who.delegated),
            may: CatalogRights::default(),
            csrf: who.csrf.clone(),
            demo: state.config.demo,
            flash: who.flash.clone(),
            external: who.person.user().is_none(),
            tz: who.tz,
        }
    }

    pub fn anonymous(state: &AppState, csrf: String, title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            section: "",
            user_name: None,
            console: None,
            may: CatalogRights::default(),
            csrf,
            demo: state.config.demo,
            flash: None,
            external: false,
            tz: chrono_tz::UTC,
        }
    }
    /// A stored time as HTML, in the viewer's zone (see `format::when`).
    pub fn when(&self, stored: &str) -> String {
        format::when(stored, self.tz)
    }

    /// The same for a time that may be missing (nothing shown then).
    pub fn when_opt(&self, stored: &Option<String>) -> String {
        stored.as_deref().map_or(String::new(), |s| self.when(s))
    }

    /// A reason kept with a request, its moments in the viewer's zone
    /// (see `format::reason`).
    pub fn reason(&self, kept: &str) -> String {
        format::reason(kept, self.tz)
    }

    /// A stored time's date, in the viewer's zone.
    pub fn day(&self, stored: &str) -> String {
        format::day(stored, self.tz)
    }

    pub fn day_opt(&self, stored: &Option<String>) -> String {
        stored.as_deref().map_or(String::new(), |s| self.day(s))
    }
}

fn console_link(is_admin: bool, delegated: bool) -> Option<routes::Path> {
    if is_admin {
        Some(routes::ADMIN)
    } else if delegated {
        Some(routes::ADMIN_CATALOGS.list)
    } else {
        None
    }
}
