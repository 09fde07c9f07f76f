//! Pembinaan in the progress read model (issue 14): per cycle and unit, the low final
//! predikat (pembinaan due), the plans opened, open, improved, not improved and followed up,
//! and what becomes overdue on which day. Everything is kept by deltas in the progress
//! projector's transaction ([`PembinaanDeltas`], pure, then one statement per table), so a
//! cycle-wide read adds up a few rows per unit and never recounts the cycle's appraisals.
//!
//! Overdue (docs/domain.md): a low final predikat with no pembinaan plan from the day after
//! 30 days after finalization, and an open pembinaan plan without a review from the day after
//! its due date. Each such item is counted once, on its cycle, unit and the day it becomes
//! overdue (`pembinaan_deadlines`, and per cycle without the unit in
//! `pembinaan_cycle_deadlines`); opening the plan or reviewing it takes it off again. The
//! overdue count on a day is the sum of the counts whose day has come: a cycle's reads at most
//! two rows per day of the year, a page of units two per unit and day. The dates are the
//! domain's (`skp_domain::development::deadline`).

use crate::error::ProjectionError;
use crate::store::{Generation, ReadStore};
use serde::Serialize;
use skp_domain::development::deadline::{plan_missing_overdue_from, requires_pembinaan, review_overdue_from};
use skp_events::development::{DevelopmentKind, ImprovementOutcome};
use skp_events::{Envelope, Event, Predikat};
use sqlx::PgConnection;
use std::collections::{BTreeMap, BTreeSet};
use time::Date;
use uuid::Uuid;

/// A low predikat still without a plan.
pub const PLAN_MISSING: &str = "plan_missing";
/// An open plan still without a review.
pub const REVIEW_MISSING: &str = "review_missing";

/// A pembinaan plan as the progress read model keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanRow {
    /// The plan.
    pub plan_id: Uuid,
    /// Its appraisal.
    pub appraisal_id: Uuid,
    /// The appraisal's cycle.
    pub cycle_id: Uuid,
    /// The employee's unit at the appraisal's opening.
    pub unit: String,
    /// Its due date.
    pub due: Date,
    /// `open`, `improved` or `not_improved`.
    pub status: String,
    /// Whether the follow-up is recorded.
    pub followed_up: bool,
}

/// Changes of one unit's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitDelta {
    /// Low final predikat.
    pub due: i64,
    /// Pembinaan plans opened.
    pub opened: i64,
    /// Plans open (not reviewed).
    pub open: i64,
    /// Reviewed improved.
    pub improved: i64,
    /// Reviewed not improved.
    pub not_improved: i64,
    /// Follow-ups recorded.
    pub followed_up: i64,
}

