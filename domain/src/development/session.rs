//! Recording a session of an action (the rater, or the action's mentor, while the plan is open
//! and the action not confirmed): `SessionRecorded`.
//!
//! - The action is one of the plan's (422 `unknown_action`; a mentor naming an action that is
//!   not theirs hears 403 first).
//! - Held on a day not in the future and not before the appraisal became final (422
//!   `invalid_date`).
//! - Notes are required text; next steps optional (422 `invalid_text`).

use super::state::DevelopmentPlan;
use crate::context::Ctx;
use crate::error::DomainError;
use crate::text::{check_text, require_text};
use skp_events::development::SessionRecorded;
use skp_events::Event;
use time::Date;

/// Decides a session of `action_id` (already authorized).
///
/// # Errors
/// 422 `unknown_action`, `invalid_date`, `invalid_text`.
pub fn record(plan: &DevelopmentPlan, action_id: String, held_on: Date, notes: String, next_steps: Option<String>, ctx: &Ctx) -> Result<Event, DomainError> {
    if plan.action(&action_id).is_none() {
        return Err(DomainError::invalid("unknown_action", format!("action {action_id:?} is not in the plan")));
    }
    let today = ctx.now.date();
    if held_on > today {
        return Err(DomainError::invalid("invalid_date", format!("held_on {held_on} is in the future (today is {today})")));
    }
    if let Some(finalized) = plan.opening().map(|o| o.finalized_at.date()).filter(|f| held_on < *f) {
        return Err(DomainError::invalid("invalid_date", format!("held_on {held_on} is before the appraisal became final ({finalized})")));
    }
    require_text("notes", &notes)?;
    check_text("next_steps", next_steps.as_deref().unwrap_or_default())?;
    Ok(Event::SessionRecorded(SessionRecorded { action_id, held_on, notes, next_steps }))
}

#[cfg(test)]
mod tests {
    use super::super::command::DevelopmentCommand;
    use super::super::testing::*;
    use crate::testing::*;
    use skp_events::development::{ImprovementOutcome, SessionRecorded};
    use skp_events::Event;
    use time::macros::date;
    use time::Date;

    fn session(action_id: &str, held_on: Date) -> DevelopmentCommand {
        DevelopmentCommand::RecordSession { action_id: action_id.into(), held_on, notes: "sesi pertama".into(), next_steps: None }
    }

    fn with_actions() -> Vec<Event> {
        vec![pembinaan_opened(), action_added("A1", Some(MENTOR_NIP)), action_added("A2", None)]
    }

    #[test]
    fn the_actions_mentor_records_a_session_as_mentor() {
        plan_given(with_actions()).when(session("A1", PLAN_START.date())).by(mentor()).then(session_recorded("A1"));
    }

    #[test]
    fn the_rater_records_a_session_of_any_action_as_rater() {
        plan_given(with_actions()).when(session("A2", PLAN_START.date())).then(Event::SessionRecorded(SessionRecorded {
            action_id: "A2".into(),
            held_on: PLAN_START.date(),
            notes: "sesi pertama".into(),
            next_steps: None,
        }));
    }

    #[test]
    fn a_mentor_records_no_session_of_an_action_that_is_not_theirs() {
        plan_given(with_actions()).when(session("A2", PLAN_START.date())).by(mentor()).then_err("forbidden");
        plan_given(with_actions()).when(session("A9", PLAN_START.date())).by(mentor()).then_err("forbidden");
    }

    #[test]
    fn nobody_else_records_a_session() {
        for who in [employee(), superior(), peer(), admin(), inspector(), mentor().also_inspector()] {
            plan_given(with_actions()).when(session("A1", PLAN_START.date())).by(who).then_err("forbidden");
        }
    }

    #[test]
    fn a_session_of_an_action_not_in_the_plan_is_an_unknown_action_for_the_rater() {
        plan_given(with_actions()).when(session("A9", PLAN_START.date())).then_err("unknown_action");
    }

    #[test]
    fn a_session_is_held_neither_in_the_future_nor_before_the_appraisal_was_final() {
        // The command is decided on 2025-01-16, an hour after the third event.
        plan_given(with_actions()).when(session("A1", date!(2025 - 01 - 17))).then_err("invalid_date");
        let today = plan_given(with_actions()).when(session("A1", date!(2025 - 01 - 16))).decide();
        assert!(today.is_ok(), "{today:?}");
        plan_given(with_actions()).when(session("A1", date!(2025 - 01 - 12))).then_err("invalid_date");
        let on_the_final_day = plan_given(with_actions()).when(session("A1", FINALIZED_AT.date())).decide();
        assert!(on_the_final_day.is_ok(), "{on_the_final_day:?}");
    }

    #[test]
    fn a_session_needs_notes() {
        let blank = DevelopmentCommand::RecordSession { action_id: "A1".into(), held_on: PLAN_START.date(), notes: "".into(), next_steps: None };
        plan_given(with_actions()).when(blank).then_err("invalid_text");
    }

    #[test]
    fn no_session_of_a_confirmed_action_nor_on_a_reviewed_plan() {
        let mut confirmed = with_actions();
        confirmed.extend([action_completed("A1"), action_confirmed("A1")]);
        plan_given(confirmed).when(session("A1", PLAN_START.date())).by(mentor()).then_err("invalid_transition");
        let mut closed = with_actions();
        closed.push(reviewed(ImprovementOutcome::Improved));
        plan_given(closed).when(session("A1", PLAN_START.date())).by(mentor()).then_err("invalid_transition");
    }
}
