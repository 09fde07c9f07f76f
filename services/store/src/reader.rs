//! The one way SKP reads the stream in order: a pull consumer from a stream sequence on,
//! fetched in batches. [`StreamReader`] is that consumer, ephemeral (inspection, rebuilds)
//! or durable (the projectors, which acknowledge what they committed); [`read_range`] reads
//! "from sequence N up to a sequence" with it, fetching the next batch while the caller
//! works on the one in hand, and deletes its consumer when done.

use crate::error::{boxed, StoreError};
use async_nats::jetstream::consumer::{pull, AckPolicy, Consumer, DeliverPolicy};
use async_nats::jetstream::{self, Context};
use bytes::Bytes;
use futures::StreamExt;
use std::future::Future;
use std::time::Duration;

/// How many empty fetches in a row [`read_range`] accepts before it calls the stream stalled.
const EMPTY_FETCHES: u32 = 10;

/// One message as stored, with what the server said of it.
#[derive(Debug)]
pub struct StreamMessage {
    /// The message's stream sequence.
    pub seq: u64,
    /// Messages matching the reader's filter after this one, as the server counted them.
    pub pending: u64,
    /// The subject it was stored on.
    pub subject: String,
    /// The body as stored.
    pub body: Bytes,
    message: jetstream::Message,
}

impl StreamMessage {
    /// Acknowledges this message and every one before it (a durable reader acknowledges all
    /// up to a sequence).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the acknowledgement could not be sent.
    pub async fn ack(&self) -> Result<(), StoreError> {
        self.message.ack().await.map_err(|e| StoreError::Unavailable { what: format!("acknowledging stream sequence {}", self.seq), source: boxed(e) })
    }
}

/// Where a reader starts and what it reads.
#[derive(Debug, Clone)]
pub struct ReadFrom {
    /// The stream.
    pub stream: String,
    /// The subjects to read (`skp.events.>`, one aggregate's subject); empty for all.
    pub filter: String,
    /// The first stream sequence to read (1 for all).
    pub start: u64,
    /// Messages per fetch.
    pub batch: usize,
    /// How long one fetch waits for messages.
    pub wait: Duration,
}

/// A pull consumer read batch by batch.
pub struct StreamReader {
    js: Context,
    consumer: Consumer<pull::Config>,
    from: ReadFrom,
    durable: bool,
}

impl std::fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamReader").field("from", &self.from).field("durable", &self.durable).finish()
    }
}

impl StreamReader {
    /// An ephemeral reader that acknowledges nothing; [`StreamReader::close`] deletes it, and
    /// the server does after a minute without a fetch.
    ///
    /// # Errors
    /// [`StoreError::Stream`] when the stream or consumer cannot be opened.
    pub async fn ephemeral(js: &Context, from: ReadFrom) -> Result<Self, StoreError> {
        let config = pull::Config {
            deliver_policy: DeliverPolicy::ByStartSequence { start_sequence: from.start.max(1) },
            ack_policy: AckPolicy::None,
            filter_subject: from.filter.clone(),
            inactive_threshold: Duration::from_secs(60),
            description: Some("skp reader (ephemeral)".into()),
            ..Default::default()
        };
        Self::create(js, from, config, false).await
    }

    /// A durable reader named `name` that acknowledges all up to a sequence: any consumer of
    /// that name is deleted first, so that it starts at `from.start` whatever it had reached.
    ///
    /// # Errors
    /// [`StoreError::Stream`] when the stream or consumer cannot be opened.
    pub async fn durable(js: &Context, name: &str, from: ReadFrom) -> Result<Self, StoreError> {
        let stream = js.get_stream(&from.stream).await.map_err(|e| StoreError::stream(&from.stream, "opening it", e))?;
        let _ = stream.delete_consumer(name).await;
        let config = pull::Config {
            durable_name: Some(name.to_owned()),
            deliver_policy: DeliverPolicy::ByStartSequence { start_sequence: from.start.max(1) },
            ack_policy: AckPolicy::All,
            ack_wait: Duration::from_secs(30),
            filter_subject: from.filter.clone(),
            max_ack_pending: 100_000,
            ..Default::default()
        };
        Self::create(js, from, config, true).await
    }

    async fn create(js: &Context, from: ReadFrom, config: pull::Config, durable: bool) -> Result<Self, StoreError> {
        let stream = js.get_stream(&from.stream).await.map_err(|e| StoreError::stream(&from.stream, "opening it", e))?;
        let consumer = stream.create_consumer(config).await.map_err(|e| StoreError::stream(&from.stream, "creating a consumer", e))?;
        Ok(Self { js: js.clone(), consumer, from, durable })
    }

