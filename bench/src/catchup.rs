//! The `catchup` section of `skp-bench all`: every rebuildable projection (progress, career,
//! audit) rebuilt from sequence 1 of the shared filled stream into a fresh generation, one
//! after another (events/s each, against the raw batched PostgreSQL upsert rate of the same
//! run), then all three at once (events of the stream / wall time until the last is done).

use crate::report::{rate, thousands, Bound, Report};
use crate::{generate, Ctx};
use skp_projections::rebuild::rebuild;
use skp_projections::ReadStore;
use skp_store::Metrics;
use skp_store::EventStore;
use std::time::{Duration, Instant};

const SECTION: &str = "catchup";

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let filled = generate::filled(ctx).await?;
    let (settings, events) = (filled.settings.clone(), filled.events);
    let store = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(10)).await?;
    let js = async_nats::jetstream::new(store.client().clone());
    let db = ReadStore::connect(settings.read.database_url.expose(), &settings.read.schema, 8).await?;

    let limit = match ctx.limits.pg_batched {
        Some(limit) => limit,
        None => {
            // The limits section did not run (or not yet on this branch): measure the same
            // raw upsert here, over as many rows as the stream holds.
            let limit = crate::raw_upsert_rate(&db, events).await?;
            report.figure(SECTION, "raw PostgreSQL upsert, 1,000 rows per UNNEST statement with a checkpoint (measured here)", rate(limit));
            ctx.limits.pg_batched = Some(limit);
            limit
        }
    };

    let projector_settings = settings.read.projector_settings(&settings.store);
    let projections: Vec<_> = skp_projections::catalog::projections(&settings.read, store.client(), &settings.store).await?.into_iter().filter(|p| p.rebuildable()).collect();
    for projection in &projections {
        let done = rebuild(&db, &js, projection.as_ref(), &projector_settings).await?;
        anyhow::ensure!(done.events == events, "{} rebuilt {} of {events} events", projection.name(), done.events);
        let ratio = done.rate() / limit;
        report.figure(
            SECTION,
            format!("rebuild {} from {} events", projection.name(), thousands(events as f64)),
            format!("{:.1} s, {} ({ratio:.2} of the raw upsert)", done.elapsed.as_secs_f64(), rate(done.rate())),
        );
        report.check(
            format!("catch-up {} / raw PostgreSQL upsert", projection.name()),
            ratio,
            Bound::AtLeast(0.60),
            format!("{} of {}", rate(done.rate()), rate(limit)),
        );
    }

    // All together: each into a fresh generation of its own, concurrently.
    let started = Instant::now();
    let all = futures::future::join_all(projections.iter().map(|p| rebuild(&db, &js, p.as_ref(), &projector_settings))).await;
    let wall = started.elapsed();
    for (projection, done) in projections.iter().zip(all) {
        let done = done?;
        anyhow::ensure!(done.events == events, "{} rebuilt {} of {events} events", projection.name(), done.events);
        report.figure(SECTION, format!("concurrent rebuild {}", projection.name()), format!("{:.1} s, {}", done.elapsed.as_secs_f64(), rate(done.rate())));
    }
    let together = events as f64 / wall.as_secs_f64();
    report.figure(
        SECTION,
        format!("all {} rebuildable projections at once", projections.len()),
        format!("{} events in {:.1} s: {} of the stream ({} projection applies/s)", thousands(events as f64), wall.as_secs_f64(), rate(together), rate(together * projections.len() as f64)),
    );
    report.check("catch-up of all projections at once, events/s", together, Bound::AtLeast(30_000.0), format!("{} events in {:.1} s", thousands(events as f64), wall.as_secs_f64()));
    Ok(())
}
