//! The `commands` section of `skp-bench all`: the real command path in process.
//!
//! A `CommandBus` over an `EventStore` configured as SKP ships it (group commit `on`), on a
//! stream of the run's own: one cycle, then `scale.commands` appraisals opened (each
//! command loads its empty aggregate, decides, seals the envelope and appends it) and a plan
//! drafted on each (the aggregate is in the bus's cache), by 256 and then 1,024 concurrent
//! callers, on each nats-server. Commands per second over both phases, and each command's
//! latency. The best concurrency is compared with the raw append limit of its durability.
//!
//! Then, on the durable server (where it matters), the same workload with each group-commit
//! mode (`SKP_GROUP_COMMIT` `off`, `on`, `always`) at 1,024 callers, side by side.
//!
//! The helpers here (a bus on its own stream, the commands of the workload) are shared with
//! `contention`.

use crate::report::{rate, Bound, Latencies, Report};
use crate::servers::Durability;
use crate::{isolated_on, Ctx};
use skp_domain::appraisal::{self, Appraisal, AppraisalCommand, Command, OpenAppraisal};
use skp_domain::cycle::{Cycle, OpenCycle};
use skp_domain::{Caller, Decision, DomainError};
use skp_events::ids::appraisal_id;
use skp_events::values::{Indicator, Person, PlannedResult, Target};
use skp_events::Nip;
use skp_store::Clock;
use skp_store::{CommandBus, CommandMeta, Committed};
use skp_store::StoreSettings;
use skp_store::Metrics;
use skp_store::EventStore;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

/// The concurrencies tried.
const CONCURRENCIES: [usize; 2] = [256, 1024];

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    for durability in [Durability::Lazy, Durability::Durable] {
        let label = durability.label();
        let url = ctx.server(durability).url();
        let mut best: Option<(usize, f64, Latencies)> = None;
        for concurrency in CONCURRENCIES {
            let (commands_rate, latencies, detail) = measure(&url, ctx.scale.commands, concurrency).await?;
            report.figure("commands", format!("{label}, {concurrency} callers ({} appraisals opened then drafted; {detail})", ctx.scale.commands), format!("{}, {}", rate(commands_rate), latencies.summary()));
            if best.as_ref().is_none_or(|(_, r, _)| commands_rate > *r) {
                best = Some((concurrency, commands_rate, latencies));
            }
        }
        let Some((concurrency, best_rate, latencies)) = best else { continue };
        report.figure("commands", format!("{label}, best ({concurrency} callers)"), format!("{}, {}", rate(best_rate), latencies.summary()));
        let limit = match durability {
            Durability::Lazy => {
                ctx.lazy_command_rate = Some(best_rate);
                ctx.limits.lazy()
            }
            Durability::Durable => {
                ctx.durable_command_rate = Some(best_rate);
                ctx.limits.durable()
            }
        };
        report.check(format!("commands in process, {label}: rate / raw append limit"), best_rate / limit, Bound::AtLeast(0.5), format!("{} ({concurrency} callers) of {}", rate(best_rate), rate(limit)));
    }
    group_commit_modes(ctx, report).await
}

/// The workload on the durable server with each group-commit mode, 1,024 callers.
async fn group_commit_modes(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let url = ctx.server(Durability::Durable).url();
    let callers = CONCURRENCIES[CONCURRENCIES.len() - 1];
    for mode in ["off", "on", "always"] {
        let (commands_rate, latencies, detail) = measure_with(&url, ctx.scale.commands, callers, &[("SKP_GROUP_COMMIT", mode)]).await?;
        report.figure("commands", format!("durable, SKP_GROUP_COMMIT={mode}, {callers} callers ({detail})"), format!("{}, {}", rate(commands_rate), latencies.summary()));
    }
    Ok(())
}

/// Opens `count` appraisals then drafts a plan on each with `concurrency` callers on a bus
/// of its own: (commands/s over both phases, every command's latency, what the writer did).
async fn measure(url: &str, count: usize, concurrency: usize) -> anyhow::Result<(f64, Latencies, String)> {
    measure_with(url, count, concurrency, &[]).await
}

