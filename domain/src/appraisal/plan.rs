//! The rules of a plan: at least one result, each with at least one indicator, each with a
//! target greater than zero and a unit, ids unique within the plan.

use crate::error::DomainError;
use crate::text::{check_text, require_text};
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
            if indicator.target.unit.trim().is_empty() {
                return invalid(format!("indicator {:?} needs a target unit", indicator.id));
            }
            check_text("target unit", &indicator.target.unit)?;
        }
    }
    Ok(())
}

fn check_id<'a>(id: &'a str, seen: &mut HashSet<&'a str>) -> Result<(), DomainError> {
    if id.trim().is_empty() || id.len() > 64 {
        return Err(DomainError::invalid("invalid_plan", "every result and indicator needs an id of 1 to 64 characters"));
    }
    check_text("id", id)?;
    if !seen.insert(id) {
        return Err(DomainError::invalid("invalid_plan", format!("id {id:?} appears twice in the plan")));
    }
    Ok(())
}
