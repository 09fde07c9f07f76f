//! SKP refuses to start on an existing `SKP_EVENTS` or `SKP_PUBLIC` whose settings could lose
//! or drop events (issue 15): each bad stream is created beforehand, and the refusal names
//! the setting. Runs on a nats-server 2.11+ of its own (message TTLs need it).

use crate::common::nats_process::NatsProcess;
use async_nats::jetstream::{self, stream};
use serde_json::{json, Value};
use skp_events::subject::Subjects;
use skp_store::StoreError;
use std::time::Duration;

fn durable_server() -> NatsProcess {
    NatsProcess::start_with(&std::env::var("SKP_TEST_NATS_SERVER_DURABLE").unwrap_or_else(|_| "nats-server".into()))
}

/// The configuration SKP itself creates, as the server's JSON, with `change` applied.
fn events_config(name: &str, change: (&str, Value)) -> Value {
    let mut config = json!({"name": name, "subjects": ["t.skp.events.>"], "retention": "limits", "storage": "file", "num_replicas": 1,
        "discard": "new", "duplicate_window": 120_000_000_000_i64, "deny_delete": true, "deny_purge": true, "allow_direct": true,
        "max_msgs": -1, "max_bytes": -1, "max_age": 0, "max_msgs_per_subject": -1});
    config[change.0] = change.1;
    config
}

async fn create_raw(client: &async_nats::Client, config: &Value) {
    let name = config["name"].as_str().unwrap();
    let reply = client.request(format!("$JS.API.STREAM.CREATE.{name}"), config.to_string().into()).await.unwrap();
    let answer: Value = serde_json::from_slice(&reply.payload).unwrap();
    assert!(answer.get("error").is_none(), "creating {name}: {answer}");
}

#[tokio::test]
async fn an_event_stream_with_any_setting_that_could_lose_events_is_refused_naming_it() {
    let server = durable_server();
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client.clone());
    let subjects = Subjects::new("t.skp.events");
    let cases: Vec<(&str, Value)> = vec![
        ("max_msgs_per_subject", json!(5)),
        ("discard", json!("old")),
        ("max_msgs", json!(1_000_000)),
        ("max_bytes", json!(1_i64 << 30)),
        ("max_age", json!(86_400_000_000_000_i64)),
        ("retention", json!("interest")),
        ("allow_msg_ttl", json!(true)),
        ("subjects", json!(["t.skp.events.>", "elsewhere.>"])),
        ("duplicate_window", json!(1_000_000_000)),
        ("deny_delete", json!(false)),
        ("allow_direct", json!(false)),
    ];
    for (i, (setting, value)) in cases.into_iter().enumerate() {
        let name = format!("BAD_EVENTS_{i}");
        create_raw(&client, &events_config(&name, (setting, value))).await;
        let refused = skp_store::stream::ensure(&js, &name, &subjects, 1).await.expect_err(setting);
        match &refused {
            StoreError::UnsafeStream { problems, .. } => assert!(problems.iter().any(|p| p.starts_with(setting)), "{setting}: {problems:?}"),
            other => panic!("{setting}: not a refusal: {other}"),
        }
        assert!(refused.to_string().contains(setting), "{refused}");
        js.delete_stream(&name).await.unwrap();
    }
    // Too few replicas: SKP_STREAM_REPLICAS=3 against an R1 stream.
    create_raw(&client, &events_config("BAD_EVENTS_R", ("num_replicas", json!(1)))).await;
    let refused = skp_store::stream::ensure(&js, "BAD_EVENTS_R", &subjects, 3).await.expect_err("replicas");
    assert!(refused.to_string().contains("num_replicas"), "{refused}");
    js.delete_stream("BAD_EVENTS_R").await.unwrap();
    // And the one SKP creates starts.
    skp_store::stream::ensure(&js, "GOOD_EVENTS", &subjects, 1).await.unwrap();
}

#[tokio::test]
async fn a_public_stream_with_limits_or_discard_old_is_refused_naming_it() {
    let server = durable_server();
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client.clone());
    let base = stream::Config {
        subjects: vec!["t.skp.public.>".into()],
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_secs(24 * 3600),
        deny_delete: true,
        deny_purge: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    };
    let cases: Vec<(&str, stream::Config)> = vec![
        ("max_msgs_per_subject", stream::Config { name: "BAD_PUBLIC_1".into(), max_messages_per_subject: 1, ..base.clone() }),
        ("discard", stream::Config { name: "BAD_PUBLIC_2".into(), discard: stream::DiscardPolicy::Old, ..base.clone() }),
        ("max_age", stream::Config { name: "BAD_PUBLIC_3".into(), max_age: Duration::from_secs(48 * 3600), ..base.clone() }),
        ("duplicate_window", stream::Config { name: "BAD_PUBLIC_4".into(), duplicate_window: Duration::from_secs(120), ..base.clone() }),
    ];
    for (setting, config) in cases {
        js.create_stream(config.clone()).await.unwrap();
        let refused = skp_projections::relay::RelayProjection::new(js.clone(), &config.name, "t.skp.public", 1).await.expect_err(setting);
        assert!(skp_store::error::chain(&refused).contains(setting), "{setting}: {}", skp_store::error::chain(&refused));
        js.delete_stream(&config.name).await.unwrap();
    }
    skp_projections::relay::RelayProjection::new(js.clone(), "GOOD_PUBLIC", "t.skp.public", 1).await.unwrap();
}

#[tokio::test]
async fn the_api_does_not_start_on_a_stream_that_drops_an_appraisals_first_event() {
    let server = durable_server();
    let client = async_nats::connect(server.url()).await.unwrap();
    let mut settings = crate::common::isolated_settings(&server.url());
    let mut config = events_config(&settings.store.stream, ("max_msgs_per_subject", json!(5)));
    config["subjects"] = json!([Subjects::new(settings.store.subject_prefix.clone()).all()]);
    create_raw(&client, &config).await;
    settings.store.append_timeout = Duration::from_secs(2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = skp_api::startup::Application::build_with_listener(&settings, skp_store::Clock::system(), listener).await.expect_err("refused");
    let text = format!("{refused:#}");
    assert!(text.contains("max_msgs_per_subject is 5"), "{text}");
}
