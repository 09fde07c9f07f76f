//! Re-checking an aggregate's hash chain from its stored envelopes.
//!
//! The checks work on the JSON as stored, not on decoded Rust values, so a field that this
//! code does not know still counts.

use crate::canonical::{canonical_members, CanonicalError};
use crate::envelope::{hash_of_parts, hash_of_value, GENESIS_HASH};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What is wrong at one point of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// One break of a chain (its JSON form reads back into the same value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A verifier that carries on after `checked` envelopes whose last stored `hash` was
    /// `head` (see [`ChainVerifier::head`]): pushing the envelopes that follow finds exactly
    /// the breaks that checking the whole chain from the start would find at them.
    pub fn resume(checked: u64, head: String) -> Self {
        Self { position: checked, expected_prev: head }
    }

    /// Checks the next stored envelope; returns every break found at it.
    pub fn push(&mut self, envelope: &Value) -> Vec<ChainBreak> {
        self.push_mut(&mut envelope.clone())
    }

    /// Like [`ChainVerifier::push`], without copying the envelope: its `hash` field is taken
    /// out while hashing and put back, so the value is unchanged afterwards.
    pub fn push_mut(&mut self, envelope: &mut Value) -> Vec<ChainBreak> {
        let event_id = envelope.get("event_id").and_then(Value::as_str).map(str::to_owned);
        let version = envelope.get("version").and_then(Value::as_u64);
        let prev_matches = envelope.get("prev_hash").and_then(Value::as_str).unwrap_or_default() == self.expected_prev;
        let stored = envelope.get("hash").and_then(Value::as_str).unwrap_or_default().to_owned();
        let computed = hash_of_value(envelope);
        self.record(Seen { event_id, version, prev_matches, stored, computed })
    }

    /// Checks the next envelope from its stored bytes: the same as [`ChainVerifier::push`]
    /// of the JSON serde_json reads from them (null when it reads none). When the bytes are
    /// canonical JSON already, as SKP stores every envelope, the hash is taken over the text
    /// itself (without its `hash` member) instead of over a tree built from it.
    pub fn push_stored(&mut self, body: &[u8]) -> Vec<ChainBreak> {
        if let Some(seen) = std::str::from_utf8(body).ok().and_then(|text| self.read_canonical(text)) {
            return self.record(seen);
        }
        let mut value = serde_json::from_slice(body).unwrap_or(Value::Null);
        self.push_mut(&mut value)
    }

    /// What a canonical text holds, or `None` when it is not canonical or one of the fields
    /// read is a string with an escape (then the caller parses it).
    fn read_canonical(&self, text: &str) -> Option<Seen> {
        let members = canonical_members(text)?;
        let index = |key: &str| members.iter().position(|m| m.key == key);
        let string = |key: &str| match index(key) {
            None => Some(None),
            Some(i) => plain_string(members[i].value),
        };
        let event_id = string("event_id")?.map(str::to_owned);
        let prev = string("prev_hash")?.unwrap_or_default();
        let stored = string("hash")?.unwrap_or_default().to_owned();
        // A positive integer reads as itself; anything else (a string, a negative) has no u64.
        let version = index("version").and_then(|i| members[i].value.parse::<u64>().ok());
        // The canonical JSON without `hash` is the text without that member and one comma.
        let computed = match index("hash") {
            None => hash_of_parts(prev, &[text]),
            Some(_) if members.len() == 1 => hash_of_parts(prev, &["{}"]),
            Some(0) => hash_of_parts(prev, &["{", &text[members[1].start..]]),
            Some(i) => hash_of_parts(prev, &[&text[..members[i - 1].end], &text[members[i].end..]]),
        };
        Some(Seen { event_id, version, prev_matches: prev == self.expected_prev, stored, computed: Ok(computed) })
    }

    /// Moves on past one envelope; returns its breaks.
    fn record(&mut self, seen: Seen) -> Vec<ChainBreak> {
        self.position += 1;
        let mut found = Vec::new();
        let mut broken = |kind| found.push(ChainBreak { position: self.position, event_id: seen.event_id.clone(), kind });
        if seen.version != Some(self.position) {
            broken(BreakKind::VersionGap { expected: self.position, found: seen.version });
        }
        if !seen.prev_matches {
            broken(BreakKind::PrevHashMismatch);
        }
        match &seen.computed {
            Ok(computed) if *computed == seen.stored => {}
            Ok(_) => broken(BreakKind::HashMismatch),
            Err(_) => broken(BreakKind::NotCanonical),
        }
        self.expected_prev = seen.stored;
        found
    }

    /// How many envelopes were checked.
    pub fn checked(&self) -> u64 {
        self.position
    }

    /// The `hash` field of the last envelope checked (empty when it had none), or
    /// [`GENESIS_HASH`] before the first: what the next envelope's `prev_hash` must be.
    pub fn head(&self) -> &str {
        &self.expected_prev
    }
}

/// What one envelope says, for the checks.
struct Seen {
    event_id: Option<String>,
    version: Option<u64>,
    prev_matches: bool,
    stored: String,
    computed: Result<String, CanonicalError>,
}

/// The content of a JSON string value without escapes; `Some(None)` when the value is not
/// a string; `None` when it holds an escape.
fn plain_string(value: &str) -> Option<Option<&str>> {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(content) if content.contains('\\') => None,
        Some(content) => Some(Some(content)),
        None => Some(None),
    }
}

/// Checks a whole aggregate's envelopes in stored order; returns every break.
pub fn verify_chain<'a>(envelopes: impl IntoIterator<Item = &'a Value>) -> Vec<ChainBreak> {
    let mut verifier = ChainVerifier::default();
    envelopes.into_iter().flat_map(|e| verifier.push(e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_break_reads_back_from_its_json() {
        let breaks = vec![
            ChainBreak { position: 3, event_id: Some("e".into()), kind: BreakKind::VersionGap { expected: 3, found: Some(4) } },
            ChainBreak { position: 4, event_id: None, kind: BreakKind::VersionGap { expected: 4, found: None } },
            ChainBreak { position: 5, event_id: Some("f".into()), kind: BreakKind::PrevHashMismatch },
            ChainBreak { position: 6, event_id: None, kind: BreakKind::HashMismatch },
            ChainBreak { position: 7, event_id: None, kind: BreakKind::NotCanonical },
        ];
        let json = serde_json::to_string(&breaks).expect("serializable");
        assert_eq!(serde_json::from_str::<Vec<ChainBreak>>(&json).expect("readable"), breaks);
    }
}
