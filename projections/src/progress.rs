//! Dashboard progress: one row per cycle and per appraisal (status, current predikat, unit,
//! rater, deadlines). A batch loads the rows it touches in one statement, applies the events
//! in memory with the pure [`apply`], and writes them back in one statement. The same
//! transaction keeps, by deltas, the counters per cycle, unit and rater that the summary and
//! the unit and rater pages read ([`crate::progress_counters`]), pembinaan after a low final
//! predikat ([`crate::progress_pembinaan`]) and the period tables ([`crate::periods`]).
//!
//! Live: after each commit the cycles it changed are published on `skp.live.cycle.<id>` with
//! the units whose counters changed since the cycle's previous message (at most
//! [`LIVE_CHANGED_UNITS_MAX`]), noted by `apply` in a side map until the commit.

use crate::event::StoredEvent;
use crate::error::ProjectionError;
use crate::progress_pembinaan as pembinaan;
use crate::projection::Projection;
use crate::store::{Generation, ReadStore};
use futures::future::BoxFuture;
use skp_events::{AggregateType, Event};
use sqlx::PgConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use time::Date;
use uuid::Uuid;

pub use crate::progress_counters::{ChangedUnits, LIVE_CHANGED_UNITS_MAX};
pub use crate::progress_row::{apply, AppraisalRow};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/progress");

/// The progress projection.
#[derive(Debug, Clone)]
pub struct ProgressProjection {
    live: Option<Arc<LivePublisher>>,
    /// The units each applied batch changed, per cycle, until its commit hands them to the
    /// live publisher (only kept when publishing live).
    changed_units: Arc<Mutex<BTreeMap<Uuid, ChangedUnits>>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ProgressProjection {
    /// With `live`, each commit that changed a cycle publishes its progress on
    /// `skp.live.cycle.<id>` (see [`ProgressProjection::live_under`] for another prefix).
    pub fn new(live: Option<async_nats::Client>) -> Self {
        let subjects = skp_events::subject::Subjects::default();
        let live = live.map(|client| Arc::new(LivePublisher { client, subjects, pending: Mutex::new(Pending::default()) }));
        Self { live, changed_units: Arc::default() }
    }

    /// Publishes live progress on the live subjects of `subjects` (`SKP_SUBJECT_PREFIX`'s
    /// last token replaced by `live`).
    #[must_use]
    pub fn live_under(self, subjects: skp_events::subject::Subjects) -> Self {
        let live = self.live.map(|l| Arc::new(LivePublisher { client: l.client.clone(), subjects, pending: Mutex::new(Pending::default()) }));
        Self { live, changed_units: self.changed_units }
    }

    async fn apply_noting(&self, tx: &mut PgConnection, events: &[StoredEvent]) -> Result<Vec<Uuid>, ProjectionError> {
        let (cycles, units) = apply_batch(tx, events).await?;
        if self.live.is_some() {
            let mut changed = locked(&self.changed_units);
            for (cycle, units) in units {
                changed.entry(cycle).or_default().extend(units, false);
            }
        }
        Ok(cycles)
    }
}

/// Publishes live progress apart from the projector, so that the next batch is applied while
/// the progress of the last one is computed. Cycles changed while a computation runs are
/// collected and computed once more afterwards: one computation at a time (so a cycle's
/// published progress never goes back), each after the commits it reflects, and a burst of
/// commits costs one query per cycle rather than one per commit.
#[derive(Debug)]
struct LivePublisher {
    client: async_nats::Client,
    subjects: skp_events::subject::Subjects,
    pending: Mutex<Pending>,
}

#[derive(Debug, Default)]
struct Pending {
    cycles: BTreeMap<Uuid, ChangedUnits>,
    /// The generation of the latest commit.
    generation: Option<Generation>,
    /// Whether a worker is publishing.
    running: bool,
}

impl LivePublisher {
    /// Notes that `cycles` changed in `generation`, starting a worker unless one runs.
    fn changed(self: &Arc<Self>, store: &ReadStore, generation: &Generation, cycles: Vec<(Uuid, ChangedUnits)>) {
        let mut pending = locked(&self.pending);
        for (cycle, units) in cycles {
            pending.cycles.entry(cycle).or_default().extend(units.units, units.truncated);
        }
        pending.generation = Some(generation.clone());
        if !pending.running {
            pending.running = true;
            tokio::spawn(self.clone().publish(store.clone()));
        }
    }

