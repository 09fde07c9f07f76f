//! Career: the final predikat of every employee per year, from `ScoreFinalized` (the year
//! and employee come from the appraisal's opening), and the standing predikat of every
//! period, from `PeriodEvaluated` and `PeriodEvaluationCorrected` (the last recorded stands).
//! Eligibility is derived at query time by the domain's career rules.

use crate::event::StoredEvent;
use crate::error::ProjectionError;
use crate::projection::Projection;
use futures::future::BoxFuture;
use skp_events::Event;
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
            let mut finals: Vec<Final> = Vec::new();
            let mut periods: Vec<PeriodResult> = Vec::new();
            for stored in events {
                let e = &stored.envelope;
                match &e.event {
                    Event::AppraisalOpened(o) => {
                        owners.insert(e.aggregate_id, (o.employee.nip.to_string(), o.year));
                    }
                    Event::ScoreFinalized(f) => {
                        let year = match owners.get(&e.aggregate_id) {
                            Some((_, year)) => *year,
                            None => owner_year(tx, e.aggregate_id).await?,
                        };
                        finals.push(Final { nip: f.employee_nip.to_string(), year, appraisal_id: e.aggregate_id, predikat: f.predikat.as_str(), at: e.occurred_at });
                    }
                    // Periodic evaluation (issue 12).
                    Event::PeriodEvaluated(p) => periods.push(period_result(tx, &owners, e, p.period.to_string(), p.predikat.as_str(), false, stored.stream_seq).await?),
                    Event::PeriodEvaluationCorrected(c) => periods.push(period_result(tx, &owners, e, c.period.to_string(), c.predikat.as_str(), true, stored.stream_seq).await?),
                    _ => {}
                }
            }
            write_owners(tx, &owners).await?;
            write_finals(tx, finals).await?;
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

async fn owner_year(tx: &mut PgConnection, appraisal: Uuid) -> Result<i32, ProjectionError> {
    let row: Option<(i32,)> = sqlx::query_as("SELECT year FROM appraisal_owners WHERE appraisal_id = $1").bind(appraisal).fetch_optional(&mut *tx).await?;
    row.map(|(y,)| y).ok_or_else(|| ProjectionError::Inconsistent { stream_seq: 0, problem: format!("ScoreFinalized of appraisal {appraisal} that was never opened") })
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

async fn period_result(
    tx: &mut PgConnection,
    owners: &HashMap<Uuid, (String, i32)>,
    e: &skp_events::Envelope,
    period: String,
    predikat: &'static str,
    corrected: bool,
    stream_seq: u64,
) -> Result<PeriodResult, ProjectionError> {
    let nip = match owners.get(&e.aggregate_id) {
        Some((nip, _)) => nip.clone(),
        None => owner_nip(tx, e.aggregate_id, stream_seq).await?,
    };
    Ok(PeriodResult { nip, period, appraisal_id: e.aggregate_id, predikat, corrected, at: e.occurred_at })
}

async fn owner_nip(tx: &mut PgConnection, appraisal: Uuid, stream_seq: u64) -> Result<String, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT employee_nip FROM appraisal_owners WHERE appraisal_id = $1").bind(appraisal).fetch_optional(&mut *tx).await?;
    row.map(|(nip,)| nip).ok_or_else(|| ProjectionError::Inconsistent { stream_seq, problem: format!("a periodic evaluation of appraisal {appraisal} that was never opened") })
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
