//! The survey aggregate (docs/domain.md, "Voices beyond the rater"): one per appraisal, with
//! the appraisal's id, on its own subject and hash chain. It holds what the employee may not
//! read one by one: the nominated evaluators' answers to the closed 360 survey
//! (`BehaviourRated`) and the public's feedback recorded by the service desk
//! (`PublicFeedbackRecorded`). The employee sees only aggregates, and only from
//! [`summary::MIN_ANSWERS`] answers on.
//!
//! - this module: [`Survey`], its state, and its commands;
//! - [`decide`]: who may answer or record (the nominations and people come from the
//!   appraisal's state, passed in), when, and the values;
//! - [`privacy`]: no citizen named in public feedback (a 16-digit run, an NIK, is refused);
//! - [`summary`]: the 360 view of a period, aggregates only or in full by who reads it.

pub mod decide;
pub mod privacy;
pub mod summary;

use crate::appraisal::state::Stamp;
use skp_events::voices::{Channel, CoreValue, PeriodRef, PublicFeedbackRecorded};
use skp_events::{ActorRole, Envelope, Event, Nip, Rating};
use std::collections::BTreeMap;
use uuid::Uuid;

pub use decide::{decide, decide_lazily};

#[cfg(test)]
mod tests;

/// One evaluator's answer for one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Who answered.
    pub nip: Nip,
    /// As `peer` or `subordinate`.
    pub role: ActorRole,
    /// The period answered for.
    pub period: PeriodRef,
    /// A rating per value.
    pub ratings: BTreeMap<CoreValue, Rating>,
    /// What they added.
    pub comment: Option<String>,
    /// When (version and time on the survey).
    pub recorded: Stamp,
}

/// One piece of public feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicItem {
    /// What was recorded.
    pub data: PublicFeedbackRecorded,
    /// The service desk officer who recorded it.
    pub recorded_by: Nip,
    /// When (version and time on the survey).
    pub recorded: Stamp,
}

/// A survey as its events leave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Survey {
    /// The appraisal's id, which is the survey's.
    pub id: Uuid,
    /// Number of events applied.
    pub version: u64,
    /// Every answer, in the order recorded.
    pub answers: Vec<Answer>,
    /// Every piece of public feedback, in the order recorded.
    pub public: Vec<PublicItem>,
}

impl Survey {
    /// The survey of appraisal `id`, before any event.
    pub fn new(id: Uuid) -> Self {
        Self { id, ..Self::default() }
    }

    /// Rebuilds a survey from its events in order.
    pub fn from_events<'a>(id: Uuid, events: impl IntoIterator<Item = &'a Envelope>) -> Self {
        let mut survey = Self::new(id);
        events.into_iter().for_each(|e| survey.apply(e));
        survey
    }

    /// Applies one stored event; events of other kinds change nothing but the version.
    pub fn apply(&mut self, envelope: &Envelope) {
        self.version = envelope.version;
        let recorded = Stamp { version: envelope.version, at: envelope.occurred_at };
        match &envelope.event {
            Event::BehaviourRated(rated) => self.answers.push(Answer {
                nip: envelope.actor.nip.clone(),
                role: envelope.actor.role,
                period: rated.period.clone(),
                ratings: rated.ratings.clone(),
                comment: rated.comment.clone(),
                recorded,
            }),
            Event::PublicFeedbackRecorded(data) => {
                self.public.push(PublicItem { data: data.clone(), recorded_by: envelope.actor.nip.clone(), recorded });
            }
            _ => {}
        }
    }

    /// The answer `nip` gave for `period`, if any.
    pub fn answer_of(&self, nip: &Nip, period: &PeriodRef) -> Option<&Answer> {
        self.answers.iter().find(|a| a.nip == *nip && a.period == *period)
    }
}

/// What can be asked of a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurveyCommand {
    /// Answer the survey for a period (a nominated evaluator).
    RateBehaviour {
        /// A period of the cycle's year, or `annual`.
        period: PeriodRef,
        /// A rating for each of the seven values.
        ratings: BTreeMap<CoreValue, Rating>,
        /// What the evaluator adds.
        comment: Option<String>,
    },
    /// Record the public's feedback (the service desk).
    RecordPublicFeedback {
        /// Survey, complaint or counter.
        channel: Channel,
        /// The service case.
        service_ref: String,
        /// 1 to 5.
        score: u8,
        /// What was said.
        text: Option<String>,
    },
}

/// The kind of a survey command, without its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SurveyKind {
    /// See [`SurveyCommand::RateBehaviour`].
    RateBehaviour,
    /// See [`SurveyCommand::RecordPublicFeedback`].
    RecordPublicFeedback,
}

impl SurveyKind {
    /// A short name for messages and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyKind::RateBehaviour => "rate_behaviour",
            SurveyKind::RecordPublicFeedback => "record_public_feedback",
        }
    }
}

impl SurveyCommand {
    /// This command's kind.
    pub fn kind(&self) -> SurveyKind {
        match self {
            SurveyCommand::RateBehaviour { .. } => SurveyKind::RateBehaviour,
            SurveyCommand::RecordPublicFeedback { .. } => SurveyKind::RecordPublicFeedback,
        }
    }
}
