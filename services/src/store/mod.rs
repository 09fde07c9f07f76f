//! The event store on NATS JetStream.
//!
//! One stream (`SKP_EVENTS` by default) holds every event, one subject per aggregate. An
//! append is one message carrying `Nats-Expected-Last-Subject-Sequence` (optimistic
//! concurrency per aggregate) and `Nats-Msg-Id` (deduplication). An aggregate is loaded by
//! direct gets on its subject: one batched request on nats-server 2.11 and newer, one request
//! per event on older servers.
//!
//! With group commit on (`SKP_GROUP_COMMIT`, the default) and a server that has atomic batch
//! publish (nats-server 2.12 and newer), appends that arrive together go out as one atomic
//! batch (see the `batcher` module); otherwise each append is its own publish.

mod batcher;
mod direct;
mod stream;

use crate::config::{GroupCommit, StoreSettings};
use async_nats::connection::State;
use async_nats::jetstream::{self, context::Publish, context::PublishError, context::PublishErrorKind};
use async_nats::HeaderMap;
use batcher::Batcher;
use bytes::Bytes;
use skp_events::subject::Subjects;
use std::time::{Duration, Instant};
use tracing::instrument;

pub use direct::RawEvent;

/// Why the event store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// NATS is out of reach or did not answer in time. HTTP 503 with `Retry-After`.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
    /// The aggregate's subject moved past the expected sequence (a concurrent write).
    #[error("wrong last subject sequence")]
    WrongLastSequence,
    /// The stream exists with settings SKP must not run with, or refused an append for a
    /// reason other than concurrency. HTTP 500.
    #[error("event stream: {0}")]
    Stream(String),
}

/// An acknowledged append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The message's stream sequence.
    pub stream_seq: u64,
    /// The server recognised the message id from an earlier publish: nothing new was stored.
    pub duplicate: bool,
}

/// One message to append.
#[derive(Debug)]
pub struct Append<'a> {
    /// The aggregate's subject.
    pub subject: &'a str,
    /// The envelope, canonical JSON.
    pub body: Bytes,
    /// `Skp-Event-Type`.
    pub event_type: &'a str,
    /// `Skp-Schema-Version`.
    pub schema_version: u32,
    /// `Nats-Msg-Id`.
    pub message_id: &'a str,
    /// `Nats-Expected-Last-Subject-Sequence`: 0 when the subject must be empty.
    pub expected_last_subject_seq: u64,
}

/// Handle to the event stream. Cheap to clone.
#[derive(Clone, Debug)]
pub struct EventStore {
    client: async_nats::Client,
    js: jetstream::Context,
    stream: String,
    subjects: Subjects,
    batched_get: bool,
    timeout: Duration,
    metrics: crate::metrics::Metrics,
    batcher: Option<Batcher>,
}

impl EventStore {
    /// Connects to NATS, creates the stream if missing or checks it if present.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when NATS cannot be reached within `wait`;
    /// [`StoreError::Stream`] when the stream exists with unsafe settings.
    pub async fn connect(settings: &StoreSettings, metrics: crate::metrics::Metrics, wait: Duration) -> Result<Self, StoreError> {
        let client = connect_with_retry(&settings.nats_url, wait).await?;
        Self::with_client(client, settings, metrics).await
    }

    /// Like [`EventStore::connect`] with an existing client.
    ///
    /// # Errors
    /// As [`EventStore::connect`].
    pub async fn with_client(client: async_nats::Client, settings: &StoreSettings, metrics: crate::metrics::Metrics) -> Result<Self, StoreError> {
        let mut js = jetstream::new(client.clone());
        js.set_timeout(settings.append_timeout);
        let subjects = Subjects::new(settings.subject_prefix.clone());
        stream::ensure(&js, &settings.stream, &subjects, settings.replicas).await?;
        let version = client.server_info().version;
        let batched_get = server_at_least(&version, (2, 11));
        let wanted = settings.group_commit != GroupCommit::Off;
        let atomic = wanted && server_at_least(&version, (2, 12)) && stream::allow_atomic(&client, &settings.stream).await?;
        let adaptive = settings.group_commit == GroupCommit::Adaptive;
        let batcher = atomic.then(|| Batcher::start(client.clone(), js.clone(), metrics.clone(), settings.group_commit_min_batch, adaptive));
        tracing::info!(stream = %settings.stream, batched_get, group_commit = atomic, server = %version, "event store ready");
        Ok(Self { client, js, stream: settings.stream.clone(), subjects, batched_get, timeout: settings.append_timeout, metrics, batcher })
    }

    /// Whether appends go out in atomic batches (group commit on, and supported).
    pub fn group_commit(&self) -> bool {
        self.batcher.is_some()
    }

