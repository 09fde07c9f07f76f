//! Graceful shutdown of the real `skp-api` process: SIGTERM while commands are in flight lets
//! each of them finish with a complete answer, every acknowledged event is in the stream, the
//! projectors finish and commit their batch, and the process exits 0. A second process on the
//! same stream and schema then finds the read models consistent and catches up.
//!
//! Runs against `SKP_TEST_NATS_URL` and `SKP_TEST_DATABASE_URL` (loopback defaults) with a
//! stream, subject prefix and schema of its own, deleted at the end.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const EMPLOYEE_BASE: &str = "19900101201501";
const RATER: &str = "198005052005012002";
const SUPERIOR: &str = "197503032000011003";
const ADMIN: &str = "198812122010011005";
const APPRAISALS: usize = 8;
const IN_FLIGHT: usize = 160;

struct Instance {
    tag: String,
    port: u16,
    secret: String,
}

impl Instance {
    fn new() -> Self {
        let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        Self { secret: format!("shutdown-test-{tag}-0123456789abcdef"), port: 0, tag }
    }

    fn nats_url() -> String {
        std::env::var("SKP_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
    }

    fn database_url() -> String {
        std::env::var("SKP_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
    }

    fn stream(&self) -> String {
        format!("SKP_TEST_{}", self.tag)
    }

    fn schema(&self) -> String {
        format!("skp_t{}", self.tag)
    }

    /// Starts `skp-api` on a free port; its log lines are collected in `log`.
    fn spawn(&mut self, log: &Arc<Mutex<Vec<String>>>) -> Child {
        self.spawn_with(log, &[])
    }

    /// Like `spawn`, with more variables.
    fn spawn_with(&mut self, log: &Arc<Mutex<Vec<String>>>, vars: &[(&str, &str)]) -> Child {
        self.port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_skp-api"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("SKP_HTTP_ADDR", format!("127.0.0.1:{}", self.port))
            .env("SKP_NATS_URL", Self::nats_url())
            .env("SKP_DATABASE_URL", Self::database_url())
            .env("SKP_JWT_SECRET", &self.secret)
            .env("SKP_STREAM", self.stream())
            .env("SKP_SUBJECT_PREFIX", format!("test{}.skp.events", self.tag))
            .env("SKP_DB_SCHEMA", self.schema())
            .env("SKP_PUBLIC_STREAM", format!("SKP_TEST_PUBLIC_{}", self.tag))
            .env("SKP_PUBLIC_PREFIX", format!("test{}.skp.public", self.tag))
            .env("SKP_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .envs(vars.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        for pipe in [child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>), child.stderr.take().map(|p| Box::new(p) as _)].into_iter().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(line);
                }
            });
        }
        child
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn token(&self, nip: &str, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        skp_cli::token::issue(self.secret.as_bytes(), nip, &roles, 3600).unwrap()
    }

