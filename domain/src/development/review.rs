//! The improvement review (the rater) and the follow-up after `not_improved` (an admin):
//! `ImprovementReviewed`, `FollowUpDecided`.
//!
//! - The review closes the plan: once reviewed, no action, session, completion or second
//!   review (409 `invalid_transition`).
//! - For `pembinaan`, a `not_improved` review comes on or after the due date: the employee has
//!   until then to improve (409 `improvement_window_open` before it). An `improved` review may
//!   come at any time, and a `pengembangan` plan has no window.
//! - The follow-up comes after `not_improved`, once (409 `invalid_transition` otherwise). SKP
//!   records the measure decided by the authorised official; it does not carry it out.
//! - `basis` is required text in both (422 `invalid_text`).

use super::state::DevelopmentPlan;
use crate::context::Ctx;
use crate::error::DomainError;
use crate::text::require_text;
use skp_events::development::{DevelopmentKind, FollowUpDecided, FollowUpMeasure, ImprovementOutcome, ImprovementReviewed};
use skp_events::Event;

/// Decides the review of `plan` (already authorized).
///
/// # Errors
/// 409 `improvement_window_open`; 422 `invalid_text`.
pub fn review(plan: &DevelopmentPlan, outcome: ImprovementOutcome, basis: String, ctx: &Ctx) -> Result<Event, DomainError> {
    if let Some(opened) = plan.opening() {
        let today = ctx.now.date();
        if opened.kind == DevelopmentKind::Pembinaan && outcome == ImprovementOutcome::NotImproved && today < opened.due {
            return Err(DomainError::conflict(
                "improvement_window_open",
                format!("the employee has until {} to improve: a not_improved review comes on or after that day (improved may come earlier)", opened.due),
            ));
        }
    }
    require_text("basis", &basis)?;
    Ok(Event::ImprovementReviewed(ImprovementReviewed { outcome, basis }))
}

/// Decides the follow-up (already authorized).
///
/// # Errors
/// 422 `invalid_text`.
pub fn follow_up(measure: FollowUpMeasure, basis: String) -> Result<Event, DomainError> {
    require_text("basis", &basis)?;
    Ok(Event::FollowUpDecided(FollowUpDecided { measure, basis }))
}

#[cfg(test)]
mod tests {
    use super::super::command::DevelopmentCommand;
    use super::super::testing::*;
    use crate::testing::*;
    use skp_events::development::{FollowUpMeasure, ImprovementOutcome};
    use time::macros::datetime;
    use ImprovementOutcome::{Improved, NotImproved};

    fn review(outcome: ImprovementOutcome) -> DevelopmentCommand {
        DevelopmentCommand::Review { outcome, basis: "capaian triwulan".into() }
    }

    fn follow_up(measure: FollowUpMeasure) -> DevelopmentCommand {
        DevelopmentCommand::DecideFollowUp { measure, basis: "keputusan pejabat berwenang".into() }
    }

    const DAY_BEFORE_DUE: time::OffsetDateTime = datetime!(2025-07-12 23:59:59 UTC);
    const ON_DUE: time::OffsetDateTime = datetime!(2025-07-13 00:00 UTC);

    #[test]
    fn a_not_improved_review_of_pembinaan_before_the_due_date_is_refused_while_the_window_is_open() {
        let error = plan_given(vec![pembinaan_opened()]).when(review(NotImproved)).at(DAY_BEFORE_DUE).then_err("improvement_window_open");
        assert!(error.to_string().contains("2025-07-13"), "{error}");
    }

    #[test]
    fn a_not_improved_review_comes_on_the_due_date_and_the_admin_records_the_follow_up() {
        plan_given(vec![pembinaan_opened()])
            .when(review(NotImproved))
            .at(ON_DUE)
            .then(reviewed(NotImproved))
            .when(follow_up(FollowUpMeasure::UjiKompetensi))
            .then(followed_up(FollowUpMeasure::UjiKompetensi));
    }

    #[test]
    fn an_improved_review_may_come_early() {
        plan_given(vec![pembinaan_opened()]).when(review(Improved)).then(reviewed(Improved));
    }

    #[test]
    fn a_pengembangan_plan_has_no_improvement_window() {
        plan_given(vec![pengembangan_opened()]).when(review(NotImproved)).then(reviewed(NotImproved));
    }

    #[test]
    fn the_review_closes_the_plan() {
        plan_given(vec![pembinaan_opened(), reviewed(Improved)]).when(review(Improved)).then_err("invalid_transition");
        plan_given(vec![pembinaan_opened(), reviewed(NotImproved)]).when(review(Improved)).at(ON_DUE).then_err("invalid_transition");
    }

    #[test]
    fn only_the_rater_reviews() {
        for who in [employee(), superior(), mentor(), admin(), inspector(), rater().also_inspector()] {
            plan_given(vec![pembinaan_opened()]).when(review(Improved)).by(who).then_err("forbidden");
        }
    }

    #[test]
    fn a_review_needs_its_basis() {
        let bare = DevelopmentCommand::Review { outcome: Improved, basis: " ".into() };
        plan_given(vec![pembinaan_opened()]).when(bare).then_err("invalid_text");
    }

    #[test]
    fn the_follow_up_comes_only_after_not_improved_and_only_once() {
        plan_given(vec![pembinaan_opened()]).when(follow_up(FollowUpMeasure::Mutasi)).then_err("invalid_transition");
        plan_given(vec![pembinaan_opened(), reviewed(Improved)]).when(follow_up(FollowUpMeasure::None)).then_err("invalid_transition");
        let decided = vec![pembinaan_opened(), reviewed(NotImproved), followed_up(FollowUpMeasure::Mutasi)];
        plan_given(decided).when(follow_up(FollowUpMeasure::PenurunanJabatan)).then_err("invalid_transition");
    }

    #[test]
    fn only_an_admin_who_is_not_the_employee_records_the_follow_up() {
        let story = vec![pembinaan_opened(), reviewed(NotImproved)];
        for who in [employee(), employee().also_admin(), rater(), superior(), mentor(), inspector(), inspector().also_admin()] {
            plan_given(story.clone()).when(follow_up(FollowUpMeasure::UsulPemberhentian)).by(who).then_err("forbidden");
        }
        // A rater who is also an admin records it as the admin.
        let mut rater_admin = rater().also_admin();
        rater_admin.role = Some(skp_events::ActorRole::Admin);
        plan_given(story).when(follow_up(FollowUpMeasure::UsulPemberhentian)).by(rater_admin).then(followed_up(FollowUpMeasure::UsulPemberhentian));
    }

    #[test]
    fn a_follow_up_needs_its_basis() {
        let bare = DevelopmentCommand::DecideFollowUp { measure: FollowUpMeasure::None, basis: String::new() };
        plan_given(vec![pembinaan_opened(), reviewed(NotImproved)]).when(bare).then_err("invalid_text");
    }
}
