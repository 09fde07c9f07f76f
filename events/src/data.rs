//! Every event SKP records, with its data. The `type` name and the field names are the wire
//! format (docs/contract.md); golden tests in `tests/golden.rs` pin them.

use crate::development::{
    ActionAdded, ActionCompleted, ActionConfirmed, DevelopmentPlanOpened, FollowUpDecided, ImprovementReviewed, SessionRecorded,
};
use crate::period::{Capaian, CapaianPeriod, Official, PeriodId, PeriodKind};
use crate::values::{
    FeedbackAbout, FinalizedVia, ForumOutcome, Nip, Person, PlannedResult, Predikat, Rating,
};
use crate::voices::{
    BehaviourRated, DialogueAcknowledged, DialogueHeld, EvaluatorsNominated, ExpectationsSet, PublicFeedbackRecorded,
    SelfAssessed,
};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// An event: its type name (`type` on the wire) and its data (`data` on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// An admin opened a yearly appraisal cycle for an organisation.
    CycleOpened(CycleOpened),
    /// An admin opened one employee's appraisal within a cycle.
    AppraisalOpened(AppraisalOpened),
    /// The employee drafted (or revised) the work plan.
    PlanDrafted(PlanDrafted),
    /// The employee submitted the plan to the rater.
    PlanSubmitted(Empty),
    /// The rater returned the plan for revision.
    PlanReturned(PlanReturned),
    /// The rater agreed the targets.
    TargetsAgreed(Empty),
    /// Someone gave continuous feedback.
    FeedbackGiven(FeedbackGiven),
    /// The employee recorded what was achieved on an indicator.
    RealisationRecorded(RealisationRecorded),
    /// The rater scored, with the derived predikat.
    ScoreGiven(ScoreGiven),
    /// The employee accepted the score.
    ScoreAccepted(Empty),
    /// The employee objected to the score.
    ScoreObjected(ScoreObjected),
    /// The rater's superior decided the objection in a forum.
    ForumResolved(ForumResolved),
    /// The score became final.
    ScoreFinalized(ScoreFinalized),
    // Voices beyond the rater (issue 13): on the appraisal, then on the survey aggregate.
    /// The rater stated what is expected per BerAKHLAK value.
    ExpectationsSet(ExpectationsSet),
    /// The rater recorded a performance dialogue.
    DialogueHeld(DialogueHeld),
    /// The employee acknowledged a dialogue.
    DialogueAcknowledged(DialogueAcknowledged),
    /// The employee assessed themselves for a period or the year.
    SelfAssessed(SelfAssessed),
    /// The rater nominated the evaluators of the closed survey.
    EvaluatorsNominated(EvaluatorsNominated),
    /// A nominated evaluator answered the survey (survey aggregate).
    BehaviourRated(BehaviourRated),
    /// The service desk recorded the public's feedback (survey aggregate).
    PublicFeedbackRecorded(PublicFeedbackRecorded),
    // Development plans and pembinaan (issue 14), on the `development` aggregate.
    /// A development plan was opened for a final appraisal.
    DevelopmentPlanOpened(DevelopmentPlanOpened),
    /// The rater added an action to the plan.
    ActionAdded(ActionAdded),
    /// The rater or the action's mentor recorded a session.
    SessionRecorded(SessionRecorded),
    /// The employee completed an action, with evidence.
    ActionCompleted(ActionCompleted),
    /// The rater confirmed an action's completion.
    ActionConfirmed(ActionConfirmed),
    /// The rater reviewed the improvement; the plan is closed.
    ImprovementReviewed(ImprovementReviewed),
    /// An admin recorded the follow-up decided after `not_improved`.
    FollowUpDecided(FollowUpDecided),
    // Periodic evaluation and unit capaian (issue 12).
    /// The rater evaluated one ended period.
    PeriodEvaluated(PeriodEvaluated),
    /// The rater corrected a period's evaluation within the entry window.
    PeriodEvaluationCorrected(PeriodEvaluationCorrected),
    /// An admin recorded a unit's capaian for a period or the year (cycle aggregate).
    UnitCapaianSet(UnitCapaianSet),
}

