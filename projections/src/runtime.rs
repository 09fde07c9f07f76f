//! The projector runtime: one named projector per read model, each on its own durable
//! JetStream consumer (`skp_proj_<name>`, acknowledging all up to a sequence).
//!
//! A batch is decoded (an undecodable event stops the projector, naming its sequence), then in
//! one PostgreSQL transaction: the serving generation and its checkpoint are locked, events
//! at or below the checkpoint are skipped, the rest applied, the checkpoint moved; commit;
//! then the last message is acked. Killed at any instant, the projector resumes from its
//! checkpoint (the consumer is re-created to start right after it), and the read model
//! equals a rebuild from scratch.

use crate::decoded::DecodedEvents;
use crate::error::ProjectionError;
use crate::event::StoredEvent;
#[cfg(feature = "testing")]
use crate::fault::{Fault, FaultPoint};
use crate::projection::Projection;
use crate::store::{Generation, ReadStore};
use async_nats::jetstream;
use skp_store::reader::{ReadFrom, StreamMessage, StreamReader};
use sqlx::{Connection, PgConnection};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// How long a projector may receive nothing while the stream is ahead of it before it
/// re-creates its consumer.
pub const STALL_AFTER: Duration = Duration::from_secs(2);

/// Where a projector reads from and how much at a time.
#[derive(Debug, Clone)]
pub struct ProjectorSettings {
    /// The event stream.
    pub stream: String,
    /// The subjects it captures, e.g. `skp.events.>`.
    pub filter_subject: String,
    /// Messages per fetch.
    pub batch: usize,
    /// How long a fetch waits for messages.
    pub fetch_wait: Duration,
    /// How long to let events gather after a batch that was not full, before the next
    /// fetch; zero fetches again at once.
    pub linger: Duration,
}

impl ProjectorSettings {
    /// Reading from stream sequence `start` on.
    pub fn read_from(&self, start: u64) -> ReadFrom {
        ReadFrom { stream: self.stream.clone(), filter: self.filter_subject.clone(), start, batch: self.batch, wait: self.fetch_wait }
    }
}

/// A projector's progress, shared with readiness, metrics and `?min_sequence=` waits.
#[derive(Debug)]
pub struct ProjectorStatus {
    /// The projector's name.
    pub name: &'static str,
    checkpoint: watch::Sender<u64>,
    stream_last: AtomicU64,
    error: Mutex<Option<String>>,
}

impl ProjectorStatus {
    /// A fresh status for the projector `name`.
    pub fn new(name: &'static str) -> Self {
        Self { name, checkpoint: watch::Sender::new(0), stream_last: AtomicU64::new(0), error: Mutex::new(None) }
    }

    /// The last stream sequence applied.
    pub fn checkpoint(&self) -> u64 {
        *self.checkpoint.borrow()
    }

    /// Stream last sequence minus checkpoint, as last seen.
    pub fn lag(&self) -> u64 {
        self.stream_last.load(Ordering::Relaxed).saturating_sub(self.checkpoint())
    }

    /// Why the projector stopped, if it did.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Waits until the checkpoint reaches `sequence` or `timeout` passes; returns the
    /// checkpoint reached.
    pub async fn wait_for(&self, sequence: u64, timeout: Duration) -> u64 {
        let mut receiver = self.checkpoint.subscribe();
        let reached = tokio::time::timeout(timeout, receiver.wait_for(|c| *c >= sequence)).await;
        match reached {
            Ok(Ok(c)) => *c,
            _ => self.checkpoint(),
        }
    }

    /// Records a checkpoint (also used by rebuilds that swap a generation in).
    pub fn set_checkpoint(&self, sequence: u64) {
        self.checkpoint.send_replace(sequence);
    }
}

/// One running read model.
pub struct Projector {
    projection: Arc<dyn Projection>,
    store: ReadStore,
    js: jetstream::Context,
    settings: ProjectorSettings,
    status: Arc<ProjectorStatus>,
    decoded: Option<Arc<DecodedEvents>>,
    #[cfg(feature = "testing")]
    fault: Option<Fault>,
}

impl Projector {
    /// A projector for `projection`.
    pub fn new(projection: Arc<dyn Projection>, store: ReadStore, js: jetstream::Context, settings: ProjectorSettings) -> Self {
        let status = Arc::new(ProjectorStatus::new(projection.name()));
        Self::with_status(projection, store, js, settings, status)
    }

    /// Takes its events from `decoded`, which the other projectors of this process that
    /// read the same stream share: each event is decoded once for all of them.
    #[must_use]
    pub fn sharing(mut self, decoded: Arc<DecodedEvents>) -> Self {
        self.decoded = Some(decoded);
        self
    }

