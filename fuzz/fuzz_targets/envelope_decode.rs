//! Stored bytes → envelope: never a panic; what decodes re-encodes to canonical bytes that
//! decode to the same envelope.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skp_events::Envelope;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::decode(data) {
        if let Ok(canonical) = envelope.to_canonical_bytes() {
            let again = Envelope::decode(&canonical).expect("canonical bytes of a decoded envelope decode");
            assert_eq!(again.to_canonical_bytes().ok(), Some(canonical), "canonical form is stable");
        }
    }
});
