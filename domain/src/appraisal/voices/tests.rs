//! The appraisal's voice commands, decision by decision (given/when/then), and what they
//! leave in the state and the view.

use crate::appraisal::{AppraisalCommand as C, Status::*};
use crate::testing::*;
use crate::view::AppraisalView;
use skp_events::voices::{
    CoreValue, DialogueAcknowledged, DialogueHeld, Evaluator, EvaluatorsNominated, Expectation, ExpectationsSet, PeriodRef,
    Relation, SelfAssessed,
};
use skp_events::period::PeriodKind;
use skp_events::{Event, Rating::*};
use time::macros::{date, datetime};
use time::Duration;

fn expectation(value: CoreValue, text: &str) -> Expectation {
    Expectation { value, expectation: text.into() }
}

fn expectations(items: Vec<Expectation>) -> C {
    C::SetExpectations { expectations: items }
}

fn dialogue_on(held_on: time::Date, topics: &str, actions: usize) -> C {
    C::HoldDialogue { held_on, topics: topics.into(), agreed_actions: (0..actions).map(|i| format!("tindak lanjut {i}")).collect() }
}

fn self_assess(period: &str, narrative: &str) -> C {
    C::SelfAssess {
        period: PeriodRef::parse(period).expect("a period"),
        results_rating: DiAtasEkspektasi,
        behaviour_rating: SesuaiEkspektasi,
        narrative: narrative.into(),
    }
}

fn evaluator(raw: &str, relation: Relation) -> Evaluator {
    Evaluator { nip: nip(raw), name: format!("Pegawai {raw}"), relation }
}

fn nominate(evaluators: Vec<Evaluator>) -> C {
    C::NominateEvaluators { evaluators }
}

/// A valid NIP that is nobody's in the standard story: the `n`-th colleague.
fn colleague(n: u32) -> String {
    format!("199001{:02}2015011{:03}", 10 + n % 10, 100 + n)
}

// ---------------------------------------------------------------- expectations

#[test]
fn the_rater_sets_expectations_while_the_plan_is_submitted_or_the_targets_agreed_and_the_last_set_stands() {
    let first = vec![expectation(CoreValue::BerorientasiPelayanan, "layanan paling lambat 2 hari")];
    let second = vec![expectation(CoreValue::Akuntabel, "laporan tepat waktu"), expectation(CoreValue::Kolaboratif, "berbagi data")];
    let story = given(until(PlanSubmitted))
        .when(expectations(first.clone()))
        .then(Event::ExpectationsSet(ExpectationsSet { expectations: first }))
        .when(C::AgreeTargets)
        .then(agreed())
        .when(expectations(second.clone()))
        .then(Event::ExpectationsSet(ExpectationsSet { expectations: second.clone() }));
    let view = AppraisalView::of(&story.state).expect("opened");
    assert_eq!(view.expectations, second);
}

#[test]
fn expectations_name_at_least_one_value_each_value_once_each_with_a_text() {
    given(until(TargetsAgreed)).when(expectations(vec![])).then_err("invalid_value");
    let twice = vec![expectation(CoreValue::Loyal, "a"), expectation(CoreValue::Loyal, "b")];
    given(until(TargetsAgreed)).when(expectations(twice)).then_err("invalid_value");
    given(until(TargetsAgreed)).when(expectations(vec![expectation(CoreValue::Loyal, "  ")])).then_err("invalid_text");
}

#[test]
fn nobody_but_the_rater_sets_expectations_and_not_once_scored() {
    for who in [employee(), superior(), admin(), peer()] {
        given(until(TargetsAgreed)).when(valid_command(crate::appraisal::CommandKind::SetExpectations)).by(who).then_err("forbidden");
    }
    given(until(Scored)).when(valid_command(crate::appraisal::CommandKind::SetExpectations)).then_err("invalid_transition");
}

// ---------------------------------------------------------------- dialogues

#[test]
fn the_rater_records_a_dialogue_with_its_topics_and_agreed_actions() {
    given(until(TargetsAgreed)).when(dialogue_on(date!(2025 - 01 - 08), "capaian triwulan", 2)).then(Event::DialogueHeld(DialogueHeld {
        held_on: date!(2025 - 01 - 08),
        topics: "capaian triwulan".into(),
        agreed_actions: vec!["tindak lanjut 0".into(), "tindak lanjut 1".into()],
    }));
}

#[test]
fn a_dialogue_may_be_dated_today_anywhere_in_indonesia_but_not_later() {
    // 15:00 UTC is midnight in WIT (UTC+9): the 11th has begun in Papua.
    let now = datetime!(2025-01-10 15:00 UTC);
    assert!(given(until(TargetsAgreed)).when(dialogue_on(date!(2025 - 01 - 11), "x", 0)).at(now).decide().is_ok());
    given(until(TargetsAgreed)).when(dialogue_on(date!(2025 - 01 - 12), "x", 0)).at(now).then_err("invalid_date");
    given(until(TargetsAgreed)).when(dialogue_on(date!(2025 - 01 - 11), "x", 0)).at(now - Duration::seconds(1)).then_err("invalid_date");
}