    async fn post(&self, http: &reqwest::Client, nip: &str, roles: &[&str], path: &str, body: Value) -> (u16, Value) {
        let response = http.post(self.url(path)).bearer_auth(self.token(nip, roles)).json(&body).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, http: &reqwest::Client, path: &str) -> (u16, Value) {
        let response = http.get(self.url(path)).bearer_auth(self.token(ADMIN, &["admin"])).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    async fn wait_ready(&self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(self.url("/readyz")).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "skp-api did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn cleanup(&self) {
        if let Ok(client) = async_nats::connect(Self::nats_url()).await {
            let js = async_nats::jetstream::new(client);
            let _ = js.delete_stream(self.stream()).await;
            let _ = js.delete_stream(format!("SKP_TEST_PUBLIC_{}", self.tag)).await;
        }
        if let Ok(pool) = sqlx::PgPool::connect(&Self::database_url()).await {
            let _ = skp_projections::store::drop_base(&pool, &self.schema()).await;
        }
    }
}

fn person(nip: &str, name: &str, position: &str) -> Value {
    json!({"nip": nip, "name": name, "position": position, "unit": "Bidang Pengembangan Pegawai"})
}

fn plan() -> Value {
    json!({"results": [{"id": "rhk-1", "description": "Tersusunnya analisis kebutuhan diklat", "indicators": [
        {"id": "iki-1", "description": "Dokumen analisis", "target": {"value": 2, "unit": "dokumen"}}]}]})
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_commands_finish_and_projectors_commit_before_exit() {
    let mut instance = Instance::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut child = instance.spawn(&log);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    instance.wait_ready(&http).await;

    let cycle_body = json!({"organization": "Badan Kepegawaian Daerah Kota Contoh", "year": 2026, "plan_due": "2026-01-31",
        "objection_window_days": 14, "decision_window_days": 14});
    let (status, cycle) = instance.post(&http, ADMIN, &["admin"], "/v1/cycles", cycle_body).await;
    assert_eq!(status, 201, "{cycle}");
    let cycle = cycle["aggregate_id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for i in 0..APPRAISALS {
        let employee = format!("{EMPLOYEE_BASE}1{:03}", i + 1);
        let people = json!({"employee": person(&employee, "Siti Rahmawati", "Analis SDM Aparatur"),
            "rater": person(RATER, "Budi Santoso", "Kepala Bidang"), "rater_superior": person(SUPERIOR, "Dewi Lestari", "Sekretaris Badan")});
        let (status, opened) = instance.post(&http, ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people).await;
        assert_eq!(status, 201, "{opened}");
        let id = opened["aggregate_id"].as_str().unwrap().to_owned();
        assert_eq!(instance.post(&http, &employee, &[], &format!("/v1/appraisals/{id}/plan"), plan()).await.0, 200);
        assert_eq!(instance.post(&http, &employee, &[], &format!("/v1/appraisals/{id}/plan/submit"), json!({})).await.0, 200);
        assert_eq!(instance.post(&http, RATER, &[], &format!("/v1/appraisals/{id}/plan/agree"), json!({})).await.0, 200);
        ids.push(id);
    }

    // Many commands in flight at once; SIGTERM as soon as the first of them is answered.
    let instance = Arc::new(instance);
    let answered = Arc::new(tokio::sync::Notify::new());
    let mut requests = Vec::new();
    for n in 0..IN_FLIGHT {
        let (instance, http, answered, id) = (instance.clone(), http.clone(), answered.clone(), ids[n % APPRAISALS].clone());
        requests.push(tokio::spawn(async move {
            let request = http
                .post(instance.url(&format!("/v1/appraisals/{id}/feedback")))
                .bearer_auth(instance.token(SUPERIOR, &[]))
                .json(&json!({"about": "results", "text": format!("masukan {n}")}));
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.expect("a complete answer body");
                    Ok((status, body))
                }
                Err(e) => Err(e.to_string()),
            };
            answered.notify_one();
            outcome
        }));
    }
    answered.notified().await;
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let exit = tokio::task::spawn_blocking(move || {
        let status = wait_exit(&mut child, Duration::from_secs(30));
        if status.is_none() {
            let _ = child.kill();
        }
        status
    })
    .await
    .unwrap();

    // A request either got its whole answer, or never reached a command handler: the
    // connection was refused or closed once the server stopped accepting. Which one is
    // checked below: every stored feedback event is one that was answered 200.
    let mut acknowledged = Vec::new();
    let mut not_served = 0;
    // The highest stream sequence of an acknowledged command: what the read models must reach.
    let mut last_sequence = 0;
    for request in requests {
        match request.await.unwrap() {
            Ok((200, body)) => {
                last_sequence = body["stream_sequence"].as_u64().unwrap().max(last_sequence);
                acknowledged.push(body["event_id"].as_str().unwrap().to_owned());
            }
            Ok((status, body)) => panic!("unexpected answer {status}: {body}"),
            Err(_) => not_served += 1,
        }
    }
    let lines = log.lock().unwrap().clone();
    let exit = exit.unwrap_or_else(|| panic!("skp-api did not exit within 30 s of SIGTERM; its log:\n{}", lines.join("\n")));
    assert!(exit.success(), "skp-api exited with {exit}; its log:\n{}", lines.join("\n"));
    assert!(!acknowledged.is_empty(), "some commands were answered before the exit");
    for projection in ["progress", "career", "audit", "relay", "voices"] {
        let stopped = lines.iter().any(|l| l.contains("projector stopped on shutdown") && l.contains(&format!("\"projection\":\"{projection}\"")));
        assert!(stopped, "the {projection} projector finished its batch and stopped; log:\n{}", lines.join("\n"));
    }

