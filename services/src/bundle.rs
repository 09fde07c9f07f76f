//! Evidence bundles: one appraisal's record as an inspector hands it over (`skp export`), and
//! the offline check of one (`skp verify --bundle`).
//!
//! A bundle holds every event exactly as stored (the message body's text, with its stream
//! sequence), the state after each version and the fairness report, both derived from those
//! events by the same code as the service's, and the chain check. Checking a bundle needs
//! nothing but the file: it re-checks the hash chain and version sequence of the stored
//! events, derives the states and the report again, and compares them with what the bundle
//! claims. An edited event breaks the chain; an edited claim no longer matches its events.
//! What a bundle cannot prove alone is that the stream still ends where the bundle does:
//! `head_hash` is the last event's hash, to compare with the stream (`skp replay`) or the API.

use crate::api::view::AppraisalView;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use skp_domain::appraisal::Appraisal;
use skp_events::chain::verify_chain;
use skp_events::Envelope;
use std::fmt::Write as _;
use uuid::Uuid;

/// The `format` of the bundles this version writes and reads.
pub const FORMAT: &str = "skp-evidence-bundle/1";

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundledEvent {
    /// The message's stream sequence.
    pub stream_sequence: u64,
    /// The message body as stored: the envelope's canonical JSON, verbatim.
    pub stored: String,
}

/// The appraisal's state after one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionState {
    /// The version (1-based).
    pub version: u64,
    /// The state in the shape of `GET /v1/appraisals/{id}`.
    pub state: Value,
}

/// An evidence bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// [`FORMAT`].
    pub format: String,
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// The stream and subject the events were read from.
    pub stream: String,
    /// The subject.
    pub subject: String,
    /// When the bundle was made (RFC 3339).
    pub exported_at: String,
    /// The hash of the last event: where the record ended when exported.
    pub head_hash: Option<String>,
    /// Whether the hash chain and versions were intact.
    pub chain_valid: bool,
    /// Every break found, with its position.
    pub chain_breaks: Value,
    /// The events as stored, in stored order.
    pub events: Vec<BundledEvent>,
    /// The state after each version.
    pub states: Vec<VersionState>,
    /// The fairness report (`GET /v1/appraisals/{id}/audit`).
    pub audit: Value,
}

/// What the bundle's events say: derived again from them alone.
struct Derived {
    head_hash: Option<String>,
    chain_valid: bool,
    chain_breaks: Value,
    states: Vec<VersionState>,
    audit: Value,
}

fn derive(appraisal_id: Uuid, events: &[BundledEvent]) -> Derived {
    let values: Vec<Value> = events.iter().map(|e| serde_json::from_str(&e.stored).unwrap_or(Value::Null)).collect();
    let breaks = verify_chain(&values);
    let envelopes: Vec<Envelope> = values.iter().filter_map(|v| Envelope::from_value(v.clone()).ok()).collect();
    let states = (1..=envelopes.len())
        .map(|n| {
            let state = Appraisal::from_events(appraisal_id, envelopes[..n].iter());
            let view = AppraisalView::of(&state).and_then(|v| serde_json::to_value(v).ok()).unwrap_or(Value::Null);
            VersionState { version: envelopes[n - 1].version, state: view }
        })
        .collect();
    let bodies: Vec<String> = events.iter().map(|e| e.stored.clone()).collect();
    let audit = serde_json::to_value(skp_projections::audit::report_of(appraisal_id, &bodies)).unwrap_or(Value::Null);
    Derived {
        head_hash: values.last().and_then(|v| v.get("hash")).and_then(Value::as_str).map(str::to_owned),
        chain_valid: breaks.is_empty(),
        chain_breaks: serde_json::to_value(&breaks).unwrap_or(Value::Null),
        states,
        audit,
    }
}

