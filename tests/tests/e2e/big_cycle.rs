//! A cycle whose raters alone would have passed 1 MB in the progress document before issue 16
//! (6,000 raters with long names, one appraisal each, in 300 units), filled through the
//! in-process command bus: the progress document, every live message on
//! `skp.live.cycle.<id>` and every SSE event stay under 64 KB, and the units and raters routes
//! page through every group exactly once.

use crate::common::*;
use futures::StreamExt;
use serde_json::Value;
use skp_domain::appraisal::{self, Appraisal, OpenAppraisal};
use skp_domain::cycle::Cycle;
use skp_domain::{Caller, Decision, DomainError};
use skp_events::values::Person;
use skp_events::Nip;
use skp_store::CommandMeta;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// The contract's bound on the progress document, its SSE events and live messages.
pub const MAX_DOCUMENT: usize = 64 * 1024;

/// The `i`-th person's NIP (valid and distinct for every `i` below 300,000).
pub fn nip_of(i: usize) -> Nip {
    let (serial, day, month) = (i % 999 + 1, (i / 999) % 28 + 1, (i / (999 * 28)) % 12 + 1);
    Nip::parse(&format!("{:04}{month:02}{day:02}2015011{serial:03}", 1970 + i / (999 * 28 * 12))).unwrap()
}

fn person(i: usize, name: String, unit: &str) -> Person {
    Person { nip: nip_of(i), name, position: "Analis Sumber Daya Manusia Aparatur Ahli Muda".into(), unit: unit.into() }
}