    // A second process on the same stream and schema: every acknowledged event is stored,
    // and the projectors resume from the committed checkpoints and catch up.
    let mut second = Instance { tag: instance.tag.clone(), port: 0, secret: instance.secret.clone() };
    let mut child = second.spawn(&log);
    second.wait_ready(&http).await;
    let mut feedback = std::collections::HashSet::new();
    for id in &ids {
        let (status, history) = second.get(&http, &format!("/v1/appraisals/{id}/history")).await;
        assert_eq!(status, 200);
        assert_eq!(history["chain_valid"], true);
        for event in history["events"].as_array().unwrap() {
            if event["type"] == "FeedbackGiven" {
                feedback.insert(event["event_id"].as_str().unwrap().to_owned());
            }
        }
    }
    let lost: Vec<&String> = acknowledged.iter().filter(|e| !feedback.contains(*e)).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    assert_eq!(feedback.len(), acknowledged.len(), "no command was cut off after it was stored: every stored feedback was answered 200");
    // Stored envelopes carry no stream sequence: wait for the stream's last one.
    let js = async_nats::jetstream::new(async_nats::connect(Instance::nats_url()).await.unwrap());
    let last_sequence = js.get_stream(second.stream()).await.unwrap().info().await.unwrap().state.last_sequence;
    let (status, progress) = second.get(&http, &format!("/v1/cycles/{cycle}/progress?min_sequence={last_sequence}")).await;
    assert_eq!(status, 200, "the projectors caught up after the restart: {progress}");
    assert_eq!(progress["total"], APPRAISALS);
    assert_eq!(progress["by_status"]["targets_agreed"], APPRAISALS);
    println!("SIGTERM with {IN_FLIGHT} commands in flight: {} acknowledged and stored, {not_served} not served (refused or closed before a handler ran), 0 lost, 0 cut off", acknowledged.len());

    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = tokio::task::spawn_blocking(move || wait_exit(&mut child, Duration::from_secs(30))).await;
    second.cleanup().await;
}

/// A half-sent request (its head never ends) does not hold the process after SIGTERM: it
/// exits within the drain timeout. Meanwhile `/readyz` answers 503 `draining` while the
/// process still serves, for `SKP_SHUTDOWN_DELAY_S`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_half_sent_request_exits_within_the_drain_timeout() {
    use tokio::io::AsyncWriteExt;
    let mut instance = Instance::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut child = instance.spawn_with(&log, &[("SKP_HTTP_HEADER_TIMEOUT_S", "120"), ("SKP_DRAIN_TIMEOUT_S", "3"), ("SKP_SHUTDOWN_DELAY_S", "2")]);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    instance.wait_ready(&http).await;
    let mut half = tokio::net::TcpStream::connect(("127.0.0.1", instance.port)).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: skp\r\n").await.unwrap();
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let signalled = Instant::now();

    let draining = async {
        loop {
            if let Ok(r) = http.get(instance.url("/readyz")).send().await {
                if r.status() == 503 {
                    return r.json::<Value>().await.unwrap();
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let readyz = tokio::time::timeout(Duration::from_secs(2), draining).await.expect("/readyz turned 503 while the process still served");
    assert_eq!(readyz["status"], "draining");
    assert_eq!(http.get(instance.url("/healthz")).send().await.unwrap().status(), 200, "still serving while draining");

    let exit = tokio::task::spawn_blocking(move || {
        let status = wait_exit(&mut child, Duration::from_secs(20));
        if status.is_none() {
            let _ = child.kill();
        }
        status
    })
    .await
    .unwrap();
    let lines = log.lock().unwrap().clone();
    let exit = exit.unwrap_or_else(|| panic!("skp-api still ran 20 s after SIGTERM with a half-sent request; its log:\n{}", lines.join("\n")));
    assert!(exit.success(), "exit {exit}");
    let took = signalled.elapsed();
    assert!(took < Duration::from_secs(10), "exited {took:?} after SIGTERM: delay 2 s + drain 3 s expected");
    println!("SIGTERM with a half-sent request: exited after {took:?} (shutdown delay 2 s, drain timeout 3 s)");
    drop(half);
    instance.cleanup().await;
}
