//! HTTP limits (issue 15): a half-sent request is cut at the header-read timeout, the
//! connection cap holds further clients back until a slot frees, a request other than a live
//! stream answers `503 request_timeout` at its limit, each process serves at most
//! `SKP_SSE_MAX_CLIENTS` live streams, and a live stream ends when its token expires.

use crate::common::*;
use futures::StreamExt;
use skp_store::Clock;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A cycle the progress projection already holds (its live stream answers at once).
pub async fn projected_cycle(app: &TestApp) -> String {
    let body = serde_json::json!({"organization": "BKD", "year": 2026, "plan_due": "2026-01-31"});
    let opened = app.post_as(ADMIN, &["admin"], "/v1/cycles", body).await.expect(201);
    let (cycle, seq) = (opened["aggregate_id"].as_str().unwrap().to_owned(), opened["stream_sequence"].as_u64().unwrap());
    app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={seq}")).await.expect(200);
    cycle
}

async fn half_sent(app: &TestApp) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    // No final blank line: the head never ends.
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: skp\r\n").await.unwrap();
    stream
}

#[tokio::test]
async fn a_half_sent_request_is_closed_at_the_header_read_timeout() {
    let mut settings = isolated_settings(&nats_url());
    settings.http.header_read_timeout = Duration::from_secs(1);
    let app = spawn_with(settings, Clock::adjustable(), true).await;
    let mut stream = half_sent(&app).await;
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection was still open after 10 s");
    assert!(started.elapsed() < Duration::from_secs(5), "closed after {:?}", started.elapsed());
}

#[tokio::test]
async fn the_connection_cap_holds_further_clients_until_a_slot_frees() {
    let mut settings = isolated_settings(&nats_url());
    settings.http.max_connections = 2;
    settings.http.header_read_timeout = Duration::from_secs(60);
    let app = spawn_with(settings, Clock::adjustable(), true).await;
    let first = half_sent(&app).await;
    let _second = half_sent(&app).await;
    let quick = reqwest::Client::builder().timeout(Duration::from_millis(800)).build().unwrap();
    assert!(quick.get(app.url("/healthz")).send().await.is_err(), "a third connection was served beyond the cap of 2");
    drop(first);
    let patient = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let answer = patient.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(answer.status(), 200, "served once a slot freed");
}

#[tokio::test]
async fn a_request_past_its_time_limit_answers_503_request_timeout() {
    let mut settings = isolated_settings(&nats_url());
    settings.http.request_timeout = Duration::from_secs(1);
    let app = spawn_with(settings, Clock::adjustable(), true).await;
    let cycle = app.open_cycle().await;
    // A sequence the projection will not reach: the wait (5 s) outlasts the request's limit.
    let started = Instant::now();
    let answer = app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence=999999999")).await;
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    let problem = answer.expect_problem(503, "request_timeout");
    assert!(problem["detail"].as_str().unwrap().contains("1s"), "{problem}");
}

#[tokio::test]
async fn each_process_serves_at_most_its_live_streams_and_one_more_once_one_ends() {
    let mut settings = isolated_settings(&nats_url());
    settings.http.sse_max_clients = 1;
    let app = spawn_with(settings, Clock::adjustable(), true).await;
    let cycle = projected_cycle(&app).await;
    let path = format!("/v1/cycles/{cycle}/progress/stream");
    let first = app.http.get(app.url(&path)).bearer_auth(app.token(ADMIN, &["admin"])).send().await.unwrap();
    assert_eq!(first.status(), 200);
    app.get(&path).await.expect_problem(503, "too_many_streams");
    drop(first);
    let freed = wait_for(Duration::from_secs(5), || async {
        let again = app.http.get(app.url(&path)).bearer_auth(app.token(ADMIN, &["admin"])).send().await.unwrap();
        again.status() == 200
    })
    .await;
    assert!(freed, "the slot of the closed stream was given back");
}

#[tokio::test]
async fn a_live_stream_ends_when_its_token_expires() {
    let mut settings = isolated_settings(&nats_url());
    // No leeway, so the stream's end is the token's exp itself.
    settings.tokens.leeway = Duration::ZERO;
    let app = spawn_with(settings, Clock::adjustable(), true).await;
    let cycle = projected_cycle(&app).await;
    let token = skp_cli::token::issue(app.settings.jwt_secret.expose().as_bytes(), ADMIN, &["admin".to_owned()], 3).unwrap();
    // The browser's way: the token in the query, on this route only.
    let response = app.http.get(app.url(&format!("/v1/cycles/{cycle}/progress/stream?access_token={token}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let started = Instant::now();
    let mut body = response.bytes_stream();
    let ended = tokio::time::timeout(Duration::from_secs(15), async { while body.next().await.is_some() {} }).await;
    assert!(ended.is_ok(), "the stream outlived its token by more than 12 s");
    assert!(started.elapsed() >= Duration::from_secs(1), "ended too early: {:?}", started.elapsed());
}
