//! The audit's checks, each passing on a fair history and failing on its own when one fact
//! is changed. Histories are built step by step; versions and ids follow the stored order,
//! and hashes are empty since chain breaks are passed in separately.

use super::*;
use skp_events::chain::BreakKind;
use skp_events::data::{
    AppraisalOpened, Empty, FeedbackGiven, ForumResolved, PlanDrafted, ScoreFinalized, ScoreGiven, ScoreObjected,
};
use skp_events::values::{FeedbackAbout, FinalizedVia, ForumOutcome, Indicator, Person, PlannedResult, Target};
use skp_events::ActorRole::{self, Admin, Employee, Peer, Rater, RaterSuperior};
use skp_events::Rating::{DiAtasEkspektasi, DiBawahEkspektasi, SesuaiEkspektasi};
use skp_events::{Actor, AggregateType, Event, Nip, Predikat, Rating};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const APPRAISAL: Uuid = Uuid::from_u128(0xa001);
const EMPLOYEE: &str = "198503152010011002";
const RATER: &str = "197801012005011001";
const SUPERIOR: &str = "197002022000031001";
const PEER: &str = "199001012015012001";
const ADMIN: &str = "198001012006041001";

const OPENED_AT: OffsetDateTime = datetime!(2025-01-06 08:00 UTC);
const SCORED_AT: OffsetDateTime = datetime!(2025-12-01 08:00 UTC);
const OBJECTION_DAYS: u32 = 14;
const DECISION_DAYS: u32 = 30;
/// The last instant an objection to the score is in time.
const OBJECTION_CLOSES: OffsetDateTime = datetime!(2025-12-15 08:00 UTC);
const OBJECTED_AT: OffsetDateTime = datetime!(2025-12-06 08:00 UTC);
/// The last instant the forum's decision is in time.
const DECISION_CLOSES: OffsetDateTime = datetime!(2026-01-05 08:00 UTC);
const RESOLVED_AT: OffsetDateTime = datetime!(2025-12-16 08:00 UTC);
const SECOND: Duration = Duration::seconds(1);

/// One event to store: when, by whom, what.
#[derive(Debug, Clone)]
struct Step {
    at: OffsetDateTime,
    nip: &'static str,
    role: ActorRole,
    event: Event,
}

fn step(at: OffsetDateTime, nip: &'static str, role: ActorRole, event: Event) -> Step {
    Step { at, nip, role, event }
}

fn nip(raw: &str) -> Nip {
    Nip::parse(raw).expect("a valid test NIP")
}

/// The id of the event stored at version `v`.
fn id(v: u128) -> Uuid {
    Uuid::from_u128(0xe000 + v)
}

/// The steps stored in order: versions 1..n, ids `id(v)`.
fn envelopes(steps: Vec<Step>) -> Vec<Envelope> {
    (1..)
        .zip(steps)
        .map(|(v, s)| Envelope {
            event_id: id(u128::from(v)),
            aggregate_type: AggregateType::Appraisal,
            aggregate_id: APPRAISAL,
            version: v,
            schema_version: s.event.schema_version(),
            event: s.event,
            occurred_at: s.at,
            actor: Actor { nip: nip(s.nip), role: s.role },
            command_id: Uuid::from_u128(0xc000 + u128::from(v)),
            correlation_id: Uuid::from_u128(0xc0),
            causation_id: Uuid::from_u128(0xc000 + u128::from(v)),
            prev_hash: String::new(),
            hash: String::new(),
        })
        .collect()
}

fn person(raw: &str, name: &str) -> Person {
    Person { nip: nip(raw), name: name.into(), position: "Analis".into(), unit: "Bidang Perencanaan".into() }
}

fn opening() -> AppraisalOpened {
    AppraisalOpened {
        cycle_id: Uuid::from_u128(0xc1c1e),
        organization: "BKPSDM Kabupaten Sleman".into(),
        year: 2025,
        plan_due: date!(2025 - 01 - 31),
        objection_window_days: OBJECTION_DAYS,
        decision_window_days: DECISION_DAYS,
        employee: person(EMPLOYEE, "Siti Rahmawati"),
        rater: person(RATER, "Bambang Sutrisno"),
        rater_superior: person(SUPERIOR, "Dewi Lestari"),
        period: skp_events::period::PeriodKind::None,
        period_entry_days: 10,
        utc_offset_hours: 7,
    }
}

fn scored(results: Rating, behaviour: Rating) -> Event {
    Event::ScoreGiven(ScoreGiven {
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: crate::matrix::predikat(results, behaviour),
        notes: None,
        objection_due: SCORED_AT + Duration::days(OBJECTION_DAYS.into()),
    })
}

