//! Connecting to NATS: the URLs of `SKP_NATS_URL`, the credential and TLS of
//! [`NatsAuth`](crate::nats::NatsAuth), and a first connection that waits for the server to
//! come up but fails at once on what waiting cannot fix (a refused credential, a TLS failure).

use crate::error::StoreError;
use crate::nats::{redact, NatsAuth};
use async_nats::connection::State;
use async_nats::ConnectErrorKind;
use std::time::{Duration, Instant};

/// The servers of a `SKP_NATS_URL`: one URL, or several separated by commas (the nodes of a
/// cluster; the client picks one and fails over to the others).
pub fn server_urls(url: &str) -> Vec<&str> {
    url.split(',').map(str::trim).filter(|u| !u.is_empty()).collect()
}

/// Connects to NATS with `auth`, trying again until `wait` has passed while the server is
/// out of reach. Once connected, the client reconnects by itself for as long as the process
/// runs.
///
/// # Errors
/// [`StoreError::Refused`]-like [`StoreError::Connect`] at once when the server refuses the
/// credential or TLS fails; [`StoreError::TimedOut`] or [`StoreError::Unavailable`] when no
/// connection could be made within `wait`.
pub async fn connect_with_retry(url: &str, auth: &NatsAuth, wait: Duration) -> Result<async_nats::Client, StoreError> {
    let deadline = Instant::now() + wait;
    let shown = redact(url);
    loop {
        let options = auth
            .options()
            .await
            .map_err(|e| StoreError::Connect { url: shown.clone(), what: "reading the NATS credentials", source: crate::error::cause(e) })?
            .name("skp")
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(2));
        match options.connect(server_urls(url)).await {
            Ok(client) => {
                if wait_connected(&client, deadline).await {
                    tracing::info!(url = %shown, credential = auth.credential.kind(), tls = auth.tls.required, "connected to NATS");
                    return Ok(client);
                }
                return Err(StoreError::TimedOut { what: format!("connecting to {shown}"), after: wait });
            }
            Err(e) if matches!(e.kind(), ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication) => {
                return Err(StoreError::Connect { url: shown, what: "the server refused the credential (check SKP_NATS_CREDS, SKP_NATS_NKEY_SEED, SKP_NATS_USER/SKP_NATS_PASSWORD or SKP_NATS_TOKEN)", source: crate::error::cause(e) });
            }
            Err(e) if e.kind() == ConnectErrorKind::Tls || tls_refused(&e) => {
                return Err(StoreError::Connect { url: shown, what: "TLS failed (check SKP_NATS_TLS_CA, SKP_NATS_TLS_CERT and SKP_NATS_TLS_KEY)", source: crate::error::cause(e) });
            }
            Err(e) if Instant::now() < deadline => {
                tracing::warn!(error = %e, url = %shown, "NATS not reachable yet");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(StoreError::unavailable(format!("connecting to {shown}"), e)),
        }
    }
}

/// A TLS handshake the server refused (it wanted a client certificate, or did not trust
/// ours), which the client library reports as an I/O error: waiting does not fix it.
fn tls_refused(error: &async_nats::ConnectError) -> bool {
    let text = error.to_string().to_ascii_lowercase();
    error.kind() == ConnectErrorKind::Io && (text.contains("alert") || text.contains("certificate") || text.contains("handshake"))
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
