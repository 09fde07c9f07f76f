//! Aggregates as the command path holds them: state, the subject's last stream sequence and
//! hash, and for each version the event id and stream sequence (to answer a retried command
//! with its original result).

use crate::direct::RawEvent;
use crate::error::StoreError;
use crate::store::EventStore;
use skp_domain::appraisal::Appraisal;
use skp_domain::cycle::Cycle;
use skp_domain::development::DevelopmentPlan;
use skp_domain::idempotency::Handled;
use skp_domain::survey::Survey;
use skp_events::{AggregateType, DecodeError, Envelope, GENESIS_HASH};
use std::collections::HashMap;
use uuid::Uuid;

/// What the command path needs of an aggregate's state.
pub trait Aggregate: Clone + Send + Sync + 'static {
    /// Which kind it is (and so its subject).
    const KIND: AggregateType;
    /// The state before any event.
    fn empty(id: Uuid) -> Self;
    /// Applies one stored event.
    fn apply(&mut self, envelope: &Envelope);
}

impl Aggregate for Appraisal {
    const KIND: AggregateType = AggregateType::Appraisal;
    fn empty(id: Uuid) -> Self {
        Appraisal::new(id)
    }
    fn apply(&mut self, envelope: &Envelope) {
        Appraisal::apply(self, envelope);
    }
}

impl Aggregate for Cycle {
    const KIND: AggregateType = AggregateType::Cycle;
    fn empty(id: Uuid) -> Self {
        Cycle::new(id)
    }
    fn apply(&mut self, envelope: &Envelope) {
        Cycle::apply(self, envelope);
    }
}

// Voices beyond the rater (issue 13): the survey of an appraisal, on its own subject.
impl Aggregate for Survey {
    const KIND: AggregateType = AggregateType::Survey;
    fn empty(id: Uuid) -> Self {
        Survey::new(id)
    }
    fn apply(&mut self, envelope: &Envelope) {
        Survey::apply(self, envelope);
    }
}

// Development plans and pembinaan (issue 14).
impl Aggregate for DevelopmentPlan {
    const KIND: AggregateType = AggregateType::Development;
    fn empty(id: Uuid) -> Self {
        DevelopmentPlan::new(id)
    }
    fn apply(&mut self, envelope: &Envelope) {
        DevelopmentPlan::apply(self, envelope);
    }
}

/// Where one stored event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef {
    /// The event's id.
    pub event_id: Uuid,
    /// Its stream sequence.
    pub stream_seq: u64,
}

/// An aggregate loaded from the stream.
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    /// The state after every event.
    pub state: A,
    /// The stream sequence of the subject's last message (0 when none).
    pub last_seq: u64,
    /// The last event's hash ([`GENESIS_HASH`] when none).
    pub last_hash: String,
    /// For version `v`, `events[v - 1]`.
    pub events: Vec<EventRef>,
    /// Every command id handled on this aggregate: the version it yielded, its caller and
    /// its command, for any aggregate kind ([`skp_domain::idempotency`]).
    pub handled: HashMap<Uuid, Handled>,
}

/// A stored event that this code cannot read: a corrupt or foreign message on an aggregate's
/// subject. Commands on that aggregate stop with a 500 rather than guess.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    /// The body is not an envelope this code reads.
    #[error("stored event at stream sequence {stream_seq} on {subject} cannot be decoded")]
    Decode {
        /// Where it is.
        stream_seq: u64,
        /// The subject.
        subject: String,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// The envelope is not the aggregate's next version.
    #[error("stored event at stream sequence {stream_seq} on {subject} has version {found} where {due} was due")]
    Version {
        /// Where it is.
        stream_seq: u64,
        /// The subject.
        subject: String,
        /// The version stored.
        found: u64,
        /// The version due.
        due: u64,
    },
}

/// Loading failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The store did not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored event is unreadable.
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
}

impl<A: Aggregate> Loaded<A> {
    /// The aggregate before any event.
    pub fn empty(id: Uuid) -> Self {
        Self { state: A::empty(id), last_seq: 0, last_hash: GENESIS_HASH.to_owned(), events: Vec::new(), handled: HashMap::new() }
    }

    /// The next version to record.
    pub fn next_version(&self) -> u64 {
        self.events.len() as u64 + 1
    }

    /// Reads the events stored after what this holds and applies them.
    ///
    /// # Errors
    /// [`LoadError`] when the store does not answer or an event is unreadable.
    pub async fn catch_up(&mut self, store: &EventStore, subject: &str) -> Result<(), LoadError> {
        for raw in store.load_after(subject, self.last_seq).await? {
            self.apply_raw(subject, &raw)?;
        }
        Ok(())
    }

    /// Applies one stored message.
    ///
    /// # Errors
    /// [`Unreadable`] when it is not an envelope of this aggregate's next version.
    pub fn apply_raw(&mut self, subject: &str, raw: &RawEvent) -> Result<(), Unreadable> {
        let (stream_seq, subject) = (raw.stream_seq, subject.to_owned());
        let envelope = Envelope::decode(&raw.body).map_err(|source| Unreadable::Decode { stream_seq, subject: subject.clone(), source })?;
        if envelope.version != self.next_version() {
            return Err(Unreadable::Version { stream_seq, subject, found: envelope.version, due: self.next_version() });
        }
        self.record(&envelope, raw.stream_seq, raw.command.as_deref(), raw.digest.as_deref());
        Ok(())
    }

    /// Applies an event known to be stored at `stream_seq`, decided by the command named
    /// `command` with values digested as `digest` (each when known).
    pub fn record(&mut self, envelope: &Envelope, stream_seq: u64, command: Option<&str>, digest: Option<&str>) {
        let handled = Handled { version: envelope.version, actor: envelope.actor.nip.as_str().to_owned(), command: command.map(str::to_owned), digest: digest.map(str::to_owned) };
        self.handled.insert(envelope.command_id, handled);
        self.state.apply(envelope);
        self.last_seq = stream_seq;
        self.last_hash.clone_from(&envelope.hash);
        self.events.push(EventRef { event_id: envelope.event_id, stream_seq });
    }
}
