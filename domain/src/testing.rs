//! A small given/when/then harness for the rules (tests only; the `testing` feature).
//!
//! ```text
//! given(until(Status::Scored))           // the history: envelopes v1..n, one day apart from START
//!     .when(AppraisalCommand::Accept)    // the command under test, id command_id(n + 1)
//!     .by(employee())                    // default: the person whose job the command is
//!     .at(SCORED_AT + Duration::days(1)) // default: an hour after the last event
//!     .then(accepted());                 // Decision::Record with this event, in the caller's role
//! ```
//! `.then_err(code)` checks a refusal's `code()`. The NIPs, names and times are fixed, so
//! every test reads the same story. Unit tests use it, and so do integration tests and
//! other crates' tests through the `testing` feature.

use crate::appraisal::{decide, Appraisal, AppraisalCommand, Command, CommandKind, Status};
use crate::{Caller, Ctx, Decision, DomainError};
use skp_events::data::{
    AppraisalOpened, CycleOpened, Empty, FeedbackGiven, ForumResolved, PeriodEvaluated, PeriodEvaluationCorrected,
    PlanDrafted, PlanReturned, RealisationRecorded, ScoreFinalized, ScoreGiven, ScoreObjected,
};
use skp_events::period::{PeriodId, PeriodKind};
use skp_events::values::{FeedbackAbout, FinalizedVia, ForumOutcome, Indicator, Person, PlannedResult, Target};
use skp_events::voices::{CoreValue, DialogueHeld, Evaluator, EvaluatorsNominated, Expectation, PeriodRef, Relation};
use skp_events::{Actor, ActorRole, AggregateType, Envelope, Event, Nip, Rating, GENESIS_HASH};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The appraisal under test, and its cycle.
pub const APPRAISAL_ID: Uuid = Uuid::from_u128(0xa001);
/// The cycle of the appraisal under test.
pub const CYCLE_ID: Uuid = Uuid::from_u128(0xc1c1e);
/// The id of an opening under test (never one of a history's).
pub const NEW_COMMAND: Uuid = Uuid::from_u128(0xc0de);

/// The appraised employee.
pub const EMPLOYEE_NIP: &str = "198503152010011002";
/// The rater.
pub const RATER_NIP: &str = "197801012005011001";
/// The rater's superior.
pub const SUPERIOR_NIP: &str = "197002022000031001";
/// A colleague with no part in the appraisal.
pub const PEER_NIP: &str = "199001012015012001";
/// An admin (BKPSDM staff).
pub const ADMIN_NIP: &str = "198001012006041001";
/// An inspector.
pub const INSPECTOR_NIP: &str = "198207072008011003";
/// Someone the employee leads, whom [`nominated`] names as a subordinate evaluator.
pub const NOMINEE_NIP: &str = "199503032020122001";
/// A service desk officer (token role `service_desk`).
pub const SERVICE_DESK_NIP: &str = "198807072012011004";

/// The cycle's objection window.
pub const OBJECTION_WINDOW_DAYS: u32 = 14;
/// The cycle's decision window.
pub const DECISION_WINDOW_DAYS: u32 = 30;

/// The first event's time; event `v` of a `given` history happens `v - 1` days later.
pub const START: OffsetDateTime = datetime!(2025-01-06 08:00 UTC);
/// When `until(Scored)`'s `ScoreGiven` (v5) happens, and the end of its objection window.
pub const SCORED_AT: OffsetDateTime = datetime!(2025-01-10 08:00 UTC);
/// When `until(Scored)`'s objection window closes.
pub const OBJECTION_DUE: OffsetDateTime = datetime!(2025-01-24 08:00 UTC);
/// When `until(Objected)`'s `ScoreObjected` (v6) happens, and the forum's deadline.
pub const OBJECTED_AT: OffsetDateTime = datetime!(2025-01-11 08:00 UTC);
/// When `until(Objected)`'s forum is due.
pub const DECISION_DUE: OffsetDateTime = datetime!(2025-02-10 08:00 UTC);

