//! What the audit reports as information rather than as findings (docs/domain.md, "Voices
//! beyond the rater"): how far the rater's judgement lies from the employee's own, and
//! whether a performance dialogue came before the score. Neither decides the verdict.

use super::history::{self as h, rating_name, At, History};
use super::Information;
use crate::matrix::predikat;
use crate::survey::summary::rank;
use skp_events::data::ScoreGiven;
use skp_events::voices::PeriodRef;
use skp_events::Rating;

/// The gap between the employee's annual self-assessment and the decision that stands.
pub const SELF_ASSESSMENT_GAP: &str = "self_assessment_gap";
/// Whether a performance dialogue preceded the first score.
pub const DIALOGUE_BEFORE_SCORE: &str = "dialogue_before_score";
/// The names of the information items, in the order of `AuditReport::information`.
pub const INFORMATION: [&str; 2] = [SELF_ASSESSMENT_GAP, DIALOGUE_BEFORE_SCORE];

fn item(name: &'static str, detail: String, event_ids: Vec<uuid::Uuid>) -> Information {
    Information { name, detail, event_ids }
}

fn first_score<'a>(history: &History<'a>, name: &'static str) -> Result<At<'a, ScoreGiven>, Information> {
    history.first(h::score).ok_or_else(|| item(name, "not applicable yet: no score".into(), vec![]))
}

/// The annual self-assessment that stood at the first score, against the decision that
/// stands now (the last forum decision, else the score): each rating's distance in steps,
/// and the predikat each implies.
pub(super) fn self_assessment_gap(history: &History<'_>) -> Information {
    let score = match first_score(history, SELF_ASSESSMENT_GAP) {
        Ok(score) => score,
        Err(info) => return info,
    };
    let annual = PeriodRef::annual();
    let Some(own) = history.all_before(score.index, h::self_assessed).into_iter().rfind(|s| s.data.period == annual) else {
        return item(SELF_ASSESSMENT_GAP, format!("no annual self-assessment before the score, {}", score.label()), vec![score.id()]);
    };
    let (decided_id, decided_label, results, behaviour) = match history.all(h::forum).last() {
        Some(f) => (f.id(), f.label(), f.data.results_rating, f.data.behaviour_rating),
        None => (score.id(), score.label(), score.data.results_rating, score.data.behaviour_rating),
    };
    let detail = format!(
        "{decided_label} rates results {} and behaviour {} against {}; the self-assessment implies {}, the decision gives {}",
        gap(results, own.data.results_rating),
        gap(behaviour, own.data.behaviour_rating),
        own.label(),
        predikat(own.data.results_rating, own.data.behaviour_rating).as_str(),
        predikat(results, behaviour).as_str(),
    );
    item(SELF_ASSESSMENT_GAP, detail, history.in_stored_order(vec![own.id(), decided_id]))
}

/// `one step below (sesuai_ekspektasi, self: di_atas_ekspektasi)` and the like.
fn gap(decided: Rating, own: Rating) -> String {
    let steps = i16::from(rank(decided)) - i16::from(rank(own));
    let size = match steps.abs() {
        0 => return format!("as the self-assessment ({})", rating_name(decided)),
        1 => "one step",
        _ => "two steps",
    };
    let side = if steps < 0 { "below" } else { "above" };
    format!("{size} {side} the self-assessment ({}, self: {})", rating_name(decided), rating_name(own))
}

/// The dialogues recorded before the first score, and how many of them the employee had
/// acknowledged by then.
pub(super) fn dialogue_before_score(history: &History<'_>) -> Information {
    let score = match first_score(history, DIALOGUE_BEFORE_SCORE) {
        Ok(score) => score,
        Err(info) => return info,
    };
    let dialogues = history.all_before(score.index, h::dialogue);
    if dialogues.is_empty() {
        return item(DIALOGUE_BEFORE_SCORE, format!("no dialogue preceded the first score, {}", score.label()), vec![score.id()]);
    }
    let acknowledged: Vec<_> = history
        .all_before(score.index, h::acknowledged)
        .into_iter()
        .filter(|a| dialogues.iter().any(|d| d.envelope.version == a.data.dialogue_version))
        .collect();
    let labels: Vec<String> = dialogues.iter().map(At::label).collect();
    let detail = format!(
        "{} dialogue(s) preceded the first score, {}: {}; {} acknowledged by the employee before it",
        dialogues.len(),
        score.label(),
        labels.join(", "),
        acknowledged.len()
    );
    let ids = dialogues.iter().map(At::id).chain(acknowledged.iter().map(At::id)).chain([score.id()]).collect();
    item(DIALOGUE_BEFORE_SCORE, detail, history.in_stored_order(ids))
}
