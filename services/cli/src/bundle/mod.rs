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
//! Format 2 adds two parts, each with its own chain, re-checked the same way:
//! - the appraisal's survey chain ([`survey`]), for an exporter who may read it;
//! - the appraisal's development plan ([`plan`], `null` when none was open at export), from
//!   which the audit report's information on whether pembinaan followed a low predikat is
//!   derived.
//!
//! Its audit report carries `information`, and its participative check counts only the
//! feedback of people of record and nominated evaluators. A bundle of format 1 is still
//! checked: its chain, versions, head hash and each state's fields as they were written; its
//! audit report, made under the earlier rules (six checks, before `periods_complete`), is not
//! compared (the check says so in a note).

pub mod plan;
pub mod stored;
pub mod survey;

use plan::{derive_plan, PlanBundle, PlanSummary};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use skp_domain::appraisal::Appraisal;
use skp_domain::audit::{audit, PembinaanRecord};
use skp_domain::view::AppraisalView;
use skp_events::chain::{verify_chain, ChainBreak};
use skp_events::Envelope;
use skp_projections::audit::ReportView;
use std::fmt::Write as _;
pub use stored::{BundledEvent, VersionState};
use survey::SurveySection;
use uuid::Uuid;

/// The `format` of the bundles this version writes.
pub const FORMAT: &str = "skp-evidence-bundle/2";
/// The format written before the survey and development plans, still read and checked.
pub const FORMAT_1: &str = "skp-evidence-bundle/1";

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
    /// The survey's chain, when the exporter may read it (format 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<SurveySection>,
    /// Why the bundle holds no survey (format 2, when `survey` is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_withheld: Option<String>,
    /// The appraisal's development plan (format 2; `null` when none was open at export).
    #[serde(default)]
    pub development: Option<PlanBundle>,
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

/// How the fairness report is derived: without the pembinaan information (format 1), or with
/// whether pembinaan followed, from the plan's record (`None`: no plan).
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

impl Bundle {
    /// A bundle of `events` (stored order) read from `stream`/`subject`, with the appraisal's
    /// development plan if one is open. The survey part is added by the exporter when its
    /// caller may read it.
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
            survey: None,
            survey_withheld: None,
            development,
        }
    }

    /// Checks the bundle against its own events, offline.
    pub fn check(&self) -> BundleCheck {
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        let first_format = self.format == FORMAT_1;
        if self.format != FORMAT && !first_format {
            problems.push(format!("format {:?} is neither {FORMAT:?} nor {FORMAT_1:?}", self.format));
        }
        if first_format && (self.development.is_some() || self.survey.is_some()) {
            problems.push(format!("a {FORMAT_1:?} bundle holds no survey and no development plan"));
        }
        let plan = self.development.as_ref().map(|p| derive_plan(p.plan_id, &p.events));
        if let (Some(part), Some(derived)) = (&self.development, &plan) {
            part.check(self.appraisal_id, derived, &mut problems);
        }
        let pembinaan = if first_format { Pembinaan::Unknown } else { Pembinaan::Known(plan.as_ref().and_then(|p| p.record.as_ref())) };
        let derived = derive(self.appraisal_id, &self.events, pembinaan);
        self.check_appraisal(&derived, first_format, &mut problems, &mut notes);
        let survey_events = match &self.survey {
            Some(survey) => {
                problems.extend(survey.problems(self.appraisal_id));
                Some(survey.events.len() as u64)
            }
            None => {
                notes.push(format!("no survey chain in the bundle{}", self.survey_withheld.as_deref().map(|w| format!(": {w}")).unwrap_or_default()));
                None
            }
        };
        let development = self.development.as_ref().map(|p| PlanSummary { plan_id: p.plan_id, events: p.events.len() as u64, head_hash: p.head_hash.clone() });
        BundleCheck {
            appraisal_id: self.appraisal_id,
            events: self.events.len() as u64,
            head_hash: self.head_hash.clone(),
            development,
            intact: problems.is_empty(),
            problems,
            survey_events,
            survey_head_hash: self.survey.as_ref().and_then(|s| s.head_hash.clone()),
            notes,
        }
    }

    /// The appraisal's own part against what its events give.
    fn check_appraisal(&self, derived: &Derived, first_format: bool, problems: &mut Vec<String>, notes: &mut Vec<String>) {
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
            let same = if first_format { fields_hold(&claimed.state, &derived.state) && claimed.version == derived.version } else { claimed == derived };
            if !same {
                problems.push(format!("the state claimed after version {} is not the state its events give (version {})", claimed.version, derived.version));
            }
        }
        if first_format {
            notes.push(format!(
                "format {FORMAT_1}: each state is checked on the fields it was written with; its audit report, made under the rules before nominated evaluators, development plans and periodic evaluation (check 7), is not compared"
            ));
        } else if self.audit != derived.audit {
            let verdict = |v: &Value| v.get("verdict").and_then(Value::as_str).unwrap_or("?").to_owned();
            problems.push(format!("the audit report claimed (verdict {}) is not the one its events give (verdict {})", verdict(&self.audit), verdict(&derived.audit)));
        }
    }
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
    /// True when the bundle is consistent with its events and every chain is intact.
    pub intact: bool,
    /// Every problem found, each naming the part and position.
    pub problems: Vec<String>,
    /// How many survey events the bundle holds (`null` without a survey chain).
    pub survey_events: Option<u64>,
    /// The hash of the survey's last event.
    pub survey_head_hash: Option<String>,
    /// What was not checked, and why.
    pub notes: Vec<String>,
}

/// Whether every field `claimed` names holds the value `derived` gives, at every level (a
/// state written by an earlier version lacks the fields added since).
fn fields_hold(claimed: &Value, derived: &Value) -> bool {
    match (claimed, derived) {
        (Value::Object(claimed), Value::Object(derived)) => claimed.iter().all(|(k, v)| derived.get(k).is_some_and(|d| fields_hold(v, d))),
        (Value::Array(claimed), Value::Array(derived)) => claimed.len() == derived.len() && claimed.iter().zip(derived).all(|(c, d)| fields_hold(c, d)),
        _ => claimed == derived,
    }
}

impl BundleCheck {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut out = format!("bundle of appraisal {}: {} events, head hash {}\n", self.appraisal_id, self.events, self.head_hash.as_deref().unwrap_or("-"));
        if let Some(plan) = &self.development {
            let _ = writeln!(out, "and of its development plan {}: {} events, head hash {}", plan.plan_id, plan.events, plan.head_hash.as_deref().unwrap_or("-"));
        }
        if let Some(n) = self.survey_events {
            let _ = writeln!(out, "survey: {n} events, head hash {}", self.survey_head_hash.as_deref().unwrap_or("-"));
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        if self.intact {
            let mut chains = vec!["the appraisal's"];
            if self.development.is_some() {
                chains.push("its plan's");
            }
            if self.survey_events.is_some() {
                chains.push("its survey's");
            }
            let _ = writeln!(out, "intact: the hash chains ({}) and versions hold, and every state and the audit report follow from the events", chains.join(", "));
        } else {
            let _ = writeln!(out, "NOT INTACT: {} problem(s)", self.problems.len());
            for problem in &self.problems {
                let _ = writeln!(out, "  {problem}");
            }
        }
        out
    }
}
