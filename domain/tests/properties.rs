//! Property tests of the appraisal rules: random sequences of commands, by random callers,
//! at random (forward-moving) times, some with repeated command ids, decided by
//! `skp_domain::appraisal::decide` and applied by `Appraisal::apply` to an opened appraisal.
//!
//! Properties checked after every step:
//! - versions run 1..n without a gap, and the state's version is n;
//! - once `final`, every further command is refused, and the state never changes;
//! - every recorded `ScoreGiven`, `ForumResolved` and `ScoreFinalized` carries
//!   `predikat(results, behaviour)`;
//! - rebuilding the state from the recorded envelopes equals the live state;
//! - a repeated command id is decided like any other (the command path, not the rules,
//!   answers a handled id: `skp_domain::idempotency`);
//! - refusals change nothing;
//! - inspectors never record anything, peers only feedback and only once the rater has
//!   nominated them, the hash chain stays intact;
//! - in a monthly cycle: a period is evaluated only once it has ended and only once,
//!   corrected only before it locks, and the annual score only once every ended period is
//!   evaluated; and the audit's check 7 (`periods_complete`) passes on whatever they decided.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use skp_domain::appraisal::{decide, Appraisal, AppraisalCommand as C, Command, CommandKind, Status};
use skp_domain::appraisal::periodic;
use skp_domain::period::Calendar;
use skp_domain::testing::{
    envelope, nip, opened, opened_in, periodic_cycle, period_id, plan, APPRAISAL_ID, ADMIN_NIP, EMPLOYEE_NIP, INSPECTOR_NIP, PEER_NIP,
    RATER_NIP, START, SUPERIOR_NIP,
};
use skp_events::period::PeriodKind;
use skp_domain::{predikat, Caller, Ctx, Decision};
use skp_events::values::{FeedbackAbout, ForumOutcome};
use skp_events::voices::{CoreValue, Evaluator, Expectation, PeriodRef, Relation};
use skp_events::{Actor, ActorRole, Envelope, Event, Rating};
use std::collections::HashSet;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

// ---------------------------------------------------------------- callers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Employee,
    Rater,
    Superior,
    Peer,
    Admin,
    Inspector,
}

const EVERYONE: [Who; 6] = [Who::Employee, Who::Rater, Who::Superior, Who::Peer, Who::Admin, Who::Inspector];

fn caller(who: Who) -> Caller {
    let (raw, admin, inspector) = match who {
        Who::Employee => (EMPLOYEE_NIP, false, false),
        Who::Rater => (RATER_NIP, false, false),
        Who::Superior => (SUPERIOR_NIP, false, false),
        Who::Peer => (PEER_NIP, false, false),
        Who::Admin => (ADMIN_NIP, true, false),
        Who::Inspector => (INSPECTOR_NIP, false, true),
    };
    Caller { nip: nip(raw), admin, inspector, service_desk: false }
}

/// The roles in which `who` may issue `kind` (docs/domain.md "Who may do what") on
/// `state`, if at all: a peer gives feedback only while the rater's nomination names them.
fn expected_role(state: &Appraisal, who: Who, kind: CommandKind) -> Option<ActorRole> {
    use CommandKind::*;
    match (who, kind) {
        (Who::Inspector, _) => None,
        (Who::Employee, DraftPlan | SubmitPlan | RecordRealisation | Accept | Object | AcknowledgeDialogue | SelfAssess) => {
            Some(ActorRole::Employee)
        }
        (
            Who::Rater,
            ReturnPlan | AgreeTargets | Score | Finalize | GiveFeedback | SetExpectations | HoldDialogue | NominateEvaluators | EvaluatePeriod | CorrectPeriod,
        ) => Some(ActorRole::Rater),
        (Who::Superior, GiveFeedback | ResolveForum) => Some(ActorRole::RaterSuperior),
        (Who::Peer, GiveFeedback) => state.voices.evaluator(&nip(PEER_NIP)).map(|_| ActorRole::Peer),
        (Who::Admin, Finalize) => Some(ActorRole::Admin),
        _ => None,
    }
}

