//! Events decoded once for all the projectors of a process (issue 16).
//!
//! Each projector has its own durable consumer, so each receives every event of the stream
//! and used to decode it again: with the read models in the API process, one command's
//! envelope was parsed, upcast and checked five or six times. Projectors that read the same
//! stream share a [`DecodedEvents`]: the first to meet a stream sequence decodes it and the
//! others take the same [`Envelope`] (an `Arc`). Projectors run close behind the stream's
//! end and so within a few batches of each other; one that lags (a restart, a slow read
//! model) simply decodes for itself.
//!
//! A slot remembers the body it decoded as well as the sequence, and a hit needs both to be
//! equal: a stream deleted and made again under the same name (tests do that), or a
//! projector of another stream given the same cache, gets its own decoding, never another
//! event's envelope.

use crate::error::ProjectionError;
use crate::event::StoredEvent;
use bytes::Bytes;
use skp_events::Envelope;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Slots kept by [`DecodedEvents::default`]: four default batches of the newest events.
pub const DEFAULT_SLOTS: usize = 4096;

/// The newest decoded events of a stream, by stream sequence (a ring of slots).
#[derive(Debug)]
pub struct DecodedEvents {
    slots: Box<[Mutex<Option<Slot>>]>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Debug)]
struct Slot {
    seq: u64,
    body: Bytes,
    envelope: Arc<Envelope>,
}

impl Default for DecodedEvents {
    fn default() -> Self {
        Self::with_slots(DEFAULT_SLOTS)
    }
}

impl DecodedEvents {
    /// A cache of `slots` events (at least one).
    pub fn with_slots(slots: usize) -> Self {
        let slots = (0..slots.max(1)).map(|_| Mutex::new(None)).collect();
        Self { slots, hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    /// The event stored at `seq` with `body`: the envelope another projector decoded from
    /// the same body, or decoded now (and kept for the others).
    ///
    /// # Errors
    /// As [`StoredEvent::decode`]; an undecodable body is not kept.
    pub fn decode(&self, seq: u64, body: Bytes) -> Result<StoredEvent, ProjectionError> {
        let slot = &self.slots[(seq % self.slots.len() as u64) as usize];
        let kept = slot.lock().unwrap_or_else(PoisonError::into_inner).as_ref().filter(|s| s.seq == seq && s.body == body).map(|s| s.envelope.clone());
        if let Some(envelope) = kept {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(StoredEvent { stream_seq: seq, body, envelope });
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let event = StoredEvent::decode(seq, body)?;
        let fresh = Slot { seq, body: event.body.clone(), envelope: event.envelope.clone() };
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(fresh);
        Ok(event)
    }

    /// Events taken from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Events decoded so far.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skp_domain::testing::{drafted, history, opened};

    /// The stored bodies of an opening and a drafted plan.
    fn bodies() -> (Bytes, Bytes) {
        let mut canonical = history(vec![opened(), drafted()]).into_iter().map(|e| Bytes::from(e.to_canonical_bytes().expect("canonical")));
        (canonical.next().expect("opened"), canonical.next().expect("drafted"))
    }

    #[test]
    fn a_second_projector_takes_the_envelope_the_first_decoded() {
        let cache = DecodedEvents::with_slots(8);
        let (stored, _) = bodies();
        let first = cache.decode(5, stored.clone()).expect("decodes");
        // Another consumer's copy of the same message: equal bytes, another buffer.
        let second = cache.decode(5, Bytes::from(stored.to_vec())).expect("decodes");
        assert!(Arc::ptr_eq(&first.envelope, &second.envelope));
        assert_eq!((second.stream_seq, second.body), (5, stored));
        assert_eq!((cache.misses(), cache.hits()), (1, 1));
    }

    #[test]
    fn another_body_at_a_kept_sequence_is_decoded_anew() {
        let cache = DecodedEvents::with_slots(8);
        let (one, other) = bodies();
        let first = cache.decode(5, one).expect("decodes");
        let second = cache.decode(5, other.clone()).expect("decodes");
        assert!(!Arc::ptr_eq(&first.envelope, &second.envelope));
        assert_eq!(*second.envelope, Envelope::decode(&other).expect("decodes"));
        // A sequence that falls on the same slot replaces it.
        let third = cache.decode(13, bodies().0).expect("decodes");
        assert_eq!(third.stream_seq, 13);
        assert_eq!((cache.misses(), cache.hits()), (3, 0));
    }

    #[test]
    fn an_undecodable_body_is_refused_with_its_sequence_and_not_kept() {
        let cache = DecodedEvents::with_slots(8);
        for _ in 0..2 {
            let refused = cache.decode(7, Bytes::from_static(b"{\"not\":\"an event\"}")).expect_err("refused");
            assert!(matches!(refused, ProjectionError::Undecodable { stream_seq: 7, .. }), "{refused:?}");
        }
        assert_eq!((cache.misses(), cache.hits()), (2, 0));
    }
}
