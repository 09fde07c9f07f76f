//! CPU per command of sealing and encoding an envelope, before and after the command path
//! built both from one JSON tree. Usage:
//! `cargo run --release -p skp-store --example seal_cost -- [ROUNDS]` (default 200000).
//!
//! "before": `Envelope::seal` then `Envelope::to_canonical_bytes` (two `serde_json::to_value`
//! trees, two canonical writes), as the command path did. "after": one tree, its hash
//! computed, the hash put into it, one canonical write of it (what `commands` does now).

#![allow(clippy::print_stdout)]

use skp_events::canonical::to_canonical_string;
use skp_events::data::FeedbackGiven;
use skp_events::envelope::hash_of_value;
use skp_events::values::FeedbackAbout;
use skp_events::{Actor, ActorRole, AggregateType, Envelope, Event, Nip};
use std::time::Instant;
use uuid::Uuid;

type Failure = Box<dyn std::error::Error>;

fn envelope() -> Result<Envelope, Failure> {
    Ok(Envelope {
        event_id: Uuid::now_v7(),
        aggregate_type: AggregateType::Appraisal,
        aggregate_id: Uuid::now_v7(),
        version: 7,
        event: Event::FeedbackGiven(FeedbackGiven { about: FeedbackAbout::Results, text: "Laporan triwulan disusun rapi dan tepat waktu".into(), indicator_id: None }),
        schema_version: 1,
        occurred_at: time::OffsetDateTime::now_utc(),
        actor: Actor { nip: Nip::parse("199202022018012004")?, role: ActorRole::Peer },
        command_id: Uuid::now_v7(),
        correlation_id: Uuid::now_v7(),
        causation_id: Uuid::now_v7(),
        prev_hash: "ab".repeat(32),
        hash: String::new(),
    })
}

fn main() -> Result<(), Failure> {
    let rounds: u32 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(200_000);
    let template = envelope()?;
    let mut bytes = 0usize;
    let started = Instant::now();
    for _ in 0..rounds {
        let sealed = template.clone().seal()?;
        bytes += sealed.to_canonical_bytes()?.len();
    }
    let before = started.elapsed() / rounds;
    let started = Instant::now();
    for _ in 0..rounds {
        let mut envelope = template.clone();
        let mut value = serde_json::to_value(&envelope)?;
        let hash = hash_of_value(&mut value)?;
        value.as_object_mut().ok_or("not an object")?.insert("hash".into(), serde_json::Value::String(hash.clone()));
        envelope.hash = hash;
        bytes += to_canonical_string(&value)?.len();
    }
    let after = started.elapsed() / rounds;
    println!("seal + encode, before: {before:?} per command; after: {after:?} per command ({bytes} bytes written)");
    Ok(())
}