fn resolved(results: Rating, behaviour: Rating) -> Event {
    Event::ForumResolved(ForumResolved {
        outcome: ForumOutcome::Revised,
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: crate::matrix::predikat(results, behaviour),
        minutes: "Heard both sides.".into(),
        late: false,
    })
}

fn finalized(results: Rating, behaviour: Rating, via: FinalizedVia) -> Event {
    Event::ScoreFinalized(ScoreFinalized {
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: crate::matrix::predikat(results, behaviour),
        via,
        employee_nip: nip(EMPLOYEE),
    })
}

/// v1..v6: opened, plan drafted and submitted, targets agreed, feedback, scored butuh_perbaikan.
fn until_scored() -> Vec<Step> {
    let plan = vec![PlannedResult {
        id: "R1".into(),
        description: "Dokumen perencanaan".into(),
        indicators: vec![Indicator {
            id: "I1".into(),
            description: "Dokumen selesai".into(),
            target: Target { value: 12, unit: "dokumen".into() },
        }],
    }];
    let feedback = FeedbackGiven { about: FeedbackAbout::Results, text: "On track.".into(), indicator_id: None };
    vec![
        step(OPENED_AT, ADMIN, Admin, Event::AppraisalOpened(opening())),
        step(OPENED_AT + Duration::days(1), EMPLOYEE, Employee, Event::PlanDrafted(PlanDrafted { results: plan })),
        step(OPENED_AT + Duration::days(2), EMPLOYEE, Employee, Event::PlanSubmitted(Empty {})),
        step(OPENED_AT + Duration::days(3), RATER, Rater, Event::TargetsAgreed(Empty {})),
        step(OPENED_AT + Duration::days(90), SUPERIOR, RaterSuperior, Event::FeedbackGiven(feedback)),
        step(SCORED_AT, RATER, Rater, scored(DiBawahEkspektasi, SesuaiEkspektasi)),
    ]
}

/// v7..v9: the employee objects, the forum revises to baik, the rater finalizes via forum.
fn disputed() -> Vec<Step> {
    let objection = ScoreObjected {
        reason: "The evidence for I1 was not read.".into(),
        requested_results_rating: Some(SesuaiEkspektasi),
        requested_behaviour_rating: None,
        decision_due: OBJECTED_AT + Duration::days(DECISION_DAYS.into()),
    };
    let mut steps = until_scored();
    steps.extend([
        step(OBJECTED_AT, EMPLOYEE, Employee, Event::ScoreObjected(objection)),
        step(RESOLVED_AT, SUPERIOR, RaterSuperior, resolved(SesuaiEkspektasi, DiAtasEkspektasi)),
        step(
            RESOLVED_AT + Duration::days(1),
            RATER,
            Rater,
            finalized(SesuaiEkspektasi, DiAtasEkspektasi, FinalizedVia::Forum),
        ),
    ]);
    steps
}

/// v7..v8: the employee accepts, the rater finalizes via accepted.
fn accepted() -> Vec<Step> {
    let mut steps = until_scored();
    steps.extend([
        step(SCORED_AT + Duration::days(2), EMPLOYEE, Employee, Event::ScoreAccepted(Empty {})),
        step(
            SCORED_AT + Duration::days(3),
            RATER,
            Rater,
            finalized(DiBawahEkspektasi, SesuaiEkspektasi, FinalizedVia::Accepted),
        ),
    ]);
    steps
}

/// v7: the rater finalizes via no_objection one second after the objection window closed.
fn unopposed() -> Vec<Step> {
    let mut steps = until_scored();
    let done = finalized(DiBawahEkspektasi, SesuaiEkspektasi, FinalizedVia::NoObjection);
    steps.push(step(OBJECTION_CLOSES + SECOND, RATER, Rater, done));
    steps
}

/// The first step of this event type.
fn first<'a>(steps: &'a mut [Step], type_name: &str) -> &'a mut Step {
    steps.iter_mut().find(|s| s.event.type_name() == type_name).expect("the story has this event")
}

fn without(mut steps: Vec<Step>, type_name: &str) -> Vec<Step> {
    steps.retain(|s| s.event.type_name() != type_name);
    steps
}

fn report(steps: Vec<Step>) -> AuditReport {
    audit(&envelopes(steps), &[])
}

fn check(report: &AuditReport, name: &str) -> Check {
    report.checks.iter().find(|c| c.name == name).cloned().expect("every check is reported")
}

/// Audits the steps, asserts that `name` is the only finding, and returns that check.
fn fails_alone(steps: Vec<Step>, name: &'static str) -> Check {
    let report = report(steps);
    assert_eq!(report.verdict, Verdict::Findings(vec![name]), "{report:#?}");
    let failed = check(&report, name);
    assert!(!failed.passed && !failed.detail.is_empty());
    failed
}