/// The names of all event types, as they appear in `type` and `Skp-Event-Type`.
pub const EVENT_TYPES: &[&str] = &[
    "CycleOpened",
    "AppraisalOpened",
    "PlanDrafted",
    "PlanSubmitted",
    "PlanReturned",
    "TargetsAgreed",
    "FeedbackGiven",
    "RealisationRecorded",
    "ScoreGiven",
    "ScoreAccepted",
    "ScoreObjected",
    "ForumResolved",
    "ScoreFinalized",
    // Voices beyond the rater (issue 13).
    "ExpectationsSet",
    "DialogueHeld",
    "DialogueAcknowledged",
    "SelfAssessed",
    "EvaluatorsNominated",
    "BehaviourRated",
    "PublicFeedbackRecorded",
    // Development plans and pembinaan (issue 14).
    "DevelopmentPlanOpened",
    "ActionAdded",
    "SessionRecorded",
    "ActionCompleted",
    "ActionConfirmed",
    "ImprovementReviewed",
    "FollowUpDecided",
    // Periodic evaluation and unit capaian (issue 12).
    "PeriodEvaluated",
    "PeriodEvaluationCorrected",
    "UnitCapaianSet",
];

impl Event {
    /// The wire name of this event's type, e.g. `ScoreGiven`.
    pub fn type_name(&self) -> &'static str {
        let index = match self {
            Event::CycleOpened(_) => 0,
            Event::AppraisalOpened(_) => 1,
            Event::PlanDrafted(_) => 2,
            Event::PlanSubmitted(_) => 3,
            Event::PlanReturned(_) => 4,
            Event::TargetsAgreed(_) => 5,
            Event::FeedbackGiven(_) => 6,
            Event::RealisationRecorded(_) => 7,
            Event::ScoreGiven(_) => 8,
            Event::ScoreAccepted(_) => 9,
            Event::ScoreObjected(_) => 10,
            Event::ForumResolved(_) => 11,
            Event::ScoreFinalized(_) => 12,
            // Voices beyond the rater (issue 13).
            Event::ExpectationsSet(_) => 13,
            Event::DialogueHeld(_) => 14,
            Event::DialogueAcknowledged(_) => 15,
            Event::SelfAssessed(_) => 16,
            Event::EvaluatorsNominated(_) => 17,
            Event::BehaviourRated(_) => 18,
            Event::PublicFeedbackRecorded(_) => 19,
            // Development plans and pembinaan (issue 14).
            Event::DevelopmentPlanOpened(_) => 20,
            Event::ActionAdded(_) => 21,
            Event::SessionRecorded(_) => 22,
            Event::ActionCompleted(_) => 23,
            Event::ActionConfirmed(_) => 24,
            Event::ImprovementReviewed(_) => 25,
            Event::FollowUpDecided(_) => 26,
            // Periodic evaluation and unit capaian (issue 12).
            Event::PeriodEvaluated(_) => 27,
            Event::PeriodEvaluationCorrected(_) => 28,
            Event::UnitCapaianSet(_) => 29,
        };
        EVENT_TYPES[index]
    }

    /// The schema version this code writes for the event's type (the newest it reads):
    /// see [`crate::upcast::current_version`].
    pub fn schema_version(&self) -> u32 {
        crate::upcast::current_version(self.type_name())
    }
}

/// Data of events that carry nothing but their envelope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// A cycle and the agency's choices for it.
///
/// Schema version 2 added `period`, `period_entry_days` and `utc_offset_hours`; a stored
/// version 1 reads as an annual-only cycle (`none`, 10, 7: `crate::upcast`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleOpened {
    /// The organisation (agency) appraising.
    pub organization: String,
    /// The appraisal year.
    pub year: i32,
    /// The date by which plans should be agreed.
    pub plan_due: Date,
    /// Days after `ScoreGiven` within which the employee may object.
    pub objection_window_days: u32,
    /// Days after `ScoreObjected` within which the forum should decide.
    pub decision_window_days: u32,
    /// Periodic evaluation: `none` (annual only), `monthly`, `quarterly` or `semester` (v2).
    pub period: PeriodKind,
    /// Days after a period's end during which its evaluation may be corrected (v2).
    pub period_entry_days: u32,
    /// The agency's time zone, hours east of UTC: 7 WIB, 8 WITA, 9 WIT (v2). Periods end at
    /// 00:00 local time.
    pub utc_offset_hours: u8,
}

