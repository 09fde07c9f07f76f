//! The development plan that follows a final appraisal (PP 30/2019 Ps 56–58): pembinaan after a
//! low predikat, pengembangan otherwise; its actions, sessions, completions, the improvement
//! review and, after `not_improved`, the follow-up. One aggregate per final appraisal,
//! `development`, with its own subject and hash chain (the mentor of an action reads part of
//! it, never the appraisal).
//!
//! - [`state`]: `DevelopmentPlan`, rebuilt by `apply`/`evolve`; [`command`]: the commands;
//! - [`rules`]: who may do what, when (404, 403, 409); [`decide`]: the dispatch;
//! - one module per decision, with its values (422) and given/when/then tests: [`open`],
//!   [`action`], [`session`], [`completion`] (complete, confirm), [`review`] (review,
//!   follow-up);
//! - [`deadline`]: the dates and the plan status on a day (career, progress);
//! - [`access`]: who reads it; [`view`]: the plan as people read it.

pub mod access;
pub mod action;
pub mod command;
pub mod completion;
pub mod deadline;
pub mod decide;
pub mod open;
pub mod review;
pub mod rules;
pub mod session;
pub mod state;
pub mod view;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use command::{CommandKind, DevelopmentCommand, OpenValues};
pub use decide::{decide, decide_lazily, PlanCommand};
pub use open::decide_open;
pub use rules::Target;
pub use state::{evolve, DevelopmentPlan, PlanStatus};

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::view::{MentorView, PlanView};
    use super::*;
    use crate::testing::*;
    use skp_events::development::{ActionType, FollowUpMeasure, ImprovementOutcome};
    use skp_events::ActorRole::{Admin, Employee, Mentor, Rater};
    use time::macros::{date, datetime};

    fn story() -> testing::PlanGiven {
        plan_given(vec![pembinaan_opened()])
            .when(DevelopmentCommand::AddAction {
                action_id: "A1".into(),
                action_type: ActionType::Coaching,
                description: "coaching disiplin kerja".into(),
                due: date!(2025 - 04 - 30),
                mentor_nip: Some(nip(MENTOR_NIP)),
            })
            .then(action_added("A1", Some(MENTOR_NIP)))
            .when(DevelopmentCommand::RecordSession { action_id: "A1".into(), held_on: PLAN_START.date(), notes: "sesi pertama".into(), next_steps: None })
            .by(mentor())
            .then(session_recorded("A1"))
            .when(DevelopmentCommand::CompleteAction { action_id: "A1".into(), evidence: "laporan kegiatan".into() })
            .then(action_completed("A1"))
            .when(DevelopmentCommand::ConfirmAction { action_id: "A1".into() })
            .then(action_confirmed("A1"))
    }

    #[test]
    fn a_pembinaan_plan_from_opening_to_follow_up_decided_command_by_command() {
        let not_improved = || DevelopmentCommand::Review { outcome: ImprovementOutcome::NotImproved, basis: "capaian triwulan".into() };
        let story = story();
        story.clone().when(not_improved()).at(datetime!(2025-07-12 12:00 UTC)).then_err("improvement_window_open");
        let done = story
            .when(not_improved())
            .at(datetime!(2025-07-13 09:00 UTC))
            .then(reviewed(ImprovementOutcome::NotImproved))
            .when(DevelopmentCommand::DecideFollowUp { measure: FollowUpMeasure::Mutasi, basis: "keputusan pejabat berwenang".into() })
            .then(followed_up(FollowUpMeasure::Mutasi));
        let roles: Vec<_> = done.envelopes.iter().map(|e| e.actor.role).collect();
        assert_eq!(roles, [Rater, Rater, Mentor, Employee, Rater, Rater, Admin]);
        assert_eq!(done.state.status(), PlanStatus::NotImproved);
        let stored: Vec<_> = done.envelopes.iter().map(|e| serde_json::to_value(e).expect("json")).collect();
        assert_eq!(skp_events::chain::verify_chain(&stored), vec![], "the plan's hash chain");
    }

    #[test]
    fn the_state_keeps_every_action_with_its_sessions_completion_and_confirmation() {
        let state = story().state;
        assert_eq!((state.status(), state.version, state.actions.len()), (PlanStatus::Open, 5, 1));
        let action = state.action("A1").expect("A1");
        assert_eq!((action.sessions.len(), action.status()), (1, "confirmed"));
        assert_eq!(action.sessions[0].recorded.by.role, Mentor);
        assert_eq!(action.completed.as_ref().map(|(e, _)| e.as_str()), Some("laporan kegiatan"));
        assert!(state.mentors(&nip(MENTOR_NIP)) && !state.mentors(&nip(PEER_NIP)));
    }

    #[test]
    fn evolve_folds_to_the_same_state_as_apply() {
        let envelopes = story().envelopes;
        let folded = envelopes.iter().fold(DevelopmentPlan::new(plan_id()), evolve);
        assert_eq!(folded, DevelopmentPlan::from_events(plan_id(), &envelopes));
    }

    #[test]
    fn the_view_shows_the_whole_plan_and_the_mentor_view_only_their_actions() {
        let mut events = vec![pembinaan_opened(), action_added("A1", Some(MENTOR_NIP)), action_added("A2", None), session_recorded("A1")];
        events.push(reviewed(ImprovementOutcome::Improved));
        let state = plan_given(events).state;
        let view = serde_json::to_value(PlanView::of(&state).expect("opened")).expect("json");
        assert_eq!((view["kind"].as_str(), view["due"].as_str(), view["status"].as_str()), (Some("pembinaan"), Some("2025-07-13"), Some("improved")));
        assert_eq!(view["actions"].as_array().map(Vec::len), Some(2));
        assert_eq!(view["actions"][0]["sessions"][0]["recorded_by"]["role"], "rater");
        assert_eq!(view["review"]["outcome"], "improved");
        assert!(view["follow_up"].is_null());
        let mentor_view = serde_json::to_value(MentorView::of(&state, &nip(MENTOR_NIP)).expect("opened")).expect("json");
        assert_eq!(mentor_view["actions"].as_array().map(Vec::len), Some(1));
        assert_eq!(mentor_view["actions"][0]["action_id"], "A1");
        assert!(mentor_view.get("predikat").is_none() && mentor_view.get("review").is_none(), "{mentor_view}");
        assert!(PlanView::of(&DevelopmentPlan::new(plan_id())).is_none());
    }
}
