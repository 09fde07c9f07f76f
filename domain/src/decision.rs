//! What a decision yields.

use skp_events::{ActorRole, Event};

/// The outcome of deciding a command that the rules accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Record this event, the caller acting in `role`.
    Record {
        /// The one event the command yields.
        event: Event,
        /// The role in which the caller acted.
        role: ActorRole,
    },
    /// The command id was handled before: its event is at `version`; record nothing.
    AlreadyHandled {
        /// The version of the event the command yielded the first time.
        version: u64,
    },
}
