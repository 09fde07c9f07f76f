//! The JSON Schema of every public event matches what the code publishes.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use skp_events::data::{PeriodEvaluated, PeriodEvaluationCorrected};
use skp_events::period::{PeriodId, PeriodKind};
use skp_events::public::{EmployeeFacts, PeriodEvaluatedV1, PeriodSource, ScoreFinalizedV1};
use skp_events::values::FinalizedVia;
use skp_events::{Predikat, Rating};
use uuid::Uuid;

fn schema(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn enum_values<T: serde::Serialize>(values: &[T]) -> Value {
    Value::Array(values.iter().map(|v| serde_json::to_value(v).unwrap()).collect())
}

/// The published fields are exactly the schema's properties, all required, each of the
/// schema's type (or in its enum).
fn check_fields(value: &Value, schema: &Value) {
    let mut published: Vec<&String> = value.as_object().unwrap().keys().collect();
    let mut required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut properties: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    published.sort();
    required.sort_unstable();
    properties.sort();
    assert_eq!(published, properties);
    assert_eq!(published.iter().map(|s| s.as_str()).collect::<Vec<_>>(), required);
    assert_eq!(schema["additionalProperties"], false);
    for (field, property) in schema["properties"].as_object().unwrap() {
        let v = &value[field];
        match property.get("type").and_then(Value::as_str) {
            Some("string") => assert!(v.is_string(), "{field} is not a string"),
            Some("integer") => assert!(v.is_i64(), "{field} is not an integer"),
            Some("boolean") => assert!(v.is_boolean(), "{field} is not a boolean"),
            _ => assert!(property["enum"].as_array().unwrap().contains(v), "{field} = {v} is not in the schema's enum"),
        }
    }
}

fn check_rating_and_predikat_enums(schema: &Value) {
    let ratings = enum_values(&[Rating::DiAtasEkspektasi, Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi]);
    assert_eq!(schema["properties"]["results_rating"]["enum"], ratings);
    assert_eq!(schema["properties"]["behaviour_rating"]["enum"], ratings);
    assert_eq!(schema["properties"]["predikat"]["enum"], enum_values(&Predikat::ALL));
}

fn finalized() -> ScoreFinalizedV1 {
    ScoreFinalizedV1 {
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
    }
}

#[test]
fn the_published_fields_are_exactly_the_schemas_required_properties() {
    let value = serde_json::to_value(finalized()).unwrap();
    check_fields(&value, &schema("score.finalized.v1.json"));
    assert_eq!(value["finalized_at"], json!("2027-01-15T08:00:00Z"));
}

#[test]
fn the_schemas_enums_list_every_value_the_code_can_publish() {
    let schema = schema("score.finalized.v1.json");
    check_rating_and_predikat_enums(&schema);
    assert_eq!(schema["properties"]["via"]["enum"], enum_values(&[FinalizedVia::Accepted, FinalizedVia::NoObjection, FinalizedVia::Forum]));
}

// ---------------------------------------------------------------- skp.public.period.evaluated.v1

fn facts() -> EmployeeFacts {
    EmployeeFacts { cycle_id: Uuid::from_u128(4), employee_nip: "199001012015011001".into(), unit: "Bidang Mutasi".into() }
}

fn period_event(corrected: bool) -> PeriodEvaluatedV1 {
    let period = PeriodId::parse("2026-03").unwrap();
    let at = time::macros::datetime!(2026-04-02 03:00 UTC);
    let (r, b) = (Rating::DiBawahEkspektasi, Rating::SesuaiEkspektasi);
    let evaluated = PeriodEvaluated { period, results_rating: r, behaviour_rating: b, predikat: Predikat::ButuhPerbaikan, notes: Some("catatan".into()) };
    let correction = PeriodEvaluationCorrected { period, results_rating: r, behaviour_rating: b, predikat: Predikat::ButuhPerbaikan, reason: "salah input".into() };
    let source = if corrected { PeriodSource::Corrected(&correction) } else { PeriodSource::Evaluated(&evaluated) };
    PeriodEvaluatedV1::from_source(Uuid::from_u128(9), Uuid::from_u128(3), at, source, &facts())
}

#[test]
fn a_published_period_evaluation_has_exactly_the_schemas_required_properties() {
    let schema = schema("period.evaluated.v1.json");
    for corrected in [false, true] {
        let value = serde_json::to_value(period_event(corrected)).unwrap();
        check_fields(&value, &schema);
        assert_eq!(value["corrected"], corrected);
        assert_eq!(value["period"], "2026-03");
        assert_eq!(value["evaluated_at"], json!("2026-04-02T03:00:00Z"));
        assert_eq!(value["source_event_id"], Uuid::from_u128(9).to_string());
        assert_eq!(serde_json::from_value::<PeriodEvaluatedV1>(value).unwrap(), period_event(corrected), "it reads back");
    }
    check_rating_and_predikat_enums(&schema);
}

#[test]
fn the_period_pattern_of_the_schema_is_the_grammar_of_period_ids() {
    let schema = schema("period.evaluated.v1.json");
    assert_eq!(schema["properties"]["period"]["pattern"], "^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4]|S[12])$");
    // The pattern's alternatives, written out: exactly the ids of the three kinds.
    let mut listed: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
    listed.extend((1..=4).map(|q| format!("2026-Q{q}")));
    listed.extend((1..=2).map(|s| format!("2026-S{s}")));
    let mut ids: Vec<String> = [PeriodKind::Monthly, PeriodKind::Quarterly, PeriodKind::Semester]
        .into_iter()
        .flat_map(|kind| PeriodId::all_of(2026, kind))
        .map(|p| p.to_string())
        .collect();
    ids.sort();
    listed.sort();
    assert_eq!(ids, listed);
}

#[test]
fn a_republished_period_event_is_identical() {
    assert_eq!(period_event(true), period_event(true));
    assert_eq!(period_event(false).event_id, Uuid::new_v5(&skp_events::ids::SKP_NAMESPACE, format!("public/{}", Uuid::from_u128(9)).as_bytes()));
}
