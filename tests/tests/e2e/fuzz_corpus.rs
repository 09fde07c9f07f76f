//! Replays every input the fuzzers kept (fuzz/corpus/<target>/ and any crash or timeout they
//! found, fuzz/artifacts/<target>/) through the same functions and checks as the fuzz
//! targets (fuzz/fuzz_targets/), so that an input that once broke SKP stays fixed without
//! nightly or cargo-fuzz. `scripts/fuzz` runs the fuzzers themselves.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut found = Vec::new();
    for dir in [root.join("corpus").join(target), root.join("artifacts").join(target)] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            found.extend(entries.map(|e| e.expect("entry").path()).filter(|p| p.is_file()));
        }
    }
    found.sort();
    found
}

fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "fuzz/corpus/{target} holds the fuzzer's inputs");
    for path in &inputs {
        let bytes = std::fs::read(path).expect("readable");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
        assert!(outcome.is_ok(), "{target}: {} panics", path.display());
    }
    inputs.len()
}

#[test]
fn the_envelope_decoder_survives_every_kept_input() {
    let n = replay("envelope_decode", |data| {
        if let Ok(envelope) = skp_events::Envelope::decode(data) {
            if let Ok(canonical) = envelope.to_canonical_bytes() {
                let again = skp_events::Envelope::decode(&canonical).expect("canonical bytes of a decoded envelope decode");
                assert_eq!(again.to_canonical_bytes().ok(), Some(canonical), "canonical form is stable");
            }
        }
    });
    assert!(n > 13, "more than the golden fixtures: {n}");
}

#[test]
fn the_canonical_json_hasher_survives_every_kept_input() {
    replay("canonical_hash", |data| {
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
        if let Ok(text) = skp_events::canonical::to_canonical_string(&value) {
            let reparsed: serde_json::Value = serde_json::from_str(&text).expect("canonical JSON parses");
            assert_eq!(skp_events::canonical::to_canonical_string(&reparsed).ok().as_deref(), Some(text.as_str()));
        }
        let _ = skp_events::envelope::hash_of_value(&mut value);
    });
}

#[test]
fn the_command_body_parsers_survive_every_kept_input() {
    replay("command_body", |data| {
        if let Some((&route, body)) = data.split_first() {
            let _ = skp_api::http::fuzzing::command_body(route, body);
        }
    });
}
