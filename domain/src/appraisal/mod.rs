//! The appraisal aggregate: its state, commands, rules and decisions.
//!
//! - [`state`]: `Appraisal` and `Status`, rebuilt by `apply`/`evolve`;
//! - [`command`]: the commands and their kinds;
//! - [`rules`]: who may do what, when (404, 403, 409);
//! - [`decide`]: values (422) and the event; [`open`]: opening; [`plan`]: plan rules.

pub mod command;
pub mod decide;
pub mod open;
pub mod plan;
pub mod rules;
pub mod state;

pub use command::{AppraisalCommand, Command, CommandKind};
pub use decide::decide;
pub use open::{decide_open, OpenAppraisal};
pub use rules::authorize;
pub use state::{evolve, Appraisal, Status};
