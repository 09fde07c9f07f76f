//! Opening the development plan of a final appraisal (its rater, or an admin who is not its
//! employee): `DevelopmentPlanOpened`. The plan's id is derived from the appraisal's, so a
//! second opening meets the first.
//!
//! Checks, in order: the command id already handled; the appraisal unknown (404); the caller
//! (403); the appraisal not final (409 `invalid_transition`) or its plan already open (409
//! `already_exists`); then the values (422):
//! - `kind`, if given, is the one the final predikat calls for (`invalid_kind`): `pembinaan`
//!   after `butuh_perbaikan`, `kurang` or `sangat_kurang`, else `pengembangan`;
//! - `due`, if given, is not before today nor before the finalization date, and at most six
//!   months (pembinaan, "paling lama 6 bulan") or twelve (pengembangan) after the finalization
//!   date (`invalid_due`). Without it, the plan is due on that latest day.

use super::command::OpenValues;
use super::deadline::{kind_for, latest_due};
use super::rules::open_role_of;
use super::state::DevelopmentPlan;
use crate::appraisal::{Appraisal, Status};
use crate::context::Ctx;
use crate::decision::Decision;
use crate::error::DomainError;
use skp_events::development::DevelopmentPlanOpened;
use skp_events::Event;

/// Decides the opening of `plan` (the plan at the id derived from `appraisal`'s), reading the
/// values with `values` only once the caller may open it and the appraisal allows it.
///
/// # Errors
/// 404, 403, 409 `invalid_transition` or `already_exists`, 422 `invalid_kind`, `invalid_due`
/// or the errors of `values`.
pub fn decide_open(
    plan: &DevelopmentPlan,
    appraisal: &Appraisal,
    values: impl FnOnce() -> Result<OpenValues, DomainError>,
    ctx: &Ctx,
) -> Result<Decision, DomainError> {
    let Some(people) = &appraisal.opened else {
        return Err(DomainError::NotFound { what: "appraisal" });
    };
    let role = open_role_of(&people.employee.nip, &people.rater.nip, &ctx.caller)?;
    let Some((final_score, stamp)) = appraisal.final_score.as_ref().filter(|_| appraisal.status == Status::Final) else {
        return Err(DomainError::InvalidTransition { command: "open_development_plan", status: appraisal.status });
    };
    if plan.opened.is_some() {
        return Err(DomainError::AlreadyExists { what: "development plan" });
    }
    let values = values()?;
    let required = kind_for(final_score.predikat);
    if let Some(kind) = values.kind.filter(|k| *k != required) {
        return Err(DomainError::invalid(
            "invalid_kind",
            format!("the final predikat {} calls for {}, not {}", final_score.predikat.as_str(), required.as_str(), kind.as_str()),
        ));
    }
    let finalized = stamp.at.date();
    let latest = latest_due(required, finalized);
    let due = match values.due {
        None => latest,
        Some(due) => check_due(due, finalized, latest, ctx)?,
    };
    Ok(Decision::Record {
        event: Event::DevelopmentPlanOpened(DevelopmentPlanOpened {
            kind: required,
            due,
            appraisal_id: appraisal.id,
            cycle_id: people.cycle_id,
            year: people.year,
            employee: people.employee.clone(),
            rater: people.rater.clone(),
            rater_superior: people.rater_superior.clone(),
            predikat: final_score.predikat,
            finalized_at: stamp.at,
        }),
        role,
    })
}