/// A caller whose job `kind` is (the first of several, by `pick`).
fn natural(kind: CommandKind, pick: u8) -> Who {
    use CommandKind::*;
    match kind {
        Open | DraftPlan | SubmitPlan | RecordRealisation | Accept | Object => Who::Employee,
        ReturnPlan | AgreeTargets | Score | SetExpectations | HoldDialogue | NominateEvaluators | EvaluatePeriod | CorrectPeriod => Who::Rater,
        AcknowledgeDialogue | SelfAssess => Who::Employee,
        ResolveForum => Who::Superior,
        Finalize => [Who::Rater, Who::Admin][usize::from(pick % 2)],
        GiveFeedback => [Who::Rater, Who::Superior, Who::Peer, Who::Admin][usize::from(pick % 4)],
    }
}

/// The rater nominating (or, with `false`, withdrawing) the peer.
fn nomination(peer: bool) -> C {
    let evaluators = if peer { vec![Evaluator { nip: nip(PEER_NIP), name: "Rina".into(), relation: Relation::Peer }] } else { vec![] };
    C::NominateEvaluators { evaluators }
}

// ---------------------------------------------------------------- strategies

fn rating() -> impl Strategy<Value = Rating> {
    prop_oneof![Just(Rating::DiAtasEkspektasi), Just(Rating::SesuaiEkspektasi), Just(Rating::DiBawahEkspektasi)]
}

/// Mostly meaningful text, sometimes empty (a 422).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![4 => Just("catatan yang jelas".to_owned()), 1 => Just(String::new()), 1 => Just("   ".to_owned())]
}

fn indicator_id() -> impl Strategy<Value = String> {
    prop_oneof![Just("I1".to_owned()), Just("I2".to_owned()), Just("I3".to_owned()), Just("I9".to_owned())]
}

fn any_command() -> impl Strategy<Value = C> {
    prop_oneof![
        prop_oneof![4 => Just(plan()), 1 => Just(vec![])].prop_map(|results| C::DraftPlan { results }),
        Just(C::SubmitPlan),
        text().prop_map(|reason| C::ReturnPlan { reason }),
        Just(C::AgreeTargets),
        (any::<bool>(), text(), proptest::option::of(indicator_id())).prop_map(|(results, text, indicator_id)| {
            C::GiveFeedback {
                about: if results { FeedbackAbout::Results } else { FeedbackAbout::Behaviour },
                text,
                indicator_id,
            }
        }),
        (indicator_id(), 0..200u64, proptest::option::of(Just("ND-2025/117".to_owned())))
            .prop_map(|(indicator_id, value, evidence)| C::RecordRealisation { indicator_id, value, evidence }),
        (rating(), rating()).prop_map(|(results_rating, behaviour_rating)| C::Score {
            results_rating,
            behaviour_rating,
            notes: None
        }),
        Just(C::Accept),
        (text(), proptest::option::of(rating())).prop_map(|(reason, requested)| C::Object {
            reason,
            requested_results_rating: requested,
            requested_behaviour_rating: None,
        }),
        (any::<bool>(), proptest::option::of(rating()), proptest::option::of(rating()), text()).prop_map(
            |(revised, results_rating, behaviour_rating, minutes)| C::ResolveForum {
                outcome: if revised { ForumOutcome::Revised } else { ForumOutcome::Upheld },
                results_rating,
                behaviour_rating,
                minutes,
            }
        ),
        Just(C::Finalize),
        any::<bool>().prop_map(nomination),
        (text(), proptest::option::of(Just(START.date()))).prop_map(|(topics, day)| C::HoldDialogue {
            held_on: day.unwrap_or(START.date() + Duration::days(800)),
            topics,
            agreed_actions: vec![],
        }),
        (1..30u64).prop_map(|dialogue_version| C::AcknowledgeDialogue { dialogue_version }),
        (rating(), rating(), text()).prop_map(|(results_rating, behaviour_rating, narrative)| C::SelfAssess {
            period: PeriodRef::annual(),
            results_rating,
            behaviour_rating,
            narrative,
        }),
        text().prop_map(|expectation| C::SetExpectations { expectations: vec![Expectation { value: CoreValue::Loyal, expectation }] }),
        (1..=12u8, rating(), rating(), proptest::option::of(text())).prop_map(|(month, results_rating, behaviour_rating, notes)| {
            C::EvaluatePeriod { period: month_of_2025(month), results_rating, behaviour_rating, notes }
        }),
        (1..=12u8, rating(), rating(), text()).prop_map(|(month, results_rating, behaviour_rating, reason)| {
            C::CorrectPeriod { period: month_of_2025(month), results_rating, behaviour_rating, reason }
        }),
    ]
}

