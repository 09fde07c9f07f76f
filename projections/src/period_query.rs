//! The progress of one period of a cycle (`GET /v1/cycles/{id}/periods/{period}/progress`),
//! read from the counters of `crate::periods`: a handful of rows per unit, whatever the
//! cycle's size.
//!
//! Per unit and for the cycle: `total` appraisals; `due`, those that owe the period an
//! evaluation once it ended (all but those scored before it ended, which can no longer
//! evaluate it; 0 while the period runs); `evaluated`; `overdue`, the due ones not evaluated
//! once the period locked (`period_entry_days` after its end); the standing predikat of the
//! evaluated ones; the unit's capaian for the period (`baik` and `capaian_assumed: true`
//! when none was set) and the warnings of its SE MenPANRB 3/2023 pattern.

use crate::error::ProjectionError;
use crate::store::{Generation, ReadStore};
use serde::Serialize;
use skp_domain::capaian::{pattern_warnings, Distribution, PatternWarning};
use skp_domain::period::Calendar;
use skp_domain::DomainError;
use skp_events::period::{Capaian, PeriodId, PeriodKind};
use skp_events::Predikat;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// `GET /v1/cycles/{id}/periods/{period}/progress`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PeriodProgress {
    /// The cycle.
    pub cycle_id: Uuid,
    /// The period.
    pub period: PeriodId,
    /// The cycle's kind of period.
    pub period_kind: PeriodKind,
    /// The cycle's time zone, hours east of UTC (7 WIB, 8 WITA, 9 WIT).
    pub utc_offset_hours: u8,
    /// `open` (running), `entry` (ended; evaluations corrected until `locks_at`) or
    /// `locked`.
    pub status: &'static str,
    /// 00:00 local time of its first day.
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    /// 00:00 local time of the next period's first day.
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    /// When corrections stop and unevaluated appraisals become overdue.
    #[serde(with = "time::serde::rfc3339")]
    pub locks_at: OffsetDateTime,
    /// Appraisals in the cycle.
    pub total: i64,
    /// Appraisals that owe the period an evaluation (0 while it runs).
    pub due: i64,
    /// Appraisals that evaluated it.
    pub evaluated: i64,
    /// Due, not evaluated, past `locks_at`.
    pub overdue: i64,
    /// Evaluated appraisals by their standing predikat (all five, zeros included).
    pub by_predikat: BTreeMap<&'static str, i64>,
    /// The cycle's units and how many carry pattern warnings for the period.
    pub units: UnitCounts,
    /// The page of `by_unit`, from 1.
    pub page: i64,
    /// Units per page.
    pub limit: i64,
    /// One page of the units, by name (`?page=&limit=`).
    pub by_unit: Vec<UnitPeriodProgress>,
    /// The stream sequence the read model has reached.
    pub as_of_sequence: u64,
}

/// How many units a period's progress covers.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct UnitCounts {
    /// Units of the cycle.
    pub count: i64,
    /// Those whose period distribution departs from their capaian's pattern.
    pub with_warnings: i64,
}

/// Units per page of a period's progress when not given.
pub const DEFAULT_UNITS_PER_PAGE: i64 = 100;
/// The most units per page of a period's progress.
pub const MAX_UNITS_PER_PAGE: i64 = 500;

/// One unit's progress in the period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UnitPeriodProgress {
    /// The unit, as appraisals name it.
    pub unit: String,
    /// Appraisals of the unit.
    pub total: i64,
    /// Those owing the period an evaluation.
    pub due: i64,
    /// Those that evaluated it.
    pub evaluated: i64,
    /// Due, not evaluated, past the lock.
    pub overdue: i64,
    /// The unit's capaian for the period (`baik` when none was set).
    pub capaian: Capaian,
    /// True when no capaian was set and `baik` is assumed.
    pub capaian_assumed: bool,
    /// Who decided the capaian, when one was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<DecidedBy>,
    /// Evaluated appraisals by predikat (all five).
    pub by_predikat: BTreeMap<&'static str, i64>,
    /// Where the distribution departs from the capaian's pattern.
    pub warnings: Vec<PatternWarning>,
}

/// The official who decided a capaian.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DecidedBy {
    /// NIP.
    pub nip: String,
    /// Name.
    pub name: String,
    /// Position.
    pub position: String,
}

/// What a period progress query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodAnswer {
    /// No such cycle in the read model (404).
    UnknownCycle,
    /// Not a period of the cycle (422 `invalid_period`).
    InvalidPeriod(DomainError),
    /// The progress.
    Progress(Box<PeriodProgress>),
}

fn zeros() -> BTreeMap<&'static str, i64> {
    Predikat::ALL.into_iter().map(|p| (p.as_str(), 0)).collect()
}

