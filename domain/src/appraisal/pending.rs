//! The appraisal's period calendar and the ended periods its annual score waits for.

use super::state::Appraisal;
use crate::error::DomainError;
use crate::period::Calendar;
use skp_events::period::PeriodId;
use time::OffsetDateTime;

/// The appraisal's calendar, once it is open.
pub fn calendar(state: &Appraisal) -> Option<Calendar> {
    state.opened.as_ref().map(Calendar::of_appraisal)
}

/// The periods that have ended at `now` and are not evaluated, in order: what keeps the
/// annual score waiting.
pub fn pending(state: &Appraisal, now: OffsetDateTime) -> Vec<PeriodId> {
    calendar(state).map(|c| c.ended(now)).unwrap_or_default().into_iter().filter(|p| !state.periods.contains_key(p)).collect()
}

/// 409 `periods_pending` while an ended period of the year is not evaluated (only cycles
/// with periods have any).
///
/// # Errors
/// `periods_pending`, naming the periods.
pub fn check_none_pending(state: &Appraisal, now: OffsetDateTime) -> Result<(), DomainError> {
    let pending = pending(state, now);
    if pending.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = pending.iter().map(ToString::to_string).collect();
    Err(DomainError::conflict(
        "periods_pending",
        format!("the annual score needs every ended period evaluated first; not evaluated: {}", names.join(", ")),
    ))
}
