//! The read-model queries: cycle progress (also live over SSE), a cycle's audit findings, an
//! employee's career and an appraisal's audit report. Each accepts `?min_sequence=N` and
//! waits up to 5 s for its projection to reach it, else answers 504 naming how far it got.

use super::error::ApiError;
use super::auth::StreamCaller;
use super::{appraisal_id_from_path, AppState, Authenticated};
use crate::readmodels::{wait_until_set, ReadModels};
use super::extract::{Path, Query};
use axum::extract::State;
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

/// How long a query waits for `?min_sequence=` by default (`SKP_MIN_SEQUENCE_WAIT_MS`).
pub const MIN_SEQUENCE_WAIT: Duration = Duration::from_secs(5);

/// Read your writes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Consistency {
    /// A `stream_sequence` from a command's answer: wait until the projection has it.
    #[param(minimum = 0, maximum = 9007199254740991_u64)]
    pub min_sequence: Option<u64>,
}

/// The read models, once `projection` reached `min_sequence` (504 after the configured wait).
pub(crate) async fn ready<'a>(app: &'a AppState, projection: &'static str, min_sequence: Option<u64>) -> Result<&'a ReadModels, ApiError> {
    let wait = app.limits.min_sequence_wait;
    if let Some(wanted) = min_sequence.filter(|&m| m > skp_domain::text::MAX_SAFE_INTEGER) {
        return Err(ApiError::BadQuery(format!("min_sequence must be at most {}, got {wanted}", skp_domain::text::MAX_SAFE_INTEGER)));
    }
    if min_sequence.is_some() {
        wait_until_set(&app.read, wait).await;
    }
    let read = app.read.get().ok_or(ApiError::ReadNotConnected)?;
    let Some(wanted) = min_sequence else { return Ok(read) };
    let reached = match read.status(projection) {
        Some(status) => status.wait_for(wanted, wait).await,
        None => poll_checkpoint(read, projection, wanted, wait).await?,
    };
    if reached < wanted {
        return Err(ApiError::Timeout {
            detail: format!("the {projection} projection reached sequence {reached}, not {wanted}, within {wait:?}"),
            reached,
        });
    }
    Ok(read)
}

/// When the projectors run in another process: watch the checkpoint in the database.
async fn poll_checkpoint(read: &ReadModels, projection: &str, wanted: u64, wait: Duration) -> Result<u64, ApiError> {
    let deadline = tokio::time::Instant::now() + wait;
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
    responses((status = 200, description = "The cycle's summary, under 64 KB whatever its size: {cycle_id, organization, year, total, by_status, by_predikat, overdue, overdue_detail: {plans, objections, pembinaan}, units: {count, with_warnings, by_warning}, raters: {count, with_warnings, by_warning}, pembinaan, as_of_sequence, period_kind}; the units and raters themselves: GET /v1/cycles/{id}/units and /raters"),
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

/// Live progress of a cycle: Server-Sent Events `event: progress`, the progress summary now
/// and after each projection commit that changed it, with `changed_units` (the units whose
/// counters changed since the previous event, at most 50; `changed_units_truncated` when
/// more did). The token may come as `?access_token=`
/// (browsers' `EventSource` sends no header); the stream ends when the token expires, and
/// each process serves at most `SKP_SSE_MAX_CLIENTS` streams at once (503 beyond).
#[utoipa::path(get, path = "/v1/cycles/{id}/progress/stream", tag = "queries", params(("id" = Uuid, Path)),
    responses((status = 200, description = "text/event-stream; each event's data: the progress summary with changed_units: [{key, total, scored, by_predikat, warnings, capaian, capaian_assumed}] and changed_units_truncated"), (status = 401), (status = 403), (status = 404), (status = 503)))]