// ---------------------------------------------------------------- callers

/// A caller and the role a recorded event should name for them (`None`: records nothing).
#[derive(Debug, Clone)]
pub struct Who {
    /// The caller.
    pub caller: Caller,
    /// The role a recorded event names for them; `None` when they may not act.
    pub role: Option<ActorRole>,
}

impl Who {
    /// The same person, holding the global role `inspector` too.
    pub fn also_inspector(mut self) -> Self {
        self.caller.inspector = true;
        self.role = None;
        self
    }

    /// The same person, holding the global role `admin` too (their role is unchanged).
    pub fn also_admin(mut self) -> Self {
        self.caller.admin = true;
        self
    }
}

/// A NIP known to be valid.
pub fn nip(raw: &str) -> Nip {
    Nip::parse(raw).expect("a valid test NIP")
}

fn who(raw: &str, role: Option<ActorRole>) -> Who {
    Who { caller: Caller { nip: nip(raw), admin: false, inspector: false, service_desk: false }, role }
}

/// The appraised employee as a caller.
pub fn employee() -> Who {
    who(EMPLOYEE_NIP, Some(ActorRole::Employee))
}
/// The rater as a caller.
pub fn rater() -> Who {
    who(RATER_NIP, Some(ActorRole::Rater))
}
/// The rater's superior as a caller.
pub fn superior() -> Who {
    who(SUPERIOR_NIP, Some(ActorRole::RaterSuperior))
}
/// A colleague as a caller (feedback as `peer`).
pub fn peer() -> Who {
    who(PEER_NIP, Some(ActorRole::Peer))
}
/// An admin (BKPSDM) with no role in the appraisal.
pub fn admin() -> Who {
    who(ADMIN_NIP, Some(ActorRole::Admin)).also_admin()
}
/// An inspector as a caller: records nothing.
pub fn inspector() -> Who {
    who(INSPECTOR_NIP, None).also_inspector()
}

/// A subordinate the rater nominates in [`nominated`] (answers as `subordinate`).
pub fn nominee() -> Who {
    who(NOMINEE_NIP, Some(ActorRole::Subordinate))
}
/// A service desk officer with no part in the appraisal.
pub fn service_desk() -> Who {
    let mut desk = who(SERVICE_DESK_NIP, Some(ActorRole::ServiceDesk));
    desk.caller.service_desk = true;
    desk
}

/// The person whose job `kind` is.
pub fn natural(kind: CommandKind) -> Who {
    use CommandKind::*;
    match kind {
        Open => admin(),
        DraftPlan | SubmitPlan | RecordRealisation | Accept | Object => employee(),
        ReturnPlan | AgreeTargets | Score | GiveFeedback | Finalize => rater(),
        ResolveForum => superior(),
        SetExpectations | HoldDialogue | NominateEvaluators => rater(),
        AcknowledgeDialogue | SelfAssess => employee(),
        EvaluatePeriod | CorrectPeriod => rater(),
    }
}

// ---------------------------------------------------------------- events

/// A person as at the opening.
pub fn person(raw: &str, name: &str, position: &str, unit: &str) -> Person {
    Person { nip: nip(raw), name: name.into(), position: position.into(), unit: unit.into() }
}

/// The appraised employee as at the opening.
pub fn the_employee() -> Person {
    person(EMPLOYEE_NIP, "Siti Rahmawati", "Analis Kebijakan Ahli Muda", "Bidang Perencanaan")
}
/// The rater as at the opening.
pub fn the_rater() -> Person {
    person(RATER_NIP, "Bambang Sutrisno", "Kepala Bidang Perencanaan", "Bidang Perencanaan")
}
/// The rater's superior as at the opening.
pub fn the_superior() -> Person {
    person(SUPERIOR_NIP, "Dewi Lestari", "Sekretaris Badan", "Sekretariat")
}

