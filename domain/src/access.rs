//! Who may read what: the appraisal and its history (its three people, admins and
//! inspectors), a career (its employee, admins and inspectors) and a cycle's dashboards
//! (admins and inspectors).

use crate::appraisal::Appraisal;
use crate::context::Caller;
use crate::error::DomainError;
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
    fn cycle_dashboards_are_for_admins_and_inspectors() {
        assert_eq!(read_cycle(&admin().caller), Ok(()));
        assert_eq!(read_cycle(&inspector().caller), Ok(()));
        for who in [employee(), rater(), superior(), peer()] {
            assert_eq!(read_cycle(&who.caller).map_err(|e| e.code()), Err("forbidden"));
        }
    }
}
