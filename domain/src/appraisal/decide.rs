//! `decide(state, command, ctx)`: the one event a command yields, or why not.

use super::command::{AppraisalCommand, Command};
use super::plan::validate_plan;
use super::rules::authorize;
use super::state::Appraisal;
use super::voices::decide as voices;
use crate::context::Ctx;
use crate::decision::Decision;
use crate::error::DomainError;
use crate::matrix::predikat;
use crate::text::{check_text, check_whole, require_text};
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
/// The checks run in their order (`docs/domain.md`): unknown appraisal, not
/// allowed, not now, then the values.
///
/// # Errors
/// [`DomainError`] with its stable code.
pub fn decide(state: &Appraisal, command: &Command, ctx: &Ctx) -> Result<Decision, DomainError> {
    decide_lazily(state, command.body.kind(), || Ok(command.body.clone()), ctx)
}

/// Like [`decide`] for a command of `kind` whose values are read by `values` only once the
/// command id is new, the caller may issue `kind` and the status allows it: a caller who may
/// not act hears 403 (or 404, 409), never what is wrong with the values (422).
///
/// # Errors
/// [`DomainError`] with its stable code: the refusals of [`authorize`], then those of
/// `values`, then the rule the values break.
pub fn decide_lazily(
    state: &Appraisal,
    kind: super::CommandKind,
    values: impl FnOnce() -> Result<AppraisalCommand, DomainError>,
    ctx: &Ctx,
) -> Result<Decision, DomainError> {
    let role = authorize(state, kind, ctx)?;
    let body = values()?;
    debug_assert_eq!(body.kind(), kind, "the values are of the command authorized");
    let event = event_for(state, &body, ctx)?;
    Ok(Decision::Record { event, role })
}

