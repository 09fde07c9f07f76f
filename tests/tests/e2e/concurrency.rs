//! Optimistic concurrency under many writers: nothing lost, versions contiguous.


use crate::common::*;
use futures::future::join_all;
use serde_json::json;
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_writers_on_one_appraisal_over_five_instances_lose_nothing() {
    let first = spawn_app().await;
    let id = first.agreed_appraisal().await;
    let mut instances = vec![];
    for _ in 0..4 {
        instances.push(spawn_peer(&first).await);
    }
    instances.push(first);
    let before = instances[0].history(&id).await["events"].as_array().unwrap().len();

    let writers = (0..50).map(|i| {
        let app = &instances[i % instances.len()];
        let path = format!("/v1/appraisals/{id}/feedback");
        async move { app.post(SUPERIOR, &path, json!({"about": "results", "text": format!("masukan ke-{i}")})).await }
    });
    let answers = join_all(writers).await;

    let mut accepted = HashSet::new();
    for answer in answers {
        assert_eq!(answer.status, 200, "every writer wins within the retry bound: {}", answer.body);
        accepted.insert(answer.body["event_id"].as_str().unwrap().to_owned());
    }
    let history = instances[0].history(&id).await;
    assert_eq!(history["chain_valid"], true, "{history}");
    let events = history["events"].as_array().unwrap();
    assert_eq!(events.len(), before + 50);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["version"], i as u64 + 1, "versions run 1..n without a gap");
    }
    let stored: HashSet<String> = events[before..].iter().map(|e| e["event_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(stored, accepted, "every acknowledged event is stored, and nothing else");
    let texts: HashSet<&str> = events[before..].iter().map(|e| e["data"]["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 50, "each writer's feedback is recorded exactly once");
    let conflicts: u64 = instances.iter().map(|app| metric(&app.app_state.metrics.render(), "skp_append_conflicts_total")).sum();
    assert!(conflicts > 0, "the instances really raced: conflicts were retried");
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_opening_the_same_appraisal_at_once_record_one_opening() {
    let first = spawn_app().await;
    let second = spawn_peer(&first).await;
    let cycle = first.open_cycle().await;
    let path = format!("/v1/cycles/{cycle}/appraisals");
    let (a, b) = tokio::join!(
        first.post_as(ADMIN, &["admin"], &path, people(EMPLOYEE, RATER, SUPERIOR)),
        second.post_as(ADMIN, &["admin"], &path, people(EMPLOYEE, RATER, SUPERIOR)),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", a.body, b.body);
    let loser = if a.status == 409 { a } else { b };
    assert_eq!(loser.body["code"], "already_exists");
    let id = skp_events::ids::appraisal_id(cycle.parse().unwrap(), &skp_events::Nip::parse(EMPLOYEE).unwrap());
    assert_eq!(first.history(&id.to_string()).await["events"].as_array().unwrap().len(), 1);
}