#[test]
fn a_dialogue_before_the_year_before_the_cycle_a_blank_topic_or_too_many_actions_is_refused() {
    given(until(TargetsAgreed)).when(dialogue_on(date!(2023 - 12 - 31), "x", 0)).then_err("invalid_date");
    assert!(given(until(TargetsAgreed)).when(dialogue_on(date!(2024 - 01 - 01), "x", 0)).decide().is_ok());
    given(until(TargetsAgreed)).when(dialogue_on(date!(2025 - 01 - 08), " ", 0)).then_err("invalid_text");
    given(until(TargetsAgreed)).when(dialogue_on(date!(2025 - 01 - 08), "x", 51)).then_err("invalid_value");
    let blank_action = C::HoldDialogue { held_on: date!(2025 - 01 - 08), topics: "x".into(), agreed_actions: vec!["".into()] };
    given(until(TargetsAgreed)).when(blank_action).then_err("invalid_text");
}

#[test]
fn dialogues_are_held_only_while_the_targets_are_agreed() {
    for status in [PlanSubmitted, Scored, Final] {
        given(until(status)).when(dialogue_on(date!(2025 - 01 - 08), "x", 0)).at(OBJECTION_DUE).then_err("invalid_transition");
    }
}

#[test]
fn the_employee_acknowledges_a_dialogue_once_even_after_the_score() {
    let mut events = until(TargetsAgreed);
    events.push(dialogue());
    let held_at = events.len() as u64;
    events.push(scored());
    let acknowledged = given(events)
        .when(C::AcknowledgeDialogue { dialogue_version: held_at })
        .then(Event::DialogueAcknowledged(DialogueAcknowledged { dialogue_version: held_at }));
    let error = acknowledged.clone().when(C::AcknowledgeDialogue { dialogue_version: held_at }).then_err("already_acknowledged");
    assert!(error.to_string().contains(&format!("version {held_at}")), "{error}");
    let view = AppraisalView::of(&acknowledged.state).expect("opened");
    assert_eq!(view.dialogues.len(), 1);
    assert_eq!(view.dialogues[0].version, held_at);
    assert!(view.dialogues[0].acknowledged_at.is_some());
}

#[test]
fn acknowledging_a_version_that_is_no_dialogue_is_not_found_but_only_for_the_employee() {
    let mut events = until(TargetsAgreed);
    events.push(dialogue());
    for version in [0, 1, 4, 99] {
        given(events.clone()).when(C::AcknowledgeDialogue { dialogue_version: version }).then_err("not_found");
    }
    given(events.clone()).when(C::AcknowledgeDialogue { dialogue_version: 99 }).by(rater()).then_err("forbidden");
    given(until(Final)).when(C::AcknowledgeDialogue { dialogue_version: 1 }).then_err("invalid_transition");
}

// ---------------------------------------------------------------- self-assessment

#[test]
fn the_employee_assesses_the_year_and_any_period_of_it_and_the_last_one_stands() {
    let story = given(in_cycle(PeriodKind::Monthly, until(TargetsAgreed)))
        .when(self_assess("annual", "target tercapai"))
        .then(Event::SelfAssessed(SelfAssessed {
            period: PeriodRef::annual(),
            results_rating: DiAtasEkspektasi,
            behaviour_rating: SesuaiEkspektasi,
            narrative: "target tercapai".into(),
        }))
        .when(self_assess("2025-03", "maret baik"))
        .then(Event::SelfAssessed(SelfAssessed {
            period: PeriodRef::parse("2025-03").expect("a period"),
            results_rating: DiAtasEkspektasi,
            behaviour_rating: SesuaiEkspektasi,
            narrative: "maret baik".into(),
        }))
        .when(self_assess("annual", "setelah dipikir lagi"))
        .then(Event::SelfAssessed(SelfAssessed {
            period: PeriodRef::annual(),
            results_rating: DiAtasEkspektasi,
            behaviour_rating: SesuaiEkspektasi,
            narrative: "setelah dipikir lagi".into(),
        }));
    let view = AppraisalView::of(&story.state).expect("opened");
    let standing: Vec<(String, String)> = view.self_assessments.iter().map(|s| (s.period.to_string(), s.narrative.clone())).collect();
    assert_eq!(standing, [("2025-03".to_owned(), "maret baik".to_owned()), ("annual".to_owned(), "setelah dipikir lagi".to_owned())]);
    assert_eq!(story.state.score, None, "a self-assessment never changes a score or a predikat");
}

