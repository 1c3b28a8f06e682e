//! Who is asking: the session's contents, CSRF-checked forms, and the guards
//! handlers take to require a signed-in person or an administrator.

pub mod bearer;
pub mod context;
pub mod csrf;
pub mod guard;
pub mod picker;
pub mod session;
