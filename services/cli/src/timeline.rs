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
        // Voices beyond the rater (issue 13).
        "ExpectationsSet" => {
            let values: Vec<String> = items(data, "expectations").filter_map(|e| e.get("value").and_then(Value::as_str).map(str::to_owned)).collect();
            format!("expectations for {}", values.join(", "))
        }
        "DialogueHeld" => format!("held {}: {}; {} agreed action(s)", s("held_on"), s("topics"), items(data, "agreed_actions").count()),
        "DialogueAcknowledged" => format!("acknowledges the dialogue of v{}", s("dialogue_version")),
        "SelfAssessed" => format!("{}: results {}, behaviour {}: {}", s("period"), s("results_rating"), s("behaviour_rating"), s("narrative")),
        "EvaluatorsNominated" => {
            let names: Vec<String> = items(data, "evaluators")
                .map(|e| format!("{} ({})", e.get("nip").and_then(Value::as_str).unwrap_or("-"), e.get("relation").and_then(Value::as_str).unwrap_or("-")))
                .collect();
            format!("{} evaluator(s): {}", names.len(), names.join(", "))
        }
        "BehaviourRated" => format!("{}: {} value(s) rated", s("period"), data.get("ratings").and_then(Value::as_object).map_or(0, |r| r.len())),
        "PublicFeedbackRecorded" => format!("{} {}: score {}", s("channel"), s("service_ref"), s("score")),
        // Development plans and pembinaan (issue 14).
        "DevelopmentPlanOpened" => format!("{} after predikat {} (final {}), due {}; appraisal {}", s("kind"), s("predikat"), s("finalized_at"), s("due"), s("appraisal_id")),
        "ActionAdded" => {
            let mentor = if has("mentor_nip") { format!("; mentor {}", s("mentor_nip")) } else { String::new() };
            format!("{} {}: {}; due {}{mentor}", s("action_id"), s("type"), s("description"), s("due"))
        }
        "SessionRecorded" => {
            let next = if has("next_steps") { format!("; next: {}", s("next_steps")) } else { String::new() };
            format!("{} held on {}: {}{next}", s("action_id"), s("held_on"), s("notes"))
        }
        "ActionCompleted" => format!("{}: evidence {}", s("action_id"), s("evidence")),
        "ActionConfirmed" => s("action_id"),
        "ImprovementReviewed" => format!("outcome {}: {}", s("outcome"), s("basis")),
        "FollowUpDecided" => format!("measure {}: {}", s("measure"), s("basis")),
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

/// The elements of an array field (none when absent).
fn items<'a>(data: &'a Value, name: &str) -> impl Iterator<Item = &'a Value> {
    data.get(name).and_then(Value::as_array).into_iter().flatten()
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
