//! The `memory` section of `skp-bench all`: resident memory (now and peak, from `/proc`) of
//! nats-server. First the run's lazy server holding the shared filled stream (100,000
//! appraisal subjects at full scale) after the other sections used it (its block caches
//! included), with the streams and consumers it holds (whether a section left consumers
//! behind), and again after 30 s idle (10 s with `--quick`). Then two fresh private servers, each filled with `scale.events` messages of the
//! filled stream's average size in SKP's subject form: on 100,000 subjects (10,000 with
//! `--quick`), and on 1,000,000 distinct subjects (100,000 with `--quick`). Then the bench
//! process's own peak.

use crate::generate;
use crate::report::{thousands, Report};
use crate::servers::{Durability, Memory, NatsServer};
use crate::Ctx;
use futures::stream::{FuturesUnordered, StreamExt};
use skp_events::subject::Subjects;
use skp_events::AggregateType;
use std::future::IntoFuture;
use std::time::Instant;

const SECTION: &str = "memory";
const IN_FLIGHT: usize = 1024;

fn mib(m: &Memory) -> String {
    format!("{:.0} MiB resident, {:.0} MiB peak", m.rss_mib, m.peak_mib)
}

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let filled = generate::filled(ctx).await?;
    let js = async_nats::jetstream::new(filled.client.clone());
    let state = js.get_stream(&filled.settings.store.stream).await?.info().await?.state.clone();
    let lazy = ctx.lazy.memory()?;
    report.figure(
        SECTION,
        format!("nats-server (the run's lazy server) with the filled stream: {} events on {} subjects", thousands(state.messages as f64), thousands(state.subjects_count as f64)),
        format!("{} (after the sections that read it; also holds what other sections left)", mib(&lazy)),
    );
    report.figure(SECTION, "the run's lazy server: JetStream streams and consumers after the sections before", inventory(&js).await?);
    // Whether what it holds is cache that goes by itself (nats-server drops a block's cache
    // some seconds after its last read; the Go runtime returns freed memory gradually).
    let idle = std::time::Duration::from_secs(if ctx.scale.quick { 10 } else { 30 });
    tokio::time::sleep(idle).await;
    report.figure(SECTION, format!("the run's lazy server after {} s idle", idle.as_secs()), mib(&ctx.lazy.memory()?));
    let body_size = (state.bytes / state.messages.max(1)).clamp(64, 4096) as usize;

    // Fresh servers, the same number of messages, only the number of subjects differs.
    let messages = ctx.scale.events;
    let (few, many) = (messages / 10, if ctx.scale.quick { 100_000 } else { 1_000_000 });
    let on_few = fresh(report, messages, few, body_size).await?;
    let on_many = fresh(report, messages, many, body_size).await?;
    report.figure(
        SECTION,
        "nats-server resident memory per extra subject (same messages, more subjects)",
        format!("{:.2} KiB", (on_many.rss_mib - on_few.rss_mib) * 1024.0 / (many - few).max(1) as f64),
    );

    let own = Memory::of(std::process::id())?;
    report.figure(SECTION, "skp-bench process itself, at the end of its run", mib(&own));
    Ok(())
}

/// What a server holds: its account's streams, consumers and storage, and each stream with
/// consumers (their names), to see whether a section left consumers behind.
pub async fn inventory(js: &async_nats::jetstream::Context) -> anyhow::Result<String> {
    let account = js.query_account().await?;
    let mut with_consumers = Vec::new();
    let mut streams = js.streams();
    while let Some(info) = streams.next().await {
        let info = info?;
        if info.state.consumer_count > 0 {
            let mut names = Vec::new();
            if let Ok(stream) = js.get_stream(&info.config.name).await {
                let mut consumers = stream.consumer_names();
                while let Some(Ok(name)) = consumers.next().await {
                    names.push(name);
                }
            }
            with_consumers.push(format!("{} ({} messages): {}", info.config.name, thousands(info.state.messages as f64), names.join(" ")));
        }
    }
    Ok(format!(
        "{} streams, {} consumers, {:.0} MiB file storage, {:.0} MiB memory storage{}",
        account.streams,
        account.consumers,
        account.storage as f64 / 1_048_576.0,
        account.memory as f64 / 1_048_576.0,
        if with_consumers.is_empty() { String::new() } else { format!("; consumers on {}", with_consumers.join("; ")) }
    ))
}

/// A fresh private nats-server filled with `messages` messages of `body_size` bytes spread
/// over `subjects` subjects (SKP's subject form), pipelined; reports its memory; stopped and
/// its store removed when this returns.
async fn fresh(report: &mut Report, messages: u64, subjects: u64, body_size: usize) -> anyhow::Result<Memory> {
    let server = NatsServer::start(Durability::Lazy).await?;
    let client = async_nats::connect(server.url()).await?;
    let js = async_nats::jetstream::new(client);
    let before = server.memory()?;
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "SKP_BENCH_MEMORY".into(),
        subjects: vec!["benchmem.skp.events.>".into()],
        allow_direct: true,
        ..Default::default()
    })
    .await?;
    let names = Subjects::new("benchmem.skp.events".to_owned());
    let body = bytes::Bytes::from(vec![b'x'; body_size]);
    let started = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    for i in 0..messages {
        let subject = names.aggregate(AggregateType::Appraisal, uuid::Uuid::from_u128(u128::from(i % subjects) + 1));
        in_flight.push(js.publish(subject, body.clone()).await?.into_future());
        if in_flight.len() >= IN_FLIGHT {
            in_flight.next().await.transpose()?;
        }
    }
    while let Some(done) = in_flight.next().await {
        done?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let state = js.get_stream("SKP_BENCH_MEMORY").await?.info().await?.state.clone();
    anyhow::ensure!(state.subjects_count == subjects && state.messages == messages, "the memory stream holds {} messages on {} subjects", state.messages, state.subjects_count);
    let after = server.memory()?;
    report.figure(
        SECTION,
        format!("fresh nats-server with {} messages of {body_size} bytes on {} subjects", thousands(state.messages as f64), thousands(state.subjects_count as f64)),
        format!("{} (empty: {:.0} MiB; filled in {elapsed:.1} s)", mib(&after), before.rss_mib),
    );
    Ok(after)
}
