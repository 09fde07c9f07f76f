//! `skp replay`: one appraisal's (or development plan's) timeline, its state at a version or
//! an instant (the domain's [`AppraisalView`], or [`PlanView`] for a plan), and its chain
//! check. The id names either: an appraisal's subject is read first, then a plan's.

use crate::stream::{parse_body, read_all, InspectError};
use crate::timeline::{describe, entry, str_field, TimelineEntry};
use serde::Serialize;
use serde_json::Value;
use skp_domain::appraisal::Appraisal;
use skp_domain::development::view::PlanView;
use skp_domain::development::DevelopmentPlan;
use skp_domain::view::AppraisalView;
use skp_events::chain::{verify_chain, ChainBreak};
use skp_events::subject::Subjects;
use skp_events::{AggregateType, Envelope};
use skp_store::StoreSettings;
use std::fmt::Write as _;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// When `skp replay` stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// Every event.
    Latest,
    /// The first N events.
    Version(u64),
    /// The events that occurred at or before this instant.
    Instant(OffsetDateTime),
}

/// What `skp replay` found.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// `appraisal` or `development`.
    pub aggregate_type: &'static str,
    /// The appraisal (for a development plan: the appraisal it follows, when its opening is
    /// among the events read).
    pub appraisal_id: Uuid,
    /// The development plan replayed; absent for an appraisal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<Uuid>,
    /// Whether the stored chain (all of it, not only up to the replay point) is intact.
    pub chain_valid: bool,
    /// Every break of the stored chain.
    pub chain_breaks: Vec<ChainBreak>,
    /// How many events are stored.
    pub stored_events: u64,
    /// The events replayed, in stored order.
    pub timeline: Vec<TimelineEntry>,
    /// The state after them (`AppraisalView`, or the plan's `PlanView`), `null` when not yet
    /// opened at that point.
    pub state: Value,
    /// Events that could not be decoded (left out of the state), as `position: why`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecodable: Vec<String>,
}

/// The stored messages of one aggregate: `(stream sequence, body as JSON)` in stream order.
async fn stored_of(settings: &StoreSettings, kind: AggregateType, id: Uuid) -> Result<Vec<(u64, Value)>, InspectError> {
    let subject = Subjects::new(settings.subject_prefix.clone()).aggregate(kind, id);
    let mut stored = Vec::new();
    read_all(settings, &subject, |m| stored.push((m.seq, parse_body(&m.body)))).await?;
    Ok(stored)
}

/// Replays one appraisal, or one development plan, from the stream.
///
/// # Errors
/// [`InspectError`] when the stream cannot be read, neither has events or the version asked
/// for is not in it.
pub async fn replay(settings: &StoreSettings, id: Uuid, as_of: AsOf) -> Result<ReplayReport, InspectError> {
    let mut kind = AggregateType::Appraisal;
    let mut stored = stored_of(settings, kind, id).await?;
    if stored.is_empty() {
        kind = AggregateType::Development;
        stored = stored_of(settings, kind, id).await?;
    }
    if stored.is_empty() {
        return Err(InspectError::NotFound { what: "appraisal or development plan", id });
    }
    let values: Vec<&Value> = stored.iter().map(|(_, v)| v).collect();
    let chain_breaks = verify_chain(values.iter().copied());
    let last_version = values.iter().filter_map(|v| v.get("version").and_then(Value::as_u64)).max().unwrap_or(0);
    if let AsOf::Version(v) = as_of {
        if v == 0 || v > last_version {
            return Err(InspectError::VersionOutOfRange(last_version));
        }
    }
    let included = |v: &Value| match as_of {
        AsOf::Latest => true,
        AsOf::Version(n) => v.get("version").and_then(Value::as_u64).is_some_and(|version| version <= n),
        AsOf::Instant(at) => str_field(v, "occurred_at").and_then(|s| OffsetDateTime::parse(&s, &Rfc3339).ok()).is_some_and(|t| t <= at),
    };
    let mut timeline = Vec::new();
    let mut envelopes = Vec::new();
    let mut undecodable = Vec::new();
    for (index, (seq, value)) in stored.iter().enumerate() {
        if !included(value) {
            continue;
        }
        let position = index as u64 + 1;
        timeline.push(entry(position, *seq, value));
        match Envelope::from_value(value.clone()) {
            Ok(envelope) => envelopes.push(envelope),
            Err(e) => undecodable.push(format!("{position}: {e}")),
        }
    }
    let (appraisal_id, plan_id, state) = match kind {
        AggregateType::Development => {
            let appraisal = values.first().and_then(|v| v.pointer("/data/appraisal_id")).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
            let plan = PlanView::of(&DevelopmentPlan::from_events(id, envelopes.iter()));
            (appraisal.unwrap_or_default(), Some(id), plan.map(|v| serde_json::to_value(v).unwrap_or(Value::Null)).unwrap_or(Value::Null))
        }
        _ => {
            let view = AppraisalView::of(&Appraisal::from_events(id, envelopes.iter()));
            (id, None, view.map(|v| serde_json::to_value(v).unwrap_or(Value::Null)).unwrap_or(Value::Null))
        }
    };
    Ok(ReplayReport {
        aggregate_type: kind.as_str(),
        appraisal_id,
        plan_id,
        chain_valid: chain_breaks.is_empty(),
        chain_breaks,
        stored_events: stored.len() as u64,
        timeline,
        state,
        undecodable,
    })
}

impl ReplayReport {
    /// The report for a person.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let what = match self.plan_id {
            Some(plan) => format!("development plan {plan} (of appraisal {})", self.appraisal_id),
            None => format!("appraisal {}", self.appraisal_id),
        };
        let _ = writeln!(out, "{what}: {} stored events, {} replayed", self.stored_events, self.timeline.len());
        if self.chain_valid {
            let _ = writeln!(out, "chain: valid");
        } else {
            let _ = writeln!(out, "chain: BROKEN ({} breaks)", self.chain_breaks.len());
            for b in &self.chain_breaks {
                let _ = writeln!(out, "  break at {}", describe(b));
            }
        }
        let _ = writeln!(out, "\ntimeline:");
        for e in &self.timeline {
            let version = e.version.map_or_else(|| "v?".to_owned(), |v| format!("v{v}"));
            let _ = writeln!(
                out,
                "  {version:<4} {:<25} {} {:<14} {:<20} {}",
                e.occurred_at.as_deref().unwrap_or("-"),
                e.actor_nip.as_deref().unwrap_or("-"),
                e.actor_role.as_deref().unwrap_or("-"),
                e.event_type.as_deref().unwrap_or("-"),
                e.summary
            );
        }
        for problem in &self.undecodable {
            let _ = writeln!(out, "  not decodable, left out of the state: {problem}");
        }
        let _ = writeln!(out, "\nstate:");
        if self.state.is_null() {
            let _ = writeln!(out, "  not opened at that point");
        } else {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&self.state).unwrap_or_default());
        }
        out
    }
}
