//! The projector host (`skp-projector`): SKP's projectors without the API, for deployments
//! that run them apart (the API then runs with `SKP_PROJECTORS=off`). Several hosts may
//! run: one projector per read model is active at a time (a PostgreSQL advisory lock).
//!
//! It serves its own health on `SKP_PROJECTOR_ADDR` (default `127.0.0.1:9091`):
//! `/healthz`; `/readyz`, 200 when NATS and PostgreSQL answer, the projections are set up
//! and no projector is stopped, else 503 with each projector's checkpoint, lag and the error
//! that stopped it (an undecodable event names its stream sequence); `/metrics`
//! (`skp_projector_checkpoint`, `skp_projector_lag`, `skp_projector_stopped`). Set-up
//! failures (the database, a public stream with unsafe settings) are retried, and `/readyz`
//! says so meanwhile. SIGTERM lets each projector finish and commit its batch.

use crate::config::Settings;
use crate::health::Readiness;
use crate::readmodels::{self, ReadModels, Setup};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use skp_projections::ReadStore;
use skp_store::{EventStore, Metrics};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, OnceCell};
use tokio::task::JoinSet;

/// How long a failed set-up (database, projections) waits before it is tried again.
const RETRY: Duration = Duration::from_secs(2);

#[derive(Clone)]
struct HostState {
    events: EventStore,
    read: Arc<OnceCell<ReadModels>>,
    metrics: Metrics,
}

/// A projector host, bound to its health port, not yet running.
pub struct ProjectorHost {
    listener: TcpListener,
    state: HostState,
    settings: Settings,
}

impl std::fmt::Debug for ProjectorHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectorHost").field("listener", &self.listener).finish()
    }
}

impl ProjectorHost {
    /// Connects to NATS (checking the event stream) and binds the health port
    /// (`settings.projector_addr`).
    ///
    /// # Errors
    /// When NATS cannot be reached, the stream is unsafe, or the port cannot be bound.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.projector_addr).await?;
        Self::build_with_listener(settings, listener).await
    }

    /// Like [`ProjectorHost::build`] on a bound listener (port 0 in tests).
    ///
    /// # Errors
    /// As [`ProjectorHost::build`].
    pub async fn build_with_listener(settings: &Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let metrics = Metrics::new();
        let events = EventStore::connect(&settings.store, metrics.clone(), Duration::from_secs(30)).await?;
        Ok(Self { listener, state: HostState { events, read: Arc::new(OnceCell::new()), metrics }, settings: settings.clone() })
    }

    /// Where the health endpoints listen.
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Runs the projectors and serves health until `shutdown` completes; then lets each
    /// projector commit its batch.
    ///
    /// # Errors
    /// When the health server fails.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let (stop, stopping) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(run_projectors(self.settings.clone(), self.state.clone(), stopping));
        let router = Router::new()
            .route("/healthz", get(|| async { Json(serde_json::json!({"status": "ok"})) }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .with_state(self.state);
        let shutdown = async move {
            shutdown.await;
            stop.send_replace(true);
        };
        let served = crate::serve::serve(self.listener, router, self.settings.http, shutdown).await;
        while tasks.join_next().await.is_some() {}
        tracing::info!("projector host stopped");
        served
    }
}

/// Connects the database (retrying), sets the projections up (retrying), runs them.
async fn run_projectors(settings: Settings, state: HostState, shutdown: watch::Receiver<bool>) {
    let db = loop {
        match ReadStore::connect(settings.read.database_url.expose(), &settings.read.schema, 16).await {
            Ok(db) => break db,
            Err(e) => {
                tracing::warn!(error = %skp_store::error::chain(&e), "read-model database not reachable; retrying");
                let mut stop = shutdown.clone();
                tokio::select! {
                    () = tokio::time::sleep(RETRY) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    };
    let (statuses, setup) = (readmodels::statuses(), Arc::new(Setup::default()));
    let _ = state.read.set(ReadModels { store: db.clone(), status: statuses.clone(), setup: Some(setup.clone()) });
    let mut set = JoinSet::new();
    readmodels::set_up_and_spawn(&mut set, &settings, state.events.client(), &db, &statuses, &setup, &shutdown, RETRY).await;
    tracing::info!(projectors = ?statuses.keys().collect::<Vec<_>>(), "projector host running");
    while set.join_next().await.is_some() {}
}

async fn readyz(State(state): State<HostState>) -> Response {
    let readiness = Readiness::check(&state.events, state.read.get()).await;
    let ready = readiness.ready(true);
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(readiness.body(ready))).into_response()
}

async fn metrics(State(state): State<HostState>) -> Response {
    Readiness::check(&state.events, state.read.get()).await.record(&state.metrics);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render()).into_response()
}
