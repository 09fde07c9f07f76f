//! The `replay` section of `skp-bench all`: loading one appraisal of 22 events from the shared
//! filled stream (a million events on 100,000 subjects at full scale), the SKP way and the
//! raw ways on the same server, each over the same random sample of appraisals, visited in a
//! rotating order so that noise falls on every way alike.
//!
//! The SKP ways: `CommandBus::current::<Appraisal>` with a cold cache (what a command on an
//! uncached appraisal does first: load, decode, check versions, apply), and the event store's
//! `load_after(subject, 0)` alone. The raw ways, bodies received but not decoded: one batched
//! direct get (`$JS.API.DIRECT.GET.<stream>` with `{"seq", "next_by_subj", "batch"}`, read
//! up to its `204 EOB`), an ordered push consumer filtered on the subject (read until nothing
//! is pending), and an ephemeral pull consumer filtered on the subject (one no-wait fetch).
//! Consumers are deleted after each load, outside the timing. The best raw p99 is the limit.

use crate::generate::{self, Filling};
use crate::report::{Bound, Latencies, Report};
use crate::Ctx;
use async_nats::jetstream::consumer::{pull, push, AckPolicy, DeliverPolicy};
use bytes::Bytes;
use futures::StreamExt;
use skp_domain::appraisal::Appraisal;
use skp_store::Clock;
use skp_store::CommandBus;
use skp_store::Metrics;
use skp_store::EventStore;
use skp_events::AggregateType;
use std::time::{Duration, Instant};

const SECTION: &str = "replay";
/// Events of a long appraisal of the mixed fill.
const EXPECTED: usize = 22;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Current,
    LoadAfter,
    DirectBatch,
    Ordered,
    Pull,
}

impl Way {
    const ALL: [Way; 5] = [Way::Current, Way::LoadAfter, Way::DirectBatch, Way::Ordered, Way::Pull];

    fn label(self) -> &'static str {
        match self {
            Way::Current => "SKP CommandBus::current::<Appraisal>, cold cache (load, decode, apply)",
            Way::LoadAfter => "SKP EventStore::load_after(subject, 0) (batched direct get, undecoded)",
            Way::DirectBatch => "raw batched direct get ({\"batch\": 512, \"next_by_subj\"}) to 204 EOB",
            Way::Ordered => "raw ordered push consumer, filter_subject, until nothing pending",
            Way::Pull => "raw ephemeral pull consumer, filter_subject, one no-wait fetch",
        }
    }

    fn raw(self) -> bool {
        matches!(self, Way::DirectBatch | Way::Ordered | Way::Pull)
    }
}

/// A small deterministic generator, enough to pick a sample (no dependency for it).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `n` long appraisals (indices of the fill) in random order, each once while there are enough.
fn sample(filling: &Filling, n: usize, seed: u64) -> Vec<u64> {
    let mut longs: Vec<u64> = (0..filling.appraisals).filter(|&i| generate::Filling::is_long(i)).collect();
    let mut rng = XorShift(seed | 1);
    for i in (1..longs.len()).rev() {
        longs.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    (0..n).filter_map(|k| longs.get(k % longs.len().max(1)).copied()).collect()
}

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let filled = generate::filled(ctx).await?;
    let settings = filled.settings.clone();
    let filling = filled.filling.ok_or_else(|| anyhow::anyhow!("the stream is not filled"))?;
    let samples = ctx.scale.replay_samples;
    let store = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(10)).await?;
    let client = store.client().clone();
    let js = async_nats::jetstream::new(client.clone());
    let stream = js.get_stream(&settings.store.stream).await?;
    // A bus whose cache holds every sampled appraisal: each is loaded once, from nothing.
    let bus = CommandBus::new(store.clone(), samples + 1, 3, Clock::system(), Metrics::new());
    let api = format!("$JS.API.DIRECT.GET.{}", settings.store.stream);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64) ^ 0x9e37_79b9_7f4a_7c15;
    let targets = sample(&filling, samples, seed);
    anyhow::ensure!(!targets.is_empty(), "no appraisal of {EXPECTED} events in the stream");

    // One warm-up load each way (connections, first consumer creation), not counted.
    let warm = store.subjects().aggregate(AggregateType::Appraisal, filling.appraisal(1));
    let _ = store.load_after(&warm, 0).await?;

    let mut latencies: Vec<Latencies> = Way::ALL.iter().map(|_| Latencies::with_capacity(targets.len())).collect();
    for (k, &i) in targets.iter().enumerate() {
        let id = filling.appraisal(i);
        let subject = store.subjects().aggregate(AggregateType::Appraisal, id);
        for r in 0..Way::ALL.len() {
            let w = (k + r) % Way::ALL.len();
            let way = Way::ALL[w];
            let started = Instant::now();
            let (count, consumer) = match way {
                Way::Current => (bus.current::<Appraisal>(id).await?.events.len(), None),
                Way::LoadAfter => (store.load_after(&subject, 0).await?.len(), None),
                Way::DirectBatch => (direct_batch(&client, &api, &subject).await?, None),
                Way::Ordered => ordered(&stream, &client, &subject).await?,
                Way::Pull => pull_once(&stream, &subject).await?,
            };
            let elapsed = started.elapsed();
            if let Some(name) = consumer {
                let _ = stream.delete_consumer(&name).await;
            }
            anyhow::ensure!(count == EXPECTED, "{}: {count} events of appraisal {i}, {EXPECTED} expected", way.label());
            latencies[w].push(elapsed);
        }
    }

    for (way, l) in Way::ALL.iter().zip(&latencies) {
        report.figure(SECTION, format!("{} ({} loads of {EXPECTED} events)", way.label(), l.len()), l.summary());
    }
    let (best_way, best) = Way::ALL
        .iter()
        .zip(&latencies)
        .filter(|(w, _)| w.raw())
        .min_by(|a, b| a.1.quantile(0.99).total_cmp(&b.1.quantile(0.99)))
        .ok_or_else(|| anyhow::anyhow!("no raw way measured"))?;
    let skp = &latencies[0];
    report.figure(SECTION, "best raw way (lowest p99)", format!("{}: {}", best_way.label(), best.summary()));
    report.check(
        "replay one appraisal: SKP p99 / best raw p99",
        skp.quantile(0.99) / best.quantile(0.99),
        Bound::AtMost(1.5),
        format!("{:.2} ms of {:.2} ms (p50 {:.2} of {:.2} ms)", skp.quantile(0.99), best.quantile(0.99), skp.quantile(0.5), best.quantile(0.5)),
    );
    Ok(())
}

