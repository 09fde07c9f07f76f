//! SKP's read models and the runtime that keeps them.
//!
//! - [`runtime`]: a named projector per read model, on its own durable JetStream consumer
//!   (the store's one stream reader); each batch is applied and checkpointed in one
//!   PostgreSQL transaction, then acked, so a projector killed at any instant leaves the
//!   read model equal to a rebuild;
//! - [`projection`]: what a read model is to the runtime; [`event`]: an event as it sees it;
//!   [`decoded`]: each event decoded once for all the projectors of a process;
//! - [`rebuild`]: a projection rebuilt from sequence 1 into a fresh schema while the current
//!   one serves, then swapped in atomically;
//! - [`store`]: the PostgreSQL side (control schema, generations, migrations);
//! - [`progress`], [`career`], [`audit`], [`relay`], [`voices`]: the read models;
//!   [`catalog`]: the list of them and their settings; development plans and pembinaan in
//!   them: [`progress_pembinaan`], [`career_development`], [`audit_pembinaan`];
//! - [`progress_counters`]: the dashboard's counters per cycle, unit and rater (issue 16);
//! - [`periods`]: periodic evaluation and unit capaian in the progress read model;
//! - [`query`]: what the API asks of them; [`period_query`]: the period progress;
//! - [`error`]: the projections' error type.

pub mod audit;
pub mod audit_pembinaan;
pub mod career;
pub mod career_development;
pub mod catalog;
pub mod decoded;
pub mod error;
pub mod event;
#[cfg(feature = "testing")]
pub mod fault;
pub mod period_query;
pub mod periods;
pub mod progress;
pub mod progress_counters;
pub mod progress_pembinaan;
mod progress_row;
pub mod projection;
pub mod query;
pub mod rebuild;
pub mod relay;
pub mod runtime;
pub mod store;
pub mod voices;

pub use catalog::{ReadSettings, PROJECTORS};
pub use decoded::DecodedEvents;
pub use error::ProjectionError;
pub use event::StoredEvent;
pub use projection::Projection;
#[cfg(feature = "testing")]
pub use fault::FaultPoint;
pub use runtime::{Projector, ProjectorSettings, ProjectorStatus};
pub use store::ReadStore;
