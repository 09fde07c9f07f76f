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
//!
//! Format 2 (this version writes it) adds the appraisal's development plan (`development`,
//! `null` when none was open at export): its events as stored, its state after each version,
//! its chain check and head hash, checked the same way, and the audit report's information on
//! whether pembinaan followed a low predikat, derived from both. Format 1 bundles (no plan, no
//! such information) are still read and checked as they were written.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use skp_domain::appraisal::Appraisal;
use skp_domain::audit::{audit, PembinaanRecord};
use skp_domain::development::view::PlanView;
use skp_domain::development::DevelopmentPlan;
use skp_domain::view::AppraisalView;
use skp_events::chain::{verify_chain, ChainBreak};
use skp_projections::audit::ReportView;
use skp_events::Envelope;
use std::fmt::Write as _;
use uuid::Uuid;

/// The `format` of the bundles this version writes (and reads).
pub const FORMAT: &str = "skp-evidence-bundle/2";
/// The format of bundles written before development plans, still read and checked.
pub const FORMAT_1: &str = "skp-evidence-bundle/1";

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
    /// The appraisal's development plan (format 2; `null` when none was open at export).
    #[serde(default)]
    pub development: Option<PlanBundle>,
}

/// A development plan's record in a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanBundle {
    /// The plan (UUID v5 of the appraisal's id).
    pub plan_id: Uuid,
    /// The subject its events were read from.
    pub subject: String,
    /// The hash of its last event.
    pub head_hash: Option<String>,
    /// Whether its hash chain and versions were intact.
    pub chain_valid: bool,
    /// Every break found, with its position.
    pub chain_breaks: Value,
    /// Its events as stored, in stored order.
    pub events: Vec<BundledEvent>,
    /// Its state after each version (`GET /v1/development/{plan_id}`).
    pub states: Vec<VersionState>,
}

/// What a plan's events say, derived again from them alone.
struct PlanDerived {
    head_hash: Option<String>,
    breaks: Vec<ChainBreak>,
    aggregate_ids: Vec<Option<String>>,
    appraisal_ids: Vec<Option<String>>,
    states: Vec<VersionState>,
    record: Option<PembinaanRecord>,
}