fn set_predikat(event: &mut Event, to: Predikat) {
    match event {
        Event::ScoreGiven(s) => s.predikat = to,
        Event::ForumResolved(f) => f.predikat = to,
        Event::ScoreFinalized(f) => f.predikat = to,
        other => panic!("{} has no predikat", other.type_name()),
    }
}

// ---------------------------------------------------------------- the whole report

#[test]
fn a_whole_disputed_year_is_fair_and_every_check_names_the_events_it_rests_on() {
    let report = report(disputed());
    assert_eq!(report.verdict, Verdict::Fair, "{report:#?}");
    assert!(report.chain_valid);
    let names: Vec<_> = report.checks.iter().map(|c| c.name).collect();
    assert_eq!(names, CHECKS);
    let ids = |name| check(&report, name).event_ids;
    assert_eq!(ids(CHAIN_INTACT), (1..=9).map(id).collect::<Vec<_>>());
    assert_eq!(ids(DECIDED_BY_PERSON_OF_RECORD), [id(1), id(6), id(8)]);
    assert_eq!(ids(PARTICIPATIVE), [id(4), id(5), id(6)]);
    assert_eq!(ids(PREDIKAT_MATCHES_MATRIX), [id(6), id(8), id(9)]);
    assert_eq!(ids(WITHIN_WINDOWS), [id(1), id(6), id(7), id(8)]);
    assert_eq!(ids(FINAL_MATCHES_DECISION), [id(1), id(8), id(9)]);
    assert!(report.checks[..6].iter().all(|c| c.passed && !c.detail.starts_with("not applicable")));
    let periods = check(&report, PERIODS_COMPLETE);
    assert!(periods.passed && periods.detail.starts_with("not applicable: the cycle evaluates annually only"), "{periods:?}");
}

#[test]
fn an_accepted_score_finalized_via_accepted_is_fair() {
    let report = report(accepted());
    assert_eq!(report.verdict, Verdict::Fair, "{report:#?}");
    assert_eq!(check(&report, FINAL_MATCHES_DECISION).event_ids, [id(1), id(6), id(7), id(8)]);
}

#[test]
fn a_score_finalized_via_no_objection_after_the_window_closed_is_fair() {
    let report = report(unopposed());
    assert_eq!(report.verdict, Verdict::Fair, "{report:#?}");
    assert!(check(&report, WITHIN_WINDOWS).detail.starts_with("not applicable yet"));
}

#[test]
fn checks_with_nothing_to_look_at_yet_pass_as_not_applicable_without_events() {
    let report = report(until_scored()[..4].to_vec());
    assert_eq!(report.verdict, Verdict::Fair);
    assert_eq!(check(&report, CHAIN_INTACT).event_ids.len(), 4);
    for name in &CHECKS[1..] {
        let check = check(&report, name);
        assert!(check.passed && check.event_ids.is_empty(), "{check:?}");
        let not_yet = if *name == PERIODS_COMPLETE { "not applicable: the cycle evaluates annually only" } else { "not applicable yet" };
        assert!(check.detail.starts_with(not_yet), "{check:?}");
    }
}

#[test]
fn an_empty_history_with_no_breaks_is_fair_with_every_check_not_applicable() {
    let report = audit(&[], &[]);
    assert_eq!(report.verdict, Verdict::Fair);
    assert!(report.chain_valid);
    assert!(report.checks.iter().all(|c| c.passed && c.detail.starts_with("not applicable yet")));
}

#[test]
fn the_names_of_checks_and_verdicts_are_stable() {
    let expected = [
        "chain_intact",
        "decided_by_person_of_record",
        "participative",
        "predikat_matches_matrix",
        "within_windows",
        "final_matches_decision",
        "periods_complete",
    ];
    assert_eq!(CHECKS, expected);
    assert_eq!((Verdict::Fair.as_str(), Verdict::Findings(vec![]).as_str()), ("fair", "findings"));
}

#[test]
fn several_findings_are_all_named_in_check_order() {
    let mut steps = disputed();
    first(&mut steps, "ScoreGiven").nip = PEER;
    let steps = without(steps, "FeedbackGiven");
    let verdict = report(steps).verdict;
    assert_eq!(verdict, Verdict::Findings(vec![DECIDED_BY_PERSON_OF_RECORD, PARTICIPATIVE]));
}

// ---------------------------------------------------------------- 1. chain_intact

#[test]
fn a_chain_break_passed_in_fails_chain_intact_and_names_the_broken_event() {
    let broken = ChainBreak { position: 3, event_id: Some(id(3).to_string()), kind: BreakKind::PrevHashMismatch };
    let report = audit(&envelopes(disputed()), &[broken]);
    assert!(!report.chain_valid);
    assert_eq!(report.verdict, Verdict::Findings(vec![CHAIN_INTACT]));
    let check = check(&report, CHAIN_INTACT);
    assert_eq!(check.event_ids, [id(3)]);
    assert_eq!(check.detail, "position 3: prev_hash is not the previous event's hash");
}

