//! A retried command yields its original result and no second event: with the same
//! `Idempotency-Key`, after a restart of the service, and when an append's acknowledgement
//! was lost and the identical publish is sent again.


use bytes::Bytes;
use crate::common::*;
use serde_json::json;
use skp_store::Append;
use uuid::Uuid;

#[tokio::test]
async fn the_same_idempotency_key_twice_records_one_event() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let key = Uuid::new_v4();
    let path = format!("/v1/appraisals/{id}/realisations");
    let body = json!({"indicator_id": "iki-1", "value": 1});
    let first = app.post_keyed(EMPLOYEE, &path, body.clone(), key).await.expect(200);
    let again = app.post_keyed(EMPLOYEE, &path, body, key).await.expect(200);
    assert_eq!(first, again);
    let events = app.history(&id).await["events"].as_array().unwrap().clone();
    assert_eq!(events.iter().filter(|e| e["type"] == "RealisationRecorded").count(), 1);
}

#[tokio::test]
async fn a_retried_opening_with_its_key_answers_201_with_the_original_result() {
    let app = spawn_app().await;
    let key = Uuid::new_v4();
    let body = json!({"organization": "BKD", "year": 2026, "plan_due": "2026-01-31", "objection_window_days": 14, "decision_window_days": 14});
    let request = || app.http.post(app.url("/v1/cycles")).bearer_auth(app.token(ADMIN, &["admin"])).header("Idempotency-Key", key.to_string()).json(&body);
    let first = app.send(request()).await.expect(201);
    let again = app.send(request()).await.expect(201);
    assert_eq!(first, again, "the same cycle, not a second one");
}

#[tokio::test]
async fn a_retry_after_the_service_restarted_yields_the_original_result() {
    let mut app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let key = Uuid::new_v4();
    let path = format!("/v1/appraisals/{id}/score");
    let body = json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"});
    let first = app.post_keyed(RATER, &path, body.clone(), key).await.expect(200);
    app.stop();

    let restarted = spawn_peer(&app).await;
    // The state moved on meanwhile: a retry must still answer with its original result.
    restarted.post(EMPLOYEE, &format!("/v1/appraisals/{id}/accept"), json!({})).await.expect(200);
    let again = restarted.post_keyed(RATER, &path, body, key).await.expect(200);
    assert_eq!(first, again);
    let events = restarted.history(&id).await["events"].as_array().unwrap().clone();
    assert_eq!(events.iter().filter(|e| e["type"] == "ScoreGiven").count(), 1);
}

#[tokio::test]
async fn an_opening_retried_or_repeated_on_a_restarted_instance_records_one_opening() {
    // A restarted instance has nothing cached: it decides an opening on the empty state and
    // appends it expecting an empty subject, which the stored opening refuses.
    let mut app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let path = format!("/v1/cycles/{cycle}/appraisals");
    let key = Uuid::new_v4();
    let first = app.post_keyed_as(ADMIN, &["admin"], &path, people(EMPLOYEE, RATER, SUPERIOR), key).await.expect(201);
    app.stop();

    let restarted = spawn_peer(&app).await;
    let again = restarted.post_keyed_as(ADMIN, &["admin"], &path, people(EMPLOYEE, RATER, SUPERIOR), key).await.expect(201);
    assert_eq!(first, again, "the original result");
    let id = first["aggregate_id"].as_str().unwrap().to_owned();
    let other = spawn_peer(&app).await;
    other.post_keyed_as(ADMIN, &["admin"], &path, people(EMPLOYEE, RATER, SUPERIOR), Uuid::new_v4()).await.expect(409);
    let events = other.history(&id).await["events"].as_array().unwrap().clone();
    assert_eq!(events.iter().filter(|e| e["type"] == "AppraisalOpened").count(), 1);
}

#[tokio::test]
async fn an_append_retried_after_its_ack_was_lost_is_stored_once() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let key = Uuid::new_v4();
    let path = format!("/v1/appraisals/{id}/feedback");
    let body = json!({"about": "results", "text": "bagus"});
    let first = app.post_keyed(RATER, &path, body.clone(), key).await.expect(200);

    // The message is stored, but suppose its acknowledgement never reached the service: it
    // publishes the identical message again, with the same id and expected sequence.
    let store = app.app_state.bus.store();
    let subject = app.subject(&id);
    let stored = store.load_after(&subject, 0).await.unwrap();
    let last = stored.last().unwrap();
    let previous = stored[stored.len() - 2].stream_seq;
    let retry = store
        .append(Append {
            subject: &subject,
            body: Bytes::clone(&last.body),
            event_type: "FeedbackGiven",
            schema_version: 1,
            message_id: &format!("{id}:{key}"),
            expected_last_subject_seq: previous,
            command: Some("give_feedback"),
            digest: None,
        })
        .await;
    match retry {
        Ok(ack) => assert!(ack.duplicate, "a second copy was stored: {ack:?}"),
        Err(skp_store::StoreError::WrongLastSequence) => {}
        Err(other) => panic!("unexpected answer to the retried publish: {other}"),
    }
    // The client's own retry (same key) is answered from the stream.
    let again = app.post_keyed(RATER, &path, body, key).await.expect(200);
    assert_eq!(first, again);
    assert_eq!(store.load_after(&subject, 0).await.unwrap().len(), stored.len());
}
