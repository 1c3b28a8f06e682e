//! Who is asking: sessions, CSRF tokens, OpenID Connect sign-in, and the
//! extractors handlers use to require a signed-in user or an administrator.

pub mod csrf;
pub mod guard;
pub mod oidc;
pub mod session;
