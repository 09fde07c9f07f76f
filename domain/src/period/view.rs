//! The periods of an appraisal as people read them (`GET /v1/appraisals/{id}/periods`),
//! derived from the appraisal's state and the time alone.
//!
//! Each period of the cycle's year is `open` (not ended), `due` (ended, not evaluated;
//! `overdue` once it is past its lock), `evaluated` (correctable until `locks_at`) or
//! `locked` (evaluated, no longer correctable). An annual-only cycle has `period_kind:
//! "none"` and no periods.

use super::Calendar;
use crate::appraisal::{Appraisal, Status};
use crate::view::SelfAssessmentView;
use serde::Serialize;
use skp_events::period::{PeriodId, PeriodKind};
use skp_events::voices::PeriodRef;
use skp_events::{Predikat, Rating};
use time::OffsetDateTime;
use uuid::Uuid;

/// `GET /v1/appraisals/{id}/periods`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PeriodsView {
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// `none`, `monthly`, `quarterly` or `semester`.
    pub period_kind: PeriodKind,
    /// Days after a period's end during which its evaluation may be corrected.
    pub period_entry_days: u32,
    /// The cycle's time zone, hours east of UTC (7 WIB, 8 WITA, 9 WIT).
    pub utc_offset_hours: u8,
    /// Whether the rater may evaluate and correct now: only while the targets are agreed
    /// and the annual score is not given.
    pub evaluations_open: bool,
    /// The ended periods without an evaluation: what the annual score waits for.
    pub pending: Vec<PeriodId>,
    /// Every period of the year, in order.
    pub periods: Vec<PeriodView>,
}

/// One period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PeriodView {
    /// The period id.
    pub period: PeriodId,
    /// `open`, `due`, `evaluated` or `locked`.
    pub status: &'static str,
    /// 00:00 local time of its first day.
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    /// 00:00 local time of the next period's first day.
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    /// When corrections stop (and an unevaluated period becomes overdue).
    #[serde(with = "time::serde::rfc3339")]
    pub locks_at: OffsetDateTime,
    /// Ended, not evaluated, and past `locks_at`.
    pub overdue: bool,
    /// The evaluation as it stands, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<EvaluationView>,
    /// The employee's self-assessment of the period that stands, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_assessment: Option<SelfAssessmentView>,
}

/// A period's evaluation as it stands, with its corrections.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EvaluationView {
    /// The results rating that stands (the last correction's, else the evaluation's).
    pub results_rating: Rating,
    /// The behaviour rating that stands.
    pub behaviour_rating: Rating,
    /// The predikat that stands.
    pub predikat: Predikat,
    /// The rater's notes on the evaluation.
    pub notes: Option<String>,
    /// When the period was evaluated.
    #[serde(with = "time::serde::rfc3339")]
    pub evaluated_at: OffsetDateTime,
    /// Whether it was corrected since.
    pub corrected: bool,
    /// Every correction, oldest first.
    pub corrections: Vec<CorrectionView>,
}

/// One correction.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CorrectionView {
    /// The results rating it set.
    pub results_rating: Rating,
    /// The behaviour rating it set.
    pub behaviour_rating: Rating,
    /// Its predikat.
    pub predikat: Predikat,
    /// Why.
    pub reason: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub corrected_at: OffsetDateTime,
}

impl PeriodsView {
    /// The periods of an opened appraisal at `now`; `None` when it has no events.
    pub fn of(state: &Appraisal, now: OffsetDateTime) -> Option<Self> {
        let calendar = Calendar::of_appraisal(state.opened.as_ref()?);
        let periods: Vec<PeriodView> = calendar.periods().into_iter().map(|p| period_view(state, &calendar, p, now)).collect();
        let pending = periods.iter().filter(|p| p.status == "due").map(|p| p.period).collect();
        Some(Self {
            appraisal_id: state.id,
            period_kind: calendar.kind,
            period_entry_days: calendar.entry_days,
            utc_offset_hours: calendar.utc_offset_hours,
            evaluations_open: state.status == Status::TargetsAgreed && calendar.has_periods(),
            pending,
            periods,
        })
    }
}

