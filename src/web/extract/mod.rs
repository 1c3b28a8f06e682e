//! Who is asking: the session's contents, CSRF-checked forms, and the guards
//! handlers take to require a signed-in person (`guard`), or an
//! administrator or catalog delegate (`console_access`).

pub mod bearer;
pub mod body;
pub mod console_access;
pub mod context;
pub mod csrf;
pub mod form_id;
pub mod guard;
pub mod numbered;
pub mod path_id;
pub mod picker;
pub mod session;