fn month_of_2025(month: u8) -> skp_events::period::PeriodId {
    period_id(&format!("2025-{month:02}"))
}

/// Which caller sends a step's command.
#[derive(Debug, Clone)]
enum By {
    /// The person whose job the command is.
    Natural(u8),
    /// Anyone.
    Anyone(Who),
}

/// Which command id a step carries.
#[derive(Debug, Clone)]
enum Id {
    Fresh,
    /// One used before (by index, modulo the ids used so far).
    Repeat(usize),
}

#[derive(Debug, Clone)]
struct Step {
    command: C,
    /// If set, replace `command` by a valid command of a kind the current status allows
    /// (picked by this number), so that runs get through the whole lifecycle.
    guided: Option<(u8, Rating, Rating)>,
    by: By,
    id: Id,
    /// Minutes since the previous step (forward only).
    after_minutes: i64,
}

fn step() -> impl Strategy<Value = Step> {
    let by = prop_oneof![3 => any::<u8>().prop_map(By::Natural), 1 => proptest::sample::select(EVERYONE.to_vec()).prop_map(By::Anyone)];
    let id = prop_oneof![5 => Just(Id::Fresh), 1 => any::<usize>().prop_map(Id::Repeat)];
    // Mostly minutes to a couple of days; sometimes past the 14-day objection window or the
    // 30-day decision window.
    let after = prop_oneof![
        6 => 0..(3 * 24 * 60i64),
        1 => (13 * 24 * 60i64)..(16 * 24 * 60i64),
        1 => (29 * 24 * 60i64)..(40 * 24 * 60i64),
    ];
    let guided = proptest::option::weighted(0.6, (any::<u8>(), rating(), rating()));
    (any_command(), guided, by, id, after)
        .prop_map(|(command, guided, by, id, after_minutes)| Step { command, guided, by, id, after_minutes })
}

