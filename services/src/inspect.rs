//! Inspection straight from the event stream, for operators and inspectors: `skp replay` and
//! `skp verify`. Both read JetStream only (no API, no PostgreSQL), through an ephemeral pull
//! consumer with `AckPolicy::None` that reads in large batches and deletes itself.
//!
//! - [`replay`]: one appraisal's timeline, its state at a version or an instant, and its
//!   chain check;
//! - [`verify`]: every aggregate's hash chain and version sequence (or one cycle's), with
//!   every break named by aggregate and position.
//!
//! - [`export`]: one appraisal's evidence bundle ([`crate::bundle`]).

use crate::api::view::AppraisalView;
use crate::bundle::{Bundle, BundledEvent};
use crate::config::Settings;
use crate::store::connect_with_retry;
use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::{self, Context};
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
use skp_domain::appraisal::Appraisal;
use skp_events::chain::{verify_chain, ChainBreak, ChainVerifier};
use skp_events::subject::Subjects;
use skp_events::{AggregateType, Envelope};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// Messages asked for per pull request.
const BATCH: usize = 4096;
/// How long to wait for NATS when connecting.
const CONNECT_WAIT: Duration = Duration::from_secs(5);
/// How many empty pulls in a row before giving up on a stream that should have more.
const EMPTY_PULLS: u32 = 50;

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

/// Which aggregates `skp verify` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every aggregate of the stream.
    All,
    /// One cycle and the appraisals whose `AppraisalOpened.cycle_id` is it.
    Cycle(Uuid),
}

/// Why an inspection could not be done (as opposed to what it found).
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// NATS or the stream could not be read.
    #[error("event stream: {0}")]
    Stream(String),
    /// The appraisal has no events.
    #[error("no events for appraisal {0}")]
    NotFound(Uuid),
    /// The version asked for is not in the appraisal.
    #[error("--as-of-version must be between 1 and {0}")]
    VersionOutOfRange(u64),
}

fn nats(e: impl std::fmt::Display) -> InspectError {
    InspectError::Stream(e.to_string())
}

/// One message as read from the stream.
struct Stored {
    seq: u64,
    subject: String,
    body: bytes::Bytes,
}

async fn context(settings: &Settings) -> Result<Context, InspectError> {
    let client = connect_with_retry(&settings.store.nats_url, CONNECT_WAIT).await.map_err(nats)?;
    Ok(jetstream::new(client))
}

