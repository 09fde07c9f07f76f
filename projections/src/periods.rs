//! Periodic evaluation and unit capaian in the progress read model (tables of
//! `migrations/progress/1201_periods.sql`), applied in the progress projector's transaction.
//!
//! A batch collects deltas in memory ([`Deltas::observe`], pure) and writes them with one
//! statement per table ([`Deltas::write`]): appraisals per unit, evaluated appraisals per
//! (cycle, period, unit, predikat) (a correction moves one appraisal from its old predikat
//! to its new one), appraisals scored before a period ended (they owe it nothing), each
//! appraisal's standing evaluation, and the units' capaian. Nothing is ever recounted from
//! the cycle's rows.

use crate::error::ProjectionError;
use crate::event::StoredEvent;
use crate::progress_row::AppraisalRow;
use skp_domain::period::Calendar;
use skp_events::period::PeriodKind;
use skp_events::{AggregateType, Event};
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;
use uuid::Uuid;

/// The calendars of the cycles a batch touches: from the batch's own openings, else from
/// the `cycles` table.
///
/// # Errors
/// When the database fails or holds a period kind this code does not know.
pub async fn calendars(tx: &mut PgConnection, events: &[StoredEvent], rows: &HashMap<Uuid, AppraisalRow>) -> Result<HashMap<Uuid, Calendar>, ProjectionError> {
    let mut calendars = HashMap::new();
    let mut wanted: Vec<Uuid> = rows.values().map(|r| r.cycle_id).collect();
    for stored in events {
        match &stored.envelope.event {
            Event::CycleOpened(c) => {
                calendars.insert(stored.envelope.aggregate_id, Calendar::of_cycle(c));
            }
            Event::AppraisalOpened(o) => wanted.push(o.cycle_id),
            _ => {}
        }
    }
    wanted.retain(|id| !calendars.contains_key(id));
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(calendars);
    }
    let found: Vec<(Uuid, i32, String, i32, i32)> =
        sqlx::query_as("SELECT cycle_id, year, period, period_entry_days, utc_offset_hours FROM cycles WHERE cycle_id = ANY($1)")
            .bind(&wanted)
            .fetch_all(&mut *tx)
            .await?;
    for (id, year, period, entry_days, offset) in found {
        let kind = PeriodKind::parse(&period).ok_or_else(|| ProjectionError::Inconsistent { stream_seq: 0, problem: format!("cycle {id} has period {period:?}") })?;
        let (entry_days, utc_offset_hours) = (u32::try_from(entry_days).unwrap_or(0), u8::try_from(offset).unwrap_or(0));
        calendars.insert(id, Calendar { year, kind, entry_days, utc_offset_hours });
    }
    Ok(calendars)
}

/// Where an appraisal's evaluation of a period stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The appraisal's cycle.
    pub cycle_id: Uuid,
    /// The employee's unit at opening.
    pub unit: String,
    /// The standing predikat.
    pub predikat: &'static str,
    /// Corrections so far.
    pub corrections: i32,
    /// When the period was first evaluated.
    pub evaluated_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A row of `period_evaluations`, in its column order.
type StandingRow = (Uuid, String, Uuid, String, String, i32, OffsetDateTime, OffsetDateTime);

/// A unit's capaian as last set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapaianRow {
    /// The capaian's wire name.
    pub capaian: &'static str,
    /// The official who decided it: NIP, name, position.
    pub decided_by: (String, String, String),
    /// Why, when it superseded another.
    pub reason: Option<String>,
    /// When it was recorded.
    pub set_at: OffsetDateTime,
}