/// The cycle's configuration: annual only (period `none`).
pub fn cycle_opened() -> CycleOpened {
    CycleOpened {
        organization: "BKPSDM Kabupaten Sleman".into(),
        year: 2025,
        plan_due: date!(2025 - 01 - 31),
        objection_window_days: OBJECTION_WINDOW_DAYS,
        decision_window_days: DECISION_WINDOW_DAYS,
        period: PeriodKind::None,
        period_entry_days: PERIOD_ENTRY_DAYS,
        utc_offset_hours: 7,
    }
}

/// The correction window of the test cycles, in days.
pub const PERIOD_ENTRY_DAYS: u32 = 10;

/// A cycle evaluating by `kind` in the time zone UTC+`utc_offset_hours`.
pub fn periodic_cycle(kind: PeriodKind, utc_offset_hours: u8) -> CycleOpened {
    CycleOpened { period: kind, utc_offset_hours, ..cycle_opened() }
}

/// `AppraisalOpened` of the appraisal under test in `cycle`.
pub fn opened_in(cycle: CycleOpened) -> Event {
    Event::AppraisalOpened(AppraisalOpened {
        cycle_id: CYCLE_ID,
        organization: cycle.organization,
        year: cycle.year,
        plan_due: cycle.plan_due,
        objection_window_days: cycle.objection_window_days,
        decision_window_days: cycle.decision_window_days,
        employee: the_employee(),
        rater: the_rater(),
        rater_superior: the_superior(),
        period: cycle.period,
        period_entry_days: cycle.period_entry_days,
        utc_offset_hours: cycle.utc_offset_hours,
    })
}

/// `AppraisalOpened` of the appraisal under test (an annual-only cycle).
pub fn opened() -> Event {
    opened_in(cycle_opened())
}

/// A period id known to be valid.
pub fn period_id(raw: &str) -> PeriodId {
    PeriodId::parse(raw).expect("a valid test period")
}

/// `PeriodEvaluated` of `period` with the predikat of the ratings.
pub fn evaluated(period: &str, results: Rating, behaviour: Rating) -> Event {
    Event::PeriodEvaluated(PeriodEvaluated {
        period: period_id(period),
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: crate::predikat(results, behaviour),
        notes: None,
    })
}

/// `PeriodEvaluationCorrected` of `period` with the predikat of the ratings.
pub fn corrected(period: &str, results: Rating, behaviour: Rating) -> Event {
    Event::PeriodEvaluationCorrected(PeriodEvaluationCorrected {
        period: period_id(period),
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: crate::predikat(results, behaviour),
        reason: "salah input".into(),
    })
}

/// An indicator with a target.
pub fn indicator(id: &str, value: u64, unit: &str) -> Indicator {
    Indicator { id: id.into(), description: format!("indikator {id}"), target: Target { value, unit: unit.into() } }
}

/// A planned result with its indicators.
pub fn result(id: &str, indicators: Vec<Indicator>) -> PlannedResult {
    PlannedResult { id: id.into(), description: format!("rencana hasil kerja {id}"), indicators }
}

/// A valid plan: R1 with I1 and I2, R2 with I3.
pub fn plan() -> Vec<PlannedResult> {
    vec![
        result("R1", vec![indicator("I1", 12, "dokumen"), indicator("I2", 100, "persen")]),
        result("R2", vec![indicator("I3", 4, "laporan")]),
    ]
}

