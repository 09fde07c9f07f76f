//! The wire vocabulary of SKP: what goes on the stream and what other programs read.
//!
//! - [`envelope`]: the envelope around every event and its hash; [`decode`]: why bytes are
//!   not an envelope;
//! - [`data`]: every event type and its data; [`development`]: the data and values of the
//!   development plan's events;
//! - [`values`]: validated values inside events (NIP, ratings, predikat, plans);
//! - [`canonical`]: canonical JSON (RFC 8785) used by the hash;
//! - [`chain`]: re-checking an aggregate's hash chain from stored JSON;
//! - [`subject`]: NATS subject names; [`ids`]: deterministic ids;
//! - [`upcast`]: reading older schema versions;
//! - [`voices`]: the BerAKHLAK values, periods, evaluators and the data of the voices
//!   beyond the rater (expectations, dialogues, self-assessment, survey, public feedback).
//! - [`period`]: periods of periodic evaluation and the values of a unit's capaian.
//!
//! This crate is data only: no I/O, no async.

pub mod canonical;
pub mod chain;
pub mod data;
pub mod decode;
pub mod development;
pub mod envelope;
pub mod ids;
pub mod period;
pub mod public;
pub mod subject;
pub mod upcast;
pub mod values;
pub mod voices;

pub use data::Event;
pub use decode::DecodeError;
pub use envelope::{Actor, ActorRole, AggregateType, Envelope, SealError, GENESIS_HASH};
pub use values::{Nip, Predikat, Rating};
