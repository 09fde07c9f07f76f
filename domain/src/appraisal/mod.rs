//! The appraisal aggregate: its state, commands, rules and decisions.
//!
//! - [`state`]: `Appraisal` and `Status`, rebuilt by `apply`/`evolve`;
//! - [`command`]: the commands and their kinds;
//! - [`rules`]: who may do what, when (404, 403, 409);
//! - [`decide`]: values (422) and the event; [`open`]: opening; [`plan`]: plan rules;
//! - [`voices`]: expectations, dialogues, self-assessments and nominated evaluators.
//! - [`periodic`]: periodic evaluation and its corrections.

pub mod command;
pub mod decide;
pub mod open;
pub mod pending;
pub mod period_record;
pub mod periodic;
pub mod plan;
pub mod rules;
pub mod stamp;
pub mod state;
pub mod voices;

pub use command::{AppraisalCommand, Command, CommandKind};
pub use decide::{decide, decide_lazily};
pub use open::{decide_open, OpenAppraisal};
pub use periodic::{decide_period, PeriodRecord};
pub use rules::authorize;
pub use state::{evolve, status_after, Appraisal, Status, UnknownStatus};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use skp_events::values::{FeedbackAbout, FinalizedVia};
    use skp_events::ActorRole::{Admin, Employee, Rater, RaterSuperior};
    use skp_events::Rating::SesuaiEkspektasi;
    use time::Duration;

    #[test]
    fn a_whole_year_decided_command_by_command_ends_final_via_accepted() {
        let realise =
            |id: &str, value| AppraisalCommand::RecordRealisation { indicator_id: id.into(), value, evidence: None };
        let score = AppraisalCommand::Score {
            results_rating: SesuaiEkspektasi,
            behaviour_rating: SesuaiEkspektasi,
            notes: None,
        };
        let year = given(vec![opened()])
            .when(AppraisalCommand::DraftPlan { results: plan() })
            .then(drafted())
            .when(AppraisalCommand::SubmitPlan)
            .then(submitted())
            .when(AppraisalCommand::AgreeTargets)
            .then(agreed())
            .when(AppraisalCommand::GiveFeedback {
                about: FeedbackAbout::Results,
                text: "laporan triwulan tepat waktu".into(),
                indicator_id: Some("I3".into()),
            })
            .by(superior())
            .then(feedback())
            .when(realise("I1", 12))
            .then(realised("I1", 12))
            .when(score)
            .at(SCORED_AT)
            .then(scored())
            .when(AppraisalCommand::Accept)
            .at(SCORED_AT + Duration::days(2))
            .then(accepted())
            .when(AppraisalCommand::Finalize)
            .by(admin())
            .then(finalized(SesuaiEkspektasi, SesuaiEkspektasi, FinalizedVia::Accepted));
        let state = year.state;
        assert_eq!((state.status, state.version, state.feedback_count), (Status::Final, 9, 1));
        let roles: Vec<_> = year.envelopes.iter().map(|e| e.actor.role).collect();
        assert_eq!(roles, [Admin, Employee, Employee, Rater, RaterSuperior, Employee, Rater, Employee, Admin]);
        let stored: Vec<_> = year.envelopes.iter().map(|e| serde_json::to_value(e).expect("json")).collect();
        assert_eq!(skp_events::chain::verify_chain(&stored), vec![], "the story's hash chain");
    }
}
