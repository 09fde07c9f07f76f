//! The survey chain in an evidence bundle (issue 13): the closed 360 survey's answers and the
//! public's feedback of one appraisal live on their own aggregate (`<prefix>.survey.<id>`),
//! which the employee never reads. `skp export` puts it into the bundle only for a caller who
//! may read it (the appraisal's rater or rater superior, an admin, an inspector: the domain's
//! `access::read_survey`), named by a bearer token (`--token` or `SKP_TOKEN`) verified with
//! `SKP_JWT_SECRET` like the API's; otherwise the bundle says why it holds no survey.
//! `skp verify --bundle` re-checks the survey's chain as it does the appraisal's.

use super::stored::BundledEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use skp_events::chain::{verify_chain, ChainBreak};
use uuid::Uuid;

/// Who the survey was exported for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exporter {
    /// The token's NIP.
    pub nip: String,
    /// The token's global roles.
    pub roles: Vec<String>,
}

/// The survey's events as stored, with their chain check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveySection {
    /// The survey's subject.
    pub subject: String,
    /// Who it was exported for (the caller who may read it).
    pub exported_for: Exporter,
    /// The hash of its last event (`null` when the survey has none).
    pub head_hash: Option<String>,
    /// Whether its hash chain and versions were intact.
    pub chain_valid: bool,
    /// Every break found.
    pub chain_breaks: Value,
    /// The events as stored, in stored order.
    pub events: Vec<BundledEvent>,
}

/// What the survey's events say, derived again.
struct Derived {
    breaks: Vec<ChainBreak>,
    head_hash: Option<String>,
    /// `(aggregate_type, aggregate_id)` of each event.
    owners: Vec<(Option<String>, Option<String>)>,
}

fn derive(events: &[BundledEvent]) -> Derived {
    let values: Vec<Value> = events.iter().map(|e| serde_json::from_str(&e.stored).unwrap_or(Value::Null)).collect();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    Derived {
        breaks: verify_chain(&values),
        head_hash: values.last().and_then(|v| text(v, "hash")),
        owners: values.iter().map(|v| (text(v, "aggregate_type"), text(v, "aggregate_id"))).collect(),
    }
}

impl SurveySection {
    /// The section of `events` read from `subject` for `exported_for`.
    pub fn new(subject: &str, exported_for: Exporter, events: Vec<BundledEvent>) -> Self {
        let derived = derive(&events);
        Self {
            subject: subject.to_owned(),
            exported_for,
            head_hash: derived.head_hash,
            chain_valid: derived.breaks.is_empty(),
            chain_breaks: serde_json::to_value(&derived.breaks).unwrap_or(Value::Null),
            events,
        }
    }

    /// Every problem of the section, re-derived from its events: chain breaks, events of
    /// another aggregate, and claims that its events do not give.
    pub fn problems(&self, appraisal_id: Uuid) -> Vec<String> {
        let derived = derive(&self.events);
        let mut problems: Vec<String> = derived.breaks.iter().map(|b| format!("survey chain break at {}", crate::timeline::describe(b))).collect();
        let expected = appraisal_id.to_string();
        for (n, (kind, id)) in derived.owners.iter().enumerate() {
            if kind.as_deref() != Some("survey") || id.as_deref() != Some(expected.as_str()) {
                problems.push(format!(
                    "survey event at position {} belongs to {} {}, not to the survey of appraisal {appraisal_id}",
                    n + 1,
                    kind.as_deref().unwrap_or("?"),
                    id.as_deref().unwrap_or("?")
                ));
            }
        }
        let chain_breaks = serde_json::to_value(&derived.breaks).unwrap_or(Value::Null);
        if self.chain_valid != derived.breaks.is_empty() || self.chain_breaks != chain_breaks {
            problems.push(format!("the bundle claims the survey's chain_valid {} but its events give {}", self.chain_valid, derived.breaks.is_empty()));
        }
        if self.head_hash != derived.head_hash {
            problems.push("the survey's head_hash is not the hash of its last event".to_owned());
        }
        problems
    }
}