    /// Publishes what is pending until nothing is.
    async fn publish(self: Arc<Self>, store: ReadStore) {
        loop {
            let (cycles, generation) = {
                let mut pending = locked(&self.pending);
                match pending.generation.clone() {
                    Some(generation) if !pending.cycles.is_empty() => (std::mem::take(&mut pending.cycles), generation),
                    _ => {
                        pending.running = false;
                        return;
                    }
                }
            };
            for (cycle, units) in cycles {
                match crate::query::live_progress(&store, &generation, cycle, &units).await {
                    Ok(Some(progress)) => {
                        let body = serde_json::to_vec(&progress).unwrap_or_default();
                        if let Err(e) = self.client.publish(self.subjects.live_cycle(cycle), body.into()).await {
                            tracing::warn!(cycle_id = %cycle, error = %e, "live progress not published");
                        }
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(cycle_id = %cycle, error = %e, "live progress not computed"),
                }
            }
        }
    }
}

impl Projection for ProgressProjection {
    fn name(&self) -> &'static str {
        "progress"
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    fn apply<'a>(&'a self, tx: &'a mut PgConnection, events: &'a [StoredEvent]) -> BoxFuture<'a, Result<Vec<Uuid>, ProjectionError>> {
        Box::pin(self.apply_noting(tx, events))
    }

    fn prepare<'a>(&'a self, store: &'a ReadStore, generation: &'a Generation) -> BoxFuture<'a, Result<(), ProjectionError>> {
        Box::pin(async move {
            let mut tx = store.pool().begin().await?;
            crate::store::enter_schema(&mut tx, &generation.schema).await?;
            let filled = crate::progress_counters::fill_warnings(&mut tx).await?;
            tx.commit().await?;
            if filled > 0 {
                tracing::info!(projection = "progress", groups = filled, "pattern warnings computed for groups counted by the migration");
            }
            Ok(())
        })
    }

    fn after_commit<'a>(&'a self, store: &'a ReadStore, generation: &'a Generation, cycles: Vec<Uuid>) -> BoxFuture<'a, ()> {
        if let Some(live) = &self.live {
            let units = {
                let mut changed = locked(&self.changed_units);
                cycles.into_iter().map(|c| (c, changed.remove(&c).unwrap_or_default())).collect()
            };
            live.changed(store, generation, units);
        }
        Box::pin(async {})
    }
}

/// Applies a batch; returns the cycles it changed and, per cycle, the units whose counters
/// changed.
async fn apply_batch(tx: &mut PgConnection, events: &[StoredEvent]) -> Result<(Vec<Uuid>, BTreeMap<Uuid, BTreeSet<String>>), ProjectionError> {
    // Pembinaan (issue 14): the stored rows of the development plans the batch touches.
    let plans = pembinaan::plan_ids(events.iter().filter(|e| e.envelope.aggregate_type == AggregateType::Development).map(|e| &*e.envelope));
    let mut pembinaan = pembinaan::PembinaanDeltas::with_plans(pembinaan::load(tx, &plans).await?);
    let mut cycles: BTreeMap<Uuid, &skp_events::data::CycleOpened> = BTreeMap::new();
    let mut capaian_cycles: BTreeSet<Uuid> = BTreeSet::new();
    // Each appraisal once: with one id per event, an appraisal of many events in the batch
    // (periodic evaluations) made the array long enough for PostgreSQL to plan a scan of the
    // whole table instead of index lookups (measured: 10k events/s instead of 60k+).
    let ids: Vec<Uuid> = events
        .iter()
        .filter(|e| e.envelope.aggregate_type == AggregateType::Appraisal)
        .map(|e| e.envelope.aggregate_id)
        .collect::<BTreeSet<Uuid>>()
        .into_iter()
        .collect();
    let mut rows: HashMap<Uuid, AppraisalRow> = sqlx::query_as::<_, AppraisalRow>("SELECT * FROM appraisals WHERE appraisal_id = ANY($1)")
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.appraisal_id, r))
        .collect();
    // Dashboard counters (issue 16): each changed row against the row as loaded.
    let before = rows.clone();
    let mut counters = crate::progress_counters::Counters::default();
    // Periodic evaluation (issue 12): deltas of the period tables, written with the rows.
    let calendars = crate::periods::calendars(tx, events, &rows).await?;
    let mut periods = crate::periods::Deltas::default();
    periods.preload(tx, events).await?;
    let mut changed = BTreeSet::new();
    for stored in events {
        let e = &stored.envelope;
        match (e.aggregate_type, &e.event) {
            (AggregateType::Cycle, Event::CycleOpened(c)) => {
                cycles.insert(e.aggregate_id, c);
            }
            (AggregateType::Cycle, Event::UnitCapaianSet(set)) => {
                capaian_cycles.insert(e.aggregate_id);
                if set.period == skp_events::period::CapaianPeriod::Annual {
                    counters.capaian_set(e.aggregate_id, &set.unit);
                }
                periods.observe(stored, None, &calendars)?;
            }
            (AggregateType::Appraisal, event) => {
                if let Some(row) = apply(rows.remove(&e.aggregate_id), e.aggregate_id, event, e.version, e.occurred_at)? {
                    if let Event::ScoreFinalized(f) = event {
                        pembinaan.finalized(row.cycle_id, &row.unit, f.predikat, e.occurred_at.date());
                    }
                    changed.insert(row.appraisal_id);
                    periods.observe(stored, Some(&row), &calendars)?;
                    rows.insert(row.appraisal_id, row);
                }
            }
            (AggregateType::Development, event) => pembinaan.plan_event(e.aggregate_id, event),
            _ => {}
        }
    }
    write_cycles(tx, &cycles).await?;
    periods.write(tx).await?;
    let changed: Vec<AppraisalRow> = changed.into_iter().filter_map(|id| rows.remove(&id)).collect();
    for row in &changed {
        counters.moved(before.get(&row.appraisal_id), row);
    }
    write_rows(tx, &changed).await?;
    let units = counters.write(tx).await?;
    pembinaan::write(tx, &pembinaan).await?;
    let mut touched: BTreeSet<Uuid> = cycles.keys().copied().chain(capaian_cycles).collect();
    touched.extend(changed.iter().map(|r| r.cycle_id));
    touched.extend(pembinaan.cycles());
    Ok((touched.into_iter().collect(), units))
}

