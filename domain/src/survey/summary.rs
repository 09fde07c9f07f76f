//! The 360 view of one period (`GET /v1/appraisals/{id}/feedback-360?period=P`), computed
//! from the appraisal and its survey alone.
//!
//! The employee reads aggregates only (`view: "aggregates"`): how many answered, and per
//! value the count and median, but only from [`MIN_ANSWERS`] answers on (`by_value` is
//! `null` below); the public's feedback likewise only as a count, with its mean from
//! [`MIN_ANSWERS`] pieces on. The rater's side (rater, rater superior, admins, inspectors)
//! reads it in full (`view: "full"`): the aggregates from the first answer, every answer with
//! its evaluator, and every piece of public feedback. Who reads which is
//! [`crate::access::read_feedback_360`].
//!
//! The median of an even number of ratings is the lower of the two middle ones (ratings are
//! ordered di_bawah < sesuai < di_atas): a rating, never between two.

use super::Survey;
use crate::appraisal::voices::period::{bounds, rater_rating, utc_offset_hours};
use crate::appraisal::Appraisal;
use serde::Serialize;
use skp_events::voices::{Channel, CoreValue, PeriodRef};
use skp_events::{ActorRole, Nip, Predikat, Rating};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// The fewest answers (and pieces of public feedback) the employee sees aggregated.
pub const MIN_ANSWERS: usize = 3;

/// How much of the survey a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyAccess {
    /// The employee: aggregates, from [`MIN_ANSWERS`] on.
    AggregatesOnly,
    /// The rater's side: everything.
    Full,
}

/// One value's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueSummary {
    /// How many rated it.
    pub count: usize,
    /// The (lower) median rating.
    pub median: Rating,
}

/// The employee's self-assessment for the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfAssessmentView {
    /// Results, as the employee sees them.
    pub results_rating: Rating,
    /// Behaviour, as the employee sees it.
    pub behaviour_rating: Rating,
    /// Why.
    pub narrative: String,
    /// When (the last one stands).
    #[serde(with = "time::serde::rfc3339")]
    pub assessed_at: OffsetDateTime,
}

/// The rater's rating that stands for the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaterRating {
    /// Results.
    pub results_rating: Rating,
    /// Behaviour.
    pub behaviour_rating: Rating,
    /// From the matrix.
    pub predikat: Predikat,
}

/// The public's feedback in the period, summed up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicSummary {
    /// How many pieces.
    pub count: usize,
    /// The mean score (1 to 5, two decimals); `null` with none, or, for the employee, under
    /// [`MIN_ANSWERS`].
    pub mean_score: Option<f64>,
}

/// One answer, for the rater's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseView {
    /// Who answered.
    pub evaluator_nip: Nip,
    /// Their name, as nominated now (`null` once no longer nominated).
    pub evaluator_name: Option<String>,
    /// `peer` or `subordinate`.
    pub relation: &'static str,
    /// A rating per value.
    pub ratings: BTreeMap<CoreValue, Rating>,
    /// What they added.
    pub comment: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub answered_at: OffsetDateTime,
}

/// One piece of public feedback, for the rater's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicView {
    /// Survey, complaint or counter.
    pub channel: Channel,
    /// The service case.
    pub service_ref: String,
    /// 1 to 5.
    pub score: u8,
    /// What was said.
    pub text: Option<String>,
    /// The officer who recorded it.
    pub recorded_by: Nip,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

/// The 360 view of one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feedback360 {
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// The period, or `annual`.
    pub period: PeriodRef,
    /// How many evaluators answered for the period.
    pub answers: usize,
    /// Per value: count and median; `null` without answers, and for the employee under
    /// [`MIN_ANSWERS`].
    pub by_value: Option<BTreeMap<CoreValue, ValueSummary>>,
    /// The employee's self-assessment for the period.
    pub self_assessment: Option<SelfAssessmentView>,
    /// The rater's rating that stands for the period.
    pub rater_rating: Option<RaterRating>,
    /// The public's feedback recorded in the period (`annual`: all of it).
    pub public: PublicSummary,
    /// `aggregates` (the employee) or `full` (the rater's side).
    pub view: &'static str,
    /// [`MIN_ANSWERS`].
    pub min_answers: usize,
    /// Every answer (the rater's side only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses: Option<Vec<ResponseView>>,
    /// Every piece of public feedback in the period (the rater's side only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_feedback: Option<Vec<PublicView>>,
}