/// A valid command of a kind the lifecycle allows from `state`'s status (any kind once
/// final); while the targets are agreed, the newest pending period's evaluation too (the
/// newest, so that it is still open to a correction).
fn guided(state: &Appraisal, now: OffsetDateTime, pick: u8, results: Rating, behaviour: Rating) -> C {
    use CommandKind::*;
    let status = state.status;
    let kinds: &[CommandKind] = match status {
        Status::Absent | Status::Opened | Status::PlanReturned => &[DraftPlan, DraftPlan, NominateEvaluators],
        Status::PlanDrafted => &[DraftPlan, SubmitPlan, SubmitPlan],
        Status::PlanSubmitted => &[ReturnPlan, AgreeTargets, AgreeTargets],
        Status::TargetsAgreed => &[GiveFeedback, RecordRealisation, Score, HoldDialogue, SelfAssess, EvaluatePeriod, EvaluatePeriod, EvaluatePeriod, CorrectPeriod, CorrectPeriod],
        Status::Scored => &[Accept, Object, Finalize],
        Status::Accepted | Status::Resolved => &[Finalize],
        Status::Objected => &[ResolveForum],
        Status::Final => &[DraftPlan, SubmitPlan, AgreeTargets, GiveFeedback, Score, Accept, Object, ResolveForum, Finalize],
    };
    match kinds[usize::from(pick) % kinds.len()] {
        DraftPlan => C::DraftPlan { results: plan() },
        SubmitPlan => C::SubmitPlan,
        ReturnPlan => C::ReturnPlan { reason: "perbaiki target".into() },
        AgreeTargets => C::AgreeTargets,
        GiveFeedback => C::GiveFeedback { about: FeedbackAbout::Behaviour, text: "kolaboratif".into(), indicator_id: None },
        RecordRealisation => C::RecordRealisation { indicator_id: "I1".into(), value: 12, evidence: None },
        Score => C::Score { results_rating: results, behaviour_rating: behaviour, notes: None },
        Accept => C::Accept,
        Object => C::Object { reason: "keberatan".into(), requested_results_rating: Some(results), requested_behaviour_rating: None },
        ResolveForum if pick.is_multiple_of(2) => C::ResolveForum {
            outcome: ForumOutcome::Revised,
            results_rating: Some(results),
            behaviour_rating: Some(behaviour),
            minutes: "berita acara".into(),
        },
        ResolveForum => C::ResolveForum {
            outcome: ForumOutcome::Upheld,
            results_rating: None,
            behaviour_rating: None,
            minutes: "berita acara".into(),
        },
        NominateEvaluators => nomination(true),
        HoldDialogue => C::HoldDialogue { held_on: START.date(), topics: "capaian".into(), agreed_actions: vec![] },
        SelfAssess => C::SelfAssess { period: PeriodRef::annual(), results_rating: results, behaviour_rating: behaviour, narrative: "capaian".into() },
        EvaluatePeriod => match periodic::pending(state, now).last() {
            Some(&period) => C::EvaluatePeriod { period, results_rating: results, behaviour_rating: behaviour, notes: None },
            None => C::GiveFeedback { about: FeedbackAbout::Results, text: "tepat waktu".into(), indicator_id: None },
        },
        CorrectPeriod => {
            let period = state.periods.keys().next_back().copied().unwrap_or_else(|| month_of_2025(1));
            C::CorrectPeriod { period, results_rating: results, behaviour_rating: behaviour, reason: "salah input".into() }
        }
        Finalize | Open | SetExpectations | AcknowledgeDialogue => C::Finalize,
    }
}

// ---------------------------------------------------------------- the properties

fn check_predikat(event: &Event) {
    match event {
        Event::ScoreGiven(s) => assert_eq!(s.predikat, predikat(s.results_rating, s.behaviour_rating), "{event:?}"),
        Event::ForumResolved(f) => assert_eq!(f.predikat, predikat(f.results_rating, f.behaviour_rating), "{event:?}"),
        Event::ScoreFinalized(f) => assert_eq!(f.predikat, predikat(f.results_rating, f.behaviour_rating), "{event:?}"),
        Event::PeriodEvaluated(e) => assert_eq!(e.predikat, predikat(e.results_rating, e.behaviour_rating), "{event:?}"),
        Event::PeriodEvaluationCorrected(c) => assert_eq!(c.predikat, predikat(c.results_rating, c.behaviour_rating), "{event:?}"),
        _ => {}
    }
}

fn check_invariants(envelopes: &[Envelope], state: &Appraisal) {
    for (i, e) in envelopes.iter().enumerate() {
        assert_eq!(e.version, i as u64 + 1, "versions run 1..n without a gap");
    }
    assert_eq!(state.version, envelopes.len() as u64, "the state's version is the number of events");
    assert_eq!(&Appraisal::from_events(APPRAISAL_ID, envelopes), state, "replay equals the live state");
    let ids: HashSet<Uuid> = envelopes.iter().map(|e| e.command_id).collect();
    assert_eq!(ids.len(), envelopes.len(), "a command id yields at most one event");
    let times: Vec<_> = envelopes.iter().map(|e| e.occurred_at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "time only moves forward");
}