/// `PlanDrafted` with [`plan`].
pub fn drafted() -> Event {
    Event::PlanDrafted(PlanDrafted { results: plan() })
}
/// `PlanSubmitted`.
pub fn submitted() -> Event {
    Event::PlanSubmitted(Empty {})
}
/// `PlanReturned` with a reason.
pub fn returned() -> Event {
    Event::PlanReturned(PlanReturned { reason: "target I2 terlalu rendah".into() })
}
/// `TargetsAgreed`.
pub fn agreed() -> Event {
    Event::TargetsAgreed(Empty {})
}
/// `FeedbackGiven` on results, about I3.
pub fn feedback() -> Event {
    Event::FeedbackGiven(FeedbackGiven {
        about: FeedbackAbout::Results,
        text: "laporan triwulan tepat waktu".into(),
        indicator_id: Some("I3".into()),
    })
}
/// `RealisationRecorded` of `indicator_id`.
pub fn realised(indicator_id: &str, value: u64) -> Event {
    Event::RealisationRecorded(RealisationRecorded { indicator_id: indicator_id.into(), value, evidence: None })
}
/// `ScoreGiven` at [`SCORED_AT`], so its window closes at [`OBJECTION_DUE`].
pub fn score_given(results: Rating, behaviour: Rating) -> Event {
    Event::ScoreGiven(ScoreGiven {
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: crate::predikat(results, behaviour),
        notes: None,
        objection_due: OBJECTION_DUE,
    })
}
/// The score of the standard story: results as expected, behaviour as expected (`baik`).
pub fn scored() -> Event {
    score_given(Rating::SesuaiEkspektasi, Rating::SesuaiEkspektasi)
}
/// `ScoreAccepted`.
pub fn accepted() -> Event {
    Event::ScoreAccepted(Empty {})
}
/// `ScoreObjected` at [`OBJECTED_AT`], so the forum is due at [`DECISION_DUE`].
pub fn objected() -> Event {
    Event::ScoreObjected(ScoreObjected {
        reason: "realisasi I1 melebihi target".into(),
        requested_results_rating: Some(Rating::DiAtasEkspektasi),
        requested_behaviour_rating: None,
        decision_due: DECISION_DUE,
    })
}
/// `ForumResolved` with the predikat of the ratings.
pub fn forum(outcome: ForumOutcome, results: Rating, behaviour: Rating, late: bool) -> Event {
    Event::ForumResolved(ForumResolved {
        outcome,
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: crate::predikat(results, behaviour),
        minutes: "berita acara forum".into(),
        late,
    })
}
/// The forum upholding [`scored`].
pub fn upheld() -> Event {
    forum(ForumOutcome::Upheld, Rating::SesuaiEkspektasi, Rating::SesuaiEkspektasi, false)
}
/// `ScoreFinalized` with the predikat of the ratings.
pub fn finalized(results: Rating, behaviour: Rating, via: FinalizedVia) -> Event {
    Event::ScoreFinalized(ScoreFinalized {
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: crate::predikat(results, behaviour),
        via,
        employee_nip: nip(EMPLOYEE_NIP),
    })
}

/// The rater's nomination of [`peer`] (as a peer) and [`nominee`] (as a subordinate).
pub fn nominated() -> Event {
    Event::EvaluatorsNominated(EvaluatorsNominated {
        evaluators: vec![
            Evaluator { nip: nip(PEER_NIP), name: "Rina Wijayanti".into(), relation: Relation::Peer },
            Evaluator { nip: nip(NOMINEE_NIP), name: "Andi Pratama".into(), relation: Relation::Subordinate },
        ],
    })
}

/// A dialogue held on [`START`]'s day.
pub fn dialogue() -> Event {
    Event::DialogueHeld(DialogueHeld {
        held_on: START.date(),
        topics: "capaian triwulan dan hambatan".into(),
        agreed_actions: vec!["menyusun SOP layanan".into()],
    })
}

/// `history` with [`nominated`] inserted just before its `TargetsAgreed` (or at the end).
pub fn with_nominations(mut events: Vec<Event>) -> Vec<Event> {
    let at = events.iter().position(|e| matches!(e, Event::TargetsAgreed(_))).unwrap_or(events.len());
    events.insert(at, nominated());
    events
}

/// `history` (an [`until`]) with its opening moved to a cycle evaluating by `kind` (WIB).
pub fn in_cycle(kind: PeriodKind, mut events: Vec<Event>) -> Vec<Event> {
    if let Some(first @ Event::AppraisalOpened(_)) = events.first_mut() {
        *first = opened_in(periodic_cycle(kind, 7));
    }
    events
}

