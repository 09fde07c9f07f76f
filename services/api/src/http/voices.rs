//! The routes of the voices beyond the rater (issue 13): the rater's expectations, dialogues
//! and nominations and the employee's acknowledgements and self-assessments (appraisal
//! commands), the closed survey and public feedback (survey commands), the 360 view of an
//! appraisal and the per-unit counts of a cycle (queries). Handlers parse, let the domain
//! decide, and map its answer.

use super::commands::{answer, appraisal_route, meta, run};
use super::error::ApiError;
use super::extract::{Body, CommandIds};
use super::reads::{cycle_id, ready};
use super::voices_dto::*;
use super::{appraisal_id_from_path, AppState, Authenticated};
use crate::http::dto::CommandResponse;
use super::extract::{Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use skp_domain::access::{read_cycle, read_feedback_360};
use skp_domain::appraisal::voices::period::check_period;
use skp_domain::appraisal::{Appraisal, AppraisalCommand, CommandKind};
use skp_domain::survey::summary::Feedback360;
use skp_domain::survey::{self, Survey, SurveyCommand, SurveyKind};
use skp_domain::{Caller, DomainError};
use skp_events::voices::PeriodRef;
use skp_projections::voices::{cycle_voices, CycleVoices};
use utoipa::IntoParams;

appraisal_route!(
    /// States what is expected per BerAKHLAK value (rater), while the plan is submitted or the
    /// targets agreed: `ExpectationsSet` (the last one stands).
    set_expectations, "/v1/appraisals/{id}/expectations", ExpectationsBody, CommandKind::SetExpectations, |body| body.to_command());
appraisal_route!(
    /// Records a performance dialogue (rater), while the targets are agreed: `DialogueHeld`.
    hold_dialogue, "/v1/appraisals/{id}/dialogues", DialogueBody, CommandKind::HoldDialogue, |body| body.to_command());
appraisal_route!(
    /// Assesses oneself for a period or the year (employee), before that period's evaluation
    /// or the score: `SelfAssessed` (the last one stands; it never changes a predikat).
    self_assess, "/v1/appraisals/{id}/self-assessment", SelfAssessmentBody, CommandKind::SelfAssess, |body| body.to_command());
appraisal_route!(
    /// Nominates the evaluators of the closed survey (rater), before the score: the whole list,
    /// at most 10: `EvaluatorsNominated`.
    nominate_evaluators, "/v1/appraisals/{id}/evaluators", EvaluatorsBody, CommandKind::NominateEvaluators, |body| body.to_command());

/// Acknowledges the dialogue recorded at `version` (employee): `DialogueAcknowledged`, once.
/// A version that is not a dialogue's is a 404.
#[utoipa::path(post, path = "/v1/appraisals/{id}/dialogues/{version}/acknowledge", request_body = super::dto::EmptyBody, tag = "commands",
    params(("id" = Uuid, Path, description = "appraisal id"), ("version" = u64, Path, description = "the version of the DialogueHeld event")),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 503)))]
pub async fn acknowledge_dialogue(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path((id, version)): Path<(String, String)>,
    Body(body): Body<super::dto::EmptyBody>,
) -> Result<Response, ApiError> {
    // Not a number names no dialogue: the domain answers 404 once the caller may know it.
    let dialogue_version = version.parse().unwrap_or(0);
    // The dialogue is part of the command's values: one key, one dialogue.
    let values = (dialogue_version, &body);
    run(&app, &id, caller, ids, CommandKind::AcknowledgeDialogue, &values, || Ok(AppraisalCommand::AcknowledgeDialogue { dialogue_version })).await
}

/// Runs one survey command: the appraisal is loaded through the bus and passed to the
/// survey's decision, which reads the body's values only once the caller may act.
async fn run_survey(
    app: &AppState,
    id: &str,
    caller: Caller,
    ids: CommandIds,
    kind: SurveyKind,
    values: &impl serde::Serialize,
    build: impl Fn() -> Result<SurveyCommand, DomainError>,
) -> Result<Response, ApiError> {
    let id = appraisal_id_from_path(id)?;
    let appraisal = app.bus.current::<Appraisal>(id).await?.state;
    let meta = meta(caller, ids, kind.as_str(), values);
    let committed = app
        .bus
        .execute::<Survey>(id, &meta, |state, ctx| survey::decide_lazily(state, &appraisal, kind, &build, ctx))
        .await?;
    Ok(answer(StatusCode::OK, committed, None))
}

