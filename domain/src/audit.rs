//! The fairness report of one appraisal (docs/domain.md, "Fairness: what the audit proves"),
//! recomputed from its stored events alone: no projection, no clock.
//!
//! The caller passes the decoded envelopes in stored order and the chain breaks it computed
//! from the raw JSON (`skp_events::chain::verify_chain`), since the hash covers the JSON as
//! stored and not the decoded values. [`audit`] runs seven checks, always all seven, in this
//! order; each lists the events it rests on (all it examined when it passes, the offending
//! ones and what they were compared with when it fails):
//!
//! 1. [`CHAIN_INTACT`]: no chain break, versions 1..n without a gap, and every event belongs
//!    to the appraisal of the first;
//! 2. [`DECIDED_BY_PERSON_OF_RECORD`]: every `ScoreGiven` by the rater of `AppraisalOpened` in
//!    the role `rater`; every `ForumResolved` by its `rater_superior` in the role
//!    `rater_superior`, and never by the rater;
//! 3. [`PARTICIPATIVE`]: `TargetsAgreed` and at least one `FeedbackGiven` stored before the
//!    first `ScoreGiven`, from a person of record (the rater or the rater superior, in that
//!    role) or an evaluator the rater had nominated by then; feedback by anyone else is named
//!    but not counted;
//! 4. [`PREDIKAT_MATCHES_MATRIX`]: every `ScoreGiven`, `ForumResolved` and `ScoreFinalized`
//!    predikat is [`crate::matrix::predikat`] of its ratings;
//! 5. [`WITHIN_WINDOWS`]: every `ScoreObjected` at or before the last preceding score's time
//!    plus `objection_window_days`, every `ForumResolved` at or before the last preceding
//!    objection's time plus `decision_window_days` (the windows of `AppraisalOpened`, not the
//!    deadlines stored in the events, so a wrong stored deadline cannot hide a late act);
//! 6. [`FINAL_MATCHES_DECISION`]: every `ScoreFinalized` carries the ratings and predikat of
//!    the last `ForumResolved` before it or, with none, of the last `ScoreGiven`, names the
//!    employee of record, and its `via` fits: `no_objection` strictly after the objection
//!    window closed and with no objection on record, `accepted` after a `ScoreAccepted`,
//!    `forum` after a `ForumResolved`;
//! 7. [`PERIODS_COMPLETE`] (cycles with periods): every period ended before a score
//!    evaluated before it by the rater of record, each evaluation after its period ended and
//!    once, each correction after an evaluation and before the period locked, each periodic
//!    predikat the matrix of its ratings (the calendar of `AppraisalOpened`).
//!
//! Besides the checks, the report gives information that decides nothing
//! ([`AuditReport::information`]): the gap between the employee's self-assessment and the
//! decision, and whether a performance dialogue preceded the score ([`information`]); and,
//! added by callers that read the appraisal's development plan, whether pembinaan followed a
//! low final predikat ([`pembinaan`]).
//!
//! "Precedes" is stored order (version order), which is the order the rules decided in. A
//! check with nothing to look at yet (no score, no objection, not final) passes with a detail
//! starting "not applicable yet" and no event ids.

mod checks;
mod history;
pub mod information;
pub mod pembinaan;
mod periods;

use history::History;
pub use pembinaan::{pembinaan_followed, PembinaanRecord, PEMBINAAN_FOLLOWED};
use skp_events::chain::ChainBreak;
use skp_events::Envelope;
use uuid::Uuid;

/// Check 1: the hash chain is intact and versions run 1..n without a gap.
pub const CHAIN_INTACT: &str = "chain_intact";
/// Check 2: scores and forum decisions by the persons of record.
pub const DECIDED_BY_PERSON_OF_RECORD: &str = "decided_by_person_of_record";
/// Check 3: targets agreed and feedback given before the score (PP 30/2019 Ps 4).
pub const PARTICIPATIVE: &str = "participative";
/// Check 4: every predikat is the matrix of its ratings.
pub const PREDIKAT_MATCHES_MATRIX: &str = "predikat_matches_matrix";
/// Check 5: the objection and the forum decision within their windows.
pub const WITHIN_WINDOWS: &str = "within_windows";
/// Check 6: the final score is the decision that stood, finalized the way the history allows.
pub const FINAL_MATCHES_DECISION: &str = "final_matches_decision";

