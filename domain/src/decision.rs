//! What a decision yields.

use skp_events::{ActorRole, Event};

/// The outcome of deciding a command that the rules accept. A command id handled before
/// never reaches a decision: the command path answers it ([`crate::idempotency`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Record this event, the caller acting in `role`.
    Record {
        /// The one event the command yields.
        event: Event,
        /// The role in which the caller acted.
        role: ActorRole,
    },
}
