//! The command path: load the aggregate, decide, append with the expected sequence, and on
//! a concurrent write reload, decide again and retry a bounded number of times. A command
//! on an aggregate that is not cached is first tried on the empty state, without a load
//! (`CommandBus::unloaded`): that is how aggregates are created.

pub mod aggregate;
mod cache;

use crate::clock::Clock;
use crate::error::StoreError;
use crate::metrics::Metrics;
use crate::append::{Append, Appended};
use crate::store::EventStore;
use aggregate::{Aggregate, LoadError, Loaded, Unreadable};
use cache::Cache;
use skp_domain::appraisal::Appraisal;
use skp_domain::cycle::Cycle;
use skp_domain::development::DevelopmentPlan;
use skp_domain::survey::Survey;
use skp_domain::{idempotency, Caller, Ctx, Decision, DomainError};
use bytes::Bytes;
use skp_events::{Actor, ActorRole, Envelope, Event, SealError};
use tracing::instrument;
use uuid::Uuid;

/// Who asks, and the ids that tie the command to its request.
#[derive(Debug, Clone)]
pub struct CommandMeta {
    /// The command id: the `Idempotency-Key`, or a fresh id.
    pub command_id: Uuid,
    /// The request's correlation id.
    pub correlation_id: Uuid,
    /// The authenticated caller.
    pub caller: Caller,
    /// The command's name, for metrics, logs and the idempotency check.
    pub name: &'static str,
    /// A digest of the command's values (`CommandMeta::digest_of`), so that its key sent
    /// again with other values is refused; `None` when not known.
    pub digest: Option<String>,
}