impl Feedback360 {
    /// The view of `period` of the appraisal `appraisal` and its `survey`, as `access` reads it.
    pub fn of(appraisal: &Appraisal, survey: &Survey, period: &PeriodRef, access: SurveyAccess) -> Self {
        let full = access == SurveyAccess::Full;
        let answers: Vec<_> = survey.answers.iter().filter(|a| a.period == *period).collect();
        let threshold = if full { 1 } else { MIN_ANSWERS };
        let by_value = (answers.len() >= threshold.max(1)).then(|| {
            CoreValue::ALL
                .into_iter()
                .filter_map(|value| {
                    let mut ratings: Vec<Rating> = answers.iter().filter_map(|a| a.ratings.get(&value).copied()).collect();
                    ratings.sort_by_key(|r| rank(*r));
                    let median = *ratings.get((ratings.len().max(1) - 1) / 2)?;
                    Some((value, ValueSummary { count: ratings.len(), median }))
                })
                .collect()
        });
        let year = appraisal.opened.as_ref().map_or(0, |o| o.year);
        let (from, until) = bounds(period, year, utc_offset_hours(appraisal));
        let annual = *period == PeriodRef::annual();
        let public: Vec<_> = survey.public.iter().filter(|p| annual || (from <= p.recorded.at && p.recorded.at < until)).collect();
        let mean_score = (public.len() >= threshold.max(1)).then(|| mean(public.iter().map(|p| p.data.score)));
        Self {
            appraisal_id: appraisal.id,
            period: period.clone(),
            answers: answers.len(),
            by_value,
            self_assessment: appraisal.voices.self_assessments.get(period).map(|(s, at)| SelfAssessmentView {
                results_rating: s.results_rating,
                behaviour_rating: s.behaviour_rating,
                narrative: s.narrative.clone(),
                assessed_at: at.at,
            }),
            rater_rating: rater_rating(appraisal, period)
                .map(|(results_rating, behaviour_rating, predikat)| RaterRating { results_rating, behaviour_rating, predikat }),
            public: PublicSummary { count: public.len(), mean_score },
            view: if full { "full" } else { "aggregates" },
            min_answers: MIN_ANSWERS,
            responses: full.then(|| {
                answers
                    .iter()
                    .map(|a| ResponseView {
                        evaluator_nip: a.nip.clone(),
                        evaluator_name: appraisal.voices.evaluator(&a.nip).map(|e| e.name.clone()),
                        relation: if a.role == ActorRole::Subordinate { "subordinate" } else { "peer" },
                        ratings: a.ratings.clone(),
                        comment: a.comment.clone(),
                        answered_at: a.recorded.at,
                    })
                    .collect()
            }),
            public_feedback: full.then(|| {
                public
                    .iter()
                    .map(|p| PublicView {
                        channel: p.data.channel,
                        service_ref: p.data.service_ref.clone(),
                        score: p.data.score,
                        text: p.data.text.clone(),
                        recorded_by: p.recorded_by.clone(),
                        recorded_at: p.recorded.at,
                    })
                    .collect()
            }),
        }
    }
}

/// A rating's place in the order di_bawah < sesuai < di_atas.
pub fn rank(rating: Rating) -> u8 {
    match rating {
        Rating::DiBawahEkspektasi => 0,
        Rating::SesuaiEkspektasi => 1,
        Rating::DiAtasEkspektasi => 2,
    }
}

/// The mean of scores, rounded half up to two decimals.
fn mean(scores: impl Iterator<Item = u8>) -> f64 {
    let (sum, count) = scores.fold((0u64, 0u64), |(s, c), x| (s + u64::from(x), c + 1));
    let hundredths = (sum * 200 + count) / (2 * count.max(1));
    hundredths as f64 / 100.0
}
