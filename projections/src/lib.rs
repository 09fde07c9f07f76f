//! SKP's read models and the runtime that keeps them.
//!
//! - [`runtime`]: a named projector per read model, on its own durable JetStream consumer;
//!   each batch is applied and checkpointed in one PostgreSQL transaction, then acked, so a
//!   projector killed at any instant leaves the read model equal to a rebuild;
//! - [`rebuild`]: a projection rebuilt from sequence 1 into a fresh schema while the current
//!   one serves, then swapped in atomically;
//! - [`store`]: the PostgreSQL side (control schema, generations, migrations);
//! - [`progress`], [`career`], [`audit`], [`relay`]: the read models;
//! - [`query`]: what the API asks of them, including waiting for `?min_sequence=`.

pub mod audit;
pub mod career;
pub mod event;
pub mod progress;
pub mod query;
pub mod rebuild;
pub mod relay;
pub mod runtime;
pub mod store;

pub use event::StoredEvent;
pub use runtime::{FaultPoint, Projection, ProjectionError, Projector, ProjectorSettings, ProjectorStatus};
pub use store::ReadStore;
