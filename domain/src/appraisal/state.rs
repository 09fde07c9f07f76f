//! The appraisal's state, rebuilt from its events by [`Appraisal::apply`]. The same code
//! serves commands, `replay ?as_of` and inspectors.

pub use super::period_record::PeriodRecord;
pub use super::stamp::Stamp;
use super::voices::Voices;
use skp_events::data::{AppraisalOpened, ForumResolved, ScoreFinalized, ScoreGiven, ScoreObjected};
use skp_events::period::PeriodId;
use skp_events::values::PlannedResult;
use skp_events::{Envelope, Event};
use std::collections::BTreeMap;
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

/// Where an appraisal stands in its lifecycle (docs/domain.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Status {
    /// Not opened yet (no event).
    #[default]
    Absent,
    /// Opened by an admin.
    Opened,
    /// A plan is drafted.
    PlanDrafted,
    /// The plan awaits the rater.
    PlanSubmitted,
    /// The rater returned the plan.
    PlanReturned,
    /// Targets agreed: the year runs.
    TargetsAgreed,
    /// The rater scored.
    Scored,
    /// The employee accepted the score.
    Accepted,
    /// The employee objected.
    Objected,
    /// The forum decided.
    Resolved,
    /// Final; nothing follows.
    Final,
}

impl Status {
    /// Every status an appraisal can have once opened, in lifecycle order.
    pub const ALL: [Status; 10] = [
        Status::Opened,
        Status::PlanDrafted,
        Status::PlanSubmitted,
        Status::PlanReturned,
        Status::TargetsAgreed,
        Status::Scored,
        Status::Accepted,
        Status::Objected,
        Status::Resolved,
        Status::Final,
    ];

    /// The wire name, e.g. `plan_submitted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Absent => "absent",
            Status::Opened => "opened",
            Status::PlanDrafted => "plan_drafted",
            Status::PlanSubmitted => "plan_submitted",
            Status::PlanReturned => "plan_returned",
            Status::TargetsAgreed => "targets_agreed",
            Status::Scored => "scored",
            Status::Accepted => "accepted",
            Status::Objected => "objected",
            Status::Resolved => "resolved",
            Status::Final => "final",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is no status's wire name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not one of the lifecycle's statuses")]
pub struct UnknownStatus(pub String);

impl std::str::FromStr for Status {
    type Err = UnknownStatus;

    /// The status of a wire name (the one place that reads a status back). `absent` is no
    /// appraisal's status on the wire: it is refused like any other unknown text.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Status::ALL.into_iter().find(|s| s.as_str() == raw).ok_or_else(|| UnknownStatus(raw.to_owned()))
    }
}

/// A realisation as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realisation {
    /// The indicator.
    pub indicator_id: String,
    /// The achieved value.
    pub value: u64,
    /// Evidence, if given.
    pub evidence: Option<String>,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}

/// An appraisal as its events leave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appraisal {
    /// The appraisal's id.
    pub id: Uuid,
    /// Number of events applied.
    pub version: u64,
    /// Lifecycle status.
    pub status: Status,
    /// The opening: cycle, rules snapshot, the three people.
    pub opened: Option<AppraisalOpened>,
    /// The current plan (the last drafted).
    pub plan: Vec<PlannedResult>,
    /// When targets were agreed.
    pub targets_agreed: Option<Stamp>,
    /// Realisations in the order recorded.
    pub realisations: Vec<Realisation>,
    /// How many pieces of feedback were given.
    pub feedback_count: u32,
    /// The rater's score.
    pub score: Option<(ScoreGiven, Stamp)>,
    /// The employee's acceptance.
    pub accepted: Option<Stamp>,
    /// The employee's objection.
    pub objection: Option<(ScoreObjected, Stamp)>,
    /// The forum's decision.
    pub forum: Option<(ForumResolved, Stamp)>,
    /// The final result.
    pub final_score: Option<(ScoreFinalized, Stamp)>,
    /// Expectations, dialogues, self-assessments and nominated evaluators (issue 13).
    pub voices: Voices,
    /// Periodic evaluations by period, each with its corrections (issue 12).
    pub periods: BTreeMap<PeriodId, PeriodRecord>,
}

