//! `skp-bench`: benchmark programs that print figures and ratios (BENCHMARKS.md).
//!
//! `cargo run --release -p skp-bench -- all [--quick] [--only SECTION,...]` (or
//! `scripts/bench`, which builds it and finds a nats-server with atomic batches) measures, in
//! one run against private nats-server processes (lazy flush and `sync_interval: always`)
//! and the PostgreSQL of `SKP_DATABASE_URL`: the raw limits of both, commands in process and
//! over HTTP, the same workload through cqrs-es/postgres-es, 32 writers on one appraisal,
//! catch-up of every projection from one million events, replay of one appraisal, command to
//! SSE latency, one cycle of 300,000 appraisals (`scale`), and memory. It ends with a
//! table of every figure and one of the issue's
//! targets (PASS/MISS), each a ratio to a limit measured in the same run. Sections:
//! limits, commands, http, cqrs, contention, catchup, replay, live, scale, memory, periodic (the
//! catch-up of a stream whose events are 40% periodic evaluations). `--quick` runs
//! each at a tenth of its size, for trying the program out; its figures are not the
//! benchmark.
//!
//! `cargo run --release -p skp-bench -- rebuild [EVENTS] [SHAPE]` fills an isolated stream with
//! EVENTS realistic events (default 1,000,000: appraisals of ten events each, hash-chained;
//! SHAPE `mixed` or `periodic` for the shapes of the `catchup` and `periodic` sections),
//! then rebuilds every rebuildable projection from sequence 1 and prints events per second,
//! against a raw batched PostgreSQL upsert of the same number of rows. It uses
//! `SKP_NATS_URL` and `SKP_DATABASE_URL` (loopback defaults) and deletes what it made.
//!
//! `cargo run --release -p skp-bench -- verify [EVENTS]` fills a stream the same way and
//! times `skp verify --all` over it (`skp_store::inspect::verify`): events per second,
//! and what that means for a national year.
//!
//! `cargo run --release -p skp-bench -- cold [EVENTS]` fills an isolated stream of the mixed
//! shape and measures replays and commands on its oldest appraisals (their blocks long out
//! of nats-server's cache) against its newest: p50, p99 and max.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod catchup;
mod cold;
mod commands;
mod contention;
mod cqrs;
mod generate;
mod http;
mod limits;
mod live;
mod memory;
mod periodic;
mod replay;
mod report;
mod scale;
mod servers;
mod service;

use report::Report;
use servers::{Durability, NatsServer};
use skp_projections::rebuild::rebuild;
use skp_projections::ReadStore;
use skp_api::config::Settings;
use skp_store::Metrics;
use skp_store::EventStore;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The sections of `all`, in the order they run.
const SECTIONS: [&str; 11] = ["limits", "commands", "http", "cqrs", "contention", "catchup", "replay", "live", "scale", "memory", "periodic"];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("all") => all(&args[1..]).await,
        Some("rebuild") => {
            let events = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(1_000_000u64);
            let shape = match args.get(2).map(String::as_str) {
                None | Some("uniform") => generate::Shape::Uniform,
                Some("mixed") => generate::Shape::Mixed,
                Some("periodic") => generate::Shape::Periodic,
                Some(other) => anyhow::bail!("unknown shape {other:?}: uniform, mixed or periodic"),
            };
            rebuild_bench(events, shape).await
        }
        Some("cold") => {
            let events = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(1_000_000u64);
            cold::run(events).await
        }
        Some("verify") => {
            let events = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(1_000_000u64);
            verify_bench(events).await
        }
        _ => {
            eprintln!("usage: skp-bench all [--quick] [--only SECTION,...] | rebuild [EVENTS] [uniform|mixed|periodic] | cold [EVENTS] | verify [EVENTS]\nsections: {}", SECTIONS.join(", "));
            std::process::exit(2);
        }
    }
}

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Commands per command-rate measurement.
    pub commands: usize,
    /// Events in the catch-up and replay stream.
    pub events: u64,
    /// Appraisals loaded for the replay quantiles.
    pub replay_samples: usize,
    /// Whether this is a `--quick` try-out.
    pub quick: bool,
}