    /// Makes the projector fail wherever `fault` says, as a crash there would (feature
    /// `testing`).
    #[cfg(feature = "testing")]
    #[must_use]
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    #[cfg(feature = "testing")]
    fn fail_at(&self, point: FaultPoint) -> Result<(), ProjectionError> {
        match &self.fault {
            Some(fault) if fault(point) => Err(ProjectionError::Injected(point)),
            _ => Ok(()),
        }
    }

    /// A projector reporting into an existing status (kept across restarts of the projector).
    pub fn with_status(projection: Arc<dyn Projection>, store: ReadStore, js: jetstream::Context, settings: ProjectorSettings, status: Arc<ProjectorStatus>) -> Self {
        *status.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        Self {
            projection,
            store,
            js,
            settings,
            status,
            decoded: None,
            #[cfg(feature = "testing")]
            fault: None,
        }
    }

    /// Its progress.
    pub fn status(&self) -> Arc<ProjectorStatus> {
        self.status.clone()
    }

    fn consumer_name(&self) -> String {
        format!("skp_proj_{}", self.projection.name())
    }

    /// Runs until `shutdown` turns true (finishing the batch in hand) or an error stops it.
    ///
    /// # Errors
    /// [`ProjectionError`]: an undecodable event, or the database or NATS failing for good.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), ProjectionError> {
        let result = self.run_inner(&mut shutdown).await;
        if let Err(e) = &result {
            let cause = skp_store::error::chain(e);
            tracing::error!(projection = self.projection.name(), error = %cause, "projector stopped");
            *self.status.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cause);
        }
        result
    }

    async fn run_inner(&self, shutdown: &mut watch::Receiver<bool>) -> Result<(), ProjectionError> {
        // One active projector per read model across all processes: the holder of a
        // PostgreSQL advisory lock on a connection kept for the whole run.
        let Some(mut leader) = self.lead(shutdown).await? else { return Ok(()) };
        let active = self.store.ensure_active(self.projection.name(), self.projection.migrator()).await?;
        self.projection.prepare(&self.store, &active).await?;
        self.status.set_checkpoint(active.last_seq);
        let mut reader = self.reader(active.last_seq).await?;
        tracing::info!(projection = self.projection.name(), checkpoint = active.last_seq, "projector running");
        let mut idle_behind_since = None;
        while !*shutdown.borrow() {
            let messages = tokio::select! {
                messages = reader.next_batch() => messages?,
                _ = shutdown.changed() => break,
            };
            if !messages.is_empty() {
                idle_behind_since = None;
                let full = messages.len() >= self.settings.batch;
                sqlx::query("SELECT 1").execute(&mut leader).await?;
                self.process(messages).await?;
                if !full && !self.settings.linger.is_zero() {
                    // Under a steady flow of commands each fetch would bring one or two
                    // events and each cost a transaction of its own: let the next ones
                    // gather for a moment. An event after a quiet time is fetched at once;
                    // a projector catching up fetches full batches and never waits.
                    tokio::select! {
                        () = tokio::time::sleep(self.settings.linger) => {}
                        _ = shutdown.changed() => break,
                    }
                }
            } else if self.stalled(&mut idle_behind_since).await? {
                // Nothing delivered for a while although the stream is ahead (e.g. a pull
                // answer lost while NATS restarted): start the consumer again from the
                // checkpoint.
                tracing::warn!(projection = self.projection.name(), checkpoint = self.status.checkpoint(), "consumer stalled; re-creating it");
                reader = self.reader(self.status.checkpoint()).await?;
                idle_behind_since = None;
            }
        }
        tracing::info!(projection = self.projection.name(), "projector stopped on shutdown");
        Ok(())
    }

    /// Whether empty fetches have gone on for [`STALL_AFTER`] while the stream holds events
    /// beyond the checkpoint.
    async fn stalled(&self, idle_behind_since: &mut Option<std::time::Instant>) -> Result<bool, ProjectionError> {
        let last = skp_store::stream::last_sequence(&self.js, &self.settings.stream).await?;
        self.status.stream_last.store(last, Ordering::Relaxed);
        if last <= self.status.checkpoint() {
            *idle_behind_since = None;
            return Ok(false);
        }
        let since = *idle_behind_since.get_or_insert_with(std::time::Instant::now);
        Ok(since.elapsed() >= STALL_AFTER)
    }

    /// Waits for the advisory lock of this projection; `None` on shutdown.
    async fn lead(&self, shutdown: &mut watch::Receiver<bool>) -> Result<Option<PgConnection>, ProjectionError> {
        let key = lock_key(self.store.base(), self.projection.name());
        // Detached from the pool: when this projector ends, however it ends, the connection
        // closes and the lock goes with it (a pooled connection would keep holding it).
        let mut conn = self.store.pool().acquire().await?.detach();
        loop {
            let (held,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)").bind(key).fetch_one(&mut conn).await?;
            if held {
                return Ok(Some(conn));
            }
            tracing::debug!(projection = self.projection.name(), "another projector holds the lock; waiting");
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = shutdown.changed() => return Ok(None),
            }
        }
    }

    /// (Re-)creates the durable consumer `skp_proj_<name>` to start right after the
    /// checkpoint.
    async fn reader(&self, checkpoint: u64) -> Result<StreamReader, ProjectionError> {
        Ok(StreamReader::durable(&self.js, &self.consumer_name(), self.settings.read_from(checkpoint + 1)).await?)
    }

    async fn process(&self, messages: Vec<StreamMessage>) -> Result<(), ProjectionError> {
        let mut events = Vec::with_capacity(messages.len());
        let mut undecodable = None;
        for message in &messages {
            self.status.stream_last.store(message.seq + message.pending, Ordering::Relaxed);
            let decoded = match &self.decoded {
                Some(shared) => shared.decode(message.seq, message.body.clone()),
                None => StoredEvent::decode(message.seq, message.body.clone()),
            };
            match decoded {
                Ok(event) => events.push(event),
                Err(e) => {
                    undecodable = Some(e);
                    break;
                }
            }
        }
        // The events before an undecodable one are applied; the projector stops at it.
        if !events.is_empty() {
            let (generation, cycles) = self.apply_batch(&events).await?;
            #[cfg(feature = "testing")]
            self.fail_at(FaultPoint::AfterCommitBeforeAck)?;
            messages[events.len() - 1].ack().await?;
            self.status.set_checkpoint(generation.last_seq);
            if !cycles.is_empty() {
                self.projection.after_commit(&self.store, &generation, cycles).await;
            }
        }
        undecodable.map_or(Ok(()), Err)
    }
}

