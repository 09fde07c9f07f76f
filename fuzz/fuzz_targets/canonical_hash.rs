//! Any JSON → canonical JSON (RFC 8785) and its hash: never a panic; canonicalising the
//! canonical text again gives the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(text) = skp_events::canonical::to_canonical_string(&value) {
        let reparsed: serde_json::Value = serde_json::from_str(&text).expect("canonical JSON parses");
        assert_eq!(skp_events::canonical::to_canonical_string(&reparsed).ok().as_deref(), Some(text.as_str()));
    }
    let _ = skp_events::envelope::hash_of_value(&mut value);
});
