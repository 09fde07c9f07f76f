//! Rebuilding a projection from sequence 1 into a fresh generation (its own schema) while the
//! serving generation keeps answering, then swapping it in atomically.
//!
//! The new generation catches up with large batches from an ephemeral consumer. To swap, the
//! serving generation's row is locked (the live projector waits on that lock), the last
//! events up to the stream's head are applied to the new generation, and in the same
//! transaction the new generation becomes the serving one. The live projector then carries
//! on in the new generation from its checkpoint, skipping what it already holds.

use crate::error::ProjectionError;
use crate::event::StoredEvent;
use crate::projection::Projection;
use crate::runtime::{apply_locked, ProjectorSettings};
use crate::store::{Generation, ReadStore};
use async_nats::jetstream;
use skp_store::reader::read_range;
use skp_store::stream::last_sequence;
use sqlx::Connection;
use std::time::{Duration, Instant};

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuildReport {
    /// The new serving generation.
    pub generation: i32,
    /// Events applied.
    pub events: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl RebuildReport {
    /// Events per second.
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Reads the events after `after` up to `until` (inclusive) in batches, decoded while the
/// batch before is applied by `apply`, in order. Returns the last sequence read.
async fn read_until<F, Fut>(js: &jetstream::Context, settings: &ProjectorSettings, after: u64, until: u64, apply: F) -> Result<u64, ProjectionError>
where
    F: FnMut(Vec<StoredEvent>) -> Fut,
    Fut: std::future::Future<Output = Result<(), ProjectionError>>,
{
    let reached = read_range(js, settings.read_from(after + 1), until, |m| StoredEvent::decode(m.seq, m.body), apply).await?;
    if reached < until {
        return Err(skp_store::StoreError::Stalled { stream: settings.stream.clone(), reached, head: until }.into());
    }
    Ok(reached)
}

/// Rebuilds `projection` from sequence 1 and swaps the result in.
///
/// # Errors
/// When the database or NATS fails; the serving generation is then untouched and the
/// half-built one is dropped.
pub async fn rebuild(store: &ReadStore, js: &jetstream::Context, projection: &dyn Projection, settings: &ProjectorSettings) -> Result<RebuildReport, ProjectionError> {
    if !projection.rebuildable() {
        return Err(ProjectionError::NotRebuildable(projection.name()));
    }
    let started = Instant::now();
    store.ensure_active(projection.name(), projection.migrator()).await?;
    let fresh = store.create_generation(projection.name(), projection.migrator()).await?;
    match build_and_swap(store, js, projection, settings, &fresh).await {
        Ok((old, events)) => {
            // The generation just retired stays one rebuild longer: queries that read the
            // serving generation a moment before the swap still find its tables.
            for stale in store.inactive_generations(projection.name()).await? {
                if Some(stale) != old {
                    store.drop_generation(projection.name(), stale).await?;
                }
            }
            Ok(RebuildReport { generation: fresh.number, events, elapsed: started.elapsed() })
        }
        Err(e) => {
            let _ = store.drop_generation(projection.name(), fresh.number).await;
            Err(e)
        }
    }
}

async fn build_and_swap(
    store: &ReadStore,
    js: &jetstream::Context,
    projection: &dyn Projection,
    settings: &ProjectorSettings,
    fresh: &Generation,
) -> Result<(Option<i32>, u64), ProjectionError> {
    let mut applied = 0u64;
    let head = last_sequence(js, &settings.stream).await?;
    let mut checkpoint = 0;
    // Catch up without holding any lock on the serving generation.
    checkpoint = read_until(js, settings, checkpoint, head, |events| {
        applied += events.len() as u64;
        apply_to(store, projection, fresh.number, events)
    })
    .await?
    .max(checkpoint);
    // Swap: lock the serving row, apply the rest, switch, in one transaction.
    let mut conn = store.pool().acquire().await?;
    let mut tx = conn.begin().await?;
    let lock = format!("SELECT generation FROM {}.projection_state WHERE projection = $1 AND active FOR UPDATE", store.base());
    let old: Option<(i32,)> = sqlx::query_as(&lock).bind(projection.name()).fetch_optional(&mut *tx).await?;
    let head = last_sequence(js, &settings.stream).await?;
    let mut rest = Vec::new();
    read_until(js, settings, checkpoint, head, |events| {
        rest.extend(events);
        async { Ok(()) }
    })
    .await?;
    applied += rest.len() as u64;
    let own = format!("SELECT last_seq FROM {}.projection_state WHERE projection = $1 AND generation = $2 FOR UPDATE", store.base());
    let (last,): (i64,) = sqlx::query_as(&own).bind(projection.name()).bind(fresh.number).fetch_one(&mut *tx).await?;
    apply_locked(store, projection, &mut tx, fresh.number, last as u64, &rest).await?;
    // Two statements: the unique index on the serving generation is checked row by row.
    let retire = format!("UPDATE {}.projection_state SET active = false WHERE projection = $1 AND active", store.base());
    sqlx::query(&retire).bind(projection.name()).execute(&mut *tx).await?;
    let serve = format!("UPDATE {}.projection_state SET active = true WHERE projection = $1 AND generation = $2", store.base());
    sqlx::query(&serve).bind(projection.name()).bind(fresh.number).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok((old.map(|(g,)| g), applied))
}

async fn apply_to(store: &ReadStore, projection: &dyn Projection, generation: i32, events: Vec<StoredEvent>) -> Result<(), ProjectionError> {
    let mut conn = store.pool().acquire().await?;
    let mut tx = conn.begin().await?;
    let own = format!("SELECT last_seq FROM {}.projection_state WHERE projection = $1 AND generation = $2 FOR UPDATE", store.base());
    let (last,): (i64,) = sqlx::query_as(&own).bind(projection.name()).bind(generation).fetch_one(&mut *tx).await?;
    apply_locked(store, projection, &mut tx, generation, last as u64, &events).await?;
    tx.commit().await?;
    Ok(())
}
