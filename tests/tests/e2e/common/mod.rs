//! The harness of the end-to-end tests: `spawn_app()` starts SKP in-process on port 0
//! against the real NATS and PostgreSQL (`SKP_TEST_NATS_URL`, `SKP_TEST_DATABASE_URL`), with
//! its own stream and subject prefix, and deletes the stream when dropped.

#![allow(dead_code, missing_docs, clippy::unwrap_used)]

pub mod nats_cluster;
pub mod nats_process;
pub mod nats_secure;
pub mod tcp_proxy;

use serde_json::{json, Value};
use skp_store::Clock;
use skp_api::config::Settings;
use skp_api::startup::Application;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use uuid::Uuid;

pub const EMPLOYEE: &str = "199001012015011001";
pub const RATER: &str = "198005052005012002";
pub const SUPERIOR: &str = "197503032000011003";
pub const PEER: &str = "199202022018012004";
pub const ADMIN: &str = "198812122010011005";
pub const INSPECTOR: &str = "198111112008012006";

pub fn nats_url() -> String {
    std::env::var("SKP_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

pub fn database_url() -> String {
    std::env::var("SKP_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Settings of an isolated instance: its own stream and subject prefix.
pub fn isolated_settings(nats: &str) -> Settings {
    let tag = Uuid::new_v4().simple().to_string()[..12].to_owned();
    let vars: HashMap<&str, String> = HashMap::from([
        ("SKP_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("SKP_NATS_URL", nats.to_owned()),
        ("SKP_DATABASE_URL", database_url()),
        ("SKP_JWT_SECRET", format!("test-secret-{tag}-0123456789")),
        ("SKP_STREAM", format!("SKP_TEST_{tag}")),
        ("SKP_SUBJECT_PREFIX", format!("test{tag}.skp.events")),
        ("SKP_APPEND_TIMEOUT_MS", "3000".to_owned()),
        ("SKP_DB_SCHEMA", format!("skp_t{tag}")),
        ("SKP_PUBLIC_STREAM", format!("SKP_TEST_PUBLIC_{tag}")),
        ("SKP_PUBLIC_PREFIX", format!("test{tag}.skp.public")),
    ]);
    Settings::from_lookup(|name| vars.get(name).cloned()).unwrap()
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub settings: Settings,
    pub clock: Clock,
    pub http: reqwest::Client,
    pub app_state: skp_api::http::AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<std::thread::JoinHandle<()>>,
    owns_stream: bool,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(isolated_settings(&nats_url()), Clock::adjustable(), true).await
}

/// Another instance on the same stream (as a second API process would be).
pub async fn spawn_peer(of: &TestApp) -> TestApp {
    spawn_with(of.settings.clone(), of.clock.clone(), false).await
}

/// Runs SKP on a runtime of its own thread, as a separate process would: the test's runtime
/// only drives the client, so stopping the app never waits on a frozen test runtime. When
/// dropped, the instance that owns the stream deletes its streams and schemas.
pub async fn spawn_with(settings: Settings, clock: Clock, owns_stream: bool) -> TestApp {
    skp_api::telemetry::init_for_tests();
    let (ready_tx, ready_rx) = oneshot::channel();
    let (tx, rx) = oneshot::channel::<()>();
    let (app_settings, app_clock) = (settings.clone(), clock.clone());
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let app = Application::build_with_listener(&app_settings, app_clock, listener).await.unwrap();
            let _ = ready_tx.send((app.local_addr().unwrap(), app.state().clone()));
            app.run_until_stopped(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
    });
    let (addr, app_state) = ready_rx.await.expect("the app started");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    TestApp { addr, settings, clock, http, app_state, shutdown: Some(tx), server: Some(server), owns_stream }
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        self.body
    }

    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        assert_eq!(self.body["code"], code, "unexpected problem: {}", self.body);
        assert_eq!(self.body["status"], status);
        let content_type = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(content_type, "application/problem+json");
        self.body
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn token(&self, nip: &str, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        skp_cli::token::issue(self.settings.jwt_secret.expose().as_bytes(), nip, &roles, 3600).unwrap()
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body, headers }
    }

    pub async fn post_as(&self, nip: &str, roles: &[&str], path: &str, body: Value) -> Answer {
        self.send(self.http.post(self.url(path)).bearer_auth(self.token(nip, roles)).json(&body)).await
    }

    pub async fn post_keyed(&self, nip: &str, path: &str, body: Value, key: Uuid) -> Answer {
        let request = self.http.post(self.url(path)).bearer_auth(self.token(nip, &[])).header("Idempotency-Key", key.to_string()).json(&body);
        self.send(request).await
    }

    pub async fn post_keyed_as(&self, nip: &str, roles: &[&str], path: &str, body: Value, key: Uuid) -> Answer {
        let request = self.http.post(self.url(path)).bearer_auth(self.token(nip, roles)).header("Idempotency-Key", key.to_string()).json(&body);
        self.send(request).await
    }

    pub async fn post(&self, nip: &str, path: &str, body: Value) -> Answer {
        self.post_as(nip, &[], path, body).await
    }

    pub async fn get_as(&self, nip: &str, roles: &[&str], path: &str) -> Answer {
        self.send(self.http.get(self.url(path)).bearer_auth(self.token(nip, roles))).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.get_as(ADMIN, &["admin"], path).await
    }

    pub async fn open_cycle(&self) -> String {
        let body = json!({"organization": "Badan Kepegawaian Daerah Kota Contoh", "year": 2026, "plan_due": "2026-01-31",
            "objection_window_days": 14, "decision_window_days": 14});
        let answer = self.post_as(ADMIN, &["admin"], "/v1/cycles", body).await.expect(201);
        answer["aggregate_id"].as_str().unwrap().to_owned()
    }

    pub async fn open_appraisal(&self, cycle_id: &str) -> String {
        let answer = self.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle_id}/appraisals"), people(EMPLOYEE, RATER, SUPERIOR)).await.expect(201);
        answer["aggregate_id"].as_str().unwrap().to_owned()
    }

    /// A cycle with one appraisal whose targets are agreed.
    pub async fn agreed_appraisal(&self) -> String {
        let cycle = self.open_cycle().await;
        self.agreed_appraisal_in(&cycle, EMPLOYEE).await
    }

    /// An appraisal of `employee` in `cycle` (rated by RATER) whose targets are agreed.
    pub async fn agreed_appraisal_in(&self, cycle: &str, employee: &str) -> String {
        let path = format!("/v1/cycles/{cycle}/appraisals");
        let opened = self.post_as(ADMIN, &["admin"], &path, people(employee, RATER, SUPERIOR)).await.expect(201);
        let id = opened["aggregate_id"].as_str().unwrap().to_owned();
        self.post(employee, &format!("/v1/appraisals/{id}/plan"), plan()).await.expect(200);
        self.post(employee, &format!("/v1/appraisals/{id}/plan/submit"), json!({})).await.expect(200);
        self.post(RATER, &format!("/v1/appraisals/{id}/plan/agree"), json!({})).await.expect(200);
        id
    }

    pub async fn history(&self, id: &str) -> Value {
        self.get(&format!("/v1/appraisals/{id}/history")).await.expect(200)
    }

    /// A raw NATS client on the same server.
    pub async fn nats(&self) -> async_nats::Client {
        async_nats::connect(skp_store::connect::server_urls(&self.settings.store.nats_url)).await.unwrap()
    }

    pub fn subject(&self, id: &str) -> String {
        format!("{}.appraisal.{id}", self.settings.store.subject_prefix)
    }

    /// Stops serving (in-flight requests finish, projectors commit their batch); the data stays.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        if self.owns_stream {
            let settings = self.settings.clone();
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(cleanup(&settings));
            })
            .join();
        }
    }
}

