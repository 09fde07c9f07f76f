//! Commands per second through `CommandBus::execute` in process, with group commit on and
//! off, against the raw append limits measured in the same run.
//!
//! Usage: `cargo run --release -p skp-services --example command_rate -- [NATS_URL] [COMMANDS] [CONCURRENCY]`
//! (defaults `nats://127.0.0.1:4222`, 20000, 256). It creates a stream of its own
//! (`SKP_RATE_<tag>`) and deletes it at the end.
//!
//! Figures printed:
//! - raw pipelined: single publishes with an expected subject sequence, 1,024 in flight;
//! - raw atomic batches of 100, one batch in flight (nats-server 2.12+ only);
//! - commands: opening COMMANDS appraisals in one cycle (each command loads its empty
//!   aggregate, decides, seals the envelope and appends it), then drafting a plan on each
//!   (the aggregate is in the bus's cache: decide, seal, append), CONCURRENCY callers at
//!   once, first with group commit off, then on (a new bus and stream each).

#![allow(clippy::print_stdout)]

use async_nats::jetstream::{self, context::Publish};
use async_nats::HeaderMap;
use skp_domain::appraisal::{self, Appraisal, AppraisalCommand, Command, OpenAppraisal};
use skp_domain::cycle::{Cycle, OpenCycle};
use skp_domain::{Caller, Decision, DomainError};
use skp_events::data::CycleOpened;
use skp_events::ids::appraisal_id;
use skp_events::values::{Indicator, Person, PlannedResult, Target};
use skp_events::Nip;
use skp_services::clock::Clock;
use skp_services::commands::{CommandBus, CommandMeta};
use skp_services::config::{GroupCommit, StoreSettings};
use skp_services::metrics::Metrics;
use skp_services::store::EventStore;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn settings(url: &str, group_commit: GroupCommit) -> StoreSettings {
    let tag = Uuid::new_v4().simple().to_string()[..12].to_owned();
    StoreSettings {
        nats_url: url.to_owned(),
        stream: format!("SKP_RATE_{tag}"),
        subject_prefix: format!("rate{tag}.skp.events"),
        replicas: 1,
        command_retries: 16,
        append_timeout: Duration::from_secs(10),
        cache_capacity: 1_000_000,
        group_commit,
        group_commit_min_batch: std::env::var("SKP_GROUP_COMMIT_MIN_BATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(16),
    }
}

fn nip(i: usize) -> Result<Nip, Failure> {
    let serial = i % 999 + 1;
    let day = (i / 999) % 28 + 1;
    let month = (i / (999 * 28)) % 12 + 1;
    let year = 1970 + i / (999 * 28 * 12);
    Ok(Nip::parse(&format!("{year:04}{month:02}{day:02}2015011{serial:03}"))?)
}

fn person(i: usize, name: &str) -> Result<Person, Failure> {
    Ok(Person { nip: nip(i)?, name: name.to_owned(), position: "Analis".to_owned(), unit: "Bidang Contoh".to_owned() })
}

fn admin() -> Result<Caller, Failure> {
    Ok(Caller { nip: Nip::parse("198812122010011005")?, admin: true, inspector: false })
}

fn meta(name: &'static str) -> Result<CommandMeta, Failure> {
    Ok(CommandMeta { command_id: Uuid::now_v7(), correlation_id: Uuid::now_v7(), caller: admin()?, name })
}

/// Opens a cycle, then `commands` appraisals in it with `concurrency` callers; commands/s.
/// Runs `run(0..count)` with `concurrency` callers; calls per second.
async fn phase<F, Fut>(count: usize, concurrency: usize, run: F) -> Result<f64, Failure>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), Failure>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, run) = (next.clone(), run.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return Ok::<(), Failure>(());
                    }
                    run(i).await?;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await??;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// Opens a cycle, then `commands` appraisals in it, then drafts a plan on each, with
