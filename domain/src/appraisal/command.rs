//! The commands on an appraisal, each the intent of one person.

use skp_events::period::PeriodId;
use skp_events::values::{FeedbackAbout, ForumOutcome, Person, PlannedResult};
use skp_events::voices::{Evaluator, Expectation, PeriodRef};
use skp_events::Rating;
use time::Date;
use uuid::Uuid;

/// A command with its id; a command id is handled at most once per appraisal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Unique per command; a retry carries the same id.
    pub id: Uuid,
    /// What is asked.
    pub body: AppraisalCommand,
}

/// Everything that can be asked of an appraisal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppraisalCommand {
    /// Open the appraisal (admin): decided by [`crate::appraisal::decide_open`], which needs the cycle.
    Open {
        /// The appraised employee.
        employee: Person,
        /// The direct supervisor.
        rater: Person,
        /// The rater's superior.
        rater_superior: Person,
    },
    /// Draft or revise the plan (employee).
    DraftPlan {
        /// The whole plan.
        results: Vec<PlannedResult>,
    },
    /// Submit the plan (employee).
    SubmitPlan,
    /// Return the plan for revision (rater).
    ReturnPlan {
        /// What needs to change.
        reason: String,
    },
    /// Agree the targets (rater).
    AgreeTargets,
    /// Give feedback (rater, rater superior, peer).
    GiveFeedback {
        /// Results or behaviour.
        about: FeedbackAbout,
        /// The feedback.
        text: String,
        /// An indicator of the plan, if the feedback is about one.
        indicator_id: Option<String>,
    },
    /// Record a realisation (employee).
    RecordRealisation {
        /// An indicator of the agreed plan.
        indicator_id: String,
        /// What was achieved.
        value: u64,
        /// Evidence.
        evidence: Option<String>,
    },
    /// Score (rater).
    Score {
        /// Results rating.
        results_rating: Rating,
        /// Behaviour rating.
        behaviour_rating: Rating,
        /// Notes.
        notes: Option<String>,
    },
    /// Accept the score (employee).
    Accept,
    /// Object to the score (employee).
    Object {
        /// Why.
        reason: String,
        /// Requested results rating.
        requested_results_rating: Option<Rating>,
        /// Requested behaviour rating.
        requested_behaviour_rating: Option<Rating>,
    },
    /// Decide the objection (rater superior).
    ResolveForum {
        /// Upheld or revised.
        outcome: ForumOutcome,
        /// New results rating (revised).
        results_rating: Option<Rating>,
        /// New behaviour rating (revised).
        behaviour_rating: Option<Rating>,
        /// The forum's minutes.
        minutes: String,
    },
    /// Make the score final (rater, admin).
    Finalize,
    // Voices beyond the rater (issue 13).
    /// State what is expected per BerAKHLAK value (rater).
    SetExpectations {
        /// One per value named.
        expectations: Vec<Expectation>,
    },
    /// Record a performance dialogue (rater).
    HoldDialogue {
        /// The day it was held.
        held_on: Date,
        /// What was discussed.
        topics: String,
        /// What both agreed to do.
        agreed_actions: Vec<String>,
    },
    /// Acknowledge a dialogue (employee).
    AcknowledgeDialogue {
        /// The version of its `DialogueHeld` event (0 names none).
        dialogue_version: u64,
    },
    /// Assess oneself for a period or the year (employee).
    SelfAssess {
        /// A period of the cycle's year, or `annual`.
        period: PeriodRef,
        /// Results rating.
        results_rating: Rating,
        /// Behaviour rating.
        behaviour_rating: Rating,
        /// Why.
        narrative: String,
    },
    /// Nominate the evaluators of the closed survey (rater): the whole list.
    NominateEvaluators {
        /// At most ten.
        evaluators: Vec<Evaluator>,
    },
    // Periodic evaluation (issue 12).
    /// Evaluate one ended period (rater).
    EvaluatePeriod {
        /// The period.
        period: PeriodId,
        /// Results rating in the period.
        results_rating: Rating,
        /// Behaviour rating in the period.
        behaviour_rating: Rating,
        /// Notes.
        notes: Option<String>,
    },
    /// Correct a period's evaluation within the entry window (rater).
    CorrectPeriod {
        /// The period.
        period: PeriodId,
        /// The results rating that stands after the correction.
        results_rating: Rating,
        /// The behaviour rating that stands after the correction.
        behaviour_rating: Rating,
        /// Why.
        reason: String,
    },
}