impl Appraisal {
    /// An appraisal with the given id, before any event.
    pub fn new(id: Uuid) -> Self {
        Self { id, ..Self::default() }
    }

    /// Rebuilds an appraisal from its events in order.
    pub fn from_events<'a>(id: Uuid, events: impl IntoIterator<Item = &'a Envelope>) -> Self {
        let mut state = Self::new(id);
        events.into_iter().for_each(|e| state.apply(e));
        state
    }

    /// Applies one stored event. Events that do not belong to an appraisal change nothing
    /// but the version.
    pub fn apply(&mut self, envelope: &Envelope) {
        self.version = envelope.version;
        let stamp = Stamp { version: envelope.version, at: envelope.occurred_at };
        self.status = status_after(self.status, &envelope.event);
        match &envelope.event {
            Event::AppraisalOpened(opened) => self.opened = Some(opened.clone()),
            Event::PlanDrafted(plan) => self.plan = plan.results.clone(),
            Event::TargetsAgreed(_) => self.targets_agreed = Some(stamp),
            Event::FeedbackGiven(_) => self.feedback_count += 1,
            Event::RealisationRecorded(r) => self.realisations.push(Realisation {
                indicator_id: r.indicator_id.clone(),
                value: r.value,
                evidence: r.evidence.clone(),
                recorded_at: envelope.occurred_at,
            }),
            Event::ScoreGiven(score) => self.score = Some((score.clone(), stamp)),
            Event::ScoreAccepted(_) => self.accepted = Some(stamp),
            Event::ScoreObjected(objection) => self.objection = Some((objection.clone(), stamp)),
            Event::ForumResolved(forum) => self.forum = Some((forum.clone(), stamp)),
            Event::ScoreFinalized(done) => self.final_score = Some((done.clone(), stamp)),
            Event::PlanSubmitted(_) | Event::PlanReturned(_) | Event::CycleOpened(_) | Event::UnitCapaianSet(_) => {}
            // Voices beyond the rater (issue 13); the survey's events belong to the survey.
            Event::ExpectationsSet(_)
            | Event::DialogueHeld(_)
            | Event::DialogueAcknowledged(_)
            | Event::SelfAssessed(_)
            | Event::EvaluatorsNominated(_) => self.voices.apply(envelope, stamp),
            Event::BehaviourRated(_) | Event::PublicFeedbackRecorded(_) => {}
            // Events of other aggregates (development plans, issue 14).
            Event::DevelopmentPlanOpened(_)
            | Event::ActionAdded(_)
            | Event::SessionRecorded(_)
            | Event::ActionCompleted(_)
            | Event::ActionConfirmed(_)
            | Event::ImprovementReviewed(_)
            | Event::FollowUpDecided(_) => {}
            // Periodic evaluation (issue 12).
            Event::PeriodEvaluated(evaluated) => {
                self.periods.insert(evaluated.period, PeriodRecord { evaluated: (evaluated.clone(), stamp), corrections: Vec::new() });
            }
            Event::PeriodEvaluationCorrected(corrected) => {
                if let Some(record) = self.periods.get_mut(&corrected.period) {
                    record.corrections.push((corrected.clone(), stamp));
                }
            }
        }
    }

    /// Whether the plan has an indicator with this id.
    pub fn has_indicator(&self, indicator_id: &str) -> bool {
        self.plan.iter().flat_map(|r| &r.indicators).any(|i| i.id == indicator_id)
    }
}

