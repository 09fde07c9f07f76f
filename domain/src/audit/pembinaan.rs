//! Information beside the checks (never a finding): whether pembinaan followed a low final
//! predikat (PP 30/2019 Ps 56–58). It rests on the appraisal's `ScoreFinalized` and on what
//! the appraisal's development plan recorded, summarised as a [`PembinaanRecord`] (the plan
//! lives on its own aggregate; a caller that read it passes the record, or `None` when there
//! is no plan).

use super::history::{instant, label};
use super::Information;
use crate::development::deadline::{requires_pembinaan, PLAN_GRACE_DAYS};
use crate::development::DevelopmentPlan;
use skp_events::development::{DevelopmentKind, FollowUpMeasure, ImprovementOutcome};
use skp_events::{Envelope, Event};
use std::fmt::Write as _;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// The name of the information item.
pub const PEMBINAAN_FOLLOWED: &str = "pembinaan_followed";

/// An event of the plan as the audit names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanEvent {
    /// The event's id.
    pub event_id: Uuid,
    /// When it happened.
    pub at: OffsetDateTime,
}

/// What the audit needs of an appraisal's development plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PembinaanRecord {
    /// The plan.
    pub plan_id: Uuid,
    /// Its kind.
    pub kind: DevelopmentKind,
    /// Its due date.
    pub due: Date,
    /// `DevelopmentPlanOpened`.
    pub opened: PlanEvent,
    /// `ImprovementReviewed` and its outcome.
    pub review: Option<(ImprovementOutcome, PlanEvent)>,
    /// `FollowUpDecided` and its measure.
    pub follow_up: Option<(FollowUpMeasure, PlanEvent)>,
}

impl PembinaanRecord {
    /// The record of `plan`, `None` while it is not opened.
    pub fn of(plan: &DevelopmentPlan) -> Option<Self> {
        let (opened, mark) = plan.opened.as_ref()?;
        let event = |m: &crate::development::state::Mark| PlanEvent { event_id: m.event_id, at: m.at };
        Some(Self {
            plan_id: plan.id,
            kind: opened.kind,
            due: opened.due,
            opened: event(mark),
            review: plan.review.as_ref().map(|(r, m)| (r.outcome, event(m))),
            follow_up: plan.follow_up.as_ref().map(|(f, m)| (f.measure, event(m))),
        })
    }
}

/// Whether pembinaan followed the appraisal's final predikat: `None` unless the appraisal is
/// final with `butuh_perbaikan`, `kurang` or `sangat_kurang`.
pub fn pembinaan_followed(envelopes: &[&Envelope], plan: Option<&PembinaanRecord>) -> Option<Information> {
    let (finalized, predikat) = envelopes.iter().rev().find_map(|e| match &e.event {
        Event::ScoreFinalized(f) => Some((*e, f.predikat)),
        _ => None,
    })?;
    if !requires_pembinaan(predikat) {
        return None;
    }
    let final_day = finalized.occurred_at.date();
    let mut detail = format!("final predikat {} by {} on {}", predikat.as_str(), label(finalized), final_day);
    let mut event_ids = vec![finalized.event_id];
    let Some(plan) = plan else {
        let by = final_day + Duration::days(PLAN_GRACE_DAYS);
        let _ = write!(detail, "; no pembinaan plan recorded (one is to be opened within {PLAN_GRACE_DAYS} days, by {by})");
        return Some(Information { name: PEMBINAAN_FOLLOWED, detail, event_ids });
    };
    let days = (plan.opened.at.date() - final_day).whole_days();
    let late = if days > PLAN_GRACE_DAYS { format!(", later than the {PLAN_GRACE_DAYS} days") } else { String::new() };
    let _ = write!(
        detail,
        "; {} plan {} opened on {} ({} after finalization{late}), due {}",
        plan.kind.as_str(),
        plan.plan_id,
        instant(plan.opened.at),
        if days == 1 { "1 day".to_owned() } else { format!("{days} days") },
        plan.due
    );
    event_ids.push(plan.opened.event_id);
    match &plan.review {
        Some((outcome, review)) => {
            let _ = write!(detail, "; reviewed {} on {}", outcome.as_str(), instant(review.at));
            event_ids.push(review.event_id);
        }
        None => detail.push_str("; not reviewed yet"),
    }
    if let Some((measure, decided)) = &plan.follow_up {
        let _ = write!(detail, "; follow-up {} recorded on {}", measure.as_str(), instant(decided.at));
        event_ids.push(decided.event_id);
    }
    Some(Information { name: PEMBINAAN_FOLLOWED, detail, event_ids })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::development::testing::*;
    use crate::testing::*;
    use skp_events::values::FinalizedVia;
    use skp_events::Rating;

    fn low_final() -> Vec<Envelope> {
        let (r, b) = (Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi);
        history(vec![opened(), drafted(), submitted(), agreed(), feedback(), score_given(r, b), accepted(), finalized(r, b, FinalizedVia::Accepted)])
    }

    fn refs(envelopes: &[Envelope]) -> Vec<&Envelope> {
        envelopes.iter().collect()
    }

    #[test]
    fn a_low_final_predikat_without_a_plan_says_none_was_recorded() {
        let envelopes = low_final();
        let info = pembinaan_followed(&refs(&envelopes), None).expect("information");
        assert_eq!(info.name, PEMBINAAN_FOLLOWED);
        assert!(info.detail.contains("final predikat kurang") && info.detail.contains("no pembinaan plan recorded"), "{}", info.detail);
        assert!(info.detail.contains("by 2025-02-12"), "{}", info.detail);
        assert_eq!(info.event_ids, vec![envelopes[7].event_id]);
    }

    #[test]
    fn a_plan_reviewed_and_followed_up_is_named_with_its_events() {
        let envelopes = low_final();
        let plan = plan_given(vec![pembinaan_opened(), reviewed(ImprovementOutcome::NotImproved), followed_up(FollowUpMeasure::Mutasi)]);
        let record = PembinaanRecord::of(&plan.state).expect("opened");
        let info = pembinaan_followed(&refs(&envelopes), Some(&record)).expect("information");
        assert!(info.detail.contains("(1 day after finalization)"), "{}", info.detail);
        assert!(info.detail.contains("reviewed not_improved") && info.detail.contains("follow-up mutasi"), "{}", info.detail);
        let plan_ids: Vec<Uuid> = plan.envelopes.iter().map(|e| e.event_id).collect();
        assert_eq!(info.event_ids, [vec![envelopes[7].event_id], plan_ids].concat());
    }

    #[test]
    fn an_appraisal_not_final_or_final_with_baik_has_no_such_information() {
        let baik = history(until(crate::appraisal::Status::Final));
        assert_eq!(pembinaan_followed(&refs(&baik), None), None);
        let scored = history(until(crate::appraisal::Status::Scored));
        assert_eq!(pembinaan_followed(&refs(&scored), None), None);
    }
}
