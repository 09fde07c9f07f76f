//! Career: the final predikat of every employee per year, from `ScoreFinalized` (the year
//! and employee come from the appraisal's opening), and the standing predikat of every
//! period, from `PeriodEvaluated` and `PeriodEvaluationCorrected` (the last recorded stands).
//! Eligibility is derived at query time by the domain's career rules. Development plans are
//! kept beside them ([`crate::career_development`]).

use crate::event::StoredEvent;
use crate::error::ProjectionError;
use crate::career_development::PlanChanges;
use crate::projection::Projection;
use futures::future::BoxFuture;
use skp_events::{AggregateType, Event};
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/career");

/// The career projection.
#[derive(Debug, Clone, Default)]
pub struct CareerProjection;

struct Final {
    nip: String,
    year: i32,
    appraisal_id: Uuid,
    predikat: &'static str,
    at: OffsetDateTime,
}

impl Projection for CareerProjection {
    fn name(&self) -> &'static str {
        "career"
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    fn apply<'a>(&'a self, tx: &'a mut PgConnection, events: &'a [StoredEvent]) -> BoxFuture<'a, Result<Vec<Uuid>, ProjectionError>> {
        Box::pin(async move {
            let mut owners: HashMap<Uuid, (String, i32)> = HashMap::new();
            // The owners of the appraisals whose later events are in the batch, in one query.
            let mut known = stored_owners(tx, events).await?;
            let mut finals: Vec<Final> = Vec::new();
            let mut plans = PlanChanges::default();
            let mut periods: Vec<PeriodResult> = Vec::new();
            for stored in events {
                let e = &stored.envelope;
                let owner = |known: &HashMap<Uuid, (String, i32)>| {
                    known.get(&e.aggregate_id).cloned().ok_or_else(|| ProjectionError::Inconsistent {
                        stream_seq: stored.stream_seq,
                        problem: format!("{} of appraisal {} that was never opened", e.event.type_name(), e.aggregate_id),
                    })
                };
                match &e.event {
                    Event::AppraisalOpened(o) => {
                        owners.insert(e.aggregate_id, (o.employee.nip.to_string(), o.year));
                        known.insert(e.aggregate_id, (o.employee.nip.to_string(), o.year));
                    }
                    Event::ScoreFinalized(f) => {
                        let (_, year) = owner(&known)?;
                        finals.push(Final { nip: f.employee_nip.to_string(), year, appraisal_id: e.aggregate_id, predikat: f.predikat.as_str(), at: e.occurred_at });
                    }
                    _ if e.aggregate_type == AggregateType::Development => plans.push(e),
                    Event::PeriodEvaluated(p) => {
                        let (nip, _) = owner(&known)?;
                        periods.push(PeriodResult { nip, period: p.period.to_string(), appraisal_id: e.aggregate_id, predikat: p.predikat.as_str(), corrected: false, at: e.occurred_at });
                    }
                    Event::PeriodEvaluationCorrected(c) => {
                        let (nip, _) = owner(&known)?;
                        periods.push(PeriodResult { nip, period: c.period.to_string(), appraisal_id: e.aggregate_id, predikat: c.predikat.as_str(), corrected: true, at: e.occurred_at });
                    }
                    _ => {}
                }
            }
            write_owners(tx, &owners).await?;
            write_finals(tx, finals).await?;
            plans.write(tx).await?;
            write_periods(tx, periods).await?;
            Ok(Vec::new())
        })
    }
}

/// Upserts the batch's final results in one statement; within the batch the last
/// finalization of an employee's year wins, as it would one statement at a time.
async fn write_finals(tx: &mut PgConnection, finals: Vec<Final>) -> Result<(), ProjectionError> {
    let last: BTreeMap<(String, i32), Final> = finals.into_iter().map(|f| ((f.nip.clone(), f.year), f)).collect();
    if last.is_empty() {
        return Ok(());
    }
    let rows: Vec<&Final> = last.values().collect();
    sqlx::query(
        "INSERT INTO final_results SELECT * FROM UNNEST($1::text[], $2::int[], $3::uuid[], $4::text[], $5::timestamptz[]) \
         ON CONFLICT (employee_nip, year) DO UPDATE \
         SET appraisal_id = EXCLUDED.appraisal_id, predikat = EXCLUDED.predikat, finalized_at = EXCLUDED.finalized_at",
    )
    .bind(rows.iter().map(|f| f.nip.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.year).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.appraisal_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.predikat).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The owners (employee, year) of the appraisals whose finalization or periodic evaluations
/// the batch holds, as stored by earlier batches.
async fn stored_owners(tx: &mut PgConnection, events: &[StoredEvent]) -> Result<HashMap<Uuid, (String, i32)>, ProjectionError> {
    let ids: Vec<Uuid> = events
        .iter()
        .filter(|s| matches!(s.envelope.event, Event::ScoreFinalized(_) | Event::PeriodEvaluated(_) | Event::PeriodEvaluationCorrected(_)))
        .map(|s| s.envelope.aggregate_id)
        .collect::<std::collections::BTreeSet<Uuid>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String, i32)> = sqlx::query_as("SELECT appraisal_id, employee_nip, year FROM appraisal_owners WHERE appraisal_id = ANY($1)").bind(&ids).fetch_all(&mut *tx).await?;
    Ok(rows.into_iter().map(|(id, nip, year)| (id, (nip, year))).collect())
}

async fn write_owners(tx: &mut PgConnection, owners: &HashMap<Uuid, (String, i32)>) -> Result<(), ProjectionError> {
    if owners.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = owners.keys().copied().collect();
    let nips: Vec<&str> = ids.iter().map(|id| owners[id].0.as_str()).collect();
    let years: Vec<i32> = ids.iter().map(|id| owners[id].1).collect();
    sqlx::query("INSERT INTO appraisal_owners SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::int[]) ON CONFLICT DO NOTHING")
        .bind(ids)
        .bind(nips)
        .bind(years)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- periodic evaluation (issue 12)

/// An employee's standing predikat of one period.
struct PeriodResult {
    nip: String,
    period: String,
    appraisal_id: Uuid,
    predikat: &'static str,
    corrected: bool,
    at: OffsetDateTime,
}

/// Upserts the batch's period results in one statement; within the batch the last one of an
/// employee's period wins, as it would one statement at a time.
async fn write_periods(tx: &mut PgConnection, periods: Vec<PeriodResult>) -> Result<(), ProjectionError> {
    let last: BTreeMap<(String, String), PeriodResult> = periods.into_iter().map(|p| ((p.nip.clone(), p.period.clone()), p)).collect();
    if last.is_empty() {
        return Ok(());
    }
    let rows: Vec<&PeriodResult> = last.values().collect();
    sqlx::query(
        "INSERT INTO period_results SELECT * FROM UNNEST($1::text[], $2::text[], $3::uuid[], $4::text[], $5::bool[], $6::timestamptz[]) \
         ON CONFLICT (employee_nip, period) DO UPDATE \
         SET appraisal_id = EXCLUDED.appraisal_id, predikat = EXCLUDED.predikat, corrected = EXCLUDED.corrected, evaluated_at = EXCLUDED.evaluated_at",
    )
    .bind(rows.iter().map(|p| p.nip.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|p| p.period.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|p| p.appraisal_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|p| p.predikat).collect::<Vec<_>>())
    .bind(rows.iter().map(|p| p.corrected).collect::<Vec<_>>())
    .bind(rows.iter().map(|p| p.at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
