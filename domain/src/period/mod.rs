//! The calendar of periodic evaluation (DOMAIN.md, *Periodic evaluation*): which periods a
//! cycle has, when each ends and when its evaluation locks, in the agency's own time zone.
//!
//! - A cycle of kind `monthly`, `quarterly` or `semester` has the periods of its year of
//!   that kind (`YYYY-MM`, `YYYY-Q1`..`Q4`, `YYYY-S1`/`S2`); a cycle of kind `none` has none.
//!   Any other period id is 422 `invalid_period`.
//! - A period ends at 00:00 local time (`utc_offset_hours`: 7 WIB, 8 WITA, 9 WIT) of the next
//!   period's first day: the instant itself belongs to the next period, so at that instant the
//!   period has ended.
//! - Its evaluation may be corrected until `period_entry_days` whole days after its end: it
//!   locks at 00:00 local time `period_entry_days` days after the end (10 days: a period
//!   ending on 1 February locks at 00:00 on 11 February; corrections are taken through 10
//!   February). An ended period not evaluated by then is overdue.
//!
//! [`view`] is the periods of an appraisal as people read them.

pub mod view;

use crate::error::DomainError;
use skp_events::data::{AppraisalOpened, CycleOpened};
use skp_events::period::{CapaianPeriod, PeriodId, PeriodKind};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The time zones of Indonesia, hours east of UTC: WIB, WITA, WIT.
pub const UTC_OFFSETS: [u8; 3] = [7, 8, 9];

/// A cycle's periodic-evaluation configuration, as the cycle and each of its appraisals
/// carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    /// The cycle's year.
    pub year: i32,
    /// The kind of period (`none`: annual only).
    pub kind: PeriodKind,
    /// Days after a period's end during which its evaluation may be corrected.
    pub entry_days: u32,
    /// The agency's time zone, hours east of UTC.
    pub utc_offset_hours: u8,
}

impl Calendar {
    /// The calendar an appraisal carries from its cycle.
    pub fn of_appraisal(opened: &AppraisalOpened) -> Self {
        Self { year: opened.year, kind: opened.period, entry_days: opened.period_entry_days, utc_offset_hours: opened.utc_offset_hours }
    }

    /// The calendar of a cycle.
    pub fn of_cycle(cycle: &CycleOpened) -> Self {
        Self { year: cycle.year, kind: cycle.period, entry_days: cycle.period_entry_days, utc_offset_hours: cycle.utc_offset_hours }
    }

    /// Whether the cycle evaluates periodically.
    pub fn has_periods(&self) -> bool {
        self.kind != PeriodKind::None
    }

    /// Every period of the cycle's year, in order (none for an annual-only cycle).
    pub fn periods(&self) -> Vec<PeriodId> {
        PeriodId::all_of(self.year, self.kind)
    }

    /// `period` if it is one of this cycle's periods.
    ///
    /// # Errors
    /// 422 `invalid_period` naming what the cycle's periods are.
    pub fn check(&self, period: PeriodId) -> Result<PeriodId, DomainError> {
        if self.has_periods() && period.kind() == self.kind && period.year() == self.year {
            Ok(period)
        } else {
            Err(self.not_a_period(&period.to_string()))
        }
    }

    /// Reads a period id of this cycle.
    ///
    /// # Errors
    /// 422 `invalid_period` for a text that is no period id, or a period of another kind or
    /// year.
    pub fn parse(&self, raw: &str) -> Result<PeriodId, DomainError> {
        let period = PeriodId::parse(raw).map_err(|_| self.not_a_period(raw))?;
        self.check(period)
    }

    /// Reads what a unit's capaian applies to: `annual`, or one of this cycle's periods.
    ///
    /// # Errors
    /// 422 `invalid_period` as [`Calendar::parse`].
    pub fn parse_capaian_period(&self, raw: &str) -> Result<CapaianPeriod, DomainError> {
        if raw == "annual" {
            Ok(CapaianPeriod::Annual)
        } else {
            self.parse(raw).map(CapaianPeriod::Period)
        }
    }

    fn not_a_period(&self, raw: &str) -> DomainError {
        let raw: String = raw.chars().take(40).collect();
        let detail = match self.periods().as_slice() {
            [] => format!("{raw:?} is not a period of this cycle: it evaluates annually only (period: none)"),
            [first, .., last] => format!("{raw:?} is not a period of this cycle: its periods are {first} .. {last} ({})", self.kind),
            [only] => format!("{raw:?} is not a period of this cycle: its period is {only}"),
        };
        DomainError::invalid("invalid_period", detail)
    }

    /// The agency's UTC offset.
    pub fn offset(&self) -> UtcOffset {
        i8::try_from(self.utc_offset_hours).ok().and_then(|h| UtcOffset::from_hms(h, 0, 0).ok()).unwrap_or(UtcOffset::UTC)
    }

