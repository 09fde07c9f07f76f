//! The development plan's routes: opening a plan on a final appraisal, its commands (actions,
//! sessions, completion, confirmation, review, follow-up), the plan as people read it and its
//! history. Handlers parse, let the domain decide in its order (404, 403, 409, then 422) and
//! map the answer; every rule is in `skp_domain::development`.

use super::commands::{answer, meta};
use super::development_dto::*;
use super::dto::{CommandResponse, EmptyBody};
use super::error::ApiError;
use super::extract::{Body, CommandIds};
use super::{appraisal_id_from_path, AppState, Authenticated};
use super::extract::{Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::Value;
use skp_domain::access::read_appraisal;
use skp_domain::appraisal::Appraisal;
use skp_domain::development::access::{read_plan, read_plan_history, PlanReader};
use skp_domain::development::view::{MentorView, PlanView};
use skp_domain::development::{decide_lazily, decide_open, CommandKind, DevelopmentCommand, DevelopmentPlan, Target};
use skp_domain::{Caller, DomainError};
use skp_events::chain::verify_chain;
use skp_events::ids::development_plan_id;
use skp_events::{AggregateType, Envelope};
use uuid::Uuid;

/// A malformed plan id is an unknown plan.
fn plan_id_from_path(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| DomainError::NotFound { what: "development plan" }.into())
}

/// Opens the development plan of a final appraisal (its rater, or an admin who is not its
/// employee): `DevelopmentPlanOpened`. Answers the plan's id.
#[utoipa::path(post, path = "/v1/appraisals/{id}/development", request_body = OpenPlanBody, tag = "development",
    params(("id" = Uuid, Path, description = "appraisal id")),
    responses((status = 201, body = CommandResponse, description = "aggregate_id is the plan's id; Location: /v1/development/{plan_id}"),
        (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422), (status = 503)))]
pub async fn open_plan(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path(id): Path<String>,
    Body(body): Body<OpenPlanBody>,
) -> Result<Response, ApiError> {
    let appraisal_id = appraisal_id_from_path(&id)?;
    let appraisal = app.bus.current::<Appraisal>(appraisal_id).await?.state;
    let plan_id = development_plan_id(appraisal_id);
    let meta = meta(caller, ids, CommandKind::Open.as_str(), &body);
    let committed = app
        .bus
        .execute::<DevelopmentPlan>(plan_id, &meta, |plan, ctx| decide_open(plan, &appraisal, || body.to_values(), ctx))
        .await?;
    Ok(answer(StatusCode::CREATED, committed, Some(format!("/v1/development/{plan_id}"))))
}

/// Runs one command on a plan: the domain decides it, reading the body's values only once
/// the caller and the plan's state allow the command.
async fn run(
    app: &AppState,
    plan_id: &str,
    caller: Caller,
    ids: CommandIds,
    target: Target<'_>,
    values: &impl serde::Serialize,
    build: impl Fn() -> Result<DevelopmentCommand, DomainError>,
) -> Result<Response, ApiError> {
    let plan_id = plan_id_from_path(plan_id)?;
    let meta = meta(caller, ids, target.kind.as_str(), values);
    let committed = app.bus.execute::<DevelopmentPlan>(plan_id, &meta, |plan, ctx| decide_lazily(plan, target, &build, ctx)).await?;
    Ok(answer(StatusCode::OK, committed, None))
}

/// Adds an action to the plan (rater): `ActionAdded`.
#[utoipa::path(post, path = "/v1/development/{plan_id}/actions", request_body = ActionBody, tag = "development",
    params(("plan_id" = Uuid, Path)),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422), (status = 503)))]
pub async fn add_action(State(app): State<AppState>, Authenticated(caller): Authenticated, ids: CommandIds, Path(plan_id): Path<String>, Body(body): Body<ActionBody>) -> Result<Response, ApiError> {
    run(&app, &plan_id, caller, ids, Target { kind: CommandKind::AddAction, action_id: None }, &body, || body.to_command()).await
}

/// Records a session of an action (rater, or the action's mentor): `SessionRecorded`.
#[utoipa::path(post, path = "/v1/development/{plan_id}/sessions", request_body = SessionBody, tag = "development",
    params(("plan_id" = Uuid, Path)),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422), (status = 503)))]
pub async fn record_session(State(app): State<AppState>, Authenticated(caller): Authenticated, ids: CommandIds, Path(plan_id): Path<String>, Body(body): Body<SessionBody>) -> Result<Response, ApiError> {
    let target = Target { kind: CommandKind::RecordSession, action_id: Some(&body.action_id) };
    run(&app, &plan_id, caller, ids, target, &body, || body.to_command()).await
}

