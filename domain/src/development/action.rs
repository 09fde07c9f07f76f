//! Adding an action to a plan (the rater, while the plan is open): `ActionAdded`.
//!
//! - The id is new in the plan (409 `already_exists`), 1 to 64 letters, digits, `.`, `_` or
//!   `-` (422 `invalid_value`): it names the action in a path.
//! - The description is required text (422 `invalid_text`).
//! - Due not before today and not after the plan's due date (422 `invalid_due`).
//! - A mentor, if named, is not the employee (422 `same_person`).

use super::state::DevelopmentPlan;
use crate::context::Ctx;
use crate::error::DomainError;
use crate::text::require_text;
use skp_events::development::{ActionAdded, ActionType};
use skp_events::{Event, Nip};
use time::Date;

/// The values of a new action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    /// Its id.
    pub action_id: String,
    /// Its kind.
    pub action_type: ActionType,
    /// What is to be done.
    pub description: String,
    /// By when.
    pub due: Date,
    /// Its mentor.
    pub mentor_nip: Option<Nip>,
}

/// The longest action id.
pub const MAX_ACTION_ID: usize = 64;

/// Checks the shape of an action id (it names the action in a path).
///
/// # Errors
/// 422 `invalid_value`.
pub fn check_action_id(action_id: &str) -> Result<(), DomainError> {
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if action_id.is_empty() || action_id.len() > MAX_ACTION_ID || !action_id.chars().all(fine) {
        return Err(DomainError::invalid(
            "invalid_value",
            format!("action_id {action_id:?} must be 1 to {MAX_ACTION_ID} letters, digits, '.', '_' or '-'"),
        ));
    }
    Ok(())
}

/// Decides the addition of `action` to `plan` (already authorized).
///
/// # Errors
/// 409 `already_exists`; 422 `invalid_value`, `invalid_text`, `invalid_due`, `same_person`.
pub fn add(plan: &DevelopmentPlan, action: NewAction, ctx: &Ctx) -> Result<Event, DomainError> {
    if plan.action(&action.action_id).is_some() {
        return Err(DomainError::AlreadyExists { what: "action" });
    }
    check_action_id(&action.action_id)?;
    require_text("description", &action.description)?;
    let plan_due = plan.opening().map(|o| o.due);
    let today = ctx.now.date();
    if action.due < today {
        return Err(DomainError::invalid("invalid_due", format!("the action's due date {} is in the past (today is {today})", action.due)));
    }
    if let Some(plan_due) = plan_due.filter(|d| action.due > *d) {
        return Err(DomainError::invalid("invalid_due", format!("the action's due date {} is after the plan's, {plan_due}", action.due)));
    }
    if let (Some(mentor), Some(opened)) = (&action.mentor_nip, plan.opening()) {
        if *mentor == opened.employee.nip {
            return Err(DomainError::invalid("same_person", "the employee cannot be their own mentor"));
        }
    }
    Ok(Event::ActionAdded(ActionAdded {
        action_id: action.action_id,
        action_type: action.action_type,
        description: action.description,
        due: action.due,
        mentor_nip: action.mentor_nip,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::command::DevelopmentCommand;
    use super::super::testing::*;
    use crate::testing::*;
    use skp_events::development::ActionType;
    use skp_events::development::ImprovementOutcome;
    use time::macros::date;

    fn add(action_id: &str, due: time::Date, mentor: Option<&str>) -> DevelopmentCommand {
        DevelopmentCommand::AddAction {
            action_id: action_id.into(),
            action_type: ActionType::Coaching,
            description: "coaching disiplin kerja".into(),
            due,
            mentor_nip: mentor.map(nip),
        }
    }

    #[test]
    fn the_rater_adds_an_action_with_a_mentor() {
        plan_given(vec![pembinaan_opened()])
            .when(add("A1", date!(2025 - 04 - 30), Some(MENTOR_NIP)))
            .then(action_added("A1", Some(MENTOR_NIP)));
    }

    #[test]
    fn nobody_but_the_rater_adds_an_action() {
        for who in [employee(), superior(), mentor(), peer(), admin(), inspector(), rater().also_inspector()] {
            plan_given(vec![pembinaan_opened()]).when(add("A1", date!(2025 - 04 - 30), None)).by(who).then_err("forbidden");
        }
    }

    #[test]
    fn an_action_on_a_plan_that_does_not_exist_is_not_found() {
        plan_given(vec![]).when(add("A1", date!(2025 - 04 - 30), None)).then_err("not_found");
    }

    #[test]
    fn an_action_id_already_in_the_plan_already_exists() {
        plan_given(vec![pembinaan_opened(), action_added("A1", None)]).when(add("A1", date!(2025 - 04 - 30), None)).then_err("already_exists");
    }

    #[test]
    fn an_action_id_names_the_action_in_a_path_so_it_is_plain() {
        for bad in ["", "a b", "a/b", "é", &"x".repeat(65)] {
            plan_given(vec![pembinaan_opened()]).when(add(bad, date!(2025 - 04 - 30), None)).then_err("invalid_value");
        }
        plan_given(vec![pembinaan_opened()]).when(add("pelatihan-2025.1_a", date!(2025 - 04 - 30), None)).then(Event::ActionAdded(
            skp_events::development::ActionAdded {
                action_id: "pelatihan-2025.1_a".into(),
                action_type: ActionType::Coaching,
                description: "coaching disiplin kerja".into(),
                due: date!(2025 - 04 - 30),
                mentor_nip: None,
            },
        ));
    }

    #[test]
    fn an_action_is_due_not_after_the_plan_and_not_in_the_past() {
        plan_given(vec![pembinaan_opened()]).when(add("A1", PEMBINAAN_DUE.next_day().expect("a day"), None)).then_err("invalid_due");
        plan_given(vec![pembinaan_opened()]).when(add("A1", date!(2025 - 01 - 13), None)).then_err("invalid_due");
        let on_the_plans_due = plan_given(vec![pembinaan_opened()]).when(add("A1", PEMBINAAN_DUE, None)).decide();
        assert!(on_the_plans_due.is_ok(), "{on_the_plans_due:?}");
    }

    #[test]
    fn the_employee_is_not_their_own_mentor() {
        plan_given(vec![pembinaan_opened()]).when(add("A1", date!(2025 - 04 - 30), Some(EMPLOYEE_NIP))).then_err("same_person");
    }

    #[test]
    fn a_description_is_required() {
        let blank = DevelopmentCommand::AddAction {
            action_id: "A1".into(),
            action_type: ActionType::Pelatihan,
            description: " ".into(),
            due: date!(2025 - 04 - 30),
            mentor_nip: None,
        };
        plan_given(vec![pembinaan_opened()]).when(blank).then_err("invalid_text");
    }

    #[test]
    fn no_action_is_added_once_the_plan_is_reviewed() {
        plan_given(vec![pembinaan_opened(), reviewed(ImprovementOutcome::Improved)])
            .when(add("A1", date!(2025 - 04 - 30), None))
            .then_err("invalid_transition");
    }

    #[test]
    fn a_stranger_adding_an_invalid_action_to_a_closed_plan_is_forbidden_first() {
        plan_given(vec![pembinaan_opened(), reviewed(ImprovementOutcome::Improved)])
            .when(add("a b", date!(2020 - 01 - 01), None))
            .by(peer())
            .then_err("forbidden");
    }

    use skp_events::Event;
}
