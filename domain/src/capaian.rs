//! Unit capaian and the distribution pattern of SE MenPANRB 3/2023 (DOMAIN.md, *Unit capaian
//! and the distribution pattern*).
//!
//! - [`Cycle::decide_capaian`]: an admin records, for the leader above a unit, the unit's
//!   capaian for one period of the cycle or for the year (`UnitCapaianSet` on the cycle);
//!   a second one for the same unit and period supersedes the first and needs a reason.
//! - [`pattern_warnings`]: where a group's predikat distribution departs from the pattern
//!   its unit's capaian selects. A unit without a capaian is held to the `baik` pattern and
//!   marked `capaian_assumed` by the read models. Warnings never block a command.
//!
//! | capaian | pattern | warning codes |
//! |---|---|---|
//! | istimewa | `sangat_baik` the largest group (ties allowed), at most 70% | `sangat_baik_not_largest`, `sangat_baik_over_70_percent` |
//! | baik | `baik` at most 70%; at least one `butuh_perbaikan` or `kurang` (`sangat_kurang` does not count) | `baik_over_70_percent`, `no_low_predikat` |
//! | butuh_perbaikan | at least 60% `butuh_perbaikan`; `sangat_baik` at most 10% | `butuh_perbaikan_under_60_percent`, `sangat_baik_over_10_percent` |
//! | kurang | at least 60% `kurang`; at least 10% `butuh_perbaikan`; `sangat_baik` at most 10% | `kurang_under_60_percent`, `butuh_perbaikan_under_10_percent`, `sangat_baik_over_10_percent` |
//! | sangat_kurang | at least 60% `sangat_kurang`; at least 10% `kurang` or `butuh_perbaikan`; no `sangat_baik` | `sangat_kurang_under_60_percent`, `kurang_or_butuh_perbaikan_under_10_percent`, `sangat_baik_present` |
//!
//! A group is compared from [`CURVE_MIN_SCORED`] graded appraisals on; percentages are exact
//! (integer arithmetic, no rounding).

use crate::context::Ctx;
use crate::cycle::Cycle;
use crate::decision::Decision;
use crate::error::DomainError;
use crate::period::Calendar;
use crate::text::{check_text, require_text};
use serde::Serialize;
use skp_events::data::UnitCapaianSet;
use skp_events::period::{Capaian, Official};
use skp_events::{ActorRole, Event, Predikat};

/// Graded appraisals a group needs before its distribution is compared with a pattern.
pub const CURVE_MIN_SCORED: i64 = 5;

/// Every warning code [`pattern_warnings`] can give, in the order of the module's table.
pub const WARNING_CODES: [&str; 11] = [
    "sangat_baik_not_largest",
    "sangat_baik_over_70_percent",
    "baik_over_70_percent",
    "no_low_predikat",
    "butuh_perbaikan_under_60_percent",
    "sangat_baik_over_10_percent",
    "kurang_under_60_percent",
    "butuh_perbaikan_under_10_percent",
    "sangat_kurang_under_60_percent",
    "kurang_or_butuh_perbaikan_under_10_percent",
    "sangat_baik_present",
];

/// How many of a group's appraisals have each predikat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Distribution {
    counts: [i64; 5],
}

impl Distribution {
    /// A distribution from `(predikat, count)` pairs (a predikat given twice adds up).
    pub fn of(counts: impl IntoIterator<Item = (Predikat, i64)>) -> Self {
        let mut distribution = Self::default();
        for (predikat, count) in counts {
            distribution.counts[index(predikat)] += count;
        }
        distribution
    }

    /// The count of `predikat`.
    pub fn count(&self, predikat: Predikat) -> i64 {
        self.counts[index(predikat)]
    }

    /// Every graded appraisal of the group.
    pub fn total(&self) -> i64 {
        self.counts.iter().sum()
    }
}

fn index(predikat: Predikat) -> usize {
    Predikat::ALL.iter().position(|p| *p == predikat).unwrap_or_default()
}

/// A departure from the pattern of the unit's capaian (a warning, not a block).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PatternWarning {
    /// Stable code (see the module's table).
    pub code: &'static str,
    /// For a person: the counts and the rule.
    pub detail: String,
}