/// The shortest history that leaves an appraisal in `status` (empty for `Absent`).
pub fn until(status: Status) -> Vec<Event> {
    use Status::*;
    let before = |s: Status, next: Event| {
        let mut events = until(s);
        events.push(next);
        events
    };
    let sesuai = Rating::SesuaiEkspektasi;
    match status {
        Absent => vec![],
        Opened => vec![opened()],
        PlanDrafted => before(Opened, drafted()),
        PlanSubmitted => before(PlanDrafted, submitted()),
        PlanReturned => before(PlanSubmitted, returned()),
        TargetsAgreed => before(PlanSubmitted, agreed()),
        Scored => before(TargetsAgreed, scored()),
        Accepted => before(Scored, accepted()),
        Objected => before(Scored, objected()),
        Resolved => before(Objected, upheld()),
        Final => before(Resolved, finalized(sesuai, sesuai, FinalizedVia::Forum)),
    }
}

// ---------------------------------------------------------------- commands

/// A command of `kind` whose values break no rule (for the tables of 403 and 409).
pub fn valid_command(kind: CommandKind) -> AppraisalCommand {
    use AppraisalCommand as C;
    use CommandKind::*;
    match kind {
        Open => C::Open { employee: the_employee(), rater: the_rater(), rater_superior: the_superior() },
        DraftPlan => C::DraftPlan { results: plan() },
        SubmitPlan => C::SubmitPlan,
        ReturnPlan => C::ReturnPlan { reason: "perbaiki target".into() },
        AgreeTargets => C::AgreeTargets,
        GiveFeedback => {
            C::GiveFeedback { about: FeedbackAbout::Behaviour, text: "kolaboratif".into(), indicator_id: None }
        }
        RecordRealisation => C::RecordRealisation { indicator_id: "I1".into(), value: 12, evidence: None },
        Score => C::Score {
            results_rating: Rating::SesuaiEkspektasi,
            behaviour_rating: Rating::SesuaiEkspektasi,
            notes: None,
        },
        Accept => C::Accept,
        Object => {
            C::Object { reason: "keberatan".into(), requested_results_rating: None, requested_behaviour_rating: None }
        }
        ResolveForum => C::ResolveForum {
            outcome: ForumOutcome::Upheld,
            results_rating: None,
            behaviour_rating: None,
            minutes: "berita acara".into(),
        },
        Finalize => C::Finalize,
        SetExpectations => C::SetExpectations {
            expectations: vec![Expectation { value: CoreValue::Kolaboratif, expectation: "berbagi data antarbidang".into() }],
        },
        HoldDialogue => C::HoldDialogue { held_on: START.date(), topics: "capaian triwulan".into(), agreed_actions: vec![] },
        AcknowledgeDialogue => C::AcknowledgeDialogue { dialogue_version: 1 },
        SelfAssess => C::SelfAssess {
            period: PeriodRef::annual(),
            results_rating: Rating::SesuaiEkspektasi,
            behaviour_rating: Rating::SesuaiEkspektasi,
            narrative: "target tercapai".into(),
        },
        NominateEvaluators => C::NominateEvaluators {
            evaluators: vec![Evaluator { nip: nip(NOMINEE_NIP), name: "Andi Pratama".into(), relation: Relation::Subordinate }],
        },
        EvaluatePeriod => C::EvaluatePeriod {
            period: period_id("2025-01"),
            results_rating: Rating::SesuaiEkspektasi,
            behaviour_rating: Rating::SesuaiEkspektasi,
            notes: None,
        },
        CorrectPeriod => C::CorrectPeriod {
            period: period_id("2025-01"),
            results_rating: Rating::SesuaiEkspektasi,
            behaviour_rating: Rating::SesuaiEkspektasi,
            reason: "salah input".into(),
        },
    }
}

