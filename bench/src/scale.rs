//! The `scale` section of `skp-bench all`: one ministry-sized cycle (issue 16).
//!
//! One cycle of 300,000 appraisals with 30,000 raters in 2,000 units (`--quick`: 30,000,
//! 3,000 and 200), filled on the lazy nats-server through the real command path in process
//! (a `CommandBus`, 1,024 callers: each appraisal loaded, decided, sealed and appended; the
//! `i`-th employee's rater is rater `i % raters`, in unit `i % units`). Then `skp-api` with
//! `SKP_PROJECTORS=off` beside a `skp-projector` (as `deploy/compose.yaml` runs them) on
//! that stream, and:
//!
//! - how long the projector host took to catch up with the filled stream (from its start
//!   until `GET /v1/cycles/{id}/progress?min_sequence=<last>` answers);
//! - the progress document's size and, over sequential GETs after the catch-up (500, or
//!   as many as fit in 60 s), its latency p50/p99 (target p99 <= 20 ms);
//! - live progress while appraisals are opened over HTTP in that cycle at half the highest
//!   HTTP command rate with the projectors elsewhere (the `http` section's, measured here
//!   when it did not run), paced as the `live` section does: the size of every message on
//!   the cycle's core NATS live subject and of every SSE `progress` event (max and p99;
//!   target < 64 KB), and command answer -> SSE p99 (target <= 100 ms; the `live`
//!   section's method, counting from the cycle's total before the load);
//! - PostgreSQL's table and index sizes of the progress projection's serving generation;
//! - a rebuild of the progress projection from sequence 1 of this stream (the `catchup`
//!   section's way) against the raw batched upsert of the same run (target >= 0.6).
//!
//! Only the progress route's JSON is read as a `serde_json::Value` (`total`, and the length
//! of `by_unit`/`by_rater` or the `units`/`raters` counts, whichever the document has), so
//! the section measures the unbounded document and a bounded summary alike.

use crate::commands::{admin, meta, nip, phase, Bench};
use crate::live::{latencies, paced_load, read_progress, wait_for, Delivery};
use crate::report::{rate, thousands, Bound, Latencies, Report};
use crate::servers::{Durability, Memory};
use crate::service::{Projectors, Service};
use crate::{isolated_on, Ctx};
use futures::StreamExt;
use serde_json::Value;
use skp_domain::appraisal::{self, Appraisal, OpenAppraisal};
use skp_domain::cycle::Cycle;
use skp_domain::{Decision, DomainError};
use skp_events::ids::appraisal_id;
use skp_events::subject::Subjects;
use skp_events::values::Person;
use skp_projections::rebuild::rebuild;
use skp_projections::ReadStore;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const SECTION: &str = "scale";

/// The size of the cycle.
#[derive(Debug, Clone, Copy)]
struct Size {
    appraisals: usize,
    raters: usize,
    units: usize,
}

/// Callers filling the cycle.
const FILLERS: usize = 1024;

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let size = if ctx.scale.quick { Size { appraisals: 30_000, raters: 3_000, units: 200 } } else { Size { appraisals: 300_000, raters: 30_000, units: 2_000 } };
    let settings = isolated_on(&ctx.server(Durability::Lazy).url(), &[])?;

    // The fill, in process. On failure the stream goes (the service would delete it).
    let (client, bus, metrics) = crate::commands::bus_on(&settings.store).await?;
    let bench = Bench { settings: settings.store.clone(), client, bus, metrics };
    let filled = fill(&bench, size).await;
    let (cycle_id, fill_rate, fill_latencies) = match filled {
        Ok(f) => f,
        Err(e) => {
            bench.delete().await;
            return Err(e);
        }
    };
    let js = async_nats::jetstream::new(bench.client.clone());
    let last = js.get_stream(&settings.store.stream).await?.info().await?.state.last_sequence;
    report.figure(
        SECTION,
        format!("fill: {} appraisals opened in one cycle ({} raters, {} units) through a CommandBus in process, {FILLERS} callers", thousands(size.appraisals as f64), thousands(size.raters as f64), thousands(size.units as f64)),
        format!("{}, {}; {}", rate(fill_rate), fill_latencies.summary(), bench.batching()),
    );
    let client = bench.client.clone();
    drop(bench);

    // The service, its projectors in a process of their own, catching up from sequence 1.
    let started = Instant::now();
    let service = Arc::new(Service::start_with(settings.clone(), Projectors::Elsewhere).await?);
    let progress_path = format!("/v1/cycles/{cycle_id}/progress");
    let first = caught_up(&service, &format!("{progress_path}?min_sequence={last}"), Duration::from_secs(if ctx.scale.quick { 120 } else { 900 })).await?;
    let catch_up = started.elapsed();
    report.figure(SECTION, format!("skp-projector catch-up of the filled stream ({} events), from its start to the progress query answering", thousands(last as f64)), format!("{:.1} s ({})", catch_up.as_secs_f64(), rate(last as f64 / catch_up.as_secs_f64())));
    if let Some(pid) = service.projector_pid() {
        let memory = Memory::of(pid)?;
        report.figure(SECTION, "skp-projector after the catch-up", format!("{:.0} MiB resident, {:.0} MiB peak", memory.rss_mib, memory.peak_mib));
    }
    let document: Value = serde_json::from_slice(&first)?;
    report.figure(SECTION, "progress document", format!("{} bytes; {}", thousands(first.len() as f64), shape(&document)));

    // Progress queries, one after another.
    let (count, within) = if ctx.scale.quick { (200, Duration::from_secs(20)) } else { (500, Duration::from_secs(60)) };
    let queries = sequential_gets(&service, &progress_path, count, within).await?;
    report.figure(SECTION, format!("progress query, {} sequential GETs after the catch-up (at most {count} or {} s)", queries.len(), within.as_secs()), queries.summary());
    report.check("scale: progress query p99 (ms)", queries.quantile(0.99), Bound::AtMost(20.0), format!("{} over {} GETs, {} appraisals", queries.summary(), queries.len(), thousands(size.appraisals as f64)));

    live(ctx, report, &service, &client, cycle_id, document["total"].as_u64().unwrap_or(0)).await?;
    table_sizes(report, &service, size).await?;
    catch_up_rate(ctx, report, &service, &client).await?;
    Ok(())
}

