//! The real service as the `http`, `live` and `scale` sections measure it: the `skp-api`
//! binary run as a child process (found next to this benchmark's own binary), on a free
//! loopback port, with a stream, subjects, public stream and schemas of its own
//! (`isolated_on`), and its projectors either in process ([`Projectors::InProcess`], the
//! default) or in a `skp-projector` child process of their own with `SKP_PROJECTORS=off` on
//! the API ([`Projectors::Elsewhere`], as `deploy/compose.yaml` runs them). Dropping a
//! [`Service`] kills the processes and deletes its streams and schemas, also when a section
//! fails half-way.
//!
//! Also the HTTP side of the workload: a cycle, then appraisals opened by an admin and plans
//! drafted by their employees, as docs/contract.md's commands.

use crate::commands::{clients, nip};
use crate::report::Latencies;
use crate::{isolated_on, BENCH_SECRET};
use serde_json::{json, Value};
use skp_api::config::Settings;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN: &str = "198812122010011005";
const RATER: &str = "196501012010011001";
const SUPERIOR: &str = "196501012010011002";

/// Where a [`Service`]'s projectors run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projectors {
    /// In the `skp-api` process (`SKP_PROJECTORS=in-process`, the default).
    InProcess,
    /// In a `skp-projector` process of their own; `SKP_PROJECTORS=off` on the API.
    Elsewhere,
}

impl Projectors {
    /// `in-process` or `elsewhere`, for the report.
    pub fn label(self) -> &'static str {
        match self {
            Self::InProcess => "projectors in-process",
            Self::Elsewhere => "projectors in skp-projector",
        }
    }
}

/// A running `skp-api` of the run's own (and its `skp-projector`, if any).
pub struct Service {
    child: Child,
    projector: Option<(Child, PathBuf)>,
    settings: Settings,
    base: String,
    log: PathBuf,
    admin_token: String,
    /// A keep-alive client.
    pub http: reqwest::Client,
}

impl Service {
    /// Starts `skp-api` against `nats_url` and waits until `/readyz` answers 200.
    ///
    /// # Errors
    /// When the binary is missing, the process exits, or it is not ready within 60 s.
    pub async fn start(nats_url: &str) -> anyhow::Result<Self> {
        Self::start_with(isolated_on(nats_url, &[])?, Projectors::InProcess).await
    }

