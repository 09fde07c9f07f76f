//! Smaller holes closed by issue 15, each with its test: whole numbers above 2^53-1, a token
//! in the query string off the live route, plain-text 400/405 answers, invisible characters
//! in free text, dropping a serving generation, and the live subject under the prefix.

use crate::common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn whole_numbers_above_two_to_the_fifty_three_minus_one_are_422() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let path = format!("/v1/appraisals/{id}/realisations");
    app.post(EMPLOYEE, &path, json!({"indicator_id": "iki-1", "value": 9_007_199_254_740_992_u64})).await.expect_problem(422, "invalid_value");
    app.post(EMPLOYEE, &path, json!({"indicator_id": "iki-1", "value": 9_007_199_254_740_991_u64})).await.expect(200);
    let cycle = app.open_cycle().await;
    let opened = app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(PEER, RATER, SUPERIOR)).await.expect(201);
    let other = opened["aggregate_id"].as_str().unwrap();
    let mut big = plan();
    big["results"][0]["indicators"][0]["target"]["value"] = json!(18_000_000_000_000_000_u64);
    app.post(PEER, &format!("/v1/appraisals/{other}/plan"), big).await.expect_problem(422, "invalid_plan");
}

#[tokio::test]
async fn a_token_in_the_query_is_accepted_only_on_the_live_stream() {
    let app = spawn_app().await;
    let cycle = crate::http_limits::projected_cycle(&app).await;
    let token = app.token(ADMIN, &["admin"]);
    let answer = app.send(app.http.get(app.url(&format!("/v1/cycles?access_token={token}")))).await;
    answer.expect_problem(401, "unauthorized");
    let answer = app.send(app.http.get(app.url(&format!("/v1/cycles/{cycle}/progress?access_token={token}")))).await;
    answer.expect_problem(401, "unauthorized");
    let stream = app.http.get(app.url(&format!("/v1/cycles/{cycle}/progress/stream?access_token={token}"))).send().await.unwrap();
    assert_eq!(stream.status(), 200);
}

#[tokio::test]
async fn every_400_and_405_is_problem_json() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    for path in [
        format!("/v1/cycles/{cycle}/progress?min_sequence=abc"),
        format!("/v1/cycles/{cycle}/progress?min_sequence=-1"),
        "/v1/cycles?min_sequence=1.5".to_owned(),
        format!("/v1/cycles/{cycle}/appraisals?limit=many"),
        format!("/v1/employees/{EMPLOYEE}/career?min_sequence=x"),
    ] {
        app.get(&path).await.expect_problem(400, "bad_query");
    }
    let id = app.open_appraisal(&cycle).await;
    app.get(&format!("/v1/appraisals/{id}/replay?as_of_version=x")).await.expect_problem(400, "bad_query");
    let delete = app.send(app.http.delete(app.url("/v1/cycles")).bearer_auth(app.token(ADMIN, &["admin"]))).await;
    assert!(delete.headers.get("allow").is_some(), "405 names the allowed methods");
    delete.expect_problem(405, "method_not_allowed");
    app.send(app.http.put(app.url("/healthz"))).await.expect_problem(405, "method_not_allowed");
    app.send(app.http.get(app.url(&format!("/v1/appraisals/{cycle}/plan")))).await.expect_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn bidirectional_overrides_and_zero_width_characters_in_free_text_are_422() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let path = format!("/v1/appraisals/{id}/feedback");
    for text in ["kinerja \u{202E}kiab", "tepat\u{200B}waktu", "\u{2066}isolat\u{2069}", "\u{FEFF}awal"] {
        app.post(RATER, &path, json!({"about": "results", "text": text})).await.expect_problem(422, "invalid_text");
    }
    app.post(RATER, &path, json!({"about": "results", "text": "Kinerja baik — 95% ✓"})).await.expect(200);
}

#[tokio::test]
async fn the_serving_generation_is_never_dropped() {
    let app = spawn_app().await;
    let pool = sqlx::PgPool::connect(&database_url()).await.unwrap();
    let store = skp_projections::ReadStore::connect(&database_url(), &app.settings.read.schema, 2).await.unwrap();
    let progress = skp_projections::progress::ProgressProjection::new(None);
    let serving = store.ensure_active("progress", skp_projections::Projection::migrator(&progress)).await.unwrap();
    assert!(!store.drop_generation("progress", serving.number).await.unwrap(), "refused");
    let schema_exists = |schema: String| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)").bind(schema).fetch_one(&pool).await.unwrap() }
    };
    assert!(schema_exists(serving.schema.clone()).await, "the serving schema is still there");
    assert_eq!(store.active("progress").await.unwrap().map(|g| g.number), Some(serving.number));
    let spare = store.create_generation("progress", skp_projections::Projection::migrator(&progress)).await.unwrap();
    assert!(store.drop_generation("progress", spare.number).await.unwrap());
    assert!(!schema_exists(spare.schema).await, "a generation that does not serve is dropped");
}

#[tokio::test]
async fn live_progress_is_published_under_the_configured_prefix() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let prefix = &app.settings.store.subject_prefix;
    let live = skp_events::subject::Subjects::new(prefix.clone()).live_cycle(cycle.parse().unwrap());
    assert_eq!(live, format!("{}.live.cycle.{cycle}", prefix.trim_end_matches(".events")));
    let nats = app.nats().await;
    let mut ours = nats.subscribe(live).await.unwrap();
    let mut global = nats.subscribe(format!("skp.live.cycle.{cycle}")).await.unwrap();
    nats.flush().await.unwrap();
    app.open_appraisal(&cycle).await;
    let message = tokio::time::timeout(Duration::from_secs(5), futures::StreamExt::next(&mut ours)).await.expect("published under the prefix").unwrap();
    let progress: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(progress["cycle_id"], cycle.as_str());
    assert!(tokio::time::timeout(Duration::from_millis(300), futures::StreamExt::next(&mut global)).await.is_err(), "nothing on the global subject");
}
