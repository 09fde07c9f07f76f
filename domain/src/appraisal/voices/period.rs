//! Periods as the voices beyond the rater use them: a self-assessment or a survey answer
//! names a period of the cycle's year (`YYYY-MM`, `YYYY-Qn`, `YYYY-Sn`) or `annual`.
//!
//! Where these rules need periodic evaluation (`PeriodEvaluated`, the cycle's period kind
//! and UTC offset), they read the appraisal's periodic state ([`crate::period::Calendar`],
//! `Appraisal::periods`): a period other than `annual` is taken only in a cycle of its kind.

use crate::appraisal::Appraisal;
use crate::error::DomainError;
use crate::period::Calendar;
use skp_events::period::PeriodId;
use skp_events::voices::{PeriodKind, PeriodRef};
use skp_events::{Predikat, Rating};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The offset of WIB (UTC+7), the time of a cycle that names none.
pub const DEFAULT_UTC_OFFSET_HOURS: i8 = 7;

/// Checks that `period` is one the appraisal takes: a period of the cycle's year, or
/// `annual`, of a kind the cycle has.
///
/// # Errors
/// 422 `invalid_period`.
pub fn check_period(state: &Appraisal, period: &PeriodRef) -> Result<(), DomainError> {
    let year = state.opened.as_ref().map_or(0, |o| o.year);
    if let Some(named) = period.year() {
        if named != year {
            return Err(DomainError::invalid("invalid_period", format!("period {period} is not in the cycle's year {year}")));
        }
    }
    if !period_kind_allowed(state, period) {
        return Err(DomainError::invalid("invalid_period", format!("period {period} is not of the cycle's period kind")));
    }
    Ok(())
}

/// Whether the cycle has periods of `period`'s kind: `annual` always; another period only
/// when it is one of the cycle's periods (an annual-only cycle has none).
pub fn period_kind_allowed(state: &Appraisal, period: &PeriodRef) -> bool {
    let Some(opened) = &state.opened else { return true };
    period.kind() == PeriodKind::Annual || periodic(period).is_some_and(|p| Calendar::of_appraisal(opened).check(p).is_ok())
}

/// The period id of the periodic calendar that `period` names (none for `annual`).
fn periodic(period: &PeriodRef) -> Option<PeriodId> {
    PeriodId::parse(period.as_str()).ok()
}

/// Whether the rater has already evaluated `period`: for `annual` the score; for a period,
/// its `PeriodEvaluated`.
pub fn period_evaluated(state: &Appraisal, period: &PeriodRef) -> bool {
    match period.kind() {
        PeriodKind::Annual => state.score.is_some(),
        _ => periodic(period).is_some_and(|p| state.periods.contains_key(&p)),
    }
}

/// The rater's rating that stands for `period`: results, behaviour and predikat. For
/// `annual` the forum's decision, else the score; for a period its evaluation, as corrected.
pub fn rater_rating(state: &Appraisal, period: &PeriodRef) -> Option<(Rating, Rating, Predikat)> {
    match period.kind() {
        PeriodKind::Annual => state
            .forum
            .as_ref()
            .map(|(f, _)| (f.results_rating, f.behaviour_rating, f.predikat))
            .or_else(|| state.score.as_ref().map(|(s, _)| (s.results_rating, s.behaviour_rating, s.predikat))),
        _ => periodic(period).and_then(|p| state.periods.get(&p)).map(|r| r.standing()),
    }
}

/// The cycle's UTC offset in hours (WIB 7, WITA 8, WIT 9); WIB before the appraisal is open.
pub fn utc_offset_hours(state: &Appraisal) -> i8 {
    state.opened.as_ref().and_then(|o| i8::try_from(o.utc_offset_hours).ok()).unwrap_or(DEFAULT_UTC_OFFSET_HOURS)
}

/// When `period` of `year` begins and ends, as instants: from 00:00 local time of its first
/// day to 00:00 local time of the next period's first day (`annual`: the whole year).
pub fn bounds(period: &PeriodRef, year: i32, utc_offset_hours: i8) -> (OffsetDateTime, OffsetDateTime) {
    let year = period.year().unwrap_or(year);
    let (first, last) = period.months();
    let start = month_start(year, first, utc_offset_hours);
    let end = if last == 12 { month_start(year + 1, 1, utc_offset_hours) } else { month_start(year, last + 1, utc_offset_hours) };
    (start, end)
}

