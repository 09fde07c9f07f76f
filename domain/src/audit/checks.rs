//! The first six checks of docs/domain.md's "Fairness: what the audit proves", one function each
//! (check 7, `periods_complete`, is in `periods.rs`).
//! Every check reads the history alone and lists the events it rests on: all it examined
//! when it passes, the offending ones (and what they were compared with) when it fails.

use super::history::{self as h, days, instant, label, rating_name, role_name, At, History};
use super::{
    Check, CHAIN_INTACT, DECIDED_BY_PERSON_OF_RECORD, FINAL_MATCHES_DECISION, PARTICIPATIVE, PREDIKAT_MATCHES_MATRIX,
    WITHIN_WINDOWS,
};
use crate::matrix::predikat;
use skp_events::chain::{BreakKind, ChainBreak};
use skp_events::data::{AppraisalOpened, ScoreFinalized};
use skp_events::values::FinalizedVia;
use skp_events::{ActorRole, AggregateType, Envelope, Event, Predikat, Rating};
use uuid::Uuid;

/// What a check found while it ran.
#[derive(Debug, Default)]
pub(super) struct Review {
    examined: Vec<Uuid>,
    problems: Vec<String>,
    offenders: Vec<Uuid>,
}

impl Review {
    pub(super) fn saw(&mut self, ids: impl IntoIterator<Item = Uuid>) {
        self.examined.extend(ids);
    }

    pub(super) fn problem(&mut self, text: String, ids: impl IntoIterator<Item = Uuid>) {
        if !self.problems.contains(&text) {
            self.problems.push(text);
        }
        self.offenders.extend(ids);
    }

    pub(super) fn finish(self, name: &'static str, history: &History<'_>, passed_detail: impl FnOnce() -> String) -> Check {
        if self.problems.is_empty() {
            let event_ids = history.in_stored_order(self.examined);
            Check { name, passed: true, detail: passed_detail(), event_ids }
        } else {
            let event_ids = history.in_stored_order(self.offenders);
            Check { name, passed: false, detail: self.problems.join("; "), event_ids }
        }
    }
}

pub(super) fn not_applicable(name: &'static str, why: &str) -> Check {
    Check { name, passed: true, detail: format!("not applicable yet: {why}"), event_ids: vec![] }
}

// ---------------------------------------------------------------- 1. chain_intact

/// The hash chain has no break and versions run 1..n; every event belongs to the appraisal
/// of the first.
pub(super) fn chain_intact(history: &History<'_>, breaks: &[ChainBreak]) -> Check {
    let envelopes = history.envelopes;
    if envelopes.is_empty() && breaks.is_empty() {
        return not_applicable(CHAIN_INTACT, "no events");
    }
    let mut review = Review::default();
    review.saw(envelopes.iter().map(|e| e.event_id));
    for chain_break in breaks {
        review.problem(describe_break(chain_break), break_id(chain_break, envelopes));
    }
    for (position, &envelope) in (1..).zip(envelopes) {
        if envelope.version != position {
            review.problem(version_gap(position, Some(envelope.version)), [envelope.event_id]);
        }
    }
    if let Some(&first) = envelopes.first() {
        for &envelope in envelopes.iter().filter(|e| !same_appraisal(e, first)) {
            let text = format!(
                "{} belongs to {} {}, not to appraisal {}",
                label(envelope),
                envelope.aggregate_type.as_str(),
                envelope.aggregate_id,
                first.aggregate_id
            );
            review.problem(text, [envelope.event_id]);
        }
    }
    review.finish(CHAIN_INTACT, history, || {
        format!("{n} events: hash chain intact, versions 1..{n} without a gap", n = envelopes.len())
    })
}

fn same_appraisal(envelope: &Envelope, first: &Envelope) -> bool {
    envelope.aggregate_type == AggregateType::Appraisal && envelope.aggregate_id == first.aggregate_id
}

fn version_gap(position: u64, found: Option<u64>) -> String {
    match found {
        Some(found) => format!("position {position}: version {found} where {position} was expected"),
        None => format!("position {position}: no version where {position} was expected"),
    }
}

fn describe_break(chain_break: &ChainBreak) -> String {
    let position = chain_break.position;
    match &chain_break.kind {
        BreakKind::VersionGap { expected, found } => version_gap(*expected, *found),
        BreakKind::PrevHashMismatch => format!("position {position}: prev_hash is not the previous event's hash"),
        BreakKind::HashMismatch => format!("position {position}: hash does not match the content (changed)"),
        BreakKind::NotCanonical => format!("position {position}: no canonical form (holds a float)"),
    }
}

