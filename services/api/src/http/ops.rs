//! Liveness, readiness, metrics and the OpenAPI document.

use super::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use crate::health::Readiness;

/// Liveness: the process answers.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: NATS and PostgreSQL reachable, the in-process projections set up, and not
/// shutting down. 503 naming what is not (`status: draining` once the process began to stop,
/// so that a load balancer sends no more). Each projector's checkpoint, lag and error, also
/// when they run in another process (read from the database).
pub async fn readyz(State(app): State<AppState>) -> Response {
    if *app.shutting_down.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "draining", "checks": {}, "projectors": {}}))).into_response();
    }
    let read = app.read.get();
    let readiness = Readiness::check(app.bus.store(), read).await;
    // A stopped projector is reported, but the API still serves commands and queries.
    let ready = readiness.nats && readiness.postgres && !matches!(readiness.setup, Some(Err(_)));
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(readiness.body(ready))).into_response()
}

/// Prometheus text exposition.
pub async fn metrics(State(app): State<AppState>) -> Response {
    Readiness::check(app.bus.store(), app.read.get()).await.record(&app.metrics);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], app.metrics.render()).into_response()
}

/// The OpenAPI document, generated from the code.
pub async fn openapi() -> Json<serde_json::Value> {
    Json(super::openapi::served())
}
