//! What every handler can reach: the settings, the store, the clock, the
//! identity providers, who the administrators are, and My Access's list.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::user::User;
use crate::store::Store;
use crate::web::oidc::Oidc;

/// What every handler can reach.
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: Clock,
    pub oidc: Oidc,
    /// Emails that are administrators: the configured list, plus the demo admin in demo mode.
    pub admins: Vec<String>,
}

impl AppState {
    /// Administrators are members whose address is configured: a guest
    /// account with the same address (made through a request) is not one.
    pub fn is_admin(&self, user: &User) -> bool {
        let email = user.email.to_lowercase();
        !user.is_guest() && self.admins.contains(&email)
    }
}
