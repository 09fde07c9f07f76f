//! Check 7, `periods_complete` (cycles with periods): every period that had ended before a
//! score was evaluated before it by the rater of record; every evaluation came after its
//! period ended, once per period, by the rater of record in the role `rater`; every
//! correction followed an evaluation of its period, by the rater of record, before the
//! period locked; every periodic predikat is the matrix of its ratings. The calendar is the
//! one `AppraisalOpened` carries, so the check needs nothing but the appraisal's events.

use super::checks::{not_applicable, Review};
use super::history::{self as h, instant, label, role_name, At, History};
use super::{Check, PERIODS_COMPLETE};
use crate::matrix::predikat;
use crate::period::Calendar;
use skp_events::period::PeriodId;
use skp_events::{ActorRole, Envelope, Nip, Predikat, Rating};
use std::collections::BTreeMap;

/// Check 7.
pub(super) fn periods_complete(history: &History<'_>) -> Check {
    let (evaluations, corrections, scores) = (history.all(h::period_evaluated), history.all(h::period_corrected), history.all(h::score));
    let Some(opening) = history.opening() else {
        if evaluations.is_empty() && corrections.is_empty() {
            return not_applicable(PERIODS_COMPLETE, "no AppraisalOpened");
        }
        let mut review = Review::default();
        let ids = evaluations.iter().map(At::id).chain(corrections.iter().map(At::id));
        review.problem("no AppraisalOpened on record: the rater and the calendar are unknown".into(), ids);
        return review.finish(PERIODS_COMPLETE, history, String::new);
    };
    let calendar = Calendar::of_appraisal(opening.data);
    if !calendar.has_periods() && evaluations.is_empty() && corrections.is_empty() {
        let detail = "not applicable: the cycle evaluates annually only (period none)".to_owned();
        return Check { name: PERIODS_COMPLETE, passed: true, detail, event_ids: vec![] };
    }
    let rater = &opening.data.rater.nip;
    let mut review = Review::default();
    review.saw([opening.id()]);
    let mut first: BTreeMap<PeriodId, &At<'_, skp_events::data::PeriodEvaluated>> = BTreeMap::new();
    for evaluation in &evaluations {
        let period = evaluation.data.period;
        review.saw([evaluation.id()]);
        by_rater(&mut review, evaluation.envelope, rater, opening.id());
        in_calendar(&mut review, &calendar, period, evaluation.envelope, opening.id());
        matrix(&mut review, evaluation.envelope, (evaluation.data.results_rating, evaluation.data.behaviour_rating, evaluation.data.predikat));
        if evaluation.at() < calendar.ends_at(period) {
            let text = format!("{} evaluated {period} at {}, before it ended at {}", evaluation.label(), instant(evaluation.at()), instant(calendar.ends_at(period)));
            review.problem(text, [evaluation.id()]);
        }
        match first.get(&period) {
            Some(earlier) => review.problem(format!("{} evaluated {period} again after {}", evaluation.label(), earlier.label()), [earlier.id(), evaluation.id()]),
            None => {
                first.insert(period, evaluation);
            }
        }
    }
    for correction in &corrections {
        let period = correction.data.period;
        review.saw([correction.id()]);
        by_rater(&mut review, correction.envelope, rater, opening.id());
        matrix(&mut review, correction.envelope, (correction.data.results_rating, correction.data.behaviour_rating, correction.data.predikat));
        match first.get(&period).filter(|e| e.index < correction.index) {
            None => review.problem(format!("{} corrected {period}, which had not been evaluated before it", correction.label()), [correction.id()]),
            Some(evaluation) if correction.at() >= calendar.locks_at(period) => {
                let text = format!("{} corrected {period} at {}, after it locked at {}", correction.label(), instant(correction.at()), instant(calendar.locks_at(period)));
                review.problem(text, [evaluation.id(), correction.id()]);
            }
            Some(_) => {}
        }
    }
    for score in &scores {
        review.saw([score.id()]);
        let missing: Vec<String> = calendar
            .ended(score.at())
            .into_iter()
            .filter(|p| first.get(p).is_none_or(|e| e.index >= score.index))
            .map(|p| p.to_string())
            .collect();
        if !missing.is_empty() {
            review.problem(format!("{} came while period(s) {} had ended without an evaluation", score.label(), missing.join(", ")), [score.id()]);
        }
    }
    review.finish(PERIODS_COMPLETE, history, || {
        format!(
            "{} period(s) evaluated and {} correction(s), by the rater {rater}, each after its period ended and each predikat the matrix of its ratings; {}",
            first.len(),
            corrections.len(),
            if scores.is_empty() { "no score yet".to_owned() } else { "every period ended before the score was evaluated before it".to_owned() }
        )
    })
}

fn by_rater(review: &mut Review, envelope: &Envelope, rater: &Nip, opening: uuid::Uuid) {
    let actor = &envelope.actor;
    if actor.nip != *rater || actor.role != ActorRole::Rater {
        let text = format!("{} by {} as {}, not the rater {rater}", label(envelope), actor.nip, role_name(actor.role));
        review.problem(text, [opening, envelope.event_id]);
    }
}

fn in_calendar(review: &mut Review, calendar: &Calendar, period: PeriodId, envelope: &Envelope, opening: uuid::Uuid) {
    if calendar.check(period).is_err() {
        let text = format!("{} evaluated {period}, which is not a period of the cycle ({} {})", label(envelope), calendar.kind, calendar.year);
        review.problem(text, [opening, envelope.event_id]);
    }
}

