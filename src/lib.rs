//! Gatehouse: a self-hosted entitlement-management portal.

pub mod auth;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod notify;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
