//! The event store on NATS JetStream: appends and direct reads of one aggregate.
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

use crate::append::{ack_error, Append, Appended};
use crate::batcher::Batcher;
use crate::config::{GroupCommit, StoreSettings};
use crate::connect::connect_with_retry;
use crate::direct::{self, RawEvent, ReadLimits};
use crate::error::StoreError;
use crate::metrics::Metrics;
use crate::stream;
use async_nats::connection::State;
use async_nats::jetstream::{self, context::Publish};
use async_nats::HeaderMap;
use bytes::Bytes;
use skp_events::subject::Subjects;
use std::time::{Duration, Instant};
use tracing::instrument;

pub use crate::direct::{COMMAND_HEADER, DIGEST_HEADER};

/// Handle to the event stream. Cheap to clone.
#[derive(Clone, Debug)]
pub struct EventStore {
    client: async_nats::Client,
    js: jetstream::Context,
    stream: String,
    subjects: Subjects,
    batched_get: Option<direct::ReadLimits>,
    timeout: Duration,
    metrics: Metrics,
    batcher: Option<Batcher>,
}

impl EventStore {
    /// Connects to NATS, creates the stream if missing or checks it if present.
    ///
    /// # Errors
    /// [`StoreError`] when NATS cannot be reached within `wait`;
    /// [`StoreError::UnsafeStream`] when the stream exists with unsafe settings.
    pub async fn connect(settings: &StoreSettings, metrics: Metrics, wait: Duration) -> Result<Self, StoreError> {
        let client = connect_with_retry(&settings.nats_url, &settings.nats_auth, wait).await?;
        Self::with_client(client, settings, metrics).await
    }

    /// Like [`EventStore::connect`] with an existing client.
    ///
    /// # Errors
    /// As [`EventStore::connect`].
    pub async fn with_client(client: async_nats::Client, settings: &StoreSettings, metrics: Metrics) -> Result<Self, StoreError> {
        let mut js = jetstream::new(client.clone());
        js.set_timeout(settings.append_timeout);
        let subjects = Subjects::new(settings.subject_prefix.clone());
        stream::ensure(&js, &settings.stream, &subjects, settings.replicas).await?;
        let version = client.server_info().version;
        let batched_get = server_at_least(&version, (2, 11)).then(direct::ReadLimits::default);
        let wanted = settings.group_commit != GroupCommit::Off;
        let atomic = wanted && server_at_least(&version, (2, 12)) && stream::allow_atomic(&client, &settings.stream).await?;
        let adaptive = settings.group_commit == GroupCommit::Adaptive;
        let batcher = atomic.then(|| Batcher::start(client.clone(), js.clone(), metrics.clone(), settings.group_commit_min_batch, adaptive));
        tracing::info!(stream = %settings.stream, batched_get = batched_get.is_some(), group_commit = atomic, server = %version, "event store ready");
        Ok(Self { client, js, stream: settings.stream.clone(), subjects, batched_get, timeout: settings.append_timeout, metrics, batcher })
    }

    /// Sets how much one batched direct get asks for (nats-server 2.11 and newer; older
    /// servers are read one message per request whatever this says). Every read still reads
    /// a subject whole; smaller batches only take more requests. For tests and tuning.
    pub fn set_read_limits(&mut self, limits: ReadLimits) {
        if self.batched_get.is_some() {
            self.batched_get = Some(limits);
        }
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
            Err(StoreError::NotConnected)
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
        if let Some(command) = append.command {
            headers.insert(COMMAND_HEADER, command);
        }
        if let Some(digest) = append.digest {
            headers.insert(DIGEST_HEADER, digest);
        }
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
            .map_err(|e| StoreError::unavailable(format!("append to {subject}"), e))?
            .await
            .map_err(ack_error)?;
        Ok(Appended { stream_seq: ack.sequence, duplicate: ack.duplicate })
    }

    /// The stored messages of `subject` after stream sequence `after` (0 for all), in order.
    ///
    /// # Errors
    /// [`StoreError`] when NATS does not answer in time or a stored message is malformed.
    #[instrument(skip_all, fields(subject = subject, after), err(level = "debug"))]
    pub async fn load_after(&self, subject: &str, after: u64) -> Result<Vec<RawEvent>, StoreError> {
        self.ensure_connected()?;
        let fetch = direct::fetch_after(&self.client, &self.stream, subject, after, self.batched_get);
        tokio::time::timeout(self.timeout, fetch)
            .await
            .map_err(|_| StoreError::TimedOut { what: format!("loading {subject}"), after: self.timeout })?
    }

    /// The stream's last sequence, for readiness and lag.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when NATS does not answer.
    pub async fn last_sequence(&self) -> Result<u64, StoreError> {
        stream::last_sequence(&self.js, &self.stream).await
    }

    /// The JetStream context of this store's connection.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
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
