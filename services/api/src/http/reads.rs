//! The read-model queries: cycle progress (also live over SSE), a cycle's audit findings, an
//! employee's career and an appraisal's audit report. Each accepts `?min_sequence=N` and
//! waits up to 5 s for its projection to reach it, else answers 504 naming how far it got.

use super::error::ApiError;
use super::{appraisal_id_from_path, AppState, Authenticated};
use crate::readmodels::{wait_until_set, ReadModels};
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures::{Stream, StreamExt};
use serde::Deserialize;
use skp_domain::access::{read_appraisal, read_career, read_cycle};
use skp_domain::appraisal::{Appraisal, Status};
use skp_domain::DomainError;
use skp_events::Nip;
use skp_projections::query::{self, Career, Finding, Progress};
use std::convert::Infallible;
use std::time::Duration;
use utoipa::IntoParams;
use uuid::Uuid;

/// How long a query waits for `?min_sequence=`.
pub const MIN_SEQUENCE_WAIT: Duration = Duration::from_secs(5);

/// Read your writes.
#[derive(Debug, Deserialize, IntoParams)]
pub struct Consistency {
    /// A `stream_sequence` from a command's answer: wait until the projection has it.
    pub min_sequence: Option<u64>,
}

/// The read models, once `projection` reached `min_sequence`.
pub(crate) async fn ready<'a>(app: &'a AppState, projection: &'static str, min_sequence: Option<u64>) -> Result<&'a ReadModels, ApiError> {
    if min_sequence.is_some() {
        wait_until_set(&app.read, MIN_SEQUENCE_WAIT).await;
    }
    let read = app.read.get().ok_or(ApiError::ReadNotConnected)?;
    let Some(wanted) = min_sequence else { return Ok(read) };
    let reached = match read.status(projection) {
        Some(status) => status.wait_for(wanted, MIN_SEQUENCE_WAIT).await,
        None => poll_checkpoint(read, projection, wanted).await?,
    };
    if reached < wanted {
        return Err(ApiError::Timeout {
            detail: format!("the {projection} projection reached sequence {reached}, not {wanted}, within {} s", MIN_SEQUENCE_WAIT.as_secs()),
            reached,
        });
    }
    Ok(read)
}

/// When the projectors run in another process: watch the checkpoint in the database.
async fn poll_checkpoint(read: &ReadModels, projection: &str, wanted: u64) -> Result<u64, ApiError> {
    let deadline = tokio::time::Instant::now() + MIN_SEQUENCE_WAIT;
    loop {
        let reached = read.store.active(projection).await?.map_or(0, |g| g.last_seq);
        if reached >= wanted || tokio::time::Instant::now() >= deadline {
            return Ok(reached);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn cycle_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| DomainError::NotFound { what: "cycle" }.into())
}

/// Progress of a cycle.
#[utoipa::path(get, path = "/v1/cycles/{id}/progress", tag = "queries", params(("id" = Uuid, Path), Consistency),
    responses((status = 200, description = "{cycle_id, total, by_status, by_predikat, overdue, overdue_detail, by_unit, by_rater, as_of_sequence}"),
        (status = 401), (status = 403), (status = 404), (status = 503), (status = 504)))]
pub async fn get_progress(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<Progress>, ApiError> {
    read_cycle(&caller)?;
    let id = cycle_id(&id)?;
    let read = ready(&app, "progress", consistency.min_sequence).await?;
    let progress = query::progress(&read.store, id, app.bus.clock().now()).await?;
    progress.map(Json).ok_or_else(|| DomainError::NotFound { what: "cycle" }.into())
}

/// Live progress of a cycle: Server-Sent Events `event: progress`, the progress JSON now and
/// after each projection commit that changed it.
#[utoipa::path(get, path = "/v1/cycles/{id}/progress/stream", tag = "queries", params(("id" = Uuid, Path)),
    responses((status = 200, description = "text/event-stream"), (status = 401), (status = 403), (status = 404)))]
pub async fn stream_progress(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    read_cycle(&caller)?;
    let id = cycle_id(&id)?;
    let read = ready(&app, "progress", None).await?;
    let updates = app
        .bus
        .store()
        .client()
        .subscribe(skp_events::subject::live_cycle(id))
        .await
        .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
    let now = query::progress(&read.store, id, app.bus.clock().now()).await?.ok_or(DomainError::NotFound { what: "cycle" })?;
    let first = serde_json::to_string(&now).unwrap_or_default();
    let mut stopping = app.shutting_down.clone();
    let events = futures::stream::once(async move { first })
        .chain(updates.map(|m| String::from_utf8_lossy(&m.payload).into_owned()))
        .map(|data| Ok(Event::default().event("progress").data(data)))
        .take_until(async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The appraisals of a cycle whose audit has findings.
#[utoipa::path(get, path = "/v1/cycles/{id}/findings", tag = "queries", params(("id" = Uuid, Path), Consistency),
    responses((status = 200), (status = 401), (status = 403), (status = 503), (status = 504)))]