/// Every kind decided by [`decide`] (opening is decided by `decide_open`).
pub const KINDS: [CommandKind; 18] = [
    CommandKind::DraftPlan,
    CommandKind::SubmitPlan,
    CommandKind::ReturnPlan,
    CommandKind::AgreeTargets,
    CommandKind::GiveFeedback,
    CommandKind::RecordRealisation,
    CommandKind::Score,
    CommandKind::Accept,
    CommandKind::Object,
    CommandKind::ResolveForum,
    CommandKind::Finalize,
    CommandKind::SetExpectations,
    CommandKind::HoldDialogue,
    CommandKind::AcknowledgeDialogue,
    CommandKind::SelfAssess,
    CommandKind::NominateEvaluators,
    CommandKind::EvaluatePeriod,
    CommandKind::CorrectPeriod,
];

// ---------------------------------------------------------------- envelopes

/// The command id of the history's event at `version`.
pub fn command_id(version: u64) -> Uuid {
    Uuid::from_u128(0xc000_0000 + u128::from(version))
}

fn role_of(event: &Event) -> (&'static str, ActorRole) {
    match event {
        Event::CycleOpened(_) | Event::AppraisalOpened(_) => (ADMIN_NIP, ActorRole::Admin),
        Event::PlanReturned(_) | Event::TargetsAgreed(_) | Event::FeedbackGiven(_) => (RATER_NIP, ActorRole::Rater),
        Event::ExpectationsSet(_) | Event::DialogueHeld(_) | Event::EvaluatorsNominated(_) => (RATER_NIP, ActorRole::Rater),
        Event::BehaviourRated(_) => (PEER_NIP, ActorRole::Peer),
        Event::PublicFeedbackRecorded(_) => (SERVICE_DESK_NIP, ActorRole::ServiceDesk),
        Event::ScoreGiven(_) | Event::ScoreFinalized(_) => (RATER_NIP, ActorRole::Rater),
        Event::ForumResolved(_) => (SUPERIOR_NIP, ActorRole::RaterSuperior),
        Event::PeriodEvaluated(_) | Event::PeriodEvaluationCorrected(_) => (RATER_NIP, ActorRole::Rater),
        Event::UnitCapaianSet(_) => (ADMIN_NIP, ActorRole::Admin),
        _ => (EMPLOYEE_NIP, ActorRole::Employee),
    }
}

