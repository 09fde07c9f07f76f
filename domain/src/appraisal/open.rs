//! Opening an appraisal: an admin, a known cycle, three different people, one appraisal per
//! employee per cycle (the id is derived from both, so a second opening meets the first).

use super::state::Appraisal;
use crate::context::Ctx;
use crate::cycle::Cycle;
use crate::decision::Decision;
use crate::error::DomainError;
use crate::text::require_text;
use skp_events::data::AppraisalOpened;
use skp_events::values::Person;
use skp_events::{ActorRole, Event};
use uuid::Uuid;

/// The command that opens an appraisal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAppraisal {
    /// The command id.
    pub command_id: Uuid,
    /// The appraised employee, as they stand now.
    pub employee: Person,
    /// The direct supervisor, as they stand now.
    pub rater: Person,
    /// The rater's superior, as they stand now.
    pub rater_superior: Person,
}

/// Decides the opening of `state` (the appraisal at the id derived from cycle and employee)
/// within `cycle`.
///
/// # Errors
/// 404 when the cycle is unknown, 403 unless admin, 409 `already_exists`, 422 `same_person`
/// or `invalid_text`.
pub fn decide_open(state: &Appraisal, cycle: &Cycle, command: &OpenAppraisal, ctx: &Ctx) -> Result<Decision, DomainError> {
    let config = cycle.authorize_opening(ctx)?;
    if state.opened.is_some() {
        return Err(DomainError::AlreadyExists { what: "appraisal" });
    }
    let people = [&command.employee, &command.rater, &command.rater_superior];
    for person in people {
        require_text("name", &person.name)?;
        require_text("position", &person.position)?;
        require_text("unit", &person.unit)?;
    }
    let nips = people.map(|p| &p.nip);
    if nips[0] == nips[1] || nips[0] == nips[2] || nips[1] == nips[2] {
        return Err(DomainError::invalid("same_person", "employee, rater and rater superior must be three different people"));
    }
    Ok(Decision::Record {
        event: Event::AppraisalOpened(AppraisalOpened {
            cycle_id: cycle.id,
            organization: config.organization.clone(),
            year: config.year,
            plan_due: config.plan_due,
            objection_window_days: config.objection_window_days,
            decision_window_days: config.decision_window_days,
            employee: command.employee.clone(),
            rater: command.rater.clone(),
            rater_superior: command.rater_superior.clone(),
            period: config.period,
            period_entry_days: config.period_entry_days,
            utc_offset_hours: config.utc_offset_hours,
        }),
        role: ActorRole::Admin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appraisal::Status;
    use crate::testing::*;

    fn cycle() -> Cycle {
        Cycle { opened: Some(cycle_opened()), ..Cycle::new(CYCLE_ID) }
    }

    fn command(employee: Person, rater: Person, rater_superior: Person) -> OpenAppraisal {
        OpenAppraisal { command_id: NEW_COMMAND, employee, rater, rater_superior }
    }

    fn the_three() -> OpenAppraisal {
        command(the_employee(), the_rater(), the_superior())
    }

    fn by(who: Who) -> Ctx {
        Ctx { caller: who.caller, now: START }
    }

    fn nobody() -> Appraisal {
        Appraisal::new(APPRAISAL_ID)
    }

    #[test]
    fn an_admin_opens_an_appraisal_with_a_snapshot_of_the_three_people_and_the_cycle() {
        let decision = decide_open(&nobody(), &cycle(), &the_three(), &by(admin()));
        assert_recorded(decision, &opened(), ActorRole::Admin);
    }

    #[test]
    fn the_opening_copies_the_cycles_configuration_as_it_stands() {
        let mut cycle = cycle();
        let config = cycle.opened.as_mut().expect("open");
        config.objection_window_days = 21;
        config.decision_window_days = 10;
        let Ok(Decision::Record { event: Event::AppraisalOpened(opened), .. }) =
            decide_open(&nobody(), &cycle, &the_three(), &by(admin()))
        else {
            panic!("opened")
        };
        assert_eq!((opened.cycle_id, opened.objection_window_days, opened.decision_window_days), (CYCLE_ID, 21, 10));
        assert_eq!((opened.organization.as_str(), opened.year), ("BKPSDM Kabupaten Sleman", 2025));
    }

    #[test]
    fn the_employee_rater_and_rater_superior_are_three_different_people() {
        let twin = |p: Person, nip_of: Person| Person { nip: nip_of.nip, ..p };
        let cases = [
            command(the_employee(), twin(the_rater(), the_employee()), the_superior()),
            command(the_employee(), the_rater(), twin(the_superior(), the_employee())),
            command(the_employee(), the_rater(), twin(the_superior(), the_rater())),
        ];
        for case in cases {
            assert_refused(decide_open(&nobody(), &cycle(), &case, &by(admin())), "same_person");
        }
    }

    #[test]
    fn a_person_needs_a_name_a_position_and_a_unit() {
        let blanks: [fn(&mut Person); 3] = [|p| p.name.clear(), |p| p.position = " ".into(), |p| p.unit.clear()];
        for blank in blanks {
            let mut rater = the_rater();
            blank(&mut rater);
            let case = command(the_employee(), rater, the_superior());
            assert_refused(decide_open(&nobody(), &cycle(), &case, &by(admin())), "invalid_text");
        }
    }

    #[test]
    fn an_appraisal_in_an_unknown_cycle_is_not_found_whoever_asks() {
        for who in [admin(), employee(), inspector()] {
            assert_refused(decide_open(&nobody(), &Cycle::new(CYCLE_ID), &the_three(), &by(who)), "not_found");
        }
    }

    #[test]
    fn only_an_admin_opens_an_appraisal() {
        for who in [employee(), rater(), superior(), peer(), inspector(), inspector().also_admin()] {
            assert_refused(decide_open(&nobody(), &cycle(), &the_three(), &by(who)), "forbidden");
        }
    }

    #[test]
    fn a_second_opening_for_the_same_employee_in_the_cycle_already_exists() {
        let existing = given(until(Status::Opened)).state;
        assert_refused(decide_open(&existing, &cycle(), &the_three(), &by(admin())), "already_exists");
    }

    #[test]
    fn the_checks_run_not_found_then_forbidden_then_conflict_then_values() {
        let existing = given(until(Status::Opened)).state;
        let same = command(the_employee(), the_rater(), the_employee());
        assert_refused(decide_open(&existing, &Cycle::new(CYCLE_ID), &same, &by(peer())), "not_found");
        assert_refused(decide_open(&existing, &cycle(), &same, &by(peer())), "forbidden");
        assert_refused(decide_open(&existing, &cycle(), &same, &by(admin())), "already_exists");
        assert_refused(decide_open(&nobody(), &cycle(), &same, &by(admin())), "same_person");
    }
}