/// The status an appraisal has after `event`: the lifecycle of docs/domain.md, shared by the
/// aggregate and the read models.
pub fn status_after(current: Status, event: &Event) -> Status {
    match event {
        Event::AppraisalOpened(_) => Status::Opened,
        Event::PlanDrafted(_) => Status::PlanDrafted,
        Event::PlanSubmitted(_) => Status::PlanSubmitted,
        Event::PlanReturned(_) => Status::PlanReturned,
        Event::TargetsAgreed(_) => Status::TargetsAgreed,
        Event::ScoreGiven(_) => Status::Scored,
        Event::ScoreAccepted(_) => Status::Accepted,
        Event::ScoreObjected(_) => Status::Objected,
        Event::ForumResolved(_) => Status::Resolved,
        Event::ScoreFinalized(_) => Status::Final,
        Event::FeedbackGiven(_) | Event::RealisationRecorded(_) | Event::CycleOpened(_) => current,
        // Voices beyond the rater (issue 13) never move the lifecycle.
        Event::ExpectationsSet(_)
        | Event::DialogueHeld(_)
        | Event::DialogueAcknowledged(_)
        | Event::SelfAssessed(_)
        | Event::EvaluatorsNominated(_)
        | Event::BehaviourRated(_)
        | Event::PublicFeedbackRecorded(_) => current,
        // Events of other aggregates (development plans, issue 14).
        Event::DevelopmentPlanOpened(_)
        | Event::ActionAdded(_)
        | Event::SessionRecorded(_)
        | Event::ActionCompleted(_)
        | Event::ActionConfirmed(_)
        | Event::ImprovementReviewed(_)
        | Event::FollowUpDecided(_) => current,
        // Periodic evaluation (issue 12) never moves it either.
        Event::PeriodEvaluated(_) | Event::PeriodEvaluationCorrected(_) | Event::UnitCapaianSet(_) => current,
    }
}