fn derive_plan(plan_id: Uuid, events: &[BundledEvent]) -> PlanDerived {
    let values: Vec<Value> = events.iter().map(|e| serde_json::from_str(&e.stored).unwrap_or(Value::Null)).collect();
    let breaks = verify_chain(&values);
    let field = |v: &Value, pointer: &str| v.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
    let aggregate_ids = values.iter().map(|v| field(v, "/aggregate_id")).collect();
    let appraisal_ids = values.iter().filter(|v| v.get("type").and_then(Value::as_str) == Some("DevelopmentPlanOpened")).map(|v| field(v, "/data/appraisal_id")).collect();
    let head_hash = values.last().and_then(|v| v.get("hash")).and_then(Value::as_str).map(str::to_owned);
    let envelopes: Vec<Envelope> = values.into_iter().filter_map(|v| Envelope::from_value(v).ok()).collect();
    let mut state = DevelopmentPlan::new(plan_id);
    let states = envelopes
        .iter()
        .map(|envelope| {
            state.apply(envelope);
            let view = PlanView::of(&state).and_then(|v| serde_json::to_value(v).ok()).unwrap_or(Value::Null);
            VersionState { version: envelope.version, state: view }
        })
        .collect();
    PlanDerived { head_hash, breaks, aggregate_ids, appraisal_ids, states, record: PembinaanRecord::of(&state) }
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

/// How the fairness report is derived: without information (format 1, written before
/// development plans), or with whether pembinaan followed, from the plan's record (`None`: no
/// plan).
enum Pembinaan<'a> {
    Unknown,
    Known(Option<&'a PembinaanRecord>),
}

/// Parses each stored event once; the chain check, the states (applied one event after the
/// other) and the fairness report (the audit projection's code) all start from that.
fn derive(appraisal_id: Uuid, events: &[BundledEvent], pembinaan: Pembinaan<'_>) -> Derived {
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
    let report = match pembinaan {
        Pembinaan::Unknown => audit(&envelopes, &breaks),
        Pembinaan::Known(plan) => audit(&envelopes, &breaks).with_pembinaan(&envelopes.iter().collect::<Vec<_>>(), plan),
    };
    let report = ReportView::new(appraisal_id, report);
    Derived { head_hash, breaks, aggregate_ids, states, audit: serde_json::to_value(report).unwrap_or(Value::Null) }
}

impl PlanBundle {
    /// The record of a plan's `events` (stored order) read from `subject`.
    pub fn new(plan_id: Uuid, subject: &str, events: Vec<BundledEvent>) -> Self {
        let derived = derive_plan(plan_id, &events);
        Self {
            plan_id,
            subject: subject.to_owned(),
            head_hash: derived.head_hash,
            chain_valid: derived.breaks.is_empty(),
            chain_breaks: serde_json::to_value(&derived.breaks).unwrap_or(Value::Null),
            events,
            states: derived.states,
        }
    }

    /// What is wrong with the plan's record, checked against its own events.
    fn check(&self, appraisal_id: Uuid, derived: &PlanDerived, problems: &mut Vec<String>) {
        let expected = skp_events::ids::development_plan_id(appraisal_id);
        if self.plan_id != expected {
            problems.push(format!("the development plan {} is not the plan of appraisal {appraisal_id} ({expected})", self.plan_id));
        }
        for b in &derived.breaks {
            problems.push(format!("development plan: chain break at {}", crate::timeline::describe(b)));
        }
        let plan = self.plan_id.to_string();
        for (n, aggregate) in derived.aggregate_ids.iter().enumerate() {
            if aggregate.as_deref() != Some(plan.as_str()) {
                problems.push(format!("development plan: event at position {} belongs to aggregate {:?}, not {plan}", n + 1, aggregate.as_deref().unwrap_or("?")));
            }
        }
        let appraisal = appraisal_id.to_string();
        if derived.appraisal_ids.iter().any(|a| a.as_deref() != Some(appraisal.as_str())) {
            problems.push(format!("development plan: its opening names another appraisal than {appraisal}"));
        }
        let chain_valid = derived.breaks.is_empty();
        if self.chain_valid != chain_valid || self.chain_breaks != serde_json::to_value(&derived.breaks).unwrap_or(Value::Null) {
            problems.push(format!("development plan: the bundle claims chain_valid {} but its events give {chain_valid}", self.chain_valid));
        }
        if self.head_hash != derived.head_hash {
            problems.push("development plan: head_hash is not the hash of its last event".to_owned());
        }
        if self.states.len() != derived.states.len() {
            problems.push(format!("development plan: the bundle claims {} states; its events give {}", self.states.len(), derived.states.len()));
        }
        for (claimed, derived) in self.states.iter().zip(&derived.states) {
            if claimed != derived {
                problems.push(format!("development plan: the state claimed after version {} is not the state its events give (version {})", claimed.version, derived.version));
            }
        }
    }
}

impl Bundle {
    /// A bundle of `events` (stored order) read from `stream`/`subject`, with the appraisal's
    /// development plan if one is open.
    pub fn new(appraisal_id: Uuid, stream: &str, subject: &str, exported_at: String, events: Vec<BundledEvent>, development: Option<PlanBundle>) -> Self {
        let plan = development.as_ref().map(|p| derive_plan(p.plan_id, &p.events));
        let derived = derive(appraisal_id, &events, Pembinaan::Known(plan.as_ref().and_then(|p| p.record.as_ref())));
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
            development,
        }
    }

    /// Checks the bundle against its own events, offline.
    pub fn check(&self) -> BundleCheck {
        let mut problems = Vec::new();
        if self.format != FORMAT && self.format != FORMAT_1 {
            problems.push(format!("format {:?} is neither {FORMAT:?} nor {FORMAT_1:?}", self.format));
        }
        if self.format == FORMAT_1 && self.development.is_some() {
            problems.push(format!("a {FORMAT_1:?} bundle holds no development plan"));
        }
        let plan = self.development.as_ref().map(|p| derive_plan(p.plan_id, &p.events));
        if let (Some(part), Some(derived)) = (&self.development, &plan) {
            part.check(self.appraisal_id, derived, &mut problems);
        }
        let pembinaan = if self.format == FORMAT_1 { Pembinaan::Unknown } else { Pembinaan::Known(plan.as_ref().and_then(|p| p.record.as_ref())) };
        let derived = derive(self.appraisal_id, &self.events, pembinaan);
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
        if self.audit != derived.audit {
            let verdict = |v: &Value| v.get("verdict").and_then(Value::as_str).unwrap_or("?").to_owned();
            problems.push(format!("the audit report claimed (verdict {}) is not the one its events give (verdict {})", verdict(&self.audit), verdict(&derived.audit)));
        }
        let development = self.development.as_ref().map(|p| PlanSummary { plan_id: p.plan_id, events: p.events.len() as u64, head_hash: p.head_hash.clone() });
        BundleCheck { appraisal_id: self.appraisal_id, events: self.events.len() as u64, head_hash: self.head_hash.clone(), development, intact: problems.is_empty(), problems }
    }
}

/// The development plan a bundle holds, as `skp verify --bundle` names it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    /// The plan.
    pub plan_id: Uuid,
    /// How many of its events the bundle holds.
    pub events: u64,
    /// The hash of its last event.
    pub head_hash: Option<String>,
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
    /// Its development plan, if it holds one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub development: Option<PlanSummary>,
    /// True when the bundle is consistent with its events and the chain is intact.
    pub intact: bool,
    /// Every problem found, each naming the part and position.
    pub problems: Vec<String>,
}

impl BundleCheck {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut out = format!("bundle of appraisal {}: {} events, head hash {}\n", self.appraisal_id, self.events, self.head_hash.as_deref().unwrap_or("-"));
        if let Some(plan) = &self.development {
            let _ = writeln!(out, "and of its development plan {}: {} events, head hash {}", plan.plan_id, plan.events, plan.head_hash.as_deref().unwrap_or("-"));
        }
        if self.intact {
            let chains = if self.development.is_some() { "both hash chains (the appraisal's and its plan's)" } else { "the hash chain" };
            let _ = writeln!(out, "intact: {chains} and versions hold, and every state and the audit report follow from the events");
        } else {
            let _ = writeln!(out, "NOT INTACT: {} problem(s)", self.problems.len());
            for problem in &self.problems {
                let _ = writeln!(out, "  {problem}");
            }
        }
        out
    }
}
