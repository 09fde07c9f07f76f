//! Group commit: concurrent appends go out as atomic batches (nats-server 2.12+), a refused
//! batch falls back to single appends, and nothing is lost or stored twice.
//!
//! Atomic batches need nats-server 2.12 or newer. Each test starts a private one: the binary
//! in SKP_TEST_NATS_SERVER_DURABLE or SKP_TEST_NATS_SERVER when it is new enough, else the
//! one `skp_nats_server_bin durable` (scripts/lib.sh) finds or installs. `scripts/test`
//! provides one, so under `CI=true` a missing one fails these tests; elsewhere (a developer's
//! `cargo test` without it) they say so loudly and return.

use async_nats::jetstream;
use crate::common::nats_process::NatsProcess;
use crate::common::*;
use futures::future::join_all;
use serde_json::json;
use skp_store::GroupCommit;
use skp_store::Metrics;
use skp_store::{Append, EventStore, StoreError};
use std::collections::HashSet;
use std::sync::OnceLock;

/// A nats-server binary with atomic batch publish, or None.
fn atomic_server() -> Option<&'static str> {
    static FOUND: OnceLock<Option<String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let mut candidates: Vec<String> =
                ["SKP_TEST_NATS_SERVER_DURABLE", "SKP_TEST_NATS_SERVER"].iter().filter_map(|name| std::env::var(name).ok()).collect();
            let lib = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/lib.sh");
            let found = std::process::Command::new("bash").args(["-c", &format!("source '{lib}'; skp_nats_server_bin durable")]).output();
            if let Ok(out) = found {
                candidates.push(String::from_utf8_lossy(&out.stdout).trim().to_owned());
            }
            candidates.into_iter().find(|bin| version_of(bin).is_some_and(|v| v >= (2, 12)))
        })
        .as_deref()
}

fn version_of(bin: &str) -> Option<(u64, u64)> {
    let out = std::process::Command::new(bin).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.trim().rsplit(' ').next()?.trim_start_matches('v').to_owned();
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    Some((parts.next()??, parts.next()??))
}

/// A private nats-server with atomic batches, or None (after a loud message) outside CI.
///
/// # Panics
/// Under `CI=true` when there is none: what CI proves must not pass by doing nothing.
fn start_atomic_server(test: &str) -> Option<NatsProcess> {
    let Some(bin) = atomic_server() else {
        let missing = format!("no nats-server 2.12+ for {test} (SKP_TEST_NATS_SERVER_DURABLE, SKP_TEST_NATS_SERVER, skp_nats_server_bin durable)");
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{missing}: scripts/test provides one, so CI fails here");
        eprintln!("\n!!!!! SKIPPED: {missing} !!!!!\n");
        return None;
    };
    Some(NatsProcess::start_with(bin))
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0)
}

async fn store_on(nats: &NatsProcess, group_commit: GroupCommit) -> (EventStore, Metrics, String) {
    let mut settings = isolated_settings(&nats.url()).store;
    settings.group_commit = group_commit;
    let metrics = Metrics::new();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let store = EventStore::with_client(client, &settings, metrics.clone()).await.unwrap();
    (store, metrics, settings.subject_prefix)
}

fn subject(prefix: &str, i: usize) -> String {
    format!("{prefix}.appraisal.{}", uuid::Uuid::from_u128(i as u128))
}

async fn append(store: &EventStore, subject: &str, body: String, message_id: &str, expected: u64) -> Result<skp_store::Appended, StoreError> {
    store
        .append(Append { subject, body: body.into(), event_type: "FeedbackGiven", schema_version: 1, message_id, expected_last_subject_seq: expected, command: None, digest: None })
        .await
}

