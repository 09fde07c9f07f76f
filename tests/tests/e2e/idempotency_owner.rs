//! Idempotency keys belong to a caller and a command (issue 15): a key sent again is first
//! authorized (404, 403), then replayed only for the same caller and the same command; the
//! same key from another caller or for another command is 422 `idempotency_key_reused`.

use crate::common::*;
use serde_json::json;
use uuid::Uuid;

const OUTSIDER: &str = "199303032019011007";

#[tokio::test]
async fn a_caller_who_may_not_act_hears_403_not_the_original_answer() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let opened = app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(EMPLOYEE, RATER, SUPERIOR)).await.expect(201);
    let id = opened["aggregate_id"].as_str().unwrap().to_owned();
    let key = Uuid::new_v4();
    let path = format!("/v1/appraisals/{id}/plan");
    app.post_keyed(EMPLOYEE, &path, plan(), key).await.expect(200);
    // Someone else, with the employee's key, on a command only the employee may send.
    app.post_keyed(OUTSIDER, &path, plan(), key).await.expect_problem(403, "forbidden");
    app.post_keyed_as(INSPECTOR, &["inspector"], &path, plan(), key).await.expect_problem(403, "forbidden");
    // An unknown appraisal stays unknown whatever the key.
    app.post_keyed(EMPLOYEE, &format!("/v1/appraisals/{}/plan", Uuid::new_v4()), plan(), key).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn the_same_key_from_another_caller_who_may_act_is_422() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let key = Uuid::new_v4();
    let path = format!("/v1/appraisals/{id}/feedback");
    let body = json!({"about": "results", "text": "laporan tepat waktu"});
    app.post_keyed(RATER, &path, body.clone(), key).await.expect(200);
    // The rater's superior may give feedback too, but not under the rater's key.
    app.post_keyed(SUPERIOR, &path, body, key).await.expect_problem(422, "idempotency_key_reused");
    let events = app.history(&id).await["events"].as_array().unwrap().clone();
    assert_eq!(events.iter().filter(|e| e["type"] == "FeedbackGiven").count(), 1);
}

#[tokio::test]
async fn the_same_key_for_another_command_is_422_and_the_same_command_is_replayed() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let opened = app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(EMPLOYEE, RATER, SUPERIOR)).await.expect(201);
    let id = opened["aggregate_id"].as_str().unwrap().to_owned();
    let key = Uuid::new_v4();
    let drafted = app.post_keyed(EMPLOYEE, &format!("/v1/appraisals/{id}/plan"), plan(), key).await;
    let drafted_body = drafted.expect(200);
    let submit = app.post_keyed(EMPLOYEE, &format!("/v1/appraisals/{id}/plan/submit"), json!({}), key).await;
    let problem = submit.expect_problem(422, "idempotency_key_reused");
    assert!(problem["detail"].as_str().unwrap().contains("draft_plan"), "{problem}");
    let again = app.post_keyed(EMPLOYEE, &format!("/v1/appraisals/{id}/plan"), plan(), key).await;
    assert_eq!(again.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(again.expect(200), drafted_body);
    assert_eq!(app.history(&id).await["events"].as_array().unwrap().len(), 2, "opened and drafted, nothing more");
}

#[tokio::test]
async fn a_cycle_key_reused_by_another_admin_is_422() {
    let app = spawn_app().await;
    let key = Uuid::new_v4();
    let body = json!({"organization": "BKD", "year": 2026, "plan_due": "2026-01-31"});
    app.post_keyed_as(ADMIN, &["admin"], "/v1/cycles", body.clone(), key).await.expect(201);
    app.post_keyed_as(RATER, &[], "/v1/cycles", body.clone(), key).await.expect_problem(403, "forbidden");
    app.post_keyed_as(SUPERIOR, &["admin"], "/v1/cycles", body, key).await.expect_problem(422, "idempotency_key_reused");
}

#[tokio::test]
async fn the_same_key_for_the_same_command_with_other_values_is_422() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let key = Uuid::new_v4();
    let path = format!("/v1/appraisals/{id}/realisations");
    let first = app.post_keyed(EMPLOYEE, &path, json!({"indicator_id": "iki-1", "value": 3}), key).await.expect(200);
    // The same values in another order and spacing are the same command: replayed.
    let again = app.send(
        app.http.post(app.url(&path)).bearer_auth(app.token(EMPLOYEE, &[])).header("Idempotency-Key", key.to_string()).header("content-type", "application/json").body("{ \"value\": 3,  \"indicator_id\": \"iki-1\" }"),
    ).await;
    assert_eq!(again.expect(200), first);
    app.post_keyed(EMPLOYEE, &path, json!({"indicator_id": "iki-1", "value": 4}), key).await.expect_problem(422, "idempotency_key_reused");
    let events = app.history(&id).await["events"].as_array().unwrap().clone();
    assert_eq!(events.iter().filter(|e| e["type"] == "RealisationRecorded").count(), 1);
}