/// The calendar of `cycle` in `generation`, if the read model knows the cycle.
///
/// # Errors
/// When the database fails or holds a period kind this code does not know.
pub async fn calendar_in(store: &ReadStore, generation: &Generation, cycle: Uuid) -> Result<Option<Calendar>, ProjectionError> {
    let sql = format!("SELECT year, period, period_entry_days, utc_offset_hours FROM {}.cycles WHERE cycle_id = $1", generation.schema);
    let row: Option<(i32, String, i32, i32)> = sqlx::query_as(&sql).bind(cycle).fetch_optional(store.pool()).await?;
    row.map(|(year, period, entry_days, offset)| {
        let kind = PeriodKind::parse(&period).ok_or_else(|| ProjectionError::Inconsistent { stream_seq: 0, problem: format!("cycle {cycle} has period {period:?}") })?;
        Ok(Calendar { year, kind, entry_days: u32::try_from(entry_days).unwrap_or(0), utc_offset_hours: u8::try_from(offset).unwrap_or(0) })
    })
    .transpose()
}

/// The progress of `period` (as given) of `cycle` at `now`, from the serving generation, with
/// page `page` (from 1) of `limit` units. The totals add up the counters of every unit (a
/// few rows per unit, never the cycle's appraisals); the document holds one page of units.
///
/// # Errors
/// When the database fails.
pub async fn period_progress(store: &ReadStore, cycle: Uuid, period: &str, now: OffsetDateTime, page: i64, limit: i64) -> Result<PeriodAnswer, ProjectionError> {
    let Some(generation) = store.active("progress").await? else { return Ok(PeriodAnswer::UnknownCycle) };
    let Some(calendar) = calendar_in(store, &generation, cycle).await? else { return Ok(PeriodAnswer::UnknownCycle) };
    let period = match calendar.parse(period) {
        Ok(period) => period,
        Err(e) => return Ok(PeriodAnswer::InvalidPeriod(e)),
    };
    let mut progress = progress_of(store, &generation, cycle, &calendar, period, now).await?;
    progress.as_of_sequence = generation.last_seq;
    let skip = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    progress.by_unit = std::mem::take(&mut progress.by_unit).into_iter().skip(skip).take(usize::try_from(limit).unwrap_or(0)).collect();
    (progress.page, progress.limit) = (page, limit);
    Ok(PeriodAnswer::Progress(Box::new(progress)))
}

/// One unit's rows, as read.
#[derive(Debug, Default)]
struct UnitRows {
    total: i64,
    exempt: i64,
    counts: Vec<(Predikat, i64)>,
    capaian: Option<(Capaian, DecidedBy)>,
}

async fn progress_of(store: &ReadStore, generation: &Generation, cycle: Uuid, calendar: &Calendar, period: PeriodId, now: OffsetDateTime) -> Result<PeriodProgress, ProjectionError> {
    let (schema, key) = (&generation.schema, period.to_string());
    let mut units: BTreeMap<String, UnitRows> = BTreeMap::new();
    let totals: Vec<(String, i64)> = sqlx::query_as(&format!("SELECT unit, appraisals FROM {schema}.unit_totals WHERE cycle_id = $1")).bind(cycle).fetch_all(store.pool()).await?;
    for (unit, n) in totals {
        units.entry(unit).or_default().total = n;
    }
    let exempt: Vec<(String, i64)> =
        sqlx::query_as(&format!("SELECT unit, appraisals FROM {schema}.period_exempt WHERE cycle_id = $1 AND period = $2")).bind(cycle).bind(&key).fetch_all(store.pool()).await?;
    for (unit, n) in exempt {
        units.entry(unit).or_default().exempt = n;
    }
    let counts: Vec<(String, String, i64)> =
        sqlx::query_as(&format!("SELECT unit, predikat, appraisals FROM {schema}.period_counts WHERE cycle_id = $1 AND period = $2")).bind(cycle).bind(&key).fetch_all(store.pool()).await?;
    for (unit, predikat, n) in counts {
        if let Some(p) = Predikat::ALL.into_iter().find(|p| p.as_str() == predikat) {
            units.entry(unit).or_default().counts.push((p, n));
        }
    }
    let capaian: Vec<(String, String, String, String, String)> = sqlx::query_as(&format!(
        "SELECT unit, capaian, decided_by_nip, decided_by_name, decided_by_position FROM {schema}.unit_capaian WHERE cycle_id = $1 AND period = $2"
    ))
    .bind(cycle)
    .bind(&key)
    .fetch_all(store.pool())
    .await?;
    for (unit, capaian, nip, name, position) in capaian {
        if let Some(c) = Capaian::parse(&capaian) {
            units.entry(unit).or_default().capaian = Some((c, DecidedBy { nip, name, position }));
        }
    }
    let (ended, locked) = (calendar.has_ended(period, now), calendar.is_locked(period, now));
    let by_unit: Vec<UnitPeriodProgress> = units.into_iter().map(|(unit, rows)| unit_progress(unit, rows, ended, locked)).collect();
    let mut by_predikat = zeros();
    for unit in &by_unit {
        for (p, n) in &unit.by_predikat {
            *by_predikat.entry(p).or_default() += n;
        }
    }
    Ok(PeriodProgress {
        cycle_id: cycle,
        period,
        period_kind: calendar.kind,
        utc_offset_hours: calendar.utc_offset_hours,
        status: if !ended { "open" } else if !locked { "entry" } else { "locked" },
        starts_at: calendar.starts_at(period),
        ends_at: calendar.ends_at(period),
        locks_at: calendar.locks_at(period),
        total: by_unit.iter().map(|u| u.total).sum(),
        due: by_unit.iter().map(|u| u.due).sum(),
        evaluated: by_unit.iter().map(|u| u.evaluated).sum(),
        overdue: by_unit.iter().map(|u| u.overdue).sum(),
        by_predikat,
        units: UnitCounts { count: by_unit.len() as i64, with_warnings: by_unit.iter().filter(|u| !u.warnings.is_empty()).count() as i64 },
        page: 1,
        limit: by_unit.len() as i64,
        by_unit,
        as_of_sequence: 0,
    })
}