/// The kind of a command, without its values: what permissions and status depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {
    /// See [`AppraisalCommand::Open`].
    Open,
    /// See [`AppraisalCommand::DraftPlan`].
    DraftPlan,
    /// See [`AppraisalCommand::SubmitPlan`].
    SubmitPlan,
    /// See [`AppraisalCommand::ReturnPlan`].
    ReturnPlan,
    /// See [`AppraisalCommand::AgreeTargets`].
    AgreeTargets,
    /// See [`AppraisalCommand::GiveFeedback`].
    GiveFeedback,
    /// See [`AppraisalCommand::RecordRealisation`].
    RecordRealisation,
    /// See [`AppraisalCommand::Score`].
    Score,
    /// See [`AppraisalCommand::Accept`].
    Accept,
    /// See [`AppraisalCommand::Object`].
    Object,
    /// See [`AppraisalCommand::ResolveForum`].
    ResolveForum,
    /// See [`AppraisalCommand::Finalize`].
    Finalize,
    // Voices beyond the rater (issue 13).
    /// See [`AppraisalCommand::SetExpectations`].
    SetExpectations,
    /// See [`AppraisalCommand::HoldDialogue`].
    HoldDialogue,
    /// See [`AppraisalCommand::AcknowledgeDialogue`].
    AcknowledgeDialogue,
    /// See [`AppraisalCommand::SelfAssess`].
    SelfAssess,
    /// See [`AppraisalCommand::NominateEvaluators`].
    NominateEvaluators,
    // Periodic evaluation (issue 12).
    /// See [`AppraisalCommand::EvaluatePeriod`].
    EvaluatePeriod,
    /// See [`AppraisalCommand::CorrectPeriod`].
    CorrectPeriod,
}

impl CommandKind {
    /// A short name for messages and metrics, e.g. `submit_plan`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Open => "open_appraisal",
            CommandKind::DraftPlan => "draft_plan",
            CommandKind::SubmitPlan => "submit_plan",
            CommandKind::ReturnPlan => "return_plan",
            CommandKind::AgreeTargets => "agree_targets",
            CommandKind::GiveFeedback => "give_feedback",
            CommandKind::RecordRealisation => "record_realisation",
            CommandKind::Score => "score",
            CommandKind::Accept => "accept_score",
            CommandKind::Object => "object",
            CommandKind::ResolveForum => "resolve_forum",
            CommandKind::Finalize => "finalize",
            CommandKind::SetExpectations => "set_expectations",
            CommandKind::HoldDialogue => "hold_dialogue",
            CommandKind::AcknowledgeDialogue => "acknowledge_dialogue",
            CommandKind::SelfAssess => "self_assess",
            CommandKind::NominateEvaluators => "nominate_evaluators",
            CommandKind::EvaluatePeriod => "evaluate_period",
            CommandKind::CorrectPeriod => "correct_period_evaluation",
        }
    }
}

impl AppraisalCommand {
    /// This command's kind.
    pub fn kind(&self) -> CommandKind {
        match self {
            AppraisalCommand::Open { .. } => CommandKind::Open,
            AppraisalCommand::DraftPlan { .. } => CommandKind::DraftPlan,
            AppraisalCommand::SubmitPlan => CommandKind::SubmitPlan,
            AppraisalCommand::ReturnPlan { .. } => CommandKind::ReturnPlan,
            AppraisalCommand::AgreeTargets => CommandKind::AgreeTargets,
            AppraisalCommand::GiveFeedback { .. } => CommandKind::GiveFeedback,
            AppraisalCommand::RecordRealisation { .. } => CommandKind::RecordRealisation,
            AppraisalCommand::Score { .. } => CommandKind::Score,
            AppraisalCommand::Accept => CommandKind::Accept,
            AppraisalCommand::Object { .. } => CommandKind::Object,
            AppraisalCommand::ResolveForum { .. } => CommandKind::ResolveForum,
            AppraisalCommand::Finalize => CommandKind::Finalize,
            AppraisalCommand::SetExpectations { .. } => CommandKind::SetExpectations,
            AppraisalCommand::HoldDialogue { .. } => CommandKind::HoldDialogue,
            AppraisalCommand::AcknowledgeDialogue { .. } => CommandKind::AcknowledgeDialogue,
            AppraisalCommand::SelfAssess { .. } => CommandKind::SelfAssess,
            AppraisalCommand::NominateEvaluators { .. } => CommandKind::NominateEvaluators,
            AppraisalCommand::EvaluatePeriod { .. } => CommandKind::EvaluatePeriod,
            AppraisalCommand::CorrectPeriod { .. } => CommandKind::CorrectPeriod,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{valid_command, KINDS};
    use std::collections::HashSet;

    #[test]
    fn every_command_knows_its_kind() {
        for kind in KINDS.into_iter().chain([CommandKind::Open]) {
            assert_eq!(valid_command(kind).kind(), kind);
        }
    }

    #[test]
    fn every_kind_has_its_own_name() {
        let names: HashSet<_> = KINDS.into_iter().chain([CommandKind::Open]).map(CommandKind::as_str).collect();
        assert_eq!(names.len(), KINDS.len() + 1);
    }
}
