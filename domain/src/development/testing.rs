//! The given/when/then harness of development plans (tests only; the `testing` feature),
//! on the story of [`crate::testing`]: the same people, the appraisal finalized at
//! [`FINALIZED_AT`], the plan's events one day apart from [`PLAN_START`].
//!
//! ```text
//! plan_given(vec![pembinaan_opened(), action_added("A1", Some(MENTOR_NIP))])
//!     .when(DevelopmentCommand::RecordSession { .. })
//!     .by(mentor())                      // default: the person whose job the command is
//!     .then(session_recorded("A1"));     // Decision::Record, in the caller's role
//! ```

use super::command::{CommandKind, DevelopmentCommand};
use super::decide::{decide, PlanCommand};
use super::state::DevelopmentPlan;
use crate::appraisal::Appraisal;
use crate::testing::{
    accepted, admin, agreed, drafted, employee, feedback, finalized, history, nip, opened, rater, score_given, submitted,
    the_employee, the_rater, the_superior, Who, ADMIN_NIP, APPRAISAL_ID, CYCLE_ID, EMPLOYEE_NIP, RATER_NIP,
};
use crate::{Caller, Ctx, Decision, DomainError};
use skp_events::development::{
    ActionAdded, ActionCompleted, ActionConfirmed, ActionType, DevelopmentKind, DevelopmentPlanOpened, FollowUpDecided,
    FollowUpMeasure, ImprovementOutcome, ImprovementReviewed, SessionRecorded,
};
use skp_events::values::FinalizedVia;
use skp_events::{Actor, ActorRole, AggregateType, Envelope, Event, Predikat, Rating, GENESIS_HASH};
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// The plan under test: the plan of the appraisal under test.
pub fn plan_id() -> Uuid {
    skp_events::ids::development_plan_id(APPRAISAL_ID)
}

/// A mentor named on actions: no other part in the appraisal.
pub const MENTOR_NIP: &str = "198704042012011004";
/// When the appraisal of [`final_appraisal`] became final.
pub const FINALIZED_AT: OffsetDateTime = datetime!(2025-01-13 08:00 UTC);
/// When the plan's first event happens; event `v` happens `v - 1` days later.
pub const PLAN_START: OffsetDateTime = datetime!(2025-01-14 08:00 UTC);
/// The due date of [`pembinaan_opened`]: six months after [`FINALIZED_AT`].
pub const PEMBINAAN_DUE: Date = date!(2025 - 07 - 13);
/// The due date of [`pengembangan_opened`]: twelve months after [`FINALIZED_AT`].
pub const PENGEMBANGAN_DUE: Date = date!(2026 - 01 - 13);

/// The mentor as a caller, acting as `mentor`.
pub fn mentor() -> Who {
    Who { caller: Caller { nip: nip(MENTOR_NIP), admin: false, inspector: false, service_desk: false }, role: Some(ActorRole::Mentor) }
}

/// The appraisal under test, final with the predikat of `results` and `behaviour` (accepted,
/// finalized at [`FINALIZED_AT`]).
pub fn final_appraisal(results: Rating, behaviour: Rating) -> Appraisal {
    let events = vec![
        opened(),
        drafted(),
        submitted(),
        agreed(),
        feedback(),
        score_given(results, behaviour),
        accepted(),
        finalized(results, behaviour, FinalizedVia::Accepted),
    ];
    Appraisal::from_events(APPRAISAL_ID, &history(events))
}

/// The appraisal under test, final with `kurang` (behaviour below expectation).
pub fn kurang_appraisal() -> Appraisal {
    final_appraisal(Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi)
}

/// The appraisal under test, final with `baik`.
pub fn baik_appraisal() -> Appraisal {
    final_appraisal(Rating::SesuaiEkspektasi, Rating::SesuaiEkspektasi)
}

/// `DevelopmentPlanOpened` of the appraisal under test.
pub fn plan_opened(kind: DevelopmentKind, due: Date, predikat: Predikat) -> Event {
    Event::DevelopmentPlanOpened(DevelopmentPlanOpened {
        kind,
        due,
        appraisal_id: APPRAISAL_ID,
        cycle_id: CYCLE_ID,
        year: 2025,
        employee: the_employee(),
        rater: the_rater(),
        rater_superior: the_superior(),
        predikat,
        finalized_at: FINALIZED_AT,
    })
}

/// The pembinaan plan of [`kurang_appraisal`], due [`PEMBINAAN_DUE`].
pub fn pembinaan_opened() -> Event {
    plan_opened(DevelopmentKind::Pembinaan, PEMBINAAN_DUE, Predikat::Kurang)
}

/// The pengembangan plan of [`baik_appraisal`], due [`PENGEMBANGAN_DUE`].
pub fn pengembangan_opened() -> Event {
    plan_opened(DevelopmentKind::Pengembangan, PENGEMBANGAN_DUE, Predikat::Baik)
}

/// A coaching action due 2025-04-30, with `mentor` if any.
pub fn action_added(action_id: &str, mentor: Option<&str>) -> Event {
    Event::ActionAdded(ActionAdded {
        action_id: action_id.into(),
        action_type: ActionType::Coaching,
        description: "coaching disiplin kerja".into(),
        due: date!(2025 - 04 - 30),
        mentor_nip: mentor.map(nip),
    })
}

/// A session of `action_id` held on the day the plan opened.
pub fn session_recorded(action_id: &str) -> Event {
    Event::SessionRecorded(SessionRecorded { action_id: action_id.into(), held_on: PLAN_START.date(), notes: "sesi pertama".into(), next_steps: None })
}