#[test]
fn a_self_assessment_names_a_period_of_the_cycles_kind_and_year_and_a_narrative() {
    let semester = || given(in_cycle(PeriodKind::Semester, until(TargetsAgreed)));
    semester().when(self_assess("2024-S2", "x")).then_err("invalid_period");
    semester().when(self_assess("2025-Q1", "x")).then_err("invalid_period");
    semester().when(self_assess("2025-S1", "")).then_err("invalid_text");
    given(until(TargetsAgreed)).when(self_assess("2025-03", "x")).then_err("invalid_period");
}

#[test]
fn once_the_rater_has_evaluated_a_period_its_self_assessment_is_too_late_and_the_next_ones_is_not() {
    let mut events = in_cycle(PeriodKind::Monthly, until(TargetsAgreed));
    events.push(evaluated("2025-01", SesuaiEkspektasi, SesuaiEkspektasi));
    given(events.clone()).when(self_assess("2025-01", "januari")).then_err("already_evaluated");
    given(events).when(self_assess("2025-02", "februari")).then(Event::SelfAssessed(SelfAssessed {
        period: PeriodRef::parse("2025-02").expect("a period"),
        results_rating: DiAtasEkspektasi,
        behaviour_rating: SesuaiEkspektasi,
        narrative: "februari".into(),
    }));
}

#[test]
fn once_the_rater_has_scored_a_self_assessment_is_too_late() {
    for status in [Scored, Accepted, Objected, Final] {
        let error = given(until(status)).when(self_assess("annual", "x")).at(OBJECTION_DUE).then_err("already_evaluated");
        assert!(matches!(error, crate::DomainError::Conflict { .. }), "{error:?}");
    }
    given(until(PlanSubmitted)).when(self_assess("annual", "x")).then_err("invalid_transition");
    given(until(TargetsAgreed)).when(self_assess("annual", "x")).by(rater()).then_err("forbidden");
}

// ---------------------------------------------------------------- nominations

#[test]
fn the_rater_nominates_peers_and_subordinates_and_a_new_list_replaces_the_old() {
    let first = vec![evaluator(PEER_NIP, Relation::Peer), evaluator(NOMINEE_NIP, Relation::Subordinate)];
    let second = vec![evaluator(&colleague(1), Relation::Peer)];
    let story = given(until(Opened))
        .when(nominate(first.clone()))
        .then(Event::EvaluatorsNominated(EvaluatorsNominated { evaluators: first }))
        .when(nominate(second.clone()))
        .then(Event::EvaluatorsNominated(EvaluatorsNominated { evaluators: second.clone() }));
    assert_eq!(AppraisalView::of(&story.state).expect("opened").evaluators, second);
    assert!(story.state.voices.evaluator(&nip(PEER_NIP)).is_none());
    let withdrawn = story.when(nominate(vec![])).then(Event::EvaluatorsNominated(EvaluatorsNominated { evaluators: vec![] }));
    assert!(withdrawn.state.voices.evaluator(&nip(&colleague(1))).is_none(), "an empty list withdraws every nomination");
}

#[test]
fn at_most_ten_evaluators_each_once_none_of_the_three_people_and_each_with_a_name() {
    let ten: Vec<Evaluator> = (0..10).map(|n| evaluator(&colleague(n), Relation::Peer)).collect();
    assert!(given(until(TargetsAgreed)).when(nominate(ten.clone())).decide().is_ok());
    let mut eleven = ten.clone();
    eleven.push(evaluator(&colleague(10), Relation::Subordinate));
    given(until(TargetsAgreed)).when(nominate(eleven)).then_err("too_many_evaluators");
    let twice = vec![evaluator(PEER_NIP, Relation::Peer), evaluator(PEER_NIP, Relation::Subordinate)];
    given(until(TargetsAgreed)).when(nominate(twice)).then_err("duplicate_evaluator");
    for person in [EMPLOYEE_NIP, RATER_NIP, SUPERIOR_NIP] {
        let error = given(until(TargetsAgreed)).when(nominate(vec![evaluator(person, Relation::Peer)])).then_err("same_person");
        assert!(error.to_string().contains(person), "{error}");
    }
    let nameless = vec![Evaluator { nip: nip(PEER_NIP), name: " ".into(), relation: Relation::Peer }];
    given(until(TargetsAgreed)).when(nominate(nameless)).then_err("invalid_text");
}

#[test]
fn nominations_come_before_the_score_and_from_the_rater_only() {
    for status in [Scored, Accepted, Final] {
        given(until(status)).when(nominate(vec![])).at(OBJECTION_DUE).then_err("invalid_transition");
    }
    for who in [employee(), superior(), admin(), peer()] {
        given(until(TargetsAgreed)).when(nominate(vec![])).by(who).then_err("forbidden");
    }
}