#[tokio::test]
async fn concurrent_appends_on_different_subjects_go_out_in_atomic_batches_each_stored_once() {
    let Some(nats) = start_atomic_server("concurrent_appends_go_out_in_atomic_batches") else { return };
    let (store, metrics, prefix) = store_on(&nats, GroupCommit::Always).await;
    assert!(store.group_commit(), "a 2.12+ server with group commit on batches");

    let n = 200;
    let subjects: Vec<String> = (0..n).map(|i| subject(&prefix, i)).collect();
    let ids: Vec<String> = (0..n).map(|i| format!("first-{i}")).collect();
    let answers = join_all((0..n).map(|i| append(&store, &subjects[i], format!("{{\"n\":{i}}}"), &ids[i], 0))).await;
    let seqs: Vec<u64> = answers.into_iter().map(|a| a.expect("every append acknowledged")).map(|a| {
        assert!(!a.duplicate);
        a.stream_seq
    }).collect();
    assert_eq!(seqs.iter().collect::<HashSet<_>>().len(), n, "each append has its own sequence");
    let text = metrics.render();
    let (sum, count) = (metric(&text, "skp_append_batch_size_sum"), metric(&text, "skp_append_batch_size_count"));
    assert!(sum as usize == n && count < sum, "appends went out in batches of more than one: {count} publishes for {sum} appends");
    assert_eq!(metric(&text, "skp_append_batch_fallbacks_total"), 0.0);

    // Each caller's sequence is where its own message is: its subject, its body.
    let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let stream = js.get_stream(store.stream_name()).await.unwrap();
    for (i, seq) in seqs.iter().enumerate() {
        let message = stream.get_raw_message(*seq).await.unwrap();
        assert_eq!(message.subject.as_str(), subjects[i]);
        assert_eq!(&message.payload[..], format!("{{\"n\":{i}}}").as_bytes());
        assert_eq!(message.headers.get(async_nats::header::NATS_MESSAGE_ID).map(|h| h.as_str()), Some(ids[i].as_str()), "{:?}", message.headers);
        assert_eq!(message.headers.get("Skp-Event-Type").unwrap().as_str(), "FeedbackGiven");
    }
    assert_eq!(store.last_sequence().await.unwrap(), n as u64, "nothing stored twice, nothing else stored");

    // A lost acknowledgement: the identical appends again are recognised, nothing new stored.
    let again = join_all((0..n).map(|i| append(&store, &subjects[i], format!("{{\"n\":{i}}}"), &ids[i], 0))).await;
    for (i, answer) in again.into_iter().enumerate() {
        match answer {
            Ok(a) => assert!(a.duplicate, "append {i} stored twice at {}", a.stream_seq),
            Err(StoreError::WrongLastSequence) => {}
            Err(e) => panic!("append {i}: {e}"),
        }
    }
    assert_eq!(store.last_sequence().await.unwrap(), n as u64, "the retried appends stored nothing");
}

#[tokio::test]
async fn a_batch_with_one_stale_expected_sequence_falls_back_and_only_that_append_conflicts() {
    let Some(nats) = start_atomic_server("a_batch_with_one_stale_expected_sequence_falls_back") else { return };
    let (store, metrics, prefix) = store_on(&nats, GroupCommit::Always).await;
    let n = 50;
    let subjects: Vec<String> = (0..n).map(|i| subject(&prefix, i)).collect();
    // Every subject gets its first message.
    let first_ids: Vec<String> = (0..n).map(|i| format!("a-{i}")).collect();
    let first = join_all((0..n).map(|i| append(&store, &subjects[i], "{}".into(), &first_ids[i], 0))).await;
    let last: Vec<u64> = first.into_iter().map(|a| a.unwrap().stream_seq).collect();

    // Then a second message on each, all at once; one of them expects the subject empty.
    let stale = 17;
    let ids: Vec<String> = (0..n).map(|i| format!("b-{i}")).collect();
    let second = join_all((0..n).map(|i| {
        let expected = if i == stale { 0 } else { last[i] };
        append(&store, &subjects[i], format!("{{\"second\":{i}}}"), &ids[i], expected)
    }))
    .await;
    let text = metrics.render();
    assert!(metric(&text, "skp_append_batch_fallbacks_total") >= 1.0, "the refused batch fell back: {text}");
    let mut stored = HashSet::new();
    for (i, answer) in second.into_iter().enumerate() {
        if i == stale {
            assert!(matches!(answer, Err(StoreError::WrongLastSequence)), "the stale append conflicts: {answer:?}");
        } else {
            let a = answer.unwrap_or_else(|e| panic!("append {i} refused: {e}"));
            assert!(!a.duplicate);
            assert!(stored.insert(a.stream_seq));
        }
    }
    assert_eq!(store.last_sequence().await.unwrap(), (2 * n - 1) as u64, "all but the stale one stored, once");
}

