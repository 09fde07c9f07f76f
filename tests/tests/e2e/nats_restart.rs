//! NATS stopped and started again under a steady command load: the API answers 503 while it
//! is down, recovers without a restart of its own, nothing acknowledged is lost, and the
//! projectors resume from their checkpoints.


use crate::common::nats_process::NatsProcess;
use crate::common::*;
use serde_json::json;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restart_loses_no_acknowledged_event_and_the_service_recovers_by_itself() {
    let mut nats = NatsProcess::start();
    let app = Arc::new(spawn_with(isolated_settings(&nats.url()), skp_store::Clock::adjustable(), true).await);
    let id = app.agreed_appraisal().await;

    let running = Arc::new(AtomicBool::new(true));
    let load = {
        let (app, id, running) = (app.clone(), id.clone(), running.clone());
        tokio::spawn(async move {
            let (mut acknowledged, mut unavailable, mut i) = (Vec::new(), 0u32, 0u32);
            while running.load(Ordering::Relaxed) {
                let answer = app.post(SUPERIOR, &format!("/v1/appraisals/{id}/feedback"), json!({"about": "results", "text": format!("masukan {i}")})).await;
                match answer.status {
                    200 => acknowledged.push(answer.body["event_id"].as_str().unwrap().to_owned()),
                    503 => {
                        assert!(answer.headers.contains_key("retry-after"));
                        unavailable += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await; // a client backing off
                    }
                    other => panic!("unexpected answer {other}: {}", answer.body),
                }
                i += 1;
            }
            (acknowledged, unavailable)
        })
    };

    let before_stop = |n: usize| {
        let app = app.clone();
        let id = id.clone();
        async move { wait_for(Duration::from_secs(20), || async { app.history(&id).await["events"].as_array().unwrap().len() >= n }).await }
    };
    assert!(before_stop(14).await, "the load is running before the stop");
    nats.terminate();
    let down = wait_for(Duration::from_secs(10), || async {
        app.post(SUPERIOR, &format!("/v1/appraisals/{id}/feedback"), json!({"about": "results", "text": "selama mati"})).await.status == 503
    })
    .await;
    assert!(down, "commands answer 503 while NATS is down");
    nats.start_again();
    let recovered = wait_for(Duration::from_secs(30), || async {
        app.post(SUPERIOR, &format!("/v1/appraisals/{id}/feedback"), json!({"about": "results", "text": "setelah hidup"})).await.status == 200
    })
    .await;
    assert!(recovered, "the service recovered without a restart of its own");
    assert!(before_stop(30).await, "the load goes on after the restart");
    running.store(false, Ordering::Relaxed);
    let (acknowledged, unavailable) = load.await.unwrap();
    assert!(unavailable > 0, "the load met the outage");

    let history = app.history(&id).await;
    assert_eq!(history["chain_valid"], true, "{history}");
    let events = history["events"].as_array().unwrap();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["version"], i as u64 + 1);
    }
    let stored: HashSet<&str> = events.iter().map(|e| e["event_id"].as_str().unwrap()).collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains(id.as_str())).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");

    // The projectors resume from their checkpoints and catch up.
    let last = events.len() as u64 + 1; // the cycle's event comes first on the stream
    let cycle = history["events"][0]["data"]["cycle_id"].as_str().unwrap().to_owned();
    let caught_up = wait_for(Duration::from_secs(30), || async {
        app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={last}")).await.status == 200
    })
    .await;
    assert!(caught_up, "the progress projector resumed and caught up");
    let progress = app.get(&format!("/v1/cycles/{cycle}/progress")).await.expect(200);
    assert_eq!(progress["by_status"]["targets_agreed"], 1);
    eprintln!("acknowledged {} commands, {} answered 503 during the outage, 0 lost", acknowledged.len(), unavailable);
}
