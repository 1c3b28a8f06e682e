//! SCIM 2.0 as Gatehouse serves it (RFC 7643, RFC 7644): identity providers
//! push people and groups. The rules live here: reading filters, reading
//! users and groups as providers send them (Entra ID's and Okta's forms
//! included), applying PATCH operations, and the errors each case gets.

pub mod filter;
pub mod patch;
mod protocol;
pub mod resource;
pub mod schema;

pub use self::protocol::{
    ENTERPRISE_SCHEMA, ERROR_SCHEMA, Edit, GROUP_SCHEMA, LIST_SCHEMA, MAX_BODY_BYTES, MAX_RESULTS,
    PATCH_SCHEMA, Problem, USER_SCHEMA, paging,
};