/// Opens the cycle and its appraisals: (cycle id, commands/s, latencies).
async fn fill(bench: &Bench, size: Size) -> anyhow::Result<(Uuid, f64, Latencies)> {
    let (cycle_id, cycle) = bench.open_cycle().await?;
    let started = Instant::now();
    let latencies = phase(size.appraisals, FILLERS, {
        let bus = bench.bus.clone();
        move |i| open(bus.clone(), cycle_id, cycle.clone(), i, size)
    })
    .await?;
    Ok((cycle_id, size.appraisals as f64 / started.elapsed().as_secs_f64(), latencies))
}

/// Opens the appraisal of the `i`-th employee, rated by rater `i % raters` of unit
/// `i % units` (every rater in one unit: `units` divides `raters`).
async fn open(bus: Arc<skp_store::CommandBus>, cycle_id: Uuid, cycle: Arc<Cycle>, i: usize, size: Size) -> anyhow::Result<()> {
    let unit = format!("Unit {:04}", i % size.units);
    let person = |nip, name: &str, position: &str| Person { nip, name: name.to_owned(), position: position.to_owned(), unit: unit.clone() };
    let employee = person(nip(i)?, "Pegawai", "Analis");
    let rater = person(nip(1_000_000 + i % size.raters)?, "Penilai", "Kepala Subbagian");
    let superior = person(nip(2_000_000 + i % size.units)?, "Atasan Penilai", "Kepala Bagian");
    let id = appraisal_id(cycle_id, &employee.nip);
    let meta = meta("open_appraisal", admin()?);
    let command = OpenAppraisal { command_id: meta.command_id, employee, rater, rater_superior: superior };
    let decide = |state: &Appraisal, ctx: &skp_domain::Ctx| -> Result<Decision, DomainError> { appraisal::decide_open(state, &cycle, &command, ctx) };
    bus.execute::<Appraisal>(id, &meta, decide).await?;
    Ok(())
}