/// As [`measure`], with settings overridden (e.g. `SKP_GROUP_COMMIT`).
async fn measure_with(url: &str, count: usize, concurrency: usize, overrides: &[(&str, &str)]) -> anyhow::Result<(f64, Latencies, String)> {
    let bench = Bench::start_with(url, overrides).await?;
    let outcome = async {
        let (cycle_id, cycle) = bench.open_cycle().await?;
        let started = Instant::now();
        let mut latencies = phase(count, concurrency, {
            let bus = bench.bus.clone();
            move |i| open_appraisal(bus.clone(), cycle_id, cycle.clone(), i)
        })
        .await?;
        latencies.extend(
            phase(count, concurrency, {
                let bus = bench.bus.clone();
                move |i| draft_plan(bus.clone(), cycle_id, i)
            })
            .await?,
        );
        let commands_rate = (2 * count) as f64 / started.elapsed().as_secs_f64();
        Ok((commands_rate, latencies, bench.batching()))
    }
    .await;
    bench.delete().await;
    outcome
}

/// A `CommandBus` on a stream of its own (deleted by [`Bench::delete`]).
pub struct Bench {
    pub settings: StoreSettings,
    pub client: async_nats::Client,
    pub bus: Arc<CommandBus>,
    pub metrics: Metrics,
}

impl Bench {
    /// A bus with SKP's default settings (group commit `on`) on a fresh stream.
    pub async fn start(url: &str) -> anyhow::Result<Self> {
        Self::start_with(url, &[]).await
    }

    /// A bus with SKP's default settings but `overrides` on a fresh stream.
    pub async fn start_with(url: &str, overrides: &[(&str, &str)]) -> anyhow::Result<Self> {
        let settings = isolated_on(url, overrides)?.store;
        let (client, bus, metrics) = bus_on(&settings).await?;
        Ok(Self { settings, client, bus, metrics })
    }

    /// Deletes the stream.
    pub async fn delete(&self) {
        async_nats::jetstream::new(self.client.clone()).delete_stream(&self.settings.stream).await.ok();
    }

    /// Opens a cycle: its id and state.
    pub async fn open_cycle(&self) -> anyhow::Result<(Uuid, Arc<Cycle>)> {
        let cycle_id = Uuid::now_v7();
        let open = OpenCycle {
            command_id: Uuid::now_v7(),
            organization: "Badan Kepegawaian Daerah Kota Contoh".into(),
            year: 2026,
            plan_due: "2026-01-31".into(),
            objection_window_days: Some(14),
            decision_window_days: Some(14),
            period: None,
            period_entry_days: None,
            utc_offset_hours: None,
        };
        self.bus.execute::<Cycle>(cycle_id, &meta("open_cycle", admin()?), |state, ctx| state.decide_open(&open, ctx)).await?;
        Ok((cycle_id, Arc::new(self.bus.current::<Cycle>(cycle_id).await?.state)))
    }

    /// What group commit did, from the bus's metrics.
    pub fn batching(&self) -> String {
        let text = self.metrics.render();
        let (sum, count) = (metric(&text, "skp_append_batch_size_sum"), metric(&text, "skp_append_batch_size_count"));
        if count > 0.0 {
            format!("{count:.0} batches, mean {:.1}, {:.0} fallbacks", sum / count, metric(&text, "skp_append_batch_fallbacks_total"))
        } else {
            "single appends".to_owned()
        }
    }
}

/// A new connection, event store and bus (SKP's defaults) on the stream of `settings`.
pub async fn bus_on(settings: &StoreSettings) -> anyhow::Result<(async_nats::Client, Arc<CommandBus>, Metrics)> {
    let metrics = Metrics::new();
    let client = async_nats::connect(settings.nats_url.as_str()).await?;
    let store = EventStore::with_client(client.clone(), settings, metrics.clone()).await?;
    let bus = CommandBus::new(store, settings.cache_capacity, settings.command_retries, Clock::system(), metrics.clone());
    Ok((client, Arc::new(bus), metrics))
}

/// A metric's value in Prometheus text (0 when absent).
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines().find_map(|l| l.strip_prefix(name).filter(|rest| rest.starts_with(' '))).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0)
}

/// Runs `run(0..count)` with `concurrency` callers: each call's latency.
pub async fn phase<F, Fut>(count: usize, concurrency: usize, run: F) -> anyhow::Result<Latencies>
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    clients(count, concurrency, move |i| {
        let run = run.clone();
        async move {
            let began = Instant::now();
            run(i).await?;
            let mut latency = Latencies::default();
            latency.push(began.elapsed());
            Ok(latency)
        }
    })
    .await
}

