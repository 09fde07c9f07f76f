//! `decide(plan, command, ctx)` for the commands on an open plan: the one event a command
//! yields, or why not. The checks run in their order: a command id already handled, then
//! unknown plan or action (404), not allowed (403), not now (409), then the values (422), each
//! command's in its own module.

use super::command::{CommandKind, DevelopmentCommand};
use super::rules::{authorize, Target};
use super::state::DevelopmentPlan;
use super::{action, completion, review, session};
use crate::context::Ctx;
use crate::decision::Decision;
use crate::error::DomainError;
use skp_events::Event;
use uuid::Uuid;

/// A command on a plan with its id; a command id is handled at most once per plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCommand {
    /// Unique per command; a retry carries the same id.
    pub id: Uuid,
    /// What is asked.
    pub body: DevelopmentCommand,
}

/// Decides a command against the plan's current state.
///
/// # Errors
/// [`DomainError`] with its stable code.
pub fn decide(plan: &DevelopmentPlan, command: &PlanCommand, ctx: &Ctx) -> Result<Decision, DomainError> {
    let target = Target { kind: command.body.kind(), action_id: command.body.action_id() };
    decide_lazily(plan, target, || Ok(command.body.clone()), ctx)
}

/// Like [`decide`] for a command aimed at `target` whose values are read by `values` only
/// once the caller may issue it and the plan's state allows it (a command id handled before
/// is the command path's business, `skp_domain::idempotency`): a
/// caller who may not act hears 403 (or 404, 409), never what is wrong with the values.
///
/// # Errors
/// [`DomainError`] with its stable code.
pub fn decide_lazily(
    plan: &DevelopmentPlan,
    target: Target<'_>,
    values: impl FnOnce() -> Result<DevelopmentCommand, DomainError>,
    ctx: &Ctx,
) -> Result<Decision, DomainError> {
    let role = authorize(plan, target, ctx)?;
    let body = values()?;
    debug_assert_eq!(body.kind(), target.kind, "the values are of the command authorized");
    let event = event_for(plan, body, ctx)?;
    Ok(Decision::Record { event, role })
}

fn event_for(plan: &DevelopmentPlan, body: DevelopmentCommand, ctx: &Ctx) -> Result<Event, DomainError> {
    use DevelopmentCommand as C;
    match body {
        C::AddAction { action_id, action_type, description, due, mentor_nip } => {
            action::add(plan, action::NewAction { action_id, action_type, description, due, mentor_nip }, ctx)
        }
        C::RecordSession { action_id, held_on, notes, next_steps } => session::record(plan, action_id, held_on, notes, next_steps, ctx),
        C::CompleteAction { action_id, evidence } => completion::complete(action_id, evidence),
        C::ConfirmAction { action_id } => Ok(completion::confirm(action_id)),
        C::Review { outcome, basis } => review::review(plan, outcome, basis, ctx),
        C::DecideFollowUp { measure, basis } => review::follow_up(measure, basis),
    }
}

/// The command kinds decided here, for tables of tests.
pub const KINDS: [CommandKind; 6] = CommandKind::ON_A_PLAN;
