//! Who may issue which command, and in which status: the 404, 403 and 409 of a decision,
//! checked in that order before any value is looked at (docs/domain.md's check order).

use super::command::CommandKind;
use super::state::{Appraisal, Status};
use crate::context::{Caller, Ctx};
use crate::error::DomainError;
use skp_events::data::AppraisalOpened;
use skp_events::voices::Relation;
use skp_events::ActorRole;
use time::format_description::well_known::Rfc3339;

/// Checks that the appraisal exists, that the caller may issue `kind` on it and that its
/// status allows `kind` now; returns the role in which the caller acts.
///
/// # Errors
/// 404 `not_found`, 403 `forbidden`, 409 `invalid_transition`, `objection_window_open` or
/// (a score in a cycle with periods) `periods_pending`.
pub fn authorize(state: &Appraisal, kind: CommandKind, ctx: &Ctx) -> Result<ActorRole, DomainError> {
    let Some(opened) = &state.opened else {
        return Err(DomainError::NotFound { what: "appraisal" });
    };
    let role = role_for(state, opened, kind, &ctx.caller)?;
    check_status(state, kind, ctx)?;
    Ok(role)
}

/// The role in which `caller` may issue `kind` on this appraisal (`opened` is its opening).
///
/// # Errors
/// 403 `forbidden` with the rule that refuses.
pub fn role_for(state: &Appraisal, opened: &AppraisalOpened, kind: CommandKind, caller: &Caller) -> Result<ActorRole, DomainError> {
    use CommandKind::*;
    if caller.inspector {
        return Err(DomainError::Forbidden("an inspector reads everything and issues no command"));
    }
    let is_employee = opened.employee.nip == caller.nip;
    let is_rater = opened.rater.nip == caller.nip;
    let is_superior = opened.rater_superior.nip == caller.nip;
    let allow = |ok: bool, role: ActorRole, rule: &'static str| if ok { Ok(role) } else { Err(DomainError::Forbidden(rule)) };
    match kind {
        Open => allow(caller.admin, ActorRole::Admin, "only an admin opens appraisals"),
        DraftPlan | SubmitPlan | RecordRealisation | Accept | Object => {
            allow(is_employee, ActorRole::Employee, "only the appraised employee may do this")
        }
        ReturnPlan | AgreeTargets | Score => allow(is_rater, ActorRole::Rater, "only the appraisal's rater may do this"),
        EvaluatePeriod | CorrectPeriod => allow(is_rater, ActorRole::Rater, "only the appraisal's rater evaluates its periods"),
        Finalize if is_rater => Ok(ActorRole::Rater),
        Finalize => allow(
            caller.admin && !is_employee,
            ActorRole::Admin,
            "only the rater or an admin (not the employee) finalizes",
        ),
        GiveFeedback if is_employee => Err(DomainError::Forbidden("an employee gives no feedback on their own appraisal")),
        GiveFeedback if is_rater => Ok(ActorRole::Rater),
        GiveFeedback if is_superior => Ok(ActorRole::RaterSuperior),
        // Since issue 13 a colleague's feedback needs the rater's nomination.
        GiveFeedback => nominee_role(state, caller),
        ResolveForum => allow(
            is_superior,
            ActorRole::RaterSuperior,
            "only the rater's superior decides an objection, never the rater",
        ),
        // Voices beyond the rater (issue 13).
        SetExpectations | HoldDialogue | NominateEvaluators => {
            allow(is_rater, ActorRole::Rater, "only the appraisal's rater may do this")
        }
        AcknowledgeDialogue | SelfAssess => allow(is_employee, ActorRole::Employee, "only the appraised employee may do this"),
    }
}

/// The role of a nominated evaluator (`peer` or `subordinate`, as nominated now).
///
/// # Errors
/// 403 `forbidden` for anyone the rater has not nominated.
pub fn nominee_role(state: &Appraisal, caller: &Caller) -> Result<ActorRole, DomainError> {
    match state.voices.evaluator(&caller.nip).map(|e| e.relation) {
        Some(Relation::Peer) => Ok(ActorRole::Peer),
        Some(Relation::Subordinate) => Ok(ActorRole::Subordinate),
        None => Err(DomainError::Forbidden("only the rater, the rater's superior and the evaluators the rater nominated give feedback")),
    }
}