    /// 00:00 local time on the first day of `month` (13: January of the next year) of the
    /// period's year.
    fn local_midnight(&self, year: i32, month: u8) -> OffsetDateTime {
        let (year, month) = if month > 12 { (year + 1, month - 12) } else { (year, month) };
        let month = Month::try_from(month).unwrap_or(Month::January);
        let date = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN);
        PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(self.offset()).to_offset(UtcOffset::UTC)
    }

    /// When `period` begins: 00:00 local time of its first day.
    pub fn starts_at(&self, period: PeriodId) -> OffsetDateTime {
        self.local_midnight(period.year(), period.first_month())
    }

    /// When `period` ends: 00:00 local time of the next period's first day.
    pub fn ends_at(&self, period: PeriodId) -> OffsetDateTime {
        self.local_midnight(period.year(), period.next_month())
    }

    /// When `period`'s evaluation locks (and an unevaluated period becomes overdue):
    /// `entry_days` days after its end.
    pub fn locks_at(&self, period: PeriodId) -> OffsetDateTime {
        self.ends_at(period) + Duration::days(i64::from(self.entry_days))
    }

    /// Whether `period` has ended at `now`.
    pub fn has_ended(&self, period: PeriodId, now: OffsetDateTime) -> bool {
        now >= self.ends_at(period)
    }

    /// Whether `period`'s evaluation is locked at `now`.
    pub fn is_locked(&self, period: PeriodId, now: OffsetDateTime) -> bool {
        now >= self.locks_at(period)
    }

    /// The periods that have ended at `now`, in order.
    pub fn ended(&self, now: OffsetDateTime) -> Vec<PeriodId> {
        self.periods().into_iter().filter(|p| self.has_ended(*p, now)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn calendar(kind: PeriodKind, utc_offset_hours: u8) -> Calendar {
        Calendar { year: 2026, kind, entry_days: 10, utc_offset_hours }
    }

    fn id(raw: &str) -> PeriodId {
        PeriodId::parse(raw).expect("a period id")
    }

    #[test]
    fn a_monthly_period_ends_at_local_midnight_of_the_next_month_in_wib_wita_and_wit() {
        let expected = [(7, datetime!(2026-01-31 17:00 UTC)), (8, datetime!(2026-01-31 16:00 UTC)), (9, datetime!(2026-01-31 15:00 UTC))];
        for (offset, end) in expected {
            let calendar = calendar(PeriodKind::Monthly, offset);
            assert_eq!(calendar.ends_at(id("2026-01")), end, "UTC+{offset}");
            assert!(!calendar.has_ended(id("2026-01"), end - Duration::microseconds(1)), "UTC+{offset}: a microsecond before");
            assert!(calendar.has_ended(id("2026-01"), end), "UTC+{offset}: at the instant");
            assert_eq!(calendar.starts_at(id("2026-02")), end, "the next period begins as this one ends");
        }
    }

    #[test]
    fn the_last_period_of_every_kind_ends_at_new_year_local_time() {
        for (kind, last) in [(PeriodKind::Monthly, "2026-12"), (PeriodKind::Quarterly, "2026-Q4"), (PeriodKind::Semester, "2026-S2")] {
            assert_eq!(calendar(kind, 7).ends_at(id(last)), datetime!(2026-12-31 17:00 UTC), "{kind}");
            assert_eq!(calendar(kind, 9).ends_at(id(last)), datetime!(2026-12-31 15:00 UTC), "{kind}");
        }
        assert_eq!(calendar(PeriodKind::Quarterly, 8).ends_at(id("2026-Q1")), datetime!(2026-03-31 16:00 UTC));
        assert_eq!(calendar(PeriodKind::Semester, 8).ends_at(id("2026-S1")), datetime!(2026-06-30 16:00 UTC));
        assert_eq!(calendar(PeriodKind::Semester, 7).starts_at(id("2026-S1")), datetime!(2025-12-31 17:00 UTC));
    }

    #[test]
    fn an_evaluation_locks_entry_days_after_the_end_at_local_midnight() {
        for (offset, lock) in [(7, datetime!(2026-02-10 17:00 UTC)), (8, datetime!(2026-02-10 16:00 UTC)), (9, datetime!(2026-02-10 15:00 UTC))] {
            let calendar = calendar(PeriodKind::Monthly, offset);
            assert_eq!(calendar.locks_at(id("2026-01")), lock, "UTC+{offset}");
            assert!(!calendar.is_locked(id("2026-01"), lock - Duration::microseconds(1)));
            assert!(calendar.is_locked(id("2026-01"), lock));
        }
        let short = Calendar { entry_days: 1, ..calendar(PeriodKind::Monthly, 7) };
        assert_eq!(short.locks_at(id("2026-02")), datetime!(2026-03-01 17:00 UTC));
    }

    #[test]
    fn the_periods_ended_are_those_whose_end_has_come() {
        let calendar = calendar(PeriodKind::Quarterly, 7);
        assert_eq!(calendar.ended(datetime!(2026-03-31 16:59:59.999999 UTC)), vec![]);
        assert_eq!(calendar.ended(datetime!(2026-03-31 17:00 UTC)), vec![id("2026-Q1")]);
        assert_eq!(calendar.ended(datetime!(2027-06-01 00:00 UTC)).len(), 4);
        assert_eq!(calendar.periods().len(), 4);
    }

    #[test]
    fn only_the_cycles_own_periods_are_periods() {
        let monthly = calendar(PeriodKind::Monthly, 7);
        assert_eq!(monthly.parse("2026-03"), Ok(id("2026-03")));
        for bad in ["2025-12", "2027-01", "2026-Q1", "2026-S1", "2026-13", "maret", ""] {
            assert_eq!(monthly.parse(bad).map_err(|e| e.code()), Err("invalid_period"), "{bad:?}");
        }
        let annual = calendar(PeriodKind::None, 7);
        let error = annual.parse("2026-03").expect_err("an annual cycle has no periods");
        assert!(error.to_string().contains("annually only"), "{error}");
        assert_eq!(annual.parse_capaian_period("annual"), Ok(CapaianPeriod::Annual));
        assert_eq!(monthly.parse_capaian_period("2026-04"), Ok(CapaianPeriod::Period(id("2026-04"))));
        assert_eq!(monthly.parse_capaian_period("2026-Q2").map_err(|e| e.code()), Err("invalid_period"));
    }
}
