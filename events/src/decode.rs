//! Why bytes could not be read as an envelope.

/// Why bytes could not be read as an envelope.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or not the shape of an envelope.
    #[error("not an SKP envelope")]
    Shape(#[from] serde_json::Error),
    /// A schema version newer than this code knows.
    #[error("event type {event_type} has schema version {found}, this code knows up to {known}")]
    UnknownSchema {
        /// The event type.
        event_type: String,
        /// The version found.
        found: u64,
        /// The newest version this code reads.
        known: u32,
    },
}