type UnitKey = (Uuid, String);
type DeadlineKey = (Uuid, String, &'static str, Date);

/// What a batch changes, computed in memory from its events.
#[derive(Debug, Default)]
pub struct PembinaanDeltas {
    units: BTreeMap<UnitKey, UnitDelta>,
    deadlines: BTreeMap<DeadlineKey, i64>,
    plans: BTreeMap<Uuid, PlanRow>,
    changed_plans: BTreeSet<Uuid>,
}

impl PembinaanDeltas {
    /// Deltas starting from the stored rows of the plans the batch touches.
    pub fn with_plans(rows: Vec<PlanRow>) -> Self {
        Self { plans: rows.into_iter().map(|r| (r.plan_id, r)).collect(), ..Self::default() }
    }

    fn unit(&mut self, cycle: Uuid, unit: &str) -> &mut UnitDelta {
        self.units.entry((cycle, unit.to_owned())).or_default()
    }

    fn deadline(&mut self, cycle: Uuid, unit: &str, what: &'static str, from: Date, by: i64) {
        *self.deadlines.entry((cycle, unit.to_owned(), what, from)).or_default() += by;
    }

    /// An appraisal of `cycle` and `unit` became final with `predikat` on `finalized`.
    pub fn finalized(&mut self, cycle: Uuid, unit: &str, predikat: Predikat, finalized: Date) {
        if requires_pembinaan(predikat) {
            self.unit(cycle, unit).due += 1;
            self.deadline(cycle, unit, PLAN_MISSING, plan_missing_overdue_from(finalized), 1);
        }
    }

    /// An event of the development plan `plan_id`.
    pub fn plan_event(&mut self, plan_id: Uuid, event: &Event) {
        match event {
            Event::DevelopmentPlanOpened(o) if o.kind == DevelopmentKind::Pembinaan && !self.plans.contains_key(&plan_id) => {
                let unit = o.employee.unit.as_str();
                self.deadline(o.cycle_id, unit, PLAN_MISSING, plan_missing_overdue_from(o.finalized_at.date()), -1);
                self.deadline(o.cycle_id, unit, REVIEW_MISSING, review_overdue_from(o.due), 1);
                let counters = self.unit(o.cycle_id, unit);
                counters.opened += 1;
                counters.open += 1;
                let row = PlanRow { plan_id, appraisal_id: o.appraisal_id, cycle_id: o.cycle_id, unit: unit.to_owned(), due: o.due, status: "open".into(), followed_up: false };
                self.plans.insert(plan_id, row);
                self.changed_plans.insert(plan_id);
            }
            Event::ImprovementReviewed(r) => {
                let Some(row) = self.plans.get_mut(&plan_id).filter(|row| row.status == "open") else { return };
                row.status = r.outcome.as_str().to_owned();
                let (cycle, unit, due) = (row.cycle_id, row.unit.clone(), row.due);
                self.deadline(cycle, &unit, REVIEW_MISSING, review_overdue_from(due), -1);
                let counters = self.unit(cycle, &unit);
                counters.open -= 1;
                match r.outcome {
                    ImprovementOutcome::Improved => counters.improved += 1,
                    ImprovementOutcome::NotImproved => counters.not_improved += 1,
                }
                self.changed_plans.insert(plan_id);
            }
            Event::FollowUpDecided(_) => {
                let Some(row) = self.plans.get_mut(&plan_id).filter(|row| !row.followed_up) else { return };
                row.followed_up = true;
                let (cycle, unit) = (row.cycle_id, row.unit.clone());
                self.unit(cycle, &unit).followed_up += 1;
                self.changed_plans.insert(plan_id);
            }
            _ => {}
        }
    }

    /// The cycles whose pembinaan changed.
    pub fn cycles(&self) -> BTreeSet<Uuid> {
        self.units.keys().map(|(c, _)| *c).chain(self.deadlines.keys().map(|(c, ..)| *c)).collect()
    }

    /// The counter changes, by cycle and unit (for tests and a look).
    pub fn units(&self) -> &BTreeMap<UnitKey, UnitDelta> {
        &self.units
    }

    /// The deadline changes, by cycle, unit, kind and day (for tests and a look).
    pub fn deadlines(&self) -> &BTreeMap<DeadlineKey, i64> {
        &self.deadlines
    }
}

/// The ids of the development plans whose stored rows a batch needs.
pub fn plan_ids(envelopes: impl IntoIterator<Item = impl std::ops::Deref<Target = Envelope>>) -> Vec<Uuid> {
    let ids: BTreeSet<Uuid> = envelopes
        .into_iter()
        .filter(|e| matches!(e.event, Event::ImprovementReviewed(_) | Event::FollowUpDecided(_) | Event::DevelopmentPlanOpened(_)))
        .map(|e| e.aggregate_id)
        .collect();
    ids.into_iter().collect()
}

/// Reads the stored rows of `ids`.
///
/// # Errors
/// When the database fails.
pub async fn load(tx: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<PlanRow>, ProjectionError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as("SELECT * FROM pembinaan_plans WHERE plan_id = ANY($1)").bind(ids).fetch_all(&mut *tx).await?)
}

