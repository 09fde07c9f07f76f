//! The command routes: each parses its body (400), then lets the rules decide in their order
//! (404, 403, 409, then 422) and records exactly one event.

use super::dto::*;
use super::error::ApiError;
use super::extract::{Body, CommandIds};
use super::{appraisal_id_from_path, AppState, Authenticated};
use skp_store::{CommandMeta, Committed};
use super::extract::Path;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use skp_domain::appraisal::{self, Appraisal, AppraisalCommand, CommandKind, OpenAppraisal};
use skp_domain::cycle::Cycle;
use skp_domain::{Caller, Ctx, DomainError};
use skp_events::ids::{appraisal_id, SKP_NAMESPACE};
use uuid::Uuid;

/// The command's metadata; `values` (the body) is digested, so that its `Idempotency-Key`
/// sent again with other values is refused (422 `idempotency_key_reused`).
pub(crate) fn meta(caller: Caller, ids: CommandIds, name: &'static str, values: &impl serde::Serialize) -> CommandMeta {
    CommandMeta { command_id: ids.command_id, correlation_id: ids.correlation_id, caller, name, digest: CommandMeta::digest_of(values) }
}

/// The header on the answer to a command id handled before (an `Idempotency-Key` sent
/// again): the original result, nothing new recorded.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The answer to a command: the event's place, `Location` for an opening, and the header of
/// a replayed answer.
pub(crate) fn answer(status: StatusCode, committed: Committed, location: Option<String>) -> Response {
    let body = CommandResponse {
        aggregate_id: committed.aggregate_id,
        version: committed.version,
        event_id: committed.event_id,
        stream_sequence: committed.stream_sequence,
    };
    let mut response = (status, Json(body)).into_response();
    if let Some(location) = location.and_then(|l| l.parse().ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if committed.replayed {
        response.headers_mut().insert(header::HeaderName::from_static(IDEMPOTENT_REPLAYED), header::HeaderValue::from_static("true"));
    }
    response
}

/// Opens a cycle (admin).
#[utoipa::path(post, path = "/v1/cycles", request_body = OpenCycleBody, tag = "commands",
    responses((status = 201, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 422), (status = 503)))]
pub async fn open_cycle(State(app): State<AppState>, Authenticated(caller): Authenticated, ids: CommandIds, Body(body): Body<OpenCycleBody>) -> Result<Response, ApiError> {
    // With an Idempotency-Key the cycle id is derived from it, so a retry meets the first.
    let cycle_id = if ids.from_client { Uuid::new_v5(&SKP_NAMESPACE, format!("cycle/{}", ids.command_id).as_bytes()) } else { Uuid::now_v7() };
    let command = body.to_command(ids.command_id);
    let meta = meta(caller, ids, "open_cycle", &body);
    let committed = app.bus.execute::<Cycle>(cycle_id, &meta, |state, ctx| state.decide_open(&command, ctx)).await?;
    Ok(answer(StatusCode::CREATED, committed, Some(format!("/v1/cycles/{cycle_id}/progress"))))
}

/// Opens an appraisal in a cycle (admin).
#[utoipa::path(post, path = "/v1/cycles/{cycle_id}/appraisals", request_body = OpenAppraisalBody, tag = "commands",
    params(("cycle_id" = Uuid, Path)),
    responses((status = 201, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422), (status = 503)))]
pub async fn open_appraisal(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path(cycle_id): Path<String>,
    Body(body): Body<OpenAppraisalBody>,
) -> Result<Response, ApiError> {
    let cycle_id = Uuid::parse_str(&cycle_id).map_err(|_| DomainError::NotFound { what: "cycle" })?;
    let cycle = app.bus.current::<Cycle>(cycle_id).await?.state;
    // The people's values (their NIPs name the appraisal) are read only once the caller may
    // open appraisals in this cycle: the domain's rule, asked before the decision.
    cycle.authorize_opening(&Ctx { caller: caller.clone(), now: app.bus.clock().now() })?;
    let command = OpenAppraisal {
        command_id: ids.command_id,
        employee: body.employee.to_person("employee")?,
        rater: body.rater.to_person("rater")?,
        rater_superior: body.rater_superior.to_person("rater_superior")?,
    };
    let id = appraisal_id(cycle_id, &command.employee.nip);
    let meta = meta(caller, ids, CommandKind::Open.as_str(), &body);
    let committed = app.bus.execute::<Appraisal>(id, &meta, |state, ctx| appraisal::decide_open(state, &cycle, &command, ctx)).await?;
    Ok(answer(StatusCode::CREATED, committed, Some(format!("/v1/appraisals/{id}"))))
}