/// Where `distribution` departs from the pattern of `capaian`; none below
/// [`CURVE_MIN_SCORED`] graded appraisals.
pub fn pattern_warnings(capaian: Capaian, distribution: &Distribution) -> Vec<PatternWarning> {
    use Predikat::*;
    let total = distribution.total();
    if total < CURVE_MIN_SCORED {
        return Vec::new();
    }
    let count = |p: Predikat| distribution.count(p);
    let share = |n: i64, what: &str| format!("{n} of {total} graded are {what}");
    let mut warnings = Vec::new();
    let mut warn = |broken: bool, code: &'static str, detail: String| {
        if broken {
            warnings.push(PatternWarning { code, detail });
        }
    };
    let (sb, b, bp, k, sk) = (count(SangatBaik), count(Baik), count(ButuhPerbaikan), count(Kurang), count(SangatKurang));
    match capaian {
        Capaian::Istimewa => {
            let largest_other = [b, bp, k, sk].into_iter().max().unwrap_or(0);
            warn(sb < largest_other, "sangat_baik_not_largest", format!("{}, fewer than another predikat ({largest_other}); capaian istimewa expects sangat_baik the largest group", share(sb, "sangat_baik")));
            warn(sb * 100 > total * 70, "sangat_baik_over_70_percent", format!("{} (more than 70%)", share(sb, "sangat_baik")));
        }
        Capaian::Baik => {
            warn(b * 100 > total * 70, "baik_over_70_percent", format!("{} (more than 70%)", share(b, "baik")));
            warn(bp + k == 0, "no_low_predikat", format!("none of {total} graded is butuh_perbaikan or kurang (sangat_kurang does not count)"));
        }
        Capaian::ButuhPerbaikan => {
            warn(bp * 100 < total * 60, "butuh_perbaikan_under_60_percent", format!("{} (less than 60%)", share(bp, "butuh_perbaikan")));
            warn(sb * 100 > total * 10, "sangat_baik_over_10_percent", format!("{} (more than 10%)", share(sb, "sangat_baik")));
        }
        Capaian::Kurang => {
            warn(k * 100 < total * 60, "kurang_under_60_percent", format!("{} (less than 60%)", share(k, "kurang")));
            warn(bp * 100 < total * 10, "butuh_perbaikan_under_10_percent", format!("{} (less than 10%)", share(bp, "butuh_perbaikan")));
            warn(sb * 100 > total * 10, "sangat_baik_over_10_percent", format!("{} (more than 10%)", share(sb, "sangat_baik")));
        }
        Capaian::SangatKurang => {
            warn(sk * 100 < total * 60, "sangat_kurang_under_60_percent", format!("{} (less than 60%)", share(sk, "sangat_kurang")));
            warn((k + bp) * 100 < total * 10, "kurang_or_butuh_perbaikan_under_10_percent", format!("{} (less than 10%)", share(k + bp, "kurang or butuh_perbaikan")));
            warn(sb > 0, "sangat_baik_present", format!("{}; capaian sangat_kurang allows none", share(sb, "sangat_baik")));
        }
    }
    warnings
}

/// The command that records a unit's capaian, its values as given: read only once the
/// caller may record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetUnitCapaian {
    /// The unit, as appraisals name it.
    pub unit: String,
    /// `annual` or a period id of the cycle.
    pub period: String,
    /// The capaian.
    pub capaian: Capaian,
    /// The leader who decided it.
    pub decided_by: Official,
    /// Why (required to supersede an earlier capaian of the same unit and period).
    pub reason: Option<String>,
}

impl Cycle {
    /// Decides recording a unit's capaian; `values` is read only once the caller may.
    ///
    /// # Errors
    /// 404 unknown cycle; 403 unless admin (not inspector); then 422: the values'
    /// conversion, `invalid_text` (unit, the official's name and position, reason),
    /// `invalid_period` (neither `annual` nor a period of the cycle), `reason_required` (a
    /// second capaian for the same unit and period without a reason).
    pub fn decide_capaian(&self, values: impl FnOnce() -> Result<SetUnitCapaian, DomainError>, ctx: &Ctx) -> Result<Decision, DomainError> {
        let Some(config) = &self.opened else {
            return Err(DomainError::NotFound { what: "cycle" });
        };
        if ctx.caller.inspector || !ctx.caller.admin {
            return Err(DomainError::Forbidden("only an admin records a unit's capaian"));
        }
        let command = values()?;
        require_text("unit", &command.unit)?;
        let period = Calendar::of_cycle(config).parse_capaian_period(&command.period)?;
        require_text("decided_by.name", &command.decided_by.name)?;
        require_text("decided_by.position", &command.decided_by.position)?;
        check_text("reason", command.reason.as_deref().unwrap_or_default())?;
        let reason = command.reason.filter(|r| !r.trim().is_empty());
        if let (Some(earlier), None) = (self.capaian.get(&(command.unit.clone(), period)), &reason) {
            let detail = format!(
                "unit {:?} already has capaian {} for {period} (decided by {}); a new one supersedes it only with a reason",
                earlier.unit,
                earlier.capaian.as_str(),
                earlier.decided_by.name
            );
            return Err(DomainError::invalid("reason_required", detail));
        }
        let event = UnitCapaianSet { unit: command.unit, period, capaian: command.capaian, decided_by: command.decided_by, reason };
        Ok(Decision::Record { event: Event::UnitCapaianSet(event), role: ActorRole::Admin })
    }
}

#[cfg(test)]
#[path = "capaian_tests.rs"]
mod tests;
