//! The `periodic` section of `skp-bench all` (issue 12): catch-up of a stream of
//! `scale.events` events of which about 40% are periodic evaluations and corrections
//! ([`generate::Shape::Periodic`]: the mixed appraisals in a monthly cycle). Every
//! rebuildable projection is rebuilt from sequence 1, one after another, each against the
//! raw batched PostgreSQL upsert measured in the same run; then the public relay catches up
//! from sequence 1 into a fresh public stream, publishing one message per periodic event.

use crate::report::{rate, thousands, Bound, Report};
use crate::{generate, Ctx};
use skp_projections::rebuild::rebuild;
use skp_projections::{Projector, ReadStore};
use skp_store::{EventStore, Metrics};
use std::time::{Duration, Instant};

const SECTION: &str = "periodic";

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let settings = crate::isolated_on(&ctx.lazy.url(), &[])?;
    let store = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(10)).await?;
    let js = async_nats::jetstream::new(store.client().clone());
    let db = ReadStore::connect(settings.read.database_url.expose(), &settings.read.schema, 8).await?;
    let outcome = measure(ctx, report, &settings, &store, &js, &db).await;
    js.delete_stream(&settings.store.stream).await.ok();
    js.delete_stream(&settings.read.public_stream).await.ok();
    skp_projections::store::drop_base(db.pool(), db.base()).await.ok();
    outcome
}

async fn measure(ctx: &mut Ctx, report: &mut Report, settings: &skp_api::config::Settings, store: &EventStore, js: &async_nats::jetstream::Context, db: &ReadStore) -> anyhow::Result<()> {
    let started = Instant::now();
    let filling = generate::fill_shaped(js, store.subjects(), ctx.scale.events, generate::Shape::Periodic).await?;
    let events = filling.written;
    let share = filling.periodic as f64 / events as f64;
    println!(
        "  (filled {} events on {} appraisal subjects in {:.1} s; {} periodic evaluations and corrections, {:.0}% of the events)",
        thousands(events as f64),
        thousands(filling.appraisals as f64),
        started.elapsed().as_secs_f64(),
        thousands(filling.periodic as f64),
        share * 100.0
    );
    report.figure(SECTION, "stream", format!("{} events, {:.0}% periodic ({} of them)", thousands(events as f64), share * 100.0, thousands(filling.periodic as f64)));
    let limit = match ctx.limits.pg_batched {
        Some(limit) => limit,
        None => {
            let limit = crate::raw_upsert_rate(db, events).await?;
            report.figure(SECTION, "raw PostgreSQL upsert, 1,000 rows per UNNEST statement with a checkpoint (measured here)", rate(limit));
            ctx.limits.pg_batched = Some(limit);
            limit
        }
    };
    let projector_settings = settings.read.projector_settings(&settings.store);
    let projections = skp_projections::catalog::projections(&settings.read, store.client(), &settings.store).await?;
    for projection in projections.iter().filter(|p| p.rebuildable()) {
        let done = rebuild(db, js, projection.as_ref(), &projector_settings).await?;
        anyhow::ensure!(done.events == events, "{} rebuilt {} of {events} events", projection.name(), done.events);
        let ratio = done.rate() / limit;
        report.figure(
            SECTION,
            format!("rebuild {} from {} events, {:.0}% periodic", projection.name(), thousands(events as f64), share * 100.0),
            format!("{:.1} s, {} ({ratio:.2} of the raw upsert)", done.elapsed.as_secs_f64(), rate(done.rate())),
        );
        report.check(format!("periodic catch-up {} / raw PostgreSQL upsert", projection.name()), ratio, Bound::AtLeast(0.60), format!("{} of {}", rate(done.rate()), rate(limit)));
    }
    relay(report, settings, js, db, &projections, events, (filling.periodic, filling.finalized)).await
}

/// The relay from sequence 1 to the end: one public message per periodic event and per
/// finalized score.
async fn relay(
    report: &mut Report,
    settings: &skp_api::config::Settings,
    js: &async_nats::jetstream::Context,
    db: &ReadStore,
    projections: &[std::sync::Arc<dyn skp_projections::Projection>],
    events: u64,
    (periodic, finalized): (u64, u64),
) -> anyhow::Result<()> {
    let relay = projections.iter().find(|p| p.name() == "relay").ok_or_else(|| anyhow::anyhow!("no relay projection"))?;
    let projector = Projector::new(relay.clone(), db.clone(), js.clone(), settings.read.projector_settings(&settings.store));
    let status = projector.status();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let task = tokio::spawn(projector.run(shutdown));
    let reached = status.wait_for(events, Duration::from_secs(3600)).await;
    let elapsed = started.elapsed();
    stop.send_replace(true);
    task.await??;
    anyhow::ensure!(reached == events, "the relay reached {reached} of {events} ({:?})", status.error());
    let published = js.get_stream(&settings.read.public_stream).await?.info().await?.state.messages;
    anyhow::ensure!(published == periodic + finalized, "the relay published {published} messages for {periodic} periodic events and {finalized} finalized scores");
    report.figure(
        SECTION,
        format!("relay catch-up from {} events", thousands(events as f64)),
        format!(
            "{:.1} s, {} of the stream; {} public events ({} period evaluations and corrections, {} finalized scores), {} published",
            elapsed.as_secs_f64(),
            rate(events as f64 / elapsed.as_secs_f64()),
            thousands(published as f64),
            thousands(periodic as f64),
            thousands(finalized as f64),
            rate(published as f64 / elapsed.as_secs_f64())
        ),
    );
    Ok(())
}
