//! Connectors to the systems Gatehouse provisions into: an LDAP directory or
//! a SCIM 2.0 application. Each opens a session with a system's settings and
//! secret, and then finds people, changes a group's members, lists them,
//! searches groups by name and says what a connection test found.
//!
//! Every change is idempotent: adding a member already present or removing
//! one already absent succeeds, so an operation repeated after a crash
//! changes nothing twice. Errors say whether trying again may help.

pub mod entries;
pub mod ldap;
pub mod remote;
pub mod scim;
pub mod session;
pub mod webhook;

pub use self::entries::{FoundGroup, Person};
pub use self::remote::OpError;
pub use self::session::Session;
