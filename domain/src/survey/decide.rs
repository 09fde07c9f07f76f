//! Deciding a survey command. The survey's own state says what was answered already; the
//! appraisal's state (passed in by the caller, as opening an appraisal passes the cycle)
//! says whether the appraisal exists, who is nominated, who its people are, and its status.
//!
//! Check order: a command id already handled yields its original result; then unknown
//! appraisal 404, not allowed 403, a status that does not take answers 409, then the values
//! (422), with `already_rated` (409) once the period named is known to be valid.

use super::privacy::check_personal_data;
use super::{Survey, SurveyCommand, SurveyKind};
use crate::appraisal::rules::nominee_role;
use crate::appraisal::voices::period::check_period;
use crate::appraisal::{Appraisal, Status};
use crate::context::Ctx;
use crate::decision::Decision;
use crate::error::DomainError;
use crate::text::{check_text, require_text};
use skp_events::voices::{BehaviourRated, CoreValue, PeriodRef, PublicFeedbackRecorded};
use skp_events::{ActorRole, Event, Rating};
use std::collections::BTreeMap;

/// The longest service reference accepted, in characters.
pub const MAX_SERVICE_REF_CHARS: usize = 100;

/// Decides `command` on `survey`, the survey of `appraisal`.
///
/// # Errors
/// [`DomainError`] with its stable code, in the order of the module documentation.
pub fn decide(survey: &Survey, appraisal: &Appraisal, command: &SurveyCommand, ctx: &Ctx) -> Result<Decision, DomainError> {
    decide_lazily(survey, appraisal, command.kind(), || Ok(command.clone()), ctx)
}

/// Like [`decide`], reading the command's values only once the caller may act and the
/// status allows it, so that a caller who may not act hears 403, never what is wrong with
/// the values.
///
/// # Errors
/// As [`decide`], and the refusals of `values`.
pub fn decide_lazily(
    survey: &Survey,
    appraisal: &Appraisal,
    kind: SurveyKind,
    values: impl FnOnce() -> Result<SurveyCommand, DomainError>,
    ctx: &Ctx,
) -> Result<Decision, DomainError> {
    let role = authorize(appraisal, kind, ctx)?;
    let command = values()?;
    debug_assert_eq!(command.kind(), kind, "the values are of the command authorized");
    let event = match command {
        SurveyCommand::RateBehaviour { period, ratings, comment } => rate(survey, appraisal, &period, ratings, comment, ctx)?,
        SurveyCommand::RecordPublicFeedback { channel, service_ref, score, text } => {
            if !(1..=5).contains(&score) {
                return Err(DomainError::invalid("invalid_value", format!("score must be 1 to 5, got {score}")));
            }
            require_text("service_ref", &service_ref)?;
            if service_ref.chars().count() > MAX_SERVICE_REF_CHARS {
                return Err(DomainError::invalid("invalid_text", format!("service_ref is longer than {MAX_SERVICE_REF_CHARS} characters")));
            }
            check_text("text", text.as_deref().unwrap_or_default())?;
            check_personal_data("service_ref", &service_ref)?;
            check_personal_data("text", text.as_deref().unwrap_or_default())?;
            Event::PublicFeedbackRecorded(PublicFeedbackRecorded { channel, service_ref, score, text })
        }
    };
    Ok(Decision::Record { event, role })
}

/// The 404, 403 and 409 of a survey command; the role in which the caller acts.
///
/// # Errors
/// 404 `not_found`, 403 `forbidden`, 409 `invalid_transition`.
pub fn authorize(appraisal: &Appraisal, kind: SurveyKind, ctx: &Ctx) -> Result<ActorRole, DomainError> {
    let opened = appraisal.opened.as_ref().ok_or(DomainError::NotFound { what: "appraisal" })?;
    let caller = &ctx.caller;
    if caller.inspector {
        return Err(DomainError::Forbidden("an inspector reads everything and issues no command"));
    }
    let role = match kind {
        SurveyKind::RateBehaviour => nominee_role(appraisal, caller)
            .map_err(|_| DomainError::Forbidden("only an evaluator the rater nominated answers the survey"))?,
        SurveyKind::RecordPublicFeedback => {
            let involved = [&opened.employee, &opened.rater, &opened.rater_superior].iter().any(|p| p.nip == caller.nip);
            if !caller.service_desk || involved {
                return Err(DomainError::Forbidden("only the service desk, with no part in the appraisal, records public feedback"));
            }
            ActorRole::ServiceDesk
        }
    };
    if appraisal.status != Status::TargetsAgreed {
        return Err(DomainError::InvalidTransition { command: kind.as_str(), status: appraisal.status });
    }
    Ok(role)
}

fn rate(
    survey: &Survey,
    appraisal: &Appraisal,
    period: &PeriodRef,
    ratings: BTreeMap<CoreValue, Rating>,
    comment: Option<String>,
    ctx: &Ctx,
) -> Result<Event, DomainError> {
    check_period(appraisal, period)?;
    if let Some(earlier) = survey.answer_of(&ctx.caller.nip, period) {
        return Err(DomainError::conflict(
            "already_rated",
            format!("{} already answered the survey for {period} (survey version {})", ctx.caller.nip, earlier.recorded.version),
        ));
    }
    let missing: Vec<&str> = CoreValue::ALL.into_iter().filter(|v| !ratings.contains_key(v)).map(CoreValue::as_str).collect();
    if !missing.is_empty() {
        return Err(DomainError::invalid("ratings_incomplete", format!("rate all seven BerAKHLAK values; missing: {}", missing.join(", "))));
    }
    check_text("comment", comment.as_deref().unwrap_or_default())?;
    Ok(Event::BehaviourRated(BehaviourRated { period: period.clone(), ratings, comment }))
}
