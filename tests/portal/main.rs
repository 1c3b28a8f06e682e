//! Black-box tests: the app on a random port with a fresh database, driven over HTTP.
//!
//! Needs what `tests/run-all.sh` starts: a PostgreSQL server
//! (`GATEHOUSE_TEST_POSTGRES_URL`) and the OpenID Connect provider in
//! `tests/oidc` (`GATEHOUSE_TEST_OIDC_ISSUER`).

mod helpers;

mod administration;
mod auth;
mod automatic;
mod browser;
mod catalogs;
mod cli;
mod connected_orgs;
mod correctness;
mod delegation;
mod directory;
mod extensions;
mod guests;
mod health;
mod jobs;
mod mail;
mod my_access;
mod packages;
mod provisioning;
mod races;
mod requests;
mod reviews;
mod scim;
mod store;
