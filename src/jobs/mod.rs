//! Background jobs, started once with the server.

pub mod outbox;
