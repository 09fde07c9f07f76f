//! The envelope every event travels in, and its hash chain.
//!
//! `hash` = SHA-256 (lower-case hex) over the UTF-8 bytes of `prev_hash` followed by the
//! canonical JSON of the envelope without its `hash` field. The first event of an aggregate
//! has `prev_hash` = 64 zeros. The stored message body is the canonical JSON of the whole
//! envelope, so an inspector can re-check the chain with a few lines of any language.

use crate::canonical::{to_canonical_string, CanonicalError};
use crate::data::Event;
use crate::decode::DecodeError;
use crate::values::Nip;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

/// `prev_hash` of an aggregate's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The kind of aggregate an event belongs to; also the middle part of its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregateType {
    /// A yearly cycle of an organisation.
    Cycle,
    /// One employee's appraisal in a cycle.
    Appraisal,
    /// The closed 360 survey and public feedback of one appraisal (same id as the appraisal);
    /// never read by the employee.
    Survey,
    /// The development plan that follows a final appraisal.
    Development,
}

impl AggregateType {
    /// The wire name, `cycle`, `appraisal`, `survey`, `development`.
    pub fn as_str(self) -> &'static str {
        match self {
            AggregateType::Cycle => "cycle",
            AggregateType::Appraisal => "appraisal",
            AggregateType::Survey => "survey",
            AggregateType::Development => "development",
        }
    }
}

/// The role in which someone acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorRole {
    /// The agency's BKPSDM staff.
    Admin,
    /// The appraised employee.
    Employee,
    /// The direct supervisor.
    Rater,
    /// The rater's superior.
    RaterSuperior,
    /// A colleague giving feedback or answering the survey: since issue 13, only one the
    /// rater nominated as a peer (earlier events may name anyone).
    Peer,
    /// Someone the employee leads, nominated by the rater as an evaluator.
    Subordinate,
    /// The service desk, recording the public's feedback.
    ServiceDesk,
    /// The mentor named on an action of a development plan (records that action's sessions).
    Mentor,
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The caller's NIP (the token's `sub`).
    pub nip: Nip,
    /// The role in which they acted.
    pub role: ActorRole,
}

/// An event in its envelope, as stored on the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// UUID v7, unique per event.
    pub event_id: Uuid,
    /// The aggregate's kind.
    pub aggregate_type: AggregateType,
    /// The aggregate's id.
    pub aggregate_id: Uuid,
    /// 1-based position of the event in its aggregate.
    pub version: u64,
    /// `type` and `data`.
    #[serde(flatten)]
    pub event: Event,
    /// Schema version of `data` for this `type`.
    pub schema_version: u32,
    /// When it happened (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// Who did it.
    pub actor: Actor,
    /// The command that caused it; a command id is handled at most once per aggregate.
    pub command_id: Uuid,
    /// Ties together everything done for one request or workflow.
    pub correlation_id: Uuid,
    /// The message that caused this one (the command).
    pub causation_id: Uuid,
    /// The previous event's `hash`, or [`GENESIS_HASH`].
    pub prev_hash: String,
    /// See the module documentation.
    pub hash: String,
}

/// Why an envelope could not be sealed or written in canonical form.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The envelope did not serialise to JSON.
    #[error("the envelope does not serialise to JSON")]
    Serialize(#[from] serde_json::Error),
    /// The JSON has no canonical form (a floating-point number).
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
}

impl Envelope {
    /// Computes `hash` from `prev_hash` and the rest of the envelope, and stores it.
    ///
    /// # Errors
    /// Only if the envelope held a float, which SKP's events never do.
    pub fn seal(mut self) -> Result<Self, SealError> {
        let mut value = serde_json::to_value(&self)?;
        self.hash = hash_of_value(&mut value)?;
        Ok(self)
    }

    /// Seals the envelope (as [`Envelope::seal`]) and returns it with its stored body (as
    /// [`Envelope::to_canonical_bytes`]), both from one JSON tree: the hash is computed over
    /// the tree, then put into it and the tree written out once.
    ///
    /// # Errors
    /// Only if the envelope held a float, which SKP's events never do.
    pub fn seal_with_body(mut self) -> Result<(Self, Vec<u8>), SealError> {
        let mut value = serde_json::to_value(&self)?;
        let hash = hash_of_value(&mut value)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("hash".to_owned(), Value::String(hash.clone()));
        }
        let body = to_canonical_string(&value)?.into_bytes();
        self.hash = hash;
        Ok((self, body))
    }

    /// The stored body: canonical JSON of the whole envelope.
    ///
    /// # Errors
    /// Only if the envelope held a float, which SKP's events never do.
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>, SealError> {
        let value = serde_json::to_value(self)?;
        Ok(to_canonical_string(&value)?.into_bytes())
    }

    /// Reads a stored body, upcasting older schema versions.
    ///
    /// # Errors
    /// [`DecodeError`] when the bytes are not an envelope this code can read.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let value: Value = serde_json::from_slice(bytes)?;
        Self::from_value(value)
    }

    /// Like [`Envelope::decode`], from parsed JSON.
    ///
    /// # Errors
    /// [`DecodeError`] when the value is not an envelope this code can read.
    pub fn from_value(value: Value) -> Result<Self, DecodeError> {
        let value = crate::upcast::upcast(value)?;
        Ok(serde_json::from_value(value)?)
    }
}

/// Computes the hash of an envelope held as JSON: its `prev_hash` followed by the canonical
/// JSON of everything but `hash`. The `hash` field, if present, is taken out and put back.
///
/// # Errors
/// [`CanonicalError`] when the value holds a float.
pub fn hash_of_value(value: &mut Value) -> Result<String, CanonicalError> {
    let removed = value.as_object_mut().and_then(|o| o.remove("hash"));
    let prev = value.get("prev_hash").and_then(Value::as_str).unwrap_or_default().to_owned();
    let canonical = to_canonical_string(value);
    if let (Some(hash), Some(object)) = (removed, value.as_object_mut()) {
        object.insert("hash".to_owned(), hash);
    }
    Ok(hash_of_parts(&prev, &[&canonical?]))
}

/// SHA-256 (lower-case hex) of `prev` followed by `parts`, which together are the canonical
/// JSON of an envelope without its `hash`.
pub(crate) fn hash_of_parts(prev: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}