pub async fn stream_progress(
    State(app): State<AppState>,
    StreamCaller { caller, expires_at }: StreamCaller,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    read_cycle(&caller)?;
    let id = cycle_id(&id)?;
    let permit = app.limits.sse.clone().try_acquire_owned().map_err(|_| ApiError::TooManyStreams(app.limits.sse_max))?;
    let read = ready(&app, "progress", None).await?;
    let updates = app
        .bus
        .store()
        .client()
        .subscribe(app.bus.store().subjects().live_cycle(id))
        .await
        .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
    let now = query::live_now(&read.store, id, app.bus.clock().now()).await?.ok_or(DomainError::NotFound { what: "cycle" })?;
    let first = serde_json::to_string(&now).unwrap_or_default();
    let mut stopping = app.shutting_down.clone();
    let until_expiry = (expires_at - time::OffsetDateTime::now_utc()).try_into().unwrap_or(Duration::ZERO);
    let events = futures::stream::once(async move { first })
        .chain(updates.map(|m| String::from_utf8_lossy(&m.payload).into_owned()))
        .map(move |data| {
            // The permit lives as long as the stream: one client less when it ends.
            let _held = &permit;
            Ok(Event::default().event("progress").data(data))
        })
        .take_until(async move {
            tokio::select! {
                _ = stopping.wait_for(|stop| *stop) => {}
                () = tokio::time::sleep(until_expiry) => tracing::info!(cycle_id = %id, "live stream ended: the token expired"),
            }
        });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The page of a cycle's findings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingsPage {
    /// The page, from 1 (default 1; at most 1,000,000).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Appraisals per page (default 200; 1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// As in every read-model query: wait for the projection to reach this sequence.
    #[param(minimum = 0, maximum = 9007199254740991_u64)]
    pub min_sequence: Option<u64>,
}

/// The appraisals of a cycle whose audit has findings, a page at a time.
#[utoipa::path(get, path = "/v1/cycles/{id}/findings", tag = "queries", params(("id" = Uuid, Path), FindingsPage),
    responses((status = 200, description = "{cycle_id, page, limit, total, appraisals: [{appraisal_id, unit, rater_nip, chain_valid, findings}]}: by unit, rater and id; total counts every page"),
        (status = 400), (status = 401), (status = 403), (status = 503), (status = 504)))]
pub async fn get_findings(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(paging): Query<FindingsPage>,
) -> Result<Json<serde_json::Value>, ApiError> {
    read_cycle(&caller)?;
    let id = cycle_id(&id)?;
    let (page, limit) = (page_number(paging.page)?, page_limit(paging.limit)?);
    let read = ready(&app, "audit", paging.min_sequence).await?;
    let (findings, total): (Vec<Finding>, i64) = query::cycle_findings(&read.store, id, page, limit).await?;
    Ok(Json(serde_json::json!({ "cycle_id": id, "page": page, "limit": limit, "total": total, "appraisals": findings })))
}

/// An employee's career: final predikat per year, eligibility with reasons, flags.
#[utoipa::path(get, path = "/v1/employees/{nip}/career", tag = "queries", params(("nip" = String, Path, pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])[12][0-9]{3}$", description = "18-digit NIP"), Consistency),
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
    Ok(Json(query::career(&read.store, nip.as_str(), app.bus.clock().now().date()).await?))
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

/// The page size of a list: 200 when not given; 400 outside 1 to 1000 (as the document says).
///
/// # Errors
/// [`ApiError::BadQuery`] naming the value.
pub(crate) fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(200);
    if (1..=1000).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::BadQuery(format!("limit must be between 1 and 1000, got {limit}")))
    }
}

/// The page number of a paged list: 1 when not given; 400 outside 1 to 1,000,000.
///
/// # Errors
/// [`ApiError::BadQuery`] naming the value.
pub(crate) fn page_number(page: Option<i64>) -> Result<i64, ApiError> {
    let page = page.unwrap_or(1);
    if (1..=1_000_000).contains(&page) {
        Ok(page)
    } else {
        Err(ApiError::BadQuery(format!("page must be between 1 and 1000000, got {page}")))
    }
}