/// Writes the deltas: one statement per table.
///
/// # Errors
/// When the database fails.
pub async fn write(tx: &mut PgConnection, deltas: &PembinaanDeltas) -> Result<(), ProjectionError> {
    let units: Vec<(&UnitKey, &UnitDelta)> = deltas.units.iter().filter(|(_, d)| **d != UnitDelta::default()).collect();
    if !units.is_empty() {
        let col = |f: fn(&UnitDelta) -> i64| units.iter().map(|(_, d)| f(d)).collect::<Vec<i64>>();
        sqlx::query(
            "INSERT INTO pembinaan_units SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[]) \
             ON CONFLICT (cycle_id, unit) DO UPDATE SET due = pembinaan_units.due + EXCLUDED.due, opened = pembinaan_units.opened + EXCLUDED.opened, \
             open = pembinaan_units.open + EXCLUDED.open, improved = pembinaan_units.improved + EXCLUDED.improved, \
             not_improved = pembinaan_units.not_improved + EXCLUDED.not_improved, followed_up = pembinaan_units.followed_up + EXCLUDED.followed_up",
        )
        .bind(units.iter().map(|((c, _), _)| *c).collect::<Vec<Uuid>>())
        .bind(units.iter().map(|((_, u), _)| u.as_str()).collect::<Vec<&str>>())
        .bind(col(|d| d.due))
        .bind(col(|d| d.opened))
        .bind(col(|d| d.open))
        .bind(col(|d| d.improved))
        .bind(col(|d| d.not_improved))
        .bind(col(|d| d.followed_up))
        .execute(&mut *tx)
        .await?;
    }
    write_deadlines(tx, deltas).await?;
    write_plans(tx, deltas).await
}

async fn write_deadlines(tx: &mut PgConnection, deltas: &PembinaanDeltas) -> Result<(), ProjectionError> {
    let rows: Vec<(&DeadlineKey, &i64)> = deltas.deadlines.iter().filter(|(_, by)| **by != 0).collect();
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO pembinaan_deadlines SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::date[], $5::bigint[]) \
         ON CONFLICT (cycle_id, unit, what, overdue_from) DO UPDATE SET count = pembinaan_deadlines.count + EXCLUDED.count",
    )
    .bind(rows.iter().map(|((c, ..), _)| *c).collect::<Vec<Uuid>>())
    .bind(rows.iter().map(|((_, u, ..), _)| u.as_str()).collect::<Vec<&str>>())
    .bind(rows.iter().map(|((_, _, w, _), _)| *w).collect::<Vec<&str>>())
    .bind(rows.iter().map(|((.., d), _)| *d).collect::<Vec<Date>>())
    .bind(rows.iter().map(|(_, by)| **by).collect::<Vec<i64>>())
    .execute(&mut *tx)
    .await?;
    // The same per cycle and day, without the unit.
    let mut per_cycle: BTreeMap<(Uuid, &str, Date), i64> = BTreeMap::new();
    for ((cycle, _, what, day), by) in &rows {
        *per_cycle.entry((*cycle, *what, *day)).or_default() += **by;
    }
    per_cycle.retain(|_, by| *by != 0);
    if !per_cycle.is_empty() {
        sqlx::query(
            "INSERT INTO pembinaan_cycle_deadlines SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::date[], $4::bigint[]) \
             ON CONFLICT (cycle_id, what, overdue_from) DO UPDATE SET count = pembinaan_cycle_deadlines.count + EXCLUDED.count",
        )
        .bind(per_cycle.keys().map(|(c, ..)| *c).collect::<Vec<Uuid>>())
        .bind(per_cycle.keys().map(|(_, w, _)| *w).collect::<Vec<&str>>())
        .bind(per_cycle.keys().map(|(.., d)| *d).collect::<Vec<Date>>())
        .bind(per_cycle.values().copied().collect::<Vec<i64>>())
        .execute(&mut *tx)
        .await?;
    }
    let cycles: Vec<Uuid> = rows.iter().map(|((c, ..), _)| *c).collect::<BTreeSet<_>>().into_iter().collect();
    sqlx::query("DELETE FROM pembinaan_deadlines WHERE cycle_id = ANY($1) AND count = 0").bind(&cycles).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM pembinaan_cycle_deadlines WHERE cycle_id = ANY($1) AND count = 0").bind(&cycles).execute(&mut *tx).await?;
    Ok(())
}

