//! The appraisal as people read it: the one shape of `GET /v1/appraisals/{id}`, `/replay`,
//! `skp replay` and the states of an evidence bundle, derived from the state alone.

use serde::Serialize;
use crate::appraisal::Appraisal;
use skp_events::values::{FinalizedVia, ForumOutcome, Person, PlannedResult};
use skp_events::voices::{Evaluator, Expectation, PeriodRef, SelfAssessed};
use skp_events::{Predikat, Rating};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// An appraisal as it stands (or stood).
#[derive(Debug, Serialize)]
pub struct AppraisalView {
    /// The appraisal's id.
    pub appraisal_id: Uuid,
    /// The cycle.
    pub cycle_id: Uuid,
    /// The cycle's organisation.
    pub organization: String,
    /// The cycle's year.
    pub year: i32,
    /// The appraised employee, as at opening.
    pub employee: Person,
    /// The rater, as at opening.
    pub rater: Person,
    /// The rater's superior, as at opening.
    pub rater_superior: Person,
    /// `opened` … `final`.
    pub status: &'static str,
    /// The current plan, `null` before the first draft.
    pub plan: Option<PlanView>,
    /// Realisations in the order recorded.
    pub realisations: Vec<RealisationView>,
    /// How many pieces of feedback were given.
    pub feedback_count: u32,
    /// The rater's score.
    pub score: Option<ScoreView>,
    /// The predikat that stands now: the forum's when it decided, else the score's.
    pub current_predikat: Option<Predikat>,
    /// The employee's objection.
    pub objection: Option<ObjectionView>,
    /// The forum's decision.
    pub forum: Option<ForumView>,
    /// The final result, `null` until final.
    #[serde(rename = "final")]
    pub final_score: Option<FinalView>,
    /// The number of events: the version of the last one.
    pub version: u64,
    // Voices beyond the rater (issue 13).
    /// The rater's expectations per BerAKHLAK value that stand (the last set; empty before).
    pub expectations: Vec<Expectation>,
    /// Performance dialogues, in the order recorded.
    pub dialogues: Vec<DialogueView>,
    /// The employee's self-assessments that stand, one per period (`annual` included).
    pub self_assessments: Vec<SelfAssessmentView>,
    /// The evaluators nominated now for the closed survey.
    pub evaluators: Vec<Evaluator>,
}

/// A performance dialogue.
#[derive(Debug, Serialize)]
pub struct DialogueView {
    /// The version of its `DialogueHeld`: what `/dialogues/{version}/acknowledge` names.
    pub version: u64,
    /// The day it was held.
    pub held_on: Date,
    /// What was discussed.
    pub topics: String,
    /// What both agreed to do.
    pub agreed_actions: Vec<String>,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// When the employee acknowledged it, if they did.
    #[serde(with = "time::serde::rfc3339::option")]
    pub acknowledged_at: Option<OffsetDateTime>,
}

/// A self-assessment that stands for its period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SelfAssessmentView {
    /// The period, or `annual`.
    pub period: PeriodRef,
    /// Results, as the employee sees them.
    pub results_rating: Rating,
    /// Behaviour, as the employee sees it.
    pub behaviour_rating: Rating,
    /// Why.
    pub narrative: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub assessed_at: OffsetDateTime,
}

impl SelfAssessmentView {
    /// The self-assessment `s` of `period`, recorded `at`.
    pub fn of(period: &PeriodRef, s: &SelfAssessed, at: OffsetDateTime) -> Self {
        Self { period: period.clone(), results_rating: s.results_rating, behaviour_rating: s.behaviour_rating, narrative: s.narrative.clone(), assessed_at: at }
    }
}

/// The plan.
#[derive(Debug, Serialize)]
pub struct PlanView {
    /// Results with their indicators.
    pub results: Vec<PlannedResult>,
}

