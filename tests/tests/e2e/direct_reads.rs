//! Reads that are complete (issue 15): a batched direct get ends where the server chose to
//! end the batch, not where the subject ends; the store reads on until the server reports
//! nothing pending. Small limits make every batch end early, on a nats-server 2.11+.

use crate::common::nats_process::NatsProcess;
use skp_store::{Append, EventStore, Metrics, ReadLimits, StoreSettings};
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test]
async fn a_history_longer_than_a_batch_is_read_whole_across_byte_and_count_limits() {
    let server = NatsProcess::start_with(&std::env::var("SKP_TEST_NATS_SERVER_DURABLE").unwrap_or_else(|_| "nats-server".into()));
    let vars = HashMap::from([("SKP_NATS_URL", server.url()), ("SKP_STREAM", "READS".to_owned()), ("SKP_SUBJECT_PREFIX", "t.skp.events".to_owned()), ("SKP_GROUP_COMMIT", "off".to_owned())]);
    let settings = StoreSettings::from_lookup(&|n: &str| vars.get(n).cloned()).unwrap();
    let mut store = EventStore::connect(&settings, Metrics::new(), Duration::from_secs(10)).await.unwrap();
    let subject = "t.skp.events.appraisal.00000000-0000-0000-0000-000000000001";
    let other = "t.skp.events.appraisal.00000000-0000-0000-0000-000000000002";
    let mut expected = Vec::new();
    let (mut last_main, mut last_other) = (0, 0);
    for n in 0..40u64 {
        // Another aggregate's messages in between: a batch is per subject.
        let body = vec![b'y'; 300].into();
        last_other = store.append(Append { subject: other, body, event_type: "X", schema_version: 1, message_id: &format!("o{n}"), expected_last_subject_seq: last_other, command: None, digest: None }).await.unwrap().stream_seq;
        let body = format!("{n:04}{}", "x".repeat(1000)).into_bytes().into();
        last_main = store.append(Append { subject, body, event_type: "X", schema_version: 1, message_id: &format!("m{n}"), expected_last_subject_seq: last_main, command: None, digest: None }).await.unwrap().stream_seq;
        expected.push(last_main);
    }
    for limits in [ReadLimits { batch: 512, max_bytes: Some(2_500) }, ReadLimits { batch: 7, max_bytes: None }, ReadLimits { batch: 3, max_bytes: Some(5_000) }] {
        store.set_read_limits(limits);
        let read = store.load_after(subject, 0).await.unwrap();
        let sequences: Vec<u64> = read.iter().map(|r| r.stream_seq).collect();
        assert_eq!(sequences, expected, "{limits:?}: every message, in order, none twice");
        let from_middle = store.load_after(subject, expected[9]).await.unwrap();
        assert_eq!(from_middle.len(), 30, "{limits:?}");
    }
}
