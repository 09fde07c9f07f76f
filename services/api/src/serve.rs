//! Serving HTTP/1.1 with limits, so that nothing a client opens is unbounded:
//!
//! - at most `SKP_HTTP_MAX_CONNECTIONS` connections at once (more wait in the listen backlog);
//! - a request's head must arrive within `SKP_HTTP_HEADER_TIMEOUT_S`, or the connection
//!   closes (a half-sent request holds nothing for long);
//! - every request but a live stream answers within `SKP_HTTP_REQUEST_TIMEOUT_S`
//!   (`503 request_timeout`; [`request_timeout`]), and each process serves at most
//!   `SKP_SSE_MAX_CLIENTS` live streams ([`crate::http::Limits`]);
//! - on shutdown, no new connection is accepted, idle ones close, requests in flight finish,
//!   and whatever is still open after `SKP_DRAIN_TIMEOUT_S` is cut: the process always exits
//!   (before that, `SKP_SHUTDOWN_DELAY_S` of serving with `/readyz` at 503 `draining`).

use crate::http::error::ApiError;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use skp_store::config::{parse, ConfigError};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// The HTTP limits (`SKP_HTTP_*`, `SKP_SSE_MAX_CLIENTS`, `SKP_DRAIN_TIMEOUT_S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// How long a request's head may take to arrive (default 10 s).
    pub header_read_timeout: Duration,
    /// How long a request other than a live stream may take (default 30 s).
    pub request_timeout: Duration,
    /// Connections served at once (default 1024).
    pub max_connections: usize,
    /// Live streams (SSE) served at once by this process (default 256).
    pub sse_max_clients: usize,
    /// How long shutdown waits for open connections before cutting them (default 20 s).
    pub drain_timeout: Duration,
    /// How long a read-model query waits for `?min_sequence=` (`SKP_MIN_SEQUENCE_WAIT_MS`,
    /// default 5000).
    pub min_sequence_wait: Duration,
    /// How long the process goes on serving after SIGTERM with `/readyz` answering 503
    /// `draining`, so that a load balancer stops sending before connections are refused
    /// (`SKP_SHUTDOWN_DELAY_S`, default 0).
    pub shutdown_delay: Duration,
}

impl HttpLimits {
    /// Reads the limits through `lookup`.
    ///
    /// # Errors
    /// [`ConfigError`] naming a malformed or zero value.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let number = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            let value: u64 = parse(name, &lookup(name).unwrap_or_else(|| default.to_string()))?;
            if value == 0 {
                return Err(ConfigError { name, problem: "must be at least 1".into() });
            }
            Ok(value)
        };
        Ok(Self {
            header_read_timeout: Duration::from_secs(number("SKP_HTTP_HEADER_TIMEOUT_S", 10)?),
            request_timeout: Duration::from_secs(number("SKP_HTTP_REQUEST_TIMEOUT_S", 30)?),
            max_connections: usize::try_from(number("SKP_HTTP_MAX_CONNECTIONS", 1024)?).unwrap_or(usize::MAX),
            sse_max_clients: usize::try_from(number("SKP_SSE_MAX_CLIENTS", 256)?).unwrap_or(usize::MAX),
            drain_timeout: Duration::from_secs(number("SKP_DRAIN_TIMEOUT_S", 20)?),
            min_sequence_wait: Duration::from_millis(number("SKP_MIN_SEQUENCE_WAIT_MS", 5000)?),
            shutdown_delay: Duration::from_secs(parse("SKP_SHUTDOWN_DELAY_S", &lookup("SKP_SHUTDOWN_DELAY_S").unwrap_or_else(|| "0".into()))?),
        })
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self::from_lookup(&|_| None).unwrap_or(Self {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            sse_max_clients: 256,
            drain_timeout: Duration::from_secs(20),
            min_sequence_wait: Duration::from_secs(5),
            shutdown_delay: Duration::ZERO,
        })
    }
}

/// Whether a route is a live stream (its path ends in `/stream`): exempt from the request
/// timeout, bounded by the live-stream cap and its token's expiry instead.
pub fn is_live_route(path: &str) -> bool {
    path.ends_with("/stream")
}

/// Middleware: answers `503 request_timeout` when a request (other than a live stream) takes
/// longer than `limit`.
pub async fn request_timeout(limit: Duration, request: Request, next: Next) -> Response {
    let live = request.extensions().get::<MatchedPath>().is_some_and(|p| is_live_route(p.as_str()));
    if live {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimeout(limit).into_response(),
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes, then drains.
///
/// # Errors
/// Never for a single connection's failure (logged); only when accepting fails for good.
pub async fn serve(listener: TcpListener, router: Router, limits: HttpLimits, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, close) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // A free slot first: beyond the cap, connections wait in the kernel's backlog.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        let service = TowerToHyperService::new(router.clone());
        let mut close = close.clone();
        let header_timeout = limits.header_read_timeout;
        connections.spawn(async move {
            let _slot = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let closing = async move {
                let _ = close.wait_for(|c| *c).await;
            };
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = closing => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    closing.send_replace(true);
    let drained = tokio::time::timeout(limits.drain_timeout, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(open = connections.len(), after = ?limits.drain_timeout, "connections still open at the drain timeout; closing them");
        connections.shutdown().await;
    }
    Ok(())
}
