//! Integration events published on `SKP_PUBLIC` for other services (payroll and others).
//! Their shapes change only by adding a new version; the JSON Schema of each lives in
//! `events/schemas/` and a test checks it against this code.

use crate::data::ScoreFinalized;
use crate::ids::SKP_NAMESPACE;
use crate::values::FinalizedVia;
use crate::{Predikat, Rating};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// `skp.public.score.finalized.v1`: published once per finalized appraisal, with
/// `Nats-Msg-Id` = `source_event_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreFinalizedV1 {
    /// Deterministic: UUID v5 of `"public/<source_event_id>"`, so a republish is identical.
    pub event_id: Uuid,
    /// The `ScoreFinalized` event on `SKP_EVENTS`.
    pub source_event_id: Uuid,
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// Its cycle.
    pub cycle_id: Uuid,
    /// The appraisal year.
    pub year: i32,
    /// The employee.
    pub employee_nip: String,
    /// The employee's unit at opening.
    pub unit: String,
    /// Final results rating.
    pub results_rating: Rating,
    /// Final behaviour rating.
    pub behaviour_rating: Rating,
    /// Final predikat.
    pub predikat: Predikat,
    /// `accepted`, `no_objection` or `forum`.
    pub via: FinalizedVia,
    /// When it became final (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub finalized_at: OffsetDateTime,
}

/// What the public event needs from the appraisal's opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppraisalFacts {
    /// The cycle.
    pub cycle_id: Uuid,
    /// The year.
    pub year: i32,
    /// The employee's unit at opening.
    pub unit: String,
}

impl ScoreFinalizedV1 {
    /// The public event of a stored `ScoreFinalized`.
    pub fn from_source(source_event_id: Uuid, appraisal_id: Uuid, finalized_at: OffsetDateTime, data: &ScoreFinalized, facts: &AppraisalFacts) -> Self {
        Self {
            event_id: Uuid::new_v5(&SKP_NAMESPACE, format!("public/{source_event_id}").as_bytes()),
            source_event_id,
            appraisal_id,
            cycle_id: facts.cycle_id,
            year: facts.year,
            employee_nip: data.employee_nip.to_string(),
            unit: facts.unit.clone(),
            results_rating: data.results_rating,
            behaviour_rating: data.behaviour_rating,
            predikat: data.predikat,
            via: data.via,
            finalized_at,
        }
    }
}
