//! The dates of pembinaan and development (PP 30/2019 Ps 56–58), and what a plan's status is
//! on a given day: the one place the read models (career, progress) and the rules take them
//! from.
//!
//! Dates are UTC calendar dates, as every instant SKP records is UTC:
//! - a low final predikat (`butuh_perbaikan`, `kurang`, `sangat_kurang`) calls for a
//!   `pembinaan` plan, due at most [`IMPROVEMENT_MONTHS`] after the finalization date ("paling
//!   lama 6 bulan"); any other predikat for `pengembangan`, due at most [`DEVELOPMENT_MONTHS`]
//!   after it;
//! - a low final predikat with no plan is overdue from the day after [`PLAN_GRACE_DAYS`]
//!   days after the finalization date;
//! - an open plan is reviewable from its due date, and overdue from the day after it.

use skp_events::development::{DevelopmentKind, ImprovementOutcome};
use skp_events::Predikat;
use time::{Date, Duration, Month};

/// Months to improve after a low predikat, at most (PP 30/2019 Ps 56–58).
pub const IMPROVEMENT_MONTHS: u32 = 6;
/// Months within which a development (pengembangan) plan is due, at most.
pub const DEVELOPMENT_MONTHS: u32 = 12;
/// Days after finalization within which a low predikat's pembinaan plan is to be opened.
pub const PLAN_GRACE_DAYS: i64 = 30;

/// Whether a final `predikat` calls for pembinaan: `butuh_perbaikan`, `kurang` or
/// `sangat_kurang`.
pub fn requires_pembinaan(predikat: Predikat) -> bool {
    matches!(predikat, Predikat::ButuhPerbaikan | Predikat::Kurang | Predikat::SangatKurang)
}

/// The kind of plan a final `predikat` calls for.
pub fn kind_for(predikat: Predikat) -> DevelopmentKind {
    if requires_pembinaan(predikat) {
        DevelopmentKind::Pembinaan
    } else {
        DevelopmentKind::Pengembangan
    }
}

/// `date` plus `months` calendar months; a day the target month lacks becomes its last
/// (31 August + 6 months = 28 or 29 February).
pub fn add_months(date: Date, months: u32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months as i32;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u8 + 1);
    let month = Month::try_from(month).unwrap_or(Month::December);
    let last = month.length(year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

/// The latest due date of a plan of `kind` for an appraisal finalized on `finalized`; also
/// the due date when the opening names none.
pub fn latest_due(kind: DevelopmentKind, finalized: Date) -> Date {
    match kind {
        DevelopmentKind::Pembinaan => add_months(finalized, IMPROVEMENT_MONTHS),
        DevelopmentKind::Pengembangan => add_months(finalized, DEVELOPMENT_MONTHS),
    }
}

/// The first day on which a low predikat finalized on `finalized` with no plan is overdue.
pub fn plan_missing_overdue_from(finalized: Date) -> Date {
    finalized + Duration::days(PLAN_GRACE_DAYS + 1)
}

/// The first day on which an open plan due on `due` is overdue (it is reviewable on `due`).
pub fn review_overdue_from(due: Date) -> Date {
    due + Duration::days(1)
}

/// What the career read model knows of an employee's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSummary {
    /// Pembinaan or pengembangan.
    pub kind: DevelopmentKind,
    /// Its due date.
    pub due: Date,
    /// The review's outcome, once reviewed.
    pub outcome: Option<ImprovementOutcome>,
}

/// A plan's status as the career read model serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CareerPlanStatus {
    /// No plan.
    None,
    /// Open, not yet past its due date.
    Open,
    /// Open past its due date without a review.
    Overdue,
    /// Reviewed: improved.
    Improved,
    /// Reviewed: not improved.
    NotImproved,
}

impl CareerPlanStatus {
    /// The wire name: `none`, `open`, `overdue`, `improved` or `not_improved`.
    pub fn as_str(self) -> &'static str {
        match self {
            CareerPlanStatus::None => "none",
            CareerPlanStatus::Open => "open",
            CareerPlanStatus::Overdue => "overdue",
            CareerPlanStatus::Improved => "improved",
            CareerPlanStatus::NotImproved => "not_improved",
        }
    }
}

