//! The rules of the ASN performance appraisal (docs/domain.md), pure: no I/O, no async, no clock.
//!
//! Every command is decided against the aggregate's current state and yields exactly one
//! event ([`appraisal::decide`], [`cycle::Cycle::decide_open`]); the state is rebuilt from
//! events by the same code everywhere ([`appraisal::Appraisal::apply`]). Time and the
//! caller come in through [`Ctx`]. Refusals are [`DomainError`]s with a stable code; what a
//! code means over HTTP is the API's business. [`view`] is the appraisal as people read it.
//! [`survey`] is the closed 360 survey and public feedback of an appraisal, an aggregate of
//! its own that the employee never reads one answer of.
//! [`development`] is the plan that follows a final appraisal (pembinaan, pengembangan).

pub mod access;
pub mod appraisal;
pub mod audit;
pub mod capaian;
pub mod career;
pub mod context;
pub mod cycle;
pub mod decision;
pub mod development;
pub mod error;
pub mod idempotency;
pub mod matrix;
pub mod survey;
pub mod period;
pub mod text;
pub mod view;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use context::{Caller, Ctx};
pub use decision::Decision;
pub use error::DomainError;
pub use matrix::predikat;
