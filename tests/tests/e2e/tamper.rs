//! The hash chain makes a changed, removed or reordered event visible from the stream alone.


use crate::common::*;
use serde_json::{json, Value};
use uuid::Uuid;

/// Copies an appraisal's stored envelopes onto a fresh subject after `edit`, as someone
/// rewriting the stream behind SKP's back would; returns the new appraisal id.
async fn forge(app: &TestApp, id: &str, edit: impl FnOnce(&mut Vec<Value>)) -> String {
    let mut events = app.history(id).await["events"].as_array().unwrap().clone();
    edit(&mut events);
    let forged = Uuid::new_v4().to_string();
    let nats = app.nats().await;
    let js = async_nats::jetstream::new(nats);
    for event in &events {
        js.publish(app.subject(&forged), serde_json::to_vec(event).unwrap().into()).await.unwrap().await.unwrap();
    }
    forged
}

async fn disputed(app: &TestApp) -> String {
    let id = app.agreed_appraisal().await;
    app.post(RATER, &format!("/v1/appraisals/{id}/score"), json!({"results_rating": "di_bawah_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    id
}

#[tokio::test]
async fn an_intact_copy_of_the_stream_verifies() {
    let app = spawn_app().await;
    let id = disputed(&app).await;
    let copy = forge(&app, &id, |_| {}).await;
    assert_eq!(app.history(&copy).await["chain_valid"], true);
}

#[tokio::test]
async fn a_changed_rating_is_detected_at_its_event() {
    let app = spawn_app().await;
    let id = disputed(&app).await;
    let forged = forge(&app, &id, |events| {
        let score = events.iter_mut().find(|e| e["type"] == "ScoreGiven").unwrap();
        score["data"]["results_rating"] = json!("di_atas_ekspektasi");
        score["data"]["predikat"] = json!("sangat_baik");
    })
    .await;
    let history = app.history(&forged).await;
    assert_eq!(history["chain_valid"], false);
    assert_eq!(history["chain_breaks"][0]["kind"], "hash_mismatch");
    assert_eq!(history["chain_breaks"][0]["position"], 5);
}

#[tokio::test]
async fn a_removed_event_is_detected() {
    let app = spawn_app().await;
    let id = disputed(&app).await;
    let forged = forge(&app, &id, |events| {
        events.remove(2);
    })
    .await;
    let history = app.history(&forged).await;
    assert_eq!(history["chain_valid"], false);
    let kinds: Vec<&str> = history["chain_breaks"].as_array().unwrap().iter().map(|b| b["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"version_gap") && kinds.contains(&"prev_hash_mismatch"), "{kinds:?}");
}

#[tokio::test]
async fn reordered_events_are_detected() {
    let app = spawn_app().await;
    let id = disputed(&app).await;
    let forged = forge(&app, &id, |events| events.swap(1, 2)).await;
    let history = app.history(&forged).await;
    assert_eq!(history["chain_valid"], false);
    assert_eq!(history["chain_breaks"][0]["position"], 2);
}

#[tokio::test]
async fn a_forged_event_appended_with_a_recomputed_hash_still_breaks_the_chain() {
    let app = spawn_app().await;
    let id = disputed(&app).await;
    let forged = forge(&app, &id, |events| {
        let mut extra = events.last().unwrap().clone();
        extra["version"] = json!(events.len() + 1);
        extra["type"] = json!("ScoreAccepted");
        extra["data"] = json!({});
        // Sealed correctly over its content, but pointing at a made-up predecessor.
        extra["prev_hash"] = json!("1".repeat(64));
        let hash = skp_events::envelope::hash_of_value(&mut extra).unwrap();
        extra["hash"] = json!(hash);
        events.push(extra);
    })
    .await;
    let history = app.history(&forged).await;
    assert_eq!(history["chain_valid"], false);
    assert_eq!(history["chain_breaks"][0]["kind"], "prev_hash_mismatch");
}
