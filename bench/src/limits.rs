//! The `limits` section of `skp-bench all`: what the servers do with nothing of SKP in the
//! way, the figures every other ratio divides by.
//!
//! On each private nats-server (lazy flush, `sync_interval: always`), on a fresh stream
//! configured as SKP configures its own: appends of ~300-byte messages, each on a subject of
//! its own, each with `Nats-Expected-Last-Subject-Sequence` and `Nats-Msg-Id`: pipelined
//! with 1,024 in flight; one at a time (latency quantiles); atomic batches of 100, one in
//! flight (nats-server 2.12+). On PostgreSQL, in a schema of the run's own that is dropped
//! afterwards: upserts of 1,000 rows per `UNNEST` statement with a checkpoint update in the
//! same transaction, and one row per statement (each its own transaction). Each
//! measurement stops sending after 6 s; its figure names how many it sent.

use crate::report::{rate, thousands, Latencies, Report};
use crate::servers::{self, Durability, NatsServer};
use crate::{isolated_on, Ctx};
use async_nats::jetstream::{self, context::Publish};
use async_nats::HeaderMap;
use bytes::Bytes;
use skp_projections::ReadStore;
use skp_store::Metrics;
use skp_store::EventStore;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The longest any one measurement runs: it stops sending when this is spent, so that a
/// slow server (fsync per message) keeps the section short; rates count what was sent.
const BUDGET: Duration = Duration::from_secs(6);

/// What one nats-server measured: (messages, per second) for each way.
struct Appends {
    pipelined: (usize, f64),
    single: (usize, f64),
    latencies: Latencies,
    atomic: Option<(usize, f64)>,
}

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let pipelined = ctx.scale.commands * 2;
    let single = ctx.scale.commands / 10;
    for durability in [Durability::Lazy, Durability::Durable] {
        let server = ctx.server(durability);
        let label = durability.label();
        let measured = appends(server, pipelined, single).await?;
        report.figure("limits", format!("raw appends, {label}, pipelined (1,024 in flight, {} messages)", thousands(measured.pipelined.0 as f64)), rate(measured.pipelined.1));
        report.figure("limits", format!("raw appends, {label}, one at a time ({} messages)", thousands(measured.single.0 as f64)), format!("{}, {}", rate(measured.single.1), measured.latencies.summary()));
        match measured.atomic {
            Some((sent, atomic)) => report.figure("limits", format!("raw appends, {label}, atomic batches of 100 (one in flight, {} messages)", thousands(sent as f64)), rate(atomic)),
            None => report.figure("limits", format!("raw appends, {label}, atomic batches"), format!("not supported by nats-server {}", server.version)),
        }
        match durability {
            Durability::Lazy => (ctx.limits.lazy_pipelined, ctx.limits.lazy_atomic) = (Some(measured.pipelined.1), measured.atomic.map(|a| a.1)),
            Durability::Durable => (ctx.limits.durable_pipelined, ctx.limits.durable_atomic) = (Some(measured.pipelined.1), measured.atomic.map(|a| a.1)),
        }
    }
    let (batched_rows, single_rows) = (ctx.scale.commands as u64 * 25, ctx.scale.commands as u64 / 4);
    let (batched, (single_rows, single)) = upserts(batched_rows, single_rows).await?;
    report.figure("limits", format!("raw PostgreSQL upserts, 1,000 rows per UNNEST statement with a checkpoint ({} rows)", thousands(batched_rows as f64)), rate(batched));
    report.figure("limits", format!("raw PostgreSQL upserts, one row per statement, each its own transaction ({} rows)", thousands(single_rows as f64)), rate(single));
    ctx.limits.pg_batched = Some(batched);
    ctx.limits.pg_single = Some(single);
    report.figure("limits", "raw append limit, lazy (pipelined)", rate(ctx.limits.lazy()));
    report.figure("limits", "raw append limit, durable (best of pipelined and atomic batches)", rate(ctx.limits.durable()));
    Ok(())
}

/// The three ways of appending on a fresh stream of `server`, deleted afterwards.
async fn appends(server: &NatsServer, pipelined: usize, single: usize) -> anyhow::Result<Appends> {
    let settings = isolated_on(&server.url(), &[])?;
    let client = async_nats::connect(server.url()).await?;
    // Creates the stream as SKP does (deny delete and purge, atomic batches allowed).
    let store = EventStore::with_client(client.clone(), &settings.store, Metrics::new()).await?;
    let js = jetstream::new(client.clone());
    let prefix = format!("{}.raw", settings.store.subject_prefix);
    let outcome = async {
        let payload = Bytes::from(vec![b'x'; 300]);
        let pipelined_rate = pipelined_appends(&js, &prefix, &payload, pipelined).await?;
        let (single_rate, latencies) = single_appends(&js, &prefix, &payload, single).await?;
        let atomic = if server.has_atomic_batches() && store.group_commit() { Some(atomic_batches(&client, &js, &prefix, &payload, pipelined).await?) } else { None };
        Ok(Appends { pipelined: pipelined_rate, single: single_rate, latencies, atomic })
    }
    .await;
    js.delete_stream(&settings.store.stream).await.ok();
    outcome
}

