//! What `/readyz` and `/metrics` report of the read models and their projectors, shared by
//! the API and the projector host: NATS and PostgreSQL reachable, the projections set up,
//! and each projector's checkpoint, lag and the error that stopped it. When the projectors
//! run in another process (`SKP_PROJECTORS=off`), their checkpoints are read from the
//! database, so the API's own `/readyz` and `/metrics` still show them.

use crate::readmodels::ReadModels;
use serde_json::{json, Map, Value};
use skp_store::{EventStore, Metrics};
use std::time::Duration;

/// One projector as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectorReport {
    /// The projector.
    pub name: String,
    /// Its checkpoint.
    pub checkpoint: u64,
    /// The stream's last sequence minus the checkpoint.
    pub lag: u64,
    /// Why it stopped, if it did (only known where it runs).
    pub error: Option<String>,
}

/// The readiness of a process's dependencies and projectors.
#[derive(Debug, Clone)]
pub struct Readiness {
    /// NATS answers.
    pub nats: bool,
    /// PostgreSQL answers.
    pub postgres: bool,
    /// Where the projections' set-up stands: `None` when this process runs none, else
    /// `Ok(())` or the error of the last try.
    pub setup: Option<Result<(), String>>,
    /// The projectors.
    pub projectors: Vec<ProjectorReport>,
}

impl Readiness {
    /// Checks now.
    pub async fn check(store: &EventStore, read: Option<&ReadModels>) -> Self {
        let last = if store.is_connected() { store.last_sequence().await.ok() } else { None };
        let postgres = match read {
            Some(read) => tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(read.store.pool())).await.is_ok_and(|r| r.is_ok()),
            None => false,
        };
        let setup = read.and_then(|r| r.setup.as_ref()).map(|s| if s.done() { Ok(()) } else { Err(s.error().unwrap_or_else(|| "setting up".into())) });
        let projectors = match read {
            Some(read) if !read.status.is_empty() => read
                .status
                .iter()
                .map(|(name, s)| ProjectorReport { name: (*name).to_owned(), checkpoint: s.checkpoint(), lag: last.map_or(s.lag(), |l| l.saturating_sub(s.checkpoint())), error: s.error() })
                .collect(),
            Some(read) if postgres => from_database(read, last).await,
            _ => Vec::new(),
        };
        Self { nats: last.is_some(), postgres, setup, projectors }
    }

    /// Ready: NATS and PostgreSQL answer, and where this process runs projectors, they are
    /// set up and none is stopped on an error.
    pub fn ready(&self, runs_projectors: bool) -> bool {
        let projectors_fine = !runs_projectors || (matches!(self.setup, Some(Ok(()))) && self.projectors.iter().all(|p| p.error.is_none()));
        self.nats && self.postgres && projectors_fine
    }

    /// The JSON body of `/readyz`.
    pub fn body(&self, ready: bool) -> Value {
        let projectors: Map<String, Value> = self.projectors.iter().map(|p| (p.name.clone(), json!({"checkpoint": p.checkpoint, "lag": p.lag, "error": p.error}))).collect();
        let mut body = json!({
            "status": if ready { "ready" } else { "not_ready" },
            "checks": { "nats": self.nats, "postgres": self.postgres },
            "projectors": projectors,
        });
        if let Some(setup) = &self.setup {
            body["checks"]["projections_set_up"] = json!(setup.is_ok());
            if let Err(error) = setup {
                body["setup_error"] = json!(error);
            }
        }
        body
    }

    /// Records the projectors in `metrics`.
    pub fn record(&self, metrics: &Metrics) {
        for p in &self.projectors {
            metrics.projector(&p.name, p.checkpoint, p.lag);
            metrics.projector_stopped(&p.name, p.error.is_some());
        }
    }
}

/// The checkpoints of the serving generations, for projectors that run elsewhere.
async fn from_database(read: &ReadModels, last: Option<u64>) -> Vec<ProjectorReport> {
    let mut reports = Vec::new();
    for name in skp_projections::PROJECTORS {
        if let Ok(Some(generation)) = read.store.active(name).await {
            let lag = last.map_or(0, |l| l.saturating_sub(generation.last_seq));
            reports.push(ProjectorReport { name: name.to_owned(), checkpoint: generation.last_seq, lag, error: None });
        }
    }
    reports
}
