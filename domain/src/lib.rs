//! The rules of the ASN performance appraisal (DOMAIN.md), pure: no I/O, no async, no clock.
//!
//! Every command is decided against the aggregate's current state and yields exactly one
//! event ([`appraisal::decide`], [`cycle::Cycle::decide_open`]); the state is rebuilt from
//! events by the same code everywhere ([`appraisal::Appraisal::apply`]). Time and the
//! caller come in through [`Ctx`]. Refusals are [`DomainError`]s carrying their HTTP status
//! and a stable code.

pub mod appraisal;
pub mod audit;
pub mod career;
pub mod context;
pub mod cycle;
pub mod decision;
pub mod error;
pub mod matrix;
pub mod text;

#[cfg(test)]
pub(crate) mod testing;

pub use context::{Caller, Ctx};
pub use decision::Decision;
pub use error::DomainError;
pub use matrix::predikat;
