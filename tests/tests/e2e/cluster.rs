//! A 3-node JetStream cluster (R3 streams, `sync_interval: always`) under a steady command
//! load: the stream leader is killed with SIGKILL and later restarted, then a second node is
//! killed and restarted. Every command that got a success answer is in the stream afterwards,
//! exactly once, with no version gap and a valid chain; meanwhile the service answers 200 or
//! 503 with `Retry-After` (never a 500) and recovers by itself.


use crate::common::nats_cluster::NatsCluster;
use crate::common::*;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WRITERS: usize = 4;

struct Load {
    running: Arc<AtomicBool>,
    acknowledged: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<(Vec<String>, usize)>>,
}

/// One writer per appraisal, each sending feedback as fast as the service answers. A client
/// that gets 503 does not know whether its command was stored, so it sends the same command
/// again with the same `Idempotency-Key` until it gets an answer.
fn start_load(app: &Arc<TestApp>, ids: &[String]) -> Load {
    let running = Arc::new(AtomicBool::new(true));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let tasks = ids
        .iter()
        .map(|id| {
            let (app, id, running, acknowledged) = (app.clone(), id.clone(), running.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let (mut events, mut unavailable, mut i) = (Vec::new(), 0usize, 0u32);
                let (mut key, mut pending) = (uuid::Uuid::new_v4(), false);
                // After the stop, a command whose outcome is unknown is still settled.
                while running.load(Ordering::Relaxed) || pending {
                    let body = json!({"about": "behaviour", "text": format!("masukan {i}")});
                    let answer = app.post_keyed(SUPERIOR, &format!("/v1/appraisals/{id}/feedback"), body, key).await;
                    match answer.status {
                        200 => {
                            events.push(answer.body["event_id"].as_str().unwrap().to_owned());
                            acknowledged.fetch_add(1, Ordering::Relaxed);
                            (key, pending) = (uuid::Uuid::new_v4(), false);
                            i += 1;
                        }
                        503 => {
                            assert!(answer.headers.contains_key("retry-after"), "503 without Retry-After: {}", answer.body);
                            unavailable += 1;
                            pending = true;
                            tokio::time::sleep(Duration::from_millis(50)).await; // a client backing off
                        }
                        other => panic!("unexpected answer {other} during the node failure: {}", answer.body),
                    }
                }
                (events, unavailable)
            })
        })
        .collect();
    Load { running, acknowledged, tasks }
}

/// Waits until `more` further commands were acknowledged.
async fn progresses(load: &Load, more: usize, what: &str) {
    let target = load.acknowledged.load(Ordering::Relaxed) + more;
    let went_on = wait_for(Duration::from_secs(30), || async { load.acknowledged.load(Ordering::Relaxed) >= target }).await;
    assert!(went_on, "the load made no progress {what} ({} acknowledged)", load.acknowledged.load(Ordering::Relaxed));
}

async fn stream_leader(js: &async_nats::jetstream::Context, stream: &str) -> Option<String> {
    let mut stream = js.get_stream(stream).await.ok()?;
    let info = stream.info().await.ok()?;
    info.cluster.as_ref()?.leader.clone()
}