/// The broken event's id: the one the break names, else the one stored at its position.
fn break_id(chain_break: &ChainBreak, envelopes: &[&Envelope]) -> Option<Uuid> {
    let named = chain_break.event_id.as_deref().and_then(|id| Uuid::parse_str(id).ok());
    let at_position = usize::try_from(chain_break.position).ok().and_then(|p| p.checked_sub(1));
    named.or_else(|| at_position.and_then(|i| envelopes.get(i)).map(|e| e.event_id))
}

// ---------------------------------------------------------------- 2. decided_by_person_of_record

/// Every ScoreGiven by the rater of record acting as rater; every ForumResolved by the rater
/// superior of record acting as rater_superior, who is not the rater.
pub(super) fn decided_by_person_of_record(history: &History<'_>) -> Check {
    let (scores, forums) = (history.all(h::score), history.all(h::forum));
    if scores.is_empty() && forums.is_empty() {
        return not_applicable(DECIDED_BY_PERSON_OF_RECORD, "no score or forum decision");
    }
    let decisions: Vec<Uuid> = scores.iter().map(At::id).chain(forums.iter().map(At::id)).collect();
    let mut review = Review::default();
    let Some(opening) = history.opening() else {
        review.problem("no AppraisalOpened on record: the persons of record are unknown".into(), decisions);
        return review.finish(DECIDED_BY_PERSON_OF_RECORD, history, String::new);
    };
    review.saw([opening.id()]);
    review.saw(decisions);
    let (rater, superior) = (&opening.data.rater.nip, &opening.data.rater_superior.nip);
    for score in &scores {
        let actor = &score.envelope.actor;
        if actor.nip != *rater || actor.role != ActorRole::Rater {
            let text =
                format!("{} by {} as {}, not the rater {rater}", score.label(), actor.nip, role_name(actor.role));
            review.problem(text, [opening.id(), score.id()]);
        }
    }
    for forum in &forums {
        let actor = &forum.envelope.actor;
        let text = if actor.nip == *rater {
            format!("{} decided by the rater {rater}, who gave the score", forum.label())
        } else if actor.nip != *superior || actor.role != ActorRole::RaterSuperior {
            format!(
                "{} by {} as {}, not the rater superior {superior}",
                forum.label(),
                actor.nip,
                role_name(actor.role)
            )
        } else {
            continue;
        };
        review.problem(text, [opening.id(), forum.id()]);
    }
    review.finish(DECIDED_BY_PERSON_OF_RECORD, history, || {
        format!(
            "{} score(s) by the rater {rater}; {} forum decision(s) by the rater superior {superior}, not the rater",
            scores.len(),
            forums.len()
        )
    })
}

// ---------------------------------------------------------------- 3. participative

/// TargetsAgreed and at least one FeedbackGiven from a person of record (the rater, the rater
/// superior, each in that role) or an evaluator nominated at the time precede the first
/// ScoreGiven. Feedback by anyone else (stored before nominations were required) is named in
/// the detail but does not count.
pub(super) fn participative(history: &History<'_>) -> Check {
    let Some(score) = history.first(h::score) else {
        return not_applicable(PARTICIPATIVE, "no score");
    };
    let agreed = history.last_before(score.index, h::agreed);
    let (counted, others): (Vec<_>, Vec<_>) =
        history.all_before(score.index, h::feedback).into_iter().partition(|f| history.of_record_or_nominee(f));
    let mut review = Review::default();
    review.saw(agreed.iter().map(At::id).chain(counted.iter().map(At::id)).chain([score.id()]));
    if agreed.is_none() {
        review.problem(format!("no TargetsAgreed before the first score, {}", score.label()), [score.id()]);
    }
    let not_counted = || {
        if others.is_empty() {
            return String::new();
        }
        let named: Vec<String> = others.iter().map(|f| format!("{} by {}", f.label(), f.envelope.actor.nip)).collect();
        format!("; not counted, from neither a person of record nor a nominee: {}", named.join(", "))
    };
    if counted.is_empty() {
        let text = format!("no FeedbackGiven from a person of record or a nominee before the first score, {}{}", score.label(), not_counted());
        review.problem(text, others.iter().map(At::id).chain([score.id()]));
    }
    review.finish(PARTICIPATIVE, history, || {
        let agreed = agreed.map(|a| a.label()).unwrap_or_default();
        format!(
            "{agreed} and {} feedback(s) from people of record or nominees preceded the first score, {}{}",
            counted.len(),
            score.label(),
            not_counted()
        )
    })
}

