//! Periodic evaluation, given/when/then: every deadline at the instant it changes, in WIB,
//! WITA and WIT, with the injected clock.

use super::*;
use crate::appraisal::{AppraisalCommand as C, Status};
use crate::testing::*;
use skp_events::period::PeriodKind;
use skp_events::Predikat;
use skp_events::Rating::*;
use time::macros::datetime;
use time::Duration;

const MICRO: Duration = Duration::microseconds(1);
/// (UTC offset, when 2025-01 ends, when its evaluation locks) in WIB, WITA and WIT.
const ZONES: [(u8, OffsetDateTime, OffsetDateTime); 3] = [
    (7, datetime!(2025-01-31 17:00 UTC), datetime!(2025-02-10 17:00 UTC)),
    (8, datetime!(2025-01-31 16:00 UTC), datetime!(2025-02-10 16:00 UTC)),
    (9, datetime!(2025-01-31 15:00 UTC), datetime!(2025-02-10 15:00 UTC)),
];

/// An appraisal with agreed targets in a cycle evaluating by `kind` in UTC+`offset`.
fn agreed_in(kind: PeriodKind, offset: u8) -> Vec<Event> {
    vec![opened_in(periodic_cycle(kind, offset)), drafted(), submitted(), agreed()]
}

fn monthly() -> Vec<Event> {
    agreed_in(PeriodKind::Monthly, 7)
}

/// The history `events` placed one day apart, then `later` at the times given.
fn story(events: Vec<Event>, later: Vec<(OffsetDateTime, Event)>) -> Given {
    let mut timed: Vec<(OffsetDateTime, Event)> = events.into_iter().zip(0..).map(|(e, d)| (START + Duration::days(d), e)).collect();
    timed.extend(later);
    given_at(timed)
}

fn evaluate(period: &str, results: Rating, behaviour: Rating) -> C {
    C::EvaluatePeriod { period: period_id(period), results_rating: results, behaviour_rating: behaviour, notes: None }
}

fn correct(period: &str, results: Rating, behaviour: Rating) -> C {
    C::CorrectPeriod { period: period_id(period), results_rating: results, behaviour_rating: behaviour, reason: "salah input".into() }
}

fn score() -> C {
    C::Score { results_rating: SesuaiEkspektasi, behaviour_rating: SesuaiEkspektasi, notes: None }
}

// ---------------------------------------------------------------- evaluating

#[test]
fn the_rater_evaluates_an_ended_period_with_the_predikat_of_the_matrix() {
    given(monthly())
        .when(evaluate("2025-01", DiBawahEkspektasi, SesuaiEkspektasi))
        .at(datetime!(2025-02-03 02:00 UTC))
        .then(evaluated("2025-01", DiBawahEkspektasi, SesuaiEkspektasi));
    let poor = given(monthly()).when(evaluate("2025-01", DiAtasEkspektasi, DiBawahEkspektasi)).at(datetime!(2025-02-03 02:00 UTC));
    assert_recorded(poor.decide(), &evaluated("2025-01", DiAtasEkspektasi, DiBawahEkspektasi), skp_events::ActorRole::Rater);
    assert!(matches!(evaluated("2025-01", DiAtasEkspektasi, DiBawahEkspektasi), Event::PeriodEvaluated(e) if e.predikat == Predikat::Kurang));
}