impl CommandMeta {
    /// The digest of a command's values: SHA-256 (hex) of the canonical JSON of `values`
    /// (key order and white space do not matter, unknown fields are gone).
    pub fn digest_of(values: &impl serde::Serialize) -> Option<String> {
        let value = serde_json::to_value(values).ok()?;
        let canonical = skp_events::canonical::to_canonical_string(&value).ok()?;
        use sha2::Digest;
        let digest = sha2::Sha256::digest(canonical.as_bytes());
        Some(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// A command's result: the event it recorded (or recorded the first time, when retried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// The aggregate.
    pub aggregate_id: Uuid,
    /// The event's version in its aggregate.
    pub version: u64,
    /// The event's id.
    pub event_id: Uuid,
    /// The event's stream sequence.
    pub stream_sequence: u64,
    /// True when this answers a command id handled before: nothing new was recorded.
    pub replayed: bool,
}

/// Why a command did not record an event.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The rules refused (403, 404, 409, 422).
    #[error(transparent)]
    Rejected(#[from] DomainError),
    /// Concurrent writes won every attempt (409 `concurrent_modification`).
    #[error("the aggregate kept changing under {attempts} attempts")]
    Conflict {
        /// Attempts made.
        attempts: u32,
    },
    /// The event store is out of reach or did not answer in time (503).
    #[error("the event store is out of reach")]
    Unavailable(#[source] StoreError),
    /// The event store failed otherwise: a refused append, a malformed answer (500).
    #[error("the event store failed")]
    Store(#[source] StoreError),
    /// A stored event of the aggregate cannot be read (500): commands on it stop rather
    /// than guess.
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    /// The decided event could not be sealed (500; SKP's events hold no floats).
    #[error("the decided event could not be sealed")]
    Seal(#[from] SealError),
    /// A command id is recorded as handled at a version that is not loaded (500).
    #[error("the command was handled at version {version}, which is not loaded")]
    MissingVersion {
        /// The version recorded.
        version: u64,
    },
}

impl CommandError {
    /// The outcome label of the commands metric.
    fn outcome(&self) -> &'static str {
        match self {
            CommandError::Rejected(e) => e.code(),
            CommandError::Conflict { .. } => "conflict",
            CommandError::Unavailable(_) => "unavailable",
            CommandError::Store(_) | CommandError::Unreadable(_) | CommandError::Seal(_) | CommandError::MissingVersion { .. } => "internal",
        }
    }
}

impl From<LoadError> for CommandError {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::Store(e) => e.into(),
            LoadError::Unreadable(e) => CommandError::Unreadable(e),
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(error: StoreError) -> Self {
        if error.is_unavailable() {
            CommandError::Unavailable(error)
        } else {
            CommandError::Store(error)
        }
    }
}

/// Decides and records commands. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct CommandBus {
    store: EventStore,
    appraisals: Cache<Appraisal>,
    cycles: Cache<Cycle>,
    surveys: Cache<Survey>,
    retries: u32,
    clock: Clock,
    metrics: Metrics,
    // Development plans and pembinaan (issue 14).
    developments: Cache<DevelopmentPlan>,
}

/// Aggregates the bus keeps a cache of.
pub trait Cached: Aggregate {
    /// This kind's cache.
    fn cache(bus: &CommandBus) -> &Cache<Self>;
}

impl Cached for Appraisal {
    fn cache(bus: &CommandBus) -> &Cache<Self> {
        &bus.appraisals
    }
}

impl Cached for Cycle {
    fn cache(bus: &CommandBus) -> &Cache<Self> {
        &bus.cycles
    }
}

impl Cached for Survey {
    fn cache(bus: &CommandBus) -> &Cache<Self> {
        &bus.surveys
    }
}

// Development plans and pembinaan (issue 14).
impl Cached for DevelopmentPlan {
    fn cache(bus: &CommandBus) -> &Cache<Self> {
        &bus.developments
    }
}

impl CommandBus {
    /// A bus over `store`, retrying a decision at most `retries` times after conflicts.
    pub fn new(store: EventStore, cache_capacity: usize, retries: u32, clock: Clock, metrics: Metrics) -> Self {
        Self {
            store,
            appraisals: Cache::new(cache_capacity),
            cycles: Cache::new(cache_capacity),
            surveys: Cache::new(cache_capacity),
            retries,
            clock,
            metrics,
            developments: Cache::new(cache_capacity),
        }
    }

    /// The event store.
    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The aggregate as it stands now, including events other instances wrote.
    ///
    /// # Errors
    /// [`CommandError::Unavailable`], [`CommandError::Store`] or [`CommandError::Unreadable`]
    /// when it cannot be loaded.
    pub async fn current<A: Cached>(&self, id: Uuid) -> Result<Loaded<A>, CommandError> {
        let slot = A::cache(self).slot(id);
        let mut guard = slot.lock().await;
        let mut loaded = guard.take().unwrap_or_else(|| Loaded::empty(id));
        loaded.catch_up(&self.store, &self.store.subjects().aggregate(A::KIND, id)).await?;
        *guard = Some(loaded.clone());
        Ok(loaded)
    }

    /// Decides a command on aggregate `id` with `decide` and records its event.
    ///
    /// # Errors
    /// [`CommandError`]: refused by the rules, lost every attempt to concurrent writers, or
    /// the store out of reach.
    #[instrument(skip_all, fields(aggregate_id = %id, command = meta.name, command_id = %meta.command_id, correlation_id = %meta.correlation_id))]
    pub async fn execute<A: Cached>(
        &self,
        id: Uuid,
        meta: &CommandMeta,
        decide: impl Fn(&A, &Ctx) -> Result<Decision, DomainError>,
    ) -> Result<Committed, CommandError> {
        let result = self.execute_inner(id, meta, decide).await;
        let outcome = match &result {
            Ok(c) if c.replayed => "replayed",
            Ok(_) => "ok",
            Err(e) => e.outcome(),
        };
        self.metrics.command(meta.name, outcome);
        result
    }

    async fn execute_inner<A: Cached>(
        &self,
        id: Uuid,
        meta: &CommandMeta,
        decide: impl Fn(&A, &Ctx) -> Result<Decision, DomainError>,
    ) -> Result<Committed, CommandError> {
        let subject = self.store.subjects().aggregate(A::KIND, id);
        let slot = A::cache(self).slot(id);
        let mut guard = slot.lock().await;
        let ctx = Ctx { caller: meta.caller.clone(), now: self.clock.now() };
        // Taken out while working: on any early return the slot stays empty, to be reloaded.
        let mut loaded = match guard.take() {
            Some(loaded) => loaded,
            None => match self.unloaded(id, &subject, meta, &decide, &ctx).await? {
                Unloaded::Recorded(loaded, committed) => {
                    *guard = Some(loaded);
                    return Ok(committed);
                }
                Unloaded::Loaded(loaded) => loaded,
            },
        };
        for attempt in 0..=self.retries {
            let decision = decide(&loaded.state, &ctx);
            if let Some(original) = loaded.handled.get(&meta.command_id) {
                // Authorize first (the decision's own 404 and 403), then replay: a caller who
                // may not act hears so, never the original answer.
                let answer = match decision {
                    Err(e @ (DomainError::NotFound { .. } | DomainError::Forbidden(_))) => Err(e.into()),
                    _ => idempotency::replay(original, &meta.caller, meta.name, meta.digest.as_deref()).map_err(CommandError::from).and_then(|version| replayed(id, &loaded, version)),
                };
                *guard = Some(loaded);
                return answer;
            }
            let (event, role) = match decision {
                Err(e) => {
                    *guard = Some(loaded);
                    return Err(e.into());
                }
                Ok(Decision::Record { event, role }) => (event, role),
            };
            let (envelope, body) = sealed::<A>(id, &loaded, event, role, meta, &ctx)?;
            match self.append_once(&subject, &envelope, body, meta, loaded.last_seq).await? {
                Some(stream_seq) => {
                    loaded.record(&envelope, stream_seq, Some(meta.name), meta.digest.as_deref());
                    *guard = Some(loaded);
                    return Ok(Committed { aggregate_id: id, version: envelope.version, event_id: envelope.event_id, stream_sequence: stream_seq, replayed: false });
                }
                None => {
                    self.metrics.conflict();
                    tokio::time::sleep(backoff(attempt)).await;
                    loaded.catch_up(&self.store, &subject).await?;
                }
            }
        }
        Err(CommandError::Conflict { attempts: self.retries + 1 })
    }

    /// A command on an aggregate that is not in the cache. Most such commands create it
    /// (opening an appraisal or a cycle), so the command is first decided on the empty state
    /// and, when that records an event, appended with expected last subject sequence 0,
    /// without loading: the server stores it only if the subject is indeed empty, which is
    /// exactly when the empty state was right, and so saves the load's round trip. Otherwise
    /// (a rejection on the empty state, a refused append) the aggregate is loaded, and the
    /// caller decides again on what was stored.
    async fn unloaded<A: Aggregate>(
        &self,
        id: Uuid,
        subject: &str,
        meta: &CommandMeta,
        decide: &impl Fn(&A, &Ctx) -> Result<Decision, DomainError>,
        ctx: &Ctx,
    ) -> Result<Unloaded<A>, CommandError> {
        let mut loaded = Loaded::empty(id);
        if let Ok(Decision::Record { event, role }) = decide(&loaded.state, ctx) {
            let (envelope, body) = sealed::<A>(id, &loaded, event, role, meta, ctx)?;
            if let Some(stream_seq) = self.append_once(subject, &envelope, body, meta, 0).await? {
                loaded.record(&envelope, stream_seq, Some(meta.name), meta.digest.as_deref());
                let committed = Committed { aggregate_id: id, version: envelope.version, event_id: envelope.event_id, stream_sequence: stream_seq, replayed: false };
                return Ok(Unloaded::Recorded(loaded, committed));
            }
        }
        loaded.catch_up(&self.store, subject).await?;
        Ok(Unloaded::Loaded(loaded))
    }

    /// Appends; `Ok(None)` means "reload and decide again": a concurrent write, or this very
    /// command already stored by an earlier publish whose acknowledgement was lost.
    async fn append_once(&self, subject: &str, envelope: &Envelope, body: Bytes, meta: &CommandMeta, expected: u64) -> Result<Option<u64>, CommandError> {
        let message_id = format!("{}:{}", envelope.aggregate_id, meta.command_id);
        let append = || Append {
            subject,
            body: body.clone(),
            event_type: envelope.event.type_name(),
            schema_version: envelope.schema_version,
            message_id: &message_id,
            expected_last_subject_seq: expected,
            command: Some(meta.name),
            digest: meta.digest.as_deref(),
        };
        let mut result = self.store.append(append()).await;
        if result.as_ref().is_err_and(StoreError::is_unavailable) && self.store.is_connected() {
            // The acknowledgement may have been lost after the message was stored: publish
            // the identical message again; the server's answer tells which it was.
            tracing::warn!(subject, "append unacknowledged; retrying the identical publish");
            result = self.store.append(append()).await;
        }
        match result {
            Ok(Appended { duplicate: false, stream_seq }) => Ok(Some(stream_seq)),
            Ok(Appended { duplicate: true, .. }) | Err(StoreError::WrongLastSequence) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// What [`CommandBus::unloaded`] did.
enum Unloaded<A> {
    /// Recorded the command's event on the empty aggregate.
    Recorded(Loaded<A>, Committed),
    /// Loaded the aggregate; the command is still to be decided on it.
    Loaded(Loaded<A>),
}

/// The sealed envelope of the decided event and its stored body (canonical JSON), from
/// one JSON tree ([`Envelope::seal_with_body`]).
fn sealed<A: Aggregate>(id: Uuid, loaded: &Loaded<A>, event: Event, role: ActorRole, meta: &CommandMeta, ctx: &Ctx) -> Result<(Envelope, Bytes), CommandError> {
    let schema_version = event.schema_version();
    let envelope = Envelope {
        event_id: Uuid::now_v7(),
        aggregate_type: A::KIND,
        aggregate_id: id,
        version: loaded.next_version(),
        event,
        schema_version,
        occurred_at: ctx.now,
        actor: Actor { nip: meta.caller.nip.clone(), role },
        command_id: meta.command_id,
        correlation_id: meta.correlation_id,
        causation_id: meta.command_id,
        prev_hash: loaded.last_hash.clone(),
        hash: String::new(),
    };
    let (envelope, body) = envelope.seal_with_body()?;
    Ok((envelope, Bytes::from(body)))
}

/// A random pause after the `attempt`-th conflict ("full jitter": uniform below a ceiling
/// that doubles from 0.5 ms to at most 64 ms), so that writers racing on one aggregate from
/// several instances spread out instead of colliding again in lockstep. Measured with 32
/// instances writing to one appraisal at once (`skp-bench all --only contention`): a 16 ms
/// cap lost up to one command in twenty (409); a 64 ms cap with 16 retries still lost
/// ~8-11%, with 32 retries (the default) under 0.3%.
fn backoff(attempt: u32) -> std::time::Duration {
    let ceiling_us = 500u128 << attempt.min(7);
    let random = Uuid::new_v4().as_u128() % ceiling_us;
    std::time::Duration::from_micros(u64::try_from(random).unwrap_or(0))
}

fn replayed<A>(id: Uuid, loaded: &Loaded<A>, version: u64) -> Result<Committed, CommandError> {
    let index = usize::try_from(version.saturating_sub(1)).unwrap_or(usize::MAX);
    let event = loaded.events.get(index).ok_or(CommandError::MissingVersion { version })?;
    Ok(Committed { aggregate_id: id, version, event_id: event.event_id, stream_sequence: event.stream_seq, replayed: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use skp_events::data::FeedbackGiven;
    use skp_events::values::FeedbackAbout;
    use skp_events::Nip;

    #[test]
    fn the_sealed_body_is_the_canonical_form_of_the_envelope_sealed_by_the_events_crate() {
        let nip = Nip::parse("199001012015011001").expect("nip");
        let meta = CommandMeta { command_id: Uuid::now_v7(), correlation_id: Uuid::now_v7(), caller: Caller { nip, admin: false, inspector: false, service_desk: false }, name: "give_feedback", digest: None };
        let ctx = Ctx { caller: meta.caller.clone(), now: time::OffsetDateTime::UNIX_EPOCH };
        let mut loaded = Loaded::<Appraisal>::empty(Uuid::now_v7());
        loaded.last_hash = "ab".repeat(32);
        let event = Event::FeedbackGiven(FeedbackGiven { about: FeedbackAbout::Results, text: "teliti \"sekali\" \u{e9}".into(), indicator_id: None });
        let (envelope, body) = sealed::<Appraisal>(loaded.state.id, &loaded, event, ActorRole::Peer, &meta, &ctx).expect("sealed");
        let resealed = Envelope { hash: String::new(), ..envelope.clone() }.seal().expect("seal");
        assert_eq!(envelope.hash, resealed.hash, "the same hash as Envelope::seal");
        assert_eq!(&body[..], &resealed.to_canonical_bytes().expect("canonical")[..], "the same bytes as to_canonical_bytes");
        assert_eq!(envelope.prev_hash, loaded.last_hash);
    }
}