impl Scale {
    fn new(quick: bool) -> Self {
        if quick {
            Self { commands: 2_000, events: 100_000, replay_samples: 300, quick }
        } else {
            Self { commands: 20_000, events: 1_000_000, replay_samples: 3_000, quick }
        }
    }
}

/// The raw limits measured by the `limits` section, per second.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Pipelined single appends with both headers, 1,024 in flight, lazy flush.
    pub lazy_pipelined: Option<f64>,
    /// The same with `sync_interval: always`.
    pub durable_pipelined: Option<f64>,
    /// Atomic batches of 100 (nats-server 2.12+), lazy flush.
    pub lazy_atomic: Option<f64>,
    /// Atomic batches of 100, `sync_interval: always`.
    pub durable_atomic: Option<f64>,
    /// PostgreSQL upserts, 1,000 rows per `UNNEST` statement with a checkpoint.
    pub pg_batched: Option<f64>,
    /// PostgreSQL upserts, one row per statement.
    pub pg_single: Option<f64>,
}

impl Limits {
    /// The raw append limit with lazy flush: the pipelined rate.
    pub fn lazy(&self) -> f64 {
        self.lazy_pipelined.unwrap_or(f64::NAN)
    }

    /// The best raw durable way: atomic batches where the server has them.
    pub fn durable(&self) -> f64 {
        match (self.durable_pipelined, self.durable_atomic) {
            (Some(p), Some(a)) => p.max(a),
            (Some(p), None) => p,
            (None, Some(a)) => a,
            (None, None) => f64::NAN,
        }
    }
}

/// What the sections share.
pub struct Ctx {
    /// How big the run is.
    pub scale: Scale,
    /// A private nats-server with the default lazy flush.
    pub lazy: NatsServer,
    /// A private nats-server with `sync_interval: always`.
    pub durable: NatsServer,
    /// The raw limits, once the `limits` section has run.
    pub limits: Limits,
    /// The highest command rate over HTTP with the projectors in-process (the `http`
    /// section, lazy), for `live`.
    pub http_max_rate: Option<f64>,
    /// The highest command rate over HTTP with the projectors in `skp-projector` (the `http`
    /// section, lazy), for `scale`.
    pub http_max_rate_elsewhere: Option<f64>,
    /// SKP's lazy in-process command rate (the `commands` section), for `http`.
    pub lazy_command_rate: Option<f64>,
    /// SKP's durable in-process command rate (the `commands` section), for `cqrs`.
    pub durable_command_rate: Option<f64>,
    /// The stream of `scale.events` events on `lazy` that `catchup` and `replay` share.
    pub filled: Option<generate::Filled>,
}

impl Ctx {
    /// The server of a durability.
    pub fn server(&self, durability: Durability) -> &NatsServer {
        match durability {
            Durability::Lazy => &self.lazy,
            Durability::Durable => &self.durable,
        }
    }
}