/// `concurrency` callers: (opens/s, drafts/s, what the writer did).
async fn commands(url: &str, group_commit: GroupCommit, commands: usize, concurrency: usize) -> Result<(f64, f64, String), Failure> {
    let settings = settings(url, group_commit);
    let metrics = Metrics::new();
    let client = async_nats::connect(url).await?;
    let store = EventStore::with_client(client.clone(), &settings, metrics.clone()).await?;
    let batching = store.group_commit();
    let bus = Arc::new(CommandBus::new(store, settings.cache_capacity, settings.command_retries, Clock::system(), metrics.clone()));
    let cycle_id = Uuid::now_v7();
    let open_cycle = OpenCycle {
        command_id: Uuid::now_v7(),
        cycle: CycleOpened {
            organization: "Badan Kepegawaian Daerah Kota Contoh".into(),
            year: 2026,
            plan_due: time::macros::date!(2026 - 01 - 31),
            objection_window_days: 14,
            decision_window_days: 14,
        },
    };
    bus.execute::<Cycle>(cycle_id, &meta("open_cycle")?, |state, ctx| state.decide_open(&open_cycle, ctx)).await?;
    let cycle = Arc::new(bus.current::<Cycle>(cycle_id).await?.state);
    let rater = person(1_000_000, "Penilai")?;
    let superior = person(1_000_001, "Atasan Penilai")?;
    let open_rate = phase(commands, concurrency, {
        let (bus, cycle) = (bus.clone(), cycle.clone());
        move |i| {
            let (bus, cycle, rater, superior) = (bus.clone(), cycle.clone(), rater.clone(), superior.clone());
            async move {
                let employee = person(i, "Pegawai")?;
                let id = appraisal_id(cycle_id, &employee.nip);
                let meta = meta("open_appraisal")?;
                let command = OpenAppraisal { command_id: meta.command_id, employee, rater, rater_superior: superior };
                let decide = |state: &Appraisal, ctx: &skp_domain::Ctx| -> Result<Decision, DomainError> { appraisal::decide_open(state, &cycle, &command, ctx) };
                bus.execute::<Appraisal>(id, &meta, decide).await?;
                Ok(())
            }
        }
    })
    .await?;
    let plan = Arc::new(vec![PlannedResult {
        id: "rhk-1".into(),
        description: "Dokumen perencanaan tersusun tepat waktu".into(),
        indicators: vec![Indicator { id: "iki-1".into(), description: "Dokumen selesai".into(), target: Target { value: 12, unit: "dokumen".into() } }],
    }]);
    let draft_rate = phase(commands, concurrency, {
        let bus = bus.clone();
        move |i| {
            let (bus, plan) = (bus.clone(), plan.clone());
            async move {
                let employee = nip(i)?;
                let id = appraisal_id(cycle_id, &employee);
                let meta = CommandMeta { command_id: Uuid::now_v7(), correlation_id: Uuid::now_v7(), caller: Caller { nip: employee, admin: false, inspector: false }, name: "draft_plan" };
                let command = Command { id: meta.command_id, body: AppraisalCommand::DraftPlan { results: plan.as_ref().clone() } };
                bus.execute::<Appraisal>(id, &meta, |state, ctx| appraisal::decide(state, &command, ctx)).await?;
                Ok(())
            }
        }
    })
    .await?;
    let text = metrics.render();
    let value = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(0.0);
    let (sum, count) = (value("skp_append_batch_size_sum"), value("skp_append_batch_size_count"));
    let detail = if batching {
        format!("{count} publishes, mean batch {:.1}, {} fallbacks", sum / count.max(1.0), value("skp_append_batch_fallbacks_total"))
    } else {
        "single appends".to_owned()
    };
    jetstream::new(client).delete_stream(&settings.stream).await?;
    Ok((open_rate, draft_rate, detail))
}

fn headers(msg_id: String) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", msg_id);
    headers.insert("Nats-Expected-Last-Subject-Sequence", "0");
    headers
}

/// Raw limits on a fresh stream: pipelined single publishes, and atomic batches of 100.
async fn raw(url: &str, messages: usize) -> Result<(f64, Option<f64>), Failure> {
    let settings = settings(url, GroupCommit::Always);
    let client = async_nats::connect(url).await?;
    let store = EventStore::with_client(client.clone(), &settings, Metrics::new()).await?;
    let js = jetstream::new(client.clone());
    let payload = bytes::Bytes::from(vec![b'x'; 600]);
    let started = Instant::now();
    let mut in_flight = std::collections::VecDeque::new();
    for i in 0..messages {
        let publish = Publish::build().payload(payload.clone()).headers(headers(format!("p{i}")));
        in_flight.push_back(js.send_publish(format!("{}.raw.p{i}", settings.subject_prefix), publish).await?);
        if in_flight.len() >= 1024 {
            if let Some(ack) = in_flight.pop_front() {
                ack.await?;
            }
        }
    }
    for ack in in_flight {
        ack.await?;
    }
    let pipelined = messages as f64 / started.elapsed().as_secs_f64();
    let atomic = if store.group_commit() {
        let started = Instant::now();
        for b in 0..messages / 100 {
            let id = Uuid::new_v4().simple().to_string();
            for k in 0..100 {
                let mut h = headers(format!("b{b}-{k}"));
                h.insert("Nats-Batch-Id", id.as_str());
                h.insert("Nats-Batch-Sequence", (k + 1).to_string());
                let subject = format!("{}.raw.b{b}-{k}", settings.subject_prefix);
                if k == 99 {
                    h.insert("Nats-Batch-Commit", "1");
                    js.send_publish(subject, Publish::build().payload(payload.clone()).headers(h)).await?.await?;
                } else {
                    client.publish_with_headers(subject, h, payload.clone()).await?;
                }
            }
        }
        Some((messages / 100 * 100) as f64 / started.elapsed().as_secs_f64())
    } else {
        None
    };
    js.delete_stream(&settings.stream).await?;
    Ok((pipelined, atomic))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "nats://127.0.0.1:4222".into());
    let count: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(20_000);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(256);
    let client = async_nats::connect(url.as_str()).await?;
    println!("nats-server {} at {url}; {count} commands, {concurrency} callers", client.server_info().version);
    let (pipelined, atomic) = raw(&url, count).await?;
    println!("raw pipelined publishes (1,024 in flight): {pipelined:>9.0} /s");
    match atomic {
        Some(rate) => println!("raw atomic batches of 100 (one in flight): {rate:>9.0} /s"),
        None => println!("raw atomic batches: not supported by this server"),
    }
    let limit = atomic.unwrap_or(pipelined).max(pipelined);
    for (group_commit, label) in [(GroupCommit::Off, "off   "), (GroupCommit::Adaptive, "on    "), (GroupCommit::Always, "always")] {
        let (open, draft, detail) = commands(&url, group_commit, count, concurrency).await?;
        println!("group commit {label}: open_appraisal {open:>7.0} /s ({:.2} of {limit:.0}), draft_plan {draft:>7.0} /s ({:.2})  [{detail}]", open / limit, draft / limit);
    }
    Ok(())
}
