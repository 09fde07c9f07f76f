//! `skp-bench cold [EVENTS]` (issue 16, one national year): replays and commands on the
//! oldest appraisals of a long stream, against the same on its newest.
//!
//! Fills an isolated stream with about EVENTS events of the mixed shape (every fourth
//! appraisal 22 events, the others 6; the first appraisals are written first), so that by
//! the end of the fill the oldest appraisals' message blocks have long left nats-server's
//! cache while the newest were just written. Then, on the oldest and on the newest
//! appraisals, one at a time:
//! - `CommandBus::current::<Appraisal>` of a 22-event appraisal, aggregate cache cold (load,
//!   decode, check, apply): a replay as an inspector's or a command's first read sees it;
//! - a command on a 6-event appraisal, the rater giving feedback, with a cold aggregate cache:
//!   load, decide, seal and the append acknowledged.
//!
//! The oldest come first, before anything else reads the stream.

use crate::generate::{self, Filling, Shape};
use crate::report::Latencies;
use skp_domain::appraisal::{Appraisal, AppraisalCommand};
use skp_events::values::FeedbackAbout;
use skp_events::Nip;
use skp_store::{Clock, CommandBus, EventStore, Metrics};
use std::time::{Duration, Instant};

/// Appraisals sampled per kind and end of the stream.
const SAMPLES: u64 = 2_000;

pub async fn run(events: u64) -> anyhow::Result<()> {
    let settings = crate::isolated()?;
    let store = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(10)).await?;
    let js = async_nats::jetstream::new(store.client().clone());
    println!("# SKP cold appraisals: {events} events, stream {}", settings.store.stream);
    let started = Instant::now();
    let filling = generate::fill_shaped(&js, store.subjects(), events, Shape::Mixed).await?;
    println!("filled {} events ({} appraisals) in {:.1} s", filling.written, filling.appraisals, started.elapsed().as_secs_f64());
    let result = measure(&store, &filling).await;
    js.delete_stream(&settings.store.stream).await.ok();
    result
}

async fn measure(store: &EventStore, filling: &Filling) -> anyhow::Result<()> {
    let oldest_long: Vec<u64> = (0..filling.appraisals).filter(|&i| Filling::is_long(i)).take(SAMPLES as usize).collect();
    let newest_long: Vec<u64> = (0..filling.appraisals).rev().filter(|&i| Filling::is_long(i)).take(SAMPLES as usize).collect();
    let oldest_short: Vec<u64> = (0..filling.appraisals).filter(|&i| !Filling::is_long(i)).take(SAMPLES as usize).collect();
    let newest_short: Vec<u64> = (0..filling.appraisals).rev().filter(|&i| !Filling::is_long(i)).take(SAMPLES as usize).collect();
    println!("| what | appraisals | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    for (label, sample) in [("replay of a 22-event appraisal, oldest", &oldest_long), ("replay of a 22-event appraisal, newest", &newest_long)] {
        // A fresh bus per sample: every load is a cache miss.
        let bus = CommandBus::new(store.clone(), sample.len() + 1, 3, Clock::system(), Metrics::new());
        let mut latencies = Latencies::with_capacity(sample.len());
        for &i in sample {
            let began = Instant::now();
            let loaded = bus.current::<Appraisal>(filling.appraisal(i)).await?.events.len();
            latencies.push(began.elapsed());
            anyhow::ensure!(loaded == 22, "appraisal {i}: {loaded} events, 22 expected");
        }
        print_row(label, sample.len(), &latencies);
    }
    for (label, sample) in [("command (rater's feedback) on a 6-event appraisal, oldest", &oldest_short), ("command (rater's feedback) on a 6-event appraisal, newest", &newest_short)] {
        let bus = CommandBus::new(store.clone(), sample.len() + 1, 3, Clock::system(), Metrics::new());
        let mut latencies = Latencies::with_capacity(sample.len());
        for &i in sample {
            let (opened, _) = generate::opening_and_plan(filling.cycle, i);
            let rater: Nip = opened.rater.nip;
            let body = AppraisalCommand::GiveFeedback { about: FeedbackAbout::Results, text: "Pemantauan kinerja bulan ini".into(), indicator_id: None };
            let began = Instant::now();
            let committed = crate::commands::appraisal_command(&bus, filling.appraisal(i), "give_feedback", crate::commands::caller(rater), body).await?;
            latencies.push(began.elapsed());
            anyhow::ensure!(committed.version == 7, "appraisal {i}: version {} after the command, 7 expected", committed.version);
        }
        print_row(label, sample.len(), &latencies);
    }
    Ok(())
}

fn print_row(label: &str, n: usize, latencies: &Latencies) {
    println!("| {label} | {n} | {:.2} ms | {:.2} ms | {:.2} ms |", latencies.quantile(0.5), latencies.quantile(0.99), latencies.quantile(1.0));
}