#[test]
fn a_break_without_an_event_id_names_the_event_stored_at_its_position() {
    let changed = ChainBreak { position: 6, event_id: None, kind: BreakKind::HashMismatch };
    let report = audit(&envelopes(disputed()), &[changed]);
    let check = check(&report, CHAIN_INTACT);
    assert_eq!(check.event_ids, [id(6)]);
    assert!(check.detail.contains("hash does not match"), "{check:?}");
}

#[test]
fn a_missing_event_fails_chain_intact_even_when_no_break_is_passed_in() {
    let mut stored = envelopes(disputed());
    stored.remove(2);
    let report = audit(&stored, &[]);
    assert_eq!(report.verdict, Verdict::Findings(vec![CHAIN_INTACT]));
    let check = check(&report, CHAIN_INTACT);
    assert!(check.detail.starts_with("position 3: version 4 where 3 was expected"), "{check:?}");
    assert_eq!(check.event_ids, (4..=9).map(id).collect::<Vec<_>>());
}

#[test]
fn a_version_gap_found_by_both_the_chain_and_the_audit_is_told_once() {
    let mut stored = envelopes(disputed());
    stored.truncate(3);
    stored[2].version = 4;
    let gap = ChainBreak {
        position: 3,
        event_id: Some(id(3).to_string()),
        kind: BreakKind::VersionGap { expected: 3, found: Some(4) },
    };
    let check = check(&audit(&stored, &[gap]), CHAIN_INTACT);
    assert_eq!(check.detail, "position 3: version 4 where 3 was expected");
    assert_eq!(check.event_ids, [id(3)]);
}

#[test]
fn an_event_of_another_appraisal_fails_chain_intact() {
    let mut stored = envelopes(disputed());
    stored[4].aggregate_id = Uuid::from_u128(0xa002);
    let report = audit(&stored, &[]);
    assert_eq!(report.verdict, Verdict::Findings(vec![CHAIN_INTACT]));
    let check = check(&report, CHAIN_INTACT);
    assert_eq!(check.event_ids, [id(5)]);
    assert!(check.detail.contains("belongs to appraisal"), "{check:?}");
}

// ---------------------------------------------------------------- 2. decided_by_person_of_record

#[test]
fn a_score_given_by_someone_other_than_the_rater_of_record_is_a_finding() {
    let mut steps = disputed();
    first(&mut steps, "ScoreGiven").nip = PEER;
    let check = fails_alone(steps, DECIDED_BY_PERSON_OF_RECORD);
    assert_eq!(check.event_ids, [id(1), id(6)]);
    assert_eq!(check.detail, format!("ScoreGiven (v6) by {PEER} as rater, not the rater {RATER}"));
}

#[test]
fn a_score_by_the_rater_acting_in_another_role_is_a_finding() {
    let mut steps = disputed();
    first(&mut steps, "ScoreGiven").role = Admin;
    let check = fails_alone(steps, DECIDED_BY_PERSON_OF_RECORD);
    assert!(check.detail.contains("as admin"), "{check:?}");
}

#[test]
fn a_forum_decided_by_the_rater_who_gave_the_score_is_a_finding() {
    let mut steps = disputed();
    first(&mut steps, "ForumResolved").nip = RATER;
    let check = fails_alone(steps, DECIDED_BY_PERSON_OF_RECORD);
    assert_eq!(check.event_ids, [id(1), id(8)]);
    assert_eq!(check.detail, format!("ForumResolved (v8) decided by the rater {RATER}, who gave the score"));
}

#[test]
fn a_forum_decided_by_a_superior_who_is_also_the_rater_of_record_is_a_finding() {
    let mut steps = disputed();
    if let Event::AppraisalOpened(opened) = &mut first(&mut steps, "AppraisalOpened").event {
        opened.rater_superior = person(RATER, "Bambang Sutrisno");
    }
    let forum = first(&mut steps, "ForumResolved");
    forum.nip = RATER;
    let feedback = first(&mut steps, "FeedbackGiven");
    (feedback.nip, feedback.role) = (RATER, Rater);
    let check = fails_alone(steps, DECIDED_BY_PERSON_OF_RECORD);
    assert!(check.detail.contains("decided by the rater"), "{check:?}");
}

#[test]
fn a_forum_decided_by_someone_other_than_the_rater_superior_is_a_finding() {
    let mut steps = disputed();
    first(&mut steps, "ForumResolved").nip = PEER;
    let check = fails_alone(steps, DECIDED_BY_PERSON_OF_RECORD);
    assert_eq!(
        check.detail,
        format!("ForumResolved (v8) by {PEER} as rater_superior, not the rater superior {SUPERIOR}")
    );
}