/// Answers the closed survey for a period (an evaluator the rater nominated), once per period,
/// rating all seven BerAKHLAK values: `BehaviourRated` on the survey aggregate. The answer
/// is never shown to the employee one by one.
#[utoipa::path(post, path = "/v1/appraisals/{id}/survey", request_body = SurveyBody, tag = "commands",
    params(("id" = Uuid, Path, description = "appraisal id")),
    responses((status = 200, body = CommandResponse, description = "aggregate_id is the survey's (the appraisal's id)"), (status = 400), (status = 401),
        (status = 403), (status = 404), (status = 409), (status = 413), (status = 422), (status = 503)))]
pub async fn rate_behaviour(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path(id): Path<String>,
    Body(body): Body<SurveyBody>,
) -> Result<Response, ApiError> {
    run_survey(&app, &id, caller, ids, SurveyKind::RateBehaviour, &body, || body.to_command()).await
}

/// Records what the public said about the employee's service (token role `service_desk`):
/// `PublicFeedbackRecorded` on the survey aggregate. It names no citizen: a run of 16 or more
/// digits (an NIK) in `text` or `service_ref` is 422 `personal_data`.
#[utoipa::path(post, path = "/v1/appraisals/{id}/public-feedback", request_body = PublicFeedbackBody, tag = "commands",
    params(("id" = Uuid, Path, description = "appraisal id")),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409),
        (status = 413), (status = 422), (status = 503)))]
pub async fn record_public_feedback(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path(id): Path<String>,
    Body(body): Body<PublicFeedbackBody>,
) -> Result<Response, ApiError> {
    run_survey(&app, &id, caller, ids, SurveyKind::RecordPublicFeedback, &body, || body.to_command()).await
}

/// Which period the 360 view is of.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `YYYY-MM`, `YYYY-Qn`, `YYYY-Sn` of the cycle's year, or `annual` (the default).
    #[param(pattern = "^(annual|[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4]|S[12]))$")]
    pub period: Option<String>,
}

/// The 360 view of an appraisal for a period, from the appraisal and its survey (always
/// current). The employee reads aggregates only, and only from 3 answers on (`by_value` is
/// `null` below, and so is the public's `mean_score` under 3 pieces); the rater, the rater's
/// superior, admins and inspectors read it in full (`view: "full"`, with `responses` and
/// `public_feedback`). Nobody else reads it.
#[utoipa::path(get, path = "/v1/appraisals/{id}/feedback-360", tag = "queries", params(("id" = Uuid, Path), PeriodQuery),
    responses((status = 200, description = "{appraisal_id, period, answers, by_value: {value: {count, median}} | null, self_assessment, rater_rating, public: {count, mean_score}, view, min_answers, responses?, public_feedback?}"),
        (status = 401), (status = 403), (status = 404), (status = 422), (status = 503)))]
pub async fn get_feedback_360(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<Feedback360>, ApiError> {
    let id = appraisal_id_from_path(&id)?;
    let appraisal = app.bus.current::<Appraisal>(id).await?.state;
    let access = read_feedback_360(&appraisal, &caller)?;
    let period = match query.period.as_deref() {
        Some(raw) => period(raw)?,
        None => PeriodRef::annual(),
    };
    check_period(&appraisal, &period)?;
    let survey = app.bus.current::<Survey>(id).await?.state;
    Ok(Json(Feedback360::of(&appraisal, &survey, &period, access)))
}

/// Paging of `GET /v1/cycles/{id}/voices`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VoicesPage {
    /// Units named after this one (the previous page's `next_after`).
    pub after: Option<String>,
    /// At most this many units (default 200; 1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// As in every read-model query: wait for the projection to reach this sequence.
    #[param(minimum = 0, maximum = 9007199254740991_u64)]
    pub min_sequence: Option<u64>,
}

/// Per unit of a cycle (admins and inspectors): how many appraisals have had a dialogue and a
/// survey answer, and of those scored, how many had a dialogue, a survey answer, or both
/// before the score; with the cycle's totals. Counters kept by deltas; units by name, paged.
#[utoipa::path(get, path = "/v1/cycles/{id}/voices", tag = "queries", params(("id" = Uuid, Path), VoicesPage),
    responses((status = 200, description = "{cycle_id, totals, units: [{unit, appraisals, with_dialogue, with_survey, scored, dialogue_before_score, survey_before_score, both_before_score}], next_after, as_of_sequence}"),
        (status = 401), (status = 403), (status = 503), (status = 504)))]
pub async fn get_cycle_voices(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(page): Query<VoicesPage>,
) -> Result<Json<CycleVoices>, ApiError> {
    read_cycle(&caller)?;
    let id = cycle_id(&id)?;
    let limit = super::reads::page_limit(page.limit)?;
    let read = ready(&app, "voices", page.min_sequence).await?;
    Ok(Json(cycle_voices(&read.store, id, page.after.as_deref(), limit).await?))
}
