//! Every error class of docs/contract.md, with its status and code, and nothing recorded.


use crate::common::nats_process::NatsProcess;
use crate::common::*;
use serde_json::json;

async fn version(app: &TestApp, id: &str) -> u64 {
    app.get(&format!("/v1/appraisals/{id}")).await.expect(200)["version"].as_u64().unwrap()
}

#[tokio::test]
async fn malformed_bodies_are_400_and_change_nothing() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let before = version(&app, &id).await;
    let path = app.url(&format!("/v1/appraisals/{id}/score"));
    let token = app.token(RATER, &[]);
    let not_json = app.http.post(&path).bearer_auth(&token).header("content-type", "application/json").body("{not json");
    app.send(not_json).await.expect_problem(400, "malformed_body");
    app.post(RATER, &format!("/v1/appraisals/{id}/score"), json!({"results_rating": "sesuai_ekspektasi"})).await.expect_problem(400, "malformed_body");
    app.post(EMPLOYEE, &format!("/v1/appraisals/{id}/realisations"), json!({"indicator_id": 7, "value": 1})).await.expect_problem(400, "malformed_body");
    let bad_key = app.http.post(&path).bearer_auth(&token).header("Idempotency-Key", "not-a-uuid").json(&json!({}));
    app.send(bad_key).await.expect_problem(400, "malformed_body");
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep = app.http.post(&path).bearer_auth(&token).header("content-type", "application/json").body(nested);
    app.send(deep).await.expect_problem(400, "malformed_body");
    assert_eq!(version(&app, &id).await, before);
}

