//! Career: the final predikat of every employee per year, from `ScoreFinalized` (the year
//! and employee come from the appraisal's opening). Eligibility is derived at query time by
//! the domain's career rules. Development plans are kept beside them
//! ([`crate::career_development`]).

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
            let mut finals: Vec<Final> = Vec::new();
            let mut plans = PlanChanges::default();
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
                    _ if e.aggregate_type == AggregateType::Development => plans.push(e),
                    _ => {}
                }
            }
            write_owners(tx, &owners).await?;
            write_finals(tx, finals).await?;
            plans.write(tx).await?;
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