/// Asks `path` (with `?min_sequence=`) as the admin until it answers 200: its body.
async fn caught_up(service: &Service, path: &str, within: Duration) -> anyhow::Result<bytes::Bytes> {
    let deadline = Instant::now() + within;
    loop {
        let answer = service.http.get(service.url(path)).bearer_auth(service.admin_token()).send().await;
        if let Ok(answer) = answer {
            let status = answer.status();
            if status.is_success() {
                return Ok(answer.bytes().await?);
            }
            anyhow::ensure!(Instant::now() < deadline, "GET {path}: {status} after {within:?}");
        } else {
            anyhow::ensure!(Instant::now() < deadline, "GET {path}: {answer:?} after {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the progress document holds: the sizes of its lists or its counts.
fn shape(document: &Value) -> String {
    let mut parts = vec![format!("total {}", document["total"])];
    for list in ["by_unit", "by_rater", "changed_units"] {
        if let Some(items) = document[list].as_array() {
            parts.push(format!("{list}: {} entries", thousands(items.len() as f64)));
        }
    }
    for group in ["units", "raters"] {
        if document[group].is_object() {
            parts.push(format!("{group}: {}", document[group]));
        }
    }
    parts.join(", ")
}

/// `count` GETs of `path` one after another as the admin (fewer if `within` runs out):
/// each one's latency, body read.
async fn sequential_gets(service: &Service, path: &str, count: usize, within: Duration) -> anyhow::Result<Latencies> {
    let mut latencies = Latencies::with_capacity(count);
    let started = Instant::now();
    while latencies.len() < count && started.elapsed() < within {
        let began = Instant::now();
        let answer = service.http.get(service.url(path)).bearer_auth(service.admin_token()).send().await?;
        anyhow::ensure!(answer.status().is_success(), "GET {path}: {}", answer.status());
        answer.bytes().await?;
        latencies.push(began.elapsed());
    }
    Ok(latencies)
}

/// The `q` quantile of `sizes` (0 when empty).
fn quantile(sizes: &[usize], q: f64) -> usize {
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => 0,
        n => sorted[((n as f64 * q).ceil() as usize).clamp(1, n) - 1],
    }
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// Live progress of the big cycle under a paced HTTP load at half the highest HTTP rate.
async fn live(ctx: &mut Ctx, report: &mut Report, service: &Arc<Service>, client: &async_nats::Client, cycle_id: Uuid, base: u64) -> anyhow::Result<()> {
    let max_rate = match ctx.http_max_rate_elsewhere {
        Some(r) => r,
        None => {
            let (_, r, _) = crate::http::measure(service, ctx.scale.commands / 2, |_, _, _| {}).await?;
            report.figure(SECTION, "highest HTTP command rate, lazy, projectors in skp-projector (measured here, on a cycle of its own)", rate(r));
            ctx.http_max_rate_elsewhere = Some(r);
            r
        }
    };
    let target = max_rate / 2.0;
    let seconds = if ctx.scale.quick { 5.0 } else { 10.0 };

    // Every message on the cycle's live subject.
    let subject = Subjects::new(service.settings().store.subject_prefix.clone()).live_cycle(cycle_id);
    let mut subscription = client.subscribe(subject).await?;
    client.flush().await?;
    let messages = Arc::new(Mutex::new(Vec::<usize>::new()));
    let listener = tokio::spawn({
        let messages = messages.clone();
        async move {
            while let Some(message) = subscription.next().await {
                if let Ok(mut m) = messages.lock() {
                    m.push(message.payload.len());
                }
            }
        }
    });

    let deliveries = Arc::new(Mutex::new(Vec::<Delivery>::new()));
    let reader = tokio::spawn(read_progress(service.url(&format!("/v1/cycles/{cycle_id}/progress/stream")), deliveries.clone()));
    let outcome = async {
        // The stream's first event is the progress as it stands.
        wait_for(&deliveries, base, Duration::from_secs(60)).await?;
        // Employees above those of the fill, the `http` section and `live`.
        let commands = paced_load(service, &cycle_id.to_string(), target, seconds, 2_600_000).await?;
        let achieved = (2 * commands.len()) as f64 / seconds;
        wait_for(&deliveries, base + commands.len() as u64, Duration::from_secs(60)).await.ok();
        let deliveries = deliveries.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
        Ok::<_, anyhow::Error>((commands, deliveries, achieved))
    }
    .await;
    if outcome.is_err() && reader.is_finished() {
        listener.abort();
        reader.await??;
        anyhow::bail!("the progress stream ended");
    }
    reader.abort();
    listener.abort();
    let (commands, deliveries, achieved) = outcome?;
    let opened = commands.len();
    let (from_answer, from_request, early, missing) = latencies(commands, &deliveries, base);
    report.figure(SECTION, format!("load: commands over HTTP (open appraisal, draft plan) in the big cycle at {} (target half of {}), {seconds:.0} s", rate(achieved), rate(max_rate)), format!("{} appraisals opened, {} SSE progress events received", thousands(opened as f64), deliveries.len()));
    report.figure(SECTION, format!("open appraisal answer to SSE progress event ({} commands)", from_answer.len()), format!("{}; {early} seen on SSE before their answer, {missing} never seen", from_answer.summary()));
    report.figure(SECTION, "open appraisal sent to SSE progress event", from_request.summary());
    report.check("scale: command answer to SSE delivery, p99 (ms)", from_answer.quantile(0.99), Bound::AtMost(100.0), format!("{} at {}, {} appraisals in the cycle", from_answer.summary(), rate(achieved), thousands(base as f64)));

    let sse: Vec<usize> = deliveries.iter().map(|(_, _, bytes)| *bytes).collect();
    let nats: Vec<usize> = messages.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
    report.figure(SECTION, format!("live messages on the NATS live subject ({})", nats.len()), format!("max {}, p99 {}", kib(quantile(&nats, 1.0)), kib(quantile(&nats, 0.99))));
    report.figure(SECTION, format!("SSE progress events ({}, data only)", sse.len()), format!("max {}, p99 {}", kib(quantile(&sse, 1.0)), kib(quantile(&sse, 0.99))));
    let largest = quantile(&nats, 1.0).max(quantile(&sse, 1.0));
    report.check("scale: largest live message (NATS or SSE), KiB", largest as f64 / 1024.0, Bound::AtMost(64.0), format!("{} NATS messages, {} SSE events; p99 {} / {}", nats.len(), sse.len(), kib(quantile(&nats, 0.99)), kib(quantile(&sse, 0.99))));
    Ok(())
}

/// Table and index sizes of the progress projection's serving generation.
async fn table_sizes(report: &mut Report, service: &Service, size: Size) -> anyhow::Result<()> {
    let read = &service.settings().read;
    let db = ReadStore::connect(read.database_url.expose(), &read.schema, 2).await?;
    let schema = match db.active("progress").await? {
        Some(generation) => generation.schema,
        None => anyhow::bail!("the progress projection has no serving generation"),
    };
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT c.relname::text, pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname = $1 ORDER BY 2 DESC",
    )
    .bind(&schema)
    .fetch_all(db.pool())
    .await?;
    let mib = |bytes: i64| format!("{:.1} MiB", bytes as f64 / 1_048_576.0);
    let total: i64 = rows.iter().map(|r| r.1).sum();
    for (table, all, heap, indexes) in &rows {
        if *all >= 64 * 1024 {
            report.figure(SECTION, format!("PostgreSQL progress table {table}"), format!("{} in all: {} table, {} indexes", mib(*all), mib(*heap), mib(*indexes)));
        }
    }
    report.figure(
        SECTION,
        format!("PostgreSQL progress schema ({} tables; smaller than 64 KiB not listed)", rows.len()),
        format!("{} in all, {:.0} bytes per appraisal", mib(total), total as f64 / size.appraisals as f64),
    );
    db.pool().close().await;
    Ok(())
}

/// A rebuild of the progress projection from sequence 1 of the service's stream against
/// the raw upsert.
async fn catch_up_rate(ctx: &mut Ctx, report: &mut Report, service: &Service, client: &async_nats::Client) -> anyhow::Result<()> {
    let settings = service.settings();
    let js = &async_nats::jetstream::new(client.clone());
    let db = ReadStore::connect(settings.read.database_url.expose(), &settings.read.schema, 8).await?;
    let events = js.get_stream(&settings.store.stream).await?.info().await?.state.messages;
    let limit = match ctx.limits.pg_batched {
        Some(limit) => limit,
        None => {
            let limit = crate::raw_upsert_rate(&db, events).await?;
            report.figure(SECTION, "raw PostgreSQL upsert, 1,000 rows per UNNEST statement with a checkpoint (measured here)", rate(limit));
            ctx.limits.pg_batched = Some(limit);
            limit
        }
    };
    let projections = skp_projections::catalog::projections(&settings.read, client, &settings.store).await?;
    let progress = projections.iter().find(|p| p.name() == "progress").ok_or_else(|| anyhow::anyhow!("no progress projection in the catalog"))?;
    let done = rebuild(&db, js, progress.as_ref(), &settings.read.projector_settings(&settings.store)).await?;
    let ratio = done.rate() / limit;
    report.figure(SECTION, format!("rebuild progress from {} events of the big cycle", thousands(done.events as f64)), format!("{:.1} s, {} ({ratio:.2} of the raw upsert)", done.elapsed.as_secs_f64(), rate(done.rate())));
    report.check("scale: catch-up progress (one big cycle) / raw PostgreSQL upsert", ratio, Bound::AtLeast(0.6), format!("{} of {}", rate(done.rate()), rate(limit)));
    db.pool().close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shape_reads_the_whole_document_and_the_summary_alike() {
        let whole = json!({"total": 3, "by_unit": [{"key": "a"}, {"key": "b"}], "by_rater": [{"key": "r"}]});
        assert_eq!(shape(&whole), "total 3, by_unit: 2 entries, by_rater: 1 entries");
        let summary = json!({"total": 3, "units": {"count": 2, "with_warnings": 0}, "raters": {"count": 1, "with_warnings": 1}, "changed_units": []});
        assert_eq!(shape(&summary), r#"total 3, changed_units: 0 entries, units: {"count":2,"with_warnings":0}, raters: {"count":1,"with_warnings":1}"#);
    }

    #[test]
    fn size_quantiles_pick_the_rank() {
        let sizes: Vec<usize> = (1..=100).collect();
        assert_eq!(quantile(&sizes, 1.0), 100);
        assert_eq!(quantile(&sizes, 0.99), 99);
        assert_eq!(quantile(&[], 0.99), 0);
    }
}