/// Both headers of an append to an empty subject.
pub fn append_headers(message_id: String) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", message_id);
    headers.insert("Nats-Expected-Last-Subject-Sequence", "0");
    headers
}

async fn pipelined_appends(js: &jetstream::Context, prefix: &str, payload: &Bytes, messages: usize) -> anyhow::Result<(usize, f64)> {
    let started = Instant::now();
    let mut in_flight = VecDeque::with_capacity(1024);
    let mut sent = 0;
    for i in 0..messages {
        if started.elapsed() > BUDGET {
            break;
        }
        sent += 1;
        let publish = Publish::build().payload(payload.clone()).headers(append_headers(format!("p{i}")));
        in_flight.push_back(js.send_publish(format!("{prefix}.p{i}"), publish).await?);
        if in_flight.len() >= 1024 {
            if let Some(ack) = in_flight.pop_front() {
                ack.await?;
            }
        }
    }
    for ack in in_flight {
        ack.await?;
    }
    Ok((sent, sent as f64 / started.elapsed().as_secs_f64()))
}

async fn single_appends(js: &jetstream::Context, prefix: &str, payload: &Bytes, messages: usize) -> anyhow::Result<((usize, f64), Latencies)> {
    let mut latencies = Latencies::with_capacity(messages);
    let started = Instant::now();
    for i in 0..messages {
        if started.elapsed() > BUDGET {
            break;
        }
        let began = Instant::now();
        let publish = Publish::build().payload(payload.clone()).headers(append_headers(format!("s{i}")));
        js.send_publish(format!("{prefix}.s{i}"), publish).await?.await?;
        latencies.push(began.elapsed());
    }
    Ok(((latencies.len(), latencies.len() as f64 / started.elapsed().as_secs_f64()), latencies))
}

async fn atomic_batches(client: &async_nats::Client, js: &jetstream::Context, prefix: &str, payload: &Bytes, messages: usize) -> anyhow::Result<(usize, f64)> {
    let started = Instant::now();
    let mut batches = 0;
    for b in 0..(messages / 100).max(1) {
        if started.elapsed() > BUDGET {
            break;
        }
        batches += 1;
        let id = uuid::Uuid::new_v4().simple().to_string();
        for k in 0..100 {
            let mut headers = append_headers(format!("b{b}-{k}"));
            headers.insert("Nats-Batch-Id", id.as_str());
            headers.insert("Nats-Batch-Sequence", (k + 1).to_string());
            let subject = format!("{prefix}.b{b}-{k}");
            if k == 99 {
                headers.insert("Nats-Batch-Commit", "1");
                js.send_publish(subject, Publish::build().payload(payload.clone()).headers(headers)).await?.await?;
            } else {
                client.publish_with_headers(subject, headers, payload.clone()).await?;
            }
        }
    }
    Ok((batches * 100, (batches * 100) as f64 / started.elapsed().as_secs_f64()))
}

/// Batched and single-row upsert rates (with the rows done) in a schema of their own,
/// dropped afterwards.
async fn upserts(batched_rows: u64, single_rows: u64) -> anyhow::Result<(f64, (u64, f64))> {
    let base = format!("skp_bench_limits_{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let db = ReadStore::connect(&servers::database_url(), &base, 4).await?;
    let outcome = async {
        let batched = crate::raw_upsert_rate(&db, batched_rows).await?;
        let single = single_upsert_rate(&db, single_rows).await?;
        Ok((batched, single))
    }
    .await;
    skp_projections::store::drop_base(db.pool(), db.base()).await?;
    outcome
}

/// One row per statement, each its own transaction, into the table `raw_upsert_rate` made.
async fn single_upsert_rate(db: &ReadStore, rows: u64) -> anyhow::Result<(u64, f64)> {
    let statement = format!(
        "INSERT INTO {}.raw_upsert VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version",
        db.base()
    );
    let started = Instant::now();
    let mut done = 0;
    for i in 0..rows {
        if started.elapsed() > BUDGET {
            break;
        }
        done += 1;
        sqlx::query(&statement)
            .bind(uuid::Uuid::from_u128(u128::from(i % 1000) + 1_000_000))
            .bind("scored")
            .bind("Bidang Pengembangan Pegawai")
            .bind(i as i64)
            .execute(db.pool())
            .await?;
    }
    Ok((done, done as f64 / started.elapsed().as_secs_f64()))
}