fn month_start(year: i32, month: u8, utc_offset_hours: i8) -> OffsetDateTime {
    let month = Month::try_from(month).unwrap_or(Month::January);
    let day = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN);
    let offset = UtcOffset::from_hms(utc_offset_hours, 0, 0).unwrap_or(UtcOffset::UTC);
    PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_offset(offset).to_offset(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use time::macros::datetime;
    use skp_events::Event;

    fn p(raw: &str) -> PeriodRef {
        PeriodRef::parse(raw).expect("a period")
    }

    /// An appraisal with the targets agreed in a cycle of `kind` (WITA), then `more`.
    fn agreed_in(kind: skp_events::period::PeriodKind, more: Vec<Event>) -> Appraisal {
        let mut events = until(crate::appraisal::Status::TargetsAgreed);
        events[0] = opened_in(periodic_cycle(kind, 8));
        events.extend(more);
        given(events).state
    }

    #[test]
    fn a_period_of_the_cycles_kind_and_year_or_annual_is_taken_and_no_other() {
        use skp_events::period::PeriodKind::*;
        let cases = [
            (None, &["annual"][..], &["2025-01", "2025-Q4", "2025-S2", "2024-12"][..]),
            (Monthly, &["annual", "2025-01", "2025-12"], &["2025-Q4", "2025-S2", "2024-12", "2026-01"]),
            (Quarterly, &["annual", "2025-Q4"], &["2025-01", "2025-S2", "2026-Q1"]),
            (Semester, &["annual", "2025-S2"], &["2025-01", "2025-Q4", "2024-S1"]),
        ];
        for (kind, good, bad) in cases {
            let state = agreed_in(kind, vec![]);
            for raw in good {
                assert_eq!(check_period(&state, &p(raw)), Ok(()), "{kind:?} {raw}");
            }
            for raw in bad {
                assert_eq!(check_period(&state, &p(raw)).map_err(|e| e.code()), Err("invalid_period"), "{kind:?} {raw}");
            }
        }
    }

    #[test]
    fn a_period_is_evaluated_once_the_rater_evaluated_it_and_its_corrected_rating_stands() {
        use skp_events::period::PeriodKind::Monthly;
        let (atas, sesuai, bawah) = (Rating::DiAtasEkspektasi, Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi);
        let before = agreed_in(Monthly, vec![]);
        assert!(!period_evaluated(&before, &p("2025-01")));
        assert_eq!(rater_rating(&before, &p("2025-01")), None);
        let state = agreed_in(Monthly, vec![evaluated("2025-01", atas, atas), corrected("2025-01", sesuai, bawah)]);
        assert!(period_evaluated(&state, &p("2025-01")) && !period_evaluated(&state, &p("2025-02")));
        assert_eq!(rater_rating(&state, &p("2025-01")), Some((sesuai, bawah, crate::predikat(sesuai, bawah))));
        assert_eq!(utc_offset_hours(&state), 8, "the cycle's offset, WITA");
    }

    #[test]
    fn a_period_runs_from_local_midnight_of_its_first_day_to_that_of_the_next_period() {
        assert_eq!(bounds(&p("2026-03"), 2026, 7), (datetime!(2026-02-28 17:00 UTC), datetime!(2026-03-31 17:00 UTC)));
        assert_eq!(bounds(&p("2026-Q4"), 2026, 9), (datetime!(2026-09-30 15:00 UTC), datetime!(2026-12-31 15:00 UTC)));
        assert_eq!(bounds(&p("2026-S1"), 2026, 8), (datetime!(2025-12-31 16:00 UTC), datetime!(2026-06-30 16:00 UTC)));
        assert_eq!(bounds(&p("annual"), 2026, 7), (datetime!(2025-12-31 17:00 UTC), datetime!(2026-12-31 17:00 UTC)));
    }

    #[test]
    fn the_year_is_evaluated_once_scored_and_its_rating_is_the_one_that_stands() {
        let agreed = given(until(crate::appraisal::Status::TargetsAgreed)).state;
        assert!(!period_evaluated(&agreed, &PeriodRef::annual()));
        assert_eq!(rater_rating(&agreed, &PeriodRef::annual()), None);
        let scored = given(until(crate::appraisal::Status::Scored)).state;
        assert!(period_evaluated(&scored, &PeriodRef::annual()));
        let sesuai = Rating::SesuaiEkspektasi;
        assert_eq!(rater_rating(&scored, &PeriodRef::annual()), Some((sesuai, sesuai, Predikat::Baik)));
    }
}