/// Completes an action with evidence (employee): `ActionCompleted`.
#[utoipa::path(post, path = "/v1/development/{plan_id}/actions/{action_id}/complete", request_body = CompleteBody, tag = "development",
    params(("plan_id" = Uuid, Path), ("action_id" = String, Path)),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422), (status = 503)))]
pub async fn complete_action(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path((plan_id, action_id)): Path<(String, String)>,
    Body(body): Body<CompleteBody>,
) -> Result<Response, ApiError> {
    let target = Target { kind: CommandKind::CompleteAction, action_id: Some(&action_id) };
    // The action is part of the command's values: one key, one action.
    run(&app, &plan_id, caller, ids, target, &(&action_id, &body), || Ok(DevelopmentCommand::CompleteAction { action_id: action_id.clone(), evidence: body.evidence.clone() })).await
}

/// Confirms an action's completion (rater): `ActionConfirmed`.
#[utoipa::path(post, path = "/v1/development/{plan_id}/actions/{action_id}/confirm", request_body = EmptyBody, tag = "development",
    params(("plan_id" = Uuid, Path), ("action_id" = String, Path)),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 503)))]
pub async fn confirm_action(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path((plan_id, action_id)): Path<(String, String)>,
    Body(body): Body<EmptyBody>,
) -> Result<Response, ApiError> {
    let target = Target { kind: CommandKind::ConfirmAction, action_id: Some(&action_id) };
    run(&app, &plan_id, caller, ids, target, &(&action_id, &body), || Ok(DevelopmentCommand::ConfirmAction { action_id: action_id.clone() })).await
}

/// Reviews the improvement, closing the plan (rater): `ImprovementReviewed`. For pembinaan a
/// `not_improved` review comes on or after the due date (409 `improvement_window_open`).
#[utoipa::path(post, path = "/v1/development/{plan_id}/review", request_body = ReviewBody, tag = "development",
    params(("plan_id" = Uuid, Path)),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422), (status = 503)))]
pub async fn review(State(app): State<AppState>, Authenticated(caller): Authenticated, ids: CommandIds, Path(plan_id): Path<String>, Body(body): Body<ReviewBody>) -> Result<Response, ApiError> {
    run(&app, &plan_id, caller, ids, Target { kind: CommandKind::Review, action_id: None }, &body, || body.to_command()).await
}

/// Records the follow-up after `not_improved` (admin): `FollowUpDecided`.
#[utoipa::path(post, path = "/v1/development/{plan_id}/follow-up", request_body = FollowUpBody, tag = "development",
    params(("plan_id" = Uuid, Path)),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422), (status = 503)))]
pub async fn follow_up(State(app): State<AppState>, Authenticated(caller): Authenticated, ids: CommandIds, Path(plan_id): Path<String>, Body(body): Body<FollowUpBody>) -> Result<Response, ApiError> {
    run(&app, &plan_id, caller, ids, Target { kind: CommandKind::DecideFollowUp, action_id: None }, &body, || body.to_command()).await
}

/// The plan as `caller` reads it: the whole plan, or a mentor's part of it.
fn view_for(plan: &DevelopmentPlan, caller: &Caller) -> Result<Value, ApiError> {
    let view = match read_plan(plan, caller)? {
        PlanReader::Whole => PlanView::of(plan).map(serde_json::to_value),
        PlanReader::Mentor => MentorView::of(plan, &caller.nip).map(serde_json::to_value),
    };
    match view {
        Some(json) => json.map_err(|e| ApiError::Internal(Box::new(e))),
        None => Err(DomainError::NotFound { what: "development plan" }.into()),
    }
}

/// A development plan as it stands: the whole plan for the employee, the rater, the rater's
/// superior, admins and inspectors; an action's mentor reads the plan's frame and their own
/// actions with their sessions.
#[utoipa::path(get, path = "/v1/development/{plan_id}", tag = "development", params(("plan_id" = Uuid, Path)),
    responses((status = 200, description = "{plan_id, appraisal_id, cycle_id, year, kind, due, status, predikat, finalized_at, opened_at, employee, rater, rater_superior, actions: [{action_id, type, description, due, mentor_nip, status, sessions, evidence, completed_at, confirmed_at}], review, follow_up, version}; a mentor: {plan_id, kind, due, status, employee, actions (theirs), version}"),
        (status = 401), (status = 403), (status = 404), (status = 503)))]