    /// The subject names of this store.
    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    /// The stream's name.
    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    /// The NATS client, for other parts of the process (live subjects, readiness).
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Whether the connection to NATS is up right now.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == State::Connected
    }

    fn ensure_connected(&self) -> Result<(), StoreError> {
        if self.is_connected() {
            Ok(())
        } else {
            Err(StoreError::Unavailable("not connected to NATS".into()))
        }
    }

    /// Appends one message with its expected last subject sequence and message id.
    ///
    /// # Errors
    /// [`StoreError::WrongLastSequence`] on a concurrent write (or, on nats-server 2.15, the
    /// retry of an append whose acknowledgement was lost); [`StoreError::Unavailable`] when
    /// NATS is down or the acknowledgement did not arrive in time: the append may or may not
    /// have been stored, and the caller must reload before answering.
    #[instrument(skip_all, fields(subject = append.subject, event_type = append.event_type), err(level = "debug"))]
    pub async fn append(&self, append: Append<'_>) -> Result<Appended, StoreError> {
        self.ensure_connected()?;
        let started = Instant::now();
        let mut headers = HeaderMap::new();
        headers.insert("Skp-Event-Type", append.event_type);
        headers.insert("Skp-Schema-Version", append.schema_version.to_string());
        headers.insert("Nats-Msg-Id", append.message_id);
        headers.insert("Nats-Expected-Last-Subject-Sequence", append.expected_last_subject_seq.to_string());
        let result = match &self.batcher {
            Some(batcher) => batcher.append(append.subject.into(), headers, append.body).await,
            None => self.publish(append.subject, headers, append.body).await,
        };
        self.metrics.observe_append(started.elapsed());
        result
    }

    async fn publish(&self, subject: &str, headers: HeaderMap, body: Bytes) -> Result<Appended, StoreError> {
        let publish = Publish::build().payload(body).headers(headers);
        let ack = self
            .js
            .send_publish(subject.to_owned(), publish)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .await
            .map_err(ack_error)?;
        Ok(Appended { stream_seq: ack.sequence, duplicate: ack.duplicate })
    }

    /// The stored messages of `subject` after stream sequence `after` (0 for all), in order.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when NATS does not answer.
    #[instrument(skip_all, fields(subject = subject, after), err(level = "debug"))]
    pub async fn load_after(&self, subject: &str, after: u64) -> Result<Vec<RawEvent>, StoreError> {
        self.ensure_connected()?;
        let fetch = direct::fetch_after(&self.client, &self.stream, subject, after, self.batched_get);
        tokio::time::timeout(self.timeout, fetch)
            .await
            .map_err(|_| StoreError::Unavailable(format!("no answer loading {subject} within {:?}", self.timeout)))?
    }

    /// The stream's last sequence, for readiness and lag.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when NATS does not answer.
    pub async fn last_sequence(&self) -> Result<u64, StoreError> {
        let mut stream = self.js.get_stream(&self.stream).await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let info = stream.info().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(info.state.last_sequence)
    }
}

/// The servers of a `SKP_NATS_URL`: one URL, or several separated by commas (the nodes of a
/// cluster; the client picks one and fails over to the others).
pub fn server_urls(url: &str) -> Vec<&str> {
    url.split(',').map(str::trim).filter(|u| !u.is_empty()).collect()
}

/// Connects to NATS, trying again until `wait` has passed. Once connected, the client
/// reconnects by itself for as long as the process runs.
///
/// # Errors
/// [`StoreError::Unavailable`] when no connection could be made within `wait`.
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
                return Err(StoreError::Unavailable(format!("NATS at {url} did not answer within {wait:?}")));
            }
            Err(e) if Instant::now() < deadline => {
                tracing::warn!(error = %e, url, "NATS not reachable yet");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(StoreError::Unavailable(format!("NATS at {url}: {e}"))),
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

/// What a refused or unanswered publish means for the caller.
fn ack_error(e: PublishError) -> StoreError {
    match e.kind() {
        PublishErrorKind::WrongLastSequence => StoreError::WrongLastSequence,
        PublishErrorKind::TimedOut | PublishErrorKind::BrokenPipe | PublishErrorKind::StreamNotFound => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Stream(format!("append refused: {e}: {:?}", std::error::Error::source(&e))),
    }
}

fn server_at_least(version: &str, (major, minor): (u64, u64)) -> bool {
    let mut parts = version.trim_start_matches('v').split(['.', '-']).map(|p| p.parse::<u64>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}

#[cfg(test)]
mod tests {
    use super::server_at_least;

    #[test]
    fn server_versions_compare_by_major_and_minor() {
        assert!(!server_at_least("2.9.10", (2, 11)));
        assert!(server_at_least("2.11.0", (2, 11)));
        assert!(server_at_least("v2.15.1", (2, 11)));
        assert!(server_at_least("3.0.0-beta", (2, 11)));
    }
}
