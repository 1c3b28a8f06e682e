//! Storage: the only module that writes SQL.
//!
//! One code path for SQLite and PostgreSQL through sqlx's `Any` driver. SQL is
//! written in the dialect both share (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`); ids and times are bound as text, which is why `Any`'s limit
//! to primitive types costs nothing here. On SQLite every write goes through a
//! pool of one connection, so write transactions never fail with SQLITE_BUSY and
//! read-then-write logic inside one transaction sees no other writer.

pub mod api_tokens;
pub mod assignments;
pub mod audit;
pub mod batch;
pub mod catalog_roles;
pub mod catalogs;
mod columns;
pub mod connected_orgs;
pub mod connected_systems;
pub mod custom_extensions;
pub mod directory;
mod error;
pub mod grants;
pub mod imports;
pub mod outbox;
pub mod packages;
mod page;
pub mod policies;
mod pool;
pub mod provisioning;
pub mod request_timers;
pub mod requests;
pub mod reviews;
pub mod rows;
pub mod scim;
pub mod sessions;
pub mod settings;
pub mod sign_in_codes;
pub mod snapshot;
mod sql;
pub mod states;
pub mod users;

pub use self::columns::{Flag, contains_pattern, parse_ts, ts, words_pattern};
pub(crate) use self::error::map_err;
pub use self::error::{Result, StoreError};
pub use self::page::{Page, PageAt};
pub use self::pool::Store;
pub use self::rows::NamedRows;
pub use self::sql::{Conn, Tx, forget_value_samples};