async fn all(args: &[String]) -> anyhow::Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<Vec<String>> = args.iter().position(|a| a == "--only").map(|i| {
        args.get(i + 1).map(|list| list.split(',').map(str::to_owned).collect()).unwrap_or_default()
    });
    if let Some(only) = &only {
        if let Some(unknown) = only.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
            anyhow::bail!("unknown section {unknown:?}; sections: {}", SECTIONS.join(", "));
        }
    }
    let scale = Scale::new(quick);
    let lazy = NatsServer::start(Durability::Lazy).await?;
    let durable = NatsServer::start(Durability::Durable).await?;
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    println!("# skp-bench all{}: nats-server {} (private, lazy and sync_interval: always), PostgreSQL at {}, {cores} cores",
        if quick { " --quick (not the benchmark)" } else { "" }, lazy.version, redact(&servers::database_url()));
    let mut ctx = Ctx { scale, lazy, durable, limits: Limits::default(), http_max_rate: None, http_max_rate_elsewhere: None, lazy_command_rate: None, durable_command_rate: None, filled: None };
    let mut report = Report::default();
    let started = Instant::now();
    for section in SECTIONS {
        // The limits are what every ratio divides by: they always run.
        let wanted = section == "limits" || only.as_ref().is_none_or(|o| o.iter().any(|s| s == section));
        if !wanted {
            continue;
        }
        println!("## {section}");
        let began = Instant::now();
        let outcome = match section {
            "limits" => limits::run(&mut ctx, &mut report).await,
            "commands" => commands::run(&mut ctx, &mut report).await,
            "http" => http::run(&mut ctx, &mut report).await,
            "cqrs" => cqrs::run(&mut ctx, &mut report).await,
            "contention" => contention::run(&mut ctx, &mut report).await,
            "catchup" => catchup::run(&mut ctx, &mut report).await,
            "replay" => replay::run(&mut ctx, &mut report).await,
            "live" => live::run(&mut ctx, &mut report).await,
            // Ministry scale (issue 16).
            "scale" => scale::run(&mut ctx, &mut report).await,
            "memory" => memory::run(&mut ctx, &mut report).await,
            // Periodic evaluation (issue 12).
            "periodic" => periodic::run(&mut ctx, &mut report).await,
            _ => unreachable!("SECTIONS names every section"),
        };
        if let Err(e) = outcome {
            report.figure("failed", section, format!("{e:#}"));
        }
        println!("  ({section}: {:.0} s)", began.elapsed().as_secs_f64());
    }
    if let Some(filled) = ctx.filled.take() {
        filled.delete().await;
    }
    println!("\n# skp-bench all: {:.0} s\n", started.elapsed().as_secs_f64());
    println!("{}", report.tables());
    Ok(())
}

/// A database URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Settings of an SKP instance of the run's own on `nats_url`: its own stream, subjects,
/// public stream and schema. `overrides` replaces any `SKP_*` variable.
pub fn isolated_on(nats_url: &str, overrides: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("SKP_NATS_URL".to_owned(), nats_url.to_owned()),
        ("SKP_DATABASE_URL".to_owned(), servers::database_url()),
        ("SKP_JWT_SECRET".to_owned(), BENCH_SECRET.to_owned()),
        ("SKP_STREAM".to_owned(), format!("SKP_BENCH_{tag}")),
        ("SKP_SUBJECT_PREFIX".to_owned(), format!("bench{tag}.skp.events")),
        ("SKP_DB_SCHEMA".to_owned(), format!("skp_bench_{tag}")),
        ("SKP_PUBLIC_STREAM".to_owned(), format!("SKP_BENCH_PUBLIC_{tag}")),
        ("SKP_PUBLIC_PREFIX".to_owned(), format!("bench{tag}.skp.public")),
        ("SKP_PROJECTOR_BATCH".to_owned(), "2000".to_owned()),
        ("SKP_AGGREGATE_CACHE".to_owned(), "1000000".to_owned()),
    ]);
    for (name, value) in overrides {
        vars.insert((*name).to_owned(), (*value).to_owned());
    }
    Ok(Settings::from_lookup(|name| vars.get(name).cloned())?)
}

/// The JWT secret of the run's service instances.
pub const BENCH_SECRET: &str = "bench-secret-not-a-secret-0123456789";

fn isolated() -> anyhow::Result<Settings> {
    let url = std::env::var("SKP_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    isolated_on(&url, &[])
}

async fn rebuild_bench(events: u64, shape: generate::Shape) -> anyhow::Result<()> {
    let settings = isolated()?;
    let store = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(10)).await?;
    let js = async_nats::jetstream::new(store.client().clone());
    println!("# SKP rebuild benchmark: {events} events of the {shape:?} shape, stream {}", settings.store.stream);
    let started = Instant::now();
    let filling = generate::fill_shaped(&js, store.subjects(), events, shape).await?;
    let written = filling.written;
    if filling.periodic > 0 {
        println!("of them {} periodic evaluations and corrections, {} finalized scores", filling.periodic, filling.finalized);
    }
    let fill = started.elapsed();
    println!("filled {written} events in {:.1} s ({:.0} events/s, pipelined raw publishes)", fill.as_secs_f64(), written as f64 / fill.as_secs_f64());

    let db = ReadStore::connect(settings.read.database_url.expose(), &settings.read.schema, 8).await?;
    let raw = raw_upsert_rate(&db, written).await?;
    println!("raw PostgreSQL upsert, 1,000 rows per UNNEST statement with a checkpoint: {raw:.0} rows/s");
    let projector_settings = settings.read.projector_settings(&settings.store);
    let (mut total, mut passes) = (Duration::ZERO, 0u64);
    println!("| projection | events | seconds | events/s | ratio to raw upsert |");
    println!("|---|---|---|---|---|");
    for projection in skp_projections::catalog::projections(&settings.read, store.client(), &settings.store).await?.iter().filter(|p| p.rebuildable()) {
        let report = rebuild(&db, &js, projection.as_ref(), &projector_settings).await?;
        total += report.elapsed;
        passes += 1;
        println!("| {} | {} | {:.1} | {:.0} | {:.2} |", projection.name(), report.events, report.elapsed.as_secs_f64(), report.rate(), report.rate() / raw);
    }
    println!("all rebuildable projections one after another: {:.1} s, {:.0} events/s per projection pass", total.as_secs_f64(), (written * passes) as f64 / total.as_secs_f64());
    cleanup(&settings, &js, &db).await
}