/// The event of a command already authorized, or the rule its values break.
pub(super) fn event_for(state: &Appraisal, body: &AppraisalCommand, ctx: &Ctx) -> Result<Event, DomainError> {
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
            check_whole("value", *value, "invalid_value")?;
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
        // Voices beyond the rater (issue 13).
        C::SetExpectations { expectations } => voices::set_expectations(expectations)?,
        C::HoldDialogue { held_on, topics, agreed_actions } => voices::hold_dialogue(state, *held_on, topics, agreed_actions, ctx)?,
        C::AcknowledgeDialogue { dialogue_version } => voices::acknowledge(state, *dialogue_version)?,
        C::SelfAssess { period, results_rating, behaviour_rating, narrative } => {
            voices::self_assess(state, period, *results_rating, *behaviour_rating, narrative)?
        }
        C::NominateEvaluators { evaluators } => voices::nominate(state, evaluators)?,
        // Periodic evaluation (issue 12).
        C::EvaluatePeriod { period, results_rating, behaviour_rating, notes } => {
            super::periodic::evaluate(state, *period, *results_rating, *behaviour_rating, notes, ctx)?
        }
        C::CorrectPeriod { period, results_rating, behaviour_rating, reason } => {
            super::periodic::correct(state, *period, *results_rating, *behaviour_rating, reason, ctx)?
        }
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

#[cfg(test)]
mod tests {
    use crate::appraisal::{AppraisalCommand as C, CommandKind, Status::*};
    use crate::testing::*;
    use skp_events::data::{
        Empty, FeedbackGiven, ForumResolved, PlanDrafted, PlanReturned, RealisationRecorded, ScoreGiven, ScoreObjected,
    };
    use skp_events::values::{FeedbackAbout, FinalizedVia, ForumOutcome};
    use skp_events::{ActorRole, Event, Predikat, Rating::*};
    use time::{Duration, OffsetDateTime};

    const LATE: OffsetDateTime = time::macros::datetime!(2025-06-30 08:00 UTC);
    const SECOND: Duration = Duration::seconds(1);

    fn feedback_text(text: &str) -> C {
        C::GiveFeedback { about: FeedbackAbout::Behaviour, text: text.into(), indicator_id: None }
    }

    fn objection(reason: &str) -> C {
        C::Object { reason: reason.into(), requested_results_rating: None, requested_behaviour_rating: None }
    }

    fn resolve(outcome: ForumOutcome, results: Option<skp_events::Rating>, behaviour: Option<skp_events::Rating>) -> C {
        C::ResolveForum {
            outcome,
            results_rating: results,
            behaviour_rating: behaviour,
            minutes: "berita acara forum".into(),
        }
    }

    // ------------------------------------------------------------ the lifecycle, edge by edge

    #[test]
    fn the_employee_drafts_a_plan_once_the_appraisal_is_opened() {
        given(until(Opened)).when(C::DraftPlan { results: plan() }).by(employee()).then(drafted());
    }

    #[test]
    fn the_employee_revises_a_drafted_plan_by_drafting_the_whole_plan_again() {
        let revised = vec![result("R9", vec![indicator("I9", 3, "kegiatan")])];
        given(until(PlanDrafted))
            .when(C::DraftPlan { results: revised.clone() })
            .by(employee())
            .then(Event::PlanDrafted(PlanDrafted { results: revised }));
    }

    #[test]
    fn the_employee_drafts_a_returned_plan_again() {
        given(until(PlanReturned)).when(C::DraftPlan { results: plan() }).by(employee()).then(drafted());
    }

    #[test]
    fn the_employee_submits_a_drafted_plan() {
        given(until(PlanDrafted)).when(C::SubmitPlan).by(employee()).then(submitted());
    }

    #[test]
    fn the_rater_returns_a_submitted_plan_with_the_reason() {
        given(until(PlanSubmitted))
            .when(C::ReturnPlan { reason: "target I2 terlalu rendah".into() })
            .by(rater())
            .then(Event::PlanReturned(PlanReturned { reason: "target I2 terlalu rendah".into() }));
    }

    #[test]
    fn the_rater_agrees_the_targets_of_a_submitted_plan() {
        given(until(PlanSubmitted)).when(C::AgreeTargets).by(rater()).then(Event::TargetsAgreed(Empty {}));
    }

    #[test]
    fn the_rater_the_rater_superior_and_the_nominated_evaluators_each_give_feedback_in_their_own_role() {
        for who in [rater(), superior(), peer(), nominee()] {
            given(with_nominations(until(TargetsAgreed))).when(feedback_text("kolaboratif")).by(who).then(Event::FeedbackGiven(
                FeedbackGiven { about: FeedbackAbout::Behaviour, text: "kolaboratif".into(), indicator_id: None },
            ));
        }
    }

    #[test]
    fn feedback_may_name_an_indicator_of_the_agreed_plan() {
        given(until(TargetsAgreed))
            .when(C::GiveFeedback {
                about: FeedbackAbout::Results,
                text: "laporan triwulan tepat waktu".into(),
                indicator_id: Some("I3".into()),
            })
            .by(rater())
            .then(feedback());
    }

    #[test]
    fn an_admin_without_a_role_in_the_appraisal_or_a_nomination_gives_no_feedback() {
        given(with_nominations(until(TargetsAgreed))).when(feedback_text("kolaboratif")).by(admin()).then_err("forbidden");
    }

    #[test]
    fn a_colleague_the_rater_did_not_nominate_gives_no_feedback_and_hears_no_more_than_forbidden() {
        given(until(TargetsAgreed)).when(feedback_text("kolaboratif")).by(peer()).then_err("forbidden");
        given(until(TargetsAgreed)).when(feedback_text("")).by(peer()).then_err("forbidden");
        given(until(Scored)).when(feedback_text("kolaboratif")).by(peer()).then_err("forbidden");
    }

    #[test]
    fn the_employee_records_a_realisation_with_its_evidence() {
        given(until(TargetsAgreed))
            .when(C::RecordRealisation { indicator_id: "I1".into(), value: 13, evidence: Some("ND-2025/117".into()) })
            .by(employee())
            .then(Event::RealisationRecorded(RealisationRecorded {
                indicator_id: "I1".into(),
                value: 13,
                evidence: Some("ND-2025/117".into()),
            }));
    }

    #[test]
    fn whole_numbers_above_two_to_the_fifty_three_minus_one_are_refused() {
        let beyond = crate::text::MAX_SAFE_INTEGER + 1;
        given(until(TargetsAgreed)).when(C::RecordRealisation { indicator_id: "I1".into(), value: beyond, evidence: None }).by(employee()).then_err("invalid_value");
        let mut results = plan();
        results[0].indicators[0].target.value = beyond;
        given(until(Opened)).when(C::DraftPlan { results }).by(employee()).then_err("invalid_plan");
        given(until(TargetsAgreed))
            .when(C::RecordRealisation { indicator_id: "I1".into(), value: crate::text::MAX_SAFE_INTEGER, evidence: None })
            .by(employee())
            .then(realised("I1", crate::text::MAX_SAFE_INTEGER));
    }

    #[test]
    fn a_realisation_of_zero_is_a_realisation() {
        given(until(TargetsAgreed))
            .when(C::RecordRealisation { indicator_id: "I2".into(), value: 0, evidence: None })
            .by(employee())
            .then(realised("I2", 0));
    }

    #[test]
    fn the_rater_scores_with_the_predikat_derived_and_the_objection_due_after_the_window() {
        given(until(TargetsAgreed))
            .when(C::Score { results_rating: SesuaiEkspektasi, behaviour_rating: SesuaiEkspektasi, notes: None })
            .by(rater())
            .at(SCORED_AT)
            .then(scored());
    }

    #[test]
    fn poor_behaviour_caps_the_predikat_whatever_the_results() {
        given(until(TargetsAgreed))
            .when(C::Score {
                results_rating: DiAtasEkspektasi,
                behaviour_rating: DiBawahEkspektasi,
                notes: Some("terlambat".into()),
            })
            .by(rater())
            .at(SCORED_AT)
            .then(Event::ScoreGiven(ScoreGiven {
                results_rating: DiAtasEkspektasi,
                behaviour_rating: DiBawahEkspektasi,
                predikat: Predikat::Kurang,
                notes: Some("terlambat".into()),
                objection_due: OBJECTION_DUE,
            }));
    }

    #[test]
    fn the_objection_window_is_the_one_the_cycle_configured() {
        let mut events = until(TargetsAgreed);
        if let Event::AppraisalOpened(opened) = &mut events[0] {
            opened.objection_window_days = 7;
        }
        let decision = given(events)
            .when(C::Score { results_rating: SesuaiEkspektasi, behaviour_rating: DiAtasEkspektasi, notes: None })
            .at(SCORED_AT)
            .decide();
        let expected = Event::ScoreGiven(ScoreGiven {
            results_rating: SesuaiEkspektasi,
            behaviour_rating: DiAtasEkspektasi,
            predikat: Predikat::Baik,
            notes: None,
            objection_due: SCORED_AT + Duration::days(7),
        });
        assert_recorded(decision, &expected, ActorRole::Rater);
    }

    #[test]
    fn the_employee_accepts_the_score() {
        given(until(Scored)).when(C::Accept).by(employee()).then(accepted());
    }

    #[test]
    fn the_employee_objects_with_a_reason_and_the_forum_is_due_after_the_decision_window() {
        given(until(Scored))
            .when(C::Object {
                reason: "realisasi I1 melebihi target".into(),
                requested_results_rating: Some(DiAtasEkspektasi),
                requested_behaviour_rating: None,
            })
            .by(employee())
            .at(OBJECTED_AT)
            .then(objected());
    }

    #[test]
    fn the_rater_superior_upholds_the_score_which_then_stands() {
        given(until(Objected)).when(resolve(ForumOutcome::Upheld, None, None)).by(superior()).then(upheld());
    }

    #[test]
    fn an_upheld_forum_may_repeat_the_ratings_that_stand() {
        given(until(Objected))
            .when(resolve(ForumOutcome::Upheld, Some(SesuaiEkspektasi), Some(SesuaiEkspektasi)))
            .by(superior())
            .then(upheld());
    }

    #[test]
    fn the_rater_superior_revises_the_score_and_the_predikat_is_derived_again() {
        given(until(Objected))
            .when(resolve(ForumOutcome::Revised, Some(DiAtasEkspektasi), Some(DiAtasEkspektasi)))
            .by(superior())
            .then(Event::ForumResolved(ForumResolved {
                outcome: ForumOutcome::Revised,
                results_rating: DiAtasEkspektasi,
                behaviour_rating: DiAtasEkspektasi,
                predikat: Predikat::SangatBaik,
                minutes: "berita acara forum".into(),
                late: false,
            }));
    }

    #[test]
    fn an_accepted_score_is_finalized_via_accepted_by_the_rater_or_an_admin() {
        for who in [rater(), admin()] {
            given(until(Accepted)).when(C::Finalize).by(who).then(finalized(
                SesuaiEkspektasi,
                SesuaiEkspektasi,
                FinalizedVia::Accepted,
            ));
        }
    }

    #[test]
    fn an_upheld_objection_is_finalized_via_forum_with_the_score_that_stood() {
        given(until(Resolved)).when(C::Finalize).by(rater()).then(finalized(
            SesuaiEkspektasi,
            SesuaiEkspektasi,
            FinalizedVia::Forum,
        ));
    }

    #[test]
    fn a_revised_objection_is_finalized_via_forum_with_the_forums_ratings_and_predikat() {
        let mut events = until(Objected);
        events.push(forum(ForumOutcome::Revised, DiAtasEkspektasi, DiAtasEkspektasi, false));
        given(events).when(C::Finalize).by(admin()).then(finalized(
            DiAtasEkspektasi,
            DiAtasEkspektasi,
            FinalizedVia::Forum,
        ));
    }

    #[test]
    fn a_scored_appraisal_is_finalized_via_no_objection_once_the_window_has_closed() {
        given(until(Scored)).when(C::Finalize).by(rater()).at(OBJECTION_DUE + SECOND).then(finalized(
            SesuaiEkspektasi,
            SesuaiEkspektasi,
            FinalizedVia::NoObjection,
        ));
    }

    // ------------------------------------------------------------ the objection window

    #[test]
    fn an_objection_at_exactly_the_deadline_is_accepted() {
        let decision = given(until(Scored)).when(objection("keberatan")).by(employee()).at(OBJECTION_DUE).decide();
        let expected = Event::ScoreObjected(ScoreObjected {
            reason: "keberatan".into(),
            requested_results_rating: None,
            requested_behaviour_rating: None,
            decision_due: OBJECTION_DUE + Duration::days(DECISION_WINDOW_DAYS.into()),
        });
        assert_recorded(decision, &expected, ActorRole::Employee);
    }

    #[test]
    fn an_objection_one_second_after_the_deadline_is_refused_as_the_window_closed() {
        let error = given(until(Scored))
            .when(objection("keberatan"))
            .by(employee())
            .at(OBJECTION_DUE + SECOND)
            .then_err("objection_window_closed");
        assert_eq!(error, crate::DomainError::ObjectionWindowClosed { closed_at: "2025-01-24T08:00:00Z".into() });
    }

    #[test]
    fn accepting_needs_no_window_even_after_it_closed() {
        given(until(Scored)).when(C::Accept).by(employee()).at(LATE).then(accepted());
    }

    #[test]
    fn finalizing_a_scored_appraisal_while_an_objection_may_still_come_must_wait() {
        for now in [SCORED_AT, SCORED_AT + Duration::days(1), OBJECTION_DUE] {
            let error = given(until(Scored)).when(C::Finalize).by(rater()).at(now).then_err("objection_window_open");
            assert_eq!(error, crate::DomainError::ObjectionWindowOpen { until: "2025-01-24T08:00:00Z".into() });
        }
    }

    #[test]
    fn a_forum_decision_at_the_deadline_is_on_time() {
        given(until(Objected)).when(resolve(ForumOutcome::Upheld, None, None)).at(DECISION_DUE).then(upheld());
    }

    #[test]
    fn a_late_forum_decision_is_still_recorded_and_flagged_late() {
        given(until(Objected)).when(resolve(ForumOutcome::Upheld, None, None)).at(DECISION_DUE + SECOND).then(forum(
            ForumOutcome::Upheld,
            SesuaiEkspektasi,
            SesuaiEkspektasi,
            true,
        ));
    }

    // ------------------------------------------------------------ values breaking a rule (422)

    #[test]
    fn returning_a_plan_needs_a_reason() {
        for reason in ["", "   ", "\n\t"] {
            given(until(PlanSubmitted))
                .when(C::ReturnPlan { reason: reason.into() })
                .by(rater())
                .then_err("invalid_text");
        }
    }

    #[test]
    fn an_objection_needs_a_reason() {
        given(until(Scored)).when(objection(" ")).by(employee()).then_err("invalid_text");
    }

    #[test]
    fn a_forum_needs_minutes() {
        let blank = C::ResolveForum {
            outcome: ForumOutcome::Upheld,
            results_rating: None,
            behaviour_rating: None,
            minutes: "".into(),
        };
        given(until(Objected)).when(blank).by(superior()).then_err("invalid_text");
    }

    #[test]
    fn feedback_needs_text() {
        given(until(TargetsAgreed)).when(feedback_text("  ")).by(rater()).then_err("invalid_text");
    }

    #[test]
    fn free_text_with_control_characters_is_refused() {
        given(until(TargetsAgreed)).when(feedback_text("bel\u{7}")).by(rater()).then_err("invalid_text");
        given(until(PlanSubmitted))
            .when(C::ReturnPlan { reason: "nul\u{0}".into() })
            .by(rater())
            .then_err("invalid_text");
        given(until(Scored)).when(objection("esc\u{1b}[31m")).by(employee()).then_err("invalid_text");
        given(until(TargetsAgreed))
            .when(C::RecordRealisation { indicator_id: "I1".into(), value: 1, evidence: Some("a\u{7f}".into()) })
            .by(employee())
            .then_err("invalid_text");
        given(until(TargetsAgreed))
            .when(C::Score {
                results_rating: SesuaiEkspektasi,
                behaviour_rating: SesuaiEkspektasi,
                notes: Some("\u{85}".into()),
            })
            .by(rater())
            .then_err("invalid_text");
    }

    #[test]
    fn line_breaks_and_tabs_are_ordinary_text() {
        let text = "baris satu\r\nbaris dua\tdengan tab";
        given(until(TargetsAgreed)).when(feedback_text(text)).by(rater()).then(Event::FeedbackGiven(FeedbackGiven {
            about: FeedbackAbout::Behaviour,
            text: text.into(),
            indicator_id: None,
        }));
    }

    #[test]
    fn text_longer_than_ten_thousand_characters_is_refused_and_ten_thousand_are_fine() {
        let longest = "é".repeat(crate::text::MAX_TEXT_CHARS);
        assert!(given(until(TargetsAgreed)).when(feedback_text(&longest)).by(rater()).decide().is_ok());
        let too_long = format!("{longest}e");
        given(until(TargetsAgreed)).when(feedback_text(&too_long)).by(rater()).then_err("invalid_text");
        given(until(Objected))
            .when(C::ResolveForum {
                outcome: ForumOutcome::Upheld,
                results_rating: None,
                behaviour_rating: None,
                minutes: too_long,
            })
            .by(superior())
            .then_err("invalid_text");
    }

    #[test]
    fn a_realisation_of_an_indicator_not_in_the_plan_is_refused() {
        for id in ["I4", "R1", "i1", ""] {
            given(until(TargetsAgreed))
                .when(C::RecordRealisation { indicator_id: id.into(), value: 1, evidence: None })
                .by(employee())
                .then_err("unknown_indicator");
        }
    }

    #[test]
    fn feedback_on_an_indicator_not_in_the_plan_is_refused() {
        given(until(TargetsAgreed))
            .when(C::GiveFeedback {
                about: FeedbackAbout::Results,
                text: "bagus".into(),
                indicator_id: Some("I4".into()),
            })
            .by(rater())
            .then_err("unknown_indicator");
    }

    #[test]
    fn a_revised_forum_without_both_new_ratings_is_refused() {
        for (results, behaviour) in [(None, None), (Some(DiAtasEkspektasi), None), (None, Some(DiAtasEkspektasi))] {
            given(until(Objected))
                .when(resolve(ForumOutcome::Revised, results, behaviour))
                .by(superior())
                .then_err("ratings_required");
        }
    }

    #[test]
    fn an_upheld_forum_with_ratings_other_than_the_score_is_refused() {
        for (results, behaviour) in [
            (Some(DiAtasEkspektasi), None),
            (None, Some(DiBawahEkspektasi)),
            (Some(SesuaiEkspektasi), Some(DiAtasEkspektasi)),
        ] {
            given(until(Objected))
                .when(resolve(ForumOutcome::Upheld, results, behaviour))
                .by(superior())
                .then_err("ratings_not_allowed");
        }
    }

    // ------------------------------------------------------------ command ids

    #[test]
    fn the_rules_never_look_at_command_ids_the_command_path_answers_a_handled_one() {
        given(until(Scored)).when(C::SubmitPlan).by(employee()).with_id(command_id(3)).then_err("invalid_transition");
    }

    #[test]
    fn a_new_command_id_is_decided_afresh() {
        given(until(PlanDrafted)).when(C::DraftPlan { results: plan() }).with_id(command_id(99)).then(drafted());
    }

    // ------------------------------------------------------------ the end

    #[test]
    fn nothing_follows_final() {
        for kind in KINDS {
            let code = if kind == CommandKind::SelfAssess { "already_evaluated" } else { "invalid_transition" };
            given(until(Final)).when(valid_command(kind)).by(natural(kind)).at(LATE).then_err(code);
        }
        given(until(Final)).when(valid_command(CommandKind::Open)).by(admin()).then_err("already_exists");
    }
}
