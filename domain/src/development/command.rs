//! The commands on a development plan, each the intent of one person.

use skp_events::development::{ActionType, DevelopmentKind, FollowUpMeasure, ImprovementOutcome};
use skp_events::Nip;
use time::Date;

/// The values of an opening, read once the caller may open the plan
/// ([`crate::development::decide_open`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenValues {
    /// The kind asked for; it must be the one the final predikat calls for.
    pub kind: Option<DevelopmentKind>,
    /// The due date asked for; by default the latest the rules allow.
    pub due: Option<Date>,
}

/// Everything that can be asked of an open plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevelopmentCommand {
    /// Add an action (rater).
    AddAction {
        /// Unique within the plan: letters, digits, `.`, `_`, `-`.
        action_id: String,
        /// Its kind.
        action_type: ActionType,
        /// What is to be done.
        description: String,
        /// By when: not after the plan's due date.
        due: Date,
        /// The mentor, who may record its sessions.
        mentor_nip: Option<Nip>,
    },
    /// Record a session of an action (rater, the action's mentor).
    RecordSession {
        /// The action.
        action_id: String,
        /// The day it was held.
        held_on: Date,
        /// What happened.
        notes: String,
        /// What comes next.
        next_steps: Option<String>,
    },
    /// Complete an action with evidence (employee).
    CompleteAction {
        /// The action.
        action_id: String,
        /// The evidence.
        evidence: String,
    },
    /// Confirm an action's completion (rater).
    ConfirmAction {
        /// The action.
        action_id: String,
    },
    /// Review the improvement, closing the plan (rater).
    Review {
        /// Improved or not.
        outcome: ImprovementOutcome,
        /// What the review rests on.
        basis: String,
    },
    /// Record the follow-up after `not_improved` (admin).
    DecideFollowUp {
        /// The measure.
        measure: FollowUpMeasure,
        /// The decision it rests on.
        basis: String,
    },
}

/// The kind of a command, without its values: what permissions and state depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {
    /// Opening the plan.
    Open,
    /// See [`DevelopmentCommand::AddAction`].
    AddAction,
    /// See [`DevelopmentCommand::RecordSession`].
    RecordSession,
    /// See [`DevelopmentCommand::CompleteAction`].
    CompleteAction,
    /// See [`DevelopmentCommand::ConfirmAction`].
    ConfirmAction,
    /// See [`DevelopmentCommand::Review`].
    Review,
    /// See [`DevelopmentCommand::DecideFollowUp`].
    DecideFollowUp,
}

impl CommandKind {
    /// Every kind decided on an open plan (opening is decided by `decide_open`).
    pub const ON_A_PLAN: [CommandKind; 6] = [
        CommandKind::AddAction,
        CommandKind::RecordSession,
        CommandKind::CompleteAction,
        CommandKind::ConfirmAction,
        CommandKind::Review,
        CommandKind::DecideFollowUp,
    ];

    /// A short name for messages and metrics, e.g. `add_action`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Open => "open_development_plan",
            CommandKind::AddAction => "add_action",
            CommandKind::RecordSession => "record_session",
            CommandKind::CompleteAction => "complete_action",
            CommandKind::ConfirmAction => "confirm_action",
            CommandKind::Review => "review_improvement",
            CommandKind::DecideFollowUp => "decide_follow_up",
        }
    }
}

impl DevelopmentCommand {
    /// This command's kind.
    pub fn kind(&self) -> CommandKind {
        match self {
            DevelopmentCommand::AddAction { .. } => CommandKind::AddAction,
            DevelopmentCommand::RecordSession { .. } => CommandKind::RecordSession,
            DevelopmentCommand::CompleteAction { .. } => CommandKind::CompleteAction,
            DevelopmentCommand::ConfirmAction { .. } => CommandKind::ConfirmAction,
            DevelopmentCommand::Review { .. } => CommandKind::Review,
            DevelopmentCommand::DecideFollowUp { .. } => CommandKind::DecideFollowUp,
        }
    }

    /// The action the command is about, if any.
    pub fn action_id(&self) -> Option<&str> {
        match self {
            DevelopmentCommand::RecordSession { action_id, .. }
            | DevelopmentCommand::CompleteAction { action_id, .. }
            | DevelopmentCommand::ConfirmAction { action_id } => Some(action_id),
            _ => None,
        }
    }
}
