//! Who may issue which command on a development plan, and when: the 404, 403 and 409 of a
//! decision, checked in that order before any value is looked at.
//!
//! | command | who | when |
//! |---|---|---|
//! | add an action, confirm an action, review | the rater | the plan is open |
//! | record a session | the rater, or the mentor of the action named | the plan is open, the action not confirmed |
//! | complete an action | the employee | the plan is open, the action not completed |
//! | decide the follow-up | an admin who is not the employee | reviewed `not_improved`, no follow-up yet |
//!
//! An inspector issues no command. The people are those of the appraisal at its opening,
//! copied into `DevelopmentPlanOpened`.

use super::command::CommandKind;
use super::state::{Action, DevelopmentPlan, PlanStatus};
use crate::context::{Caller, Ctx};
use crate::error::DomainError;
use skp_events::development::DevelopmentPlanOpened;
use skp_events::ActorRole;

/// What a command is aimed at: its kind and, for the commands on one action, the action's
/// id as the request names it (the path, or the body of a session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// The command's kind.
    pub kind: CommandKind,
    /// The action named, if any.
    pub action_id: Option<&'a str>,
}

/// Checks that the plan (and the action named in the path) exists, that the caller may issue
/// the command and that the plan's state allows it; returns the role in which the caller acts.
///
/// # Errors
/// 404 `not_found`, 403 `forbidden`, 409 `invalid_transition`.
pub fn authorize(plan: &DevelopmentPlan, target: Target<'_>, ctx: &Ctx) -> Result<ActorRole, DomainError> {
    let Some(opened) = plan.opening() else {
        return Err(DomainError::NotFound { what: "development plan" });
    };
    let action = target.action_id.and_then(|id| plan.action(id));
    if matches!(target.kind, CommandKind::CompleteAction | CommandKind::ConfirmAction) && action.is_none() {
        return Err(DomainError::NotFound { what: "action" });
    }
    let role = role_for(opened, target.kind, action, &ctx.caller)?;
    check_state(plan, target.kind, action)?;
    Ok(role)
}

/// The role in which `caller` may issue `kind` (on `action`, for a session).
///
/// # Errors
/// 403 `forbidden` naming the rule.
pub fn role_for(opened: &DevelopmentPlanOpened, kind: CommandKind, action: Option<&Action>, caller: &Caller) -> Result<ActorRole, DomainError> {
    use CommandKind::*;
    if caller.inspector {
        return Err(DomainError::Forbidden("an inspector reads everything and issues no command"));
    }
    let is_employee = opened.employee.nip == caller.nip;
    let is_rater = opened.rater.nip == caller.nip;
    let allow = |ok: bool, role: ActorRole, rule: &'static str| if ok { Ok(role) } else { Err(DomainError::Forbidden(rule)) };
    match kind {
        Open => open_role(opened, caller),
        AddAction | ConfirmAction | Review => allow(is_rater, ActorRole::Rater, "only the appraisal's rater may do this"),
        RecordSession if is_rater => Ok(ActorRole::Rater),
        RecordSession => allow(
            action.is_some_and(|a| a.is_mentor(&caller.nip)),
            ActorRole::Mentor,
            "only the rater or the action's mentor records its sessions",
        ),
        CompleteAction => allow(is_employee, ActorRole::Employee, "only the employee completes an action"),
        DecideFollowUp => allow(
            caller.admin && !is_employee,
            ActorRole::Admin,
            "only an admin (not the employee) records the follow-up",
        ),
    }
}

/// Who may open the plan of an appraisal with these people: its rater, or an admin who is
/// not its employee.
///
/// # Errors
/// 403 `forbidden`.
pub fn open_role(people: &DevelopmentPlanOpened, caller: &Caller) -> Result<ActorRole, DomainError> {
    open_role_of(&people.employee.nip, &people.rater.nip, caller)
}

/// [`open_role`] from the two NIPs that matter.
///
/// # Errors
/// 403 `forbidden`.
pub fn open_role_of(employee: &skp_events::Nip, rater: &skp_events::Nip, caller: &Caller) -> Result<ActorRole, DomainError> {
    if caller.inspector {
        Err(DomainError::Forbidden("an inspector reads everything and issues no command"))
    } else if *rater == caller.nip {
        Ok(ActorRole::Rater)
    } else if caller.admin && *employee != caller.nip {
        Ok(ActorRole::Admin)
    } else {
        Err(DomainError::Forbidden("only the appraisal's rater or an admin (not the employee) opens its development plan"))
    }
}

fn check_state(plan: &DevelopmentPlan, kind: CommandKind, action: Option<&Action>) -> Result<(), DomainError> {
    use CommandKind::*;
    let status = plan.status();
    let refuse = |detail: String| Err(DomainError::conflict("invalid_transition", detail));
    match kind {
        Open => Err(DomainError::AlreadyExists { what: "development plan" }),
        DecideFollowUp if status != PlanStatus::NotImproved => {
            refuse(format!("a follow-up is decided after a not_improved review; the plan is {status}"))
        }
        DecideFollowUp if plan.follow_up.is_some() => refuse("the follow-up is already decided".into()),
        DecideFollowUp => Ok(()),
        _ if status != PlanStatus::Open => refuse(format!("{} is not allowed once the plan is reviewed ({status})", kind.as_str())),
        CompleteAction if action.is_some_and(|a| a.completed.is_some()) => refuse(already(action, "completed")),
        ConfirmAction if action.is_some_and(|a| a.confirmed.is_some()) => refuse(already(action, "confirmed")),
        ConfirmAction if action.is_some_and(|a| a.completed.is_none()) => {
            refuse(format!("action {} is not completed yet: the employee completes it first", id_of(action)))
        }
        RecordSession if action.is_some_and(|a| a.confirmed.is_some()) => refuse(already(action, "confirmed")),
        _ => Ok(()),
    }
}

fn id_of(action: Option<&Action>) -> &str {
    action.map_or("?", |a| a.added.action_id.as_str())
}

fn already(action: Option<&Action>, what: &str) -> String {
    format!("action {} is already {what}", id_of(action))
}