/// What the periodic rules promise of a recorded event, decided at `now` on `state`.
fn check_periodic(state: &Appraisal, event: &Event, now: OffsetDateTime) {
    let calendar = Calendar::of_appraisal(state.opened.as_ref().expect("opened"));
    match event {
        Event::PeriodEvaluated(e) => {
            assert!(calendar.has_ended(e.period, now), "{} evaluated before it ended", e.period);
            assert!(!state.periods.contains_key(&e.period), "{} evaluated twice", e.period);
        }
        Event::PeriodEvaluationCorrected(c) => {
            assert!(state.periods.contains_key(&c.period) && !calendar.is_locked(c.period, now), "{} corrected unevaluated or locked", c.period);
        }
        Event::ScoreGiven(_) => assert_eq!(periodic::pending(state, now), vec![], "scored with periods pending"),
        _ => {}
    }
}

fn run(steps: &[Step]) -> (Vec<Envelope>, Appraisal) {
    run_in(opened(), steps)
}

fn run_in(opening: Event, steps: &[Step]) -> (Vec<Envelope>, Appraisal) {
    let first = Uuid::from_u128(0xc000_0001);
    let admin = Actor { nip: nip(ADMIN_NIP), role: ActorRole::Admin };
    let mut envelopes = vec![envelope(None, opening, START, admin, first)];
    let mut state = Appraisal::from_events(APPRAISAL_ID, &envelopes);
    let mut used: Vec<Uuid> = vec![first];
    let mut now = START;
    let mut fresh = 1u128;

    for step in steps {
        now += Duration::minutes(step.after_minutes);
        let body = match step.guided {
            Some((pick, results, behaviour)) => guided(&state, now, pick, results, behaviour),
            None => step.command.clone(),
        };
        let kind = body.kind();
        let who = match step.by {
            By::Natural(pick) => natural(kind, pick),
            By::Anyone(who) => who,
        };
        let id = match step.id {
            Id::Fresh => {
                fresh += 1;
                let id = Uuid::from_u128(0xc000_0000 + fresh);
                used.push(id);
                id
            }
            Id::Repeat(i) => used[i % used.len()],
        };
        if envelopes.iter().any(|e| e.command_id == id) {
            // A handled id never reaches the rules: the command path answers it with the
            // original result (`skp_domain::idempotency::replay`, tested in the store's bus).
            continue;
        }
        let ctx = Ctx { caller: caller(who), now };
        let command = Command { id, body };
        let before = state.clone();
        let decision = decide(&state, &command, &ctx);

        if before.status == Status::Final {
            assert!(decision.is_err(), "nothing follows final: {command:?} by {who:?} gave {decision:?}");
        }
        match decision {
            Ok(Decision::Record { event, role }) => {
                assert_eq!(Some(role), expected_role(&before, who, kind), "{kind:?} by {who:?} recorded as {role:?}");
                check_predikat(&event);
                check_periodic(&state, &event, now);
                if let Event::ScoreFinalized(done) = &event {
                    let standing = match (&state.forum, &state.score) {
                        (Some((f, _)), _) => (f.results_rating, f.behaviour_rating, f.predikat),
                        (None, Some((s, _))) => (s.results_rating, s.behaviour_rating, s.predikat),
                        (None, None) => panic!("finalized without a score"),
                    };
                    assert_eq!((done.results_rating, done.behaviour_rating, done.predikat), standing);
                }
                let actor = Actor { nip: ctx.caller.nip.clone(), role };
                let next = envelope(envelopes.last(), event, now, actor, id);
                state.apply(&next);
                envelopes.push(next);
                assert_eq!(state.version, before.version + 1);
            }
            Err(error) => {
                assert!(!error.code().is_empty() && !error.to_string().is_empty(), "{error:?}");
                if expected_role(&before, who, kind).is_none() {
                    assert_eq!(error.code(), "forbidden", "{kind:?} by {who:?}");
                }
                assert_eq!(state, before, "a refusal changes nothing");
            }
        }
        if before.status == Status::Final {
            assert_eq!(state, before, "the state never changes once final");
        }
        check_invariants(&envelopes, &state);
    }

    for e in &envelopes {
        check_predikat(&e.event);
    }
    let stored: Vec<_> = envelopes.iter().map(|e| serde_json::to_value(e).expect("json")).collect();
    assert_eq!(skp_events::chain::verify_chain(&stored), vec![], "the hash chain is intact");
    let report = skp_domain::audit::audit(&envelopes, &[]);
    let periods = report.checks.iter().find(|c| c.name == skp_domain::audit::PERIODS_COMPLETE).expect("check 7");
    assert!(periods.passed, "what the rules decided passes the audit's check 7: {periods:?}");
    (envelopes, state)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, max_shrink_iters: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_keep_every_invariant(steps in proptest::collection::vec(step(), 1..60)) {
        run(&steps);
    }

    #[test]
    fn random_command_sequences_in_a_monthly_cycle_keep_every_invariant(steps in proptest::collection::vec(step(), 1..80)) {
        run_in(opened_in(periodic_cycle(PeriodKind::Monthly, 8)), &steps);
    }
}

