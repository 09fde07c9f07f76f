//! With PostgreSQL out of reach, commands keep working (the log is in NATS) and read-model
//! queries answer 503.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn with_postgres_out_of_reach_commands_work_and_read_model_queries_are_503() {
    let mut settings = isolated_settings(&nats_url());
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    settings.database_url = skp_services::config::Secret::new(format!("postgres://postgres@127.0.0.1:{unused}/postgres"));
    let app = spawn_with(settings, skp_services::clock::Clock::adjustable(), true).await;

    let id = app.agreed_appraisal().await;
    let scored = app.post(RATER, &format!("/v1/appraisals/{id}/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    assert_eq!(scored["version"], 5);
    assert_eq!(app.get(&format!("/v1/appraisals/{id}")).await.expect(200)["status"], "scored", "queries on the event store work");

    let cycle = app.get(&format!("/v1/appraisals/{id}")).await.expect(200)["cycle_id"].as_str().unwrap().to_owned();
    let answer = app.get(&format!("/v1/cycles/{cycle}/progress")).await;
    assert!(answer.headers.contains_key("retry-after"));
    answer.expect_problem(503, "read_model_unavailable");
    app.get(&format!("/v1/employees/{EMPLOYEE}/career")).await.expect_problem(503, "read_model_unavailable");
    let ready = app.send(app.http.get(app.url("/readyz"))).await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.body["checks"], json!({"nats": true, "postgres": false}));
}
