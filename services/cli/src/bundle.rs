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

use serde::{Deserialize, Serialize};
use serde_json::Value;
use skp_domain::appraisal::Appraisal;
use skp_domain::audit::audit;
use skp_domain::view::AppraisalView;
use skp_events::chain::{verify_chain, ChainBreak};
use skp_projections::audit::ReportView;
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
    breaks: Vec<ChainBreak>,
    /// The `aggregate_id` each stored event names, in stored order.
    aggregate_ids: Vec<Option<String>>,
    states: Vec<VersionState>,
    audit: Value,
}

impl Derived {
    fn chain_breaks(&self) -> Value {
        serde_json::to_value(&self.breaks).unwrap_or(Value::Null)
    }
}

/// Parses each stored event once; the chain check, the states (applied one event after the
/// other) and the fairness report (the audit projection's code) all start from that.
fn derive(appraisal_id: Uuid, events: &[BundledEvent]) -> Derived {
    let values: Vec<Value> = events.iter().map(|e| serde_json::from_str(&e.stored).unwrap_or(Value::Null)).collect();
    let breaks = verify_chain(&values);
    let aggregate_ids = values.iter().map(|v| v.get("aggregate_id").and_then(Value::as_str).map(str::to_owned)).collect();
    let head_hash = values.last().and_then(|v| v.get("hash")).and_then(Value::as_str).map(str::to_owned);
    let envelopes: Vec<Envelope> = values.into_iter().filter_map(|v| Envelope::from_value(v).ok()).collect();
    let mut state = Appraisal::new(appraisal_id);
    let states = envelopes
        .iter()
        .map(|envelope| {
            state.apply(envelope);
            let view = AppraisalView::of(&state).and_then(|v| serde_json::to_value(v).ok()).unwrap_or(Value::Null);
            VersionState { version: envelope.version, state: view }
        })
        .collect();
    let report = ReportView::new(appraisal_id, audit(&envelopes, &breaks));
    Derived { head_hash, breaks, aggregate_ids, states, audit: serde_json::to_value(report).unwrap_or(Value::Null) }
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
            chain_valid: derived.breaks.is_empty(),
            chain_breaks: derived.chain_breaks(),
            head_hash: derived.head_hash,
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
        for b in &derived.breaks {
            problems.push(format!("chain break at {}", crate::timeline::describe(b)));
        }
        let expected = self.appraisal_id.to_string();
        for (n, aggregate) in derived.aggregate_ids.iter().enumerate() {
            if aggregate.as_deref() != Some(expected.as_str()) {
                problems.push(format!("event at position {} belongs to aggregate {:?}, not {}", n + 1, aggregate.as_deref().unwrap_or("?"), self.appraisal_id));
            }
        }
        let chain_valid = derived.breaks.is_empty();
        if self.chain_valid != chain_valid || self.chain_breaks != derived.chain_breaks() {
            problems.push(format!("the bundle claims chain_valid {} but its events give {chain_valid}", self.chain_valid));
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
        if self.audit != *as_claimed(&self.audit, &derived.audit) {
            let verdict = |v: &Value| v.get("verdict").and_then(Value::as_str).unwrap_or("?").to_owned();
            problems.push(format!("the audit report claimed (verdict {}) is not the one its events give (verdict {})", verdict(&self.audit), verdict(&derived.audit)));
        }
        BundleCheck { appraisal_id: self.appraisal_id, events: self.events.len() as u64, head_hash: self.head_hash.clone(), intact: problems.is_empty(), problems }
    }
}

/// The derived report as a bundle exported by an earlier version would hold it: a report
/// with fewer checks than this version runs (before check 7, `periods_complete`) is compared
/// with the derived report's first checks, provided every check added since passes (then
/// the verdict and findings are the same); otherwise with the whole derived report.
fn as_claimed<'a>(claimed: &Value, derived: &'a Value) -> std::borrow::Cow<'a, Value> {
    let count = |v: &Value| v.get("checks").and_then(Value::as_array).map_or(0, Vec::len);
    let (claimed_checks, derived_checks) = (count(claimed), count(derived));
    let added: &[Value] = derived.get("checks").and_then(Value::as_array).map_or(&[], |c| c.get(claimed_checks..).unwrap_or(&[]));
    if claimed_checks == 0 || claimed_checks >= derived_checks || !added.iter().all(|c| c["passed"] == true) {
        return std::borrow::Cow::Borrowed(derived);
    }
    let mut earlier = derived.clone();
    if let Some(checks) = earlier.get_mut("checks").and_then(Value::as_array_mut) {
        checks.truncate(claimed_checks);
    }
    std::borrow::Cow::Owned(earlier)
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