/// The monthly generator does evaluate periods and does reach a score past them.
#[test]
fn random_monthly_runs_do_evaluate_periods_and_score_after_them() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(Config::default().rng_algorithm));
    let strategy = proptest::collection::vec(step(), 60..80);
    let (mut evaluated, mut corrected, mut scored_after_periods) = (0, 0, 0);
    for _ in 0..200 {
        let steps = strategy.new_tree(&mut runner).expect("a tree").current();
        let (envelopes, state) = run_in(opened_in(periodic_cycle(PeriodKind::Monthly, 8)), &steps);
        evaluated += state.periods.len();
        corrected += state.periods.values().map(|r| r.corrections.len()).sum::<usize>();
        let score = envelopes.iter().position(|e| matches!(e.event, Event::ScoreGiven(_)));
        if score.is_some_and(|at| envelopes[..at].iter().any(|e| matches!(e.event, Event::PeriodEvaluated(_)))) {
            scored_after_periods += 1;
        }
    }
    assert!(evaluated >= 100, "only {evaluated} periods evaluated in 200 runs");
    assert!(corrected >= 10, "only {corrected} corrections in 200 runs");
    assert!(scored_after_periods >= 10, "only {scored_after_periods} runs scored after evaluating periods");
}

/// The generator does reach `final` (else the "nothing follows final" property would be
/// vacuous): a fixed seed's worth of random runs, counted.
#[test]
fn random_runs_do_reach_final_and_the_objection_paths() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(Config::default().rng_algorithm));
    let strategy = proptest::collection::vec(step(), 40..60);
    let (mut finals, mut objected, mut beyond_final) = (0, 0, 0);
    for _ in 0..200 {
        let steps = strategy.new_tree(&mut runner).expect("a tree").current();
        let (envelopes, state) = run(&steps);
        if state.status == Status::Final {
            finals += 1;
            let at = envelopes.iter().position(|e| matches!(e.event, Event::ScoreFinalized(_))).expect("final");
            if at + 1 == envelopes.len() {
                beyond_final += 1;
            }
        }
        if state.objection.is_some() {
            objected += 1;
        }
    }
    assert!(finals >= 20, "only {finals} of 200 runs reached final");
    assert!(objected >= 5, "only {objected} of 200 runs saw an objection");
    assert_eq!(beyond_final, finals, "no event after ScoreFinalized");
}
