//! Connecting to NATS: the URLs of `SKP_NATS_URL`, and a first connection that waits for
//! the server to come up.

use crate::error::StoreError;
use async_nats::connection::State;
use std::time::{Duration, Instant};

/// The servers of a `SKP_NATS_URL`: one URL, or several separated by commas (the nodes of a
/// cluster; the client picks one and fails over to the others).
pub fn server_urls(url: &str) -> Vec<&str> {
    url.split(',').map(str::trim).filter(|u| !u.is_empty()).collect()
}

/// Connects to NATS, trying again until `wait` has passed. Once connected, the client
/// reconnects by itself for as long as the process runs.
///
/// # Errors
/// [`StoreError::TimedOut`] or [`StoreError::Unavailable`] when no connection could be made
/// within `wait`.
pub async fn connect_with_retry(url: &str, wait: Duration) -> Result<async_nats::Client, StoreError> {
    let deadline = Instant::now() + wait;
    loop {
        let options = async_nats::ConnectOptions::new()
            .name("skp")
            .retry_on_initial_connect()
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(2));
        match options.connect(server_urls(url)).await {
            Ok(client) => {
                if wait_connected(&client, deadline).await {
                    return Ok(client);
                }
                return Err(StoreError::TimedOut { what: format!("connecting to {url}"), after: wait });
            }
            Err(e) if Instant::now() < deadline => {
                tracing::warn!(error = %e, url, "NATS not reachable yet");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(StoreError::unavailable(format!("connecting to {url}"), e)),
        }
    }
}

async fn wait_connected(client: &async_nats::Client, deadline: Instant) -> bool {
    let poll = Duration::from_millis(20);
    while client.connection_state() != State::Connected {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(poll).await;
    }
    true
}