async fn write_plans(tx: &mut PgConnection, deltas: &PembinaanDeltas) -> Result<(), ProjectionError> {
    let rows: Vec<&PlanRow> = deltas.changed_plans.iter().filter_map(|id| deltas.plans.get(id)).collect();
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO pembinaan_plans SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::date[], $6::text[], $7::bool[]) \
         ON CONFLICT (plan_id) DO UPDATE SET status = EXCLUDED.status, followed_up = EXCLUDED.followed_up",
    )
    .bind(rows.iter().map(|r| r.plan_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.appraisal_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.cycle_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.unit.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.due).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.followed_up).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Pembinaan counts of a cycle or a unit on a day.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct PembinaanCounts {
    /// Low final predikat (`butuh_perbaikan`, `kurang`, `sangat_kurang`): pembinaan due.
    pub due: i64,
    /// Of those, without a plan yet.
    pub without_plan: i64,
    /// Plans open (not reviewed yet), overdue or not.
    pub open: i64,
    /// Overdue today: `overdue_without_plan + overdue_without_review`.
    pub overdue: i64,
    /// Low predikat with no plan more than 30 days after finalization.
    pub overdue_without_plan: i64,
    /// Open plans past their due date without a review.
    pub overdue_without_review: i64,
    /// Reviewed: improved.
    pub improved: i64,
    /// Reviewed: not improved.
    pub not_improved: i64,
    /// Follow-ups recorded after `not_improved`.
    pub followed_up: i64,
}

/// One unit's pembinaan.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UnitPembinaan {
    /// The unit (the employee's unit at the appraisal's opening).
    pub unit: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: PembinaanCounts,
}

const COUNTS: &str = "coalesce(sum(u.due), 0)::bigint AS due, coalesce(sum(u.due - u.opened), 0)::bigint AS without_plan, \
    coalesce(sum(u.open), 0)::bigint AS open, 0::bigint AS overdue, \
    coalesce(sum((SELECT sum(d.count) FROM {schema}.pembinaan_deadlines d WHERE d.cycle_id = u.cycle_id AND d.unit = u.unit AND d.what = 'plan_missing' AND d.overdue_from <= $2)), 0)::bigint AS overdue_without_plan, \
    coalesce(sum((SELECT sum(d.count) FROM {schema}.pembinaan_deadlines d WHERE d.cycle_id = u.cycle_id AND d.unit = u.unit AND d.what = 'review_missing' AND d.overdue_from <= $2)), 0)::bigint AS overdue_without_review, \
    coalesce(sum(u.improved), 0)::bigint AS improved, coalesce(sum(u.not_improved), 0)::bigint AS not_improved, \
    coalesce(sum(u.followed_up), 0)::bigint AS followed_up";

fn with_overdue(mut counts: PembinaanCounts) -> PembinaanCounts {
    counts.overdue = counts.overdue_without_plan + counts.overdue_without_review;
    counts
}

