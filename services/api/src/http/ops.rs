//! Liveness, readiness, metrics and the OpenAPI document.

use super::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::time::Duration;

/// Liveness: the process answers.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: NATS and PostgreSQL reachable, and not shutting down. 503 naming what is not
/// (`status: draining` once the process began to stop, so that a load balancer sends no
/// more).
pub async fn readyz(State(app): State<AppState>) -> Response {
    if *app.shutting_down.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "draining", "checks": {}, "projectors": {}}))).into_response();
    }
    let nats = app.bus.store().is_connected() && app.bus.store().last_sequence().await.is_ok();
    let read = app.read.get();
    let postgres = match read {
        Some(read) => tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(read.store.pool())).await.is_ok_and(|r| r.is_ok()),
        None => false,
    };
    let projectors: serde_json::Map<String, serde_json::Value> = read
        .map(|r| r.status.iter().map(|(name, s)| ((*name).to_owned(), json!({"checkpoint": s.checkpoint(), "lag": s.lag(), "error": s.error()}))).collect())
        .unwrap_or_default();
    let status = if nats && postgres { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if status == StatusCode::OK { "ready" } else { "not_ready" },
        "checks": { "nats": nats, "postgres": postgres },
        "projectors": projectors,
    });
    (status, Json(body)).into_response()
}

/// Prometheus text exposition.
pub async fn metrics(State(app): State<AppState>) -> Response {
    if let Some(read) = app.read.get() {
        for (name, status) in &read.status {
            app.metrics.projector(name, status.checkpoint(), status.lag());
        }
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], app.metrics.render()).into_response()
}

/// The OpenAPI document, generated from the code.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(super::openapi::document())
}
