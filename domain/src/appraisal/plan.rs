//! The rules of a plan: at least one result, each with at least one indicator, each with a
//! target greater than zero and a unit, ids unique within the plan.

use crate::error::DomainError;
use crate::text::{check_text, check_whole, require_text};
use skp_events::values::PlannedResult;
use std::collections::HashSet;

/// The most results a plan may hold, and the most indicators per result.
pub const MAX_PLAN_ITEMS: usize = 100;

/// Checks a plan.
///
/// # Errors
/// 422 `invalid_plan` naming the first rule broken, or `invalid_text` for a bad description.
pub fn validate_plan(results: &[PlannedResult]) -> Result<(), DomainError> {
    let invalid = |detail: String| Err(DomainError::invalid("invalid_plan", detail));
    if results.is_empty() {
        return invalid("a plan needs at least one result".into());
    }
    if results.len() > MAX_PLAN_ITEMS {
        return invalid(format!("a plan holds at most {MAX_PLAN_ITEMS} results"));
    }
    let mut ids = HashSet::new();
    for result in results {
        check_id(&result.id, &mut ids)?;
        require_text("result description", &result.description)?;
        if result.indicators.is_empty() || result.indicators.len() > MAX_PLAN_ITEMS {
            return invalid(format!("result {:?} needs between 1 and {MAX_PLAN_ITEMS} indicators", result.id));
        }
        for indicator in &result.indicators {
            check_id(&indicator.id, &mut ids)?;
            require_text("indicator description", &indicator.description)?;
            if indicator.target.value == 0 {
                return invalid(format!("indicator {:?} needs a target greater than zero", indicator.id));
            }
            check_whole("target.value", indicator.target.value, "invalid_plan")?;
            if indicator.target.unit.trim().is_empty() {
                return invalid(format!("indicator {:?} needs a target unit", indicator.id));
            }
            check_text("target unit", &indicator.target.unit)?;
        }
    }
    Ok(())
}

fn check_id<'a>(id: &'a str, seen: &mut HashSet<&'a str>) -> Result<(), DomainError> {
    if id.trim().is_empty() || id.chars().count() > 64 {
        return Err(DomainError::invalid("invalid_plan", "every result and indicator needs an id of 1 to 64 characters"));
    }
    check_text("id", id)?;
    if !seen.insert(id) {
        return Err(DomainError::invalid("invalid_plan", format!("id {id:?} appears twice in the plan")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appraisal::{AppraisalCommand, Status};
    use crate::testing::{given, indicator, plan, result, until};
    use skp_events::values::Indicator;

    /// The code of the refusal, after checking that it is a 422.
    fn refused(results: Vec<PlannedResult>) -> &'static str {
        let error = validate_plan(&results).expect_err("the plan is refused");
        error.code()
    }

    fn many_indicators(n: usize) -> Vec<Indicator> {
        (0..n).map(|i| indicator(&format!("I{i}"), 1, "dokumen")).collect()
    }

    #[test]
    fn a_plan_with_results_each_with_indicators_and_targets_is_valid() {
        assert_eq!(validate_plan(&plan()), Ok(()));
    }

    #[test]
    fn an_empty_plan_is_refused() {
        assert_eq!(refused(vec![]), "invalid_plan");
    }

    #[test]
    fn a_result_without_indicators_is_refused() {
        assert_eq!(refused(vec![result("R1", vec![])]), "invalid_plan");
    }

    #[test]
    fn a_target_of_zero_is_refused() {
        assert_eq!(refused(vec![result("R1", vec![indicator("I1", 0, "dokumen")])]), "invalid_plan");
    }

    #[test]
    fn a_target_without_a_unit_is_refused() {
        for unit in ["", "  "] {
            assert_eq!(refused(vec![result("R1", vec![indicator("I1", 1, unit)])]), "invalid_plan");
        }
    }

    #[test]
    fn two_results_with_the_same_id_are_refused() {
        let plan = vec![result("R1", vec![indicator("I1", 1, "x")]), result("R1", vec![indicator("I2", 1, "x")])];
        assert_eq!(refused(plan), "invalid_plan");
    }

    #[test]
    fn two_indicators_with_the_same_id_are_refused_in_one_result_or_across_results() {
        let within = vec![result("R1", vec![indicator("I1", 1, "x"), indicator("I1", 2, "x")])];
        let across = vec![result("R1", vec![indicator("I1", 1, "x")]), result("R2", vec![indicator("I1", 1, "x")])];
        assert_eq!(refused(within), "invalid_plan");
        assert_eq!(refused(across), "invalid_plan");
    }

    #[test]
    fn a_result_and_an_indicator_with_the_same_id_are_refused() {
        assert_eq!(refused(vec![result("X", vec![indicator("X", 1, "x")])]), "invalid_plan");
        let later = vec![result("R1", vec![indicator("I1", 1, "x")]), result("I1", vec![indicator("I2", 1, "x")])];
        assert_eq!(refused(later), "invalid_plan");
    }

    #[test]
    fn ids_are_one_to_sixty_four_characters() {
        assert_eq!(refused(vec![result(" ", vec![indicator("I1", 1, "x")])]), "invalid_plan");
        assert_eq!(refused(vec![result("R1", vec![indicator("", 1, "x")])]), "invalid_plan");
        assert_eq!(refused(vec![result(&"R".repeat(65), vec![indicator("I1", 1, "x")])]), "invalid_plan");
        assert_eq!(validate_plan(&[result(&"R".repeat(64), vec![indicator("I1", 1, "x")])]), Ok(()));
        assert_eq!(validate_plan(&[result(&"é".repeat(64), vec![indicator("I1", 1, "x")])]), Ok(()));
    }

    #[test]
    fn blank_descriptions_and_control_characters_are_refused_as_text() {
        let mut blank = result("R1", vec![indicator("I1", 1, "x")]);
        blank.description = " ".into();
        assert_eq!(refused(vec![blank]), "invalid_text");
        let mut blank_indicator = indicator("I1", 1, "x");
        blank_indicator.description = String::new();
        assert_eq!(refused(vec![result("R1", vec![blank_indicator])]), "invalid_text");
        assert_eq!(refused(vec![result("R1", vec![indicator("I1", 1, "do\u{0}k")])]), "invalid_text");
        assert_eq!(refused(vec![result("R\u{7}", vec![indicator("I1", 1, "x")])]), "invalid_text");
    }

    #[test]
    fn a_plan_holds_at_most_a_hundred_results_of_at_most_a_hundred_indicators() {
        assert_eq!(validate_plan(&[result("R", many_indicators(MAX_PLAN_ITEMS))]), Ok(()));
        assert_eq!(refused(vec![result("R", many_indicators(MAX_PLAN_ITEMS + 1))]), "invalid_plan");
        let results =
            (0..=MAX_PLAN_ITEMS).map(|i| result(&format!("R{i}"), vec![indicator(&format!("I{i}"), 1, "x")])).collect();
        assert_eq!(refused(results), "invalid_plan");
    }

    #[test]
    fn a_draft_breaking_a_plan_rule_is_refused_by_decide() {
        given(until(Status::Opened)).when(AppraisalCommand::DraftPlan { results: vec![] }).then_err("invalid_plan");
        let duplicate = vec![result("R1", vec![indicator("I1", 1, "x")]), result("R1", vec![indicator("I2", 1, "x")])];
        given(until(Status::PlanReturned))
            .when(AppraisalCommand::DraftPlan { results: duplicate })
            .then_err("invalid_plan");
    }
}