/// The pembinaan counts of `cycle` in `generation` on `today`.
///
/// # Errors
/// When the database fails.
pub async fn totals(store: &ReadStore, generation: &Generation, cycle: Uuid, today: Date) -> Result<PembinaanCounts, ProjectionError> {
    let schema = &generation.schema;
    let overdue = |what: &str| {
        format!("coalesce((SELECT sum(count) FROM {schema}.pembinaan_cycle_deadlines WHERE cycle_id = $1 AND what = '{what}' AND overdue_from <= $2), 0)::bigint")
    };
    let sql = format!(
        "SELECT coalesce(sum(due), 0)::bigint AS due, coalesce(sum(due - opened), 0)::bigint AS without_plan, coalesce(sum(open), 0)::bigint AS open, \
         0::bigint AS overdue, {} AS overdue_without_plan, {} AS overdue_without_review, coalesce(sum(improved), 0)::bigint AS improved, \
         coalesce(sum(not_improved), 0)::bigint AS not_improved, coalesce(sum(followed_up), 0)::bigint AS followed_up \
         FROM {schema}.pembinaan_units WHERE cycle_id = $1",
        overdue(PLAN_MISSING),
        overdue(REVIEW_MISSING)
    );
    let counts: PembinaanCounts = sqlx::query_as(&sql).bind(cycle).bind(today).fetch_one(store.pool()).await?;
    Ok(with_overdue(counts))
}

/// Pembinaan per unit of `cycle` on `today`, by unit name after `after`, at most `limit`.
///
/// # Errors
/// When the database fails.
pub async fn by_unit(store: &ReadStore, generation: &Generation, cycle: Uuid, today: Date, after: Option<&str>, limit: i64) -> Result<Vec<UnitPembinaan>, ProjectionError> {
    let sql = format!(
        "SELECT u.unit, {} FROM {}.pembinaan_units u WHERE u.cycle_id = $1 AND ($3::text IS NULL OR u.unit > $3) GROUP BY u.unit ORDER BY u.unit LIMIT $4",
        COUNTS.replace("{schema}", &generation.schema),
        generation.schema
    );
    let rows: Vec<UnitRow> = sqlx::query_as(&sql).bind(cycle).bind(today).bind(after).bind(limit).fetch_all(store.pool()).await?;
    Ok(rows.into_iter().map(|r| UnitPembinaan { unit: r.unit, counts: with_overdue(r.counts) }).collect())
}

/// `GET /v1/cycles/{id}/pembinaan`: a cycle's pembinaan in total and per unit, one page.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CyclePembinaan {
    /// The cycle.
    pub cycle_id: Uuid,
    /// The whole cycle's counts.
    pub totals: PembinaanCounts,
    /// The units of this page, by name.
    pub by_unit: Vec<UnitPembinaan>,
    /// Pass as `?after=` for the next page; `null` on the last.
    pub next_after: Option<String>,
    /// The stream sequence the read model has reached.
    pub as_of_sequence: u64,
}

/// The pembinaan of `cycle` on `today` in the serving generation (`None`: unknown cycle), the
/// units after `after`, at most `limit`.
///
/// # Errors
/// When the database fails.
pub async fn cycle_pembinaan(store: &ReadStore, cycle: Uuid, today: Date, after: Option<&str>, limit: i64) -> Result<Option<CyclePembinaan>, ProjectionError> {
    let Some(generation) = store.active("progress").await? else { return Ok(None) };
    let known: Option<(Uuid,)> = sqlx::query_as(&format!("SELECT cycle_id FROM {}.cycles WHERE cycle_id = $1", generation.schema)).bind(cycle).fetch_optional(store.pool()).await?;
    if known.is_none() {
        return Ok(None);
    }
    let totals = totals(store, &generation, cycle, today).await?;
    let by_unit = by_unit(store, &generation, cycle, today, after, limit).await?;
    let next_after = if by_unit.len() as i64 == limit { by_unit.last().map(|u| u.unit.clone()) } else { None };
    Ok(Some(CyclePembinaan { cycle_id: cycle, totals, by_unit, next_after, as_of_sequence: generation.last_seq }))
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    unit: String,
    #[sqlx(flatten)]
    counts: PembinaanCounts,
}

#[cfg(test)]
mod tests {
    use super::*;
    use skp_domain::development::testing::{pembinaan_opened, pengembangan_opened, reviewed, followed_up, plan_id, FINALIZED_AT, PEMBINAAN_DUE};
    use skp_domain::testing::CYCLE_ID;
    use skp_events::development::FollowUpMeasure;
    use time::macros::date;

