//! When an event happened and at which version, kept beside the data it produced.

use time::OffsetDateTime;

/// An event's time and version, kept beside the data it produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The event's version.
    pub version: u64,
    /// The event's `occurred_at`.
    pub at: OffsetDateTime,
}