fn check_status(state: &Appraisal, kind: CommandKind, ctx: &Ctx) -> Result<(), DomainError> {
    use CommandKind::*;
    use Status::*;
    let allowed: &[Status] = match kind {
        Open => &[],
        DraftPlan => &[Opened, PlanDrafted, PlanReturned],
        SubmitPlan => &[PlanDrafted],
        ReturnPlan | AgreeTargets => &[PlanSubmitted],
        GiveFeedback | RecordRealisation | Score => &[TargetsAgreed],
        Accept | Object => &[Scored],
        ResolveForum => &[Objected],
        Finalize => &[Accepted, Resolved, Scored],
        // Voices beyond the rater (issue 13).
        SetExpectations => &[PlanSubmitted, TargetsAgreed],
        HoldDialogue => &[TargetsAgreed],
        AcknowledgeDialogue => &[TargetsAgreed, Scored, Accepted, Objected, Resolved],
        SelfAssess => &[TargetsAgreed],
        NominateEvaluators => &[Opened, PlanDrafted, PlanSubmitted, PlanReturned, TargetsAgreed],
        // Periodic evaluation (issue 12).
        EvaluatePeriod | CorrectPeriod => &[TargetsAgreed],
    };
    if kind == SelfAssess && state.score.is_some() {
        return Err(DomainError::conflict("already_evaluated", "the rater has already scored: a self-assessment comes before the score"));
    }
    if kind == Open {
        return Err(DomainError::AlreadyExists { what: "appraisal" });
    }
    if !allowed.contains(&state.status) {
        return Err(DomainError::InvalidTransition { command: kind.as_str(), status: state.status });
    }
    if kind == Score {
        super::pending::check_none_pending(state, ctx.now)?;
    }
    if let (Finalize, Scored, Some((score, _))) = (kind, state.status, &state.score) {
        if ctx.now <= score.objection_due {
            let until = score.objection_due.format(&Rfc3339).unwrap_or_default();
            return Err(DomainError::ObjectionWindowOpen { until });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appraisal::AppraisalCommand;
    use crate::testing::*;
    use skp_events::Event;
    use skp_events::values::{Indicator, PlannedResult, Target};
    use time::{Duration, OffsetDateTime};
    use CommandKind::*;
    use Status::*;

    /// Long after every window of the standard story.
    const LATE: OffsetDateTime = time::macros::datetime!(2025-06-30 08:00 UTC);

    /// docs/domain.md's lifecycle, written out again: the statuses from which each command may run.
    fn allowed(kind: CommandKind) -> &'static [Status] {
        match kind {
            Open => &[],
            DraftPlan => &[Opened, PlanDrafted, PlanReturned],
            SubmitPlan => &[PlanDrafted],
            ReturnPlan | AgreeTargets => &[PlanSubmitted],
            GiveFeedback | RecordRealisation | Score => &[TargetsAgreed],
            Accept | Object => &[Scored],
            ResolveForum => &[Objected],
            Finalize => &[Scored, Accepted, Resolved],
            SetExpectations => &[PlanSubmitted, TargetsAgreed],
            HoldDialogue | SelfAssess => &[TargetsAgreed],
            AcknowledgeDialogue => &[TargetsAgreed, Scored, Accepted, Objected, Resolved],
            NominateEvaluators => &[Opened, PlanDrafted, PlanSubmitted, PlanReturned, TargetsAgreed],
            EvaluatePeriod | CorrectPeriod => &[TargetsAgreed],
        }
    }

    /// docs/domain.md's "who may do what", written out again, on an appraisal whose rater
    /// nominated `peer()` and `nominee()` ([`with_nominations`]).
    fn callers() -> [(Who, &'static [CommandKind]); 8] {
        [
            (employee(), &[DraftPlan, SubmitPlan, RecordRealisation, Accept, Object, AcknowledgeDialogue, SelfAssess]),
            (rater(), &[ReturnPlan, AgreeTargets, GiveFeedback, Score, Finalize, SetExpectations, HoldDialogue, NominateEvaluators, EvaluatePeriod, CorrectPeriod]),
            (superior(), &[GiveFeedback, ResolveForum]),
            (peer(), &[GiveFeedback]),
            (nominee(), &[GiveFeedback]),
            (admin(), &[Finalize]),
            (inspector(), &[]),
            (service_desk(), &[]),
        ]
    }

    fn ctx(who: &Who, now: OffsetDateTime) -> Ctx {
        Ctx { caller: who.caller.clone(), now }
    }

    fn a_plan_with_a_zero_target() -> AppraisalCommand {
        let indicator =
            Indicator { id: "I1".into(), description: "x".into(), target: Target { value: 0, unit: "dokumen".into() } };
        AppraisalCommand::DraftPlan {
            results: vec![PlannedResult { id: "R1".into(), description: "x".into(), indicators: vec![indicator] }],
        }
    }

    #[test]
    fn every_command_from_a_status_that_does_not_allow_it_is_an_invalid_transition() {
        for kind in KINDS {
            for status in Status::ALL.into_iter().filter(|s| !allowed(kind).contains(s)) {
                if kind == SelfAssess && given(until(status)).state.score.is_some() {
                    given(until(status)).when(valid_command(kind)).at(LATE).then_err("already_evaluated");
                    continue;
                }
                let error = given(until(status)).when(valid_command(kind)).at(LATE).then_err("invalid_transition");
                assert_eq!(
                    error,
                    DomainError::InvalidTransition { command: kind.as_str(), status },
                    "{kind:?} from {status}"
                );
            }
        }
    }

    #[test]
    fn every_command_from_a_status_that_allows_it_passes_in_the_role_of_its_sender() {
        for kind in KINDS {
            for &status in allowed(kind) {
                let who = natural(kind);
                let state = given(until(status)).state;
                assert_eq!(
                    authorize(&state, kind, &ctx(&who, LATE)),
                    Ok(who.role.expect("a role")),
                    "{kind:?} from {status}"
                );
            }
        }
    }

    #[test]
    fn every_command_by_a_caller_who_may_not_send_it_is_forbidden() {
        for (who, may) in callers() {
            for kind in KINDS.into_iter().filter(|k| !may.contains(k)) {
                let status = allowed(kind)[0];
                given(with_nominations(until(status))).when(valid_command(kind)).by(who.clone()).at(LATE).then_err("forbidden");
            }
        }
    }

    #[test]
    fn every_command_by_a_caller_who_may_send_it_is_authorized() {
        for (who, may) in callers() {
            for &kind in may {
                let state = given(with_nominations(until(allowed(kind)[0]))).state;
                let role = authorize(&state, kind, &ctx(&who, LATE));
                assert!(role.is_ok(), "{:?} may {kind:?}: {role:?}", who.role);
            }
        }
    }

    #[test]
    fn an_employee_cannot_give_feedback_on_their_own_appraisal() {
        given(until(TargetsAgreed)).when(valid_command(GiveFeedback)).by(employee()).then_err("forbidden");
    }

    #[test]
    fn an_employee_who_is_also_an_admin_cannot_give_feedback_on_their_own_appraisal() {
        given(until(TargetsAgreed)).when(valid_command(GiveFeedback)).by(employee().also_admin()).then_err("forbidden");
    }

    #[test]
    fn a_rater_cannot_resolve_the_objection_to_their_own_score() {
        given(until(Objected)).when(valid_command(ResolveForum)).by(rater()).then_err("forbidden");
        given(until(Objected)).when(valid_command(ResolveForum)).by(rater().also_admin()).then_err("forbidden");
    }

    #[test]
    fn nobody_but_the_rater_superior_resolves_the_forum() {
        for who in [employee(), peer(), admin(), inspector()] {
            given(until(Objected)).when(valid_command(ResolveForum)).by(who).then_err("forbidden");
        }
    }

    #[test]
    fn an_inspector_who_is_also_the_employee_issues_no_command_on_their_own_appraisal() {
        for kind in KINDS {
            let status = allowed(kind)[0];
            given(until(status))
                .when(valid_command(kind))
                .by(employee().also_inspector())
                .at(LATE)
                .then_err("forbidden");
        }
    }

    #[test]
    fn an_inspector_who_is_also_the_rater_or_an_admin_cannot_finalize() {
        for who in [rater().also_inspector(), inspector().also_admin()] {
            given(until(Accepted)).when(valid_command(Finalize)).by(who).then_err("forbidden");
        }
    }

    #[test]
    fn an_admin_who_is_the_employee_cannot_finalize_their_own_score() {
        given(until(Accepted)).when(valid_command(Finalize)).by(employee().also_admin()).then_err("forbidden");
    }

    #[test]
    fn an_admin_without_a_role_in_the_appraisal_finalizes_as_admin() {
        let state = given(until(Accepted)).state;
        assert_eq!(authorize(&state, Finalize, &ctx(&admin(), LATE)), Ok(ActorRole::Admin));
    }

    #[test]
    fn a_rater_who_is_also_an_admin_finalizes_as_the_rater() {
        let state = given(until(Accepted)).state;
        assert_eq!(authorize(&state, Finalize, &ctx(&rater().also_admin(), LATE)), Ok(ActorRole::Rater));
    }

    #[test]
    fn a_colleague_the_rater_did_not_nominate_gives_no_feedback_whatever_their_role() {
        for who in [peer(), nominee(), admin(), service_desk()] {
            given(until(TargetsAgreed)).when(valid_command(GiveFeedback)).by(who).then_err("forbidden");
        }
    }

    #[test]
    fn a_nominated_evaluator_gives_feedback_in_the_relation_nominated() {
        let state = given(with_nominations(until(TargetsAgreed))).state;
        assert_eq!(authorize(&state, GiveFeedback, &ctx(&peer(), LATE)), Ok(ActorRole::Peer));
        assert_eq!(authorize(&state, GiveFeedback, &ctx(&nominee(), LATE)), Ok(ActorRole::Subordinate));
    }

    #[test]
    fn an_admin_the_rater_nominated_gives_feedback_as_the_nominee_not_as_admin() {
        let admin_peer = Who { caller: Caller { admin: true, ..peer().caller }, role: Some(ActorRole::Peer) };
        let state = given(with_nominations(until(TargetsAgreed))).state;
        assert_eq!(authorize(&state, GiveFeedback, &ctx(&admin_peer, LATE)), Ok(ActorRole::Peer));
    }

    #[test]
    fn a_later_nomination_replaces_the_earlier_one_and_the_dropped_evaluator_gives_no_more_feedback() {
        let only_the_peer = Event::EvaluatorsNominated(skp_events::voices::EvaluatorsNominated {
            evaluators: vec![skp_events::voices::Evaluator { nip: nip(PEER_NIP), name: "Rina".into(), relation: skp_events::voices::Relation::Peer }],
        });
        let mut events = with_nominations(until(TargetsAgreed));
        events.push(only_the_peer);
        let state = given(events.clone()).state;
        assert_eq!(authorize(&state, GiveFeedback, &ctx(&peer(), LATE)), Ok(ActorRole::Peer));
        given(events).when(valid_command(GiveFeedback)).by(nominee()).then_err("forbidden");
    }

    #[test]
    fn the_rater_superior_gives_feedback_as_the_rater_superior_not_as_a_peer() {
        let state = given(until(TargetsAgreed)).state;
        assert_eq!(authorize(&state, GiveFeedback, &ctx(&superior(), LATE)), Ok(ActorRole::RaterSuperior));
    }

    #[test]
    fn a_command_on_an_unknown_appraisal_is_not_found_before_anything_else() {
        for kind in KINDS {
            for who in [natural(kind), peer(), inspector()] {
                given(vec![]).when(valid_command(kind)).by(who).then_err("not_found");
            }
        }
        given(vec![]).when(a_plan_with_a_zero_target()).by(inspector()).then_err("not_found");
    }

    #[test]
    fn a_peer_sending_an_invalid_plan_in_the_wrong_status_is_forbidden() {
        given(until(Scored)).when(a_plan_with_a_zero_target()).by(peer()).then_err("forbidden");
    }

    #[test]
    fn the_employee_sending_an_invalid_plan_in_the_wrong_status_gets_an_invalid_transition() {
        given(until(Scored)).when(a_plan_with_a_zero_target()).by(employee()).then_err("invalid_transition");
    }

    #[test]
    fn the_employee_sending_an_invalid_plan_in_the_right_status_gets_invalid_plan() {
        given(until(Opened)).when(a_plan_with_a_zero_target()).by(employee()).then_err("invalid_plan");
    }

    #[test]
    fn a_stranger_finalizing_too_early_is_forbidden_before_the_window_is_looked_at() {
        given(until(Scored)).when(valid_command(Finalize)).by(peer()).at(SCORED_AT).then_err("forbidden");
    }

    #[test]
    fn the_objection_window_is_a_conflict_only_for_finalize_from_scored() {
        let during = SCORED_AT + Duration::hours(1);
        given(until(Scored)).when(valid_command(Finalize)).at(during).then_err("objection_window_open");
        let state = given(until(Scored)).state;
        assert_eq!(authorize(&state, Accept, &ctx(&employee(), during)), Ok(ActorRole::Employee));
    }

    #[test]
    fn opening_an_appraisal_that_exists_is_already_exists_for_an_admin_and_forbidden_for_others() {
        given(until(Opened)).when(valid_command(Open)).by(admin()).then_err("already_exists");
        given(until(Final)).when(valid_command(Open)).by(admin()).then_err("already_exists");
        given(until(Opened)).when(valid_command(Open)).by(employee()).then_err("forbidden");
        given(vec![]).when(valid_command(Open)).by(admin()).then_err("not_found");
    }
}
