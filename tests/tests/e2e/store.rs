//! The event stream as SKP creates it: append-only, one subject per aggregate.


use crate::common::*;

#[tokio::test]
async fn the_stream_denies_delete_and_purge_and_keeps_file_storage() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let js = async_nats::jetstream::new(app.nats().await);
    let mut stream = js.get_stream(&app.settings.store.stream).await.unwrap();
    let config = stream.info().await.unwrap().config.clone();
    assert!(config.deny_delete && config.deny_purge && !config.allow_rollup);
    assert_eq!(config.storage, async_nats::jetstream::stream::StorageType::File);
    assert_eq!(config.discard, async_nats::jetstream::stream::DiscardPolicy::New);
    assert_eq!(config.subjects, vec![format!("{}.>", app.settings.store.subject_prefix)]);

    assert!(stream.delete_message(1).await.is_err(), "a message was deleted");
    assert!(stream.purge().await.is_err(), "the stream was purged");
    assert_eq!(app.history(&id).await["events"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn each_message_carries_its_event_type_schema_version_and_message_id() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let js = async_nats::jetstream::new(app.nats().await);
    let stream = js.get_stream(&app.settings.store.stream).await.unwrap();
    let message = stream.get_last_raw_message_by_subject(&app.subject(&id)).await.unwrap();
    let headers = message.headers;
    assert_eq!(headers.get("Skp-Event-Type").unwrap().as_str(), "TargetsAgreed");
    assert_eq!(headers.get("Skp-Schema-Version").unwrap().as_str(), "1");
    let msg_id = headers.get(async_nats::header::NATS_MESSAGE_ID).unwrap().as_str().to_owned();
    assert!(msg_id.starts_with(&format!("{id}:")), "{msg_id}");
    let envelope: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(envelope["version"], 4);
    assert_eq!(envelope["type"], "TargetsAgreed");
    assert_eq!(envelope["command_id"], envelope["causation_id"]);
    let canonical = skp_events::canonical::to_canonical_string(&envelope).unwrap();
    assert_eq!(canonical.as_bytes(), &message.payload[..], "stored as canonical JSON");
}
