//! Periods as the voices beyond the rater use them: a self-assessment or a survey answer
//! names a period of the cycle's year (`YYYY-MM`, `YYYY-Qn`, `YYYY-Sn`) or `annual`.
//!
//! Periodic evaluation (`PeriodEvaluated`, the cycle's period kind and UTC offset) is
//! another feature (issue 12). Where these rules need it, they ask one of the small functions
//! marked **hook** below, which answer for an annual-only cycle today; once periodic
//! evaluation is merged, each hook reads the appraisal's periodic state instead, and nothing
//! else here changes.

use crate::appraisal::Appraisal;
use crate::error::DomainError;
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

/// **Hook** (issue 12): whether the cycle has periods of `period`'s kind. `annual` always;
/// every kind until the appraisal knows its cycle's period kind, then only that one.
pub fn period_kind_allowed(_state: &Appraisal, _period: &PeriodRef) -> bool {
    true
}

/// Whether the rater has already evaluated `period`: for `annual` the score; for a period,
/// **hook** (issue 12): its `PeriodEvaluated` (none exists before periodic evaluation).
pub fn period_evaluated(state: &Appraisal, period: &PeriodRef) -> bool {
    match period.kind() {
        PeriodKind::Annual => state.score.is_some(),
        _ => false,
    }
}

/// The rater's rating that stands for `period`: results, behaviour and predikat. For
/// `annual` the forum's decision, else the score; for a period, **hook** (issue 12): its
/// evaluation (none before periodic evaluation).
pub fn rater_rating(state: &Appraisal, period: &PeriodRef) -> Option<(Rating, Rating, Predikat)> {
    match period.kind() {
        PeriodKind::Annual => state
            .forum
            .as_ref()
            .map(|(f, _)| (f.results_rating, f.behaviour_rating, f.predikat))
            .or_else(|| state.score.as_ref().map(|(s, _)| (s.results_rating, s.behaviour_rating, s.predikat))),
        _ => None,
    }
}

/// **Hook** (issue 12): the cycle's UTC offset in hours (WIB 7, WITA 8, WIT 9); WIB until the
/// appraisal carries its cycle's.
pub fn utc_offset_hours(_state: &Appraisal) -> i8 {
    DEFAULT_UTC_OFFSET_HOURS
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

    fn p(raw: &str) -> PeriodRef {
        PeriodRef::parse(raw).expect("a period")
    }

    #[test]
    fn a_period_of_the_cycles_year_or_annual_is_taken_and_another_years_is_not() {
        let state = given(until(crate::appraisal::Status::TargetsAgreed)).state;
        for good in ["annual", "2025-01", "2025-Q4", "2025-S2"] {
            assert_eq!(check_period(&state, &p(good)), Ok(()), "{good}");
        }
        for bad in ["2024-12", "2026-01", "2026-Q1"] {
            assert_eq!(check_period(&state, &p(bad)).map_err(|e| e.code()), Err("invalid_period"), "{bad}");
        }
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
        assert!(!period_evaluated(&scored, &p("2025-01")), "no periodic evaluation before issue 12");
    }
}