#[tokio::test]
async fn missing_expired_and_forged_tokens_are_401() {
    let app = spawn_app().await;
    let cycle_body = json!({"organization": "BKD", "year": 2026, "plan_due": "2026-01-31"});
    let url = app.url("/v1/cycles");
    let answer = app.send(app.http.post(&url).json(&cycle_body)).await;
    assert_eq!(answer.headers.get("www-authenticate").unwrap(), "Bearer");
    answer.expect_problem(401, "unauthorized");

    let an_hour_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 3600;
    let expired_claims = json!({"sub": ADMIN, "roles": ["admin"], "exp": an_hour_ago});
    let key = jsonwebtoken::EncodingKey::from_secret(app.settings.jwt_secret.expose().as_bytes());
    let expired = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &expired_claims, &key).unwrap();
    let wrong_key = skp_cli::token::issue(b"another-secret-entirely-0123", ADMIN, &["admin".into()], 3600).unwrap();
    let not_a_nip = skp_cli::token::issue(app.settings.jwt_secret.expose().as_bytes(), "admin", &["admin".into()], 3600).unwrap();
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = base64url(format!(r#"{{"sub":"{ADMIN}","roles":["admin"],"exp":4102444800}}"#).as_bytes());
    let alg_none = format!("{header}.{claims}.");
    for token in [expired, wrong_key, not_a_nip, alg_none, "garbage".to_owned()] {
        app.send(app.http.post(&url).bearer_auth(&token).json(&cycle_body)).await.expect_problem(401, "unauthorized");
    }
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn callers_without_the_role_are_403_and_change_nothing() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let before = version(&app, &id).await;
    let at = |p: &str| format!("/v1/appraisals/{id}{p}");
    let score = json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"});
    app.post(EMPLOYEE, &at("/score"), score.clone()).await.expect_problem(403, "forbidden");
    app.post(PEER, &at("/score"), score.clone()).await.expect_problem(403, "forbidden");
    app.post_as(INSPECTOR, &["inspector"], &at("/feedback"), json!({"about": "results", "text": "x"})).await.expect_problem(403, "forbidden");
    app.post(EMPLOYEE, &at("/feedback"), json!({"about": "results", "text": "saya hebat"})).await.expect_problem(403, "forbidden");
    app.post(RATER, &at("/realisations"), json!({"indicator_id": "iki-1", "value": 1})).await.expect_problem(403, "forbidden");
    app.post(RATER, "/v1/cycles", json!({"organization": "BKD", "year": 2026, "plan_due": "2026-01-31"})).await.expect_problem(403, "forbidden");
    app.get_as(PEER, &[], &at("")).await.expect_problem(403, "forbidden");
    assert_eq!(app.get_as(INSPECTOR, &["inspector"], &at("")).await.status, 200);
    assert_eq!(version(&app, &id).await, before);
}

#[tokio::test]
async fn unknown_aggregates_are_404() {
    let app = spawn_app().await;
    let unknown = uuid::Uuid::new_v4();
    app.post(EMPLOYEE, &format!("/v1/appraisals/{unknown}/plan"), plan()).await.expect_problem(404, "not_found");
    app.post(EMPLOYEE, "/v1/appraisals/not-an-id/plan", plan()).await.expect_problem(404, "not_found");
    app.get(&format!("/v1/appraisals/{unknown}")).await.expect_problem(404, "not_found");
    app.get(&format!("/v1/appraisals/{unknown}/history")).await.expect_problem(404, "not_found");
    app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{unknown}/appraisals"), people(EMPLOYEE, RATER, SUPERIOR)).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn commands_the_state_does_not_allow_are_409() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let id = app.open_appraisal(&cycle).await;
    app.post(EMPLOYEE, &format!("/v1/appraisals/{id}/plan/submit"), json!({})).await.expect_problem(409, "invalid_transition");
    app.post(RATER, &format!("/v1/appraisals/{id}/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}))
        .await
        .expect_problem(409, "invalid_transition");
    app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(EMPLOYEE, RATER, SUPERIOR)).await.expect_problem(409, "already_exists");
    assert_eq!(version(&app, &id).await, 1);
}

#[tokio::test]
async fn values_breaking_a_rule_are_422_and_change_nothing() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let opening = format!("/v1/cycles/{cycle}/appraisals");
    let with_bad_nip = people("12345", RATER, SUPERIOR);
    app.post_as(ADMIN, &["admin"], &opening, with_bad_nip).await.expect_problem(422, "invalid_nip");
    app.post_as(ADMIN, &["admin"], &opening, people(EMPLOYEE, RATER, EMPLOYEE)).await.expect_problem(422, "same_person");
    app.post_as(ADMIN, &["admin"], "/v1/cycles", json!({"organization": "BKD", "year": 2026, "plan_due": "31-01-2026"})).await.expect_problem(422, "invalid_cycle");

    let id = app.open_appraisal(&cycle).await;
    let at = |p: &str| format!("/v1/appraisals/{id}{p}");
    app.post(EMPLOYEE, &at("/plan"), json!({"results": []})).await.expect_problem(422, "invalid_plan");
    let fractional = json!({"results": [{"id": "r", "description": "d", "indicators": [{"id": "i", "description": "d", "target": {"value": 1.5, "unit": "x"}}]}]});
    app.post(EMPLOYEE, &at("/plan"), fractional).await.expect_problem(422, "invalid_plan");
    let control = json!({"results": [{"id": "r", "description": "a\u{0007}b", "indicators": [{"id": "i", "description": "d", "target": {"value": 1, "unit": "x"}}]}]});
    app.post(EMPLOYEE, &at("/plan"), control).await.expect_problem(422, "invalid_text");
    assert_eq!(version(&app, &id).await, 1);

    let other = "199303032019031007";
    let id = app.agreed_appraisal_in(&cycle, other).await;
    let at = |p: &str| format!("/v1/appraisals/{id}{p}");
    app.post(RATER, &at("/score"), json!({"results_rating": "luar_biasa", "behaviour_rating": "sesuai_ekspektasi"})).await.expect_problem(422, "invalid_rating");
    app.post(other, &at("/realisations"), json!({"indicator_id": "iki-9", "value": 1})).await.expect_problem(422, "unknown_indicator");
    app.post(other, &at("/realisations"), json!({"indicator_id": "iki-1", "value": -1})).await.expect_problem(422, "invalid_value");
    assert_eq!(version(&app, &id).await, 4);
}

#[tokio::test]
async fn a_body_over_256_kib_is_413() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let text = "x".repeat(300 * 1024);
    app.post(RATER, &format!("/v1/appraisals/{id}/feedback"), json!({"about": "results", "text": text})).await.expect_problem(413, "body_too_large");
}

#[tokio::test]
async fn with_nats_out_of_reach_commands_are_503_with_retry_after() {
    let mut nats = NatsProcess::start();
    let app = spawn_with(isolated_settings(&nats.url()), skp_store::Clock::system(), true).await;
    let cycle = app.open_cycle().await;
    nats.stop();
    let answer = app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(EMPLOYEE, RATER, SUPERIOR)).await;
    assert!(answer.headers.contains_key("retry-after"), "{:?}", answer.headers);
    answer.expect_problem(503, "store_unavailable");
    let ready = app.send(app.http.get(app.url("/readyz"))).await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.body["checks"]["nats"], false);
}
