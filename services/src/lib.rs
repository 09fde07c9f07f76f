//! SKP's services: the HTTP API over the event store on JetStream.
//!
//! - [`config`]: `Settings` from `SKP_*` environment variables;
//! - [`store`]: the event store (append with expected sequence, load by direct get);
//! - [`commands`]: the command path (load, decide, append, retry on conflict);
//! - [`api`]: routes, authentication, problem+json errors, OpenAPI;
//! - [`startup`]: `Application::build` and `run_until_stopped`;
//! - [`metrics`], [`telemetry`], [`clock`]: observability and time.

pub mod api;
pub mod bundle;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod inspect;
pub mod metrics;
pub mod readmodels;
pub mod seed;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod token;