pub async fn get_plan(State(app): State<AppState>, Authenticated(caller): Authenticated, Path(plan_id): Path<String>) -> Result<Json<Value>, ApiError> {
    let plan_id = plan_id_from_path(&plan_id)?;
    let plan = app.bus.current::<DevelopmentPlan>(plan_id).await?.state;
    view_for(&plan, &caller).map(Json)
}

/// The development plan of an appraisal, as [`get_plan`] answers it (404 while none is open).
#[utoipa::path(get, path = "/v1/appraisals/{id}/development", tag = "development", params(("id" = Uuid, Path, description = "appraisal id")),
    responses((status = 200, description = "the plan, as GET /v1/development/{plan_id}"), (status = 401), (status = 403), (status = 404), (status = 503)))]
pub async fn get_appraisal_plan(State(app): State<AppState>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let appraisal_id = appraisal_id_from_path(&id)?;
    let plan = app.bus.current::<DevelopmentPlan>(development_plan_id(appraisal_id)).await?.state;
    if plan.opened.is_none() {
        // Whether the appraisal exists and may be read decides between 404 and 403.
        let appraisal = app.bus.current::<Appraisal>(appraisal_id).await?.state;
        read_appraisal(&appraisal, &caller)?;
        return Err(DomainError::NotFound { what: "development plan" }.into());
    }
    view_for(&plan, &caller).map(Json)
}

/// Every event of a plan as stored, with its chain check (not for mentors).
#[utoipa::path(get, path = "/v1/development/{plan_id}/history", tag = "development", params(("plan_id" = Uuid, Path)),
    responses((status = 200, description = "{plan_id, chain_valid, chain_breaks, events}: every envelope as stored"), (status = 401), (status = 403), (status = 404), (status = 503)))]
pub async fn get_plan_history(State(app): State<AppState>, Authenticated(caller): Authenticated, Path(plan_id): Path<String>) -> Result<Json<Value>, ApiError> {
    let plan_id = plan_id_from_path(&plan_id)?;
    let store = app.bus.store();
    let subject = store.subjects().aggregate(AggregateType::Development, plan_id);
    let raw = store.load_after(&subject, 0).await.map_err(skp_store::CommandError::from)?;
    let events: Vec<Value> = raw.iter().map(|r| serde_json::from_slice(&r.body).map_err(|e| ApiError::Internal(Box::new(e)))).collect::<Result<_, _>>()?;
    let envelopes: Vec<Envelope> = events.iter().filter_map(|v| Envelope::from_value(v.clone()).ok()).collect();
    read_plan_history(&DevelopmentPlan::from_events(plan_id, &envelopes), &caller)?;
    let chain_breaks = verify_chain(&events);
    Ok(Json(serde_json::json!({"plan_id": plan_id, "chain_valid": chain_breaks.is_empty(), "chain_breaks": chain_breaks, "events": events})))
}

/// Filters of `GET /v1/cycles/{id}/pembinaan`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PembinaanQuery {
    /// Units after this one (by name): the next page starts after the last unit of this one.
    pub after: Option<String>,
    /// At most this many units (default 200; 1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// As in every read-model query: wait for the projection to reach this sequence.
    #[param(minimum = 0, maximum = 9007199254740991_u64)]
    pub min_sequence: Option<u64>,
}

/// Pembinaan after a low final predikat in a cycle, in total and per unit (admins and
/// inspectors): due, without a plan, open, overdue, improved, not improved, followed up.
/// Counted today (the server's clock), kept by deltas: the answer costs a few rows per unit.
#[utoipa::path(get, path = "/v1/cycles/{id}/pembinaan", tag = "development", params(("id" = Uuid, Path), PembinaanQuery),
    responses((status = 200, description = "{cycle_id, totals: {due, without_plan, open, overdue, overdue_without_plan, overdue_without_review, improved, not_improved, followed_up}, by_unit: [{unit, ...the same counts}], next_after, as_of_sequence}"),
        (status = 401), (status = 403), (status = 404), (status = 503), (status = 504)))]
pub async fn get_pembinaan(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(query): Query<PembinaanQuery>,
) -> Result<Json<skp_projections::progress_pembinaan::CyclePembinaan>, ApiError> {
    skp_domain::access::read_cycle(&caller)?;
    let cycle = super::reads::cycle_id(&id)?;
    let limit = super::reads::page_limit(query.limit)?;
    let read = super::reads::ready(&app, "progress", query.min_sequence).await?;
    let today = app.bus.clock().now().date();
    let answer = skp_projections::progress_pembinaan::cycle_pembinaan(&read.store, cycle, today, query.after.as_deref(), limit).await?;
    answer.map(Json).ok_or_else(|| DomainError::NotFound { what: "cycle" }.into())
}
