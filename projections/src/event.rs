//! An event as a projector sees it: its stream sequence, its stored body and the decoded
//! envelope.

use crate::error::ProjectionError;
use bytes::Bytes;
use skp_events::Envelope;
use std::sync::Arc;

/// One stored event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The message's stream sequence.
    pub stream_seq: u64,
    /// The body as stored (canonical JSON).
    pub body: Bytes,
    /// The decoded envelope, shared by the projectors of a process that read the same
    /// message ([`crate::decoded::DecodedEvents`]).
    pub envelope: Arc<Envelope>,
}

impl StoredEvent {
    /// Decodes a stored message.
    ///
    /// # Errors
    /// [`ProjectionError::Undecodable`] naming the sequence: a projector stops there rather
    /// than skip an event silently.
    pub fn decode(stream_seq: u64, body: Bytes) -> Result<Self, ProjectionError> {
        let envelope = Envelope::decode(&body).map_err(|source| ProjectionError::Undecodable { stream_seq, source })?;
        Ok(Self { stream_seq, body, envelope: Arc::new(envelope) })
    }
}