/// What a batch changes in the period tables.
#[derive(Debug, Default)]
pub struct Deltas {
    /// (cycle, unit) -> appraisals opened.
    pub unit_totals: BTreeMap<(Uuid, String), i64>,
    /// (cycle, period, unit, predikat) -> change in evaluated appraisals.
    pub counts: BTreeMap<(Uuid, String, String, &'static str), i64>,
    /// (cycle, period, unit) -> appraisals that no longer owe the period.
    pub exempt: BTreeMap<(Uuid, String, String), i64>,
    /// (appraisal, period) -> the standing evaluation (loaded, then changed by the batch).
    pub standings: HashMap<(Uuid, String), Standing>,
    /// The standings the batch changed.
    pub changed: Vec<(Uuid, String)>,
    /// (cycle, unit, period) -> the capaian set last.
    pub capaian: BTreeMap<(Uuid, String, String), CapaianRow>,
}

impl Deltas {
    /// Loads the standing evaluations that the batch's corrections change.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn preload(&mut self, tx: &mut PgConnection, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let (ids, periods): (Vec<Uuid>, Vec<String>) = events
            .iter()
            .filter_map(|s| match &s.envelope.event {
                Event::PeriodEvaluationCorrected(c) => Some((s.envelope.aggregate_id, c.period.to_string())),
                _ => None,
            })
            .unzip();
        if ids.is_empty() {
            return Ok(());
        }
        // By the appraisals (the primary key's first column, an index scan whatever the table's
        // size), then only the periods corrected.
        let wanted: std::collections::HashSet<(Uuid, &str)> = ids.iter().copied().zip(periods.iter().map(String::as_str)).collect();
        let rows: Vec<StandingRow> = sqlx::query_as(
            "SELECT appraisal_id, period, cycle_id, unit, predikat, corrections, evaluated_at, updated_at FROM period_evaluations WHERE appraisal_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        let rows: Vec<StandingRow> = rows.into_iter().filter(|r| wanted.contains(&(r.0, r.1.as_str()))).collect();
        for (id, period, cycle_id, unit, predikat, corrections, evaluated_at, updated_at) in rows {
            let predikat = predikat_name(&predikat).ok_or_else(|| ProjectionError::Inconsistent { stream_seq: 0, problem: format!("period_evaluations holds predikat {predikat:?}") })?;
            self.standings.insert((id, period), Standing { cycle_id, unit, predikat, corrections, evaluated_at, updated_at });
        }
        Ok(())
    }

    /// Notes what one event changes; `row` is its appraisal's row after the event.
    ///
    /// # Errors
    /// [`ProjectionError::Inconsistent`] for a correction of a period never evaluated.
    pub fn observe(&mut self, stored: &StoredEvent, row: Option<&AppraisalRow>, calendars: &HashMap<Uuid, Calendar>) -> Result<(), ProjectionError> {
        let e = &stored.envelope;
        let inconsistent = |problem: String| ProjectionError::Inconsistent { stream_seq: stored.stream_seq, problem };
        match (&e.event, row) {
            (Event::UnitCapaianSet(set), _) if e.aggregate_type == AggregateType::Cycle => {
                let decided_by = (set.decided_by.nip.to_string(), set.decided_by.name.clone(), set.decided_by.position.clone());
                let row = CapaianRow { capaian: set.capaian.as_str(), decided_by, reason: set.reason.clone(), set_at: e.occurred_at };
                self.capaian.insert((e.aggregate_id, set.unit.clone(), set.period.to_string()), row);
            }
            (Event::AppraisalOpened(_), Some(row)) => {
                *self.unit_totals.entry((row.cycle_id, row.unit.clone())).or_default() += 1;
            }
            (Event::ScoreGiven(_), Some(row)) => {
                let calendar = calendars.get(&row.cycle_id).ok_or_else(|| inconsistent(format!("appraisal {} of an unknown cycle {}", row.appraisal_id, row.cycle_id)))?;
                for period in calendar.periods().into_iter().filter(|p| !calendar.has_ended(*p, e.occurred_at)) {
                    *self.exempt.entry((row.cycle_id, period.to_string(), row.unit.clone())).or_default() += 1;
                }
            }
            (Event::PeriodEvaluated(p), Some(row)) => {
                let (period, predikat) = (p.period.to_string(), p.predikat.as_str());
                *self.counts.entry((row.cycle_id, period.clone(), row.unit.clone(), predikat)).or_default() += 1;
                let standing = Standing { cycle_id: row.cycle_id, unit: row.unit.clone(), predikat, corrections: 0, evaluated_at: e.occurred_at, updated_at: e.occurred_at };
                self.standings.insert((e.aggregate_id, period.clone()), standing);
                self.changed.push((e.aggregate_id, period));
            }
            (Event::PeriodEvaluationCorrected(c), Some(_)) => {
                let key = (e.aggregate_id, c.period.to_string());
                let standing = self.standings.get_mut(&key).ok_or_else(|| inconsistent(format!("a correction of {} of appraisal {}, never evaluated", c.period, e.aggregate_id)))?;
                let (cycle, period, unit) = (standing.cycle_id, key.1.clone(), standing.unit.clone());
                *self.counts.entry((cycle, period.clone(), unit.clone(), standing.predikat)).or_default() -= 1;
                *self.counts.entry((cycle, period, unit, c.predikat.as_str())).or_default() += 1;
                standing.predikat = c.predikat.as_str();
                standing.corrections += 1;
                standing.updated_at = e.occurred_at;
                self.changed.push(key);
            }
            _ => {}
        }
        Ok(())
    }

    /// Writes the deltas, one statement per table.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn write(self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        write_totals(tx, &self.unit_totals).await?;
        write_counts(tx, &self.counts).await?;
        write_exempt(tx, &self.exempt).await?;
        write_standings(tx, &self.standings, self.changed).await?;
        write_capaian(tx, &self.capaian).await
    }
}

