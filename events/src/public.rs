//! Integration events published on `SKP_PUBLIC` for other services (payroll and others).
//! Their shapes change only by adding a new version; the JSON Schema of each lives in
//! `events/schemas/` and a test checks it against this code.

use crate::data::{PeriodEvaluated, PeriodEvaluationCorrected, ScoreFinalized};
use crate::period::PeriodId;
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

// ---------------------------------------------------------------- periodic evaluation (issue 12)

/// `skp.public.period.evaluated.v1`: published once per `PeriodEvaluated` and once per
/// `PeriodEvaluationCorrected` (`corrected: true`), with `Nats-Msg-Id` = `source_event_id`.
/// A consumer keeps, per employee and period, the latest: a correction supersedes the
/// evaluation, and a later correction an earlier one (`evaluated_at`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodEvaluatedV1 {
    /// Deterministic: UUID v5 of `"public/<source_event_id>"`, so a republish is identical.
    pub event_id: Uuid,
    /// The `PeriodEvaluated` or `PeriodEvaluationCorrected` event on `SKP_EVENTS`.
    pub source_event_id: Uuid,
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// Its cycle.
    pub cycle_id: Uuid,
    /// The employee.
    pub employee_nip: String,
    /// The employee's unit at opening.
    pub unit: String,
    /// The period, e.g. `2026-03`, `2026-Q1` or `2026-S2`.
    pub period: PeriodId,
    /// Results rating (as corrected, for a correction).
    pub results_rating: Rating,
    /// Behaviour rating (as corrected, for a correction).
    pub behaviour_rating: Rating,
    /// The predikat the matrix derives from the two ratings.
    pub predikat: Predikat,
    /// Whether this is a correction of an earlier evaluation of the period.
    pub corrected: bool,
    /// When the evaluation (or correction) was recorded (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub evaluated_at: OffsetDateTime,
}

/// What the period event needs from the appraisal's opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeFacts {
    /// The cycle.
    pub cycle_id: Uuid,
    /// The employee.
    pub employee_nip: String,
    /// The employee's unit at opening.
    pub unit: String,
}

/// The data of a periodic evaluation or its correction, as the public event carries it.
#[derive(Debug, Clone, Copy)]
pub enum PeriodSource<'a> {
    /// A first evaluation.
    Evaluated(&'a PeriodEvaluated),
    /// A correction.
    Corrected(&'a PeriodEvaluationCorrected),
}

impl PeriodEvaluatedV1 {
    /// The public event of a stored `PeriodEvaluated` or `PeriodEvaluationCorrected`.
    pub fn from_source(source_event_id: Uuid, appraisal_id: Uuid, evaluated_at: OffsetDateTime, data: PeriodSource<'_>, facts: &EmployeeFacts) -> Self {
        let (period, results_rating, behaviour_rating, predikat, corrected) = match data {
            PeriodSource::Evaluated(e) => (e.period, e.results_rating, e.behaviour_rating, e.predikat, false),
            PeriodSource::Corrected(c) => (c.period, c.results_rating, c.behaviour_rating, c.predikat, true),
        };
        Self {
            event_id: Uuid::new_v5(&SKP_NAMESPACE, format!("public/{source_event_id}").as_bytes()),
            source_event_id,
            appraisal_id,
            cycle_id: facts.cycle_id,
            employee_nip: facts.employee_nip.clone(),
            unit: facts.unit.clone(),
            period,
            results_rating,
            behaviour_rating,
            predikat,
            corrected,
            evaluated_at,
        }
    }
}