/// The employee's completion of `action_id`.
pub fn action_completed(action_id: &str) -> Event {
    Event::ActionCompleted(ActionCompleted { action_id: action_id.into(), evidence: "laporan kegiatan".into() })
}

/// The rater's confirmation of `action_id`.
pub fn action_confirmed(action_id: &str) -> Event {
    Event::ActionConfirmed(ActionConfirmed { action_id: action_id.into() })
}

/// The rater's review.
pub fn reviewed(outcome: ImprovementOutcome) -> Event {
    Event::ImprovementReviewed(ImprovementReviewed { outcome, basis: "capaian triwulan".into() })
}

/// The admin's follow-up.
pub fn followed_up(measure: FollowUpMeasure) -> Event {
    Event::FollowUpDecided(FollowUpDecided { measure, basis: "keputusan pejabat berwenang".into() })
}

/// The person whose job `kind` is.
pub fn natural(kind: CommandKind) -> Who {
    match kind {
        CommandKind::CompleteAction => employee(),
        CommandKind::DecideFollowUp => admin(),
        _ => rater(),
    }
}

fn actor_of(event: &Event) -> Actor {
    let (raw, role) = match event {
        Event::ActionCompleted(_) => (EMPLOYEE_NIP, ActorRole::Employee),
        Event::FollowUpDecided(_) => (ADMIN_NIP, ActorRole::Admin),
        _ => (RATER_NIP, ActorRole::Rater),
    };
    Actor { nip: nip(raw), role }
}

/// The command id of the plan history's event at `version`.
pub fn plan_command_id(version: u64) -> Uuid {
    Uuid::from_u128(0xd000_0000 + u128::from(version))
}

fn sealed(previous: Option<&Envelope>, event: Event, at: OffsetDateTime, actor: Actor, command: Uuid) -> Envelope {
    let version = previous.map_or(1, |p| p.version + 1);
    Envelope {
        event_id: Uuid::from_u128(0xf000_0000 + u128::from(version)),
        aggregate_type: AggregateType::Development,
        aggregate_id: plan_id(),
        version,
        schema_version: event.schema_version(),
        event,
        occurred_at: at,
        actor,
        command_id: command,
        correlation_id: command,
        causation_id: command,
        prev_hash: previous.map_or_else(|| GENESIS_HASH.to_owned(), |p| p.hash.clone()),
        hash: String::new(),
    }
    .seal()
    .expect("events hold no floats")
}

/// Envelopes of the plan's `events`, one day apart from [`PLAN_START`].
pub fn plan_history(events: Vec<Event>) -> Vec<Envelope> {
    let mut envelopes: Vec<Envelope> = Vec::new();
    for (day, event) in (0..).zip(events) {
        let actor = actor_of(&event);
        let version = envelopes.len() as u64 + 1;
        let next = sealed(envelopes.last(), event, PLAN_START + Duration::days(day), actor, plan_command_id(version));
        envelopes.push(next);
    }
    envelopes
}

/// A plan's history and the state it leaves.
#[derive(Debug, Clone)]
pub struct PlanGiven {
    /// The history so far, sealed.
    pub envelopes: Vec<Envelope>,
    /// The state after it.
    pub state: DevelopmentPlan,
}

/// The plan after `events`, one day apart from [`PLAN_START`].
pub fn plan_given(events: Vec<Event>) -> PlanGiven {
    let envelopes = plan_history(events);
    let state = DevelopmentPlan::from_events(plan_id(), &envelopes);
    PlanGiven { envelopes, state }
}

impl PlanGiven {
    /// The command under test, by the [`natural`] caller, an hour after the last event.
    pub fn when(self, body: DevelopmentCommand) -> PlanWhen {
        let now = self.envelopes.last().map_or(PLAN_START, |e| e.occurred_at) + Duration::hours(1);
        let (who, id) = (natural(body.kind()), plan_command_id(self.state.version + 1));
        PlanWhen { given: self, command: PlanCommand { id, body }, who, now }
    }
}

/// A command on a plan about to be decided.
#[derive(Debug, Clone)]
pub struct PlanWhen {
    given: PlanGiven,
    command: PlanCommand,
    who: Who,
    now: OffsetDateTime,
}

impl PlanWhen {
    /// Who issues the command.
    pub fn by(mut self, who: Who) -> Self {
        self.who = who;
        self
    }

    /// When the command is decided.
    pub fn at(mut self, now: OffsetDateTime) -> Self {
        self.now = now;
        self
    }

    /// The command id (default: the next version's).
    pub fn with_id(mut self, id: Uuid) -> Self {
        self.command.id = id;
        self
    }

    /// Decides the command without recording anything.
    pub fn decide(&self) -> Result<Decision, DomainError> {
        decide(&self.given.state, &self.command, &Ctx { caller: self.who.caller.clone(), now: self.now })
    }

    /// Asserts the command records `expected` in the caller's role; returns the history with
    /// it appended, so a story can go on.
    pub fn then(self, expected: Event) -> PlanGiven {
        let role = self.who.role.expect("this caller records nothing: use then_err");
        crate::testing::assert_recorded(self.decide(), &expected, role);
        let mut envelopes = self.given.envelopes;
        let actor = Actor { nip: self.who.caller.nip.clone(), role };
        let next = sealed(envelopes.last(), expected, self.now, actor, self.command.id);
        envelopes.push(next);
        let state = DevelopmentPlan::from_events(plan_id(), &envelopes);
        PlanGiven { envelopes, state }
    }

    /// Asserts the refusal's code; returns it for a closer look.
    pub fn then_err(self, code: &str) -> DomainError {
        crate::testing::assert_refused(self.decide(), code)
    }
}
