//! SKP's HTTP API and projector host, over the write side (`skp-store`) and the read models
//! (`skp-projections`).
//!
//! - [`config`]: [`Settings`](config::Settings) from `SKP_*` variables;
//! - [`startup`]: `Application::build` and `run_until_stopped`, the shutdown signal;
//! - [`health`]: readiness and projector metrics; [`projector_host`]: `skp-projector`;
//! - [`serve`]: HTTP/1.1 with header, request, connection and drain limits;
//! - [`readmodels`]: the read models as this process holds them, and the projectors it runs;
//! - [`http`]: the routes, authentication, problem+json errors, the OpenAPI document and the
//!   dashboard;
//! - [`telemetry`]: structured logs.
//!
//! Binaries: `skp-api` (the API, with the projectors in-process unless `SKP_PROJECTORS=off`)
//! and `skp-projector` (the projectors alone).

pub mod config;
pub mod health;
pub mod projector_host;
pub mod http;
pub mod readmodels;
pub mod serve;
pub mod startup;
pub mod telemetry;