async fn verify_bench(events: u64) -> anyhow::Result<()> {
    let settings = isolated()?;
    let store = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(10)).await?;
    let js = async_nats::jetstream::new(store.client().clone());
    println!("# skp verify benchmark: {events} events, stream {}", settings.store.stream);
    let written = generate::fill(&js, store.subjects(), events).await?;
    let report = skp_cli::verify::verify(&settings.store, skp_cli::verify::Scope::All).await?;
    anyhow::ensure!(report.intact && report.events == written, "verify found {} of {written} events, intact {}", report.events, report.intact);
    println!(
        "verified {} events of {} aggregates in {:.1} s: {:.0} events/s; a national year (4 million appraisals of ~20 events) would take {:.0} min",
        report.events,
        report.aggregates,
        report.seconds,
        report.events_per_second,
        80_000_000.0 / report.events_per_second / 60.0
    );
    js.delete_stream(&settings.store.stream).await.ok();
    js.delete_stream(&settings.read.public_stream).await.ok();
    Ok(())
}

/// The physical limit the projections are compared with: batched upserts of `rows` rows of
/// about the size of a progress row, 1,000 per statement, each batch with a checkpoint
/// update in the same transaction.
async fn raw_upsert_rate(db: &ReadStore, rows: u64) -> anyhow::Result<f64> {
    let pool = db.pool();
    let table = format!("{}.raw_upsert", db.base());
    sqlx::query(&format!("CREATE TABLE {table} (id uuid PRIMARY KEY, status text NOT NULL, unit text NOT NULL, version bigint NOT NULL)")).execute(pool).await?;
    sqlx::query(&format!("CREATE TABLE {table}_ckpt (id int PRIMARY KEY, seq bigint NOT NULL)")).execute(pool).await?;
    sqlx::query(&format!("INSERT INTO {table}_ckpt VALUES (1, 0)")).execute(pool).await?;
    let ids: Vec<uuid::Uuid> = (0..rows / 10).map(|i| uuid::Uuid::from_u128(u128::from(i) + 1)).collect();
    let started = Instant::now();
    let mut done = 0u64;
    while done < rows {
        let batch: Vec<uuid::Uuid> = (0..1000).map(|i| ids[((done + i) % ids.len() as u64) as usize]).collect();
        let mut tx = pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO {table} SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bigint[]) \
             ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version"
        ))
        .bind(&batch)
        .bind(vec!["scored"; batch.len()])
        .bind(vec!["Bidang Pengembangan Pegawai"; batch.len()])
        .bind(vec![(done / 1000) as i64; batch.len()])
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!("UPDATE {table}_ckpt SET seq = $1 WHERE id = 1")).bind(done as i64).execute(&mut *tx).await?;
        tx.commit().await?;
        done += 1000;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

async fn cleanup(settings: &Settings, js: &async_nats::jetstream::Context, db: &ReadStore) -> anyhow::Result<()> {
    js.delete_stream(&settings.store.stream).await.ok();
    js.delete_stream(&settings.read.public_stream).await.ok();
    skp_projections::store::drop_base(db.pool(), db.base()).await?;
    Ok(())
}
