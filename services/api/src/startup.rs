//! Building the application from settings and running it until a shutdown signal.

use crate::config::Settings;
use crate::http::{self, auth::TokenVerifier, AppState};
use crate::readmodels::{self, wait_until_set, ReadModels};
use skp_projections::ReadStore;
use skp_store::{Clock, CommandBus, EventStore, Metrics};
use tokio::sync::{watch, OnceCell};
use tokio::task::JoinSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long the API waits for NATS at start-up before giving up.
const NATS_STARTUP_WAIT: Duration = Duration::from_secs(30);
/// How long the projections' set-up waits before it is tried again.
const PROJECTION_SETUP_RETRY: Duration = Duration::from_secs(2);
/// How long start-up waits for the read models before serving without them (queries on
/// them answer 503 until they connect; commands work meanwhile).
const READ_MODELS_STARTUP_WAIT: Duration = Duration::from_secs(5);

/// A built application, bound to its listener, not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    projectors: JoinSet<()>,
    stop_projectors: watch::Sender<bool>,
    limits: crate::serve::HttpLimits,
}

impl Application {
    /// Connects to NATS (creating or checking the stream) and PostgreSQL, and binds the
    /// listener from `settings.http_addr`.
    ///
    /// # Errors
    /// When NATS cannot be reached, the stream is unsafe, or the address cannot be bound.
    pub async fn build(settings: &Settings, clock: Clock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.http_addr).await?;
        Self::build_with_listener(settings, clock, listener).await
    }

    /// Like [`Application::build`] on an already-bound listener (port 0 in tests).
    ///
    /// # Errors
    /// As [`Application::build`].
    pub async fn build_with_listener(settings: &Settings, clock: Clock, listener: TcpListener) -> anyhow::Result<Self> {
        let metrics = Metrics::new();
        let store = EventStore::connect(&settings.store, metrics.clone(), NATS_STARTUP_WAIT).await?;
        let read = Arc::new(OnceCell::new());
        let (stop_projectors, shutdown) = watch::channel(false);
        let mut projectors = JoinSet::new();
        projectors.spawn(connect_read_models(settings.clone(), store.clone(), read.clone(), shutdown));
        wait_until_set(&read, READ_MODELS_STARTUP_WAIT).await;
        let bus = CommandBus::new(store, settings.store.cache_capacity, settings.store.command_retries, clock, metrics.clone());
        let state = AppState {
            bus: Arc::new(bus),
            tokens: TokenVerifier::from_settings(&settings.tokens).await?,
            read,
            metrics,
            shutting_down: stop_projectors.subscribe(),
            limits: http::Limits::new(&settings.http),
        };
        Ok(Self { listener, state, projectors, stop_projectors, limits: settings.http })
    }

    /// Where it listens.
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state, for tests that drive the command bus directly.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(mut self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let app = http::router(self.state);
        let stopping = self.stop_projectors.clone();
        let delay = self.limits.shutdown_delay;
        let shutdown = async move {
            shutdown.await;
            // Ends the live streams (they would hold the graceful shutdown forever), lets the
            // projectors finish the batch in hand and commit it, and turns /readyz to 503.
            stopping.send_replace(true);
            if !delay.is_zero() {
                tracing::info!(?delay, "draining: /readyz answers 503 while requests are still served");
                tokio::time::sleep(delay).await;
            }
        };
        let served = crate::serve::serve(self.listener, app, self.limits, shutdown).await;
        self.stop_projectors.send_replace(true);
        while self.projectors.join_next().await.is_some() {}
        served
    }
}

/// Connects the read-model database (retrying until it answers, so that commands work while
/// PostgreSQL is down), then runs the projectors here unless configured off.
async fn connect_read_models(settings: Settings, store: EventStore, read: Arc<OnceCell<ReadModels>>, shutdown: watch::Receiver<bool>) {
    let db = loop {
        match ReadStore::connect(settings.read.database_url.expose(), &settings.read.schema, 16).await {
            Ok(db) => break db,
            Err(e) => {
                tracing::warn!(error = %skp_store::error::chain(&e), "read-model database not reachable; retrying");
                let mut stop = shutdown.clone();
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    };
    let mut set = JoinSet::new();
    if !settings.projectors_in_process {
        let _ = read.set(ReadModels { store: db, status: Default::default(), setup: None });
        return;
    }
    // Served at once: /readyz says how the set-up goes while it is retried.
    let (status, setup) = (readmodels::statuses(), Arc::new(readmodels::Setup::default()));
    let _ = read.set(ReadModels { store: db.clone(), status: status.clone(), setup: Some(setup.clone()) });
    readmodels::set_up_and_spawn(&mut set, &settings, store.client(), &db, &status, &setup, &shutdown, PROJECTION_SETUP_RETRY).await;
    while set.join_next().await.is_some() {}
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
