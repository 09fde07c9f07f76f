//! What every part of a bundle holds: events exactly as stored, and the state after each
//! version.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundledEvent {
    /// The message's stream sequence.
    pub stream_sequence: u64,
    /// The message body as stored: the envelope's canonical JSON, verbatim.
    pub stored: String,
}

/// The appraisal's state after one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionState {
    /// The version (1-based).
    pub version: u64,
    /// The state in the shape of `GET /v1/appraisals/{id}`.
    pub state: Value,
}
