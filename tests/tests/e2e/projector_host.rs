//! The projector host's health (issue 15): `skp-projector` serves `/healthz`, `/readyz` and
//! `/metrics` on its own port; a projector stopped on an undecodable event is reported there
//! with its stream sequence; a set-up that fails (an unsafe public stream) is retried, and
//! `/readyz` says so meanwhile; and an API without projectors still shows their checkpoints.

use crate::common::*;
use serde_json::{json, Value};
use skp_api::projector_host::ProjectorHost;
use skp_store::Clock;
use std::time::Duration;

struct Host {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Host {
    async fn start(settings: &skp_api::config::Settings) -> Self {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let settings = settings.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let host = ProjectorHost::build_with_listener(&settings, listener).await.unwrap();
                let _ = ready_tx.send(host.local_addr().unwrap());
                host.run_until_stopped(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        Self { addr: ready_rx.await.unwrap(), stop: Some(stop), thread: Some(thread) }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("http://{}{path}", self.addr)).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn readyz(&self) -> (u16, Value) {
        let (status, body) = self.get("/readyz").await;
        (status, serde_json::from_str(&body).unwrap())
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn without_projectors() -> skp_api::config::Settings {
    let mut settings = isolated_settings(&nats_url());
    settings.projectors_in_process = false;
    settings
}

#[tokio::test]
async fn the_host_reports_a_projector_stopped_on_an_undecodable_event() {
    let app = spawn_with(without_projectors(), Clock::adjustable(), true).await;
    let host = Host::start(&app.settings).await;
    assert_eq!(host.get("/healthz").await.0, 200);
    let ready = wait_for(Duration::from_secs(20), || async { host.readyz().await.0 == 200 }).await;
    assert!(ready, "ready: {:?}", host.readyz().await);

    let cycle = app.open_cycle().await;
    let js = async_nats::jetstream::new(app.nats().await);
    let subject = format!("{}.appraisal.{}", app.settings.store.subject_prefix, uuid::Uuid::new_v4());
    let bad = js.publish(subject, "not an envelope".into()).await.unwrap().await.unwrap().sequence;
    let stopped = wait_for(Duration::from_secs(20), || async { host.readyz().await.1["projectors"]["progress"]["error"].is_string() }).await;
    let (status, body) = host.readyz().await;
    assert!(stopped, "{body}");
    assert_eq!(status, 503, "{body}");
    let error = body["projectors"]["progress"]["error"].as_str().unwrap();
    assert!(error.contains(&format!("stream sequence {bad}")), "{error}");
    assert_eq!(body["projectors"]["progress"]["checkpoint"], bad - 1, "everything before it applied: {body}");
    let (_, metrics) = host.get("/metrics").await;
    assert!(metrics.contains("skp_projector_stopped{projection=\"progress\"} 1"), "{metrics}");
    assert!(metrics.contains(&format!("skp_projector_checkpoint{{projection=\"progress\"}} {}", bad - 1)), "{metrics}");
    assert!(metrics.contains("skp_projector_lag{projection=\"progress\"} 1"), "{metrics}");

    // The API without projectors still shows where they are (from the database).
    let api = app.send(app.http.get(app.url("/readyz"))).await.expect(200);
    assert_eq!(api["projectors"]["progress"]["checkpoint"], bad - 1, "{api}");
    assert_eq!(api["projectors"]["progress"]["lag"], 1, "{api}");
    let _ = cycle;
}

#[tokio::test]
async fn a_failed_set_up_is_retried_and_readyz_says_so_meanwhile() {
    let app = spawn_with(without_projectors(), Clock::adjustable(), true).await;
    // A public stream that would drop events: the relay refuses it.
    let js = async_nats::jetstream::new(app.nats().await);
    let public = &app.settings.read.public_stream;
    let subjects = vec![format!("{}.>", app.settings.read.public_prefix)];
    js.create_stream(async_nats::jetstream::stream::Config { name: public.clone(), subjects, max_messages_per_subject: 1, ..Default::default() }).await.unwrap();
    let host = Host::start(&app.settings).await;
    let reported = wait_for(Duration::from_secs(20), || async { host.readyz().await.1["setup_error"].is_string() }).await;
    let (status, body) = host.readyz().await;
    assert!(reported, "{body}");
    assert_eq!(status, 503);
    assert_eq!(body["checks"]["projections_set_up"], json!(false));
    assert!(body["setup_error"].as_str().unwrap().contains("max_msgs_per_subject"), "{body}");
    // The operator removes the bad stream: the next try creates a safe one and runs.
    js.delete_stream(public).await.unwrap();
    let ready = wait_for(Duration::from_secs(20), || async { host.readyz().await.0 == 200 }).await;
    assert!(ready, "{:?}", host.readyz().await);
}

#[tokio::test]
async fn an_in_process_set_up_that_fails_is_retried_and_readyz_says_so_meanwhile() {
    let settings = isolated_settings(&nats_url());
    let client = async_nats::connect(nats_url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let subjects = vec![format!("{}.>", settings.read.public_prefix)];
    let config = async_nats::jetstream::stream::Config { name: settings.read.public_stream.clone(), subjects, discard: async_nats::jetstream::stream::DiscardPolicy::Old, ..Default::default() };
    js.create_stream(config).await.unwrap();
    let app = spawn_with(settings, Clock::adjustable(), true).await;
    let reported = wait_for(Duration::from_secs(20), || async { app.send(app.http.get(app.url("/readyz"))).await.body["setup_error"].is_string() }).await;
    let answer = app.send(app.http.get(app.url("/readyz"))).await;
    assert!(reported, "{}", answer.body);
    assert!(answer.body["setup_error"].as_str().unwrap().contains("discard is old"), "{}", answer.body);
    answer.expect(503);
    js.delete_stream(&app.settings.read.public_stream).await.unwrap();
    let ready = wait_for(Duration::from_secs(20), || async { app.send(app.http.get(app.url("/readyz"))).await.status == 200 }).await;
    assert!(ready, "set up on a later try");
    let cycle = app.open_cycle().await;
    app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence=1")).await.expect(200);
}