/// Runs one appraisal command: the domain decides it, reading the body's values only once
/// the caller and the state allow the command.
pub(crate) async fn run(
    app: &AppState,
    id: &str,
    caller: Caller,
    ids: CommandIds,
    kind: CommandKind,
    values: &impl serde::Serialize,
    build: impl Fn() -> Result<AppraisalCommand, DomainError>,
) -> Result<Response, ApiError> {
    let id = appraisal_id_from_path(id)?;
    let meta = meta(caller, ids, kind.as_str(), values);
    let committed = app.bus.execute::<Appraisal>(id, &meta, |state, ctx| appraisal::decide_lazily(state, kind, &build, ctx)).await?;
    Ok(answer(StatusCode::OK, committed, None))
}

macro_rules! appraisal_route {
    ($(#[$doc:meta])* $name:ident, $path:literal, $body:ty, $kind:expr, |$b:ident| $build:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, request_body = $body, tag = "commands",
            params(("id" = Uuid, Path, description = "appraisal id")),
            responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403),
                (status = 404), (status = 409), (status = 413), (status = 422), (status = 503)))]
        pub async fn $name(
            State(app): State<AppState>,
            Authenticated(caller): Authenticated,
            ids: CommandIds,
            Path(id): Path<String>,
            Body($b): Body<$body>,
        ) -> Result<Response, ApiError> {
            run(&app, &id, caller, ids, $kind, &$b, || $build).await
        }
    };
}
/// The route macro of every appraisal command; the voices (`voices.rs`) use it too.
pub(crate) use appraisal_route;

appraisal_route!(
    /// Drafts or revises the plan (employee): `PlanDrafted`.
    draft_plan, "/v1/appraisals/{id}/plan", PlanBody, CommandKind::DraftPlan, |body| body.to_command());
appraisal_route!(
    /// Submits the plan (employee): `PlanSubmitted`.
    submit_plan, "/v1/appraisals/{id}/plan/submit", EmptyBody, CommandKind::SubmitPlan, |_body| Ok(AppraisalCommand::SubmitPlan));
appraisal_route!(
    /// Returns the plan for revision (rater): `PlanReturned`.
    return_plan, "/v1/appraisals/{id}/plan/return", ReturnBody, CommandKind::ReturnPlan,
    |body| Ok(AppraisalCommand::ReturnPlan { reason: body.reason.clone() }));
appraisal_route!(
    /// Agrees the targets (rater): `TargetsAgreed`.
    agree_targets, "/v1/appraisals/{id}/plan/agree", EmptyBody, CommandKind::AgreeTargets, |_body| Ok(AppraisalCommand::AgreeTargets));
appraisal_route!(
    /// Gives feedback (rater, rater superior, peer): `FeedbackGiven`.
    give_feedback, "/v1/appraisals/{id}/feedback", FeedbackBody, CommandKind::GiveFeedback, |body| body.to_command());
appraisal_route!(
    /// Records a realisation (employee): `RealisationRecorded`.
    record_realisation, "/v1/appraisals/{id}/realisations", RealisationBody, CommandKind::RecordRealisation, |body| body.to_command());
appraisal_route!(
    /// Scores (rater): `ScoreGiven` with the derived predikat.
    give_score, "/v1/appraisals/{id}/score", ScoreBody, CommandKind::Score, |body| body.to_command());
appraisal_route!(
    /// Accepts the score (employee): `ScoreAccepted`.
    accept_score, "/v1/appraisals/{id}/accept", EmptyBody, CommandKind::Accept, |_body| Ok(AppraisalCommand::Accept));
appraisal_route!(
    /// Objects to the score (employee), within the window: `ScoreObjected`.
    object_score, "/v1/appraisals/{id}/objection", ObjectionBody, CommandKind::Object, |body| body.to_command());
appraisal_route!(
    /// Decides the objection (rater superior): `ForumResolved`.
    resolve_forum, "/v1/appraisals/{id}/forum/resolve", ForumBody, CommandKind::ResolveForum, |body| body.to_command());
appraisal_route!(
    /// Makes the score final (rater, admin): `ScoreFinalized`.
    finalize, "/v1/appraisals/{id}/finalize", EmptyBody, CommandKind::Finalize, |_body| Ok(AppraisalCommand::Finalize));