fn matrix(review: &mut Review, envelope: &Envelope, (results, behaviour, recorded): (Rating, Rating, Predikat)) {
    let expected = predikat(results, behaviour);
    if recorded != expected {
        let text = format!("{} records predikat {} where the matrix gives {}", label(envelope), recorded.as_str(), expected.as_str());
        review.problem(text, [envelope.event_id]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::audit;
    use crate::testing::*;
    use skp_events::data::PeriodEvaluated;
    use skp_events::period::PeriodKind;
    use skp_events::{Actor, Event, Rating::*};
    use time::macros::datetime;
    use time::{Duration, OffsetDateTime};

    fn check_of(envelopes: &[Envelope]) -> Check {
        audit(envelopes, &[]).checks.into_iter().find(|c| c.name == PERIODS_COMPLETE).expect("check 7 runs")
    }

    /// A monthly (WIB) appraisal, agreed, then `later` at the times given.
    fn monthly(later: Vec<(OffsetDateTime, Event)>) -> Vec<Envelope> {
        let mut events: Vec<(OffsetDateTime, Event)> =
            [opened_in(periodic_cycle(PeriodKind::Monthly, 7)), drafted(), submitted(), agreed(), feedback()].into_iter().zip(0..).map(|(e, d)| (START + Duration::days(d), e)).collect();
        events.extend(later);
        history_at(events)
    }

    fn ok(period: &str, at: OffsetDateTime) -> (OffsetDateTime, Event) {
        (at, evaluated(period, SesuaiEkspektasi, SesuaiEkspektasi))
    }

    #[test]
    fn an_annual_only_appraisal_passes_as_not_applicable() {
        let check = check_of(&history(until(crate::appraisal::Status::Final)));
        assert!(check.passed && check.detail.starts_with("not applicable: the cycle evaluates annually only"), "{check:?}");
        assert_eq!(audit(&history(until(crate::appraisal::Status::Final)), &[]).checks.len(), 7);
    }

    #[test]
    fn every_period_ended_before_the_score_evaluated_by_the_rater_passes() {
        let envelopes = monthly(vec![
            ok("2025-01", datetime!(2025-02-02 02:00 UTC)),
            (datetime!(2025-02-05 02:00 UTC), corrected("2025-01", DiBawahEkspektasi, SesuaiEkspektasi)),
            ok("2025-02", datetime!(2025-03-02 02:00 UTC)),
            (datetime!(2025-03-20 02:00 UTC), scored()),
        ]);
        let check = check_of(&envelopes);
        assert!(check.passed, "{check:?}");
        assert_eq!(check.event_ids.len(), 5, "the opening, two evaluations, the correction and the score");
        assert!(check.detail.contains("2 period(s) evaluated and 1 correction(s)"), "{}", check.detail);
    }

    #[test]
    fn a_score_while_a_period_had_ended_unevaluated_is_a_finding() {
        let envelopes = monthly(vec![ok("2025-01", datetime!(2025-02-02 02:00 UTC)), (datetime!(2025-04-02 02:00 UTC), scored())]);
        let check = check_of(&envelopes);
        assert!(!check.passed);
        assert!(check.detail.contains("period(s) 2025-02, 2025-03 had ended without an evaluation"), "{}", check.detail);
        assert_eq!(check.event_ids, vec![envelopes.last().expect("score").event_id]);
    }

    #[test]
    fn an_evaluation_by_someone_else_before_the_end_or_against_the_matrix_is_a_finding() {
        let mut envelopes = monthly(vec![ok("2025-02", datetime!(2025-02-20 02:00 UTC))]);
        let check = check_of(&envelopes);
        assert!(!check.passed && check.detail.contains("before it ended at 2025-02-28T17:00:00Z"), "{}", check.detail);

        let wrong = Event::PeriodEvaluated(PeriodEvaluated { period: period_id("2025-01"), results_rating: DiBawahEkspektasi, behaviour_rating: DiBawahEkspektasi, predikat: Predikat::Baik, notes: None });
        envelopes = monthly(vec![(datetime!(2025-02-02 02:00 UTC), wrong)]);
        assert!(check_of(&envelopes).detail.contains("where the matrix gives sangat_kurang"));

        let last = envelopes.last().expect("an event").clone();
        let by_superior = envelope(Some(&envelopes[envelopes.len() - 2]), last.event, last.occurred_at, Actor { nip: nip(SUPERIOR_NIP), role: ActorRole::RaterSuperior }, last.command_id);
        let n = envelopes.len();
        envelopes[n - 1] = by_superior;
        assert!(check_of(&envelopes).detail.contains("not the rater"), "{}", check_of(&envelopes).detail);
    }

    #[test]
    fn a_correction_after_the_lock_or_without_an_evaluation_is_a_finding() {
        let late = monthly(vec![ok("2025-01", datetime!(2025-02-02 02:00 UTC)), (datetime!(2025-02-10 17:00 UTC), corrected("2025-01", DiAtasEkspektasi, DiAtasEkspektasi))]);
        let check = check_of(&late);
        assert!(!check.passed && check.detail.contains("after it locked at 2025-02-10T17:00:00Z"), "{}", check.detail);
        let orphan = monthly(vec![(datetime!(2025-02-02 02:00 UTC), corrected("2025-01", DiAtasEkspektasi, DiAtasEkspektasi))]);
        assert!(check_of(&orphan).detail.contains("had not been evaluated before it"));
    }

    #[test]
    fn a_period_evaluated_twice_or_outside_the_cycle_is_a_finding() {
        let twice = monthly(vec![ok("2025-01", datetime!(2025-02-02 02:00 UTC)), ok("2025-01", datetime!(2025-02-03 02:00 UTC))]);
        assert!(check_of(&twice).detail.contains("evaluated 2025-01 again"));
        let outside = monthly(vec![ok("2024-12", datetime!(2025-02-02 02:00 UTC))]);
        assert!(check_of(&outside).detail.contains("not a period of the cycle (monthly 2025)"));
    }
}