/// One realisation.
#[derive(Debug, Serialize)]
pub struct RealisationView {
    /// The indicator.
    pub indicator_id: String,
    /// The value achieved.
    pub value: u64,
    /// Evidence.
    pub evidence: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

/// The rater's score.
#[derive(Debug, Serialize)]
pub struct ScoreView {
    results_rating: Rating,
    behaviour_rating: Rating,
    predikat: Predikat,
    notes: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    scored_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    objection_due: OffsetDateTime,
}

/// The objection.
#[derive(Debug, Serialize)]
pub struct ObjectionView {
    reason: String,
    requested_results_rating: Option<Rating>,
    requested_behaviour_rating: Option<Rating>,
    #[serde(with = "time::serde::rfc3339")]
    objected_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    decision_due: OffsetDateTime,
}

/// The forum's decision.
#[derive(Debug, Serialize)]
pub struct ForumView {
    outcome: ForumOutcome,
    results_rating: Rating,
    behaviour_rating: Rating,
    predikat: Predikat,
    minutes: String,
    late: bool,
    #[serde(with = "time::serde::rfc3339")]
    resolved_at: OffsetDateTime,
}

/// The final result.
#[derive(Debug, Serialize)]
pub struct FinalView {
    results_rating: Rating,
    behaviour_rating: Rating,
    predikat: Predikat,
    via: FinalizedVia,
    #[serde(with = "time::serde::rfc3339")]
    finalized_at: OffsetDateTime,
}

impl AppraisalView {
    /// The view of an opened appraisal; `None` when it has no events.
    pub fn of(state: &Appraisal) -> Option<Self> {
        let opened = state.opened.as_ref()?;
        Some(Self {
            appraisal_id: state.id,
            cycle_id: opened.cycle_id,
            organization: opened.organization.clone(),
            year: opened.year,
            employee: opened.employee.clone(),
            rater: opened.rater.clone(),
            rater_superior: opened.rater_superior.clone(),
            status: state.status.as_str(),
            plan: (!state.plan.is_empty()).then(|| PlanView { results: state.plan.clone() }),
            realisations: state
                .realisations
                .iter()
                .map(|r| RealisationView { indicator_id: r.indicator_id.clone(), value: r.value, evidence: r.evidence.clone(), recorded_at: r.recorded_at })
                .collect(),
            feedback_count: state.feedback_count,
            score: state.score.as_ref().map(|(s, at)| ScoreView {
                results_rating: s.results_rating,
                behaviour_rating: s.behaviour_rating,
                predikat: s.predikat,
                notes: s.notes.clone(),
                scored_at: at.at,
                objection_due: s.objection_due,
            }),
            current_predikat: state.forum.as_ref().map(|(f, _)| f.predikat).or(state.score.as_ref().map(|(s, _)| s.predikat)),
            objection: state.objection.as_ref().map(|(o, at)| ObjectionView {
                reason: o.reason.clone(),
                requested_results_rating: o.requested_results_rating,
                requested_behaviour_rating: o.requested_behaviour_rating,
                objected_at: at.at,
                decision_due: o.decision_due,
            }),
            forum: state.forum.as_ref().map(|(f, at)| ForumView {
                outcome: f.outcome,
                results_rating: f.results_rating,
                behaviour_rating: f.behaviour_rating,
                predikat: f.predikat,
                minutes: f.minutes.clone(),
                late: f.late,
                resolved_at: at.at,
            }),
            final_score: state.final_score.as_ref().map(|(f, at)| FinalView {
                results_rating: f.results_rating,
                behaviour_rating: f.behaviour_rating,
                predikat: f.predikat,
                via: f.via,
                finalized_at: at.at,
            }),
            version: state.version,
            expectations: state.voices.expectations.as_ref().map(|(e, _)| e.expectations.clone()).unwrap_or_default(),
            dialogues: state
                .voices
                .dialogues
                .iter()
                .map(|d| DialogueView {
                    version: d.recorded.version,
                    held_on: d.held.held_on,
                    topics: d.held.topics.clone(),
                    agreed_actions: d.held.agreed_actions.clone(),
                    recorded_at: d.recorded.at,
                    acknowledged_at: d.acknowledged.map(|a| a.at),
                })
                .collect(),
            self_assessments: state
                .voices
                .self_assessments
                .iter()
                .map(|(period, (s, at))| SelfAssessmentView::of(period, s, at.at))
                .collect(),
            evaluators: state.voices.evaluators.as_ref().map(|(list, _)| list.clone()).unwrap_or_default(),
        })
    }
}
