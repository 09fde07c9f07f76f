//! The JSON Schema of every public event matches what the code publishes.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use skp_events::public::ScoreFinalizedV1;
use skp_events::values::FinalizedVia;
use skp_events::{Predikat, Rating};
use uuid::Uuid;

fn schema() -> Value {
    serde_json::from_str(include_str!("../schemas/score.finalized.v1.json")).unwrap()
}

fn enum_values<T: serde::Serialize>(values: &[T]) -> Value {
    Value::Array(values.iter().map(|v| serde_json::to_value(v).unwrap()).collect())
}

#[test]
fn the_published_fields_are_exactly_the_schemas_required_properties() {
    let event = ScoreFinalizedV1 {
        event_id: Uuid::from_u128(1),
        source_event_id: Uuid::from_u128(2),
        appraisal_id: Uuid::from_u128(3),
        cycle_id: Uuid::from_u128(4),
        year: 2026,
        employee_nip: "199001012015011001".into(),
        unit: "Bidang Mutasi".into(),
        results_rating: Rating::SesuaiEkspektasi,
        behaviour_rating: Rating::DiAtasEkspektasi,
        predikat: Predikat::Baik,
        via: FinalizedVia::Forum,
        finalized_at: time::macros::datetime!(2027-01-15 08:00 UTC),
    };
    let value = serde_json::to_value(&event).unwrap();
    let schema = schema();
    let mut published: Vec<&String> = value.as_object().unwrap().keys().collect();
    let mut required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut properties: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    published.sort();
    required.sort_unstable();
    properties.sort();
    assert_eq!(published, properties);
    assert_eq!(published.iter().map(|s| s.as_str()).collect::<Vec<_>>(), required);
    for (field, property) in schema["properties"].as_object().unwrap() {
        let v = &value[field];
        match property.get("type").and_then(Value::as_str) {
            Some("string") => assert!(v.is_string(), "{field} is not a string"),
            Some("integer") => assert!(v.is_i64(), "{field} is not an integer"),
            _ => assert!(property["enum"].as_array().unwrap().contains(v), "{field} = {v} is not in the schema's enum"),
        }
    }
    assert_eq!(value["finalized_at"], json!("2027-01-15T08:00:00Z"));
}

#[test]
fn the_schemas_enums_list_every_value_the_code_can_publish() {
    let schema = schema();
    let ratings = enum_values(&[Rating::DiAtasEkspektasi, Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi]);
    assert_eq!(schema["properties"]["results_rating"]["enum"], ratings);
    assert_eq!(schema["properties"]["behaviour_rating"]["enum"], ratings);
    assert_eq!(schema["properties"]["predikat"]["enum"], enum_values(&Predikat::ALL));
    assert_eq!(schema["properties"]["via"]["enum"], enum_values(&[FinalizedVia::Accepted, FinalizedVia::NoObjection, FinalizedVia::Forum]));
}