/// Opens `appraisals` appraisals in `cycle` through the in-process command bus, the `i`-th
/// employee rated by rater `i % raters` (a long name, so that the old document's rater list
/// was heavy) in unit `<unit_prefix> <i % units>`.
pub async fn fill(app: &TestApp, cycle: &str, appraisals: usize, raters: usize, (unit_prefix, units): (&str, usize)) {
    let bus = app.app_state.bus.clone();
    let cycle_id: Uuid = cycle.parse().unwrap();
    let state = Arc::new(bus.current::<Cycle>(cycle_id).await.unwrap().state);
    let admin = Caller { nip: Nip::parse(ADMIN).unwrap(), admin: true, inspector: false, service_desk: false };
    futures::stream::iter(0..appraisals)
        .map(|i| {
            let (bus, state, admin) = (bus.clone(), state.clone(), admin.clone());
            async move {
                let unit = format!("{unit_prefix} {:04}", i % units);
                let rater = i % raters;
                let rater_name = format!("Dr. Raden Mas Penilai Kinerja Pegawai Aparatur Sipil Negara Nomor {rater:05}, S.E., M.Si.");
                let employee = person(100_000 + i, format!("Pegawai {i}"), &unit);
                let meta = CommandMeta { command_id: Uuid::now_v7(), correlation_id: Uuid::now_v7(), caller: admin, name: "open_appraisal", digest: None };
                let command = OpenAppraisal { command_id: meta.command_id, employee: employee.clone(), rater: person(rater, rater_name, &unit), rater_superior: person(299_999, "Atasan".into(), "Sekretariat") };
                let id = skp_events::ids::appraisal_id(cycle_id, &employee.nip);
                let decide = |s: &Appraisal, ctx: &skp_domain::Ctx| -> Result<Decision, DomainError> { appraisal::decide_open(s, &state, &command, ctx) };
                bus.execute::<Appraisal>(id, &meta, decide).await.unwrap().stream_sequence
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<u64>>()
        .await;
}

/// The largest message seen and the last one.
#[derive(Default)]
struct Seen {
    largest: usize,
    count: usize,
    last: Option<Value>,
    changed_units_max: usize,
}

impl Seen {
    fn saw(&mut self, bytes: &[u8]) {
        self.largest = self.largest.max(bytes.len());
        self.count += 1;
        let message: Value = serde_json::from_slice(bytes).unwrap();
        self.changed_units_max = self.changed_units_max.max(message["changed_units"].as_array().map_or(0, Vec::len));
        self.last = Some(message);
    }
}

/// Reads `event: progress` data from an SSE response into `seen`.
async fn read_sse(response: reqwest::Response, seen: Arc<Mutex<Seen>>) {
    let mut buffer = String::new();
    let mut body = response.bytes_stream();
    while let Some(Ok(chunk)) = body.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.lines().any(|l| l == "event: progress") {
                let data: String = block.lines().filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:"))).collect();
                seen.lock().unwrap().saw(data.as_bytes());
            }
        }
    }
}

/// Waits (up to `within`) until `seen`'s last message counts `total` appraisals.
async fn until_total(seen: &Arc<Mutex<Seen>>, total: usize, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if seen.lock().unwrap().last.as_ref().is_some_and(|m| m["total"] == total) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "no live message with the total {total}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every group of `kind` page by page: their keys and the bytes of their JSON.
async fn page_through(app: &TestApp, cycle: &str, kind: &str, limit: usize) -> (Vec<String>, usize) {
    let (mut keys, mut bytes) = (Vec::new(), 0);
    for page in 1.. {
        let answer = app.get(&format!("/v1/cycles/{cycle}/{kind}?page={page}&limit={limit}")).await.expect(200);
        let items = answer["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        assert!(items.len() <= limit);
        bytes += items.iter().map(|i| i.to_string().len()).sum::<usize>();
        keys.extend(items.iter().map(|i| i["key"].as_str().unwrap().to_owned()));
    }
    (keys, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cycle_whose_raters_would_pass_a_megabyte_keeps_its_progress_and_live_messages_under_64_kb() {
    const APPRAISALS: usize = 6_000;
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence=1")).await.expect(200);
    let nats = app.nats().await;
    let mut live = nats.subscribe(app.app_state.bus.store().subjects().live_cycle(cycle.parse().unwrap())).await.unwrap();
    nats.flush().await.unwrap();
    let on_nats = Arc::new(Mutex::new(Seen::default()));
    let collector = {
        let seen = on_nats.clone();
        tokio::spawn(async move {
            while let Some(message) = live.next().await {
                seen.lock().unwrap().saw(&message.payload);
            }
        })
    };
    let sse = app.http.get(app.url(&format!("/v1/cycles/{cycle}/progress/stream"))).bearer_auth(app.token(ADMIN, &["admin"])).send().await.unwrap();
    assert_eq!(sse.status(), 200);
    let on_sse = Arc::new(Mutex::new(Seen::default()));
    let reader = tokio::spawn(read_sse(sse, on_sse.clone()));

    fill(&app, &cycle, APPRAISALS, APPRAISALS, ("Bidang Pelayanan Administrasi Kepegawaian Wilayah", 300)).await;
    let last = async_nats::jetstream::new(nats.clone()).get_stream(&app.settings.store.stream).await.unwrap().info().await.unwrap().state.last_sequence;
    let answer = app.http.get(app.url(&format!("/v1/cycles/{cycle}/progress?min_sequence={last}"))).bearer_auth(app.token(ADMIN, &["admin"])).send().await.unwrap();
    let document = answer.bytes().await.unwrap();
    let progress: Value = serde_json::from_slice(&document).unwrap();
    assert_eq!((progress["total"].as_u64(), progress["raters"]["count"].as_u64(), progress["units"]["count"].as_u64()), (Some(6_000), Some(6_000), Some(300)));
    assert!(document.len() < MAX_DOCUMENT, "the progress document is {} bytes", document.len());

    until_total(&on_nats, APPRAISALS, Duration::from_secs(30)).await;
    until_total(&on_sse, APPRAISALS, Duration::from_secs(30)).await;
    for (what, seen) in [("live subject", &on_nats), ("SSE", &on_sse)] {
        let seen = seen.lock().unwrap();
        assert!(seen.largest < MAX_DOCUMENT, "the largest {what} message is {} bytes", seen.largest);
        assert!(seen.changed_units_max <= skp_projections::progress::LIVE_CHANGED_UNITS_MAX, "{what}: {} changed units", seen.changed_units_max);
        eprintln!("{what}: {} messages, the largest {} bytes", seen.count, seen.largest);
    }

    // For the record (printed, never asserted): the summary's latency and size on this cycle.
    let mut took: Vec<Duration> = Vec::new();
    for _ in 0..50 {
        let began = std::time::Instant::now();
        app.get(&format!("/v1/cycles/{cycle}/progress")).await.expect(200);
        took.push(began.elapsed());
    }
    took.sort();
    eprintln!("progress document: {} bytes; GET over HTTP p50 {:?}, max {:?} (50 calls)", document.len(), took[25], took[49]);
    let (raters, bytes) = page_through(&app, &cycle, "raters", 1000).await;
    assert!(bytes > 1_000_000, "the raters alone are {bytes} bytes of JSON: the old document would have passed 1 MB");
    assert_eq!(raters.len(), APPRAISALS, "every rater once");
    assert_eq!(raters.iter().collect::<BTreeSet<_>>().len(), APPRAISALS, "no rater twice");
    assert!(raters.windows(2).all(|w| w[0] < w[1]), "by key");
    let (units, _) = page_through(&app, &cycle, "units", 7).await;
    assert_eq!(units.iter().collect::<BTreeSet<_>>().len(), 300);
    assert_eq!(units.len(), 300);
    collector.abort();
    reader.abort();
}
