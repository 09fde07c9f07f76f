//! Who may read a development plan: the employee, the rater, the rater's superior, admins and
//! inspectors read all of it (its state and its history); the mentor of an action reads the
//! plan's frame and their own actions' sessions, not the history (which holds everything
//! else); nobody else reads it.

use super::state::DevelopmentPlan;
use crate::context::Caller;
use crate::error::DomainError;

/// How much of a plan a caller reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanReader {
    /// Everything: the employee, the rater, the rater's superior, admins, inspectors.
    Whole,
    /// The plan's frame and the caller's own actions with their sessions.
    Mentor,
}

/// Whether and how much of `plan` `caller` reads.
///
/// # Errors
/// `not_found` when it was never opened; `forbidden` for anyone who is not one of its readers.
pub fn read_plan(plan: &DevelopmentPlan, caller: &Caller) -> Result<PlanReader, DomainError> {
    let opened = plan.opening().ok_or(DomainError::NotFound { what: "development plan" })?;
    let involved = [&opened.employee, &opened.rater, &opened.rater_superior].iter().any(|p| p.nip == caller.nip);
    if involved || caller.admin || caller.inspector {
        Ok(PlanReader::Whole)
    } else if plan.mentors(&caller.nip) {
        Ok(PlanReader::Mentor)
    } else {
        Err(DomainError::Forbidden("a development plan is read by its employee, rater, rater superior, admins, inspectors and its actions' mentors"))
    }
}

/// Whether `caller` may read the whole history of `plan` (every event as stored).
///
/// # Errors
/// `not_found` when it was never opened; `forbidden` for a mentor (who reads only their own
/// actions) and anyone who is not one of its readers.
pub fn read_plan_history(plan: &DevelopmentPlan, caller: &Caller) -> Result<(), DomainError> {
    match read_plan(plan, caller)? {
        PlanReader::Whole => Ok(()),
        PlanReader::Mentor => Err(DomainError::Forbidden("a mentor reads their actions' sessions in the plan, not its whole history")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::development::testing::*;
    use crate::testing::*;

    #[test]
    fn the_appraisals_people_admins_and_inspectors_read_the_whole_plan() {
        let plan = plan_given(vec![pembinaan_opened(), action_added("A1", Some(MENTOR_NIP))]).state;
        for who in [employee(), rater(), superior(), admin(), inspector()] {
            assert_eq!(read_plan(&plan, &who.caller), Ok(PlanReader::Whole), "{:?}", who.caller);
            assert_eq!(read_plan_history(&plan, &who.caller), Ok(()));
        }
    }

    #[test]
    fn a_mentor_reads_their_actions_but_not_the_history() {
        let plan = plan_given(vec![pembinaan_opened(), action_added("A1", Some(MENTOR_NIP))]).state;
        assert_eq!(read_plan(&plan, &mentor().caller), Ok(PlanReader::Mentor));
        assert_eq!(read_plan_history(&plan, &mentor().caller).map_err(|e| e.code()), Err("forbidden"));
    }

    #[test]
    fn anyone_else_reads_nothing_and_an_unknown_plan_is_not_found() {
        let plan = plan_given(vec![pembinaan_opened(), action_added("A1", None)]).state;
        for who in [peer(), mentor()] {
            assert_eq!(read_plan(&plan, &who.caller).map_err(|e| e.code()), Err("forbidden"));
        }
        let nothing = plan_given(vec![]).state;
        assert_eq!(read_plan(&nothing, &admin().caller).map_err(|e| e.code()), Err("not_found"));
    }
}
