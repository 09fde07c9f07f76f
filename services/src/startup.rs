//! Building the application from settings and running it until a shutdown signal.

use crate::api::{self, auth::TokenVerifier, AppState};
use crate::clock::Clock;
use crate::commands::CommandBus;
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::store::EventStore;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long the API waits for NATS at start-up before giving up.
const NATS_STARTUP_WAIT: Duration = Duration::from_secs(30);

/// A built application, bound to its listener, not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
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
        let db = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(3))
            .connect_lazy(settings.database_url.expose())
            .map_err(|e| tracing::warn!(error = %e, "SKP_DATABASE_URL unusable; readiness will report postgres down"))
            .ok();
        let bus = CommandBus::new(store, settings.store.cache_capacity, settings.store.command_retries, clock, metrics.clone());
        let state = AppState { bus: Arc::new(bus), tokens: TokenVerifier::new(settings.jwt_secret.expose().as_bytes()), db, metrics };
        Ok(Self { listener, state })
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
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let app = api::router(self.state);
        axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await
    }
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
