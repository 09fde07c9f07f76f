//! Who may read what: the appraisal and its history (its three people, admins and
//! inspectors), a career (its employee, admins and inspectors), a cycle's dashboards
//! (admins and inspectors), and an appraisal's survey (the rater's side in full, the employee
//! aggregates only, nobody else).

use crate::appraisal::Appraisal;
use crate::context::Caller;
use crate::error::DomainError;
use crate::survey::summary::SurveyAccess;
use skp_events::Nip;

/// Whether `caller` may read the appraisal `state`.
///
/// # Errors
/// `not_found` when it was never opened; `forbidden` for anyone but its employee, rater and
/// rater superior, admins and inspectors.
pub fn read_appraisal(state: &Appraisal, caller: &Caller) -> Result<(), DomainError> {
    let opened = state.opened.as_ref().ok_or(DomainError::NotFound { what: "appraisal" })?;
    let involved = [&opened.employee, &opened.rater, &opened.rater_superior].iter().any(|p| p.nip == caller.nip);
    if involved || caller.admin || caller.inspector {
        Ok(())
    } else {
        Err(DomainError::Forbidden("only the appraisal's people, admins and inspectors read it"))
    }
}

/// Whether `caller` may read the career of `nip`.
///
/// # Errors
/// `forbidden` for anyone but that employee, admins and inspectors.
pub fn read_career(nip: &Nip, caller: &Caller) -> Result<(), DomainError> {
    if *nip == caller.nip || caller.admin || caller.inspector {
        Ok(())
    } else {
        Err(DomainError::Forbidden("a career is read by its employee, admins and inspectors"))
    }
}

/// Whether `caller` may read a cycle's dashboards (progress, findings, lists).
///
/// # Errors
/// `forbidden` for anyone but admins and inspectors.
pub fn read_cycle(caller: &Caller) -> Result<(), DomainError> {
    if caller.admin || caller.inspector {
        Ok(())
    } else {
        Err(DomainError::Forbidden("cycle dashboards are for admins and inspectors"))
    }
}

/// How much of an appraisal's survey `caller` may read: its employee the aggregates only
/// (whatever global role they also hold: nobody reads their own survey's answers), its
/// rater and rater superior, admins and inspectors all of it.
///
/// # Errors
/// `not_found` when the appraisal was never opened; `forbidden` for anyone else (nominees
/// and the service desk included).
pub fn read_feedback_360(state: &Appraisal, caller: &Caller) -> Result<SurveyAccess, DomainError> {
    let opened = state.opened.as_ref().ok_or(DomainError::NotFound { what: "appraisal" })?;
    if opened.employee.nip == caller.nip {
        return Ok(SurveyAccess::AggregatesOnly);
    }
    let rater_side = [&opened.rater, &opened.rater_superior].iter().any(|p| p.nip == caller.nip);
    if rater_side || caller.admin || caller.inspector {
        Ok(SurveyAccess::Full)
    } else {
        Err(DomainError::Forbidden("an appraisal's survey is read by its people, admins and inspectors"))
    }
}

/// Whether `caller` may read the survey's events themselves (an evidence bundle's survey
/// chain): those who read it in full.
///
/// # Errors
/// As [`read_feedback_360`], and `forbidden` for the employee.
pub fn read_survey(state: &Appraisal, caller: &Caller) -> Result<(), DomainError> {
    match read_feedback_360(state, caller)? {
        SurveyAccess::Full => Ok(()),
        SurveyAccess::AggregatesOnly => Err(DomainError::Forbidden("the employee reads the survey's aggregates only, never its answers")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn an_appraisal_is_read_by_its_people_admins_and_inspectors_only() {
        let state = Appraisal::from_events(APPRAISAL_ID, &history(until(crate::appraisal::Status::Opened)));
        for who in [employee(), rater(), superior(), admin(), inspector()] {
            assert_eq!(read_appraisal(&state, &who.caller), Ok(()), "{:?}", who.caller);
        }
        assert_eq!(read_appraisal(&state, &peer().caller).map_err(|e| e.code()), Err("forbidden"));
        let unopened = Appraisal::new(APPRAISAL_ID);
        assert_eq!(read_appraisal(&unopened, &admin().caller).map_err(|e| e.code()), Err("not_found"));
    }

    #[test]
    fn a_career_is_read_by_its_employee_admins_and_inspectors_only() {
        let nip = nip(EMPLOYEE_NIP);
        for who in [employee(), admin(), inspector()] {
            assert_eq!(read_career(&nip, &who.caller), Ok(()));
        }
        for who in [rater(), superior(), peer()] {
            assert_eq!(read_career(&nip, &who.caller).map_err(|e| e.code()), Err("forbidden"));
        }
    }

    #[test]
    fn the_survey_is_read_in_full_by_the_raters_side_and_as_aggregates_by_the_employee_alone() {
        let state = Appraisal::from_events(APPRAISAL_ID, &history(until(crate::appraisal::Status::TargetsAgreed)));
        for who in [rater(), superior(), admin(), inspector()] {
            assert_eq!(read_feedback_360(&state, &who.caller), Ok(SurveyAccess::Full), "{:?}", who.caller);
            assert_eq!(read_survey(&state, &who.caller), Ok(()));
        }
        for who in [employee(), employee().also_admin(), employee().also_inspector()] {
            assert_eq!(read_feedback_360(&state, &who.caller), Ok(SurveyAccess::AggregatesOnly), "{:?}", who.caller);
            assert_eq!(read_survey(&state, &who.caller).map_err(|e| e.code()), Err("forbidden"));
        }
        for who in [peer(), nominee(), service_desk()] {
            assert_eq!(read_feedback_360(&state, &who.caller).map_err(|e| e.code()), Err("forbidden"));
        }
        let unopened = Appraisal::new(APPRAISAL_ID);
        assert_eq!(read_feedback_360(&unopened, &admin().caller).map_err(|e| e.code()), Err("not_found"));
    }

    #[test]
    fn cycle_dashboards_are_for_admins_and_inspectors() {
        assert_eq!(read_cycle(&admin().caller), Ok(()));
        assert_eq!(read_cycle(&inspector().caller), Ok(()));
        for who in [employee(), rater(), superior(), peer()] {
            assert_eq!(read_cycle(&who.caller).map_err(|e| e.code()), Err("forbidden"));
        }
    }
}