#[test]
fn a_forum_by_the_superior_acting_as_peer_is_a_finding() {
    let mut steps = disputed();
    first(&mut steps, "ForumResolved").role = Peer;
    fails_alone(steps, DECIDED_BY_PERSON_OF_RECORD);
}

#[test]
fn decisions_without_an_opening_on_record_cannot_be_attributed() {
    let check = check(&report(without(disputed(), "AppraisalOpened")), DECIDED_BY_PERSON_OF_RECORD);
    assert!(!check.passed);
    assert!(check.detail.contains("persons of record are unknown"), "{check:?}");
    assert_eq!(check.event_ids, [id(5), id(7)]);
}

// ---------------------------------------------------------------- 3. participative

#[test]
fn a_score_with_no_feedback_before_it_is_not_participative() {
    let check = fails_alone(without(disputed(), "FeedbackGiven"), PARTICIPATIVE);
    assert_eq!(check.detail, "no FeedbackGiven from a person of record or a nominee before the first score, ScoreGiven (v5)");
    assert_eq!(check.event_ids, [id(5)]);
}

#[test]
fn feedback_stored_after_the_score_does_not_count() {
    let mut steps = disputed();
    let feedback = steps.remove(4);
    steps.insert(5, feedback);
    let check = fails_alone(steps, PARTICIPATIVE);
    assert!(check.detail.starts_with("no FeedbackGiven from a person of record or a nominee before the first score"), "{check:?}");
}

#[test]
fn a_score_with_no_targets_agreed_before_it_is_not_participative() {
    let check = fails_alone(without(disputed(), "TargetsAgreed"), PARTICIPATIVE);
    assert_eq!(check.detail, "no TargetsAgreed before the first score, ScoreGiven (v5)");
}

fn nominating(nips: &[&str]) -> Event {
    use skp_events::voices::{Evaluator, EvaluatorsNominated, Relation};
    let evaluators = nips.iter().map(|n| Evaluator { nip: nip(n), name: "Rekan".into(), relation: Relation::Peer }).collect();
    Event::EvaluatorsNominated(EvaluatorsNominated { evaluators })
}

/// The story with its only feedback given by `by` as `role`.
fn feedback_by(by: &'static str, role: ActorRole) -> Vec<Step> {
    let mut steps = disputed();
    let feedback = first(&mut steps, "FeedbackGiven");
    (feedback.nip, feedback.role) = (by, role);
    steps
}

#[test]
fn feedback_by_a_colleague_nobody_nominated_does_not_count_and_is_named() {
    // As any ASN could give before nominations were required (issue 13): the event stays,
    // the audit no longer counts it.
    let check = fails_alone(feedback_by(PEER, Peer), PARTICIPATIVE);
    assert_eq!(
        check.detail,
        format!("no FeedbackGiven from a person of record or a nominee before the first score, ScoreGiven (v6); not counted, from neither a person of record nor a nominee: FeedbackGiven (v5) by {PEER}")
    );
    assert_eq!(check.event_ids, [id(5), id(6)]);
    fails_alone(feedback_by(ADMIN, Peer), PARTICIPATIVE);
}

#[test]
fn feedback_by_a_person_of_record_in_another_role_does_not_count() {
    fails_alone(feedback_by(RATER, Peer), PARTICIPATIVE);
    fails_alone(feedback_by(SUPERIOR, Rater), PARTICIPATIVE);
    assert_eq!(report(feedback_by(RATER, Rater)).verdict, Verdict::Fair);
}

#[test]
fn feedback_by_an_evaluator_nominated_before_it_counts() {
    let mut steps = feedback_by(PEER, Peer);
    steps.insert(3, step(OPENED_AT + Duration::days(3), RATER, Rater, nominating(&[PEER])));
    let report = report(steps);
    assert_eq!(report.verdict, Verdict::Fair, "{report:#?}");
    assert!(check(&report, PARTICIPATIVE).detail.contains("1 feedback(s) from people of record or nominees"));
}

#[test]
fn feedback_by_an_evaluator_whose_nomination_was_withdrawn_before_it_does_not_count() {
    let mut steps = feedback_by(PEER, Peer);
    steps.insert(3, step(OPENED_AT + Duration::days(3), RATER, Rater, nominating(&[PEER])));
    steps.insert(4, step(OPENED_AT + Duration::days(4), RATER, Rater, nominating(&[ADMIN])));
    let check = fails_alone(steps, PARTICIPATIVE);
    assert!(check.detail.contains(&format!("FeedbackGiven (v7) by {PEER}")), "{check:?}");
}