// ---------------------------------------------------------------- 4. predikat_matches_matrix

/// Every ScoreGiven, ForumResolved and ScoreFinalized predikat is the matrix of its ratings.
pub(super) fn predikat_matches_matrix(history: &History<'_>) -> Check {
    let graded: Vec<_> = history.envelopes.iter().filter_map(|&e| grade(&e.event).map(|g| (e, g))).collect();
    if graded.is_empty() {
        return not_applicable(PREDIKAT_MATCHES_MATRIX, "no predikat");
    }
    let mut review = Review::default();
    for (envelope, (results, behaviour, recorded)) in &graded {
        review.saw([envelope.event_id]);
        let derived = predikat(*results, *behaviour);
        if derived != *recorded {
            let text = format!(
                "{}: {} × {} gives {}, recorded {}",
                label(envelope),
                rating_name(*results),
                rating_name(*behaviour),
                derived.as_str(),
                recorded.as_str()
            );
            review.problem(text, [envelope.event_id]);
        }
    }
    review.finish(PREDIKAT_MATCHES_MATRIX, history, || {
        format!("{} predikat, each the matrix of its ratings", graded.len())
    })
}

/// Results rating, behaviour rating and predikat of an event that carries them.
fn grade(event: &Event) -> Option<(Rating, Rating, Predikat)> {
    match event {
        Event::ScoreGiven(s) => Some((s.results_rating, s.behaviour_rating, s.predikat)),
        Event::ForumResolved(f) => Some((f.results_rating, f.behaviour_rating, f.predikat)),
        Event::ScoreFinalized(f) => Some((f.results_rating, f.behaviour_rating, f.predikat)),
        _ => None,
    }
}

// ---------------------------------------------------------------- 5. within_windows

/// Each ScoreObjected at or before its score + objection_window_days; each ForumResolved at or
/// before its objection + decision_window_days (the windows of AppraisalOpened).
pub(super) fn within_windows(history: &History<'_>) -> Check {
    let (objections, forums) = (history.all(h::objected), history.all(h::forum));
    if objections.is_empty() && forums.is_empty() {
        return not_applicable(WITHIN_WINDOWS, "no objection");
    }
    let mut review = Review::default();
    let Some(opening) = history.opening() else {
        let ids = objections.iter().map(At::id).chain(forums.iter().map(At::id));
        review.problem("no AppraisalOpened on record: the windows are unknown".into(), ids);
        return review.finish(WITHIN_WINDOWS, history, String::new);
    };
    let mut notes = Vec::new();
    review.saw([opening.id()]);
    for objection in &objections {
        let Some(score) = history.last_before(objection.index, h::score) else {
            review.problem(format!("{} with no ScoreGiven before it", objection.label()), [objection.id()]);
            continue;
        };
        let window = opening.data.objection_window_days;
        notes.push(in_window(&mut review, (&score, window), objection, "objection"));
    }
    for forum in &forums {
        let Some(objection) = history.last_before(forum.index, h::objected) else {
            review.problem(format!("{} with no ScoreObjected before it", forum.label()), [forum.id()]);
            continue;
        };
        let window = opening.data.decision_window_days;
        notes.push(in_window(&mut review, (&objection, window), forum, "decision"));
    }
    review.finish(WITHIN_WINDOWS, history, || notes.join("; "))
}

