//! The development plan's part of an evidence bundle (format 2): its events as stored, its
//! state after each version, its chain check and head hash, re-checked offline the same way
//! as the appraisal's; and its record, from which the audit report's information on whether
//! pembinaan followed a low predikat is derived.

use super::stored::{BundledEvent, VersionState};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use skp_domain::audit::PembinaanRecord;
use skp_domain::development::view::PlanView;
use skp_domain::development::DevelopmentPlan;
use skp_events::chain::{verify_chain, ChainBreak};
use skp_events::Envelope;
use uuid::Uuid;

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
pub(crate) struct PlanDerived {
    head_hash: Option<String>,
    breaks: Vec<ChainBreak>,
    aggregate_ids: Vec<Option<String>>,
    appraisal_ids: Vec<Option<String>>,
    states: Vec<VersionState>,
    pub(crate) record: Option<PembinaanRecord>,
}

/// Derives a plan's chain check, states and audit record from its events alone.
pub(crate) fn derive_plan(plan_id: Uuid, events: &[BundledEvent]) -> PlanDerived {
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
    pub(crate) fn check(&self, appraisal_id: Uuid, derived: &PlanDerived, problems: &mut Vec<String>) {
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
