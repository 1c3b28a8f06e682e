//! Pure types and rules. No SQL, no HTTP.

pub mod api_token;
pub mod audit;
pub mod catalog;
pub mod connected_org;
pub mod connected_system;
pub mod custom_extension;
pub mod directory;
pub mod directory_import;
pub mod ids;
pub mod lifecycle;
pub mod message;
pub mod policy;
pub mod policy_draft;
pub mod request;
pub mod review;
pub mod scim;
pub mod tenant;
pub mod user;
pub mod validation;
