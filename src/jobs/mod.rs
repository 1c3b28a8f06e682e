//! Background jobs, started once with the server.

pub mod lifecycle;
pub mod outbox;