fn period_view(state: &Appraisal, calendar: &Calendar, period: PeriodId, now: OffsetDateTime) -> PeriodView {
    let record = state.periods.get(&period);
    let (ended, locked) = (calendar.has_ended(period, now), calendar.is_locked(period, now));
    let status = match (ended, record.is_some(), locked) {
        (false, _, _) => "open",
        (true, false, _) => "due",
        (true, true, false) => "evaluated",
        (true, true, true) => "locked",
    };
    let evaluation = record.map(|r| {
        let (results_rating, behaviour_rating, predikat) = r.standing();
        let (evaluated, stamp) = &r.evaluated;
        EvaluationView {
            results_rating,
            behaviour_rating,
            predikat,
            notes: evaluated.notes.clone(),
            evaluated_at: stamp.at,
            corrected: !r.corrections.is_empty(),
            corrections: r
                .corrections
                .iter()
                .map(|(c, at)| CorrectionView {
                    results_rating: c.results_rating,
                    behaviour_rating: c.behaviour_rating,
                    predikat: c.predikat,
                    reason: c.reason.clone(),
                    corrected_at: at.at,
                })
                .collect(),
        }
    });
    PeriodView {
        period,
        status,
        starts_at: calendar.starts_at(period),
        ends_at: calendar.ends_at(period),
        locks_at: calendar.locks_at(period),
        overdue: ended && locked && record.is_none(),
        evaluation,
        self_assessment: PeriodRef::parse(&period.to_string())
            .ok()
            .and_then(|named| state.voices.self_assessments.get(&named).map(|(s, at)| SelfAssessmentView::of(&named, s, at.at))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use serde_json::json;
    use skp_events::Rating::*;
    use time::macros::datetime;

    fn monthly_story() -> Appraisal {
        let mut events: Vec<(OffsetDateTime, skp_events::Event)> =
            [opened_in(periodic_cycle(PeriodKind::Monthly, 7)), drafted(), submitted(), agreed()].into_iter().zip(0..).map(|(e, d)| (START + time::Duration::days(d), e)).collect();
        events.push((datetime!(2025-02-03 01:00 UTC), evaluated("2025-01", SesuaiEkspektasi, SesuaiEkspektasi)));
        events.push((datetime!(2025-02-04 01:00 UTC), corrected("2025-01", DiAtasEkspektasi, DiAtasEkspektasi)));
        events.push((datetime!(2025-03-02 01:00 UTC), evaluated("2025-02", DiBawahEkspektasi, SesuaiEkspektasi)));
        given_at(events).state
    }

    #[test]
    fn each_period_shows_its_status_deadlines_and_evaluation() {
        let view = PeriodsView::of(&monthly_story(), datetime!(2025-04-12 00:00 UTC)).expect("opened");
        assert_eq!(view.periods.len(), 12);
        let statuses: Vec<&str> = view.periods.iter().take(5).map(|p| p.status).collect();
        assert_eq!(statuses, ["locked", "locked", "due", "open", "open"]);
        assert_eq!(view.pending, vec![period_id("2025-03")]);
        assert!(view.periods[2].overdue, "March ended on 31 March and locked on 10 April, unevaluated");
        assert!(view.evaluations_open);
        let january = serde_json::to_value(&view.periods[0]).expect("json");
        assert_eq!(january["ends_at"], "2025-01-31T17:00:00Z");
        assert_eq!(january["locks_at"], "2025-02-10T17:00:00Z");
        assert_eq!(january["evaluation"]["predikat"], "sangat_baik", "the correction stands");
        assert_eq!(january["evaluation"]["corrected"], true);
        assert_eq!(january["evaluation"]["corrections"][0]["reason"], "salah input");
        assert_eq!(serde_json::to_value(&view.periods[3]).expect("json").get("evaluation"), None);
    }

    #[test]
    fn a_period_shows_the_employees_self_assessment_that_stands_beside_the_evaluation() {
        let assessed = |narrative: &str| {
            skp_events::Event::SelfAssessed(skp_events::voices::SelfAssessed {
                period: PeriodRef::parse("2025-02").expect("a period"),
                results_rating: DiAtasEkspektasi,
                behaviour_rating: SesuaiEkspektasi,
                narrative: narrative.into(),
            })
        };
        let mut events = vec![opened_in(periodic_cycle(PeriodKind::Monthly, 7)), drafted(), submitted(), agreed()];
        events.extend([assessed("pertama"), assessed("setelah direvisi")]);
        let view = PeriodsView::of(&given(events).state, datetime!(2025-03-05 00:00 UTC)).expect("opened");
        let february = serde_json::to_value(&view.periods[1]).expect("json");
        assert_eq!(february["self_assessment"]["narrative"], "setelah direvisi", "the last one stands");
        assert_eq!(february["self_assessment"]["results_rating"], "di_atas_ekspektasi");
        assert_eq!(serde_json::to_value(&view.periods[0]).expect("json").get("self_assessment"), None);
    }

    #[test]
    fn an_evaluated_period_is_evaluated_until_it_locks() {
        let view = PeriodsView::of(&monthly_story(), datetime!(2025-03-05 00:00 UTC)).expect("opened");
        assert_eq!(view.periods[1].status, "evaluated");
        assert!(!view.periods[2].overdue);
    }

    #[test]
    fn an_annual_only_appraisal_has_no_periods() {
        let state = given(until(Status::Scored)).state;
        let view = serde_json::to_value(PeriodsView::of(&state, START).expect("opened")).expect("json");
        assert_eq!(view["period_kind"], "none");
        assert_eq!(view["periods"], json!([]));
        assert_eq!(view["evaluations_open"], false);
        assert_eq!(PeriodsView::of(&Appraisal::new(APPRAISAL_ID), START), None);
    }
}
