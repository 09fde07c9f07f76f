//! The values of the appraisal's voice commands and the event each yields. Who may send them
//! and in which status is `rules.rs`'s business, checked before any of this runs.

use super::period::{check_period, period_evaluated};
use crate::appraisal::Appraisal;
use crate::context::Ctx;
use crate::error::DomainError;
use crate::text::require_text;
use skp_events::voices::{
    DialogueAcknowledged, DialogueHeld, Evaluator, EvaluatorsNominated, Expectation, ExpectationsSet, PeriodRef,
    SelfAssessed,
};
use skp_events::{Event, Rating};
use std::collections::HashSet;
use time::{Date, Duration};

/// The most evaluators one nomination names (docs/domain.md).
pub const MAX_EVALUATORS: usize = 10;
/// The most agreed actions one dialogue records.
pub const MAX_AGREED_ACTIONS: usize = 50;
/// The latest Indonesian time zone (WIT, UTC+9): a dialogue dated "today" anywhere in the
/// country is not in the future.
const LATEST_OFFSET: Duration = Duration::hours(9);

/// `ExpectationsSet`: one to seven values, each once, each with a text.
///
/// # Errors
/// 422 `invalid_value` (none, or a value twice), `invalid_text`.
pub fn set_expectations(expectations: &[Expectation]) -> Result<Event, DomainError> {
    if expectations.is_empty() {
        return Err(DomainError::invalid("invalid_value", "expectations: name at least one BerAKHLAK value"));
    }
    let mut seen = HashSet::new();
    for item in expectations {
        if !seen.insert(item.value) {
            return Err(DomainError::invalid("invalid_value", format!("expectations: {} is named twice", item.value.as_str())));
        }
        require_text(&format!("expectation for {}", item.value.as_str()), &item.expectation)?;
    }
    Ok(Event::ExpectationsSet(ExpectationsSet { expectations: expectations.to_vec() }))
}

/// `DialogueHeld`: a day not in the future and not before the year before the cycle's, the
/// topics, and the agreed actions (none to [`MAX_AGREED_ACTIONS`]).
///
/// # Errors
/// 422 `invalid_date`, `invalid_text`, `invalid_value` (too many actions).
pub fn hold_dialogue(state: &Appraisal, held_on: Date, topics: &str, agreed_actions: &[String], ctx: &Ctx) -> Result<Event, DomainError> {
    let today = (ctx.now + LATEST_OFFSET).date();
    if held_on > today {
        return Err(DomainError::invalid("invalid_date", format!("held_on {held_on} is in the future")));
    }
    let year = state.opened.as_ref().map_or(0, |o| o.year);
    if held_on.year() < year - 1 {
        return Err(DomainError::invalid("invalid_date", format!("held_on {held_on} is before the year before the cycle's year {year}")));
    }
    require_text("topics", topics)?;
    if agreed_actions.len() > MAX_AGREED_ACTIONS {
        return Err(DomainError::invalid("invalid_value", format!("agreed_actions: at most {MAX_AGREED_ACTIONS}")));
    }
    for action in agreed_actions {
        require_text("agreed action", action)?;
    }
    Ok(Event::DialogueHeld(DialogueHeld { held_on, topics: topics.to_owned(), agreed_actions: agreed_actions.to_vec() }))
}

/// `DialogueAcknowledged` of the dialogue recorded at `version`, once.
///
/// # Errors
/// 404 `not_found` (no dialogue at that version), 409 `already_acknowledged`.
pub fn acknowledge(state: &Appraisal, version: u64) -> Result<Event, DomainError> {
    let dialogue = state.voices.dialogue(version).ok_or(DomainError::NotFound { what: "dialogue" })?;
    if let Some(at) = dialogue.acknowledged {
        return Err(DomainError::conflict("already_acknowledged", format!("the dialogue of version {version} was acknowledged at version {}", at.version)));
    }
    Ok(Event::DialogueAcknowledged(DialogueAcknowledged { dialogue_version: version }))
}

/// `SelfAssessed` for a period of the cycle's year (or `annual`) that the rater has not yet
/// evaluated; the last one stands.
///
/// # Errors
/// 422 `invalid_period`, then 409 `already_evaluated`, then 422 `invalid_text`.
pub fn self_assess(state: &Appraisal, period: &PeriodRef, results: Rating, behaviour: Rating, narrative: &str) -> Result<Event, DomainError> {
    check_period(state, period)?;
    if period_evaluated(state, period) {
        return Err(already_evaluated(period));
    }
    require_text("narrative", narrative)?;
    Ok(Event::SelfAssessed(SelfAssessed { period: period.clone(), results_rating: results, behaviour_rating: behaviour, narrative: narrative.to_owned() }))
}

/// The refusal of a self-assessment for a period the rater has evaluated.
pub fn already_evaluated(period: &PeriodRef) -> DomainError {
    DomainError::conflict("already_evaluated", format!("the rater has already evaluated {period}: a self-assessment comes before it"))
}

/// `EvaluatorsNominated`: the whole list (none withdraws every nomination), at most
/// [`MAX_EVALUATORS`], each NIP once, none of them the employee, the rater or the superior.
///
/// # Errors
/// 422 `too_many_evaluators`, `duplicate_evaluator`, `same_person`, `invalid_text`.
pub fn nominate(state: &Appraisal, evaluators: &[Evaluator]) -> Result<Event, DomainError> {
    if evaluators.len() > MAX_EVALUATORS {
        return Err(DomainError::invalid("too_many_evaluators", format!("at most {MAX_EVALUATORS} evaluators, got {}", evaluators.len())));
    }
    let mut seen = HashSet::new();
    for evaluator in evaluators {
        if !seen.insert(&evaluator.nip) {
            return Err(DomainError::invalid("duplicate_evaluator", format!("evaluator {} is named twice", evaluator.nip)));
        }
        if let Some(opened) = &state.opened {
            let people = [(&opened.employee, "the employee"), (&opened.rater, "the rater"), (&opened.rater_superior, "the rater superior")];
            if let Some((_, who)) = people.iter().find(|(p, _)| p.nip == evaluator.nip) {
                return Err(DomainError::invalid("same_person", format!("evaluator {} is {who}, who cannot be an evaluator", evaluator.nip)));
            }
        }
        require_text("evaluator name", &evaluator.name)?;
    }
    Ok(Event::EvaluatorsNominated(EvaluatorsNominated { evaluators: evaluators.to_vec() }))
}