/// Runs `run(0..count)` with `concurrency` callers; the latencies each call returned.
pub async fn clients<F, Fut>(count: usize, concurrency: usize, run: F) -> anyhow::Result<Latencies>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<Latencies>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency.min(count.max(1)))
        .map(|_| {
            let (next, run) = (next.clone(), run.clone());
            tokio::spawn(async move {
                let mut latencies = Latencies::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return Ok::<_, anyhow::Error>(latencies);
                    }
                    latencies.extend(run(i).await?);
                }
            })
        })
        .collect();
    let mut all = Latencies::with_capacity(count);
    for worker in workers {
        all.extend(worker.await??);
    }
    Ok(all)
}

/// The `i`-th employee's NIP (valid, distinct for every `i` below 3.3 million).
pub fn nip(i: usize) -> anyhow::Result<Nip> {
    let serial = i % 999 + 1;
    let day = (i / 999) % 28 + 1;
    let month = (i / (999 * 28)) % 12 + 1;
    let year = 1970 + i / (999 * 28 * 12);
    Ok(Nip::parse(&format!("{year:04}{month:02}{day:02}2015011{serial:03}"))?)
}

fn person(i: usize, name: &str) -> anyhow::Result<Person> {
    Ok(Person { nip: nip(i)?, name: name.to_owned(), position: "Analis".to_owned(), unit: "Bidang Contoh".to_owned() })
}

/// The rater of every appraisal of the workload.
pub fn rater() -> anyhow::Result<Person> {
    person(3_000_000, "Penilai")
}

fn superior() -> anyhow::Result<Person> {
    person(3_000_001, "Atasan Penilai")
}

/// A caller without global roles.
pub fn caller(nip: Nip) -> Caller {
    Caller { nip, admin: false, inspector: false, service_desk: false }
}

/// The admin caller of the workload.
pub fn admin() -> anyhow::Result<Caller> {
    Ok(Caller { nip: Nip::parse("198812122010011005")?, admin: true, inspector: false, service_desk: false })
}

/// A command's metadata with fresh ids.
pub fn meta(name: &'static str, caller: Caller) -> CommandMeta {
    CommandMeta { command_id: Uuid::now_v7(), correlation_id: Uuid::now_v7(), caller, name, digest: None }
}

/// Opens the appraisal of the `i`-th employee in the cycle.
pub async fn open_appraisal(bus: Arc<CommandBus>, cycle_id: Uuid, cycle: Arc<Cycle>, i: usize) -> anyhow::Result<()> {
    let employee = person(i, "Pegawai")?;
    let id = appraisal_id(cycle_id, &employee.nip);
    let meta = meta("open_appraisal", admin()?);
    let command = OpenAppraisal { command_id: meta.command_id, employee, rater: rater()?, rater_superior: superior()? };
    let decide = |state: &Appraisal, ctx: &skp_domain::Ctx| -> Result<Decision, DomainError> { appraisal::decide_open(state, &cycle, &command, ctx) };
    bus.execute::<Appraisal>(id, &meta, decide).await?;
    Ok(())
}

/// The `i`-th employee drafts a plan of one result.
pub async fn draft_plan(bus: Arc<CommandBus>, cycle_id: Uuid, i: usize) -> anyhow::Result<()> {
    let employee = nip(i)?;
    let id = appraisal_id(cycle_id, &employee);
    appraisal_command(&bus, id, "draft_plan", caller(employee), AppraisalCommand::DraftPlan { results: plan() }).await?;
    Ok(())
}

/// Decides and records one command on appraisal `id`.
pub async fn appraisal_command(bus: &CommandBus, id: Uuid, name: &'static str, by: Caller, body: AppraisalCommand) -> Result<Committed, skp_store::CommandError> {
    let meta = meta(name, by);
    let command = Command { id: meta.command_id, body };
    bus.execute::<Appraisal>(id, &meta, |state, ctx| appraisal::decide(state, &command, ctx)).await
}

/// A plan of one result with one indicator.
pub fn plan() -> Vec<PlannedResult> {
    vec![PlannedResult {
        id: "rhk-1".into(),
        description: "Dokumen perencanaan tersusun tepat waktu".into(),
        indicators: vec![Indicator { id: "iki-1".into(), description: "Dokumen selesai".into(), target: Target { value: 12, unit: "dokumen".into() } }],
    }]
}
