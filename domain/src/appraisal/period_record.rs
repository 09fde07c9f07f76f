//! What an appraisal holds of one evaluated period.

use super::stamp::Stamp;
use skp_events::data::{PeriodEvaluated, PeriodEvaluationCorrected};
use skp_events::{Predikat, Rating};

/// One period's evaluation as it stands: the first evaluation and every correction after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodRecord {
    /// The evaluation.
    pub evaluated: (PeriodEvaluated, Stamp),
    /// Its corrections, in order; the last one stands.
    pub corrections: Vec<(PeriodEvaluationCorrected, Stamp)>,
}

impl PeriodRecord {
    /// The ratings and predikat that stand: the last correction's, else the evaluation's.
    pub fn standing(&self) -> (Rating, Rating, Predikat) {
        match self.corrections.last() {
            Some((c, _)) => (c.results_rating, c.behaviour_rating, c.predikat),
            None => (self.evaluated.0.results_rating, self.evaluated.0.behaviour_rating, self.evaluated.0.predikat),
        }
    }
}
