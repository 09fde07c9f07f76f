//! Probes a nats-server's atomic batch publish (ADR-50) the way the event store uses it.
//! Usage: `cargo run -p skp-store --example atomic_probe -- nats://127.0.0.1:4222` prints
//! what the server answers to batches with stale expected sequences, duplicate message ids,
//! 1,001 messages, and how long batches of 1 to 1,000 messages take one at a time;
//! `... -- URL --delete-leftovers` deletes streams this probe and `command_rate` left behind
//! after an interrupted run (`PROBE_*`, `SKP_RATE_*`).

#![allow(clippy::print_stdout)]

use async_nats::HeaderMap;
use serde_json::{json, Value};

async fn req(c: &async_nats::Client, subject: String, body: Value) -> Value {
    let reply = c.request(subject, body.to_string().into()).await.expect("request");
    serde_json::from_slice(&reply.payload).expect("json")
}

async fn batch(c: &async_nats::Client, msgs: &[(&str, u64, &str)]) -> Value {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let n = msgs.len();
    let mut last = None;
    for (i, (subject, expected, msg_id)) in msgs.iter().enumerate() {
        let mut h = HeaderMap::new();
        h.insert("Nats-Batch-Id", id.as_str());
        h.insert("Nats-Batch-Sequence", (i + 1).to_string().as_str());
        h.insert("Nats-Expected-Last-Subject-Sequence", expected.to_string().as_str());
        if !msg_id.is_empty() {
            h.insert("Nats-Msg-Id", *msg_id);
        }
        if i + 1 == n {
            h.insert("Nats-Batch-Commit", "1");
            last = Some(c.request_with_headers(subject.to_string(), h, "x".into()).await.expect("commit"));
        } else {
            c.publish_with_headers(subject.to_string(), h, "x".into()).await.expect("publish");
        }
    }
    serde_json::from_slice(&last.expect("one message").payload).expect("json")
}

#[tokio::main]
async fn main() {
    let url = std::env::args().nth(1).unwrap_or_else(|| "nats://127.0.0.1:4222".into());
    let c = async_nats::connect(url).await.expect("connect");
    println!("server {}", c.server_info().version);
    if std::env::args().nth(2).as_deref() == Some("--delete-leftovers") {
        let names = req(&c, "$JS.API.STREAM.NAMES".into(), json!({})).await;
        for name in names["streams"].as_array().into_iter().flatten().filter_map(Value::as_str).filter(|n| n.starts_with("PROBE_") || n.starts_with("SKP_RATE_")) {
            println!("deleting {name}: {}", req(&c, format!("$JS.API.STREAM.DELETE.{name}"), json!({})).await);
        }
        return;
    }
    let name = format!("PROBE_{}", uuid::Uuid::new_v4().simple());
    let created = req(&c, format!("$JS.API.STREAM.CREATE.{name}"), json!({"name": name, "subjects": [format!("{name}.>")], "storage": "file", "allow_direct": true, "duplicate_window": 120_000_000_000u64})).await;
    println!("created allow_atomic={:?}", created["config"]["allow_atomic"]);
    let without = batch(&c, &[(&format!("{name}.a"), 0, ""), (&format!("{name}.b"), 0, "")]).await;
    println!("batch before allow_atomic: {without}");
    let mut config = created["config"].clone();
    config["allow_atomic"] = json!(true);
    let updated = req(&c, format!("$JS.API.STREAM.UPDATE.{name}"), config).await;
    println!("updated allow_atomic={:?} error={:?}", updated["config"]["allow_atomic"], updated.get("error"));
    let a = format!("{name}.a");
    let b = format!("{name}.b");
    let d = format!("{name}.d");
    println!("batch a0 b0 with msg ids: {}", batch(&c, &[(&a, 0, "m1"), (&b, 0, "m2")]).await);
    println!("batch a1 d0(ok) + b0 stale: {}", batch(&c, &[(&a, 1, "m3"), (&d, 0, "m4"), (&b, 0, "m5")]).await);
    println!("batch a1 + duplicate msg id m1: {}", batch(&c, &[(&a, 1, "m6"), (&d, 0, "m1")]).await);
    println!("batch same subject twice a1,a3: {}", batch(&c, &[(&a, 1, "m7"), (&a, 3, "m8")]).await);
    println!("batch single a1: {}", batch(&c, &[(&a, 1, "m9")]).await);
    let big: Vec<(String, u64, String)> = (0..1001).map(|i| (format!("{name}.big{i}"), 0, format!("big{i}"))).collect();
    let big_ref: Vec<(&str, u64, &str)> = big.iter().map(|(s, e, m)| (s.as_str(), *e, m.as_str())).collect();
    println!("batch of 1001: {}", batch(&c, &big_ref).await);
    println!("batch of 1000: {}", batch(&c, &big_ref[1..]).await);
    let started = std::time::Instant::now();
    for r in 0..20 {
        let mut h = HeaderMap::new();
        h.insert("Nats-Expected-Last-Subject-Sequence", "0");
        let reply = c.request_with_headers(format!("{name}.plain.{r}"), h, "x".into()).await.expect("publish");
        assert!(!String::from_utf8_lossy(&reply.payload).contains("error"));
    }
    println!("plain publish, one at a time: {:?} each", started.elapsed() / 20);
    for size in [1usize, 2, 10, 100, 1000] {
        let started = std::time::Instant::now();
        let rounds = 20;
        for r in 0..rounds {
            let msgs: Vec<(String, u64, String)> = (0..size).map(|i| (format!("{name}.t{size}.{r}.{i}"), 0, format!("t{size}-{r}-{i}"))).collect();
            let refs: Vec<(&str, u64, &str)> = msgs.iter().map(|(s, e, m)| (s.as_str(), *e, m.as_str())).collect();
            let ack = batch(&c, &refs).await;
            assert!(ack.get("error").is_none(), "{ack}");
        }
        let each = started.elapsed() / rounds;
        println!("atomic batch of {size:>4}: {each:?} per batch, {:.0} messages/s", size as f64 / each.as_secs_f64());
    }
    let info = req(&c, format!("$JS.API.STREAM.INFO.{name}"), json!({})).await;
    println!("state {}", info["state"]);
    let _ = req(&c, format!("$JS.API.STREAM.DELETE.{name}"), json!({})).await;
}
