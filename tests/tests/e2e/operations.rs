//! Operations endpoints: health, readiness, metrics, the OpenAPI document, security headers.


use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn health_readiness_and_security_headers() {
    let app = spawn_app().await;
    let health = app.send(app.http.get(app.url("/healthz"))).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.headers.get("x-content-type-options").unwrap(), "nosniff");
    assert!(health.headers.contains_key("x-request-id"));
    let ready = wait_for(std::time::Duration::from_secs(10), || async { app.send(app.http.get(app.url("/readyz"))).await.status == 200 }).await;
    assert!(ready, "the service became ready");
    let ready = app.send(app.http.get(app.url("/readyz"))).await.expect(200);
    assert_eq!(ready["checks"], json!({"nats": true, "postgres": true, "projections_set_up": true}));
    assert_eq!(ready["projectors"]["progress"]["error"], serde_json::Value::Null);
}

#[tokio::test]
async fn metrics_count_commands_by_outcome_and_time_appends() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    app.post(EMPLOYEE, &format!("/v1/appraisals/{id}/plan/submit"), json!({})).await.expect_problem(409, "invalid_transition");
    let text = app.send(app.http.get(app.url("/metrics"))).await.body;
    let text = text.as_str().unwrap();
    assert!(text.contains(r#"skp_commands_total{command="agree_targets",outcome="ok"} 1"#), "{text}");
    assert!(text.contains(r#"skp_commands_total{command="submit_plan",outcome="invalid_transition"} 1"#), "{text}");
    assert!(text.contains("skp_append_seconds_count 5"), "{text}");
    assert!(text.contains("skp_append_conflicts_total 0"), "{text}");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let doc = app.send(app.http.get(app.url("/openapi.json"))).await.expect(200);
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/cycles",
        "/v1/cycles/{cycle_id}/appraisals",
        "/v1/appraisals/{id}/plan",
        "/v1/appraisals/{id}/plan/submit",
        "/v1/appraisals/{id}/plan/return",
        "/v1/appraisals/{id}/plan/agree",
        "/v1/appraisals/{id}/feedback",
        "/v1/appraisals/{id}/realisations",
        "/v1/appraisals/{id}/score",
        "/v1/appraisals/{id}/accept",
        "/v1/appraisals/{id}/objection",
        "/v1/appraisals/{id}/forum/resolve",
        "/v1/appraisals/{id}/finalize",
        "/v1/appraisals/{id}",
        "/v1/appraisals/{id}/history",
        "/v1/appraisals/{id}/replay",
        // Voices beyond the rater (issue 13).
        "/v1/appraisals/{id}/expectations",
        "/v1/appraisals/{id}/dialogues",
        "/v1/appraisals/{id}/dialogues/{version}/acknowledge",
        "/v1/appraisals/{id}/self-assessment",
        "/v1/appraisals/{id}/evaluators",
        "/v1/appraisals/{id}/survey",
        "/v1/appraisals/{id}/public-feedback",
        "/v1/appraisals/{id}/feedback-360",
        "/v1/cycles/{id}/voices",
        // Development plans and pembinaan (issue 14).
        "/v1/appraisals/{id}/development",
        "/v1/development/{plan_id}",
        "/v1/development/{plan_id}/history",
        "/v1/development/{plan_id}/actions",
        "/v1/development/{plan_id}/sessions",
        "/v1/development/{plan_id}/actions/{action_id}/complete",
        "/v1/development/{plan_id}/actions/{action_id}/confirm",
        "/v1/development/{plan_id}/review",
        "/v1/development/{plan_id}/follow-up",
        "/v1/cycles/{id}/pembinaan",
    ] {
        assert!(paths.contains_key(path), "{path} missing from /openapi.json");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
