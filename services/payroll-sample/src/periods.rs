//! The monthly table: `skp.public.period.evaluated.v1` applied to `period_adjustments`
//! (issue 12), per employee and period the latest predikat and the agency's percentage.
//!
//! "Latest" is decided by the events, never by their arrival: a correction (`corrected:
//! true`) supersedes the evaluation, a later correction (`evaluated_at`) an earlier one, and
//! between two of the same instant the later source event id (UUID v7) wins. So a
//! correction that arrives before its evaluation (a redelivery, a replay) still stands once
//! the evaluation has arrived too.

use crate::{checked_schema, first_time, PercentTable};
use skp_events::public::PeriodEvaluatedV1;
use sqlx::PgPool;

/// Applies one periodic evaluation or correction in ONE transaction: records its
/// `event_id` in `processed_events` and, only if that row is new, upserts the employee's
/// row of the period if the event is later than the one it holds (see the module). Returns
/// whether the event was new.
///
/// # Errors
/// When PostgreSQL fails; the transaction is then rolled back and nothing is recorded.
pub async fn apply_period_event(pool: &PgPool, schema: &str, table: &PercentTable, event: &PeriodEvaluatedV1) -> Result<bool, sqlx::Error> {
    let s = checked_schema(schema)?;
    let mut tx = pool.begin().await?;
    if !first_time(&mut tx, s, event.event_id).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query(&format!(
        "INSERT INTO {s}.period_adjustments AS t
             (employee_nip, period, appraisal_id, cycle_id, predikat, percent, corrected, source_event_id, evaluated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (employee_nip, period) DO UPDATE SET
             appraisal_id = EXCLUDED.appraisal_id, cycle_id = EXCLUDED.cycle_id, predikat = EXCLUDED.predikat,
             percent = EXCLUDED.percent, corrected = EXCLUDED.corrected, source_event_id = EXCLUDED.source_event_id,
             evaluated_at = EXCLUDED.evaluated_at, updated_at = now()
         WHERE (t.corrected, t.evaluated_at, t.source_event_id) < (EXCLUDED.corrected, EXCLUDED.evaluated_at, EXCLUDED.source_event_id)"
    ))
    .bind(&event.employee_nip)
    .bind(event.period.to_string())
    .bind(event.appraisal_id)
    .bind(event.cycle_id)
    .bind(event.predikat.as_str())
    .bind(i16::from(table.percent(event.predikat)))
    .bind(event.corrected)
    .bind(event.source_event_id)
    .bind(event.evaluated_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}