#[test]
fn feedback_from_people_of_record_and_from_others_is_counted_apart() {
    let mut steps = disputed();
    let extra = FeedbackGiven { about: FeedbackAbout::Behaviour, text: "Rajin.".into(), indicator_id: None };
    steps.insert(4, step(OPENED_AT + Duration::days(80), PEER, Peer, Event::FeedbackGiven(extra)));
    let report = report(steps);
    assert_eq!(report.verdict, Verdict::Fair);
    let detail = check(&report, PARTICIPATIVE).detail;
    assert!(detail.contains("1 feedback(s) from people of record or nominees"), "{detail}");
    assert!(detail.ends_with(&format!("not counted, from neither a person of record nor a nominee: FeedbackGiven (v5) by {PEER}")), "{detail}");
}

// ---------------------------------------------------------------- 4. predikat_matches_matrix

#[test]
fn a_score_whose_predikat_is_not_the_matrix_is_a_finding() {
    let mut steps = disputed();
    set_predikat(&mut first(&mut steps, "ScoreGiven").event, Predikat::Baik);
    let check = fails_alone(steps, PREDIKAT_MATCHES_MATRIX);
    assert_eq!(check.event_ids, [id(6)]);
    assert_eq!(
        check.detail,
        "ScoreGiven (v6): di_bawah_ekspektasi × sesuai_ekspektasi gives butuh_perbaikan, recorded baik"
    );
}

#[test]
fn a_forum_and_final_predikat_that_agree_with_each_other_but_not_the_matrix_are_findings() {
    let mut steps = disputed();
    set_predikat(&mut first(&mut steps, "ForumResolved").event, Predikat::SangatBaik);
    set_predikat(&mut first(&mut steps, "ScoreFinalized").event, Predikat::SangatBaik);
    let check = fails_alone(steps, PREDIKAT_MATCHES_MATRIX);
    assert_eq!(check.event_ids, [id(8), id(9)]);
}

#[test]
fn a_final_predikat_that_is_not_the_matrix_is_a_finding() {
    let mut steps = accepted();
    set_predikat(&mut first(&mut steps, "ScoreFinalized").event, Predikat::SangatKurang);
    let report = report(steps);
    assert_eq!(report.verdict, Verdict::Findings(vec![PREDIKAT_MATCHES_MATRIX, FINAL_MATCHES_DECISION]));
    assert_eq!(check(&report, PREDIKAT_MATCHES_MATRIX).event_ids, [id(8)]);
}

// ---------------------------------------------------------------- 5. within_windows

#[test]
fn an_objection_at_the_last_instant_of_its_window_is_in_time() {
    let mut steps = disputed();
    first(&mut steps, "ScoreObjected").at = OBJECTION_CLOSES;
    assert_eq!(report(steps).verdict, Verdict::Fair);
}

#[test]
fn an_objection_a_second_after_its_window_closed_is_late() {
    let mut steps = disputed();
    first(&mut steps, "ScoreObjected").at = OBJECTION_CLOSES + SECOND;
    let check = fails_alone(steps, WITHIN_WINDOWS);
    assert_eq!(check.event_ids, [id(6), id(7)]);
    assert_eq!(
        check.detail,
        "ScoreObjected (v7) at 2025-12-15T08:00:01Z, objection window of 14 days after ScoreGiven (v6) \
         ending 2025-12-15T08:00:00Z: late"
    );
}

#[test]
fn the_objection_window_is_the_one_recorded_at_opening() {
    let mut steps = disputed();
    if let Event::AppraisalOpened(opened) = &mut first(&mut steps, "AppraisalOpened").event {
        opened.objection_window_days = 3;
    }
    fails_alone(steps, WITHIN_WINDOWS);
}

#[test]
fn a_forum_decision_at_the_last_instant_of_its_window_is_in_time() {
    let mut steps = disputed();
    first(&mut steps, "ForumResolved").at = DECISION_CLOSES;
    first(&mut steps, "ScoreFinalized").at = DECISION_CLOSES + SECOND;
    assert_eq!(report(steps).verdict, Verdict::Fair);
}

#[test]
fn a_forum_decision_a_second_after_its_window_closed_is_late() {
    let mut steps = disputed();
    first(&mut steps, "ForumResolved").at = DECISION_CLOSES + SECOND;
    first(&mut steps, "ScoreFinalized").at = DECISION_CLOSES + Duration::days(1);
    let check = fails_alone(steps, WITHIN_WINDOWS);
    assert_eq!(check.event_ids, [id(7), id(8)]);
    assert!(check.detail.starts_with("ForumResolved (v8) at 2026-01-05T08:00:01Z, decision window of 30 days"));
    assert!(check.detail.ends_with(": late"), "{check:?}");
}

#[test]
fn a_forum_decision_with_no_objection_before_it_is_a_finding() {
    let check = fails_alone(without(disputed(), "ScoreObjected"), WITHIN_WINDOWS);
    assert_eq!(check.detail, "ForumResolved (v7) with no ScoreObjected before it");
}

// ---------------------------------------------------------------- 6. final_matches_decision

