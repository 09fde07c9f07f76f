//! `decide(state, command, ctx)`: the one event a command yields, or why not.

use super::command::{AppraisalCommand, Command};
use super::plan::validate_plan;
use super::rules::authorize;
use super::state::Appraisal;
use crate::context::Ctx;
use crate::decision::Decision;
use crate::error::DomainError;
use crate::matrix::predikat;
use crate::text::{check_text, require_text};
use skp_events::data::{
    Empty, FeedbackGiven, ForumResolved, PlanDrafted, PlanReturned, RealisationRecorded, ScoreFinalized,
    ScoreGiven, ScoreObjected,
};
use skp_events::values::{FinalizedVia, ForumOutcome};
use skp_events::{Event, Rating};
use time::format_description::well_known::Rfc3339;
use time::Duration;

/// Decides a command against the appraisal's current state.
///
/// A command id already handled yields [`Decision::AlreadyHandled`] whatever the state.
/// Otherwise the checks run in DOMAIN.md's order: unknown appraisal, not allowed, not now,
/// then the values.
///
/// # Errors
/// [`DomainError`], carrying its HTTP status and stable code.
pub fn decide(state: &Appraisal, command: &Command, ctx: &Ctx) -> Result<Decision, DomainError> {
    if let Some(&version) = state.handled.get(&command.id) {
        return Ok(Decision::AlreadyHandled { version });
    }
    let role = authorize(state, command.body.kind(), ctx)?;
    let event = event_for(state, &command.body, ctx)?;
    Ok(Decision::Record { event, role })
}

fn event_for(state: &Appraisal, body: &AppraisalCommand, ctx: &Ctx) -> Result<Event, DomainError> {
    use AppraisalCommand as C;
    Ok(match body {
        C::Open { .. } => return Err(DomainError::AlreadyExists { what: "appraisal" }),
        C::DraftPlan { results } => {
            validate_plan(results)?;
            Event::PlanDrafted(PlanDrafted { results: results.clone() })
        }
        C::SubmitPlan => Event::PlanSubmitted(Empty {}),
        C::ReturnPlan { reason } => {
            require_text("reason", reason)?;
            Event::PlanReturned(PlanReturned { reason: reason.clone() })
        }
        C::AgreeTargets => Event::TargetsAgreed(Empty {}),
        C::GiveFeedback { about, text, indicator_id } => {
            require_text("text", text)?;
            if let Some(id) = indicator_id {
                known_indicator(state, id)?;
            }
            Event::FeedbackGiven(FeedbackGiven { about: *about, text: text.clone(), indicator_id: indicator_id.clone() })
        }
        C::RecordRealisation { indicator_id, value, evidence } => {
            known_indicator(state, indicator_id)?;
            check_text("evidence", evidence.as_deref().unwrap_or_default())?;
            Event::RealisationRecorded(RealisationRecorded {
                indicator_id: indicator_id.clone(),
                value: *value,
                evidence: evidence.clone(),
            })
        }
        C::Score { results_rating, behaviour_rating, notes } => score(state, *results_rating, *behaviour_rating, notes, ctx)?,
        C::Accept => Event::ScoreAccepted(Empty {}),
        C::Object { reason, requested_results_rating, requested_behaviour_rating } => {
            object(state, reason, *requested_results_rating, *requested_behaviour_rating, ctx)?
        }
        C::ResolveForum { outcome, results_rating, behaviour_rating, minutes } => {
            resolve(state, *outcome, *results_rating, *behaviour_rating, minutes, ctx)?
        }
        C::Finalize => finalize(state)?,
    })
}

fn known_indicator(state: &Appraisal, id: &str) -> Result<(), DomainError> {
    if state.has_indicator(id) {
        Ok(())
    } else {
        Err(DomainError::invalid("unknown_indicator", format!("indicator {id:?} is not in the agreed plan")))
    }
}

