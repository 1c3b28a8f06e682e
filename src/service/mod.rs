//! Use cases. A change is one transaction that also writes its audit event
//! (`transaction::write`); what the jobs and workers run on what is due
//! (`*_due`, the workers' claims and saves) takes it in batches or items of
//! one transaction each.

pub mod access;
pub mod api_tokens;
pub mod assignments;
pub mod audit;
pub mod batch;
pub mod catalog_roles;
pub mod catalogs;
pub mod connected_orgs;
pub mod connected_systems;
pub mod custom_extensions;
pub mod demo;
pub mod directory;
pub(crate) mod error;
pub mod guest_lifecycle;
pub mod health;
pub mod imports;
pub mod lookup;
pub mod outbox;
pub mod overview;
pub mod packages;
pub mod provisioning;
pub mod requests;
pub mod resource_page;
pub mod reviews;
pub mod scim;
pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod sign_in_page;
mod transaction;

pub use self::error::{Saved, ServiceError, invalid};
