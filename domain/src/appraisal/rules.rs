//! Who may issue which command, and in which status: the 404, 403 and 409 of a decision,
//! checked in that order before any value is looked at (DOMAIN.md's check order).

use super::command::CommandKind;
use super::state::{Appraisal, Status};
use crate::context::{Caller, Ctx};
use crate::error::DomainError;
use skp_events::data::AppraisalOpened;
use skp_events::ActorRole;
use time::format_description::well_known::Rfc3339;

/// Checks that the appraisal exists, that the caller may issue `kind` on it and that its
/// status allows `kind` now; returns the role in which the caller acts.
///
/// # Errors
/// 404 `not_found`, 403 `forbidden`, 409 `invalid_transition` or `objection_window_open`.
pub fn authorize(state: &Appraisal, kind: CommandKind, ctx: &Ctx) -> Result<ActorRole, DomainError> {
    let Some(opened) = &state.opened else {
        return Err(DomainError::NotFound { what: "appraisal" });
    };
    let role = role_for(opened, kind, &ctx.caller)?;
    check_status(state, kind, ctx)?;
    Ok(role)
}

/// The role in which `caller` may issue `kind` on this appraisal.
///
/// # Errors
/// 403 `forbidden` with the rule that refuses.
pub fn role_for(opened: &AppraisalOpened, kind: CommandKind, caller: &Caller) -> Result<ActorRole, DomainError> {
    use CommandKind::*;
    if caller.inspector {
        return Err(DomainError::Forbidden("an inspector reads everything and issues no command"));
    }
    let is_employee = opened.employee.nip == caller.nip;
    let is_rater = opened.rater.nip == caller.nip;
    let is_superior = opened.rater_superior.nip == caller.nip;
    let allow = |ok: bool, role: ActorRole, rule: &'static str| if ok { Ok(role) } else { Err(DomainError::Forbidden(rule)) };
    match kind {
        Open => allow(caller.admin, ActorRole::Admin, "only an admin opens appraisals"),
        DraftPlan | SubmitPlan | RecordRealisation | Accept | Object => {
            allow(is_employee, ActorRole::Employee, "only the appraised employee may do this")
        }
        ReturnPlan | AgreeTargets | Score => allow(is_rater, ActorRole::Rater, "only the appraisal's rater may do this"),
        Finalize if is_rater => Ok(ActorRole::Rater),
        Finalize => allow(
            caller.admin && !is_employee,
            ActorRole::Admin,
            "only the rater or an admin (not the employee) finalizes",
        ),
        GiveFeedback if is_employee => Err(DomainError::Forbidden("an employee gives no feedback on their own appraisal")),
        GiveFeedback if is_rater => Ok(ActorRole::Rater),
        GiveFeedback if is_superior => Ok(ActorRole::RaterSuperior),
        GiveFeedback => Ok(ActorRole::Peer),
        ResolveForum => allow(
            is_superior,
            ActorRole::RaterSuperior,
            "only the rater's superior decides an objection, never the rater",
        ),
    }
}

fn check_status(state: &Appraisal, kind: CommandKind, ctx: &Ctx) -> Result<(), DomainError> {
    use CommandKind::*;
    use Status::*;
    let allowed: &[Status] = match kind {
        Open => &[],
        DraftPlan => &[Opened, PlanDrafted, PlanReturned],
        SubmitPlan => &[PlanDrafted],
        ReturnPlan | AgreeTargets => &[PlanSubmitted],
        GiveFeedback | RecordRealisation | Score => &[TargetsAgreed],
        Accept | Object => &[Scored],
        ResolveForum => &[Objected],
        Finalize => &[Accepted, Resolved, Scored],
    };
    if kind == Open {
        return Err(DomainError::AlreadyExists { what: "appraisal" });
    }
    if !allowed.contains(&state.status) {
        return Err(DomainError::InvalidTransition { command: kind.as_str(), status: state.status });
    }
    if let (Finalize, Scored, Some((score, _))) = (kind, state.status, &state.score) {
        if ctx.now <= score.objection_due {
            let until = score.objection_due.format(&Rfc3339).unwrap_or_default();
            return Err(DomainError::ObjectionWindowOpen { until });
        }
    }
    Ok(())
}
