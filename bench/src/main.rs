//! `skp-bench`: benchmark programs that print figures and ratios (BENCHMARKS.md).
//!
//! `cargo run --release -p skp-bench -- rebuild [EVENTS]` fills an isolated stream with
//! EVENTS realistic events (default 1,000,000: appraisals of ten events each, hash-chained),
//! then rebuilds every rebuildable projection from sequence 1 and prints events per second,
//! against a raw batched PostgreSQL upsert of the same number of rows. It uses
//! `SKP_NATS_URL` and `SKP_DATABASE_URL` (loopback defaults) and deletes what it made.
//!
//! `cargo run --release -p skp-bench -- verify [EVENTS]` fills a stream the same way and
//! times `skp verify --all` over it (`skp_services::inspect::verify`): events per second,
//! and what that means for a national year.

#![allow(clippy::print_stdout)]

mod generate;

use skp_projections::rebuild::rebuild;
use skp_projections::ReadStore;
use skp_services::config::Settings;
use skp_services::metrics::Metrics;
use skp_services::readmodels;
use skp_services::store::EventStore;
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("rebuild") => {
            let events = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(1_000_000u64);
            rebuild_bench(events).await
        }
        Some("verify") => {
            let events = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(1_000_000u64);
            verify_bench(events).await
        }
        _ => {
            eprintln!("usage: skp-bench rebuild [EVENTS] | verify [EVENTS]");
            std::process::exit(2);
        }
    }
}

fn isolated() -> anyhow::Result<Settings> {
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let vars: HashMap<&str, String> = HashMap::from([
        ("SKP_NATS_URL", std::env::var("SKP_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())),
        ("SKP_DATABASE_URL", std::env::var("SKP_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())),
        ("SKP_JWT_SECRET", "bench-secret-not-used-0123456789".into()),
        ("SKP_STREAM", format!("SKP_BENCH_{tag}")),
        ("SKP_SUBJECT_PREFIX", format!("bench{tag}.skp.events")),
        ("SKP_DB_SCHEMA", format!("skp_bench_{tag}")),
        ("SKP_PUBLIC_STREAM", format!("SKP_BENCH_PUBLIC_{tag}")),
        ("SKP_PUBLIC_PREFIX", format!("bench{tag}.skp.public")),
        ("SKP_PROJECTOR_BATCH", "2000".into()),
    ]);
    Ok(Settings::from_lookup(|name| vars.get(name).cloned())?)
}

async fn rebuild_bench(events: u64) -> anyhow::Result<()> {
    let settings = isolated()?;
    let store = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(10)).await?;
    let js = async_nats::jetstream::new(store.client().clone());
    println!("# SKP rebuild benchmark: {events} events, stream {}", settings.store.stream);
    let started = Instant::now();
    let written = generate::fill(&js, store.subjects(), events).await?;
    let fill = started.elapsed();
    println!("filled {written} events in {:.1} s ({:.0} events/s, pipelined raw publishes)", fill.as_secs_f64(), written as f64 / fill.as_secs_f64());

    let db = ReadStore::connect(settings.database_url.expose(), &settings.read.schema, 8).await?;
    let raw = raw_upsert_rate(&db, written).await?;
    println!("raw PostgreSQL upsert, 1,000 rows per UNNEST statement with a checkpoint: {raw:.0} rows/s");
    let projector_settings = readmodels::projector_settings(&settings, &store);
    let mut total = Duration::ZERO;
    println!("| projection | events | seconds | events/s | ratio to raw upsert |");
    println!("|---|---|---|---|---|");
    for projection in readmodels::projections(&settings, &store).await?.iter().filter(|p| p.rebuildable()) {
        let report = rebuild(&db, &js, projection.as_ref(), &projector_settings).await?;
        total += report.elapsed;
        println!("| {} | {} | {:.1} | {:.0} | {:.2} |", projection.name(), report.events, report.elapsed.as_secs_f64(), report.rate(), report.rate() / raw);
    }
    println!("all rebuildable projections one after another: {:.1} s, {:.0} events/s per projection pass", total.as_secs_f64(), (written * 3) as f64 / total.as_secs_f64());
    cleanup(&settings, &js, &db).await
}

async fn verify_bench(events: u64) -> anyhow::Result<()> {
    let settings = isolated()?;
    let store = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(10)).await?;
    let js = async_nats::jetstream::new(store.client().clone());
    println!("# skp verify benchmark: {events} events, stream {}", settings.store.stream);
    let written = generate::fill(&js, store.subjects(), events).await?;
    let report = skp_services::inspect::verify(&settings, skp_services::inspect::Scope::All).await?;
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
    let like = format!("{}%", db.base());
    let schemas: Vec<(String,)> = sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1").bind(like).fetch_all(db.pool()).await?;
    for (schema,) in schemas {
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(db.pool()).await?;
    }
    Ok(())
}
