//! An event as a line of a timeline, and a chain break as a line: what `skp replay`, `skp
//! verify` and `skp verify --bundle` print.

use serde::Serialize;
use serde_json::Value;
use skp_events::chain::ChainBreak;
use std::fmt::Write as _;

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

/// A string field of a JSON object.
pub fn str_field(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// The timeline entry of the stored event `value` at `position`.
pub fn entry(position: u64, stream_sequence: u64, value: &Value) -> TimelineEntry {
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
        "CycleOpened" => {
            let period = if has("period") { format!(", period {} ({} d entry, UTC+{})", s("period"), s("period_entry_days"), s("utc_offset_hours")) } else { String::new() };
            format!(
                "{} {}, plan due {}, objection window {} d, decision window {} d{period}",
                s("organization"),
                s("year"),
                s("plan_due"),
                s("objection_window_days"),
                s("decision_window_days")
            )
        }
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
        // Periodic evaluation and unit capaian (issue 12).
        "PeriodEvaluated" => format!("{}: results {}, behaviour {} -> predikat {}", s("period"), s("results_rating"), s("behaviour_rating"), s("predikat")),
        "PeriodEvaluationCorrected" => {
            format!("{} corrected: results {}, behaviour {} -> predikat {}; reason: {}", s("period"), s("results_rating"), s("behaviour_rating"), s("predikat"), s("reason"))
        }
        "UnitCapaianSet" => {
            let by = data.get("decided_by").and_then(|d| d.get("name")).and_then(Value::as_str).unwrap_or("-");
            let reason = if has("reason") { format!("; reason: {}", s("reason")) } else { String::new() };
            format!("{} {}: capaian {} (decided by {by}){reason}", s("unit"), s("period"), s("capaian"))
        }
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
pub fn describe(b: &ChainBreak) -> String {
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