pub async fn get_findings(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<serde_json::Value>, ApiError> {
    read_cycle(&caller)?;
    let id = cycle_id(&id)?;
    let read = ready(&app, "audit", consistency.min_sequence).await?;
    let findings: Vec<Finding> = query::cycle_findings(&read.store, id).await?;
    Ok(Json(serde_json::json!({ "cycle_id": id, "appraisals": findings })))
}

/// An employee's career: final predikat per year, eligibility with reasons, flags.
#[utoipa::path(get, path = "/v1/employees/{nip}/career", tag = "queries", params(("nip" = String, Path), Consistency),
    responses((status = 200), (status = 401), (status = 403), (status = 422), (status = 503), (status = 504)))]
pub async fn get_career(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(nip): Path<String>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<Career>, ApiError> {
    let nip = Nip::parse(&nip).map_err(|e| ApiError::invalid("invalid_nip", e.to_string()))?;
    read_career(&nip, &caller)?;
    let read = ready(&app, "career", consistency.min_sequence).await?;
    Ok(Json(query::career(&read.store, nip.as_str()).await?))
}

/// The fairness audit of an appraisal.
#[utoipa::path(get, path = "/v1/appraisals/{id}/audit", tag = "queries", params(("id" = Uuid, Path), Consistency),
    responses((status = 200, description = "{appraisal_id, chain_valid, checks: [{name, passed, detail, event_ids}], verdict, findings}"),
        (status = 401), (status = 403), (status = 404), (status = 503), (status = 504)))]
pub async fn get_audit(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = appraisal_id_from_path(&id)?;
    let state = app.bus.current::<Appraisal>(id).await?.state;
    read_appraisal(&state, &caller)?;
    let read = ready(&app, "audit", consistency.min_sequence).await?;
    let report = query::audit_report(&read.store, id).await?;
    report.map(Json).ok_or_else(|| ApiError::Timeout { detail: "the audit projection has not reached this appraisal yet".into(), reached: read.status("audit").map_or(0, |s| s.checkpoint()) })
}

/// Every cycle the progress read model knows, newest year first (admins and inspectors).
#[utoipa::path(get, path = "/v1/cycles", tag = "queries", params(Consistency),
    responses((status = 200, description = "{cycles: [{cycle_id, organization, year, total}]}"), (status = 401), (status = 403), (status = 503), (status = 504)))]
pub async fn list_cycles(State(app): State<AppState>, Authenticated(caller): Authenticated, Query(consistency): Query<Consistency>) -> Result<Json<serde_json::Value>, ApiError> {
    read_cycle(&caller)?;
    let read = ready(&app, "progress", consistency.min_sequence).await?;
    let cycles = query::cycles(&read.store).await?;
    Ok(Json(serde_json::json!({ "cycles": cycles })))
}

/// Filters of `GET /v1/cycles/{id}/appraisals`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AppraisalFilter {
    /// Only appraisals in this status.
    pub status: Option<String>,
    /// At most this many (default 200, at most 1000).
    pub limit: Option<i64>,
    /// As in every read-model query: wait for the projection to reach this sequence.
    pub min_sequence: Option<u64>,
}

/// The appraisals of a cycle with their status and predikat, by unit and name (admins and
/// inspectors): the dashboard's drill-down list.
#[utoipa::path(get, path = "/v1/cycles/{id}/appraisals", tag = "queries", params(("id" = Uuid, Path), AppraisalFilter),
    responses((status = 200, description = "{cycle_id, appraisals: [{appraisal_id, employee_nip, employee_name, unit, rater_name, status, predikat}]}"),
        (status = 401), (status = 403), (status = 422), (status = 503), (status = 504)))]
pub async fn list_appraisals(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(filter): Query<AppraisalFilter>,
) -> Result<Json<serde_json::Value>, ApiError> {
    read_cycle(&caller)?;
    let id = cycle_id(&id)?;
    let status: Option<Status> = filter.status.as_deref().map(str::parse).transpose().map_err(|e| ApiError::invalid("invalid_status", format!("status {e}")))?;
    let limit = filter.limit.unwrap_or(200).clamp(1, 1000);
    let read = ready(&app, "progress", filter.min_sequence).await?;
    let rows = query::cycle_appraisals(&read.store, id, status, limit).await?;
    Ok(Json(serde_json::json!({ "cycle_id": id, "appraisals": rows })))
}
