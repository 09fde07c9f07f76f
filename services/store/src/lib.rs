//! SKP's write side on NATS JetStream, with no HTTP in it.
//!
//! - [`config`]: [`StoreSettings`] from `SKP_*` variables, and the pieces every process
//!   reads its settings with;
//! - [`connect`]: the NATS connection, with the credential and TLS of [`nats`]; [`stream`]:
//!   creating `SKP_EVENTS` or checking its whole configuration ([`stream_check`]);
//! - [`store`]: [`EventStore`], one aggregate's appends (expected last subject sequence,
//!   message id, group commit through the `batcher`) and its direct reads;
//! - [`reader`]: the one stream reader, "from sequence N on", for the projectors, rebuilds
//!   and inspection;
//! - [`bus`]: the command path (load, decide, append, retry on conflict) and its aggregate
//!   cache;
//! - [`error`]: [`StoreError`]; [`metrics`]: Prometheus metrics; [`clock`]: the injected
//!   clock.

mod append;
mod batcher;
pub mod bus;
pub mod clock;
pub mod config;
pub mod connect;
mod direct;
pub mod error;
pub mod metrics;
pub mod nats;
pub mod reader;
mod setting;
pub mod store;
pub mod stream;
pub mod stream_check;

pub use bus::{CommandBus, CommandError, CommandMeta, Committed};
pub use clock::Clock;
pub use config::{GroupCommit, StoreSettings};
pub use direct::{RawEvent, ReadLimits};
pub use error::StoreError;
pub use metrics::Metrics;
pub use append::{Append, Appended};
pub use store::EventStore;