/// The sealed envelope of `event` following `previous`, at `at`, by `actor`.
pub fn envelope(
    previous: Option<&Envelope>,
    event: Event,
    at: OffsetDateTime,
    actor: Actor,
    command: Uuid,
) -> Envelope {
    let version = previous.map_or(1, |p| p.version + 1);
    Envelope {
        event_id: Uuid::from_u128(0xe000_0000 + u128::from(version)),
        aggregate_type: AggregateType::Appraisal,
        aggregate_id: APPRAISAL_ID,
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

/// The survey's command id of the event at `version`.
pub fn survey_command_id(version: u64) -> Uuid {
    Uuid::from_u128(0x5000_0000 + u128::from(version))
}

/// The survey of the appraisal under test: each event by its caller at its time, versions
/// 1..n, command ids [`survey_command_id`], on the survey aggregate (the appraisal's id).
pub fn survey_history(events: Vec<(OffsetDateTime, Who, Event)>) -> Vec<Envelope> {
    let mut envelopes: Vec<Envelope> = Vec::new();
    for (at, who, event) in events {
        let version = envelopes.len() as u64 + 1;
        let role = who.role.expect("a caller who records");
        let mut next = envelope(envelopes.last(), event, at, Actor { nip: who.caller.nip, role }, survey_command_id(version));
        next.aggregate_type = AggregateType::Survey;
        next.event_id = Uuid::from_u128(0x5e00_0000 + u128::from(version));
        envelopes.push(next.seal().expect("events hold no floats"));
    }
    envelopes
}

/// Envelopes of `events` at the given times: versions 1..n, command ids [`command_id`].
pub fn history_at(events: Vec<(OffsetDateTime, Event)>) -> Vec<Envelope> {
    let mut envelopes: Vec<Envelope> = Vec::new();
    for (at, event) in events {
        let (raw, role) = role_of(&event);
        let version = envelopes.len() as u64 + 1;
        let next = envelope(envelopes.last(), event, at, Actor { nip: nip(raw), role }, command_id(version));
        envelopes.push(next);
    }
    envelopes
}

/// Envelopes of `events`, one day apart from [`START`].
pub fn history(events: Vec<Event>) -> Vec<Envelope> {
    history_at(events.into_iter().zip(0..).map(|(e, day)| (START + Duration::days(day), e)).collect())
}

// ---------------------------------------------------------------- given / when / then

/// A history and the state it leaves.
#[derive(Debug, Clone)]
pub struct Given {
    /// The history so far, sealed.
    pub envelopes: Vec<Envelope>,
    /// The state after it.
    pub state: Appraisal,
}

/// The events of `events`, one day apart from [`START`].
pub fn given(events: Vec<Event>) -> Given {
    given_envelopes(history(events))
}

/// The events at the times given.
pub fn given_at(events: Vec<(OffsetDateTime, Event)>) -> Given {
    given_envelopes(history_at(events))
}

fn given_envelopes(envelopes: Vec<Envelope>) -> Given {
    let state = Appraisal::from_events(APPRAISAL_ID, &envelopes);
    Given { envelopes, state }
}

impl Given {
    /// The command under test, with the next version's [`command_id`], by the [`natural`]
    /// caller, an hour after the last event.
    pub fn when(self, body: AppraisalCommand) -> When {
        let now = self.envelopes.last().map_or(START, |e| e.occurred_at) + Duration::hours(1);
        let (who, id) = (natural(body.kind()), command_id(self.state.version + 1));
        When { given: self, command: Command { id, body }, who, now }
    }
}

/// A command about to be decided.
#[derive(Debug, Clone)]
pub struct When {
    given: Given,
    command: Command,
    who: Who,
    now: OffsetDateTime,
}

impl When {
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
        let ctx = Ctx { caller: self.who.caller.clone(), now: self.now };
        decide(&self.given.state, &self.command, &ctx)
    }

    /// Asserts the command records `expected` in the caller's role; returns the history with
    /// it appended, so a story can go on.
    pub fn then(self, expected: Event) -> Given {
        let role = self.who.role.expect("this caller records nothing: use then_err");
        assert_recorded(self.decide(), &expected, role);
        let mut envelopes = self.given.envelopes;
        let actor = Actor { nip: self.who.caller.nip.clone(), role };
        let next = envelope(envelopes.last(), expected, self.now, actor, self.command.id);
        envelopes.push(next);
        given_envelopes(envelopes)
    }

    /// Asserts the refusal's code and its HTTP status; returns it for a closer look.
    pub fn then_err(self, code: &str) -> DomainError {
        assert_refused(self.decide(), code)
    }
}

/// Asserts a decision records `expected` in `role`.
#[track_caller]
pub fn assert_recorded(decision: Result<Decision, DomainError>, expected: &Event, role: ActorRole) {
    match decision {
        Ok(Decision::Record { event, role: actual }) => {
            assert_eq!(&event, expected, "the event recorded");
            assert_eq!(actual, role, "the role in which the caller acted");
        }
        other => panic!("expected {} by {role:?}, got {other:?}", expected.type_name()),
    }
}

/// Asserts a refusal with `code`.
#[track_caller]
pub fn assert_refused(decision: Result<Decision, DomainError>, code: &str) -> DomainError {
    match decision {
        Err(error) => {
            assert_eq!(error.code(), code, "{error}");
            error
        }
        Ok(decision) => panic!("expected {code}, got {decision:?}"),
    }
}