pub fn person(nip: &str, name: &str, position: &str) -> Value {
    json!({"nip": nip, "name": name, "position": position, "unit": "Bidang Pengembangan Pegawai"})
}

pub fn people(employee: &str, rater: &str, superior: &str) -> Value {
    json!({
        "employee": person(employee, "Siti Rahmawati", "Analis SDM Aparatur"),
        "rater": person(rater, "Budi Santoso", "Kepala Bidang"),
        "rater_superior": person(superior, "Dewi Lestari", "Sekretaris Badan"),
    })
}

pub fn plan() -> Value {
    json!({"results": [
        {"id": "rhk-1", "description": "Tersusunnya analisis kebutuhan diklat", "indicators": [
            {"id": "iki-1", "description": "Dokumen analisis", "target": {"value": 2, "unit": "dokumen"}},
            {"id": "iki-2", "description": "Ketepatan waktu", "target": {"value": 100, "unit": "persen"}}
        ]},
        {"id": "rhk-2", "description": "Terlaksananya pelatihan", "indicators": [
            {"id": "iki-3", "description": "Pegawai terlatih", "target": {"value": 40, "unit": "orang"}}
        ]}
    ]})
}

/// Waits for `check` to hold, polling, for at most `timeout`.
pub async fn wait_for<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Deletes a test's streams and database schemas.
pub async fn cleanup(settings: &Settings) {
    if let Ok(Ok(client)) = tokio::time::timeout(Duration::from_secs(3), async_nats::connect(skp_store::connect::server_urls(&settings.store.nats_url))).await {
        let js = async_nats::jetstream::new(client);
        let _ = js.delete_stream(&settings.store.stream).await;
        let _ = js.delete_stream(&settings.read.public_stream).await;
    }
    let pool = sqlx::postgres::PgPoolOptions::new().acquire_timeout(Duration::from_secs(3)).connect(settings.read.database_url.expose()).await;
    if let Ok(pool) = pool {
        let _ = skp_projections::store::drop_base(&pool, &settings.read.schema).await;
    }
}
