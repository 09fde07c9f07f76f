//! A development plan's state, rebuilt from its events by [`DevelopmentPlan::apply`]. The same
//! code serves commands, the plan's view, `skp replay` and evidence bundles.

use skp_events::development::{
    ActionAdded, DevelopmentKind, DevelopmentPlanOpened, FollowUpDecided, ImprovementOutcome, ImprovementReviewed,
};
use skp_events::{Actor, Envelope, Event, Nip};
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

/// Where an event of the plan is, and who did it: what a reader or an audit names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The event's version.
    pub version: u64,
    /// The event's id.
    pub event_id: Uuid,
    /// When it happened.
    pub at: OffsetDateTime,
    /// Who did it, in which role.
    pub by: Actor,
}

impl Mark {
    fn of(envelope: &Envelope) -> Self {
        Self { version: envelope.version, event_id: envelope.event_id, at: envelope.occurred_at, by: envelope.actor.clone() }
    }
}

/// Where a plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PlanStatus {
    /// Not opened (no event).
    #[default]
    Absent,
    /// Opened, not reviewed yet: actions, sessions and completions are taken.
    Open,
    /// Reviewed: the employee improved. The plan is closed.
    Improved,
    /// Reviewed: the employee did not improve. The plan is closed; a follow-up is decided.
    NotImproved,
}

impl PlanStatus {
    /// The wire name, e.g. `not_improved`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Absent => "absent",
            PlanStatus::Open => "open",
            PlanStatus::Improved => "improved",
            PlanStatus::NotImproved => "not_improved",
        }
    }
}

impl fmt::Display for PlanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One session of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The day it was held.
    pub held_on: time::Date,
    /// What happened.
    pub notes: String,
    /// What comes next.
    pub next_steps: Option<String>,
    /// When and by whom it was recorded.
    pub recorded: Mark,
}

/// One action of the plan with what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// As added.
    pub added: ActionAdded,
    /// When it was added.
    pub added_at: Mark,
    /// Its sessions, in the order recorded.
    pub sessions: Vec<Session>,
    /// The employee's completion: the evidence, and when.
    pub completed: Option<(String, Mark)>,
    /// The rater's confirmation.
    pub confirmed: Option<Mark>,
}

impl Action {
    /// Whether `nip` is this action's mentor.
    pub fn is_mentor(&self, nip: &Nip) -> bool {
        self.added.mentor_nip.as_ref() == Some(nip)
    }

    /// `open`, `completed` or `confirmed`.
    pub fn status(&self) -> &'static str {
        match (&self.completed, &self.confirmed) {
            (_, Some(_)) => "confirmed",
            (Some(_), None) => "completed",
            (None, None) => "open",
        }
    }
}

/// A development plan as its events leave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevelopmentPlan {
    /// The plan's id.
    pub id: Uuid,
    /// Number of events applied.
    pub version: u64,
    /// The opening: kind, due, and the snapshot of the appraisal it follows.
    pub opened: Option<(DevelopmentPlanOpened, Mark)>,
    /// The actions, in the order added.
    pub actions: Vec<Action>,
    /// The improvement review, which closed the plan.
    pub review: Option<(ImprovementReviewed, Mark)>,
    /// The follow-up after `not_improved`.
    pub follow_up: Option<(FollowUpDecided, Mark)>,
}

impl DevelopmentPlan {
    /// A plan with the given id, before any event.
    pub fn new(id: Uuid) -> Self {
        Self { id, ..Self::default() }
    }

    /// Rebuilds a plan from its events in order.
    pub fn from_events<'a>(id: Uuid, events: impl IntoIterator<Item = &'a Envelope>) -> Self {
        let mut state = Self::new(id);
        events.into_iter().for_each(|e| state.apply(e));
        state
    }

    /// Applies one stored event. Events of other aggregates change nothing but the version.
    pub fn apply(&mut self, envelope: &Envelope) {
        self.version = envelope.version;
        let mark = Mark::of(envelope);
        match &envelope.event {
            Event::DevelopmentPlanOpened(opened) => self.opened = Some((opened.clone(), mark)),
            Event::ActionAdded(added) => {
                self.actions.push(Action { added: added.clone(), added_at: mark, sessions: Vec::new(), completed: None, confirmed: None });
            }
            Event::SessionRecorded(s) => {
                if let Some(action) = self.action_mut(&s.action_id) {
                    action.sessions.push(Session { held_on: s.held_on, notes: s.notes.clone(), next_steps: s.next_steps.clone(), recorded: mark });
                }
            }
            Event::ActionCompleted(c) => {
                if let Some(action) = self.action_mut(&c.action_id) {
                    action.completed = Some((c.evidence.clone(), mark));
                }
            }
            Event::ActionConfirmed(c) => {
                if let Some(action) = self.action_mut(&c.action_id) {
                    action.confirmed = Some(mark);
                }
            }
            Event::ImprovementReviewed(review) => self.review = Some((review.clone(), mark)),
            Event::FollowUpDecided(follow_up) => self.follow_up = Some((follow_up.clone(), mark)),
            _ => {}
        }
    }

    /// Where the plan stands.
    pub fn status(&self) -> PlanStatus {
        match (&self.opened, &self.review) {
            (None, _) => PlanStatus::Absent,
            (Some(_), None) => PlanStatus::Open,
            (Some(_), Some((r, _))) if r.outcome == ImprovementOutcome::Improved => PlanStatus::Improved,
            (Some(_), Some(_)) => PlanStatus::NotImproved,
        }
    }

    /// The opening's data, once opened.
    pub fn opening(&self) -> Option<&DevelopmentPlanOpened> {
        self.opened.as_ref().map(|(o, _)| o)
    }

    /// The plan's kind, once opened.
    pub fn kind(&self) -> Option<DevelopmentKind> {
        self.opening().map(|o| o.kind)
    }

    /// The action with this id.
    pub fn action(&self, action_id: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.added.action_id == action_id)
    }

    fn action_mut(&mut self, action_id: &str) -> Option<&mut Action> {
        self.actions.iter_mut().find(|a| a.added.action_id == action_id)
    }

    /// Whether `nip` is the mentor of at least one action.
    pub fn mentors(&self, nip: &Nip) -> bool {
        self.actions.iter().any(|a| a.is_mentor(nip))
    }
}

/// `evolve(state, event) -> state`, for callers that fold.
pub fn evolve(mut state: DevelopmentPlan, envelope: &Envelope) -> DevelopmentPlan {
    state.apply(envelope);
    state
}