/// Every replica of the stream is current (a restarted node has caught up).
async fn replicas_current(js: &async_nats::jetstream::Context, stream: &str) -> bool {
    let Ok(mut stream) = js.get_stream(stream).await else { return false };
    let Ok(info) = stream.info().await else { return false };
    info.cluster.as_ref().is_some_and(|c| c.leader.is_some() && c.replicas.len() == 2 && c.replicas.iter().all(|r| r.current && !r.offline))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_loses_no_acknowledged_command_and_the_service_recovers_by_itself() {
    let mut cluster = NatsCluster::start();
    let client = async_nats::connect(skp_store::connect::server_urls(&cluster.urls())).await.unwrap();
    let js = async_nats::jetstream::new(client.clone());
    let ready = wait_for(Duration::from_secs(30), || async { js.query_account().await.is_ok() }).await;
    assert!(ready, "the cluster elected a JetStream meta leader");

    let mut settings = isolated_settings(&cluster.urls());
    settings.store.replicas = 3;
    let stream = settings.store.stream.clone();
    let app = Arc::new(spawn_with(settings, skp_store::Clock::adjustable(), true).await);
    let cycle = app.open_cycle().await;
    let mut ids = Vec::new();
    for i in 0..WRITERS {
        ids.push(app.agreed_appraisal_in(&cycle, &format!("19900101201501100{}", i + 1)).await);
    }
    let info = js.get_stream(&stream).await.unwrap().info().await.unwrap().clone();
    assert_eq!(info.config.num_replicas, 3, "the event stream is R3");

    let load = start_load(&app, &ids);
    progresses(&load, 40, "before the fault").await;

    // 1. Kill the stream leader.
    let leader = stream_leader(&js, &stream).await.expect("the stream has a leader");
    let first = cluster.index_of(&leader);
    cluster.kill_node(first);
    eprintln!("killed the stream leader {leader}");
    progresses(&load, 40, "with the stream leader killed").await;
    cluster.start_node(first);
    assert!(wait_for(Duration::from_secs(30), || replicas_current(&js, &stream)).await, "{leader} rejoined and caught up");
    progresses(&load, 40, "after the leader came back").await;

    // 2. Kill another node: the new leader if it moved, else any other.
    let now_leading = stream_leader(&js, &stream).await.unwrap_or_default();
    let second = if now_leading != leader && !now_leading.is_empty() { cluster.index_of(&now_leading) } else { (first + 1) % 3 };
    cluster.kill_node(second);
    eprintln!("killed {}", cluster.nodes[second].name);
    progresses(&load, 40, "with a second node killed").await;
    cluster.start_node(second);
    assert!(wait_for(Duration::from_secs(30), || replicas_current(&js, &stream)).await, "the second node rejoined and caught up");
    progresses(&load, 40, "after both nodes came back").await;

    load.running.store(false, Ordering::Relaxed);
    let (mut acknowledged, mut unavailable) = (HashMap::new(), 0);
    for (id, task) in ids.iter().zip(load.tasks) {
        let (events, refused) = task.await.unwrap();
        acknowledged.insert(id.clone(), events);
        unavailable += refused;
    }

    let (mut total_acknowledged, mut found, mut lost) = (0, 0, 0);
    for id in &ids {
        let history = app.history(id).await;
        assert_eq!(history["chain_valid"], true, "{history}");
        let events = history["events"].as_array().unwrap();
        for (i, event) in events.iter().enumerate() {
            assert_eq!(event["version"], i as u64 + 1, "no version gap in {id}");
        }
        let stored: Vec<&str> = events.iter().map(|e| e["event_id"].as_str().unwrap()).collect();
        let unique: HashSet<&str> = stored.iter().copied().collect();
        assert_eq!(unique.len(), stored.len(), "no event stored twice in {id}");
        let mine = &acknowledged[id];
        total_acknowledged += mine.len();
        found += mine.iter().filter(|e| unique.contains(e.as_str())).count();
        lost += mine.iter().filter(|e| !unique.contains(e.as_str())).count();
        // The feedback follows the 4 events that brought the appraisal to targets_agreed. A
        // command retried after a 503 was stored once: the stored feedback is exactly the
        // acknowledged feedback.
        let feedback: Vec<&str> = stored[4..].to_vec();
        assert_eq!(feedback, mine.iter().map(String::as_str).collect::<Vec<_>>(), "{id}: the stored feedback is the acknowledged feedback, in order");
    }
    eprintln!("cluster faults: 2 nodes killed (SIGKILL) and restarted; commands acknowledged {total_acknowledged}, found in the stream {found}, lost {lost}; answered 503 {unavailable}");
    assert_eq!(lost, 0);
    assert_eq!(found, total_acknowledged);
}