#[test]
fn a_period_is_evaluated_from_the_instant_it_ends_in_wib_wita_and_wit() {
    for (offset, ends, _) in ZONES {
        let history = agreed_in(PeriodKind::Monthly, offset);
        let error = given(history.clone()).when(evaluate("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).at(ends - MICRO).then_err("period_not_ended");
        assert!(error.to_string().contains(&format!("UTC+{offset}")), "{error}");
        given(history).when(evaluate("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).at(ends).then(evaluated("2025-01", SesuaiEkspektasi, SesuaiEkspektasi));
    }
}

#[test]
fn quarters_and_semesters_end_at_local_midnight_of_their_next_first_day() {
    let cases = [
        (PeriodKind::Quarterly, "2025-Q1", datetime!(2025-03-31 16:00 UTC)),
        (PeriodKind::Semester, "2025-S1", datetime!(2025-06-30 16:00 UTC)),
        (PeriodKind::Monthly, "2025-12", datetime!(2025-12-31 16:00 UTC)),
    ];
    for (kind, period, ends) in cases {
        let history = agreed_in(kind, 8);
        given(history.clone()).when(evaluate(period, SesuaiEkspektasi, SesuaiEkspektasi)).at(ends - MICRO).then_err("period_not_ended");
        given(history).when(evaluate(period, SesuaiEkspektasi, SesuaiEkspektasi)).at(ends).then(evaluated(period, SesuaiEkspektasi, SesuaiEkspektasi));
    }
}

#[test]
fn a_period_is_evaluated_once_and_corrected_after() {
    let history = story(monthly(), vec![(datetime!(2025-02-01 02:00 UTC), evaluated("2025-01", SesuaiEkspektasi, SesuaiEkspektasi))]);
    let error = history.clone().when(evaluate("2025-01", DiAtasEkspektasi, DiAtasEkspektasi)).at(datetime!(2025-02-02 02:00 UTC)).then_err("period_evaluated");
    assert!(error.to_string().contains("correct it instead"), "{error}");
    history.when(correct("2025-01", DiAtasEkspektasi, DiAtasEkspektasi)).at(datetime!(2025-02-02 02:00 UTC)).then(corrected("2025-01", DiAtasEkspektasi, DiAtasEkspektasi));
}

#[test]
fn a_late_first_evaluation_is_still_taken_after_the_lock() {
    let (_, _, locks) = ZONES[0];
    given(monthly()).when(evaluate("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).at(locks + Duration::days(40)).then(evaluated("2025-01", SesuaiEkspektasi, SesuaiEkspektasi));
}

#[test]
fn periods_of_another_kind_or_year_or_of_an_annual_cycle_are_invalid() {
    let late = datetime!(2026-03-01 00:00 UTC);
    for period in ["2025-Q1", "2025-S1", "2024-12", "2026-01"] {
        let when = given(monthly()).when(C::EvaluatePeriod { period: period_id(period), results_rating: SesuaiEkspektasi, behaviour_rating: SesuaiEkspektasi, notes: None });
        when.at(late).then_err("invalid_period");
    }
    given(until(Status::TargetsAgreed)).when(evaluate("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).at(late).then_err("invalid_period");
    given(until(Status::TargetsAgreed)).when(correct("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).at(late).then_err("invalid_period");
}

#[test]
fn only_the_rater_evaluates_and_corrects_and_only_while_targets_are_agreed() {
    let late = datetime!(2025-02-03 02:00 UTC);
    for who in [employee(), superior(), peer(), admin(), inspector(), rater().also_inspector()] {
        given(monthly()).when(evaluate("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).by(who.clone()).at(late).then_err("forbidden");
        given(monthly()).when(correct("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).by(who).at(late).then_err("forbidden");
    }
    let opened_only = vec![opened_in(periodic_cycle(PeriodKind::Monthly, 7))];
    given(opened_only).when(evaluate("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).at(late).then_err("invalid_transition");
    let mut scored_monthly = monthly();
    scored_monthly.push(scored());
    given(scored_monthly).when(evaluate("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).at(late).then_err("invalid_transition");
}

#[test]
fn notes_are_free_text() {
    let with = |notes: &str| C::EvaluatePeriod { period: period_id("2025-01"), results_rating: SesuaiEkspektasi, behaviour_rating: SesuaiEkspektasi, notes: Some(notes.into()) };
    given(monthly()).when(with("ok\u{7}")).at(datetime!(2025-02-03 02:00 UTC)).then_err("invalid_text");
}

// ---------------------------------------------------------------- correcting

#[test]
fn a_correction_is_taken_until_the_instant_the_period_locks_in_wib_wita_and_wit() {
    for (offset, ends, locks) in ZONES {
        let history = story(agreed_in(PeriodKind::Monthly, offset), vec![(ends + Duration::hours(3), evaluated("2025-01", SesuaiEkspektasi, SesuaiEkspektasi))]);
        let fix = correct("2025-01", DiBawahEkspektasi, DiBawahEkspektasi);
        history.clone().when(fix.clone()).at(locks - MICRO).then(corrected("2025-01", DiBawahEkspektasi, DiBawahEkspektasi));
        let error = history.when(fix).at(locks).then_err("period_locked");
        assert!(error.to_string().contains("10 days after it ended"), "UTC+{offset}: {error}");
    }
}

#[test]
fn a_period_not_evaluated_or_not_ended_cannot_be_corrected() {
    given(monthly()).when(correct("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)).at(datetime!(2025-02-03 02:00 UTC)).then_err("period_not_evaluated");
    given(monthly()).when(correct("2025-02", SesuaiEkspektasi, SesuaiEkspektasi)).at(datetime!(2025-02-03 02:00 UTC)).then_err("period_not_ended");
}

#[test]
fn a_correction_needs_a_reason() {
    let history = story(monthly(), vec![(datetime!(2025-02-01 02:00 UTC), evaluated("2025-01", SesuaiEkspektasi, SesuaiEkspektasi))]);
    let blank = C::CorrectPeriod { period: period_id("2025-01"), results_rating: SesuaiEkspektasi, behaviour_rating: DiAtasEkspektasi, reason: " ".into() };
    history.when(blank).at(datetime!(2025-02-02 02:00 UTC)).then_err("invalid_text");
}

#[test]
fn corrections_stack_and_the_last_one_stands() {
    let history = story(
        monthly(),
        vec![
            (datetime!(2025-02-01 02:00 UTC), evaluated("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)),
            (datetime!(2025-02-02 02:00 UTC), corrected("2025-01", DiBawahEkspektasi, SesuaiEkspektasi)),
            (datetime!(2025-02-03 02:00 UTC), corrected("2025-01", DiAtasEkspektasi, DiAtasEkspektasi)),
        ],
    );
    let record = &history.state.periods[&period_id("2025-01")];
    assert_eq!(record.corrections.len(), 2);
    assert_eq!(record.standing(), (DiAtasEkspektasi, DiAtasEkspektasi, Predikat::SangatBaik));
    assert_eq!(record.evaluated.1.version, 5);
    assert_eq!(history.state.status, Status::TargetsAgreed, "periodic events leave the status as it is");
}

// ---------------------------------------------------------------- the annual score waits

#[test]
fn the_score_waits_for_every_ended_period_and_names_them() {
    let error = given(monthly()).when(score()).at(datetime!(2025-04-15 00:00 UTC)).then_err("periods_pending");
    assert!(error.to_string().ends_with("2025-01, 2025-02, 2025-03"), "{error}");
}

#[test]
fn the_score_is_pending_from_the_instant_a_period_ends_in_wib_wita_and_wit() {
    for (offset, january_ends, _) in ZONES {
        let history = story(
            agreed_in(PeriodKind::Monthly, offset),
            vec![
                (datetime!(2025-02-01 02:00 UTC), evaluated("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)),
                (datetime!(2025-03-01 02:00 UTC), evaluated("2025-02", SesuaiEkspektasi, SesuaiEkspektasi)),
            ],
        );
        // March ends at 00:00 local time on 1 April: 59 days after January ends.
        let march_ends = january_ends + Duration::days(59);
        let before = history.clone().when(score()).at(march_ends - MICRO).decide();
        assert!(matches!(before, Ok(Decision::Record { event: Event::ScoreGiven(_), .. })), "UTC+{offset}: {before:?}");
        let error = history.when(score()).at(march_ends).then_err("periods_pending");
        assert!(error.to_string().ends_with("not evaluated: 2025-03"), "UTC+{offset}: {error}");
    }
}

#[test]
fn an_annual_only_cycle_scores_without_periods() {
    given(until(Status::TargetsAgreed)).when(score()).at(SCORED_AT).then(scored());
}

#[test]
fn pending_periods_come_before_the_values_of_the_score() {
    let bad_notes = C::Score { results_rating: SesuaiEkspektasi, behaviour_rating: SesuaiEkspektasi, notes: Some("\u{1}".into()) };
    given(monthly()).when(bad_notes).at(datetime!(2025-02-15 00:00 UTC)).then_err("periods_pending");
}

// ---------------------------------------------------------------- the order of the checks

fn lazily(state: &Appraisal, kind: CommandKind, period: &str, who: Who, now: OffsetDateTime) -> Result<Decision, DomainError> {
    let ctx = Ctx { caller: who.caller, now };
    let bad_values = |_| Err(DomainError::invalid("invalid_rating", "not a rating"));
    decide_period(state, kind, period, bad_values, &ctx)
}

#[test]
fn a_period_route_checks_who_then_the_status_then_the_period_then_its_conflicts_then_the_values() {
    let state = given(monthly()).state;
    let early = datetime!(2025-01-20 00:00 UTC);
    let late = datetime!(2025-02-03 00:00 UTC);
    let code = |r: Result<Decision, DomainError>| r.map_err(|e| e.code()).err();
    assert_eq!(code(lazily(&Appraisal::new(APPRAISAL_ID), CommandKind::EvaluatePeriod, "x", rater(), late)), Some("not_found"));
    assert_eq!(code(lazily(&state, CommandKind::EvaluatePeriod, "not a period", peer(), late)), Some("forbidden"));
    let opened_only = given(vec![opened_in(periodic_cycle(PeriodKind::Monthly, 7))]).state;
    assert_eq!(code(lazily(&opened_only, CommandKind::EvaluatePeriod, "not a period", rater(), late)), Some("invalid_transition"));
    assert_eq!(code(lazily(&state, CommandKind::EvaluatePeriod, "not a period", rater(), late)), Some("invalid_period"));
    assert_eq!(code(lazily(&state, CommandKind::EvaluatePeriod, "2025-01", rater(), early)), Some("period_not_ended"));
    assert_eq!(code(lazily(&state, CommandKind::CorrectPeriod, "2025-01", rater(), late)), Some("period_not_evaluated"));
    assert_eq!(code(lazily(&state, CommandKind::EvaluatePeriod, "2025-01", rater(), late)), Some("invalid_rating"));
}


#[test]
fn the_pending_periods_are_the_ended_ones_without_an_evaluation() {
    let history = story(monthly(), vec![(datetime!(2025-03-01 02:00 UTC), evaluated("2025-02", SesuaiEkspektasi, SesuaiEkspektasi))]);
    assert_eq!(pending(&history.state, datetime!(2025-03-01 02:00 UTC)), vec![period_id("2025-01")]);
    assert_eq!(pending(&given(until(Status::TargetsAgreed)).state, datetime!(2026-01-01 00:00 UTC)), vec![]);
}