async fn write_cycles(tx: &mut PgConnection, cycles: &BTreeMap<Uuid, &skp_events::data::CycleOpened>) -> Result<(), ProjectionError> {
    if cycles.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = cycles.keys().copied().collect();
    let organizations: Vec<&str> = cycles.values().map(|c| c.organization.as_str()).collect();
    let years: Vec<i32> = cycles.values().map(|c| c.year).collect();
    let dues: Vec<Date> = cycles.values().map(|c| c.plan_due).collect();
    let objection: Vec<i32> = cycles.values().map(|c| c.objection_window_days as i32).collect();
    let decision: Vec<i32> = cycles.values().map(|c| c.decision_window_days as i32).collect();
    let periods: Vec<&str> = cycles.values().map(|c| c.period.as_str()).collect();
    let entry_days: Vec<i32> = cycles.values().map(|c| c.period_entry_days as i32).collect();
    let offsets: Vec<i32> = cycles.values().map(|c| i32::from(c.utc_offset_hours)).collect();
    sqlx::query(
        "INSERT INTO cycles SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::int[], $4::date[], $5::int[], $6::int[], $7::text[], $8::int[], $9::int[]) \
         ON CONFLICT (cycle_id) DO NOTHING",
    )
    .bind(ids)
    .bind(organizations)
    .bind(years)
    .bind(dues)
    .bind(objection)
    .bind(decision)
    .bind(periods)
    .bind(entry_days)
    .bind(offsets)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_rows(tx: &mut PgConnection, rows: &[AppraisalRow]) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&AppraisalRow) -> String| rows.iter().map(f).collect::<Vec<String>>();
    sqlx::query(
        "INSERT INTO appraisals SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::date[], $11::timestamptz[], $12::bigint[], $13::timestamptz[]) \
         ON CONFLICT (appraisal_id) DO UPDATE SET status = EXCLUDED.status, predikat = EXCLUDED.predikat, \
         decision_due = EXCLUDED.decision_due, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at",
    )
    .bind(rows.iter().map(|r| r.appraisal_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.cycle_id).collect::<Vec<_>>())
    .bind(col(|r| r.employee_nip.clone()))
    .bind(col(|r| r.employee_name.clone()))
    .bind(col(|r| r.unit.clone()))
    .bind(col(|r| r.rater_nip.clone()))
    .bind(col(|r| r.rater_name.clone()))
    .bind(col(|r| r.status.clone()))
    .bind(rows.iter().map(|r| r.predikat.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.plan_due).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.decision_due).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.version).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.updated_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