fn unit_progress(unit: String, rows: UnitRows, ended: bool, locked: bool) -> UnitPeriodProgress {
    let distribution = Distribution::of(rows.counts.iter().copied());
    let evaluated = distribution.total();
    let due = if ended { (rows.total - rows.exempt).max(evaluated) } else { 0 };
    let (capaian, capaian_assumed, decided_by) = match rows.capaian {
        Some((capaian, by)) => (capaian, false, Some(by)),
        None => (Capaian::Baik, true, None),
    };
    let mut by_predikat = zeros();
    for p in Predikat::ALL {
        by_predikat.insert(p.as_str(), distribution.count(p));
    }
    UnitPeriodProgress {
        unit,
        total: rows.total,
        due,
        evaluated,
        overdue: if locked { due - evaluated } else { 0 },
        capaian,
        capaian_assumed,
        decided_by,
        by_predikat,
        warnings: pattern_warnings(capaian, &distribution),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(total: i64, exempt: i64, counts: &[(Predikat, i64)], capaian: Option<Capaian>) -> UnitRows {
        let by = || DecidedBy { nip: "197002022000031001".into(), name: "Dewi".into(), position: "Sekda".into() };
        UnitRows { total, exempt, counts: counts.to_vec(), capaian: capaian.map(|c| (c, by())) }
    }

    #[test]
    fn a_running_period_is_due_by_nobody() {
        let unit = unit_progress("U".into(), rows(10, 0, &[], None), false, false);
        assert_eq!((unit.total, unit.due, unit.evaluated, unit.overdue), (10, 0, 0, 0));
        assert_eq!((unit.capaian, unit.capaian_assumed, unit.decided_by.is_none()), (Capaian::Baik, true, true));
    }

    #[test]
    fn an_ended_period_is_due_by_all_but_those_scored_before_it_ended_and_overdue_once_locked() {
        let counts = [(Predikat::Baik, 5), (Predikat::Kurang, 1)];
        let entry = unit_progress("U".into(), rows(10, 2, &counts, None), true, false);
        assert_eq!((entry.due, entry.evaluated, entry.overdue), (8, 6, 0));
        let locked = unit_progress("U".into(), rows(10, 2, &counts, None), true, true);
        assert_eq!((locked.due, locked.evaluated, locked.overdue), (8, 6, 2));
        assert_eq!(locked.by_predikat["baik"], 5);
        assert_eq!(locked.by_predikat["sangat_baik"], 0);
    }

    #[test]
    fn a_unit_is_held_to_the_pattern_of_its_capaian_or_to_baik_marked_assumed() {
        let all_baik = [(Predikat::Baik, 6)];
        let assumed = unit_progress("U".into(), rows(6, 0, &all_baik, None), true, true);
        let codes: Vec<_> = assumed.warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["baik_over_70_percent", "no_low_predikat"]);
        let kurang = unit_progress("U".into(), rows(6, 0, &all_baik, Some(Capaian::Kurang)), true, true);
        assert!(!kurang.capaian_assumed);
        let codes: Vec<_> = kurang.warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["kurang_under_60_percent", "butuh_perbaikan_under_10_percent"]);
    }
}
