//! `skp verify`: every aggregate's hash chain and version sequence (cycles, appraisals and
//! their surveys; or one cycle's), with every break named by aggregate and position.

use crate::stream::{parse_body, read_all, InspectError};
use crate::timeline::describe;
use serde::Serialize;
use serde_json::Value;
use skp_events::chain::{ChainBreak, ChainVerifier};
use skp_events::subject::Subjects;
use skp_events::AggregateType;
use skp_store::StoreSettings;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;
use uuid::Uuid;

/// Which aggregates `skp verify` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every aggregate of the stream.
    All,
    /// One cycle, the appraisals whose `AppraisalOpened.cycle_id` is it and their surveys,
    /// and the development plans whose `DevelopmentPlanOpened.cycle_id` is it.
    Cycle(Uuid),
}

/// One break found by `skp verify`.
#[derive(Debug, Clone, Serialize)]
pub struct AggregateBreak {
    /// The aggregate's subject.
    pub subject: String,
    /// `cycle`, `appraisal`, `survey` or `development`; `None` when the subject is not an
    /// aggregate's.
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
pub async fn verify(settings: &StoreSettings, scope: Scope) -> Result<VerifyReport, InspectError> {
    let started = Instant::now();
    let subjects = Subjects::new(settings.subject_prefix.clone());
    let mut aggregates: HashMap<String, Aggregate> = HashMap::new();
    read_all(settings, "", |m| {
        let value = parse_body(&m.body);
        let aggregate = aggregates.entry(m.subject).or_default();
        let opening = matches!(value.get("type").and_then(Value::as_str), Some("AppraisalOpened" | "DevelopmentPlanOpened"));
        if aggregate.cycle_id.is_none() && opening {
            aggregate.cycle_id = value.pointer("/data/cycle_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
        }
        aggregate.breaks.extend(aggregate.verifier.push(&value).into_iter().map(|b| (b, m.seq)));
    })
    .await?;
    let cycle_subject = match scope {
        Scope::Cycle(id) => Some(subjects.aggregate(AggregateType::Cycle, id)),
        Scope::All => None,
    };
    // A survey has its appraisal's id: it is in a cycle when its appraisal is.
    let appraisals_in_cycle: std::collections::HashSet<Uuid> = match scope {
        Scope::All => Default::default(),
        Scope::Cycle(id) => aggregates
            .iter()
            .filter(|(_, a)| a.cycle_id == Some(id))
            .filter_map(|(subject, _)| subjects.parse(subject).filter(|(kind, _)| *kind == AggregateType::Appraisal).map(|(_, appraisal)| appraisal))
            .collect(),
    };
    let in_scope = |subject: &str, a: &Aggregate| match scope {
        Scope::All => true,
        Scope::Cycle(id) => {
            a.cycle_id == Some(id)
                || cycle_subject.as_deref() == Some(subject)
                || subjects.parse(subject).is_some_and(|(kind, survey)| kind == AggregateType::Survey && appraisals_in_cycle.contains(&survey))
        }
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
        stream: settings.stream.clone(),
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