/// Filters and page of `GET /v1/cycles/{id}/units` and `/raters`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupFilter {
    /// Only the groups with this SE MenPANRB 3/2023 pattern warning (400 `unknown_warning`
    /// for a code that is none of them).
    #[param(value_type = Option<super::schema::WarningDoc>)]
    pub warning: Option<String>,
    /// The page, from 1 (default 1; at most 1,000,000).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Groups per page (default 200; 1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// As in every read-model query: wait for the projection to reach this sequence.
    #[param(minimum = 0, maximum = 9007199254740991_u64)]
    pub min_sequence: Option<u64>,
}

async fn group_page(app: &AppState, caller: &skp_domain::Caller, id: &str, kind: &'static str, filter: GroupFilter) -> Result<Json<query::GroupPage>, ApiError> {
    read_cycle(caller)?;
    let id = cycle_id(id)?;
    let warning = match filter.warning.as_deref() {
        Some(code) => Some(skp_domain::capaian::WARNING_CODES.into_iter().find(|c| *c == code).ok_or_else(|| ApiError::UnknownWarning(code.chars().take(60).collect()))?),
        None => None,
    };
    let (page, limit) = (page_number(filter.page)?, page_limit(filter.limit)?);
    let read = ready(app, "progress", filter.min_sequence).await?;
    let answer = query::group_page(&read.store, id, kind, warning, page, limit).await?;
    answer.map(Json).ok_or_else(|| DomainError::NotFound { what: "cycle" }.into())
}

/// The units of a cycle, by name, a page at a time, each with its counts, annual capaian and
/// pattern warnings (admins and inspectors).
#[utoipa::path(get, path = "/v1/cycles/{id}/units", tag = "queries", params(("id" = Uuid, Path), GroupFilter),
    responses((status = 200, description = "{cycle_id, page, limit, total, items: [{key, total, scored, by_predikat, warnings: [{code, detail}], capaian, capaian_assumed}], as_of_sequence}; total counts the units that match (every page)"),
        (status = 400), (status = 401), (status = 403), (status = 404), (status = 503), (status = 504)))]
pub async fn list_units(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(filter): Query<GroupFilter>,
) -> Result<Json<query::GroupPage>, ApiError> {
    group_page(&app, &caller, &id, skp_projections::progress_counters::UNIT, filter).await
}

/// The raters of a cycle, by NIP, a page at a time, each with its counts and its warnings
/// against the `baik` pattern (admins and inspectors).
#[utoipa::path(get, path = "/v1/cycles/{id}/raters", tag = "queries", params(("id" = Uuid, Path), GroupFilter),
    responses((status = 200, description = "{cycle_id, page, limit, total, items: [{key (the rater's NIP), name, total, scored, by_predikat, warnings: [{code, detail}]}], as_of_sequence}; total counts the raters that match (every page)"),
        (status = 400), (status = 401), (status = 403), (status = 404), (status = 503), (status = 504)))]
pub async fn list_raters(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(filter): Query<GroupFilter>,
) -> Result<Json<query::GroupPage>, ApiError> {
    group_page(&app, &caller, &id, skp_projections::progress_counters::RATER, filter).await
}

/// Filters of `GET /v1/cycles/{id}/appraisals`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppraisalFilter {
    /// Only appraisals in this status.
    #[param(value_type = Option<super::schema::StatusDoc>)]
    pub status: Option<String>,
    /// At most this many (default 200; 1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// As in every read-model query: wait for the projection to reach this sequence.
    #[param(minimum = 0, maximum = 9007199254740991_u64)]
    pub min_sequence: Option<u64>,
}

/// The appraisals of a cycle with their status and predikat, by unit and name (admins and
/// inspectors): the dashboard's drill-down list.
#[utoipa::path(get, path = "/v1/cycles/{cycle_id}/appraisals", tag = "queries", params(("cycle_id" = Uuid, Path), AppraisalFilter),
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
    let limit = page_limit(filter.limit)?;
    let read = ready(&app, "progress", filter.min_sequence).await?;
    let rows = query::cycle_appraisals(&read.store, id, status, limit).await?;
    Ok(Json(serde_json::json!({ "cycle_id": id, "appraisals": rows })))
}