    const UNIT: &str = "Bidang Perencanaan";

    fn key(what: &'static str, from: Date) -> DeadlineKey {
        (CYCLE_ID, UNIT.to_owned(), what, from)
    }

    #[test]
    fn a_low_final_predikat_is_due_and_overdue_from_the_thirty_first_day_until_its_plan_opens() {
        let mut deltas = PembinaanDeltas::default();
        deltas.finalized(CYCLE_ID, UNIT, Predikat::Kurang, FINALIZED_AT.date());
        deltas.finalized(CYCLE_ID, UNIT, Predikat::Baik, FINALIZED_AT.date());
        assert_eq!(deltas.units()[&(CYCLE_ID, UNIT.to_owned())], UnitDelta { due: 1, ..UnitDelta::default() });
        assert_eq!(deltas.deadlines()[&key(PLAN_MISSING, date!(2025 - 02 - 13))], 1);
        deltas.plan_event(plan_id(), &pembinaan_opened());
        assert_eq!(deltas.deadlines()[&key(PLAN_MISSING, date!(2025 - 02 - 13))], 0, "the plan takes it off");
        assert_eq!(deltas.deadlines()[&key(REVIEW_MISSING, date!(2025 - 07 - 14))], 1, "overdue the day after {PEMBINAAN_DUE}");
        assert_eq!(deltas.units()[&(CYCLE_ID, UNIT.to_owned())], UnitDelta { due: 1, opened: 1, open: 1, ..UnitDelta::default() });
    }

    #[test]
    fn a_review_takes_the_plan_off_its_deadline_and_a_follow_up_is_counted_once() {
        let mut deltas = PembinaanDeltas::default();
        deltas.plan_event(plan_id(), &pembinaan_opened());
        deltas.plan_event(plan_id(), &reviewed(ImprovementOutcome::NotImproved));
        deltas.plan_event(plan_id(), &reviewed(ImprovementOutcome::Improved));
        deltas.plan_event(plan_id(), &followed_up(FollowUpMeasure::Mutasi));
        deltas.plan_event(plan_id(), &followed_up(FollowUpMeasure::Mutasi));
        assert_eq!(deltas.deadlines()[&key(REVIEW_MISSING, date!(2025 - 07 - 14))], 0);
        let unit = deltas.units()[&(CYCLE_ID, UNIT.to_owned())];
        assert_eq!((unit.opened, unit.open, unit.not_improved, unit.improved, unit.followed_up), (1, 0, 1, 0, 1));
        assert_eq!(deltas.cycles().into_iter().collect::<Vec<_>>(), vec![CYCLE_ID]);
    }

    #[test]
    fn a_pengembangan_plan_counts_nowhere_in_pembinaan() {
        let mut deltas = PembinaanDeltas::default();
        deltas.plan_event(plan_id(), &pengembangan_opened());
        deltas.plan_event(plan_id(), &reviewed(ImprovementOutcome::Improved));
        assert!(deltas.units().is_empty() && deltas.deadlines().is_empty());
    }

    #[test]
    fn a_review_of_a_plan_opened_in_an_earlier_batch_starts_from_its_stored_row() {
        let row = PlanRow { plan_id: plan_id(), appraisal_id: Uuid::nil(), cycle_id: CYCLE_ID, unit: UNIT.into(), due: PEMBINAAN_DUE, status: "open".into(), followed_up: false };
        let mut deltas = PembinaanDeltas::with_plans(vec![row]);
        deltas.plan_event(plan_id(), &reviewed(ImprovementOutcome::Improved));
        assert_eq!(deltas.units()[&(CYCLE_ID, UNIT.to_owned())], UnitDelta { open: -1, improved: 1, ..UnitDelta::default() });
        assert_eq!(deltas.deadlines()[&key(REVIEW_MISSING, date!(2025 - 07 - 14))], -1);
    }
}
