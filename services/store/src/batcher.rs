//! Group commit (DESIGN.md, decision 9): appends that arrive together go out as one atomic
//! batch (ADR-50, nats-server 2.12 and newer, stream `allow_atomic`).
//!
//! Callers put their message on a queue and wait for their own answer. One writer task takes
//! the first waiting message, waits for a free in-flight slot, then takes everything else
//! that is waiting (no artificial delay; at most [`MAX_BATCH`] messages, at most one per
//! subject) and publishes it: as ordinary appends, all in flight at once, or as one atomic
//! batch. nats-server stages an atomic batch of a file stream in a temporary file store of
//! its own, created, fsynced and removed per batch: about 15-20 ms on a small disk whatever
//! the batch's size. That pays only when the server fsyncs every append anyway
//! (`sync_interval: always`) and enough appends wait; on a server that does not, single
//! appends are far cheaper. So the writer measures both, for groups of at least `min_batch`
//! appends: how long such a group takes as single appends sent together, until the last
//! acknowledgement, and how long as one atomic batch; the next group goes the way that took
//! less time lately. Every [`PROBE_EVERY`]-th group goes the other way, to keep both
//! measurements current. Every message keeps its own `Nats-Expected-Last-Subject-Sequence` and `Nats-Msg-Id`;
//! the server checks each against the stream as it was before the batch and stores all of
//! them or none. The commit's acknowledgement carries the last message's stream sequence,
//! and the batch's messages occupy the sequences just before it, in batch order.
//!
//! A refused batch (one stale expected sequence, a message id already stored) is published
//! again as single appends, all in flight together, so that each caller gets its own answer:
//! the conflicting one its [`StoreError::WrongLastSequence`], the others success. A batch
//! that got no answer answers every caller [`StoreError::Unavailable`], as a single append
//! would: the command bus republishes the identical message, and deduplication tells whether
//! the batch had been stored.
//!
//! The order of one aggregate's appends is the caller's business: the command bus holds the
//! aggregate's lock until its append is answered, so one subject never has two messages
//! waiting in this queue at once; a second one (another bus on the same store) waits for the
//! next batch.

use crate::error::StoreError;
use crate::metrics::Metrics;
use crate::append::{ack_error, Appended};
use async_nats::jetstream::{self, context::Publish};
use async_nats::{HeaderMap, Subject};
use bytes::Bytes;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// The server's limit on the messages of one atomic batch.
pub const MAX_BATCH: usize = 1000;

/// Batches (or lone appends) awaiting their acknowledgement at once. The server allows 50
/// open batches per stream; a few in flight keep the writer busy while one is being flushed.
const IN_FLIGHT: usize = 4;

/// Every this many groups of `min_batch` or more, the choice is reversed once to measure.
pub const PROBE_EVERY: u32 = 32;

/// How many appends may wait in the queue before callers wait to enqueue.
const QUEUE: usize = 4 * MAX_BATCH;

/// One waiting append.
pub(crate) struct Queued {
    pub subject: Subject,
    /// `Skp-*`, `Nats-Msg-Id` and `Nats-Expected-Last-Subject-Sequence`.
    pub headers: HeaderMap,
    pub payload: Bytes,
    pub answer: oneshot::Sender<Result<Appended, StoreError>>,
}

/// The queue's sending end. Cheap to clone; the writer stops when the last one is dropped.
#[derive(Clone, Debug)]
pub(crate) struct Batcher {
    queue: mpsc::Sender<Queued>,
}

impl Batcher {
    /// Starts the writer task on the current runtime.
    /// With `adaptive` off, every group of at least `min_batch` goes out as an atomic batch.
    pub fn start(client: async_nats::Client, js: jetstream::Context, metrics: Metrics, min_batch: usize, adaptive: bool) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let writer = Writer { client, js, metrics, min_batch: min_batch.clamp(2, MAX_BATCH), adaptive, costs: Arc::default() };
        tokio::spawn(write(receiver, writer));
        Self { queue }
    }

    /// Queues one append and waits for its answer.
    pub async fn append(&self, subject: Subject, headers: HeaderMap, payload: Bytes) -> Result<Appended, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Queued { subject, headers, payload, answer })
            .await
            .map_err(|_| StoreError::Closed { what: "an append: the append writer has stopped".into() })?;
        answered.await.map_err(|_| StoreError::Closed { what: "an append: the append writer dropped it".into() })?
    }
}