/// Check 7: every ended period evaluated by the rater of record before the score (cycles
/// with periods).
pub const PERIODS_COMPLETE: &str = "periods_complete";

/// The names of the seven checks, in the order of [`AuditReport::checks`].
pub const CHECKS: [&str; 7] = [
    CHAIN_INTACT,
    DECIDED_BY_PERSON_OF_RECORD,
    PARTICIPATIVE,
    PREDIKAT_MATCHES_MATRIX,
    WITHIN_WINDOWS,
    FINAL_MATCHES_DECISION,
    PERIODS_COMPLETE,
];

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// One of [`CHECKS`].
    pub name: &'static str,
    /// Whether it holds (a check that does not apply yet holds).
    pub passed: bool,
    /// What was found, naming events as `Type (vN)`; on failure, every problem, `; `-separated.
    pub detail: String,
    /// The events it rests on, each once, in stored order.
    pub event_ids: Vec<Uuid>,
}

/// A piece of information the report gives without judging it (see [`information`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Information {
    /// One of [`information::INFORMATION`], or [`PEMBINAAN_FOLLOWED`].
    pub name: &'static str,
    /// What was found, naming events as `Type (vN)`; "not applicable yet: ..." before a score.
    pub detail: String,
    /// The events it rests on, each once, in stored order.
    pub event_ids: Vec<Uuid>,
}

/// The report's conclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed.
    Fair,
    /// The names of the checks that failed, in check order.
    Findings(Vec<&'static str>),
}

impl Verdict {
    /// The wire name: `fair` or `findings`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Fair => "fair",
            Verdict::Findings(_) => "findings",
        }
    }
}

/// The fairness report of one appraisal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Whether [`CHAIN_INTACT`] passed: the events are the ones recorded, complete and in order.
    pub chain_valid: bool,
    /// The seven checks, in the order of [`CHECKS`].
    pub checks: Vec<Check>,
    /// `Fair`, or the failed checks.
    pub verdict: Verdict,
    /// Information that decides nothing: those of [`information::INFORMATION`] in that
    /// order, then [`PEMBINAAN_FOLLOWED`] when a caller that read the development plan adds
    /// it ([`AuditReport::with_pembinaan`]).
    pub information: Vec<Information>,
}

impl AuditReport {
    /// Adds whether pembinaan followed a low final predikat, from the appraisal's envelopes
    /// and its development plan's record (`None`: no plan). Nothing is added for an appraisal
    /// that is not final with a low predikat.
    pub fn with_pembinaan(mut self, envelopes: &[&Envelope], plan: Option<&PembinaanRecord>) -> Self {
        self.information.extend(pembinaan_followed(envelopes, plan));
        self
    }
}

/// The fairness report of one appraisal from its envelopes in stored order and the breaks
/// `skp_events::chain::verify_chain` found in the same envelopes as stored. Total: any
/// input, including none, has a report.
pub fn audit(envelopes: &[Envelope], breaks: &[ChainBreak]) -> AuditReport {
    audit_refs(&envelopes.iter().collect::<Vec<_>>(), breaks)
}

/// [`audit`] of envelopes held elsewhere (e.g. some just decoded, some read back), in
/// stored order.
pub fn audit_refs(envelopes: &[&Envelope], breaks: &[ChainBreak]) -> AuditReport {
    let history = History { envelopes };
    let checks = vec![
        checks::chain_intact(&history, breaks),
        checks::decided_by_person_of_record(&history),
        checks::participative(&history),
        checks::predikat_matches_matrix(&history),
        checks::within_windows(&history),
        checks::final_matches_decision(&history),
        periods::periods_complete(&history),
    ];
    let failed: Vec<&'static str> = checks.iter().filter(|c| !c.passed).map(|c| c.name).collect();
    let verdict = if failed.is_empty() { Verdict::Fair } else { Verdict::Findings(failed) };
    let information = vec![information::self_assessment_gap(&history), information::dialogue_before_score(&history)];
    AuditReport { chain_valid: checks[0].passed, checks, verdict, information }
}

#[cfg(test)]
mod tests;