#[tokio::test]
async fn fewer_appends_than_the_minimum_batch_go_out_as_single_appends() {
    let Some(nats) = start_atomic_server("fewer_appends_than_the_minimum_batch_go_out_as_single_appends") else { return };
    let (store, metrics, prefix) = store_on(&nats, GroupCommit::Always).await;
    let n = 5;
    let subjects: Vec<String> = (0..n).map(|i| subject(&prefix, i)).collect();
    let ids: Vec<String> = (0..n).map(|i| format!("m-{i}")).collect();
    let answers = join_all((0..n).map(|i| append(&store, &subjects[i], "{}".into(), &ids[i], 0))).await;
    let seqs: HashSet<u64> = answers.into_iter().map(|a| a.unwrap().stream_seq).collect();
    assert_eq!(seqs.len(), n);
    let text = metrics.render();
    assert_eq!(metric(&text, "skp_append_batch_size_count"), n as f64, "five publishes of one: {text}");
    assert_eq!(metric(&text, "skp_append_batch_size_sum"), n as f64);
}

#[tokio::test]
async fn with_group_commit_off_every_append_is_its_own_publish() {
    let Some(nats) = start_atomic_server("with_group_commit_off_every_append_is_its_own_publish") else { return };
    let (store, metrics, prefix) = store_on(&nats, GroupCommit::Off).await;
    assert!(!store.group_commit());
    let subjects: Vec<String> = (0..20).map(|i| subject(&prefix, i)).collect();
    let ids: Vec<String> = (0..20).map(|i| format!("m-{i}")).collect();
    let answers = join_all((0..20).map(|i| append(&store, &subjects[i], "{}".into(), &ids[i], 0))).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(metric(&metrics.render(), "skp_append_batch_size_count"), 0.0, "no batch was sent");
}

/// Two instances race on the same appraisals: each instance's stale appends ride in batches
/// with fresh ones; the refused batches fall back, the command bus reloads and decides again,
/// and every history ends contiguous with a valid chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stale_commands_in_a_batch_are_retried_by_the_command_bus_and_nothing_is_lost() {
    let Some(nats) = start_atomic_server("stale_commands_in_a_batch_are_retried_by_the_command_bus") else { return };
    let mut settings = isolated_settings(&nats.url());
    // Two racing instances on 16 appraisals gather fewer than the default 16 appends at once.
    settings.store.group_commit_min_batch = 2;
    // Batches whatever this machine's disk: the test is about what a refused batch does.
    settings.store.group_commit = GroupCommit::Always;
    let first = spawn_with(settings, skp_store::Clock::adjustable(), true).await;
    let second = spawn_peer(&first).await;
    assert!(first.app_state.bus.store().group_commit());
    let cycle = first.open_cycle().await;
    let mut ids = vec![];
    for i in 1..=16 {
        ids.push(first.agreed_appraisal_in(&cycle, &format!("1990010120150110{i:02}")).await);
    }
    let fallbacks = || {
        [&first, &second].iter().map(|app| metric(&app.app_state.metrics.render(), "skp_append_batch_fallbacks_total")).sum::<f64>()
    };
    let mut rounds = 0;
    while fallbacks() == 0.0 {
        rounds += 1;
        assert!(rounds <= 10, "no batch with a stale append in 10 rounds of racing instances");
        let writes = ids.iter().flat_map(|id| {
            let path = format!("/v1/appraisals/{id}/feedback");
            [&first, &second].map(|app| {
                let path = path.clone();
                async move { app.post(SUPERIOR, &path, json!({"about": "results", "text": format!("masukan {rounds}")})).await }
            })
        });
        for answer in join_all(writes).await {
            assert_eq!(answer.status, 200, "every command succeeds within the retry bound: {}", answer.body);
        }
        for id in &ids {
            let history = first.history(id).await;
            assert_eq!(history["chain_valid"], true, "{history}");
            let events = history["events"].as_array().unwrap();
            assert_eq!(events.len(), 4 + 2 * rounds, "each command recorded exactly once");
            for (v, event) in events.iter().enumerate() {
                assert_eq!(event["version"], v as u64 + 1, "versions run 1..n without a gap");
            }
        }
    }
    let conflicts: f64 = [&first, &second].iter().map(|app| metric(&app.app_state.metrics.render(), "skp_append_conflicts_total")).sum();
    assert!(conflicts >= 1.0, "the conflicting appends were decided again");
}