fn window_days(state: &Appraisal, pick: fn(&skp_events::data::AppraisalOpened) -> u32) -> Duration {
    Duration::days(state.opened.as_ref().map_or(0, pick).into())
}

fn score(state: &Appraisal, results: Rating, behaviour: Rating, notes: &Option<String>, ctx: &Ctx) -> Result<Event, DomainError> {
    check_text("notes", notes.as_deref().unwrap_or_default())?;
    Ok(Event::ScoreGiven(ScoreGiven {
        results_rating: results,
        behaviour_rating: behaviour,
        predikat: predikat(results, behaviour),
        notes: notes.clone(),
        objection_due: ctx.now + window_days(state, |o| o.objection_window_days),
    }))
}

fn object(
    state: &Appraisal,
    reason: &str,
    requested_results_rating: Option<Rating>,
    requested_behaviour_rating: Option<Rating>,
    ctx: &Ctx,
) -> Result<Event, DomainError> {
    if let Some((score, _)) = &state.score {
        if ctx.now > score.objection_due {
            let closed_at = score.objection_due.format(&Rfc3339).unwrap_or_default();
            return Err(DomainError::ObjectionWindowClosed { closed_at });
        }
    }
    require_text("reason", reason)?;
    Ok(Event::ScoreObjected(ScoreObjected {
        reason: reason.to_owned(),
        requested_results_rating,
        requested_behaviour_rating,
        decision_due: ctx.now + window_days(state, |o| o.decision_window_days),
    }))
}

fn resolve(
    state: &Appraisal,
    outcome: ForumOutcome,
    results: Option<Rating>,
    behaviour: Option<Rating>,
    minutes: &str,
    ctx: &Ctx,
) -> Result<Event, DomainError> {
    require_text("minutes", minutes)?;
    let standing = state.score.as_ref().map(|(s, _)| (s.results_rating, s.behaviour_rating));
    let (results_rating, behaviour_rating) = match (outcome, results, behaviour, standing) {
        (ForumOutcome::Revised, Some(r), Some(b), _) => (r, b),
        (ForumOutcome::Revised, ..) => {
            return Err(DomainError::invalid("ratings_required", "a revised outcome needs both new ratings"))
        }
        (ForumOutcome::Upheld, r, b, Some((sr, sb))) if r.unwrap_or(sr) == sr && b.unwrap_or(sb) == sb => (sr, sb),
        (ForumOutcome::Upheld, ..) => {
            return Err(DomainError::invalid(
                "ratings_not_allowed",
                "an upheld outcome keeps the score: leave out the ratings or choose revised",
            ))
        }
    };
    let late = state.objection.as_ref().is_some_and(|(o, _)| ctx.now > o.decision_due);
    Ok(Event::ForumResolved(ForumResolved {
        outcome,
        results_rating,
        behaviour_rating,
        predikat: predikat(results_rating, behaviour_rating),
        minutes: minutes.to_owned(),
        late,
    }))
}

fn finalize(state: &Appraisal) -> Result<Event, DomainError> {
    let (results_rating, behaviour_rating, predikat, via) = match (&state.forum, &state.score) {
        (Some((forum, _)), _) => (forum.results_rating, forum.behaviour_rating, forum.predikat, FinalizedVia::Forum),
        (None, Some((score, _))) => {
            let via = if state.accepted.is_some() { FinalizedVia::Accepted } else { FinalizedVia::NoObjection };
            (score.results_rating, score.behaviour_rating, score.predikat, via)
        }
        (None, None) => return Err(DomainError::InvalidTransition { command: "finalize", status: state.status }),
    };
    let employee_nip = match &state.opened {
        Some(opened) => opened.employee.nip.clone(),
        None => return Err(DomainError::NotFound { what: "appraisal" }),
    };
    Ok(Event::ScoreFinalized(ScoreFinalized { results_rating, behaviour_rating, predikat, via, employee_nip }))
}