impl Projector {
    /// Applies `events` to the serving generation in one transaction with its checkpoint,
    /// skipping those at or below it. Returns the generation (with its new checkpoint) and
    /// the cycles changed.
    async fn apply_batch(&self, events: &[StoredEvent]) -> Result<(Generation, Vec<Uuid>), ProjectionError> {
        let (store, projection) = (&self.store, self.projection.as_ref());
        let mut conn = store.pool().acquire().await?;
        let lock = format!("SELECT generation, last_seq FROM {}.projection_state WHERE projection = $1 AND active FOR UPDATE", store.base());
        for _ in 0..10 {
            let mut tx = conn.begin().await?;
            // A rebuild swapping generations holds the serving row; once it commits, that row
            // no longer serves and the lock finds nothing: look again for the new one.
            let Some((number, last_seq)) = sqlx::query_as::<_, (i32, i64)>(&lock).bind(projection.name()).fetch_optional(&mut *tx).await? else {
                continue;
            };
            let generation = apply_locked(store, projection, &mut tx, number, last_seq as u64, events).await?;
            #[cfg(feature = "testing")]
            self.fail_at(FaultPoint::BeforeCommit)?;
            tx.commit().await?;
            return Ok(generation);
        }
        Err(ProjectionError::NoGeneration(projection.name()))
    }
}

/// The body of [`apply_batch`] once the generation's row is locked: also used by rebuilds.
pub(crate) async fn apply_locked(
    store: &ReadStore,
    projection: &dyn Projection,
    tx: &mut PgConnection,
    number: i32,
    checkpoint: u64,
    events: &[StoredEvent],
) -> Result<(Generation, Vec<Uuid>), ProjectionError> {
    let schema = store.schema_of(projection.name(), number);
    let fresh: Vec<StoredEvent> = events.iter().filter(|e| e.stream_seq > checkpoint).cloned().collect();
    // Every message of the stream is an event, so a projector sees contiguous sequences.
    for (expected, event) in (checkpoint + 1..).zip(&fresh) {
        if event.stream_seq != expected {
            return Err(ProjectionError::Gap { expected, found: event.stream_seq });
        }
    }
    let Some(last) = fresh.last().map(|e| e.stream_seq) else {
        return Ok((Generation { number, schema, last_seq: checkpoint }, Vec::new()));
    };
    crate::store::enter_schema(tx, &schema).await?;
    let cycles = projection.apply(tx, &fresh).await?;
    let update = format!("UPDATE {}.projection_state SET last_seq = $3, updated_at = now() WHERE projection = $1 AND generation = $2", store.base());
    sqlx::query(&update).bind(projection.name()).bind(number).bind(last as i64).execute(&mut *tx).await?;
    Ok((Generation { number, schema, last_seq: last }, cycles))
}

/// The advisory-lock key of a projection: FNV-1a of `<base>/<name>`.
fn lock_key(base: &str, name: &str) -> i64 {
    let hash = format!("{base}/{name}").bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    i64::from_ne_bytes(hash.to_ne_bytes())
}
