//! `skp replay`: one appraisal's timeline, its state at a version or an instant (the
//! domain's [`AppraisalView`]), and its chain check.

use crate::stream::{parse_body, read_all, InspectError};
use crate::timeline::{describe, entry, str_field, TimelineEntry};
use serde::Serialize;
use serde_json::Value;
use skp_domain::appraisal::Appraisal;
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
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// Whether the stored chain (all of it, not only up to the replay point) is intact.
    pub chain_valid: bool,
    /// Every break of the stored chain.
    pub chain_breaks: Vec<ChainBreak>,
    /// How many events are stored.
    pub stored_events: u64,
    /// The events replayed, in stored order.
    pub timeline: Vec<TimelineEntry>,
    /// The state after them (`AppraisalView`), `null` when not yet opened at that point.
    pub state: Value,
    /// Events that could not be decoded (left out of the state), as `position: why`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecodable: Vec<String>,
}

/// Replays one appraisal from the stream.
///
/// # Errors
/// [`InspectError`] when the stream cannot be read, the appraisal has no events or the
/// version asked for is not in it.
pub async fn replay(settings: &StoreSettings, appraisal_id: Uuid, as_of: AsOf) -> Result<ReplayReport, InspectError> {
    let subject = Subjects::new(settings.subject_prefix.clone()).aggregate(AggregateType::Appraisal, appraisal_id);
    let mut stored = Vec::new();
    read_all(settings, &subject, |m| stored.push((m.seq, parse_body(&m.body)))).await?;
    if stored.is_empty() {
        return Err(InspectError::NotFound { what: "appraisal", id: appraisal_id });
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
    let state = Appraisal::from_events(appraisal_id, envelopes.iter());
    let state = AppraisalView::of(&state).map(|view| serde_json::to_value(view).unwrap_or(Value::Null)).unwrap_or(Value::Null);
    Ok(ReplayReport { appraisal_id, chain_valid: chain_breaks.is_empty(), chain_breaks, stored_events: stored.len() as u64, timeline, state, undecodable })
}

impl ReplayReport {
    /// The report for a person.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "appraisal {}: {} stored events, {} replayed", self.appraisal_id, self.stored_events, self.timeline.len());
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