fn predikat_name(raw: &str) -> Option<&'static str> {
    skp_events::Predikat::ALL.into_iter().map(skp_events::Predikat::as_str).find(|p| *p == raw)
}

async fn write_totals(tx: &mut PgConnection, totals: &BTreeMap<(Uuid, String), i64>) -> Result<(), ProjectionError> {
    if totals.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO unit_totals AS t SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bigint[]) \
         ON CONFLICT (cycle_id, unit) DO UPDATE SET appraisals = t.appraisals + EXCLUDED.appraisals",
    )
    .bind(totals.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind(totals.keys().map(|k| k.1.as_str()).collect::<Vec<_>>())
    .bind(totals.values().copied().collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_counts(tx: &mut PgConnection, counts: &BTreeMap<(Uuid, String, String, &'static str), i64>) -> Result<(), ProjectionError> {
    let moved: Vec<_> = counts.iter().filter(|(_, delta)| **delta != 0).collect();
    if moved.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO period_counts AS t SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[]) \
         ON CONFLICT (cycle_id, period, unit, predikat) DO UPDATE SET appraisals = t.appraisals + EXCLUDED.appraisals",
    )
    .bind(moved.iter().map(|(k, _)| k.0).collect::<Vec<_>>())
    .bind(moved.iter().map(|(k, _)| k.1.as_str()).collect::<Vec<_>>())
    .bind(moved.iter().map(|(k, _)| k.2.as_str()).collect::<Vec<_>>())
    .bind(moved.iter().map(|(k, _)| k.3).collect::<Vec<_>>())
    .bind(moved.iter().map(|(_, d)| **d).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_exempt(tx: &mut PgConnection, exempt: &BTreeMap<(Uuid, String, String), i64>) -> Result<(), ProjectionError> {
    if exempt.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO period_exempt AS t SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bigint[]) \
         ON CONFLICT (cycle_id, period, unit) DO UPDATE SET appraisals = t.appraisals + EXCLUDED.appraisals",
    )
    .bind(exempt.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind(exempt.keys().map(|k| k.1.as_str()).collect::<Vec<_>>())
    .bind(exempt.keys().map(|k| k.2.as_str()).collect::<Vec<_>>())
    .bind(exempt.values().copied().collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_standings(tx: &mut PgConnection, standings: &HashMap<(Uuid, String), Standing>, mut changed: Vec<(Uuid, String)>) -> Result<(), ProjectionError> {
    changed.sort();
    changed.dedup();
    let rows: Vec<(&(Uuid, String), &Standing)> = changed.iter().filter_map(|k| standings.get(k).map(|s| (k, s))).collect();
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO period_evaluations SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::timestamptz[], $8::timestamptz[]) \
         ON CONFLICT (appraisal_id, period) DO UPDATE SET predikat = EXCLUDED.predikat, corrections = EXCLUDED.corrections, updated_at = EXCLUDED.updated_at",
    )
    .bind(rows.iter().map(|(k, _)| k.0).collect::<Vec<_>>())
    .bind(rows.iter().map(|(k, _)| k.1.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.cycle_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.unit.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.predikat).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.corrections).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.evaluated_at).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, s)| s.updated_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_capaian(tx: &mut PgConnection, capaian: &BTreeMap<(Uuid, String, String), CapaianRow>) -> Result<(), ProjectionError> {
    if capaian.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO unit_capaian SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[]) \
         ON CONFLICT (cycle_id, unit, period) DO UPDATE SET capaian = EXCLUDED.capaian, decided_by_nip = EXCLUDED.decided_by_nip, \
         decided_by_name = EXCLUDED.decided_by_name, decided_by_position = EXCLUDED.decided_by_position, reason = EXCLUDED.reason, set_at = EXCLUDED.set_at",
    )
    .bind(capaian.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind(capaian.keys().map(|k| k.1.as_str()).collect::<Vec<_>>())
    .bind(capaian.keys().map(|k| k.2.as_str()).collect::<Vec<_>>())
    .bind(capaian.values().map(|c| c.capaian).collect::<Vec<_>>())
    .bind(capaian.values().map(|c| c.decided_by.0.as_str()).collect::<Vec<_>>())
    .bind(capaian.values().map(|c| c.decided_by.1.as_str()).collect::<Vec<_>>())
    .bind(capaian.values().map(|c| c.decided_by.2.as_str()).collect::<Vec<_>>())
    .bind(capaian.values().map(|c| c.reason.clone()).collect::<Vec<_>>())
    .bind(capaian.values().map(|c| c.set_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