fn check_due(due: time::Date, finalized: time::Date, latest: time::Date, ctx: &Ctx) -> Result<time::Date, DomainError> {
    let today = ctx.now.date();
    let refuse = |why: String| Err(DomainError::invalid("invalid_due", why));
    if due > latest {
        return refuse(format!("due {due} is later than the rules allow: at most {latest}"));
    }
    if due < finalized || due < today {
        return refuse(format!("due {due} is in the past (the appraisal became final on {finalized}; today is {today})"));
    }
    Ok(due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::development::testing::*;
    use crate::testing::*;
    use skp_events::development::DevelopmentKind::{Pembinaan, Pengembangan};
    use skp_events::{ActorRole, Predikat, Rating};
    use time::macros::{date, datetime};
    use time::OffsetDateTime;

    /// The day after the appraisal became final.
    const NOW: OffsetDateTime = datetime!(2025-01-14 08:00 UTC);

    fn open(appraisal: &Appraisal, values: OpenValues, who: Who) -> Result<Decision, DomainError> {
        let plan = DevelopmentPlan::new(plan_id());
        decide_open(&plan, appraisal, || Ok(values), &Ctx { caller: who.caller, now: NOW })
    }

    #[test]
    fn after_kurang_the_rater_opens_pembinaan_due_six_months_after_finalization() {
        assert_recorded(open(&kurang_appraisal(), OpenValues::default(), rater()), &pembinaan_opened(), ActorRole::Rater);
    }

    #[test]
    fn after_butuh_perbaikan_and_sangat_kurang_the_plan_is_pembinaan_too() {
        for (results, behaviour, predikat) in [
            (Rating::DiBawahEkspektasi, Rating::SesuaiEkspektasi, Predikat::ButuhPerbaikan),
            (Rating::DiBawahEkspektasi, Rating::DiBawahEkspektasi, Predikat::SangatKurang),
        ] {
            let expected = plan_opened(Pembinaan, PEMBINAAN_DUE, predikat);
            assert_recorded(open(&final_appraisal(results, behaviour), OpenValues::default(), rater()), &expected, ActorRole::Rater);
        }
    }

    #[test]
    fn after_baik_an_admin_opens_pengembangan_due_within_twelve_months() {
        assert_recorded(open(&baik_appraisal(), OpenValues::default(), admin()), &pengembangan_opened(), ActorRole::Admin);
        let earlier = OpenValues { kind: Some(Pengembangan), due: Some(date!(2025 - 10 - 01)) };
        assert_recorded(open(&baik_appraisal(), earlier, admin()), &plan_opened(Pengembangan, date!(2025 - 10 - 01), Predikat::Baik), ActorRole::Admin);
    }

    #[test]
    fn a_due_date_beyond_the_limit_or_in_the_past_is_refused() {
        let cases = [
            (kurang_appraisal(), date!(2025 - 07 - 14)),
            (baik_appraisal(), date!(2026 - 01 - 14)),
            (baik_appraisal(), date!(2025 - 01 - 13)),
            (kurang_appraisal(), date!(2024 - 12 - 31)),
        ];
        for (appraisal, due) in cases {
            let values = OpenValues { kind: None, due: Some(due) };
            assert_refused(open(&appraisal, values, rater()), "invalid_due");
        }
    }

    #[test]
    fn pembinaan_may_be_due_sooner_than_six_months_paling_lama() {
        let values = OpenValues { kind: Some(Pembinaan), due: Some(date!(2025 - 04 - 14)) };
        let expected = plan_opened(Pembinaan, date!(2025 - 04 - 14), Predikat::Kurang);
        assert_recorded(open(&kurang_appraisal(), values, rater()), &expected, ActorRole::Rater);
    }

    #[test]
    fn the_kind_is_the_one_the_predikat_calls_for() {
        assert_refused(open(&kurang_appraisal(), OpenValues { kind: Some(Pengembangan), due: None }, rater()), "invalid_kind");
        assert_refused(open(&baik_appraisal(), OpenValues { kind: Some(Pembinaan), due: None }, rater()), "invalid_kind");
    }

    #[test]
    fn a_plan_on_an_appraisal_that_is_not_final_is_a_conflict() {
        for status in [Status::Opened, Status::TargetsAgreed, Status::Scored, Status::Accepted, Status::Resolved] {
            let appraisal = Appraisal::from_events(APPRAISAL_ID, &history(until(status)));
            let error = assert_refused(open(&appraisal, OpenValues::default(), rater()), "invalid_transition");
            assert!(error.to_string().contains(status.as_str()), "{error}");
        }
    }

    #[test]
    fn a_second_plan_for_the_same_appraisal_already_exists() {
        let plan = plan_given(vec![pembinaan_opened()]).state;
        let decision = decide_open(&plan, &kurang_appraisal(), || Ok(OpenValues::default()), &Ctx { caller: rater().caller, now: NOW });
        assert_refused(decision, "already_exists");
    }

    #[test]
    fn only_the_rater_or_an_admin_who_is_not_the_employee_opens_it() {
        for who in [employee(), superior(), peer(), mentor(), inspector(), employee().also_admin(), rater().also_inspector()] {
            assert_refused(open(&kurang_appraisal(), OpenValues::default(), who), "forbidden");
        }
        let both = rater().also_admin();
        assert_recorded(open(&kurang_appraisal(), OpenValues::default(), both), &pembinaan_opened(), ActorRole::Rater);
    }

    #[test]
    fn the_checks_run_not_found_then_forbidden_then_conflict_then_values() {
        let values = || OpenValues { kind: Some(Pengembangan), due: Some(date!(2030 - 01 - 01)) };
        let nothing = Appraisal::new(APPRAISAL_ID);
        assert_refused(open(&nothing, values(), peer()), "not_found");
        let scored = Appraisal::from_events(APPRAISAL_ID, &history(until(Status::Scored)));
        assert_refused(open(&scored, values(), peer()), "forbidden");
        assert_refused(open(&scored, values(), rater()), "invalid_transition");
        assert_refused(open(&kurang_appraisal(), values(), rater()), "invalid_kind");
    }
}
