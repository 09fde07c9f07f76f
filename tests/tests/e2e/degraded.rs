//! With PostgreSQL out of reach, commands keep working (the log is in NATS) and read-model
//! queries answer 503.


use crate::common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn with_postgres_out_of_reach_commands_work_and_read_model_queries_are_503() {
    let mut settings = isolated_settings(&nats_url());
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    settings.read.database_url = skp_store::config::Secret::new(format!("postgres://postgres@127.0.0.1:{unused}/postgres"));
    let app = spawn_with(settings, skp_store::Clock::adjustable(), true).await;

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

/// PostgreSQL away from the start, back, away again in the middle of the work, and back: the
/// commands never notice, the read-model queries answer 503 while it is away, and the
/// projectors catch up from their checkpoints when it returns, applying every event once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_postgres_returns_the_projectors_catch_up_and_apply_every_event_once() {
    use crate::common::tcp_proxy::TcpProxy;
    let database = url_port(&database_url());
    let proxy = TcpProxy::start(database, false).await;
    let mut settings = isolated_settings(&nats_url());
    let url = database_url();
    let rest = url.split_once('@').map(|(_, r)| r).unwrap();
    let path = rest.split_once('/').map(|(_, p)| p).unwrap_or("postgres");
    settings.read.database_url = skp_store::config::Secret::new(format!("postgres://postgres@127.0.0.1:{}/{path}", proxy.port));
    let app = spawn_with(settings, skp_store::Clock::adjustable(), true).await;

    // Away from the start: commands work, queries answer 503.
    let cycle = app.open_cycle().await;
    let first = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    app.get(&format!("/v1/cycles/{cycle}/progress")).await.expect_problem(503, "read_model_unavailable");

    // Back: the projectors start from sequence 1 and catch up.
    proxy.restore();
    let last = app.app_state.bus.store().last_sequence().await.unwrap();
    let caught_up = wait_for(Duration::from_secs(30), || async { app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={last}")).await.status == 200 }).await;
    assert!(caught_up, "the projectors caught up once PostgreSQL answered");

    // Away again while commands go on, and back.
    proxy.cut();
    app.agreed_appraisal_in(&cycle, "199303032019011007").await;
    app.post(RATER, &format!("/v1/appraisals/{first}/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}))
        .await
        .expect(200);
    let last = app.app_state.bus.store().last_sequence().await.unwrap();
    proxy.restore();
    let caught_up = wait_for(Duration::from_secs(30), || async { app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={last}")).await.status == 200 }).await;
    assert!(caught_up, "the projectors caught up from their checkpoints after the second outage");

    // Every event counted once: two appraisals, one scored and one with agreed targets.
    let progress = app.get(&format!("/v1/cycles/{cycle}/progress")).await.expect(200);
    assert_eq!(progress["total"], 2, "{progress}");
    assert_eq!(progress["by_status"]["scored"], 1, "{progress}");
    assert_eq!(progress["by_status"]["targets_agreed"], 1, "{progress}");
    assert_eq!(progress["by_predikat"]["baik"], 1, "{progress}");
    let counted: u64 = progress["by_status"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(counted, 2, "no appraisal counted twice: {progress}");
}

fn url_port(url: &str) -> std::net::SocketAddr {
    let rest = url.split_once('@').map(|(_, r)| r).unwrap_or(url);
    let host_port = rest.split('/').next().unwrap();
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
    let host = if host == "localhost" { "127.0.0.1" } else { host };
    format!("{host}:{port}").parse().unwrap()
}
