//! Re-checking an aggregate's hash chain from its stored envelopes.
//!
//! The checks work on the JSON as stored, not on decoded Rust values, so a field that this
//! code does not know still counts.

use crate::envelope::{hash_of_value, GENESIS_HASH};
use serde::Serialize;
use serde_json::Value;

/// What is wrong at one point of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreakKind {
    /// The envelope's version is not the next one (an event missing, repeated or moved).
    VersionGap {
        /// The version expected here.
        expected: u64,
        /// The version found.
        found: Option<u64>,
    },
    /// `prev_hash` is not the previous event's `hash`.
    PrevHashMismatch,
    /// `hash` is not the hash of the envelope's content (the event was changed).
    HashMismatch,
    /// The envelope has no canonical form (it holds a float).
    NotCanonical,
}

/// One break of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// 1-based position of the envelope in the aggregate's stored order.
    pub position: u64,
    /// The envelope's `event_id`, when it has one.
    pub event_id: Option<String>,
    /// What is wrong.
    #[serde(flatten)]
    pub kind: BreakKind,
}

/// Checks envelopes one by one, in stored order, for one aggregate.
#[derive(Debug)]
pub struct ChainVerifier {
    position: u64,
    expected_prev: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { position: 0, expected_prev: GENESIS_HASH.to_owned() }
    }
}

impl ChainVerifier {
    /// Checks the next stored envelope; returns every break found at it.
    pub fn push(&mut self, envelope: &Value) -> Vec<ChainBreak> {
        self.position += 1;
        let event_id = envelope.get("event_id").and_then(Value::as_str).map(str::to_owned);
        let mut found = Vec::new();
        let mut broken = |kind| found.push(ChainBreak { position: self.position, event_id: event_id.clone(), kind });
        let version = envelope.get("version").and_then(Value::as_u64);
        if version != Some(self.position) {
            broken(BreakKind::VersionGap { expected: self.position, found: version });
        }
        let prev = envelope.get("prev_hash").and_then(Value::as_str).unwrap_or_default();
        if prev != self.expected_prev {
            broken(BreakKind::PrevHashMismatch);
        }
        let stored = envelope.get("hash").and_then(Value::as_str).unwrap_or_default().to_owned();
        match hash_of_value(&mut envelope.clone()) {
            Ok(computed) if computed == stored => {}
            Ok(_) => broken(BreakKind::HashMismatch),
            Err(_) => broken(BreakKind::NotCanonical),
        }
        self.expected_prev = stored;
        found
    }

    /// How many envelopes were checked.
    pub fn checked(&self) -> u64 {
        self.position
    }
}

/// Checks a whole aggregate's envelopes in stored order; returns every break.
pub fn verify_chain<'a>(envelopes: impl IntoIterator<Item = &'a Value>) -> Vec<ChainBreak> {
    let mut verifier = ChainVerifier::default();
    envelopes.into_iter().flat_map(|e| verifier.push(e)).collect()
}
