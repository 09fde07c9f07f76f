//! Upcasting stored envelopes of older schema versions to the shape this code reads.
//!
//! Every event type is at schema version 1 today, so there is nothing to convert yet; a
//! version newer than this code knows is refused rather than misread. When a type's data
//! changes, its old versions are rewritten here (never on the stream) and the version bumps.

use crate::decode::DecodeError;
use serde_json::Value;

/// The newest schema version this code reads, for every event type.
pub const CURRENT_SCHEMA_VERSION: u32 = 1;

/// Brings a stored envelope to the current schema of its type.
///
/// # Errors
/// [`DecodeError::UnknownSchema`] for a version newer than [`CURRENT_SCHEMA_VERSION`].
pub fn upcast(value: Value) -> Result<Value, DecodeError> {
    let found = value.get("schema_version").and_then(Value::as_u64).unwrap_or(1);
    if found > u64::from(CURRENT_SCHEMA_VERSION) {
        let event_type = value.get("type").and_then(Value::as_str).unwrap_or("?").to_owned();
        return Err(DecodeError::UnknownSchema { event_type, found, known: CURRENT_SCHEMA_VERSION });
    }
    Ok(value)
}
