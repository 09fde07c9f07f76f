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
    if let Some(&version) = state.handled.get(&command.command_id) {
        return Ok(Decision::AlreadyHandled { version });
    }
    let Some(config) = &cycle.opened else {
        return Err(DomainError::NotFound { what: "cycle" });
    };
    if ctx.caller.inspector || !ctx.caller.admin {
        return Err(DomainError::Forbidden("only an admin opens appraisals"));
    }
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
        }),
        role: ActorRole::Admin,
    })
}
