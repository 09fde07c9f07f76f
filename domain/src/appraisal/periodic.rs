//! Periodic evaluation (DOMAIN.md, *Periodic evaluation*): the rater evaluates each ended
//! period once, and may correct an evaluation, with a reason, until the period locks
//! (`period_entry_days` after its end); the annual score waits for every ended period.
//! The appraisal decides all of it from its own history: the cycle's calendar is in its
//! `AppraisalOpened` ([`crate::period::Calendar`]).
//!
//! Order of the checks of a period command (`decide_period`; a command id handled before is
//! the command path's business, `crate::idempotency`): 404, 403,
//! 409 `invalid_transition` (only while `targets_agreed`), 422 `invalid_period` (no period of
//! this cycle: whether it ended cannot even be asked), 409 `period_not_ended` /
//! `period_evaluated` / `period_not_evaluated` / `period_locked`, then the values (422
//! ratings, notes, reason).

use super::command::{AppraisalCommand, CommandKind};
use super::rules::authorize;
use super::state::Appraisal;
use crate::context::Ctx;
use crate::decision::Decision;
use crate::error::DomainError;
use crate::matrix::predikat;
use crate::period::Calendar;
use crate::text::{check_text, require_text};
use skp_events::data::{PeriodEvaluated, PeriodEvaluationCorrected};
use skp_events::period::PeriodId;
use skp_events::{Event, Rating};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use super::period_record::PeriodRecord;
pub use super::pending::{calendar, check_none_pending, pending};

/// Decides a period command (`kind` is [`CommandKind::EvaluatePeriod`] or
/// [`CommandKind::CorrectPeriod`]) on the period named `period`, reading the body's values
/// with `values` only once the period is one the command may act on now (see the module's
/// check order).
///
/// # Errors
/// [`DomainError`] with its stable code, in the module's order.
pub fn decide_period(
    state: &Appraisal,
    kind: CommandKind,
    period: &str,
    values: impl FnOnce(PeriodId) -> Result<AppraisalCommand, DomainError>,
    ctx: &Ctx,
) -> Result<Decision, DomainError> {
    let role = authorize(state, kind, ctx)?;
    let calendar = calendar(state).ok_or(DomainError::NotFound { what: "appraisal" })?;
    let period = calendar.parse(period)?;
    check_period(state, &calendar, kind, period, ctx.now)?;
    let body = values(period)?;
    debug_assert_eq!(body.kind(), kind, "the values are of the command authorized");
    let event = match &body {
        AppraisalCommand::EvaluatePeriod { period, results_rating, behaviour_rating, notes } => evaluate(state, *period, *results_rating, *behaviour_rating, notes, ctx)?,
        AppraisalCommand::CorrectPeriod { period, results_rating, behaviour_rating, reason } => correct(state, *period, *results_rating, *behaviour_rating, reason, ctx)?,
        _ => return Err(DomainError::invalid("invalid_command", "not a period command")),
    };
    Ok(Decision::Record { event, role })
}

fn at(instant: OffsetDateTime) -> String {
    instant.format(&Rfc3339).unwrap_or_else(|_| instant.to_string())
}

/// The conflicts (409) of a period command on `period` at `now`.
fn check_period(state: &Appraisal, calendar: &Calendar, kind: CommandKind, period: PeriodId, now: OffsetDateTime) -> Result<(), DomainError> {
    if !calendar.has_ended(period, now) {
        let ends = at(calendar.ends_at(period));
        let detail = format!("period {period} ends at {ends} (00:00 local time, UTC+{}); it can be evaluated from then on", calendar.utc_offset_hours);
        return Err(DomainError::conflict("period_not_ended", detail));
    }
    match (kind, state.periods.get(&period)) {
        (CommandKind::EvaluatePeriod, Some(record)) => {
            let (_, stamp) = &record.evaluated;
            let detail = format!("period {period} was evaluated at {} (version {}); correct it instead", at(stamp.at), stamp.version);
            Err(DomainError::conflict("period_evaluated", detail))
        }
        (CommandKind::CorrectPeriod, None) => {
            Err(DomainError::conflict("period_not_evaluated", format!("period {period} has not been evaluated yet; evaluate it first")))
        }
        (CommandKind::CorrectPeriod, Some(_)) if calendar.is_locked(period, now) => {
            let detail = format!(
                "period {period} locked at {}, {} days after it ended; its evaluation can no longer be corrected",
                at(calendar.locks_at(period)),
                calendar.entry_days
            );
            Err(DomainError::conflict("period_locked", detail))
        }
        _ => Ok(()),
    }
}

/// The calendar of an open appraisal and `period` checked against it.
fn period_of(state: &Appraisal, period: PeriodId) -> Result<Calendar, DomainError> {
    let calendar = calendar(state).ok_or(DomainError::NotFound { what: "appraisal" })?;
    calendar.check(period)?;
    Ok(calendar)
}

/// `PeriodEvaluated`, once the period is this cycle's, has ended and is not yet evaluated.
pub(super) fn evaluate(state: &Appraisal, period: PeriodId, results: Rating, behaviour: Rating, notes: &Option<String>, ctx: &Ctx) -> Result<Event, DomainError> {
    let calendar = period_of(state, period)?;
    check_period(state, &calendar, CommandKind::EvaluatePeriod, period, ctx.now)?;
    check_text("notes", notes.as_deref().unwrap_or_default())?;
    Ok(Event::PeriodEvaluated(PeriodEvaluated {
        period,
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: predikat(results, behaviour),
        notes: notes.clone(),
    }))
}

/// `PeriodEvaluationCorrected`, once the period is evaluated and not locked, with a reason.
pub(super) fn correct(state: &Appraisal, period: PeriodId, results: Rating, behaviour: Rating, reason: &str, ctx: &Ctx) -> Result<Event, DomainError> {
    let calendar = period_of(state, period)?;
    check_period(state, &calendar, CommandKind::CorrectPeriod, period, ctx.now)?;
    require_text("reason", reason)?;
    Ok(Event::PeriodEvaluationCorrected(PeriodEvaluationCorrected {
        period,
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: predikat(results, behaviour),
        reason: reason.to_owned(),
    }))
}

#[cfg(test)]
#[path = "periodic_tests.rs"]
mod tests;
