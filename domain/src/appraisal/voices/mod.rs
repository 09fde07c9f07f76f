//! The voices beyond the rater that live on the appraisal itself (docs/domain.md, "Voices
//! beyond the rater"): the rater's expectations per BerAKHLAK value, performance dialogues
//! and their acknowledgement, the employee's self-assessments, and the evaluators the rater
//! nominated for the closed survey. The survey's answers are not here: they live on the
//! `survey` aggregate ([`crate::survey`]), which the employee never reads.
//!
//! - this module: [`Voices`], the part of the appraisal's state they make;
//! - [`decide`]: the values of the five commands and their events (422, and the 404/409
//!   that depend on a value);
//! - [`period`]: period ids against the cycle's year, period bounds, and the small hooks
//!   where periodic evaluation (issue 12) meets these rules.

pub mod decide;
pub mod period;
#[cfg(test)]
mod tests;

use super::stamp::Stamp;
use skp_events::voices::{DialogueHeld, Evaluator, ExpectationsSet, PeriodRef, SelfAssessed};
use skp_events::{Envelope, Event, Nip};
use std::collections::BTreeMap;

/// A dialogue as recorded, and whether the employee acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialogue {
    /// What was recorded.
    pub held: DialogueHeld,
    /// The `DialogueHeld` event's version and time.
    pub recorded: Stamp,
    /// The acknowledgement's version and time.
    pub acknowledged: Option<Stamp>,
}

/// What the voices beyond the rater left on an appraisal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Voices {
    /// The expectations that stand (the last set).
    pub expectations: Option<(ExpectationsSet, Stamp)>,
    /// Every dialogue, in the order recorded.
    pub dialogues: Vec<Dialogue>,
    /// The self-assessment that stands for each period (the last one).
    pub self_assessments: BTreeMap<PeriodRef, (SelfAssessed, Stamp)>,
    /// The evaluators nominated now (the last list), with when.
    pub evaluators: Option<(Vec<Evaluator>, Stamp)>,
}

impl Voices {
    /// Applies one of the appraisal's voice events; others change nothing.
    pub fn apply(&mut self, envelope: &Envelope, stamp: Stamp) {
        match &envelope.event {
            Event::ExpectationsSet(set) => self.expectations = Some((set.clone(), stamp)),
            Event::DialogueHeld(held) => self.dialogues.push(Dialogue { held: held.clone(), recorded: stamp, acknowledged: None }),
            Event::DialogueAcknowledged(ack) => {
                if let Some(dialogue) = self.dialogues.iter_mut().find(|d| d.recorded.version == ack.dialogue_version) {
                    dialogue.acknowledged.get_or_insert(stamp);
                }
            }
            Event::SelfAssessed(assessed) => {
                self.self_assessments.insert(assessed.period.clone(), (assessed.clone(), stamp));
            }
            Event::EvaluatorsNominated(nominated) => self.evaluators = Some((nominated.evaluators.clone(), stamp)),
            _ => {}
        }
    }

    /// The evaluator nominated now with this NIP, if any.
    pub fn evaluator(&self, nip: &Nip) -> Option<&Evaluator> {
        self.evaluators.as_ref().and_then(|(list, _)| list.iter().find(|e| e.nip == *nip))
    }

    /// The dialogue recorded at `version`, if any.
    pub fn dialogue(&self, version: u64) -> Option<&Dialogue> {
        self.dialogues.iter().find(|d| d.recorded.version == version)
    }
}
