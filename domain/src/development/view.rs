//! A development plan as people read it: the one shape of `GET /v1/development/{plan_id}`,
//! `skp replay` of a plan and the plan's states in an evidence bundle, derived from the state
//! alone. A mentor reads a narrower shape: the plan's frame and their own actions with their
//! sessions, nothing of the predikat, the other actions or the review.

use super::state::{Action, DevelopmentPlan, Mark, Session};
use serde::Serialize;
use skp_events::development::{ActionType, DevelopmentKind, FollowUpMeasure, ImprovementOutcome};
use skp_events::values::Person;
use skp_events::{ActorRole, Nip, Predikat};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A plan as it stands (or stood).
#[derive(Debug, Serialize)]
pub struct PlanView {
    /// The plan's id.
    pub plan_id: Uuid,
    /// The appraisal it follows.
    pub appraisal_id: Uuid,
    /// The appraisal's cycle.
    pub cycle_id: Uuid,
    /// The cycle's year.
    pub year: i32,
    /// `pembinaan` or `pengembangan`.
    pub kind: DevelopmentKind,
    /// The date by which it is to be reviewed.
    pub due: Date,
    /// `open`, `improved` or `not_improved`.
    pub status: &'static str,
    /// The appraisal's final predikat.
    pub predikat: Predikat,
    /// When the appraisal became final.
    #[serde(with = "time::serde::rfc3339")]
    pub finalized_at: OffsetDateTime,
    /// When the plan was opened.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// The employee, as at the appraisal's opening.
    pub employee: Person,
    /// The rater.
    pub rater: Person,
    /// The rater's superior.
    pub rater_superior: Person,
    /// The actions in the order added.
    pub actions: Vec<ActionView>,
    /// The review, once reviewed.
    pub review: Option<ReviewView>,
    /// The follow-up, once decided.
    pub follow_up: Option<FollowUpView>,
    /// The number of events: the version of the last one.
    pub version: u64,
}

/// One action.
#[derive(Debug, Serialize)]
pub struct ActionView {
    /// Its id.
    pub action_id: String,
    /// Its kind.
    #[serde(rename = "type")]
    pub action_type: ActionType,
    /// What is to be done.
    pub description: String,
    /// By when.
    pub due: Date,
    /// Its mentor.
    pub mentor_nip: Option<Nip>,
    /// `open`, `completed` or `confirmed`.
    pub status: &'static str,
    /// Its sessions in the order recorded.
    pub sessions: Vec<SessionView>,
    /// The employee's evidence, once completed.
    pub evidence: Option<String>,
    /// When it was completed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// When the rater confirmed it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
}

/// One session.
#[derive(Debug, Serialize)]
pub struct SessionView {
    /// The day it was held.
    pub held_on: Date,
    /// What happened.
    pub notes: String,
    /// What comes next.
    pub next_steps: Option<String>,
    /// Who recorded it: the rater or the mentor.
    pub recorded_by: RecordedBy,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

/// Who recorded something, in which role.
#[derive(Debug, Serialize)]
pub struct RecordedBy {
    /// Their NIP.
    pub nip: Nip,
    /// Their role.
    pub role: ActorRole,
}

/// The review.
#[derive(Debug, Serialize)]
pub struct ReviewView {
    /// Improved or not.
    pub outcome: ImprovementOutcome,
    /// What it rests on.
    pub basis: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub reviewed_at: OffsetDateTime,
}

/// The follow-up.
#[derive(Debug, Serialize)]
pub struct FollowUpView {
    /// The measure.
    pub measure: FollowUpMeasure,
    /// The decision it rests on.
    pub basis: String,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

/// A plan as an action's mentor reads it.
#[derive(Debug, Serialize)]
pub struct MentorView {
    /// The plan's id.
    pub plan_id: Uuid,
    /// `pembinaan` or `pengembangan`.
    pub kind: DevelopmentKind,
    /// The plan's due date.
    pub due: Date,
    /// `open`, `improved` or `not_improved` (whether sessions are still taken).
    pub status: &'static str,
    /// The employee mentored.
    pub employee: Person,
    /// The mentor's own actions, with their sessions.
    pub actions: Vec<ActionView>,
    /// The plan's version.
    pub version: u64,
}

fn session_view(session: &Session) -> SessionView {
    SessionView {
        held_on: session.held_on,
        notes: session.notes.clone(),
        next_steps: session.next_steps.clone(),
        recorded_by: RecordedBy { nip: session.recorded.by.nip.clone(), role: session.recorded.by.role },
        recorded_at: session.recorded.at,
    }
}

fn action_view(action: &Action) -> ActionView {
    let added = &action.added;
    ActionView {
        action_id: added.action_id.clone(),
        action_type: added.action_type,
        description: added.description.clone(),
        due: added.due,
        mentor_nip: added.mentor_nip.clone(),
        status: action.status(),
        sessions: action.sessions.iter().map(session_view).collect(),
        evidence: action.completed.as_ref().map(|(e, _)| e.clone()),
        completed_at: action.completed.as_ref().map(|(_, m)| m.at),
        confirmed_at: action.confirmed.as_ref().map(|m: &Mark| m.at),
    }
}

impl PlanView {
    /// The view of `plan`, `None` while it is not opened.
    pub fn of(plan: &DevelopmentPlan) -> Option<Self> {
        let (opened, mark) = plan.opened.as_ref()?;
        Some(Self {
            plan_id: plan.id,
            appraisal_id: opened.appraisal_id,
            cycle_id: opened.cycle_id,
            year: opened.year,
            kind: opened.kind,
            due: opened.due,
            status: plan.status().as_str(),
            predikat: opened.predikat,
            finalized_at: opened.finalized_at,
            opened_at: mark.at,
            employee: opened.employee.clone(),
            rater: opened.rater.clone(),
            rater_superior: opened.rater_superior.clone(),
            actions: plan.actions.iter().map(action_view).collect(),
            review: plan.review.as_ref().map(|(r, m)| ReviewView { outcome: r.outcome, basis: r.basis.clone(), reviewed_at: m.at }),
            follow_up: plan.follow_up.as_ref().map(|(f, m)| FollowUpView { measure: f.measure, basis: f.basis.clone(), decided_at: m.at }),
            version: plan.version,
        })
    }
}

impl MentorView {
    /// The view of `plan` for the mentor `nip`: their actions only.
    pub fn of(plan: &DevelopmentPlan, nip: &Nip) -> Option<Self> {
        let (opened, _) = plan.opened.as_ref()?;
        Some(Self {
            plan_id: plan.id,
            kind: opened.kind,
            due: opened.due,
            status: plan.status().as_str(),
            employee: opened.employee.clone(),
            actions: plan.actions.iter().filter(|a| a.is_mentor(nip)).map(action_view).collect(),
            version: plan.version,
        })
    }
}
