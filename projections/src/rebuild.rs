//! Rebuilding a projection from sequence 1 into a fresh generation (its own schema) while the
//! serving generation keeps answering, then swapping it in atomically.
//!
//! The new generation catches up with large batches from an ephemeral consumer. To swap, the
//! serving generation's row is locked (the live projector waits on that lock), the last
//! events up to the stream's head are applied to the new generation, and in the same
//! transaction the new generation becomes the serving one. The live projector then carries
//! on in the new generation from its checkpoint, skipping what it already holds.

use crate::event::StoredEvent;
use crate::runtime::{apply_locked, Projection, ProjectionError, ProjectorSettings};
use crate::store::{Generation, ReadStore};
use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::{self, consumer::Consumer};
use futures::StreamExt;
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

async fn stream_head(js: &jetstream::Context, stream: &str) -> Result<u64, ProjectionError> {
    let mut stream = js.get_stream(stream).await.map_err(|e| ProjectionError::Nats(e.to_string()))?;
    let info = stream.info().await.map_err(|e| ProjectionError::Nats(e.to_string()))?;
    Ok(info.state.last_sequence)
}

async fn reader(js: &jetstream::Context, settings: &ProjectorSettings, from: u64) -> Result<Consumer<pull::Config>, ProjectionError> {
    let stream = js.get_stream(&settings.stream).await.map_err(|e| ProjectionError::Nats(e.to_string()))?;
    let config = pull::Config {
        deliver_policy: DeliverPolicy::ByStartSequence { start_sequence: from.max(1) },
        ack_policy: AckPolicy::None,
        filter_subject: settings.filter_subject.clone(),
        inactive_threshold: Duration::from_secs(60),
        ..Default::default()
    };
    stream.create_consumer(config).await.map_err(|e| ProjectionError::Nats(e.to_string()))
}

/// Reads events after `after` up to `until` (inclusive) in batches, handing each to `apply`,
/// in order; the next batch is fetched and decoded while one is applied.
async fn read_until<F, Fut>(js: &jetstream::Context, settings: &ProjectorSettings, after: u64, until: u64, mut apply: F) -> Result<u64, ProjectionError>
where
    F: FnMut(Vec<StoredEvent>) -> Fut,
    Fut: std::future::Future<Output = Result<(), ProjectionError>>,
{
    if after >= until {
        return Ok(after);
    }
    let consumer = reader(js, settings, after + 1).await?;
    let mut reached = after;
    let mut fetched = next_batch(&consumer, settings, until).await?;
    while reached < until {
        let events = std::mem::take(&mut fetched);
        if let Some(last) = events.last() {
            reached = last.stream_seq;
            if reached < until {
                ((), fetched) = tokio::try_join!(apply(events), next_batch(&consumer, settings, until))?;
            } else {
                apply(events).await?;
            }
        } else if stream_head(js, &settings.stream).await? < until {
            return Err(ProjectionError::Nats(format!("stream shorter than sequence {until}")));
        } else {
            fetched = next_batch(&consumer, settings, until).await?;
        }
    }
    Ok(reached)
}

/// The next batch of events up to `until` (inclusive), decoded; empty when none came.
async fn next_batch(consumer: &Consumer<pull::Config>, settings: &ProjectorSettings, until: u64) -> Result<Vec<StoredEvent>, ProjectionError> {
    let mut batch = consumer.fetch().max_messages(settings.batch).expires(settings.fetch_wait).messages().await.map_err(|e| ProjectionError::Nats(e.to_string()))?;
    let mut events = Vec::with_capacity(settings.batch);
    while let Some(message) = batch.next().await {
        let Ok(message) = message else { continue };
        let seq = message.info().map_err(|e| ProjectionError::Nats(e.to_string()))?.stream_sequence;
        if seq > until {
            break;
        }
        events.push(StoredEvent::decode(seq, message.payload.clone())?);
    }
    Ok(events)
}

/// Rebuilds `projection` from sequence 1 and swaps the result in.
///
/// # Errors
/// When the database or NATS fails; the serving generation is then untouched and the
/// half-built one is dropped.
pub async fn rebuild(store: &ReadStore, js: &jetstream::Context, projection: &dyn Projection, settings: &ProjectorSettings) -> Result<RebuildReport, ProjectionError> {
    if !projection.rebuildable() {
        return Err(ProjectionError::Config(format!("the {} projection cannot be rebuilt: its state is what it already published", projection.name())));
    }
    let started = Instant::now();
    store.ensure_active(projection).await?;
    let fresh = store.create_generation(projection).await?;
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
    let head = stream_head(js, &settings.stream).await?;
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
    let head = stream_head(js, &settings.stream).await?;
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