/// One batched direct get of every message on `subject`; how many came.
async fn direct_batch(client: &async_nats::Client, api: &str, subject: &str) -> anyhow::Result<usize> {
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await?;
    let request = serde_json::json!({ "seq": 1, "next_by_subj": subject, "batch": 512 }).to_string();
    client.publish_with_reply(api.to_owned(), inbox, Bytes::from(request)).await?;
    let mut bodies: Vec<Bytes> = Vec::new();
    while let Some(reply) = replies.next().await {
        match reply.status.map(|s| s.as_u16()) {
            Some(204) | Some(404) => return Ok(bodies.len()),
            Some(code) if code >= 300 => anyhow::bail!("direct get answered {code}"),
            _ => bodies.push(reply.payload),
        }
    }
    anyhow::bail!("connection closed during a direct get")
}

/// An ordered push consumer on `subject` from its first message until none is pending.
async fn ordered(stream: &async_nats::jetstream::stream::Stream, client: &async_nats::Client, subject: &str) -> anyhow::Result<(usize, Option<String>)> {
    let config = push::OrderedConfig {
        deliver_subject: client.new_inbox(),
        filter_subject: subject.to_owned(),
        deliver_policy: DeliverPolicy::All,
        ..Default::default()
    };
    let consumer = stream.create_consumer(config).await?;
    let name = consumer.cached_info().name.clone();
    let mut messages = consumer.messages().await?;
    let mut bodies: Vec<Bytes> = Vec::new();
    while let Some(message) = messages.next().await {
        let message = message?;
        let pending = message.info().map_err(|e| anyhow::anyhow!("{e}"))?.pending;
        bodies.push(message.message.payload.clone());
        if pending == 0 {
            break;
        }
    }
    Ok((bodies.len(), Some(name)))
}

/// An ephemeral pull consumer on `subject` and one no-wait fetch of up to 512 messages.
async fn pull_once(stream: &async_nats::jetstream::stream::Stream, subject: &str) -> anyhow::Result<(usize, Option<String>)> {
    let config = pull::Config {
        filter_subject: subject.to_owned(),
        deliver_policy: DeliverPolicy::All,
        ack_policy: AckPolicy::None,
        inactive_threshold: Duration::from_secs(30),
        ..Default::default()
    };
    let consumer = stream.create_consumer(config).await?;
    let name = consumer.cached_info().name.clone();
    let mut messages = consumer.fetch().max_messages(512).messages().await?;
    let mut bodies: Vec<Bytes> = Vec::new();
    while let Some(message) = messages.next().await {
        bodies.push(message.map_err(|e| anyhow::anyhow!("{e}"))?.message.payload.clone());
    }
    Ok((bodies.len(), Some(name)))
}