impl Bundle {
    /// A bundle of `events` (stored order) read from `stream`/`subject`.
    pub fn new(appraisal_id: Uuid, stream: &str, subject: &str, exported_at: String, events: Vec<BundledEvent>) -> Self {
        let derived = derive(appraisal_id, &events);
        Self {
            format: FORMAT.to_owned(),
            appraisal_id,
            stream: stream.to_owned(),
            subject: subject.to_owned(),
            exported_at,
            head_hash: derived.head_hash,
            chain_valid: derived.chain_valid,
            chain_breaks: derived.chain_breaks,
            events,
            states: derived.states,
            audit: derived.audit,
        }
    }

    /// Checks the bundle against its own events, offline.
    pub fn check(&self) -> BundleCheck {
        let mut problems = Vec::new();
        if self.format != FORMAT {
            problems.push(format!("format {:?} is not {FORMAT:?}", self.format));
        }
        let derived = derive(self.appraisal_id, &self.events);
        if let Some(breaks) = derived.chain_breaks.as_array().filter(|b| !b.is_empty()) {
            for b in breaks {
                problems.push(format!("chain break at {}", describe_break(b)));
            }
        }
        for (n, event) in self.events.iter().enumerate() {
            let value: Value = serde_json::from_str(&event.stored).unwrap_or(Value::Null);
            let aggregate = value.get("aggregate_id").and_then(Value::as_str);
            if aggregate != Some(self.appraisal_id.to_string().as_str()) {
                problems.push(format!("event at position {} belongs to aggregate {:?}, not {}", n + 1, aggregate.unwrap_or("?"), self.appraisal_id));
            }
        }
        if self.chain_valid != derived.chain_valid || self.chain_breaks != derived.chain_breaks {
            problems.push(format!("the bundle claims chain_valid {} but its events give {}", self.chain_valid, derived.chain_valid));
        }
        if self.head_hash != derived.head_hash {
            problems.push("head_hash is not the hash of the last event".to_owned());
        }
        if self.states.len() != derived.states.len() {
            problems.push(format!("the bundle claims {} states; its events give {}", self.states.len(), derived.states.len()));
        }
        for (claimed, derived) in self.states.iter().zip(&derived.states) {
            if claimed != derived {
                problems.push(format!("the state claimed after version {} is not the state its events give (version {})", claimed.version, derived.version));
            }
        }
        if self.audit != derived.audit {
            let verdict = |v: &Value| v.get("verdict").and_then(Value::as_str).unwrap_or("?").to_owned();
            problems.push(format!("the audit report claimed (verdict {}) is not the one its events give (verdict {})", verdict(&self.audit), verdict(&derived.audit)));
        }
        BundleCheck { appraisal_id: self.appraisal_id, events: self.events.len() as u64, head_hash: self.head_hash.clone(), intact: problems.is_empty(), problems }
    }
}

fn describe_break(b: &Value) -> String {
    let position = b.get("position").and_then(Value::as_u64).unwrap_or(0);
    let kind = b.get("kind").and_then(Value::as_str).unwrap_or("break");
    let event = b.get("event_id").and_then(Value::as_str).map(|id| format!(" (event {id})")).unwrap_or_default();
    format!("position {position}{event}: {kind}")
}

/// What `skp verify --bundle` found.
#[derive(Debug, Clone, Serialize)]
pub struct BundleCheck {
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// How many events the bundle holds.
    pub events: u64,
    /// The hash of its last event.
    pub head_hash: Option<String>,
    /// True when the bundle is consistent with its events and the chain is intact.
    pub intact: bool,
    /// Every problem found, each naming the part and position.
    pub problems: Vec<String>,
}

impl BundleCheck {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut out = format!("bundle of appraisal {}: {} events, head hash {}\n", self.appraisal_id, self.events, self.head_hash.as_deref().unwrap_or("-"));
        if self.intact {
            out.push_str("intact: the hash chain and versions hold, and every state and the audit report follow from the events\n");
        } else {
            let _ = writeln!(out, "NOT INTACT: {} problem(s)", self.problems.len());
            for problem in &self.problems {
                let _ = writeln!(out, "  {problem}");
            }
        }
        out
    }
}
