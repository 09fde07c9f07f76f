//! Completing an action (the employee, with evidence) and confirming it (the rater):
//! `ActionCompleted`, `ActionConfirmed`.
//!
//! - The action is named in the path: an action not in the plan is 404 `not_found`.
//! - Completed once (409 `invalid_transition` after), confirmed once and only once completed
//!   (409 `invalid_transition`), both while the plan is open.
//! - The evidence is required text (422 `invalid_text`).

use crate::error::DomainError;
use crate::text::require_text;
use skp_events::development::{ActionCompleted, ActionConfirmed};
use skp_events::Event;

/// Decides the completion of `action_id` (already authorized).
///
/// # Errors
/// 422 `invalid_text`.
pub fn complete(action_id: String, evidence: String) -> Result<Event, DomainError> {
    require_text("evidence", &evidence)?;
    Ok(Event::ActionCompleted(ActionCompleted { action_id, evidence }))
}

/// The confirmation of `action_id` (already authorized: nothing in it can be wrong).
pub fn confirm(action_id: String) -> Event {
    Event::ActionConfirmed(ActionConfirmed { action_id })
}

#[cfg(test)]
mod tests {
    use super::super::command::DevelopmentCommand;
    use super::super::testing::*;
    use crate::testing::*;
    use skp_events::development::ImprovementOutcome;
    use skp_events::Event;

    fn complete(action_id: &str) -> DevelopmentCommand {
        DevelopmentCommand::CompleteAction { action_id: action_id.into(), evidence: "laporan kegiatan".into() }
    }

    fn confirm(action_id: &str) -> DevelopmentCommand {
        DevelopmentCommand::ConfirmAction { action_id: action_id.into() }
    }

    fn with_action() -> Vec<Event> {
        vec![pembinaan_opened(), action_added("A1", Some(MENTOR_NIP))]
    }

    #[test]
    fn the_employee_completes_an_action_with_evidence_and_the_rater_confirms_it() {
        plan_given(with_action())
            .when(complete("A1"))
            .then(action_completed("A1"))
            .when(confirm("A1"))
            .then(action_confirmed("A1"));
    }

    #[test]
    fn only_the_employee_completes_and_only_the_rater_confirms() {
        for who in [rater(), superior(), mentor(), admin(), inspector(), employee().also_inspector()] {
            plan_given(with_action()).when(complete("A1")).by(who).then_err("forbidden");
        }
        let mut completed = with_action();
        completed.push(action_completed("A1"));
        for who in [employee(), superior(), mentor(), admin(), employee().also_admin(), inspector()] {
            plan_given(completed.clone()).when(confirm("A1")).by(who).then_err("forbidden");
        }
    }

    #[test]
    fn an_action_not_in_the_plan_is_not_found_whoever_asks() {
        for who in [employee(), peer(), inspector()] {
            plan_given(with_action()).when(complete("A9")).by(who).then_err("not_found");
        }
        plan_given(with_action()).when(confirm("A9")).then_err("not_found");
    }

    #[test]
    fn an_action_is_completed_once_and_confirmed_once_after_its_completion() {
        plan_given(with_action()).when(confirm("A1")).then_err("invalid_transition");
        let mut completed = with_action();
        completed.push(action_completed("A1"));
        plan_given(completed.clone()).when(complete("A1")).then_err("invalid_transition");
        completed.push(action_confirmed("A1"));
        plan_given(completed.clone()).when(confirm("A1")).then_err("invalid_transition");
        plan_given(completed).when(complete("A1")).then_err("invalid_transition");
    }

    #[test]
    fn a_completion_needs_evidence() {
        let bare = DevelopmentCommand::CompleteAction { action_id: "A1".into(), evidence: "\n".into() };
        plan_given(with_action()).when(bare).then_err("invalid_text");
    }

    #[test]
    fn nothing_is_completed_or_confirmed_once_the_plan_is_reviewed() {
        let mut closed = with_action();
        closed.extend([action_completed("A1"), reviewed(ImprovementOutcome::Improved)]);
        plan_given(closed.clone()).when(confirm("A1")).then_err("invalid_transition");
        let mut open_action = with_action();
        open_action.push(reviewed(ImprovementOutcome::Improved));
        plan_given(open_action).when(complete("A1")).then_err("invalid_transition");
    }
}