/// `evolve(state, event) -> state`, for callers that fold.
pub fn evolve(mut state: Appraisal, envelope: &Envelope) -> Appraisal {
    state.apply(envelope);
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use skp_events::data::PlanDrafted;
    use skp_events::values::{FinalizedVia, ForumOutcome};
    use skp_events::{Predikat, Rating::*};
    use time::Duration;

    fn day(version: u64) -> OffsetDateTime {
        START + Duration::days(version as i64 - 1)
    }

    fn stamp(version: u64) -> Stamp {
        Stamp { version, at: day(version) }
    }

    fn revised_plan() -> Vec<PlannedResult> {
        let mut plan = plan();
        plan.push(result("R3", vec![indicator("I4", 2, "kegiatan")]));
        plan
    }

    /// A whole disputed year: the plan returned once, feedback and realisations, a score the
    /// employee objects to, the forum revising it, and the final score.
    fn disputed() -> Vec<Event> {
        vec![
            opened(),
            drafted(),
            submitted(),
            returned(),
            Event::PlanDrafted(PlanDrafted { results: revised_plan() }),
            submitted(),
            agreed(),
            feedback(),
            realised("I1", 12),
            Event::RealisationRecorded(skp_events::data::RealisationRecorded {
                indicator_id: "I4".into(),
                value: 3,
                evidence: Some("ND-2025/117".into()),
            }),
            score_given(DiBawahEkspektasi, SesuaiEkspektasi),
            objected(),
            forum(ForumOutcome::Revised, SesuaiEkspektasi, DiAtasEkspektasi, false),
            finalized(SesuaiEkspektasi, DiAtasEkspektasi, FinalizedVia::Forum),
        ]
    }

    #[test]
    fn replaying_a_whole_disputed_cycle_gives_the_state_it_left() {
        let events = disputed();
        let state = Appraisal::from_events(APPRAISAL_ID, &history(events.clone()));
        let [
            Event::AppraisalOpened(opened),
            ..,
            Event::ScoreGiven(score),
            Event::ScoreObjected(objection),
            Event::ForumResolved(forum),
            Event::ScoreFinalized(done),
        ] = &events[..]
        else {
            panic!("the disputed story starts with the opening and ends with the score")
        };
        let expected = Appraisal {
            id: APPRAISAL_ID,
            version: 14,
            status: Status::Final,
            opened: Some(opened.clone()),
            plan: revised_plan(),
            targets_agreed: Some(stamp(7)),
            realisations: vec![
                Realisation { indicator_id: "I1".into(), value: 12, evidence: None, recorded_at: day(9) },
                Realisation {
                    indicator_id: "I4".into(),
                    value: 3,
                    evidence: Some("ND-2025/117".into()),
                    recorded_at: day(10),
                },
            ],
            feedback_count: 1,
            score: Some((score.clone(), stamp(11))),
            accepted: None,
            objection: Some((objection.clone(), stamp(12))),
            forum: Some((forum.clone(), stamp(13))),
            final_score: Some((done.clone(), stamp(14))),
            voices: Voices::default(),
            periods: BTreeMap::new(),
        };
        assert_eq!(state, expected);
        assert_eq!(state.score.as_ref().map(|(s, _)| s.predikat), Some(Predikat::ButuhPerbaikan));
        assert_eq!(state.final_score.as_ref().map(|(f, _)| f.predikat), Some(Predikat::Baik));
    }

    #[test]
    fn every_prefix_of_the_history_replays_to_the_status_of_that_moment() {
        use Status::*;
        let statuses = [
            Opened,
            PlanDrafted,
            PlanSubmitted,
            PlanReturned,
            PlanDrafted,
            PlanSubmitted,
            TargetsAgreed,
            TargetsAgreed,
            TargetsAgreed,
            TargetsAgreed,
            Scored,
            Objected,
            Resolved,
            Final,
        ];
        let envelopes = history(disputed());
        assert_eq!(Appraisal::from_events(APPRAISAL_ID, &envelopes[..0]).status, Absent);
        for (n, status) in (1..).zip(statuses) {
            let state = Appraisal::from_events(APPRAISAL_ID, &envelopes[..n]);
            assert_eq!((state.version, state.status), (n as u64, status), "after {n} events");
        }
    }

    #[test]
    fn evolve_folds_to_the_same_state_as_apply() {
        let envelopes = history(disputed());
        let folded = envelopes.iter().fold(Appraisal::new(APPRAISAL_ID), evolve);
        assert_eq!(folded, Appraisal::from_events(APPRAISAL_ID, &envelopes));
    }

    #[test]
    fn the_times_kept_are_the_events_own() {
        let accepted_at = START + Duration::days(200);
        let mut events: Vec<_> =
            until(Status::Scored).into_iter().zip(0..).map(|(e, d)| (START + Duration::days(d), e)).collect();
        events.push((accepted_at, accepted()));
        let state = given_at(events).state;
        assert_eq!(state.accepted, Some(Stamp { version: 6, at: accepted_at }));
        assert_eq!(state.targets_agreed, Some(Stamp { version: 4, at: START + Duration::days(3) }));
    }

    #[test]
    fn a_new_draft_replaces_the_whole_plan() {
        let only = vec![result("R9", vec![indicator("I9", 1, "x")])];
        let state = given(vec![opened(), drafted(), Event::PlanDrafted(PlanDrafted { results: only.clone() })]).state;
        assert_eq!(state.plan, only);
        assert!(state.has_indicator("I9") && !state.has_indicator("I1"));
    }

    #[test]
    fn a_result_id_is_not_an_indicator() {
        let state = given(until(Status::TargetsAgreed)).state;
        assert!(state.has_indicator("I3"));
        assert!(!state.has_indicator("R1"));
    }

    #[test]
    fn every_status_reads_back_from_its_wire_name_and_nothing_else_does() {
        for status in Status::ALL {
            assert_eq!(status.to_string().parse::<Status>(), Ok(status));
        }
        for bad in ["", "absent", "Opened", "plan-drafted", "final ", "unknown"] {
            assert_eq!(bad.parse::<Status>(), Err(UnknownStatus(bad.to_owned())));
        }
    }

    #[test]
    fn statuses_have_their_wire_names() {
        let names: Vec<_> = Status::ALL.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            names,
            [
                "opened",
                "plan_drafted",
                "plan_submitted",
                "plan_returned",
                "targets_agreed",
                "scored",
                "accepted",
                "objected",
                "resolved",
                "final"
            ]
        );
    }
}