#[test]
fn a_final_predikat_differing_from_the_forum_decision_is_a_finding() {
    let mut steps = disputed();
    first(&mut steps, "ScoreFinalized").event = finalized(DiBawahEkspektasi, SesuaiEkspektasi, FinalizedVia::Forum);
    let check = fails_alone(steps, FINAL_MATCHES_DECISION);
    assert_eq!(check.event_ids, [id(8), id(9)]);
    assert_eq!(
        check.detail,
        "ScoreFinalized (v9): butuh_perbaikan (di_bawah_ekspektasi × sesuai_ekspektasi), but ForumResolved (v8) \
         decided baik (sesuai_ekspektasi × di_atas_ekspektasi)"
    );
}

#[test]
fn final_ratings_differing_from_the_score_when_no_forum_sat_are_a_finding() {
    let mut steps = accepted();
    first(&mut steps, "ScoreFinalized").event = finalized(SesuaiEkspektasi, SesuaiEkspektasi, FinalizedVia::Accepted);
    let check = fails_alone(steps, FINAL_MATCHES_DECISION);
    assert!(check.detail.contains("but ScoreGiven (v6) decided butuh_perbaikan"), "{check:?}");
}

#[test]
fn a_finalization_via_no_objection_inside_the_window_is_a_finding() {
    let mut steps = unopposed();
    first(&mut steps, "ScoreFinalized").at = OBJECTION_CLOSES;
    let check = fails_alone(steps, FINAL_MATCHES_DECISION);
    assert_eq!(check.event_ids, [id(6), id(7)]);
    assert_eq!(
        check.detail,
        "ScoreFinalized (v7) via no_objection at 2025-12-15T08:00:00Z, but the objection window after \
         ScoreGiven (v6) closes at 2025-12-15T08:00:00Z"
    );
}

#[test]
fn a_finalization_via_no_objection_after_an_objection_is_a_finding() {
    let mut steps = disputed();
    first(&mut steps, "ScoreFinalized").event =
        finalized(SesuaiEkspektasi, DiAtasEkspektasi, FinalizedVia::NoObjection);
    let check = fails_alone(steps, FINAL_MATCHES_DECISION);
    assert_eq!(check.detail, "ScoreFinalized (v9) via no_objection, but ScoreObjected (v7) is on record");
}

#[test]
fn a_finalization_via_accepted_needs_a_score_accepted_before_it() {
    let check = fails_alone(without(accepted(), "ScoreAccepted"), FINAL_MATCHES_DECISION);
    assert_eq!(check.detail, "ScoreFinalized (v7) via accepted with no ScoreAccepted before it");
}

#[test]
fn a_finalization_via_forum_needs_a_forum_decision_before_it() {
    let mut steps = unopposed();
    first(&mut steps, "ScoreFinalized").event = finalized(DiBawahEkspektasi, SesuaiEkspektasi, FinalizedVia::Forum);
    let check = fails_alone(steps, FINAL_MATCHES_DECISION);
    assert_eq!(check.detail, "ScoreFinalized (v7) via forum with no ForumResolved before it");
}

#[test]
fn a_finalization_naming_another_employee_is_a_finding() {
    let mut steps = accepted();
    if let Event::ScoreFinalized(done) = &mut first(&mut steps, "ScoreFinalized").event {
        done.employee_nip = nip(PEER);
    }
    let check = fails_alone(steps, FINAL_MATCHES_DECISION);
    assert_eq!(check.event_ids, [id(1), id(8)]);
    assert!(check.detail.contains(&format!("names employee {PEER}, not {EMPLOYEE}")), "{check:?}");
}

#[test]
fn of_two_scores_the_final_must_carry_the_last_one() {
    let mut steps = until_scored();
    steps.extend([
        step(SCORED_AT + Duration::hours(1), RATER, Rater, scored(SesuaiEkspektasi, SesuaiEkspektasi)),
        step(SCORED_AT + Duration::days(2), EMPLOYEE, Employee, Event::ScoreAccepted(Empty {})),
        step(
            SCORED_AT + Duration::days(3),
            RATER,
            Rater,
            finalized(SesuaiEkspektasi, SesuaiEkspektasi, FinalizedVia::Accepted),
        ),
    ]);
    assert_eq!(report(steps.clone()).verdict, Verdict::Fair);
    first(&mut steps, "ScoreFinalized").event = finalized(DiBawahEkspektasi, SesuaiEkspektasi, FinalizedVia::Accepted);
    let check = fails_alone(steps, FINAL_MATCHES_DECISION);
    assert!(check.detail.contains("but ScoreGiven (v7) decided baik"), "{check:?}");
}

// ---------------------------------------------------------------- information (issue 13)

fn info(report: &AuditReport, name: &str) -> Information {
    report.information.iter().find(|i| i.name == name).cloned().expect("every item is reported")
}

