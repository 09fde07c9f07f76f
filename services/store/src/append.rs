//! What an append is, and what the server's answer to one means for the caller.

use crate::error::{cause, StoreError};
use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use bytes::Bytes;

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
    /// `Skp-Command`: the name of the command that decided the event (e.g. `draft_plan`), so
    /// that an idempotency key sent again with another command is recognised.
    pub command: Option<&'a str>,
    /// `Skp-Request-Digest`: a digest of the command's values, so that the key sent again
    /// with other values is recognised.
    pub digest: Option<&'a str>,
}

/// What a refused or unanswered publish means for the caller.
pub(crate) fn ack_error(e: PublishError) -> StoreError {
    match e.kind() {
        PublishErrorKind::WrongLastSequence => StoreError::WrongLastSequence,
        PublishErrorKind::TimedOut | PublishErrorKind::BrokenPipe | PublishErrorKind::StreamNotFound => {
            StoreError::unavailable("waiting for an append's acknowledgement", e)
        }
        _ => StoreError::Refused { source: cause(e) },
    }
}