/// Reads every message of the stream matching `filter` (empty: all) up to the stream's last
/// sequence at the start, in stream order, handing each to `each`.
async fn read_stream(js: &Context, stream_name: &str, filter: &str, mut each: impl FnMut(Stored)) -> Result<(), InspectError> {
    let mut stream = js.get_stream(stream_name).await.map_err(|e| InspectError::Stream(format!("stream {stream_name}: {e}")))?;
    let head = stream.info().await.map_err(nats)?.state.last_sequence;
    let config = pull::Config {
        deliver_policy: DeliverPolicy::All,
        ack_policy: AckPolicy::None,
        filter_subject: filter.to_owned(),
        inactive_threshold: Duration::from_secs(30),
        description: Some("skp inspect (ephemeral)".into()),
        ..Default::default()
    };
    let mut consumer = stream.create_consumer(config).await.map_err(nats)?;
    let name = consumer.cached_info().name.clone();
    let mut remaining = consumer.info().await.map_err(nats)?.num_pending;
    let mut reached = 0;
    let mut empty = 0;
    let result = async {
        while remaining > 0 && reached < head {
            let mut batch = consumer.fetch().max_messages(BATCH).messages().await.map_err(nats)?;
            let mut got = 0;
            while let Some(message) = batch.next().await {
                let message = message.map_err(nats)?;
                let info = message.info().map_err(nats)?;
                let (seq, pending) = (info.stream_sequence, info.pending);
                if seq > head {
                    remaining = 0;
                    break;
                }
                got += 1;
                reached = seq;
                remaining = pending;
                each(Stored { seq, subject: message.subject.to_string(), body: message.payload.clone() });
            }
            if got == 0 {
                empty += 1;
                if empty >= EMPTY_PULLS {
                    return Err(InspectError::Stream(format!("stream {stream_name} stopped delivering after sequence {reached} (head {head})")));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            } else {
                empty = 0;
            }
        }
        Ok(())
    }
    .await;
    let _ = stream.delete_consumer(&name).await;
    result
}

fn parse_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------------
// export

/// Reads one appraisal's events as stored and makes its evidence bundle.
///
/// # Errors
/// [`InspectError`] when the stream cannot be read or the appraisal has no events.
pub async fn export(settings: &Settings, appraisal_id: Uuid) -> Result<Bundle, InspectError> {
    let js = context(settings).await?;
    let subject = Subjects::new(settings.store.subject_prefix.clone()).aggregate(AggregateType::Appraisal, appraisal_id);
    let mut events = Vec::new();
    read_stream(&js, &settings.store.stream, &subject, |m| {
        // Stored bodies are UTF-8 JSON; anything else is kept as best it can be and fails
        // the chain check, as it should.
        events.push(BundledEvent { stream_sequence: m.seq, stored: String::from_utf8_lossy(&m.body).into_owned() });
    })
    .await?;
    if events.is_empty() {
        return Err(InspectError::NotFound(appraisal_id));
    }
    let exported_at = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
    Ok(Bundle::new(appraisal_id, &settings.store.stream, &subject, exported_at, events))
}

// ---------------------------------------------------------------------------------------
// replay

/// One event of a replay's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// 1-based position in the aggregate's stored order.
    pub position: u64,
    /// The message's stream sequence.
    pub stream_sequence: u64,
    /// The envelope's `version`.
    pub version: Option<u64>,
    /// `occurred_at` as stored.
    pub occurred_at: Option<String>,
    /// `actor.nip`.
    pub actor_nip: Option<String>,
    /// `actor.role`.
    pub actor_role: Option<String>,
    /// The event type.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// One line on the data that matters.
    pub summary: String,
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
pub async fn replay(settings: &Settings, appraisal_id: Uuid, as_of: AsOf) -> Result<ReplayReport, InspectError> {
    let js = context(settings).await?;
    let subject = Subjects::new(settings.store.subject_prefix.clone()).aggregate(AggregateType::Appraisal, appraisal_id);
    let mut stored = Vec::new();
    read_stream(&js, &settings.store.stream, &subject, |m| stored.push((m.seq, parse_body(&m.body)))).await?;
    if stored.is_empty() {
        return Err(InspectError::NotFound(appraisal_id));
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

fn str_field(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn entry(position: u64, stream_sequence: u64, value: &Value) -> TimelineEntry {
    let actor = value.get("actor");
    let event_type = str_field(value, "type");
    TimelineEntry {
        position,
        stream_sequence,
        version: value.get("version").and_then(Value::as_u64),
        occurred_at: str_field(value, "occurred_at"),
        actor_nip: actor.and_then(|a| str_field(a, "nip")),
        actor_role: actor.and_then(|a| str_field(a, "role")),
        summary: summary(event_type.as_deref().unwrap_or_default(), value.get("data").unwrap_or(&Value::Null)),
        event_type,
    }
}

/// One line on the data of an event that matters to a reader of the timeline.
pub fn summary(event_type: &str, data: &Value) -> String {
    let s = |name: &str| data.get(name).map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).unwrap_or_else(|| "-".into());
    let has = |name: &str| data.get(name).is_some_and(|v| !v.is_null());
    let person = |name: &str| {
        let p = data.get(name);
        let field = |f: &str| p.and_then(|p| p.get(f)).and_then(Value::as_str).unwrap_or("-").to_owned();
        format!("{} {}", field("nip"), field("name"))
    };
    let line = match event_type {
        "CycleOpened" => format!(
            "{} {}, plan due {}, objection window {} d, decision window {} d",
            s("organization"),
            s("year"),
            s("plan_due"),
            s("objection_window_days"),
            s("decision_window_days")
        ),
        "AppraisalOpened" => format!("cycle {}; employee {}; rater {}; rater superior {}", s("cycle_id"), person("employee"), person("rater"), person("rater_superior")),
        "PlanDrafted" => {
            let results = data.get("results").and_then(Value::as_array);
            let indicators: usize = results.map(|r| r.iter().filter_map(|r| r.get("indicators").and_then(Value::as_array)).map(Vec::len).sum()).unwrap_or(0);
            format!("{} results, {indicators} indicators", results.map_or(0, Vec::len))
        }
        "PlanSubmitted" | "TargetsAgreed" | "ScoreAccepted" => String::new(),
        "PlanReturned" => format!("reason: {}", s("reason")),
        "FeedbackGiven" => {
            let on = if has("indicator_id") { format!(" on {}", s("indicator_id")) } else { String::new() };
            format!("about {}{on}: {}", s("about"), s("text"))
        }
        "RealisationRecorded" => {
            let evidence = if has("evidence") { format!(" (evidence {})", s("evidence")) } else { String::new() };
            format!("{} = {}{evidence}", s("indicator_id"), s("value"))
        }
        "ScoreGiven" => format!(
            "results {}, behaviour {} -> predikat {}; objection due {}",
            s("results_rating"),
            s("behaviour_rating"),
            s("predikat"),
            s("objection_due")
        ),
        "ScoreObjected" => {
            let mut line = format!("reason: {}", s("reason"));
            if has("requested_results_rating") || has("requested_behaviour_rating") {
                let _ = write!(line, "; asks results {}, behaviour {}", s("requested_results_rating"), s("requested_behaviour_rating"));
            }
            let _ = write!(line, "; decision due {}", s("decision_due"));
            line
        }
        "ForumResolved" => {
            let late = if data.get("late").and_then(Value::as_bool) == Some(true) { " (late)" } else { "" };
            format!("outcome {}: results {}, behaviour {} -> predikat {}{late}", s("outcome"), s("results_rating"), s("behaviour_rating"), s("predikat"))
        }
        "ScoreFinalized" => format!("via {}: results {}, behaviour {} -> predikat {}", s("via"), s("results_rating"), s("behaviour_rating"), s("predikat")),
        _ => data.to_string(),
    };
    shorten(&line, 140)
}

fn shorten(line: &str, max: usize) -> String {
    let flat: String = line.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let mut cut: String = flat.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

/// One break as a line: position, event id, kind (and the versions of a gap).
pub(crate) fn describe(b: &ChainBreak) -> String {
    let kind = serde_json::to_value(&b.kind).ok();
    let name = kind.as_ref().and_then(|k| k.get("kind")).and_then(Value::as_str).unwrap_or("break").to_owned();
    let detail = match &b.kind {
        skp_events::chain::BreakKind::VersionGap { expected, found } => {
            format!(" (expected version {expected}, found {})", found.map_or_else(|| "none".to_owned(), |f| f.to_string()))
        }
        _ => String::new(),
    };
    let event = b.event_id.as_deref().map(|id| format!(" event {id}")).unwrap_or_default();
    format!("position {}{event}: {name}{detail}", b.position)
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

// ---------------------------------------------------------------------------------------
// verify

/// One break found by `skp verify`.
#[derive(Debug, Clone, Serialize)]
pub struct AggregateBreak {
    /// The aggregate's subject.
    pub subject: String,
    /// `cycle` or `appraisal`; `None` when the subject is not an aggregate's.
    pub aggregate_type: Option<&'static str>,
    /// The aggregate's id, when the subject names one.
    pub aggregate_id: Option<Uuid>,
    /// Where and what.
    #[serde(flatten)]
    pub chain_break: ChainBreak,
    /// The message's stream sequence.
    pub stream_sequence: u64,
}

/// What `skp verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The stream read.
    pub stream: String,
    /// `all` or `cycle <id>`.
    pub scope: String,
    /// Aggregates checked.
    pub aggregates: u64,
    /// Events checked.
    pub events: u64,
    /// Seconds taken, reading included.
    pub seconds: f64,
    /// Events per second.
    pub events_per_second: f64,
    /// No break anywhere.
    pub intact: bool,
    /// Every break, by stream order.
    pub breaks: Vec<AggregateBreak>,
}

#[derive(Default)]
struct Aggregate {
    verifier: ChainVerifier,
    cycle_id: Option<Uuid>,
    breaks: Vec<(ChainBreak, u64)>,
}

/// Re-checks every hash chain and version sequence in `scope`.
///
/// # Errors
/// [`InspectError::Stream`] when the stream cannot be read.
pub async fn verify(settings: &Settings, scope: Scope) -> Result<VerifyReport, InspectError> {
    let started = Instant::now();
    let js = context(settings).await?;
    let subjects = Subjects::new(settings.store.subject_prefix.clone());
    let mut aggregates: HashMap<String, Aggregate> = HashMap::new();
    read_stream(&js, &settings.store.stream, "", |m| {
        let value = parse_body(&m.body);
        let aggregate = aggregates.entry(m.subject).or_default();
        if aggregate.cycle_id.is_none() && value.get("type").and_then(Value::as_str) == Some("AppraisalOpened") {
            aggregate.cycle_id = value.pointer("/data/cycle_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
        }
        aggregate.breaks.extend(aggregate.verifier.push(&value).into_iter().map(|b| (b, m.seq)));
    })
    .await?;
    let cycle_subject = match scope {
        Scope::Cycle(id) => Some(subjects.aggregate(AggregateType::Cycle, id)),
        Scope::All => None,
    };
    let in_scope = |subject: &str, a: &Aggregate| match scope {
        Scope::All => true,
        Scope::Cycle(id) => a.cycle_id == Some(id) || cycle_subject.as_deref() == Some(subject),
    };
    let (mut count, mut events, mut breaks) = (0, 0, Vec::new());
    for (subject, aggregate) in aggregates {
        if !in_scope(&subject, &aggregate) {
            continue;
        }
        count += 1;
        events += aggregate.verifier.checked();
        let parsed = subjects.parse(&subject);
        for (chain_break, stream_sequence) in aggregate.breaks {
            breaks.push(AggregateBreak {
                subject: subject.clone(),
                aggregate_type: parsed.map(|(kind, _)| kind.as_str()),
                aggregate_id: parsed.map(|(_, id)| id),
                chain_break,
                stream_sequence,
            });
        }
    }
    breaks.sort_by_key(|b| (b.stream_sequence, b.chain_break.position));
    let seconds = started.elapsed().as_secs_f64();
    Ok(VerifyReport {
        stream: settings.store.stream.clone(),
        scope: match scope {
            Scope::All => "all".into(),
            Scope::Cycle(id) => format!("cycle {id}"),
        },
        aggregates: count,
        events,
        seconds,
        events_per_second: events as f64 / seconds.max(1e-9),
        intact: breaks.is_empty(),
        breaks,
    })
}

impl VerifyReport {
    /// The report for a person.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "stream {} ({}): {} aggregates, {} events in {:.3} s ({:.0} events/s)",
            self.stream, self.scope, self.aggregates, self.events, self.seconds, self.events_per_second
        );
        for b in &self.breaks {
            let aggregate = match (b.aggregate_type, b.aggregate_id) {
                (Some(kind), Some(id)) => format!("{kind} {id}"),
                _ => format!("subject {}", b.subject),
            };
            let _ = writeln!(out, "BREAK {aggregate} at {} (stream sequence {})", describe(&b.chain_break), b.stream_sequence);
        }
        if self.intact {
            let _ = writeln!(out, "every chain intact");
        } else {
            let _ = writeln!(out, "{} breaks found", self.breaks.len());
        }
        out
    }
}