#[derive(Clone)]
struct Writer {
    client: async_nats::Client,
    js: jetstream::Context,
    metrics: Metrics,
    /// The fewest waiting appends that go out as an atomic batch.
    min_batch: usize,
    /// Choose by measured costs (`SKP_GROUP_COMMIT=on`), or always batch (`always`).
    adaptive: bool,
    costs: Arc<std::sync::Mutex<Costs>>,
}

/// What the two ways have cost lately (exponentially weighted means, seconds).
#[derive(Debug, Default)]
struct Costs {
    /// A group of `min_batch` or more as single appends sent together: from the first send
    /// to the last acknowledgement.
    single: Option<f64>,
    /// One atomic batch, from the first send to the commit's acknowledgement.
    batch: Option<f64>,
    /// Groups of `min_batch` or more since the last probe.
    since_probe: u32,
}

impl Costs {
    fn record(slot: &mut Option<f64>, seconds: f64) {
        *slot = Some(slot.map_or(seconds, |mean| 0.8 * mean + 0.2 * seconds));
    }

    /// Whether the next group of at least `min_batch` goes out as one atomic batch.
    fn batch_pays(&mut self) -> bool {
        let pays = match (self.single, self.batch) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(single), Some(batch)) => batch < single,
        };
        self.since_probe += 1;
        if self.since_probe >= PROBE_EVERY {
            self.since_probe = 0;
            return !pays;
        }
        pays
    }
}

/// What the writer sent for one gathered group.
enum Sent {
    /// Each message on its own.
    Singles(Vec<Result<jetstream::context::PublishAckFuture, StoreError>>),
    /// One atomic batch; the future answers its commit.
    Batch(Result<jetstream::context::PublishAckFuture, StoreError>),
}

async fn write(mut receiver: mpsc::Receiver<Queued>, writer: Writer) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    // A message whose subject was already in the batch being gathered: first of the next.
    let mut held: Option<Queued> = None;
    loop {
        let first = match held.take() {
            Some(queued) => queued,
            None => match receiver.recv().await {
                Some(queued) => queued,
                None => return,
            },
        };
        // Waiting for a slot first lets whatever arrives meanwhile join this batch.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else { return };
        let mut batch = vec![first];
        // Hashes of the batch's subjects: a collision only moves a message to the next batch.
        let mut subjects: HashSet<u64> = HashSet::new();
        subjects.insert(hash(&batch[0].subject));
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(queued) if subjects.contains(&hash(&queued.subject)) => {
                    held = Some(queued);
                    break;
                }
                Ok(queued) => {
                    subjects.insert(hash(&queued.subject));
                    batch.push(queued);
                }
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let as_batch = batch.len() >= writer.min_batch
            && (!writer.adaptive || writer.costs.lock().map(|mut c| c.batch_pays()).unwrap_or(false));
        let sent = if !as_batch {
            let mut sent = Vec::with_capacity(batch.len());
            for queued in &batch {
                writer.metrics.observe_batch(1);
                sent.push(writer.send_single(queued).await);
            }
            Sent::Singles(sent)
        } else {
            writer.metrics.observe_batch(batch.len());
            Sent::Batch(writer.send_batch(&batch).await)
        };
        let writer = writer.clone();
        tokio::spawn(async move {
            writer.settle(batch, sent, started).await;
            drop(slot);
        });
    }
}

fn hash(subject: &Subject) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(subject.as_str())
}

impl Writer {
    /// Publishes one message without batch headers.
    async fn send_single(&self, queued: &Queued) -> Result<jetstream::context::PublishAckFuture, StoreError> {
        let publish = Publish::build().payload(queued.payload.clone()).headers(queued.headers.clone());
        self.js.send_publish(queued.subject.clone(), publish).await.map_err(|e| StoreError::unavailable(format!("append to {}", queued.subject), e))
    }