    /// How many messages matching the filter are still to be read.
    ///
    /// # Errors
    /// [`StoreError::Stream`] when the server does not answer.
    pub async fn pending(&mut self) -> Result<u64, StoreError> {
        let info = self.consumer.info().await.map_err(|e| StoreError::stream(&self.from.stream, "reading its consumer", e))?;
        Ok(info.num_pending)
    }

    /// The next messages in stream order: at most `batch`, waiting up to `wait` for them;
    /// empty when none came. A fetch that the server never ends (a pull lost while it
    /// restarted) is cut off after twice `wait`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the fetch cannot be sent.
    pub async fn next_batch(&self) -> Result<Vec<StreamMessage>, StoreError> {
        let what = || format!("fetching from stream {}", self.from.stream);
        let fetch = self.consumer.fetch().max_messages(self.from.batch).expires(self.from.wait).messages();
        let mut batch = fetch.await.map_err(|e| StoreError::unavailable(what(), e))?;
        let mut messages = Vec::with_capacity(self.from.batch);
        let collect = async {
            while let Some(message) = batch.next().await {
                match message {
                    Ok(message) => match message.info() {
                        Ok(info) => {
                            let (seq, pending) = (info.stream_sequence, info.pending);
                            let (subject, body) = (message.subject.to_string(), message.payload.clone());
                            messages.push(StreamMessage { seq, pending, subject, body, message });
                        }
                        Err(e) => tracing::warn!(error = %e, "a fetched message without JetStream metadata; skipped"),
                    },
                    Err(e) => tracing::debug!(error = %e, "fetch ended early"),
                }
            }
        };
        if tokio::time::timeout(self.from.wait * 2 + Duration::from_secs(1), collect).await.is_err() {
            tracing::debug!(stream = %self.from.stream, "fetch did not end in time");
        }
        Ok(messages)
    }

    /// Deletes an ephemeral reader's consumer (a durable one stays for the next run).
    pub async fn close(self) {
        if self.durable {
            return;
        }
        if let Ok(stream) = self.js.get_stream(&self.from.stream).await {
            let _ = stream.delete_consumer(&self.consumer.cached_info().name).await;
        }
    }
}

/// Reads the messages of `from` up to stream sequence `until` (inclusive), in order, batch
/// by batch: each batch is turned into items by `decode`, and the next batch is fetched
/// and decoded while `apply` works on the one before. Stops early when no more messages
/// match the filter. Returns the last sequence read (`from.start - 1` when none).
///
/// # Errors
/// What `decode` or `apply` returned, or a [`StoreError`] (converted) when the stream cannot
/// be read or stops delivering before `until`.
pub async fn read_range<T, E, D, F, Fut>(js: &Context, from: ReadFrom, until: u64, decode: D, mut apply: F) -> Result<u64, E>
where
    E: From<StoreError>,
    D: Fn(StreamMessage) -> Result<T, E>,
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let mut reached = from.start.saturating_sub(1);
    if reached >= until {
        return Ok(reached);
    }
    let mut reader = StreamReader::ephemeral(js, from).await?;
    let result = async {
        if reader.pending().await? == 0 {
            return Ok(reached);
        }
        let mut fetched = fetch(&reader, until, &decode).await?;
        let mut empty = 0;
        loop {
            let Fetched { items, last, done } = std::mem::take(&mut fetched);
            let Some(last) = last else {
                if done {
                    return Ok(reached);
                }
                empty += 1;
                if empty >= EMPTY_FETCHES {
                    return Err(StoreError::Stalled { stream: reader.from.stream.clone(), reached, head: until }.into());
                }
                fetched = fetch(&reader, until, &decode).await?;
                continue;
            };
            empty = 0;
            reached = last;
            if done {
                apply(items).await?;
                return Ok(reached);
            }
            ((), fetched) = tokio::try_join!(apply(items), fetch(&reader, until, &decode))?;
        }
    }
    .await;
    reader.close().await;
    result
}

/// The next batch of `reader` up to `until`, decoded.
async fn fetch<T, E, D>(reader: &StreamReader, until: u64, decode: &D) -> Result<Fetched<T>, E>
where
    E: From<StoreError>,
    D: Fn(StreamMessage) -> Result<T, E>,
{
    let messages = reader.next_batch().await?;
    let mut done = false;
    let mut items = Vec::with_capacity(messages.len());
    let mut last = None;
    for message in messages {
        if message.seq > until {
            done = true;
            break;
        }
        done = message.pending == 0 || message.seq == until;
        last = Some(message.seq);
        items.push(decode(message)?);
    }
    Ok(Fetched { items, last, done })
}

/// One decoded batch of [`read_range`].
struct Fetched<T> {
    items: Vec<T>,
    /// The last sequence in it.
    last: Option<u64>,
    /// Nothing more to read after it.
    done: bool,
}

impl<T> Default for Fetched<T> {
    fn default() -> Self {
        Self { items: Vec::new(), last: None, done: false }
    }
}