    /// Starts `skp-api` with `settings` (its HTTP address replaced by a free loopback port)
    /// and its projectors where `projectors` says; with [`Projectors::Elsewhere`], first a
    /// `skp-projector` on the same settings (its health on another free port), until its
    /// `/readyz` answers 200. Then waits until the API's `/readyz` answers 200.
    ///
    /// # Errors
    /// When a binary is missing, a process exits, or it is not ready within 60 s.
    pub async fn start_with(mut settings: Settings, projectors: Projectors) -> anyhow::Result<Self> {
        let binary = std::env::current_exe()?.with_file_name("skp-api");
        anyhow::ensure!(binary.exists(), "{} is missing: run `cargo build --release -p skp-api -p skp-cli -p skp-payroll-sample --bins` first", binary.display());
        let addr = format!("127.0.0.1:{}", free_port()?);
        settings.http_addr = addr.parse()?;
        let http = reqwest::Client::builder().pool_max_idle_per_host(1024).timeout(Duration::from_secs(30)).build()?;
        let mut environment = environment(&settings);
        let extra = extra_environment();
        let projector = match projectors {
            Projectors::InProcess => None,
            Projectors::Elsewhere => {
                let binary = binary.with_file_name("skp-projector");
                anyhow::ensure!(binary.exists(), "{} is missing: run `cargo build --release -p skp-api --bins` first", binary.display());
                let health = format!("127.0.0.1:{}", free_port()?);
                let log = log_file("projector");
                let mut child = Command::new(&binary)
                    .envs(environment.iter().cloned())
                    .envs(extra.iter().cloned())
                    .env("SKP_PROJECTOR_ADDR", &health)
                    .stdout(Stdio::null())
                    .stderr(std::fs::File::create(&log)?)
                    .spawn()?;
                if let Err(e) = wait_ready(&http, &mut child, &format!("http://{health}/readyz"), &log).await {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(e.context("skp-projector"));
                }
                for (name, value) in &mut environment {
                    if *name == "SKP_PROJECTORS" {
                        "off".clone_into(value);
                    }
                }
                Some((child, log))
            }
        };
        let log = log_file("api");
        let child = Command::new(&binary)
            .envs(environment)
            .envs(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        let admin_token = skp_cli::token::issue(BENCH_SECRET.as_bytes(), ADMIN, &["admin".to_owned()], 3600)?;
        let mut service = Self { child, projector, settings, base: format!("http://{addr}"), log, admin_token, http };
        let ready = service.url("/readyz");
        wait_ready(&service.http, &mut service.child, &ready, &service.log).await.map_err(|e| e.context("skp-api"))?;
        Ok(service)
    }

    /// The process id of `skp-api`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process id of `skp-projector`, when the projectors run there.
    pub fn projector_pid(&self) -> Option<u32> {
        self.projector.as_ref().map(|(child, _)| child.id())
    }

    /// The settings the processes run with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The admin's bearer token.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The address of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A bearer token for `nip`, admin or not.
    pub fn token(nip: &str, admin: bool) -> anyhow::Result<String> {
        let roles = if admin { vec!["admin".to_owned()] } else { vec![] };
        Ok(skp_cli::token::issue(BENCH_SECRET.as_bytes(), nip, &roles, 3600)?)
    }

    /// Sends a command as `token`; its answer, which must have `status`.
    pub async fn command(&self, token: &str, path: &str, body: &Value, status: u16) -> anyhow::Result<Value> {
        let answer = self.http.post(self.url(path)).bearer_auth(token).json(body).send().await?;
        let got = answer.status().as_u16();
        let text = answer.text().await?;
        anyhow::ensure!(got == status, "POST {path}: {got} {text}");
        Ok(serde_json::from_str(&text)?)
    }

    /// Waits until `GET path` answers 200 to the admin.
    ///
    /// # Errors
    /// When it does not within `within`.
    pub async fn wait_for_read(&self, path: &str, within: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        loop {
            let answer = self.http.get(self.url(path)).bearer_auth(&self.admin_token).send().await?;
            if answer.status().is_success() {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "GET {path}: {} after {within:?}", answer.status());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Opens a cycle as the admin: its id.
    pub async fn open_cycle(&self) -> anyhow::Result<String> {
        let body = json!({"organization": "Badan Kepegawaian Daerah Kota Contoh", "year": 2026, "plan_due": "2026-01-31",
            "objection_window_days": 14, "decision_window_days": 14});
        let answer = self.command(&self.admin_token, "/v1/cycles", &body, 201).await?;
        Ok(answer["aggregate_id"].as_str().unwrap_or_default().to_owned())
    }

    /// Opens the appraisal of the `i`-th employee as the admin: the command's answer.
    pub async fn open_appraisal(&self, cycle: &str, i: usize) -> anyhow::Result<Value> {
        let employee = nip(i)?;
        let body = json!({
            "employee": {"nip": employee.as_str(), "name": "Siti Rahmawati", "position": "Analis SDM Aparatur", "unit": "Bidang Contoh"},
            "rater": {"nip": RATER, "name": "Budi Santoso", "position": "Kepala Bidang", "unit": "Bidang Contoh"},
            "rater_superior": {"nip": SUPERIOR, "name": "Dewi Lestari", "position": "Sekretaris Badan", "unit": "Sekretariat"},
        });
        self.command(&self.admin_token, &format!("/v1/cycles/{cycle}/appraisals"), &body, 201).await
    }

    /// The employee of appraisal `id` (the `i`-th) drafts a plan: the command's answer.
    pub async fn draft_plan(&self, id: &str, i: usize) -> anyhow::Result<Value> {
        let token = Self::token(nip(i)?.as_str(), false)?;
        let body = json!({"results": [{"id": "rhk-1", "description": "Tersusunnya analisis kebutuhan diklat", "indicators": [
            {"id": "iki-1", "description": "Dokumen analisis", "target": {"value": 2, "unit": "dokumen"}}]}]});
        self.command(&token, &format!("/v1/appraisals/{id}/plan"), &body, 200).await
    }

    /// `count` appraisals opened, each followed by its plan, by `concurrency` clients:
    /// (commands/s, each command's latency).
    pub async fn load(self: &Arc<Self>, cycle: &str, first: usize, count: usize, concurrency: usize) -> anyhow::Result<(f64, Latencies)> {
        let started = Instant::now();
        let cycle: Arc<str> = cycle.into();
        let latencies = clients(count, concurrency, {
            let service = self.clone();
            move |k| {
                let (service, cycle) = (service.clone(), cycle.clone());
                async move {
                    let mut latencies = Latencies::default();
                    let began = Instant::now();
                    let opened = service.open_appraisal(&cycle, first + k).await?;
                    latencies.push(began.elapsed());
                    let id = opened["aggregate_id"].as_str().unwrap_or_default().to_owned();
                    let began = Instant::now();
                    service.draft_plan(&id, first + k).await?;
                    latencies.push(began.elapsed());
                    Ok(latencies)
                }
            }
        })
        .await?;
        Ok(((2 * count) as f64 / started.elapsed().as_secs_f64(), latencies))
    }
}

/// Variables for the service's processes only, from `SKP_BENCH_SERVICE_ENV`
/// (`NAME=value` pairs separated by spaces, e.g. `TOKIO_WORKER_THREADS=1`): for trying a
/// runtime or allocator setting on the service without changing the bench's own.
fn extra_environment() -> Vec<(String, String)> {
    std::env::var("SKP_BENCH_SERVICE_ENV")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pair| pair.split_once('=').map(|(name, value)| (name.to_owned(), value.to_owned())))
        .collect()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn log_file(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("skp-bench-{what}-{}.log", uuid::Uuid::new_v4().simple()))
}

/// Waits until `ready` answers 200, failing when `child` exits or after 60 s.
async fn wait_ready(http: &reqwest::Client, child: &mut Child, ready: &str, log: &std::path::Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("exited ({status}): {}", log_tail(log));
        }
        if let Ok(answer) = http.get(ready).send().await {
            if answer.status().is_success() {
                return Ok(());
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "not ready within 60 s: {}", log_tail(log));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn log_tail(log: &std::path::Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" / ")
}

/// The `SKP_*` variables that give a process `settings`.
fn environment(settings: &Settings) -> Vec<(&'static str, String)> {
    vec![
        ("SKP_HTTP_ADDR", settings.http_addr.to_string()),
        ("SKP_NATS_URL", settings.store.nats_url.clone()),
        ("SKP_DATABASE_URL", settings.read.database_url.expose().to_owned()),
        ("SKP_JWT_SECRET", settings.jwt_secret.expose().to_owned()),
        ("SKP_STREAM", settings.store.stream.clone()),
        ("SKP_SUBJECT_PREFIX", settings.store.subject_prefix.clone()),
        ("SKP_AGGREGATE_CACHE", settings.store.cache_capacity.to_string()),
        ("SKP_DB_SCHEMA", settings.read.schema.clone()),
        ("SKP_PROJECTORS", "in-process".to_owned()),
        ("SKP_PROJECTOR_BATCH", settings.read.batch.to_string()),
        ("SKP_PROJECTOR_LINGER_MS", settings.read.linger.as_millis().to_string()),
        ("SKP_PUBLIC_STREAM", settings.read.public_stream.clone()),
        ("SKP_PUBLIC_PREFIX", settings.read.public_prefix.clone()),
    ]
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
        if let Some((mut projector, log)) = self.projector.take() {
            let _ = projector.kill();
            let _ = projector.wait();
            let _ = std::fs::remove_file(&log);
        }
        // Drop cannot await: the streams and schemas go on a runtime of a thread of its own.
        let settings = self.settings.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async move {
                if let Ok(client) = async_nats::connect(settings.store.nats_url.as_str()).await {
                    let js = async_nats::jetstream::new(client);
                    js.delete_stream(&settings.store.stream).await.ok();
                    js.delete_stream(&settings.read.public_stream).await.ok();
                }
                if let Ok(pool) = sqlx::PgPool::connect(settings.read.database_url.expose()).await {
                    let _ = skp_projections::store::drop_base(&pool, &settings.read.schema).await;
                    pool.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}
