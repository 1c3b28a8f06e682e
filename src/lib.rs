//! Gatehouse: a self-hosted entitlement-management portal.

pub mod clock;
pub mod config;
pub mod connectors;
pub mod domain;
pub mod jobs;
pub mod notify;
pub mod routes;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