/// The plan status of an appraisal finalized on `finalized` with `predikat`, on `today`, and
/// whether something is overdue: an open plan past its due date, or a low predikat with no
/// plan after [`PLAN_GRACE_DAYS`] days (status `none`, overdue).
pub fn career_status(predikat: Predikat, finalized: Date, plan: Option<PlanSummary>, today: Date) -> (CareerPlanStatus, bool) {
    match plan {
        None => (CareerPlanStatus::None, requires_pembinaan(predikat) && today >= plan_missing_overdue_from(finalized)),
        Some(PlanSummary { outcome: Some(ImprovementOutcome::Improved), .. }) => (CareerPlanStatus::Improved, false),
        Some(PlanSummary { outcome: Some(ImprovementOutcome::NotImproved), .. }) => (CareerPlanStatus::NotImproved, false),
        Some(PlanSummary { due, outcome: None, .. }) if today >= review_overdue_from(due) => (CareerPlanStatus::Overdue, true),
        Some(PlanSummary { outcome: None, .. }) => (CareerPlanStatus::Open, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn six_months_after_the_last_day_of_a_long_month_is_the_last_day_of_a_short_one() {
        assert_eq!(add_months(date!(2025 - 08 - 31), 6), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 08 - 31), 6), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 11 - 30), 6), date!(2027 - 05 - 30));
        assert_eq!(add_months(date!(2026 - 07 - 15), 6), date!(2027 - 01 - 15));
        assert_eq!(add_months(date!(2026 - 01 - 31), 12), date!(2027 - 01 - 31));
    }

    #[test]
    fn butuh_perbaikan_kurang_and_sangat_kurang_call_for_pembinaan_the_others_for_pengembangan() {
        use Predikat::*;
        for (predikat, kind) in [
            (SangatBaik, DevelopmentKind::Pengembangan),
            (Baik, DevelopmentKind::Pengembangan),
            (ButuhPerbaikan, DevelopmentKind::Pembinaan),
            (Kurang, DevelopmentKind::Pembinaan),
            (SangatKurang, DevelopmentKind::Pembinaan),
        ] {
            assert_eq!(kind_for(predikat), kind, "{predikat:?}");
        }
    }

    #[test]
    fn pembinaan_is_due_at_most_six_months_after_finalization_pengembangan_twelve() {
        let finalized = date!(2026 - 11 - 30);
        assert_eq!(latest_due(DevelopmentKind::Pembinaan, finalized), date!(2027 - 05 - 30));
        assert_eq!(latest_due(DevelopmentKind::Pengembangan, finalized), date!(2027 - 11 - 30));
    }

    #[test]
    fn a_low_predikat_without_a_plan_is_overdue_from_the_thirty_first_day() {
        let finalized = date!(2026 - 11 - 30);
        let status = |today| career_status(Predikat::Kurang, finalized, None, today);
        assert_eq!(status(date!(2026 - 12 - 30)), (CareerPlanStatus::None, false), "day 30");
        assert_eq!(status(date!(2026 - 12 - 31)), (CareerPlanStatus::None, true), "day 31");
        assert_eq!(career_status(Predikat::Baik, finalized, None, date!(2027 - 06 - 01)), (CareerPlanStatus::None, false));
    }

    #[test]
    fn an_open_plan_is_open_on_its_due_date_and_overdue_the_day_after() {
        let plan = PlanSummary { kind: DevelopmentKind::Pembinaan, due: date!(2027 - 05 - 30), outcome: None };
        let status = |today| career_status(Predikat::Kurang, date!(2026 - 11 - 30), Some(plan), today);
        assert_eq!(status(date!(2027 - 05 - 30)), (CareerPlanStatus::Open, false));
        assert_eq!(status(date!(2027 - 05 - 31)), (CareerPlanStatus::Overdue, true));
    }

    #[test]
    fn a_reviewed_plan_is_its_outcome_whatever_the_day() {
        for (outcome, expected) in [(ImprovementOutcome::Improved, CareerPlanStatus::Improved), (ImprovementOutcome::NotImproved, CareerPlanStatus::NotImproved)] {
            let plan = PlanSummary { kind: DevelopmentKind::Pembinaan, due: date!(2027 - 05 - 30), outcome: Some(outcome) };
            assert_eq!(career_status(Predikat::Kurang, date!(2026 - 11 - 30), Some(plan), date!(2030 - 01 - 01)), (expected, false));
        }
    }
}