    /// Publishes the messages as one atomic batch; the future answers the commit.
    async fn send_batch(&self, batch: &[Queued]) -> Result<jetstream::context::PublishAckFuture, StoreError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let last = batch.len() - 1;
        for (index, queued) in batch.iter().enumerate() {
            let mut headers = queued.headers.clone();
            headers.insert("Nats-Batch-Id", id.as_str());
            headers.insert("Nats-Batch-Sequence", (index + 1).to_string());
            if index == last {
                headers.insert("Nats-Batch-Commit", "1");
                let publish = Publish::build().payload(queued.payload.clone()).headers(headers);
                return self.js.send_publish(queued.subject.clone(), publish).await.map_err(|e| StoreError::unavailable("commit of an atomic batch", e));
            }
            self.client
                .publish_with_headers(queued.subject.clone(), headers, queued.payload.clone())
                .await
                .map_err(|e| StoreError::unavailable("publish of an atomic batch", e))?;
        }
        Err(StoreError::Malformed("an empty batch"))
    }

    /// Awaits the acknowledgement and answers every caller of the batch.
    async fn settle(&self, batch: Vec<Queued>, sent: Sent, started: std::time::Instant) {
        let size = batch.len();
        let sent = match sent {
            Sent::Singles(sent) => {
                let mut all_stored = true;
                for (queued, sent) in batch.into_iter().zip(sent) {
                    let answer = single_answer(sent).await;
                    all_stored &= answer.is_ok();
                    let _ = queued.answer.send(answer);
                }
                // Only groups that could have been a batch: a lone append's time is its round
                // trip, not what one more message in a group costs.
                if all_stored && size >= self.min_batch {
                    self.record(|costs| &mut costs.single, started.elapsed().as_secs_f64());
                }
                return;
            }
            Sent::Batch(sent) => sent,
        };
        let acked = match sent {
            Ok(ack) => ack.await.map_err(ack_error),
            Err(e) => Err(e),
        };
        match acked {
            Ok(ack) => {
                self.record(|costs| &mut costs.batch, started.elapsed().as_secs_f64());
                let first = ack.sequence.saturating_sub(batch.len() as u64 - 1);
                for (offset, queued) in (0u64..).zip(batch) {
                    let _ = queued.answer.send(Ok(Appended { stream_seq: first + offset, duplicate: false }));
                }
            }
            Err(unanswered) if unanswered.is_unavailable() => {
                // No answer (timeout, connection lost): the batch may or may not be stored.
                // Each caller hears so, as from a single append, and its command bus
                // publishes the identical message again; the server's deduplication tells.
                for queued in batch {
                    let _ = queued.answer.send(Err(unanswered.clone()));
                }
            }
            Err(refused) => {
                tracing::debug!(size = batch.len(), error = %crate::error::chain(&refused), "atomic batch refused; appending its messages one by one");
                self.metrics.batch_fallback();
                self.fall_back(batch).await;
            }
        }
    }

    fn record(&self, slot: impl FnOnce(&mut Costs) -> &mut Option<f64>, seconds: f64) {
        if let Ok(mut costs) = self.costs.lock() {
            Costs::record(slot(&mut costs), seconds);
        }
    }

    /// Publishes each message of a refused batch as a single append, all in flight at once,
    /// and answers each caller with its own result.
    async fn fall_back(&self, batch: Vec<Queued>) {
        let mut pending = Vec::with_capacity(batch.len());
        for queued in batch {
            let sent = self.send_single(&queued).await;
            pending.push((queued, sent));
        }
        for (queued, sent) in pending {
            let _ = queued.answer.send(single_answer(sent).await);
        }
    }
}

async fn single_answer(sent: Result<jetstream::context::PublishAckFuture, StoreError>) -> Result<Appended, StoreError> {
    let ack = sent?.await.map_err(ack_error)?;
    Ok(Appended { stream_seq: ack.sequence, duplicate: ack.duplicate })
}

#[cfg(test)]
mod tests {
    use super::{Costs, PROBE_EVERY};

    #[test]
    fn a_group_goes_the_way_that_took_less_time_lately_and_the_other_way_is_probed() {
        let mut costs = Costs::default();
        assert!(!costs.batch_pays(), "singles first, to measure them");
        costs.single = Some(0.030);
        assert!(costs.batch_pays(), "then a batch, to measure it");
        costs.batch = Some(0.020);
        costs.since_probe = 0;
        assert!(costs.batch_pays(), "fsynced singles (30 ms a group) take longer than a batch (20 ms)");
        costs.single = Some(0.003);
        assert!(!costs.batch_pays(), "unsynced singles (3 ms a group) are quicker");
        costs.since_probe = PROBE_EVERY - 1;
        assert!(costs.batch_pays(), "every PROBE_EVERY-th group goes the other way");
        assert!(!costs.batch_pays());
    }
}