/// Whether `event` came at most `window` days after `since`; records a problem if not and
/// returns the sentence for a passing detail.
fn in_window<S, E>(review: &mut Review, (since, window): (&At<'_, S>, u32), event: &At<'_, E>, what: &str) -> String {
    let due = since.at() + days(window);
    review.saw([since.id(), event.id()]);
    let said = format!(
        "{} at {}, {what} window of {window} days after {} ending {}",
        event.label(),
        instant(event.at()),
        since.label(),
        instant(due)
    );
    if event.at() > due {
        review.problem(format!("{said}: late"), [since.id(), event.id()]);
    }
    format!("{said}: in time")
}

// ---------------------------------------------------------------- 6. final_matches_decision

/// Each ScoreFinalized carries the ratings and predikat of the last forum decision or, with
/// none, the last score, names the employee of record, and its `via` fits the history.
pub(super) fn final_matches_decision(history: &History<'_>) -> Check {
    let finals = history.all(h::finalized);
    if finals.is_empty() {
        return not_applicable(FINAL_MATCHES_DECISION, "not final");
    }
    let mut review = Review::default();
    let opening = history.opening();
    if opening.is_none() {
        review.problem(
            "no AppraisalOpened on record: the employee and windows are unknown".into(),
            finals.iter().map(At::id),
        );
    }
    for last in &finals {
        review.saw([last.id()]);
        match_decision(history, &mut review, last);
        if let Some(opening) = &opening {
            review.saw([opening.id()]);
            if last.data.employee_nip != opening.data.employee.nip {
                let text = format!(
                    "{} names employee {}, not {} of record",
                    last.label(),
                    last.data.employee_nip,
                    opening.data.employee.nip
                );
                review.problem(text, [opening.id(), last.id()]);
            }
            match_via(history, &mut review, last, opening.data);
        }
    }
    review.finish(FINAL_MATCHES_DECISION, history, || {
        let last = &finals[finals.len() - 1];
        format!("{} carries the decision that stood, finalized via {}", last.label(), via_name(last.data.via))
    })
}

/// The final ratings and predikat equal the last forum decision's or, with none, the last score's.
fn match_decision(history: &History<'_>, review: &mut Review, last: &At<'_, ScoreFinalized>) {
    let forum = history.last_before(last.index, h::forum);
    let score = history.last_before(last.index, h::score);
    let decided = match (forum, score) {
        (Some(f), _) => (f.id(), f.label(), (f.data.results_rating, f.data.behaviour_rating, f.data.predikat)),
        (None, Some(s)) => (s.id(), s.label(), (s.data.results_rating, s.data.behaviour_rating, s.data.predikat)),
        (None, None) => return review.problem(format!("{} with no score before it", last.label()), [last.id()]),
    };
    let (decision_id, decision_label, decision) = decided;
    review.saw([decision_id]);
    let finalized = (last.data.results_rating, last.data.behaviour_rating, last.data.predikat);
    if finalized != decision {
        let text =
            format!("{}: {}, but {decision_label} decided {}", last.label(), grading(finalized), grading(decision));
        review.problem(text, [decision_id, last.id()]);
    }
}

fn grading((results, behaviour, predikat): (Rating, Rating, Predikat)) -> String {
    format!("{} ({} × {})", predikat.as_str(), rating_name(results), rating_name(behaviour))
}

/// `no_objection` strictly after the objection window closed and with no objection on record;
/// `accepted` after a ScoreAccepted; `forum` after a ForumResolved.
fn match_via(history: &History<'_>, review: &mut Review, last: &At<'_, ScoreFinalized>, opened: &AppraisalOpened) {
    let via = via_name(last.data.via);
    let missing = |review: &mut Review, what: &str| {
        review.problem(format!("{} via {via} with no {what} before it", last.label()), [last.id()]);
    };
    match last.data.via {
        FinalizedVia::Accepted => match history.last_before(last.index, h::accepted) {
            Some(accepted) => review.saw([accepted.id()]),
            None => missing(review, "ScoreAccepted"),
        },
        FinalizedVia::Forum => match history.last_before(last.index, h::forum) {
            Some(forum) => review.saw([forum.id()]),
            None => missing(review, "ForumResolved"),
        },
        FinalizedVia::NoObjection => {
            let Some(score) = history.last_before(last.index, h::score) else {
                return missing(review, "ScoreGiven");
            };
            let closes = score.at() + days(opened.objection_window_days);
            if last.at() <= closes {
                let text = format!(
                    "{} via {via} at {}, but the objection window after {} closes at {}",
                    last.label(),
                    instant(last.at()),
                    score.label(),
                    instant(closes)
                );
                review.problem(text, [score.id(), last.id()]);
            }
            if let Some(objection) = history.last_before(last.index, h::objected) {
                let text = format!("{} via {via}, but {} is on record", last.label(), objection.label());
                review.problem(text, [objection.id(), last.id()]);
            }
        }
    }
}

fn via_name(via: FinalizedVia) -> &'static str {
    match via {
        FinalizedVia::Accepted => "accepted",
        FinalizedVia::NoObjection => "no_objection",
        FinalizedVia::Forum => "forum",
    }
}
