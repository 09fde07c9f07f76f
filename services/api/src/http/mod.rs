//! The HTTP API: command routes, appraisal queries, read-model queries, operations
//! endpoints, the dashboard, and the layers every answer passes through (body limit,
//! security headers, request ids, tracing). Handlers parse, call the domain through the
//! command bus, and map its answer; no rule of the domain is repeated here.

pub mod auth;
pub mod commands;
pub mod dashboard;
pub mod development;
pub mod development_dto;
pub mod dto;
pub mod error;
pub mod extract;
#[cfg(feature = "testing")]
pub mod fuzzing;
pub mod openapi;
pub mod openapi_exact;
pub mod ops;
pub mod periods;
pub mod queries;
pub mod reads;
pub mod schema;
pub mod voices;
pub mod voices_dto;
pub mod tokens;

use crate::readmodels::ReadModels;
use auth::{Authenticated, TokenVerifier};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::routing::{get, post};
use axum::Router;
use error::ApiError;
use skp_domain::DomainError;
use skp_store::{CommandBus, Metrics};
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use uuid::Uuid;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The command path and the event store.
    pub bus: Arc<CommandBus>,
    /// Verifies bearer tokens.
    pub tokens: TokenVerifier,
    /// The read models, once their database answered.
    pub read: Arc<tokio::sync::OnceCell<ReadModels>>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Turns true when the process begins to shut down.
    pub shutting_down: tokio::sync::watch::Receiver<bool>,
    /// What one process serves at most.
    pub limits: Limits,
}

/// What one process serves at most, shared by the handlers.
#[derive(Clone, Debug)]
pub struct Limits {
    /// One permit per live stream (SSE) being served.
    pub sse: Arc<tokio::sync::Semaphore>,
    /// The cap (`SKP_SSE_MAX_CLIENTS`).
    pub sse_max: usize,
    /// How long a request other than a live stream may take (`SKP_HTTP_REQUEST_TIMEOUT_S`).
    pub request_timeout: std::time::Duration,
    /// How long a read-model query waits for `?min_sequence=` (`SKP_MIN_SEQUENCE_WAIT_MS`).
    pub min_sequence_wait: std::time::Duration,
}

impl Limits {
    /// The shared limits of `limits`.
    pub fn new(limits: &crate::serve::HttpLimits) -> Self {
        Self { sse: Arc::new(tokio::sync::Semaphore::new(limits.sse_max_clients)), sse_max: limits.sse_max_clients, request_timeout: limits.request_timeout, min_sequence_wait: limits.min_sequence_wait }
    }
}

/// A malformed appraisal id is an unknown appraisal.
pub(crate) fn appraisal_id_from_path(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| DomainError::NotFound { what: "appraisal" }.into())
}