/// One appraisal: the cycle it belongs to, a snapshot of the cycle's rules and the three
/// people as they stood at opening.
///
/// Schema version 2 added the cycle's period configuration, so that an appraisal decides
/// its periodic commands (and an audit checks them) from its own history; a stored version
/// 1 reads as annual-only (`crate::upcast`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppraisalOpened {
    /// The cycle.
    pub cycle_id: Uuid,
    /// The cycle's organisation.
    pub organization: String,
    /// The cycle's year.
    pub year: i32,
    /// The cycle's plan due date.
    pub plan_due: Date,
    /// The cycle's objection window.
    pub objection_window_days: u32,
    /// The cycle's decision window.
    pub decision_window_days: u32,
    /// The appraised employee (ASN dinilai).
    pub employee: Person,
    /// The direct supervisor (Pejabat Penilai Kinerja).
    pub rater: Person,
    /// The rater's superior (Atasan Pejabat Penilai Kinerja).
    pub rater_superior: Person,
    /// The cycle's periodic evaluation (v2).
    pub period: PeriodKind,
    /// The cycle's correction window after a period's end, in days (v2).
    pub period_entry_days: u32,
    /// The cycle's time zone, hours east of UTC (v2).
    pub utc_offset_hours: u8,
}

/// The whole plan as drafted; a revision replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDrafted {
    /// The planned results.
    pub results: Vec<PlannedResult>,
}

/// Why the rater returned the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanReturned {
    /// What needs to change.
    pub reason: String,
}

/// A piece of continuous feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackGiven {
    /// Results or behaviour.
    pub about: FeedbackAbout,
    /// The feedback itself.
    pub text: String,
    /// The indicator it concerns, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator_id: Option<String>,
}

/// What was achieved on an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealisationRecorded {
    /// An indicator of the agreed plan.
    pub indicator_id: String,
    /// How much of the indicator's unit was achieved.
    pub value: u64,
    /// Evidence (bukti dukung), e.g. a document reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// The rater's score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreGiven {
    /// Rating of work results.
    pub results_rating: Rating,
    /// Rating of work behaviour.
    pub behaviour_rating: Rating,
    /// Derived from the two ratings by the matrix.
    pub predikat: Predikat,
    /// The rater's notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The last instant at which an objection is accepted.
    #[serde(with = "time::serde::rfc3339")]
    pub objection_due: OffsetDateTime,
}

/// The employee's objection (keberatan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreObjected {
    /// Why the employee objects.
    pub reason: String,
    /// The results rating the employee asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_results_rating: Option<Rating>,
    /// The behaviour rating the employee asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_behaviour_rating: Option<Rating>,
    /// The instant by which the forum should decide.
    #[serde(with = "time::serde::rfc3339")]
    pub decision_due: OffsetDateTime,
}

/// The forum's decision: the ratings that now stand and their predikat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForumResolved {
    /// Upheld or revised.
    pub outcome: ForumOutcome,
    /// The results rating that stands after the decision.
    pub results_rating: Rating,
    /// The behaviour rating that stands after the decision.
    pub behaviour_rating: Rating,
    /// Derived from the two ratings by the matrix.
    pub predikat: Predikat,
    /// The forum's minutes.
    pub minutes: String,
    /// Whether the decision came after the decision window (recorded, flagged by the audit).
    pub late: bool,
}

/// The final result of an appraisal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreFinalized {
    /// Final results rating.
    pub results_rating: Rating,
    /// Final behaviour rating.
    pub behaviour_rating: Rating,
    /// Final predikat.
    pub predikat: Predikat,
    /// How the score became final.
    pub via: FinalizedVia,
    /// The employee, for consumers that read only this event.
    pub employee_nip: Nip,
}

// ---------------------------------------------------------------- periodic evaluation and unit capaian (issue 12)

/// The rater's evaluation of one ended period, with the predikat the matrix derives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodEvaluated {
    /// The period, of the cycle's kind and year.
    pub period: PeriodId,
    /// Rating of work results in the period.
    pub results_rating: Rating,
    /// Rating of work behaviour in the period.
    pub behaviour_rating: Rating,
    /// Derived from the two ratings by the matrix.
    pub predikat: Predikat,
    /// The rater's notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A correction of a period's evaluation: the ratings that now stand, their predikat and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodEvaluationCorrected {
    /// The period corrected.
    pub period: PeriodId,
    /// The results rating that now stands.
    pub results_rating: Rating,
    /// The behaviour rating that now stands.
    pub behaviour_rating: Rating,
    /// Derived from the two ratings by the matrix.
    pub predikat: Predikat,
    /// Why the evaluation changed.
    pub reason: String,
}

/// A unit's capaian for one period or the year, decided by the leader above the unit and
/// recorded by an admin; a later one for the same unit and period supersedes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitCapaianSet {
    /// The unit, as appraisals name it (`employee.unit` at opening).
    pub unit: String,
    /// A period of the cycle, or `annual`.
    pub period: CapaianPeriod,
    /// The unit's capaian.
    pub capaian: Capaian,
    /// The leader who decided it.
    pub decided_by: Official,
    /// Why (required when it supersedes an earlier capaian).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
