//! Upcasting stored envelopes of older schema versions to the shape this code reads.
//!
//! Each event type has its own current schema version ([`current_version`]). A stored
//! envelope of an older version is brought up to date here, on read, step by step (never on
//! the stream: its bytes and hash stay as they were stored); a version newer than this code
//! knows is refused rather than misread. The envelope read back carries the current
//! `schema_version`, since its `data` now has that version's shape.
//!
//! | type | version | change | upcaster |
//! |---|---|---|---|
//! | `CycleOpened` | 2 | `period`, `period_entry_days`, `utc_offset_hours` | v1 reads as `none`, 10, 7 |
//! | `AppraisalOpened` | 2 | the cycle's `period`, `period_entry_days`, `utc_offset_hours` | v1 reads as `none`, 10, 7 |
//!
//! Every other type is at version 1.

use crate::decode::DecodeError;
use serde_json::{json, Map, Value};

/// The default correction window after a period's end, in days (DOMAIN.md): what a cycle
/// stored before periods existed reads as.
pub const DEFAULT_PERIOD_ENTRY_DAYS: u32 = 10;
/// The default time zone, hours east of UTC (WIB): what a cycle stored before periods
/// existed reads as.
pub const DEFAULT_UTC_OFFSET_HOURS: u8 = 7;

/// The schema version this code writes, and the newest it reads, for `event_type` (1 for a
/// type it does not know: such an envelope fails to decode anyway).
pub fn current_version(event_type: &str) -> u32 {
    match event_type {
        // Periodic evaluation (issue 12): the period configuration.
        "CycleOpened" | "AppraisalOpened" => 2,
        _ => 1,
    }
}

/// Brings a stored envelope to the current schema of its type.
///
/// # Errors
/// [`DecodeError::UnknownSchema`] for a version newer than [`current_version`] of its type.
pub fn upcast(mut value: Value) -> Result<Value, DecodeError> {
    let event_type = value.get("type").and_then(Value::as_str).unwrap_or("?").to_owned();
    let known = current_version(&event_type);
    let found = value.get("schema_version").and_then(Value::as_u64).unwrap_or(1);
    if found > u64::from(known) {
        return Err(DecodeError::UnknownSchema { event_type, found, known });
    }
    for from in found..u64::from(known) {
        if let Some(data) = value.get_mut("data").and_then(Value::as_object_mut) {
            step(&event_type, from, data);
        }
        value["schema_version"] = json!(from + 1);
    }
    Ok(value)
}

/// Upcasts `data` of `event_type` from version `from` to `from + 1`.
fn step(event_type: &str, from: u64, data: &mut Map<String, Value>) {
    // A cycle (and so its appraisals) stored before periods existed is annual only, exactly
    // as it was: the fields a v1 event does not have take their defaults.
    if matches!(event_type, "CycleOpened" | "AppraisalOpened") && from == 1 {
        data.insert("period".to_owned(), json!("none"));
        data.insert("period_entry_days".to_owned(), json!(DEFAULT_PERIOD_ENTRY_DAYS));
        data.insert("utc_offset_hours".to_owned(), json!(DEFAULT_UTC_OFFSET_HOURS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_cycle_reads_as_annual_only_at_version_2() {
        let stored = json!({"type": "CycleOpened", "schema_version": 1, "data": {"year": 2025, "period": "monthly"}});
        let read = upcast(stored).expect("upcast");
        assert_eq!(read["schema_version"], 2);
        assert_eq!(read["data"], json!({"year": 2025, "period": "none", "period_entry_days": 10, "utc_offset_hours": 7}));
    }

    #[test]
    fn a_current_version_is_left_as_it_is() {
        let stored = json!({"type": "CycleOpened", "schema_version": 2, "data": {"period": "monthly", "period_entry_days": 5, "utc_offset_hours": 9}});
        assert_eq!(upcast(stored.clone()).expect("read"), stored);
        let score = json!({"type": "ScoreGiven", "schema_version": 1, "data": {}});
        assert_eq!(upcast(score.clone()).expect("read"), score);
    }

    #[test]
    fn a_version_newer_than_the_types_own_is_refused() {
        let error = upcast(json!({"type": "ScoreGiven", "schema_version": 2})).expect_err("refused");
        assert!(matches!(error, DecodeError::UnknownSchema { found: 2, known: 1, .. }), "{error}");
        let error = upcast(json!({"type": "AppraisalOpened", "schema_version": 3})).expect_err("refused");
        assert!(matches!(error, DecodeError::UnknownSchema { found: 3, known: 2, .. }), "{error}");
    }
}