async fn not_found() -> ApiError {
    DomainError::NotFound { what: "route" }.into()
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/v1/cycles", post(commands::open_cycle).get(reads::list_cycles))
        .route("/v1/cycles/{cycle_id}/appraisals", post(commands::open_appraisal).get(reads::list_appraisals))
        .route("/v1/appraisals/{id}", get(queries::get_appraisal))
        .route("/v1/appraisals/{id}/history", get(queries::get_history))
        .route("/v1/appraisals/{id}/replay", get(queries::get_replay))
        .route("/v1/appraisals/{id}/audit", get(reads::get_audit))
        .route("/v1/cycles/{id}/progress", get(reads::get_progress))
        .route("/v1/cycles/{id}/progress/stream", get(reads::stream_progress))
        .route("/v1/cycles/{id}/findings", get(reads::get_findings))
        .route("/v1/cycles/{id}/units", get(reads::list_units))
        .route("/v1/cycles/{id}/raters", get(reads::list_raters))
        .route("/v1/employees/{nip}/career", get(reads::get_career))
        .route("/v1/appraisals/{id}/plan", post(commands::draft_plan))
        .route("/v1/appraisals/{id}/plan/submit", post(commands::submit_plan))
        .route("/v1/appraisals/{id}/plan/return", post(commands::return_plan))
        .route("/v1/appraisals/{id}/plan/agree", post(commands::agree_targets))
        .route("/v1/appraisals/{id}/feedback", post(commands::give_feedback))
        .route("/v1/appraisals/{id}/realisations", post(commands::record_realisation))
        .route("/v1/appraisals/{id}/score", post(commands::give_score))
        .route("/v1/appraisals/{id}/accept", post(commands::accept_score))
        .route("/v1/appraisals/{id}/objection", post(commands::object_score))
        .route("/v1/appraisals/{id}/forum/resolve", post(commands::resolve_forum))
        .route("/v1/appraisals/{id}/finalize", post(commands::finalize))
        // Voices beyond the rater (issue 13).
        .route("/v1/appraisals/{id}/expectations", post(voices::set_expectations))
        .route("/v1/appraisals/{id}/dialogues", post(voices::hold_dialogue))
        .route("/v1/appraisals/{id}/dialogues/{version}/acknowledge", post(voices::acknowledge_dialogue))
        .route("/v1/appraisals/{id}/self-assessment", post(voices::self_assess))
        .route("/v1/appraisals/{id}/evaluators", post(voices::nominate_evaluators))
        .route("/v1/appraisals/{id}/survey", post(voices::rate_behaviour))
        .route("/v1/appraisals/{id}/public-feedback", post(voices::record_public_feedback))
        .route("/v1/appraisals/{id}/feedback-360", get(voices::get_feedback_360))
        .route("/v1/cycles/{id}/voices", get(voices::get_cycle_voices))
        .route("/dashboard/voices.js", get(dashboard::voices_script))
        // Development plans and pembinaan (issue 14).
        .route("/v1/appraisals/{id}/development", post(development::open_plan).get(development::get_appraisal_plan))
        .route("/v1/development/{plan_id}", get(development::get_plan))
        .route("/v1/development/{plan_id}/history", get(development::get_plan_history))
        .route("/v1/development/{plan_id}/actions", post(development::add_action))
        .route("/v1/development/{plan_id}/sessions", post(development::record_session))
        .route("/v1/development/{plan_id}/actions/{action_id}/complete", post(development::complete_action))
        .route("/v1/development/{plan_id}/actions/{action_id}/confirm", post(development::confirm_action))
        .route("/v1/development/{plan_id}/review", post(development::review))
        .route("/v1/development/{plan_id}/follow-up", post(development::follow_up))
        .route("/v1/cycles/{id}/pembinaan", get(development::get_pembinaan))
        .route("/dashboard/pembinaan.js", get(dashboard::pembinaan_script))
        // Periodic evaluation and unit capaian (issue 12).
        .route("/v1/cycles/{cycle_id}/units/capaian", post(periods::set_unit_capaian))
        .route("/v1/appraisals/{id}/periods", get(periods::get_periods))
        .route("/v1/appraisals/{id}/periods/{period}/evaluation", post(periods::evaluate_period))
        .route("/v1/appraisals/{id}/periods/{period}/correction", post(periods::correct_period))
        .route("/v1/cycles/{id}/periods/{period}/progress", get(periods::get_period_progress))
        .route("/dashboard/periods.js", get(dashboard::periods_script))
        .route("/dashboard", get(dashboard::page))
        .route("/dashboard/dashboard.css", get(dashboard::stylesheet))
        .route("/dashboard/dashboard.js", get(dashboard::script))
        .route("/dashboard/vendor/chart.umd.min.js", get(dashboard::chart_js))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .route_layer(axum::middleware::from_fn_with_state(state.limits.request_timeout, |limit: axum::extract::State<std::time::Duration>, request, next| crate::serve::request_timeout(limit.0, request, next)))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn(extract::problem_for_plain_errors))
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}