fn self_assessed(period: &str, results: Rating, behaviour: Rating) -> Event {
    use skp_events::voices::{PeriodRef, SelfAssessed};
    let period = PeriodRef::parse(period).expect("a period");
    Event::SelfAssessed(SelfAssessed { period, results_rating: results, behaviour_rating: behaviour, narrative: "Sesuai bukti.".into() })
}

fn dialogue_held() -> Event {
    use skp_events::voices::DialogueHeld;
    Event::DialogueHeld(DialogueHeld { held_on: date!(2025 - 06 - 02), topics: "Capaian semester I".into(), agreed_actions: vec![] })
}

fn acknowledging(version: u64) -> Event {
    Event::DialogueAcknowledged(skp_events::voices::DialogueAcknowledged { dialogue_version: version })
}

#[test]
fn before_a_score_the_information_is_not_applicable_yet_and_it_never_decides_the_verdict() {
    let mut steps = until_scored();
    steps.pop();
    let report = report(steps);
    let names: Vec<_> = report.information.iter().map(|i| i.name).collect();
    assert_eq!(names, information::INFORMATION);
    assert!(report.information.iter().all(|i| i.detail == "not applicable yet: no score" && i.event_ids.is_empty()));
    // No self-assessment and no dialogue: information, not a finding.
    assert_eq!(super::audit(&envelopes(disputed()), &[]).verdict, Verdict::Fair);
}

#[test]
fn the_gap_compares_the_annual_self_assessment_with_the_decision_that_stands() {
    let mut steps = disputed();
    steps.insert(4, step(OPENED_AT + Duration::days(60), EMPLOYEE, Employee, self_assessed("annual", DiAtasEkspektasi, DiAtasEkspektasi)));
    steps.insert(4, step(OPENED_AT + Duration::days(50), EMPLOYEE, Employee, self_assessed("2025-02", DiBawahEkspektasi, DiBawahEkspektasi)));
    let report = report(steps);
    let gap = info(&report, information::SELF_ASSESSMENT_GAP);
    // The forum (v10) revised the score to sesuai × di_atas.
    assert_eq!(
        gap.detail,
        "ForumResolved (v10) rates results one step below the self-assessment (sesuai_ekspektasi, self: di_atas_ekspektasi) and behaviour as the self-assessment (di_atas_ekspektasi) against SelfAssessed (v6); the self-assessment implies sangat_baik, the decision gives baik"
    );
    assert_eq!(gap.event_ids, [id(6), id(10)]);
    assert_eq!(report.verdict, Verdict::Fair);
}

#[test]
fn without_a_forum_the_gap_is_to_the_score_and_a_late_self_assessment_is_not_the_one_compared() {
    let mut steps = accepted();
    steps.insert(4, step(OPENED_AT + Duration::days(60), EMPLOYEE, Employee, self_assessed("annual", SesuaiEkspektasi, DiBawahEkspektasi)));
    let gap = info(&report(steps), information::SELF_ASSESSMENT_GAP);
    assert!(gap.detail.starts_with("ScoreGiven (v7) rates results one step below the self-assessment (di_bawah_ekspektasi, self: sesuai_ekspektasi) and behaviour one step above the self-assessment (sesuai_ekspektasi, self: di_bawah_ekspektasi)"), "{gap:?}");
    let gap = info(&report(accepted()), information::SELF_ASSESSMENT_GAP);
    assert_eq!(gap.detail, "no annual self-assessment before the score, ScoreGiven (v6)");
    assert_eq!(gap.event_ids, [id(6)]);
}

#[test]
fn the_dialogues_before_the_score_are_counted_with_their_acknowledgements_and_later_ones_are_not() {
    let mut steps = disputed();
    steps.insert(4, step(OPENED_AT + Duration::days(30), RATER, Rater, dialogue_held()));
    steps.insert(5, step(OPENED_AT + Duration::days(31), EMPLOYEE, Employee, acknowledging(5)));
    steps.insert(6, step(OPENED_AT + Duration::days(40), RATER, Rater, dialogue_held()));
    steps.push(step(RESOLVED_AT + Duration::days(2), EMPLOYEE, Employee, acknowledging(7)));
    let report = report(steps);
    let dialogue = info(&report, information::DIALOGUE_BEFORE_SCORE);
    assert_eq!(dialogue.detail, "2 dialogue(s) preceded the first score, ScoreGiven (v9): DialogueHeld (v5), DialogueHeld (v7); 1 acknowledged by the employee before it");
    assert_eq!(dialogue.event_ids, [id(5), id(6), id(7), id(9)]);
    let none = info(&super::audit(&envelopes(disputed()), &[]), information::DIALOGUE_BEFORE_SCORE);
    assert_eq!(none.detail, "no dialogue preceded the first score, ScoreGiven (v6)");
}
